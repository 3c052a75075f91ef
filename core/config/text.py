"""Text variations of a parameter: search/replace, templates, wildcards, values files.

* ``type: replace`` — ``search: "a cat"`` with ``values: ["a cat", "a fox"]``
  replaces the words in the workflow's own text (``path``/``paths``); several
  targets linked as one axis with ``replace: [{path, search}, ...]`` and one list
  per value (``values: [[a cat, cats], [a fox, foxes]]``). Parsed into type
  ``values`` with ``ParameterSpec.replace`` set, so sampling treats it as any
  discrete axis.
* ``type: template`` — a text with ``{name}`` slots (other parameters, or lists
  under ``slots:``) rendered by a sandboxed jinja2 environment; without
  ``template:`` the workflow's own text at ``path`` is the template. Derived per
  run, never sampled. ``{red|green|blue}`` in a template is a wildcard: an axis
  named ``<param>_w1``, ``<param>_w2``...
* ``values_file: prompts.txt`` — one value per line (blank lines and ``#`` lines
  skipped), relative to the config file, for any ``values`` parameter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError
from ..textfile import read_user_file
from .model import KeyPath, ParameterSpec, ReplaceTarget, SweepConfig, _show, config_error

if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

# `{name}` (one brace, an identifier) is a slot; `{a|b|c}` (one brace, with bars) a wildcard.
_SLOT = re.compile(r"(?<!\{)\{\s*([A-Za-z_]\w*)\s*\}(?!\})")
_WILDCARD = re.compile(r"(?<!\{)\{([^{}]*\|[^{}]*)\}(?!\})")


class _Reader(Protocol):
    def fail(self, key: KeyPath, msg: str) -> ConfigError: ...
    def text(self, value: Any, key: KeyPath) -> str: ...


# ---- parsing (called by load._parse_param) ---------------------------------------


def parse_replace(rd: _Reader, spec: ParameterSpec, entry: Mapping[str, Any]) -> None:
    """Fill ``spec.replace`` and the replacement values of a ``type: replace`` entry."""
    key = ("parameters", spec.name)
    raw = entry.get("replace")
    if raw is None:
        search = rd.text(entry.get("search"), (*key, "search"))
        if not spec.paths:
            raise rd.fail((*key, "path"), "type replace needs path (the text input to search)")
        spec.replace = [ReplaceTarget(p, search) for p in spec.paths]
        linked = False
    else:
        spec.replace = _replace_targets(rd, spec, raw)
        linked = True
    spec.paths = list(dict.fromkeys(t.path for t in spec.replace))
    if spec.values is not None:
        spec.values = _replacement_values(rd, spec, spec.values, linked)


def _replace_targets(rd: _Reader, spec: ParameterSpec, raw: Any) -> list[ReplaceTarget]:
    key = ("parameters", spec.name, "replace")
    if not isinstance(raw, list) or not raw:
        raise rd.fail(key, f"expected a list of {{path, search}}, got {_show(raw)}")
    targets = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise rd.fail((*key, str(i)), f"expected {{path, search}}, got {_show(item)}")
        path = item.get("path")
        if path is None and len(spec.paths) == 1:
            path = spec.paths[0]  # several words in the parameter's one text
        path = rd.text(path, (*key, str(i), "path"))
        targets.append(ReplaceTarget(path, rd.text(item.get("search"), (*key, str(i), "search"))))
    return targets


def _replacement_values(
    rd: _Reader, spec: ParameterSpec, values: list[Any], linked: bool
) -> list[Any]:
    assert spec.replace is not None
    n = len(spec.replace)
    out: list[Any] = []
    for i, v in enumerate(values):
        vkey = ("parameters", spec.name, "values", str(i))
        if not linked:
            out.append(_replacement(rd, v, vkey))
            continue
        if not isinstance(v, list) or len(v) != n:
            raise rd.fail(
                vkey, f"expected a list of {n} replacements (one per target), got {_show(v)}"
            )
        out.append([_replacement(rd, w, (*vkey, str(j))) for j, w in enumerate(v)])
    return out


def _replacement(rd: _Reader, value: Any, key: KeyPath) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise rd.fail(key, f"expected a text, got {_show(value)}")
    return str(value)


def parse_template(rd: _Reader, spec: ParameterSpec, entry: Mapping[str, Any]) -> dict[str, Any]:
    """Fill ``spec.template``; returns the inline ``slots:`` lists (name -> list)."""
    key = ("parameters", spec.name)
    if entry.get("template") is not None:
        spec.template = rd.text(entry["template"], (*key, "template"))
    if not spec.paths:
        raise rd.fail((*key, "path"), "type template needs path (the text input it fills)")
    slots = entry.get("slots") or {}
    if not isinstance(slots, Mapping):
        raise rd.fail((*key, "slots"), f"expected a mapping of slot: [values], got {_show(slots)}")
    out: dict[str, Any] = {}
    for name, values in slots.items():
        skey = (*key, "slots", str(name))
        if not re.fullmatch(r"[A-Za-z_]\w*", str(name)):
            raise rd.fail(skey, "a slot name is letters, digits and _ (not starting with a digit)")
        if not isinstance(values, list) or not values:
            raise rd.fail(skey, f"expected a non-empty list of values, got {_show(values)}")
        out[str(name)] = list(values)
    return out


def read_values_file(cfg: SweepConfig, spec: ParameterSpec) -> None:
    """``values_file``: one value per line, relative to the config file's folder."""
    key = ("parameters", spec.name, "values_file")
    assert spec.values_file is not None
    if cfg.base_dir is None:
        raise config_error(cfg.source, cfg.lines, key, "is read only from a config file")
    path = Path(spec.values_file).expanduser()
    if not path.is_absolute():
        path = cfg.base_dir / path
    try:
        text = read_user_file(path, "values file", ConfigError)
    except ConfigError as err:
        raise config_error(cfg.source, cfg.lines, key, err.message) from None
    values = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not values:
        raise config_error(cfg.source, cfg.lines, key, f"{path} holds no values (one per line)")
    if spec.replace is not None and len(spec.replace) > 1:
        raise config_error(cfg.source, cfg.lines, key, "linked replacements need values lists")
    spec.values = [*(spec.values or []), *values]


