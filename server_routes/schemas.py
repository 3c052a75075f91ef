"""Pure validators of request bodies and query strings.

Each raises RequestError (or the core's ConfigError) naming the offending
field with a dotted path (``config.parameters.cfg.min``), so the panel can
point at it. No I/O here.

Posted configs may not choose paths or servers. Policy: the keys of
``core.sweep.wire.SERVER_KEYS`` (``workflow_file``, ``output.base_dir``,
``comfyui.server_address``) are *ignored with a warning* rather than refused,
because configs round-trip through ``/config/parse`` and ``cr-analyze``
templates, which always carry them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..core.errors import ConfigError, ForbiddenPath, RequestError
from ..core.sweep.wire import SERVER_KEYS, without_server_keys

MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_PAGE = 1000
DEFAULT_PAGE = 100
_SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


@dataclass
class SweepRequest:
    prompt: dict[str, Any]
    config: dict[str, Any]
    workflow: dict[str, Any] | None = None
    client_id: str | None = None
    name: str | None = None
    warnings: list[str] = field(default_factory=list)


def require_object(body: Any, where: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RequestError(
            f"{where} must be a JSON object", field=None if where == "body" else where
        )
    return body


def prompt_field(body: dict[str, Any]) -> dict[str, Any]:
    prompt = body.get("prompt")
    if not isinstance(prompt, dict) or not prompt:
        raise RequestError(
            "prompt must be the workflow (API or UI format, a non-empty object)", field="prompt"
        )
    return prompt


def optional_str(body: dict[str, Any], key: str, limit: int = 200) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise RequestError(f"{key} must be a string of at most {limit} characters", field=key)
    return value or None


def yaml_field(body: dict[str, Any], key: str = "yaml") -> str:
    text = body.get(key)
    if not isinstance(text, str):
        raise RequestError(f"{key} must be YAML text (a string)", field=key)
    return text


def load_yaml(text: str, where: str) -> dict[str, Any]:
    """YAML text -> mapping; ConfigError with the line on a syntax error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        details = {"line": line} if line else None
        raise ConfigError(
            f"{where} is not valid YAML: {exc}", field=where, details=details
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping of config keys", field=where)
    return data


def config_field(body: dict[str, Any], key: str = "config") -> tuple[dict[str, Any], list[str]]:
    """The posted config (object or YAML text) without server-owned keys."""
    raw = body.get(key)
    if isinstance(raw, str):
        raw = load_yaml(raw, key)
    if not isinstance(raw, dict):
        raise RequestError(f"{key} must be a config object or YAML text", field=key)
    return strip_server_keys(raw, key)


def strip_server_keys(config: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    cleaned, removed = without_server_keys(config)
    defaults = {sk.path: sk.default for sk in SERVER_KEYS}
    warnings = [
        f"{where}.{path} is ignored on the server: sweeps use the posted prompt and "
        "live in ComfyUI's output folder under sweeps/<id>/"
        for path, value in removed.items()
        if value != defaults[path]
    ]
    return cleaned, warnings


# The ComfyUI owner may let posted configs read files on this machine (set folders,
# values files); otherwise a client uploads the media and posts the sets inline.
ALLOW_LOCAL_PATHS_ENV = "COMFY_SWEEP_ALLOW_LOCAL_PATHS"


def local_paths_allowed() -> bool:
    return os.environ.get(ALLOW_LOCAL_PATHS_ENV, "") in ("1", "true", "yes")


def refuse_local_paths(config: dict[str, Any], where: str = "config") -> None:
    """A posted config naming files on the server's disk is refused unless allowed."""
    if local_paths_allowed():
        return
    found: list[str] = []
    for section in ("inputs", "shots"):
        part = config.get(section)
        if isinstance(part, dict) and part.get("directory") is not None:
            found.append(f"{where}.{section}.directory")
    params = config.get("parameters")
    for name, entry in (params if isinstance(params, dict) else {}).items():
        if isinstance(entry, dict) and entry.get("values_file") is not None:
            found.append(f"{where}.parameters.{name}.values_file")
    if found:
        raise RequestError(
            f"{found[0]}: files on the ComfyUI machine are not read for a posted config; "
            "upload the media and post the sets inline (inputs.sets), or have the ComfyUI "
            f"owner set {ALLOW_LOCAL_PATHS_ENV}=1",
            field=found[0],
        )


def sweep_request(body: Any) -> SweepRequest:
    body = require_object(body)
    prompt = prompt_field(body)
    config, warnings = config_field(body)
    refuse_local_paths(config)
    workflow = body.get("workflow")
    if workflow is not None and not isinstance(workflow, dict):
        raise RequestError("workflow must be the UI graph (an object) or absent", field="workflow")
    name = optional_str(body, "name", 64)
    if name is not None and (not _NAME.match(name) or ".." in name):
        raise RequestError(
            "name may use letters, digits, space, '.', '_' and '-' (at most 64)", field="name"
        )
    return SweepRequest(
        prompt=prompt,
        config=config,
        workflow=workflow,
        client_id=optional_str(body, "client_id"),
        name=name,
        warnings=warnings,
    )


def sweep_id(value: str) -> str | None:
    """A syntactically valid sweep id, else None (the route answers 404)."""
    return value if _SWEEP_ID.match(value) and ".." not in value else None


def run_id(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise RequestError("run id must be a positive integer", field="run_id")
    return int(value)


def paging(query: Any) -> tuple[int, int]:
    """offset >= 0, 1 <= limit <= 1000 from a query mapping."""
    offset = _int_param(query, "offset", 0)
    limit = _int_param(query, "limit", DEFAULT_PAGE)
    if offset < 0:
        raise RequestError("offset must be >= 0", field="offset")
    if not 1 <= limit <= MAX_PAGE:
        raise RequestError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    return offset, limit


def _int_param(query: Any, key: str, default: int) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise RequestError(f"{key} must be an integer", field=key) from None


_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)


def file_path(raw_path: str, decoded: str) -> str:
    """Reject path forms that try to leave the sweep folder, before resolving.

    ``raw_path`` is the still-encoded request path (to catch ``%2F``/``%5C``
    that would otherwise decode into separators), ``decoded`` the matched tail.
    """
    if _ENCODED_SEPARATOR.search(raw_path):
        raise ForbiddenPath("encoded path separators are not allowed", field="path")
    if not decoded or decoded.startswith(("/", "\\")) or "\\" in decoded or "\x00" in decoded:
        raise ForbiddenPath("path must be relative to the sweep folder", field="path")
    parts = decoded.split("/")
    if any(part in ("", ".", "..") for part in parts) or re.match(r"^[A-Za-z]:", decoded):
        raise ForbiddenPath("path must not contain '.', '..' or empty segments", field="path")
    return decoded
