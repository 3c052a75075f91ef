"""The next config as YAML text, with comments saying what changed and why."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import yaml


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100).rstrip("\n")


def _comments(lines: Sequence[str], indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in lines]


def render_yaml(
    data: Mapping[str, Any],
    header: Sequence[str],
    top_notes: Mapping[str, Sequence[str]],
    param_notes: Mapping[str, Sequence[str]],
) -> str:
    """``data`` (config_to_dict's shape) with ``header`` on top, each top-level
    key's notes above it and each parameter's notes above that parameter."""
    out = _comments(header)
    for key, value in data.items():
        out += _comments(top_notes.get(key, ()))
        if key != "parameters" or not value:
            out.append(_dump({key: value}))
            continue
        out.append("parameters:")
        for name, body in value.items():
            out += _comments(param_notes.get(name, ()), "  ")
            out.append(textwrap.indent(_dump({name: body}), "  "))
    return "\n".join(out) + "\n"
