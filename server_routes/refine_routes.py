"""``POST /comfy-sweep/sweeps/{id}/refine``: the panel's "Refine from this sweep".

``GET`` on the same path lists what the sweep can be refined by (its score
columns and ``rating``, with counts and the default), for the panel's choice.

The same core/refine logic as ``cr-refine`` (docs/refine.md), on a sweep of
this server; it answers the next config (YAML with its comments, and as data
for the panel's form) without writing or starting anything.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ..core.errors import RequestError
from ..core.refine.options import refine_options
from ..core.refine.refine import refine_batch
from ..core.sweep.wire import PREFIX
from .errors import guarded
from .routes import read_json
from .schemas import optional_str, require_object
from .service import SweepService

MAX_TOP = 100_000


def refine_request(body: Any) -> dict[str, Any]:
    """{by, top?, production?, goal?} checked; RequestError names the field."""
    data = require_object(body)
    by = optional_str(data, "by", limit=100)
    if not by:
        raise RequestError("by: name a metric (score_NAME or NAME) or rating", field="by")
    top = data.get("top")
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP
    ):
        raise RequestError(f"top: expected a whole number from 1 to {MAX_TOP}", field="top")
    production = data.get("production", False)
    if not isinstance(production, bool):
        raise RequestError("production: expected true or false", field="production")
    goal = data.get("goal")
    if goal not in (None, "maximize", "minimize"):
        raise RequestError("goal: expected maximize or minimize", field="goal")
    return {"by": by, "top": top, "production": production, "goal": goal}


def add_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """Register the refine routes (POST: the next config, GET: its choices) on ``routes``."""

    @routes.post(f"{PREFIX}/sweeps/{{sweep_id}}/refine")
    @guarded
    async def refine(request: web.Request) -> web.Response:
        args = refine_request(await read_json(request))
        store = await service.require(request.match_info["sweep_id"])
        info = await service.object_info()
        result = await asyncio.to_thread(refine_batch, store, object_info=info, **args)
        body = {"yaml": result.yaml, "config": result.config, "notes": result.notes}
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    @routes.get(f"{PREFIX}/sweeps/{{sweep_id}}/refine")
    @guarded
    async def refine_choices(request: web.Request) -> web.Response:
        store = await service.require(request.match_info["sweep_id"])
        body = refine_options(store.config, store.records())
        return web.json_response(body, headers={"Cache-Control": "no-store"})
