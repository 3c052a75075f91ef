"""Nothing let in: file routes confined to the sweep folder (on the real
server, raw HTTP so paths are not normalised by a client), posted configs
cannot pick paths or servers, ComfyUI's origin check stays in force, the
contact sheet is inert in Chromium, API keys never leak."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import API, GRID6, example_prompt, request, wait_until

pytestmark = pytest.mark.comfy


def raw(
    server: Any,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest(
            method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True
        )
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Content-Type", "application/json")
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def done_sweep(comfy_server: Any) -> Iterator[tuple[str, Path]]:
    """A small finished sweep on the shared server; a secret file beside it."""
    config = dict(GRID6, output={"base_dir": "/tmp/evil-out"}, workflow_file="/etc/passwd",
                  comfyui={"server_address": "10.0.0.1:8188"})  # fmt: skip
    body = {"prompt": example_prompt(64, "rel-sec/img"), "config": config}
    status, made = request(comfy_server.url, "POST", f"{API}/sweeps", body)
    assert status == 202, made
    sid = made["id"]
    made_warnings = " ".join(made.get("warnings", []))

    def finished() -> bool:
        return request(comfy_server.url, "GET", f"{API}/sweeps/{sid}")[1]["state"] == "done"

    wait_until(finished, 120, "the sweep to finish", step=0.2)
    root = comfy_server.output_dir / "sweeps" / sid
    (comfy_server.output_dir / "sweeps" / "secret.txt").write_text("SECRET-SIBLING")
    (root / "runs" / "0001" / "escape").symlink_to("/etc/passwd")
    (root / "runs" / "0001" / "escape_dir").symlink_to(comfy_server.output_dir)
    (root / ".hidden").write_text("SECRET-HIDDEN")
    yield sid, root
    assert made_warnings  # checked in test_posted_config_cannot_pick_paths


def test_posted_config_cannot_pick_paths_or_servers(
    comfy_server: Any, done_sweep: tuple[str, Path]
) -> None:
    sid, root = done_sweep
    assert root.parent == comfy_server.output_dir / "sweeps" and (root / "metadata.csv").is_file()
    assert not Path("/tmp/evil-out").exists()
    snapshot = (root / "config.yaml").read_text()
    assert (
        "10.0.0.1" not in snapshot and "/etc/passwd" not in snapshot and "evil-out" not in snapshot
    )
    workflow = json.loads((root / "workflow.json").read_text())
    assert workflow["1"]["class_type"] == "EmptyImage"  # the posted prompt, not a file it named


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "..%2Fsecret.txt",
        "..%2fsecret.txt",
        "runs%2F..%2F..%2Fsecret.txt",
        "..%5Csecret.txt",
        "runs/0001/..%2F..%2F..%2Fsecret.txt",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "//etc/passwd",
        "runs/0001/escape",
        "runs/0001/escape_dir/sweeps/secret.txt",
        "runs/0001/..\\..\\..\\secret.txt",
        "metadata.csv%00.png",
        ".hidden",
        "%2E%2E/secret.txt",
        "%2e%2e%2fsecret.txt",
    ],
)
def test_file_route_refuses_escapes(
    comfy_server: Any, done_sweep: tuple[str, Path], path: str
) -> None:
    sid, _ = done_sweep
    for prefix in (API, "/api" + API):
        status, _, body = raw(comfy_server, "GET", f"{prefix}/sweeps/{sid}/files/{path}")
        assert status in (400, 403, 404), (path, status, body[:200])
        assert b"SECRET" not in body and b"root:" not in body, path
    # The sweep id segment itself cannot climb either.
    status, _, body = raw(comfy_server, "GET", f"{API}/sweeps/..%2F..%2Fsweeps/files/secret.txt")
    assert status in (400, 403, 404) and b"SECRET" not in body


def test_file_route_still_serves_inside(comfy_server: Any, done_sweep: tuple[str, Path]) -> None:
    sid, root = done_sweep
    status, headers, body = raw(comfy_server, "GET", f"{API}/sweeps/{sid}/files/metadata.csv")
    assert status == 200 and body == (root / "metadata.csv").read_bytes()
    assert "access-control-allow-origin" not in headers


def test_origin_check_stays_in_force(comfy_server: Any) -> None:
    body = json.dumps({"prompt": example_prompt(64, "rel-sec/origin"), "config": GRID6}).encode()
    foreign = {"Host": f"127.0.0.1:{comfy_server.port}", "Origin": "http://evil.example:5173"}
    before = request(comfy_server.url, "GET", f"{API}/sweeps")[1]["sweeps"]
    for path in (f"{API}/sweeps", f"/api{API}/sweeps"):
        status, headers, _ = raw(comfy_server, "POST", path, body, foreign)
        assert status == 403, (path, status)
        assert "access-control-allow-origin" not in headers
    after = request(comfy_server.url, "GET", f"{API}/sweeps")[1]["sweeps"]
    assert len(after) == len(before)  # nothing was created
    same = {
        "Host": f"127.0.0.1:{comfy_server.port}",
        "Origin": f"http://127.0.0.1:{comfy_server.port}",
    }
    for method, path in (
        ("GET", f"{API}/sweeps"),
        ("GET", f"{API}/version"),
        ("OPTIONS", f"{API}/sweeps"),
    ):
        status, headers, _ = raw(comfy_server, method, path, None, same)
        assert "access-control-allow-origin" not in headers, (method, path, headers)