# ---- templates -------------------------------------------------------------------


def wildcard_options(text: str) -> list[tuple[str, list[str]]]:
    """Each ``{a|b|c}`` of a text: (the whole group, its options)."""
    return [(m.group(0), m.group(1).split("|")) for m in _WILDCARD.finditer(text)]


def to_jinja(text: str, wildcard_names: list[str]) -> str:
    """``{slot}`` -> ``{{ slot }}``, the n-th wildcard -> ``{{ <its axis> }}``."""
    names = iter(wildcard_names)
    text = _WILDCARD.sub(lambda m: "{{ " + next(names) + " }}", text)
    return _SLOT.sub(lambda m: "{{ " + m.group(1) + " }}", text)


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    return _env().from_string(source)


@functools.lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    """Built on first use: jinja2 is not imported by every CLI start (issue 12)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def template_names(source: str) -> set[str]:
    """The names a jinja source reads (TemplateSyntaxError when malformed)."""
    import jinja2.meta

    return set(jinja2.meta.find_undeclared_variables(_env().parse(source)))


def render(source: str, values: Mapping[str, Any]) -> str:
    """A template's text for one run (``source`` is already jinja, see ``to_jinja``)."""
    return _compiled(source).render(**{k: _text(v) for k, v in values.items()})


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


def is_linked(spec: ParameterSpec) -> bool:
    """Written as ``replace: [{path, search}, ...]`` (one list of replacements per value)."""
    return spec.replace is not None and any(isinstance(v, list) for v in spec.values or [])


def search_key(spec: ParameterSpec, index: int) -> KeyPath:
    """The config key naming a target's search text."""
    where = ("replace", str(index)) if is_linked(spec) else ()
    return ("parameters", spec.name, *where, "search")


def apply_replace(text: str, search: str, replacement: str) -> str:
    return text.replace(search, replacement)


def replacements(spec: ParameterSpec, value: Any) -> list[tuple[ReplaceTarget, str]]:
    """(target, replacement) pairs of a replace parameter's value."""
    assert spec.replace is not None
    if isinstance(value, list):
        return list(zip(spec.replace, map(str, value), strict=True))
    return [(t, str(value)) for t in spec.replace]


Failer = Callable[[KeyPath, str], ConfigError]
