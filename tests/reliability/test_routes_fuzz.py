"""Bad route bodies, property-based: zero HTTP 500, every error in the one
envelope, `field` naming the offending field; oversized bodies refused (413)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import GRID6, example_prompt, request
from .route_server import RouteServer

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
POST_ROUTES = ["/analyze", "/plan", "/config/parse", "/config/render", "/sweeps"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouteServer]:
    server = RouteServer(tmp_path_factory.mktemp("routes-fuzz")).start()
    yield server
    server.stop()


def assert_envelope(status: int, body: Any, *, field_prefix: str | None = None) -> None:
    assert status < 500, body
    if status >= 400:
        assert isinstance(body, dict) and set(body) == {"error"}, body
        err = body["error"]
        assert err["code"] and err["message"], body
        if field_prefix is not None:
            assert str(err.get("field", "")).startswith(field_prefix), body


def raw_post(
    url: str, path: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(
            "POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw or b"null")
    except ValueError:
        return resp.status, raw.decode("utf-8", "replace")


@FUZZ
@given(route=st.sampled_from(POST_ROUTES), body=json_values)
def test_random_bodies_never_500(routes: RouteServer, route: str, body: Any) -> None:
    status, answer = request(routes.url, "POST", "/comfy-sweep" + route, body)
    assert_envelope(status, answer)
    if not isinstance(body, dict):
        assert status == 400 and answer["error"]["code"] == "invalid_request", answer


@FUZZ
@given(route=st.sampled_from(POST_ROUTES), data=st.binary(max_size=200))
def test_garbage_bytes_never_500(routes: RouteServer, route: str, data: bytes) -> None:
    status, answer = raw_post(routes.url, "/comfy-sweep" + route, data)
    assert_envelope(status, answer)


CONFIG_KEYS = [
    ("sampling_strategy",),
    ("num_samples",),
    ("seeds_per_sample",),
    ("parameters",),
    ("parameters", "strength"),
    ("parameters", "strength", "values"),
    ("parameters", "strength", "path"),
    ("parameters", "blur_radius", "type"),
    ("output", "run_name_pattern"),
    ("comfyui", "queue_window"),
]
wrong = st.one_of(
    st.dictionaries(st.sampled_from(["x", "min", "values"]), scalars, min_size=1, max_size=2),
    st.lists(st.dictionaries(st.text(max_size=3), scalars, max_size=2), min_size=1, max_size=2),
    st.just("not-a-valid-thing"),
    st.just(-7),
)


@FUZZ
@given(key=st.sampled_from(CONFIG_KEYS), value=wrong, route=st.sampled_from(["/plan", "/sweeps"]))
def test_wrong_config_value_names_the_key(
    routes: RouteServer, key: tuple[str, ...], value: Any, route: str
) -> None:
    config = json.loads(json.dumps(GRID6))
    config.setdefault("output", {})
    config.setdefault("comfyui", {})
    node = config
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    body = {"prompt": example_prompt(64, "rel-fuzz/img"), "config": config}
    status, answer = request(routes.url, "POST", "/comfy-sweep" + route, body)
    assert_envelope(status, answer)
    if status >= 400 and answer["error"]["code"] == "invalid_config":
        field = answer["error"].get("field", "")
        assert field.startswith("config."), answer
        # the field is the key we broke, or inside it
        assert (
            field.startswith("config." + ".".join(key[:2])) or key[0] in answer["error"]["message"]
        ), answer


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        (("sampling_strategy",), "not-a-valid-thing", "config.sampling_strategy"),
        (("parameters", "strength", "values"), {"x": 1}, "config.parameters.strength"),
        (("comfyui", "queue_window"), [1], "config.comfyui.queue_window"),
    ],
)
def test_wrong_config_value_is_invalid_config(
    routes: RouteServer, key: tuple[str, ...], value: Any, field: str
) -> None:
    config = json.loads(json.dumps(GRID6))
    config["comfyui"] = {}
    node = config
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    body = {"prompt": example_prompt(64, "rel-fuzz/img"), "config": config}
    status, answer = request(routes.url, "POST", "/comfy-sweep/plan", body)
    assert status == 400 and answer["error"]["code"] == "invalid_config", answer
    assert answer["error"]["field"].startswith(field), answer


@FUZZ
@given(cut=st.integers(min_value=1, max_value=400))
def test_truncated_yaml_names_a_line(routes: RouteServer, cut: int) -> None:
    text = (Path(__file__).resolve().parents[2] / "examples/configs/image_grid.yaml").read_text()
    status, answer = request(routes.url, "POST", "/comfy-sweep/config/parse", {"yaml": text[:cut]})
    assert_envelope(status, answer)
    if status >= 400:
        assert answer["error"]["code"] in ("invalid_config", "invalid_request"), answer


@pytest.mark.parametrize("route", POST_ROUTES)
def test_oversized_body_refused_early(routes: RouteServer, route: str) -> None:
    # Declared too large: refused from Content-Length before the body is read.
    host, port = routes.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("POST", "/comfy-sweep" + route)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(64 * 1024 * 1024))
        conn.endheaders()
        conn.send(b'{"prompt": ')  # 11 bytes of the 64 MiB announced
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413 and body["error"]["code"] == "body_too_large", body


def test_oversized_chunked_body_refused(routes: RouteServer) -> None:
    big = b'{"yaml": "' + b"a" * (9 * 1024 * 1024) + b'"}'

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 1 << 20):
            yield big[i : i + (1 << 20)]

    host, port = routes.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(
            "POST",
            "/comfy-sweep/config/parse",
            body=chunks(),
            encode_chunked=True,
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        )
        resp = conn.getresponse()
        body = json.loads(resp.read())
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server dropped the connection instead of answering 413")
    finally:
        conn.close()
    assert resp.status == 413 and body["error"]["code"] == "body_too_large", body
