"""Routes of explorations run by ComfyUI's server (docs/routes.md, "Explorations"):
start, list, status, continue, cancel, and the report with the files beside it.
Handlers parse (``exploration_request`` here, schemas.py), call the
ExplorationService (explorations.py) and answer; errors become the one envelope.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.errors import RequestError
from ..core.sweep.wire import PREFIX
from . import schemas
from .errors import guarded
from .explorations import ExplorationRequest, ExplorationService
from .routes import read_json
from .service import SweepService

_KEYS = ("prompt", "config", "workflow", "client_id", "name", "continue")


def exploration_request(body: Any) -> ExplorationRequest:
    """``{prompt, config, workflow?, client_id?, name?, continue?}``; RequestError names the field."""
    base = schemas.sweep_request(
        {k: v for k, v in schemas.require_object(body).items() if k != "continue"}
    )
    unknown = sorted(set(body) - set(_KEYS))
    if unknown:
        raise RequestError(
            f"unknown field {unknown[0]!r}; expected {', '.join(_KEYS)}", field=unknown[0]
        )
    cont = body.get("continue", False)
    if not isinstance(cont, bool):
        raise RequestError("continue must be true or false", field="continue")
    return ExplorationRequest(**vars(base), cont=cont)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


def add_routes(routes: web.RouteTableDef, service: SweepService) -> ExplorationService:
    """Register the exploration routes on ``routes``, driving sweeps of ``service``."""
    explorations = ExplorationService(service)
    base = f"{PREFIX}/explorations"

    @routes.post(base)
    @guarded
    async def create(request: web.Request) -> web.Response:
        req = exploration_request(await read_json(request))
        summary, new = await explorations.create(req)
        return _json({**summary, "continued": not new}, status=202)

    @routes.get(base)
    @guarded
    async def list_all(request: web.Request) -> web.Response:
        return _json(await explorations.list_all())

    @routes.get(f"{base}/{{xid}}")
    @guarded
    async def status(request: web.Request) -> web.Response:
        return _json(await explorations.status(request.match_info["xid"]))

    @routes.post(f"{base}/{{xid}}/continue")
    @guarded
    async def resume(request: web.Request) -> web.Response:
        return _json(await explorations.resume(request.match_info["xid"]), status=202)

    @routes.post(f"{base}/{{xid}}/cancel")
    @guarded
    async def cancel(request: web.Request) -> web.Response:
        return _json(await explorations.cancel(request.match_info["xid"]))

    _file_routes(routes, explorations, base)
    return explorations


def _file_routes(routes: web.RouteTableDef, explorations: ExplorationService, base: str) -> None:
    @routes.get(f"{base}/{{xid}}/report")
    @guarded
    async def report(request: web.Request) -> web.Response:
        await explorations.file(request.match_info["xid"], "explore_report.html")
        raise web.HTTPFound("files/explore_report.html")  # relative: works under /api/ too

    @routes.get(f"{base}/{{xid}}/files/{{path:.*}}")
    @guarded
    async def file(request: web.Request) -> web.StreamResponse:
        rel = schemas.file_path(request.raw_path, request.match_info["path"])
        path = await explorations.file(request.match_info["xid"], rel)
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    @routes.get(f"{base}/{{xid}}/{{sweep_id}}/{{path:.*}}")
    @guarded
    async def step_file(request: web.Request) -> web.Response:
        """The report links a step's sheet as ``../<sweep id>/…`` (the sweeps live beside
        the exploration folder): sent on to that sweep's own file route."""
        sweep, rel = request.match_info["sweep_id"], request.match_info["path"]
        rel = schemas.file_path(request.raw_path, rel)
        if schemas.sweep_id(sweep) is None:
            raise RequestError("not a sweep id", field="path")
        up = "../" * (3 + rel.count("/"))
        raise web.HTTPFound(f"{up}sweeps/{sweep}/files/{rel}")
