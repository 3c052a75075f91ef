"""ComfyClient's messages when the address is not ComfyUI's API root (QA pass):
a wrong reverse-proxy prefix, or another web server on that port."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from comfy_sweep.client.address import parse_address
from comfy_sweep.client.comfyui import ComfyClient
from comfy_sweep.core.errors import BackendError


async def test_a_404_names_the_url_and_suggests_the_prefix() -> None:
    app = web.Application()  # answers 404 to everything, like a ComfyUI one prefix off
    async with TestServer(app, host="127.0.0.1") as server:
        address = parse_address(f"http://127.0.0.1:{server.port}/comfy")
        async with ComfyClient(address) as client:
            with pytest.raises(BackendError) as info:
                await client.object_info()
        base = f"http://127.0.0.1:{server.port}/comfy"
    assert info.value.message == (
        f"ComfyUI at {base}: GET {base}/object_info answered 404 "
        "(is this ComfyUI, and the path prefix right?)"
    )


async def test_https_to_a_plain_http_comfyui_suggests_http() -> None:
    app = web.Application()
    async with TestServer(app, host="127.0.0.1") as server:
        address = parse_address(f"https://127.0.0.1:{server.port}")
        async with ComfyClient(address, retry_window=0) as client:
            with pytest.raises(BackendError) as info:
                await client.object_info()
        where = f"https://127.0.0.1:{server.port}"
    message = info.value.message
    assert message.startswith(f"cannot reach ComfyUI at {where} (")
    assert message.endswith("; is it plain http:// (ComfyUI has no TLS of its own)?")
    assert "\n" not in message
