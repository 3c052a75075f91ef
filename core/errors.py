"""Exception hierarchy of the core, translated only at the edges.

    SweepError                 base; carries ``code``, ``message``, ``field``, ``details``
    ├── WorkflowError          invalid_workflow   bad or UI-format workflow, unknown path
    ├── ConfigError            invalid_config     a config key is wrong (``field`` names it)
    ├── PlanError              invalid_plan       zero runs, cannot extend, ...
    ├── StoreError             store_error        run store unreadable / unwritable
    │   ├── StoreLockedError   store_locked       another writer holds the batch
    │   └── ConfigChangedError config_changed     resume with a different config
    ├── NotFoundError          not_found
    ├── ConflictError          conflict           state forbids the action (409)
    ├── MediaError             invalid_media      a media file is missing or cannot be decoded
    ├── VisionError            vision_error       the video-analysis provider failed
    ├── BackendError           backend_error      ComfyUI unreachable or misbehaving
    │   └── PromptRejected     prompt_rejected    ComfyUI's /prompt refused a prompt (400)
    ├── MissingExtraError      missing_extra      an optional dependency is not installed
    │   raised by the routes' request parsing (server_routes/), listed here so
    │   every code the routes send maps back to a class on the client:
    ├── RequestError           invalid_request    malformed request: not JSON, wrong type, bad field
    ├── BodyTooLarge           body_too_large     request body over the limit
    ├── ForbiddenPath          forbidden_path     a file path that tries to leave the sweep folder
    └── InternalError          internal_error     a bug (the routes log its traceback)

Every code is unique: core/sweep/wire.py derives its code <-> class table from
this module and gives each code the routes send its HTTP status. Routes answer with that status
(server_routes/errors.py); the client maps an envelope back to its class
(client/sweeps.py); the CLI maps any SweepError to a one-line message and exit
code 2 (cli/common.py).
"""

from __future__ import annotations

from typing import Any


class SweepError(Exception):
    code = "sweep_error"

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details: dict[str, Any] = details or {}

    def to_envelope(self) -> dict[str, Any]:
        """The one error envelope shared by routes, CLI --json and the web UI."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            err["field"] = self.field
        if self.details:
            err["details"] = self.details
        return {"error": err}


class WorkflowError(SweepError):
    code = "invalid_workflow"


class ConfigError(SweepError):
    code = "invalid_config"


class PlanError(SweepError):
    code = "invalid_plan"


class StoreError(SweepError):
    code = "store_error"


class StoreLockedError(StoreError):
    code = "store_locked"


class ConfigChangedError(StoreError):
    code = "config_changed"


class NotFoundError(SweepError):
    code = "not_found"


class ConflictError(SweepError):
    code = "conflict"


class MediaError(SweepError):
    code = "invalid_media"


class VisionError(SweepError):
    code = "vision_error"


class BackendError(SweepError):
    code = "backend_error"


class PromptRejected(BackendError):
    code = "prompt_rejected"


class MissingExtraError(SweepError):
    """An optional feature's package is absent; the message names the extra."""

    code = "missing_extra"


class RequestError(SweepError):
    """Malformed request: not JSON, wrong type, missing or out-of-range field."""

    code = "invalid_request"


class BodyTooLarge(SweepError):
    code = "body_too_large"


class ForbiddenPath(SweepError):
    """A file path that tries to leave the sweep folder."""

    code = "forbidden_path"


class InternalError(SweepError):
    code = "internal_error"
