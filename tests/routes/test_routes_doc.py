"""docs/routes.md pins the public surface: every route and error code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web
from comfy_sweep.core.sweep.wire import HTTP_STATUS as STATUS
from comfy_sweep.server_routes.routes import add_routes

DOC = (Path(__file__).resolve().parents[2] / "docs" / "routes.md").read_text(encoding="utf-8")


def test_every_route_is_documented(service: Any) -> None:
    routes = web.RouteTableDef()
    add_routes(routes, service)
    for route in routes:
        assert isinstance(route, web.RouteDef)
        path = route.path.replace("{sweep_id}", "{id}").replace("{path:.*}", "{path}")
        assert f"`{route.method} {path}" in DOC, (route.method, path)


def test_documented_codes_match_the_status_table() -> None:
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", DOC, flags=re.MULTILINE)
    assert len(rows) >= 10
    for status, code in rows:
        assert STATUS[code] == int(status), code
