"""HTTP routes under /comfy-sweep/ (``core.sweep.wire.PREFIX``; ComfyUI also serves
them under /api/...). The bodies they answer with are typed in core/sweep/wire.py.

Each handler parses (schemas.py), calls the service, responds; errors become
the envelope in errors.guarded. ``add_routes`` takes the table and the service
so tests mount them on a bare aiohttp app; inside ComfyUI the table is
``PromptServer.instance.routes`` (docs/routes.md documents every route).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..core.errors import BodyTooLarge, RequestError
from ..core.sweep.wire import PREFIX
from . import schemas
from .errors import guarded
from .service import SweepService

_CHUNK = 64 * 1024


async def read_json(request: web.Request, limit: int = schemas.MAX_BODY_BYTES) -> Any:
    """The JSON body, refusing more than ``limit`` bytes without reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(f"request body is larger than {limit} bytes")
    data = bytearray()
    while chunk := await request.content.read(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise BodyTooLarge(f"request body is larger than {limit} bytes")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise RequestError("request body is not valid JSON") from None


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


def add_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """Register every /comfy-sweep/ route on ``routes``, served by ``service``."""
    _tool_routes(routes, service)
    _sweep_routes(routes, service)
    _sweep_file_routes(routes, service)


def _tool_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """Stateless: version, analyze, plan, config parse/render."""

    @routes.get(f"{PREFIX}/version")
    @guarded
    async def version(request: web.Request) -> web.Response:
        return _json(service.version())

    @routes.post(f"{PREFIX}/analyze")
    @guarded
    async def analyze(request: web.Request) -> web.Response:
        body = schemas.require_object(await read_json(request))
        name = schemas.optional_str(body, "workflow_file") or "workflow_api.json"
        return _json(await service.analyze(schemas.prompt_field(body), name))

    @routes.post(f"{PREFIX}/plan")
    @guarded
    async def plan(request: web.Request) -> web.Response:
        body = schemas.require_object(await read_json(request))
        config, warnings = schemas.config_field(body)
        return _json(await service.plan(schemas.prompt_field(body), config, warnings))

    @routes.post(f"{PREFIX}/config/parse")
    @guarded
    async def config_parse(request: web.Request) -> web.Response:
        body = schemas.require_object(await read_json(request))
        return _json(service.config_parse(schemas.yaml_field(body)))

    @routes.post(f"{PREFIX}/config/render")
    @guarded
    async def config_render(request: web.Request) -> web.Response:
        body = schemas.require_object(await read_json(request))
        return _json(service.config_render(schemas.require_object(body.get("config"), "config")))


def _sweep_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """A sweep's life: create, list, status, cancel, resume, extend, delete."""

    @routes.post(f"{PREFIX}/sweeps")
    @guarded
    async def create_sweep(request: web.Request) -> web.Response:
        req = schemas.sweep_request(await read_json(request))
        return _json(await service.create(req), status=202)

    @routes.get(f"{PREFIX}/sweeps")
    @guarded
    async def list_sweeps(request: web.Request) -> web.Response:
        return _json(await service.list_sweeps())

    @routes.get(f"{PREFIX}/sweeps/{{sweep_id}}")
    @guarded
    async def get_sweep(request: web.Request) -> web.Response:
        offset, limit = schemas.paging(request.query)
        return _json(await service.status(request.match_info["sweep_id"], offset, limit))

    @routes.post(f"{PREFIX}/sweeps/{{sweep_id}}/cancel")
    @guarded
    async def cancel_sweep(request: web.Request) -> web.Response:
        return _json(await service.cancel(request.match_info["sweep_id"]))

    @routes.post(f"{PREFIX}/sweeps/{{sweep_id}}/resume")
    @guarded
    async def resume_sweep(request: web.Request) -> web.Response:
        return _json(await service.resume(request.match_info["sweep_id"]), status=202)

    @routes.post(f"{PREFIX}/sweeps/{{sweep_id}}/extend")
    @guarded
    async def extend_sweep(request: web.Request) -> web.Response:
        body = schemas.require_object(await read_json(request))
        config, warnings = schemas.config_field(body)
        sweep = request.match_info["sweep_id"]
        return _json(await service.extend(sweep, config, warnings), status=202)

    @routes.delete(f"{PREFIX}/sweeps/{{sweep_id}}")
    @guarded
    async def delete_sweep(request: web.Request) -> web.Response:
        return _json(await service.delete(request.match_info["sweep_id"]))


def _sweep_file_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """What a sweep folder holds: files, the contact sheet, a run's prompt."""

    @routes.get(f"{PREFIX}/sweeps/{{sweep_id}}/files/{{path:.*}}")
    @guarded
    async def sweep_file(request: web.Request) -> web.StreamResponse:
        rel = schemas.file_path(request.raw_path, request.match_info["path"])
        path, volatile = await service.file(request.match_info["sweep_id"], rel)
        headers = {"Cache-Control": "no-store" if volatile else "no-cache"}
        return web.FileResponse(path, headers=headers)

    @routes.get(f"{PREFIX}/sweeps/{{sweep_id}}/contact-sheet")
    @guarded
    async def contact_sheet(request: web.Request) -> web.Response:
        await service.require(request.match_info["sweep_id"])
        # Relative, so it also resolves under ComfyUI's /api/ alias.
        raise web.HTTPFound("files/contact_sheet.html")

    @routes.get(f"{PREFIX}/sweeps/{{sweep_id}}/runs/{{run_id}}/prompt")
    @guarded
    async def run_prompt(request: web.Request) -> web.Response:
        run = schemas.run_id(request.match_info["run_id"])
        return _json(await service.run_prompt(request.match_info["sweep_id"], run))

    from . import ratings  # its own module (imports this one): ratings and picks

    ratings.add_routes(routes, service)
