"""The two text transforms the frontend applies when it serializes a widget.

* ``Comfy.DynamicPrompts`` (widgets whose spec has ``dynamicPrompts``, e.g.
  CLIPTextEncode's text): C-style comments are stripped and ``\\{``, ``\\}``,
  ``\\|`` unescaped. A ``{a|b}`` choice is picked at random by the frontend on
  every queue; we keep it verbatim instead, so a sweep can make it an axis,
  and report it.
* ``Comfy.SaveImageExtraOutput`` (``filename_prefix`` of the save nodes, and
  primitives with "Run widget replace on values"): ``%date:yyyy-MM-dd%`` and
  ``%Node name.widget%`` replacements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

_COMMENTS = re.compile(r"/\*[\s\S]*?\*/|//[^\n\r\u2028\u2029]*")
_ESCAPED = re.compile(r"\\([{}|])")
_PLACEHOLDER = re.compile(r"%([^%]+)%")
_DATE_PART = re.compile(r"dd?|MM?|hh?|mm?|ss?|yyy?y?")
_UNSAFE = re.compile(r'[/?<>\\:*|"\x00-\x1f\x7f]')

SAVE_NODE_TYPES = frozenset(
    {
        "SaveImage", "SaveVideo", "SaveAnimatedWEBP", "SaveWEBM", "SaveAudio", "SaveGLB",
        "SaveAnimatedPNG", "CLIPSave", "VAESave", "ModelSave", "LoraSave", "SaveLatent",
    }
)  # fmt: skip


def has_choice(text: str) -> bool:
    """True if ``text`` holds an unescaped ``{`` (a dynamic-prompt choice)."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "{":
            return True
        i += 1
    return False


def dynamic_prompt(text: str) -> str:
    """``processDynamicPrompt`` without the random choice (see module docstring)."""
    stripped = _COMMENTS.sub("", text)
    if has_choice(stripped):
        return stripped
    return _ESCAPED.sub(r"\1", stripped)


def format_date(pattern: str, now: datetime) -> str:
    """The frontend's ``formatDate``: d, M, h, m, s (1 or 2 digits) and yy/yyyy."""

    def part(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "yy":
            return str(now.year)[2:]
        if text == "yyyy":
            return str(now.year)
        values = {"d": now.day, "M": now.month, "h": now.hour, "m": now.minute, "s": now.second}
        if text[0] in values:
            return str(values[text[0]]).rjust(len(text), "0")
        return text

    return _DATE_PART.sub(part, pattern)


def text_replacements(
    value: str, lookup: Callable[[str, str], object | None], now: datetime | None = None
) -> str:
    """``applyTextReplacements``; ``lookup(node_name, widget)`` gives a widget value or None."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(1)
        split = text.split(".")
        if len(split) != 2:
            if split[0].startswith("date:"):
                return format_date(split[0][5:], now or datetime.now())
            return match.group(0)
        found = lookup(split[0], split[1])
        if found is None:
            return match.group(0)
        return _UNSAFE.sub("_", _js_string(found))

    return _PLACEHOLDER.sub(replace, value)


def _js_string(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
