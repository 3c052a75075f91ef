"""SweepError -> HTTP status and the one JSON error envelope, in one place
(the code -> status table is part of the wire contract: core/sweep/wire.py).

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

from ..core.errors import InternalError, SweepError
from ..core.sweep.wire import http_status

log = logging.getLogger("comfy_sweep.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(err: SweepError) -> web.Response:
    return web.json_response(err.to_envelope(), status=http_status(err))


def guarded(handler: Handler) -> Handler:
    """Translate SweepError (and unexpected bugs) into the envelope."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SweepError as err:
            if http_status(err) >= 500:
                log.error("comfy-sweep %s %s: %s", request.method, request.path, err.message)
            return error_response(err)
        except web.HTTPException:
            raise  # redirects and aiohttp's own answers
        except Exception:
            log.exception("comfy-sweep: unexpected error in %s %s", request.method, request.path)
            return error_response(InternalError("internal error; see the ComfyUI log"))

    return wrapper
