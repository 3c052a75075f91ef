"""ComfyUI's /object_info, fetched while cr-batch is still importing its modules.

cr-batch needs /object_info before it can plan (bounds, COMBO options), and
ComfyUI takes a noticeable time to build it; the sweep's own imports (aiohttp,
the core, numpy) take about as long. So the light command line
(cli/commands/batch.py) starts this thread first: it reads the server address
(--server, or the config's ``comfyui.server_address``) and GETs /object_info
with the stdlib while the main thread imports (issue 12: "object_info fetched
while the plan is built").

Best effort only: any failure, a fleet of servers or a missing token gives
``None`` and cli/batch.py fetches as always, so every error is still reported
by the one code path that names it.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Sequence
from typing import Any

TIMEOUT_S = 10.0


class ObjectInfoPrefetch:
    def __init__(self, config: str, servers: Sequence[str], auth_env: str | None) -> None:
        self._args = (config, tuple(servers), auth_env)
        self._result: dict[str, Any] | None = None
        self._thread = threading.Thread(target=self._run, name="object_info prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = _fetch(*self._args)
        except Exception:  # noqa: BLE001 - best effort: cli/batch.py fetches again and reports
            self._result = None

    def result(self) -> dict[str, Any] | None:
        """The object_info, or None (then fetch it the usual way); waits for the thread."""
        self._thread.join()
        return self._result


def _fetch(config: str, servers: tuple[str, ...], auth_env: str | None) -> dict[str, Any] | None:
    from ..client.address import parse_address

    if len(servers) > 1:
        return None  # a fleet: each server's own object_info, fetched by client/fleet.py
    address, env = (servers[0], auth_env) if servers else _from_config(config, auth_env)
    if address is None:
        return None
    request = urllib.request.Request(parse_address(address).url("/object_info"))
    token = os.environ.get(env) if env else None
    if env and not token:
        return None  # the normal path says the variable is not set
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - our own server
        data = json.loads(response.read())
    return data if isinstance(data, dict) else None


def _from_config(config: str, auth_env: str | None) -> tuple[str | None, str | None]:
    from ..core.config.load import load_config

    cfg = load_config(config)
    if cfg.comfyui.servers:
        return None, None
    return cfg.comfyui.server_address, auth_env or cfg.comfyui.auth_token_env
