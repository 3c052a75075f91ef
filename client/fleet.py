"""Connecting to a fleet of ComfyUI servers for one sweep (``comfyui.servers`` or
``--server`` given more than once).

Each server is asked for its object_info and the sweep is validated against it:
servers may differ (a node pack or a model missing on one), and such a server is
left out with one line naming it and why, not the sweep. The sweep fails only
when no server is left.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.config.model import ServerSpec, SweepConfig
from ..core.config.validate import validate_config
from ..core.engine.backend import Backend, BackendSlot
from ..core.errors import BackendError, ConfigError, SweepError, WorkflowError
from ..core.objectinfo import ObjectInfo
from ..core.workflow import Workflow
from .address import ServerAddress, parse_address
from .comfyui import ComfyClient, token_from_env
from .http_backend import HttpBackend
from .v2_api import V2Client
from .v2_backend import V2Backend

# Per-request retries of one fleet server: short, so a dead server's runs move to
# the others quickly; the engine waits comfyui.reconnect_window for the fleet.
FLEET_RETRY_S = 5.0


@dataclass
class Member:
    spec: ServerSpec
    client: ComfyClient | V2Client
    info: ObjectInfo | None  # None: a Comfy API v2 service (no /object_info)

    @property
    def name(self) -> str:
        return self.client.address.display


def fleet_specs(cfg: SweepConfig, cli_servers: Sequence[str]) -> list[ServerSpec]:
    """``--server`` (repeatable) wins over ``comfyui.servers``, which wins over
    ``comfyui.server_address``."""
    if cli_servers:
        specs = [ServerSpec(a) for a in dict.fromkeys(cli_servers)]
    else:
        specs = list(cfg.comfyui.servers) or [ServerSpec(cfg.comfyui.server_address)]
    return [dataclasses.replace(s, api=s.api or cfg.comfyui.api) for s in specs]


async def connect_fleet(
    cfg: SweepConfig,
    wf: Workflow,
    specs: Sequence[ServerSpec],
    token_env: str | None,
    warn: Callable[[str], None],
    stack: contextlib.AsyncExitStack,
) -> list[Member]:
    """The servers that answer and accept the sweep; each client is closed by ``stack``."""
    members: list[Member] = []
    reasons: list[str] = []
    for spec in specs:
        try:
            member = await _join(cfg, wf, spec, token_env, stack)
        except SweepError as err:
            reasons.append(f"{spec.address}: {err.message}")
            warn(f"server {spec.address} left out of this sweep: {err.message}")
            continue
        members.append(member)
    if not members:
        raise BackendError("no server can run this sweep: " + "; ".join(reasons))
    return members


async def _join(
    cfg: SweepConfig,
    wf: Workflow,
    spec: ServerSpec,
    token_env: str | None,
    stack: contextlib.AsyncExitStack,
) -> Member:
    try:
        address = parse_address(spec.address)
    except ConfigError as err:
        raise ConfigError(err.message, field="comfyui.servers") from None
    token = token_from_env(spec.auth_token_env or token_env or cfg.comfyui.auth_token_env)
    if spec.api == "v2":
        return await _join_v2(cfg, spec, address, token, stack)
    client = ComfyClient(address, auth_token=token, timeout=cfg.comfyui.timeout)
    await stack.enter_async_context(client)
    info = ObjectInfo(await client.object_info())
    missing = [(n, wf.class_type(n)) for n in wf.prompt if not info.has_class(wf.class_type(n))]
    if missing:
        node, kind = missing[0]
        raise WorkflowError(
            f"it has no node type {kind!r} (node {node}); a custom node pack is missing there"
        )
    validate_config(cfg, wf, info)  # a model (COMBO value) this server lacks: left out
    client.retry_window = min(FLEET_RETRY_S, cfg.comfyui.reconnect_window)
    return Member(spec, client, info)


async def _join_v2(
    cfg: SweepConfig,
    spec: ServerSpec,
    address: ServerAddress,
    token: str | None,
    stack: contextlib.AsyncExitStack,
) -> Member:
    """A Comfy API v2 service: it answers and accepts our token; no object_info to
    check the sweep against (its own validation refuses a bad prompt)."""
    client = V2Client(address, auth_token=token, timeout=cfg.comfyui.timeout, retry_window=0)
    await stack.enter_async_context(client)
    await client.health()
    await client.check_access()
    client.retry_window = min(FLEET_RETRY_S, cfg.comfyui.reconnect_window)
    return Member(spec, client, None)


def fleet_info(members: Sequence[Member]) -> ObjectInfo | None:
    """The object_info a fleet's sweep is planned with: the first plain server's."""
    return next((m.info for m in members if m.info is not None), None)


def fleet_slots(
    members: Sequence[Member], default_window: int, priority: str = "normal"
) -> list[BackendSlot]:
    return [
        BackendSlot(_backend(m, priority), m.spec.window or default_window, m.name) for m in members
    ]


def _backend(member: Member, priority: str) -> Backend:
    if isinstance(member.client, V2Client):
        return V2Backend(member.client)
    return HttpBackend(member.client, priority=priority)
