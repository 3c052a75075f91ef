"""POST /comfy-sweep/sweeps/{id}/runs/{run_id}/rating: the person's stars and
pick for a finished run, from the served contact sheet (sheet_marks.js).

Written with ``RunStore.set_extra`` on the store the service already holds for
the sweep (the running session's own instance while it runs, so the writer
lock is shared and the two writes take turns), then the sheet is re-rendered
(debounced, in a thread) so a reload or a poll shows the mark.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from ..core.errors import ConflictError, NotFoundError, RequestError
from ..core.store.marks import MAX_RATING, Mark, read_picked, read_rating
from ..core.store.runstore import RunStore
from ..core.sweep.wire import PREFIX, RunMark
from ..media.live_sheet import LiveSheet
from . import schemas
from .errors import guarded
from .routes import read_json
from .service import SweepService

SHEET_DELAY_S = 0.5  # marks clicked in a row: one re-render
MAX_BODY = 4096  # {"rating": 5, "picked": true} is 30 bytes
_FIELDS = ("rating", "picked")


def parse_mark(body: Any) -> Mark:
    """``{"rating": 0-5, "picked": bool}``, either may be left out (unchanged)."""
    body = schemas.require_object(body)
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise RequestError(
            f"unknown field {unknown[0]!r}; expected rating, picked", field=unknown[0]
        )
    if not any(k in body for k in _FIELDS):
        raise RequestError("give rating (0-5) or picked (true/false)", field="rating")
    rating = body.get("rating")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= MAX_RATING
    ):
        raise RequestError(f"rating must be an integer 0-{MAX_RATING} (0 clears)", field="rating")
    picked = body.get("picked")
    if picked is not None and not isinstance(picked, bool):
        raise RequestError("picked must be true or false", field="picked")
    return Mark(rating, picked)


def _check_run(store: RunStore, sweep_id: str, run_id: int) -> None:
    if not any(r.run_id == run_id for r in store.plan.runs):
        raise NotFoundError(f"sweep {sweep_id} has no run {run_id}", field="run_id")
    if store.record(run_id) is None:
        raise ConflictError(f"run {run_id} has not finished yet: rate it when it is done")


class Ratings:
    """The handler's state: one debounced sheet refresher per sweep folder."""

    def __init__(self, service: SweepService) -> None:
        self.service = service
        self._sheets: dict[Path, LiveSheet] = {}

    async def rate(self, sweep_id: str, run_id: int, mark: Mark) -> RunMark:
        store = await self.service.require(sweep_id)
        _check_run(store, sweep_id, run_id)
        await asyncio.to_thread(store.set_extra, run_id, mark.extra())
        await asyncio.wrap_future(store.flushed())  # on disk before the answer
        self._refresh(store.root)
        rec = store.record(run_id)
        extra = rec.extra if rec is not None else {}
        return {"run_id": run_id, "rating": read_rating(extra) or 0, "picked": read_picked(extra)}

    def _refresh(self, root: Path) -> None:
        sheet = self._sheets.setdefault(root, LiveSheet(root, SHEET_DELAY_S))
        sheet.poke()


def add_routes(routes: web.RouteTableDef, service: SweepService) -> None:
    """Register the rating route on ``routes`` (called by routes.add_routes)."""
    ratings = Ratings(service)

    @routes.post(f"{PREFIX}/sweeps/{{sweep_id}}/runs/{{run_id}}/rating")
    @guarded
    async def rate_run(request: web.Request) -> web.Response:
        run = schemas.run_id(request.match_info["run_id"])
        mark = parse_mark(await read_json(request, MAX_BODY))
        body = await ratings.rate(request.match_info["sweep_id"], run, mark)
        return web.json_response(body, headers={"Cache-Control": "no-store"})
