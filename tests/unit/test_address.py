import pytest
from comfy_sweep.client.address import parse_address
from comfy_sweep.core.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("127.0.0.1:8188", "http://127.0.0.1:8188"),
        ("localhost", "http://localhost:8188"),  # bare host: ComfyUI's default port
        ("gpu-box/comfy", "http://gpu-box:8188/comfy"),
        ("http://localhost", "http://localhost"),  # a URL keeps its scheme's port
        ("http://gpu-box:8188/", "http://gpu-box:8188"),
        ("https://comfy.example.com/prefix/", "https://comfy.example.com/prefix"),
        ("https://comfy.example.com/a/b", "https://comfy.example.com/a/b"),
        ("  [::1]:8188 ", "http://[::1]:8188"),
    ],
)
def test_parse_address_forms(text: str, base: str) -> None:
    addr = parse_address(text)
    assert addr.base_url == base
    assert addr.display == text.strip()


def test_url_keeps_prefix() -> None:
    addr = parse_address("https://h/comfy")
    assert addr.url("/prompt") == "https://h/comfy/prompt"
    assert addr.url("history/abc") == "https://h/comfy/history/abc"


@pytest.mark.parametrize(
    "text", ["", "ftp://h:21", "host:notaport", "http://h:8188/?x=1", "http://"]
)
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_address(text)
    assert info.value.field == "comfyui.server_address"
