"""The routes' wire contract, in one place: what the server's routes send and what
the client (``SweepsClient``, the server-mode mirror, the panel) reads.

- ``PREFIX``: every route lives under it (ComfyUI also serves it under ``/api``).
- Typed shapes of the JSON bodies the routes answer with (docs/routes.md shows
  examples): ``SweepSummary`` (with ``actions``, so the panel never spells the
  lifecycle rules), ``SweepStatus`` (summary + a page of ``RunRow``),
  ``PlanPreview``, ``SweepCreated``, ``SweepExtended`` ...
- The error table: every ``code`` the routes can send, its HTTP status and its
  exception class, derived from the ``SweepError`` subclasses of core/errors.py
  (``error_class``, ``error_from_envelope``).
- ``SERVER_KEYS``: the config keys the server ignores (a browser may not choose
  paths or servers on the ComfyUI machine), stripped by the routes and left out
  by the client (``without_server_keys``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, TypedDict

from .. import errors
from ..config.model import ComfySpec, OutputSpec
from ..errors import SweepError

PREFIX: Final = "/comfy-sweep"
API_VERSION: Final = 1


def sweep_path(sweep_id: str, tail: str = "") -> str:
    """``/comfy-sweep/sweeps/<id><tail>``: the one place a sweep's URL is spelled."""
    return f"{PREFIX}/sweeps/{sweep_id}{tail}"


# ------------------------------------------------------------------ shapes
RunStatus = Literal["pending", "queued", "running", "done", "failed"]


class Actions(TypedDict):
    """What a user may do now (core/sweep/lifecycle.actions of the state)."""

    resume: bool
    cancel: bool
    extend: bool
    delete: bool


class CurrentRun(TypedDict):
    run_id: int
    values: dict[str, Any]


class _Summary(TypedDict):
    id: str
    name: str
    state: str  # lifecycle.State
    created_at: str | None
    updated_at: str | None
    total: int
    done: int
    failed: int
    pending: int
    current: CurrentRun | None
    eta_s: float | None
    parameters: list[str]
    contact_sheet: str
    files_base: str
    actions: Actions


class SweepSummary(_Summary, total=False):
    message: str  # only when the sweep stopped with a reason


class RunRow(TypedDict):
    run_id: int
    status: RunStatus
    values: dict[str, Any]
    outputs: list[str]  # relative to files_base
    thumbnail: str | None
    error: str
    prompt_id: str
    cached_nodes: list[str]


class Page(TypedDict):
    offset: int
    limit: int
    total: int


class SweepStatus(SweepSummary):
    """GET /sweeps/{id}: the summary plus one page of runs."""

    runs: list[RunRow]
    page: Page


class SweepExtended(SweepSummary):
    added: int
    warnings: list[str]


class SweepList(TypedDict):
    sweeps: list[SweepSummary]


class SweepCreated(TypedDict):
    id: str
    total: int
    state: str
    warnings: list[str]


class PlannedRunJSON(TypedDict):
    run_id: int
    sample_index: int
    repeat: int
    values: dict[str, Any]
    folder: str


class PlanPreview(TypedDict):
    total: int
    parameters: list[str]
    runs: list[PlannedRunJSON]  # the first PLAN_PREVIEW_RUNS
    truncated: bool
    warnings: list[str]
    notes: list[str]
    estimate_s: float | None


class Deleted(TypedDict):
    deleted: str


class RunPrompt(TypedDict):
    prompt: dict[str, Any]
    values: dict[str, Any]


class RunMark(TypedDict):
    """POST .../runs/{run_id}/rating's answer: the run's marks as now stored."""

    run_id: int
    rating: int  # 0 = none, else 1-5
    picked: bool


class Version(TypedDict):
    name: str
    version: str
    api: int
    capabilities: list[str]


# ------------------------------------------------------------------ errors
def _error_classes() -> dict[str, type[SweepError]]:
    """code -> class over core/errors.py (one class per code, checked here)."""
    table: dict[str, type[SweepError]] = {}
    for obj in vars(errors).values():
        if isinstance(obj, type) and issubclass(obj, SweepError):
            if obj.code in table and table[obj.code] is not obj:
                raise RuntimeError(f"error code {obj.code!r} is used by two classes")
            table[obj.code] = obj
    return table


ERROR_CLASSES: Final[Mapping[str, type[SweepError]]] = MappingProxyType(_error_classes())

# Every code the routes answer with and its status (docs/routes.md lists the same table).
HTTP_STATUS: Final[Mapping[str, int]] = MappingProxyType(
    {
        errors.RequestError.code: 400,
        errors.WorkflowError.code: 400,
        errors.ConfigError.code: 400,
        errors.PlanError.code: 400,
        errors.PromptRejected.code: 400,
        errors.ForbiddenPath.code: 403,
        errors.NotFoundError.code: 404,
        errors.ConflictError.code: 409,
        errors.StoreLockedError.code: 409,
        errors.ConfigChangedError.code: 409,
        errors.BodyTooLarge.code: 413,
        errors.StoreError.code: 500,
        errors.InternalError.code: 500,
        errors.BackendError.code: 502,
    }
)


def http_status(err: SweepError) -> int:
    """The status a route answers ``err`` with (500 for a code not on the wire)."""
    return HTTP_STATUS.get(err.code, 500)


def error_class(code: object) -> type[SweepError] | None:
    return ERROR_CLASSES.get(code) if isinstance(code, str) else None


def error_from_envelope(data: object) -> SweepError | None:
    """Our one error envelope ``{"error": {code, message, field?, details?}}`` as
    the exception the server raised; None when ``data`` is not one of ours."""
    err = data.get("error") if isinstance(data, Mapping) else None
    if not isinstance(err, Mapping):
        return None
    cls = error_class(err.get("code"))
    if cls is None:
        return None
    field, details = err.get("field"), err.get("details")
    return cls(
        str(err.get("message", "")),
        field=field if isinstance(field, str) else None,
        details=dict(details) if isinstance(details, Mapping) else None,
    )


# ------------------------------------------------------------------ config keys
@dataclass(frozen=True)
class ServerKey:
    """A config key the server ignores: ``section`` (None at the top level) and
    ``key``; a value other than ``default`` is worth a warning."""

    section: str | None
    key: str
    default: Any

    @property
    def path(self) -> str:
        return self.key if self.section is None else f"{self.section}.{self.key}"


SERVER_KEYS: Final[tuple[ServerKey, ...]] = (
    ServerKey(None, "workflow_file", None),
    ServerKey("output", "base_dir", OutputSpec().base_dir),
    ServerKey("comfyui", "server_address", ComfySpec().server_address),
)


def without_server_keys(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``config`` without the server keys, {key path: removed value}); the
    input is not modified."""
    cleaned = dict(config)
    removed: dict[str, Any] = {}
    for sk in SERVER_KEYS:
        if sk.section is None:
            if sk.key in cleaned:
                removed[sk.path] = cleaned.pop(sk.key)
            continue
        section = cleaned.get(sk.section)
        if isinstance(section, Mapping) and sk.key in section:
            copy = cleaned[sk.section] = dict(section)
            removed[sk.path] = copy.pop(sk.key)
    return cleaned, removed
