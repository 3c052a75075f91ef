"""JSON over HTTP to a real ComfyUI's routes, for the e2e tests of server-side
sweeps and explorations (stdlib only: the tests drive the server as any client)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def request(server: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """(status, JSON body) of ``method path``; a non-JSON body comes back as text."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        server.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            if r.headers.get_content_type() != "application/json":
                return r.status, raw.decode()
            return r.status, json.loads(raw or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def poll(
    server: Any, path: str, ok: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    """GET ``path`` until ``ok(body)``; the server's log tail when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = request(server, "GET", path)
        assert status == 200, body
        if ok(body):
            return dict(body)
        assert time.monotonic() < deadline, f"timed out: {body}\n{server.log_tail()}"
        time.sleep(0.2)
