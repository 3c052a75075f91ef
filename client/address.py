"""Server addresses as users type them: ``127.0.0.1:8188``, ``http://host:port``,
``https://host/prefix`` (a reverse-proxy prefix is kept in every URL).

A bare host with no scheme and no port means ComfyUI's own default port 8188
(``localhost`` → ``http://localhost:8188``); a URL keeps its scheme's port."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..core.errors import ConfigError

COMFYUI_PORT = 8188


@dataclass(frozen=True)
class ServerAddress:
    base_url: str  # scheme://host[:port][/prefix], never a trailing slash
    display: str  # what the user typed, for messages

    def url(self, path: str) -> str:
        """Absolute URL of an API path such as ``/prompt`` (prefix kept)."""
        return self.base_url + "/" + path.lstrip("/")


def parse_address(text: str) -> ServerAddress:
    """Parse a server address; ConfigError naming the value when it is not one."""
    raw = (text or "").strip()
    if not raw:
        raise ConfigError("empty server address", field="comfyui.server_address")
    with_scheme = raw if "://" in raw else "http://" + raw
    parts = urlsplit(with_scheme)
    if parts.scheme not in ("http", "https"):
        raise ConfigError(
            f"server address {raw!r}: only http:// and https:// are supported",
            field="comfyui.server_address",
        )
    try:
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or parts.query or parts.fragment:
        raise ConfigError(
            f"server address {raw!r} is not host:port or an http(s) URL",
            field="comfyui.server_address",
        )
    prefix = parts.path.rstrip("/")
    netloc = parts.netloc
    if "://" not in raw and port is None:
        netloc += f":{COMFYUI_PORT}"
    return ServerAddress(f"{parts.scheme}://{netloc}{prefix}", raw)
