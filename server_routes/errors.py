"""SweepError -> HTTP status and the one JSON error envelope, in one place.

Handlers are wrapped by ``guarded`` (no aiohttp middleware: ours would apply
to every ComfyUI route once mounted on ComfyUI's app). Bad input is always a
SweepError with a 4xx status; anything else is a bug, logged with its
traceback and answered 500 with the same envelope.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..core.errors import SweepError

log = logging.getLogger("comfy_sweep.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


# Every code the routes can answer with (docs/routes.md lists the same table).
STATUS: dict[str, int] = {
    "invalid_request": 400,
    "invalid_workflow": 400,
    "invalid_config": 400,
    "invalid_plan": 400,
    "prompt_rejected": 400,
    "forbidden_path": 403,
    "not_found": 404,
    "conflict": 409,
    "store_locked": 409,
    "config_changed": 409,
    "body_too_large": 413,
    "store_error": 500,
    "internal_error": 500,
    "backend_error": 502,
}


def error_response(err: SweepError) -> web.Response:
    return web.json_response(err.to_envelope(), status=STATUS.get(err.code, 500))


def guarded(handler: Handler) -> Handler:
    """Translate SweepError (and unexpected bugs) into the envelope."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SweepError as err:
            if STATUS.get(err.code, 500) >= 500:
                log.error("comfy-sweep %s %s: %s", request.method, request.path, err.message)
            return error_response(err)
        except web.HTTPException:
            raise  # redirects and aiohttp's own answers
        except Exception:
            log.exception("comfy-sweep: unexpected error in %s %s", request.method, request.path)
            return error_response(InternalError("internal error; see the ComfyUI log"))

    return wrapper
