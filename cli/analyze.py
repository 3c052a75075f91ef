"""cr-analyze: list a workflow's parameters and write a sweep config template.

Thin: loads the workflow and object_info, calls core.analyzer, prints. The
command line is cli/commands/analyze.py.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import click

from ..client.comfyui import ComfyClient
from ..core.analyzer import Analysis, ParamInfo, analyze
from ..core.analyzer_inputs import files_block, has_loaders, suggest_input_files
from ..core.config.template import render_config_template
from ..core.explore.recipes import recipes as phase_recipes
from ..core.objectinfo import ObjectInfo
from ..core.workflow import Workflow, load_workflow
from .commands.analyze import main as main  # the click command (tests, python -m)
from .common import fail, server_option

SUFFIX = "_batch_config.yaml"  # the original suite's name: <workflow stem>_batch_config.yaml


async def _fetch_object_info(address: str) -> dict[str, Any]:
    async with ComfyClient(server_option(address), timeout=10.0) as client:
        return await client.object_info()


def load_object_info(server: str | None, saved: Path | None) -> ObjectInfo | None:
    """From a server (BackendError if unreachable), a saved file, or neither."""
    if saved is not None:
        return ObjectInfo.load(saved)
    if server is not None:
        return ObjectInfo(asyncio.run(_fetch_object_info(server)))
    return None


def _suggestion_text(p: ParamInfo) -> str:
    s = p.suggestion
    kind = s.get("type")
    if kind in ("continuous", "linear"):
        step = f" step {s['step']}" if "step" in s else ""
        return f"{kind} {s['min']}..{s['max']}{step}"
    if kind == "values":
        values = s.get("values", [])
        if len(values) == 1:
            return "fixed"
        return "values " + ", ".join(_short(v, 16) for v in values)
    return str(kind)


def _short(value: Any, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_table(analysis: Analysis) -> str:
    """Human table: one row per literal input; '*' marks the parameters enabled by default."""
    header = ("", "path", "kind", "category", "value", "suggestion")
    rows = [
        ("*" if p.enabled else "", p.path, p.kind, p.category, _short(p.value, 28),
         _suggestion_text(p))
        for p in analysis.params
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join(lines)


def _write_config(analysis: Analysis, workflow: Path, output: Path, force: bool) -> None:
    if output.exists() and not force:
        fail(f"{output} exists; pass --force to overwrite or -o to choose another")
    where = workflow_file_for(workflow, output)
    output.write_text(render_config_template(analysis, where), encoding="utf-8")


def workflow_file_for(workflow: Path, config: Path) -> str:
    """``workflow_file`` as the config should say it: relative to the config's folder
    when both share a folder below the root, else absolute (no ``../../../work/...``
    climbing to the root; on Windows another drive has no relative path at all)."""
    wf, folder = workflow.resolve(), config.resolve().parent
    try:
        shared = Path(os.path.commonpath([wf, folder]))
    except ValueError:  # different drives
        return wf.as_posix()
    if shared == Path(shared.anchor):
        return wf.as_posix()
    return Path(os.path.relpath(wf, folder)).as_posix()


def _print_report(analysis: Analysis, output: Path | None) -> None:
    click.echo(format_table(analysis))
    for warning in analysis.warnings:
        click.echo(f"warning: {warning}", err=True)
    for p in analysis.params:
        for warning in p.warnings:
            click.echo(f"warning: {p.path}: {warning}", err=True)
    if output is not None:
        enabled = sum(p.enabled for p in analysis.params)
        click.echo(f"\nwrote {output} ({enabled} of {len(analysis.params)} parameters enabled)")


def run_command(
    workflow: Path, output: Path | None, server: str | None, object_info: Path | None,
    as_json: bool, force: bool, recipes: bool = False,
) -> None:  # fmt: skip
    if server and object_info:
        fail("give either --server or --object-info, not both")
    info = load_object_info(server, object_info)
    wf = load_workflow(workflow, info)  # a UI-format one is converted with info
    for text in wf.notes:
        click.echo(f"note: {text}", err=True)
    analysis = analyze(wf, info)
    if recipes:
        _write_recipes(analysis, workflow, output or Path.cwd(), force)
        return
    if output is None and not as_json:
        output = Path.cwd() / f"{workflow.stem}{SUFFIX}"
    if output is not None:
        _write_config(analysis, workflow, output, force)
    if as_json:
        click.echo(json.dumps(analysis.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_report(analysis, output)
        _print_input_sets(wf)


def _write_recipes(analysis: Analysis, workflow: Path, folder: Path, force: bool) -> None:
    """The phase configs of core/explore/recipes.py, each naming the workflow relative to it."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = phase_recipes(analysis, workflow_file_for(workflow, folder / "x.yaml"), workflow.stem)
    taken = [name for name in texts if (folder / name).exists()]
    if taken and not force:
        fail(
            f"{folder / taken[0]} exists; pass --force to overwrite or -o to choose another folder"
        )
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {folder / name}")
    for warning in analysis.warnings:
        click.echo(f"warning: {warning}", err=True)


def _print_input_sets(wf: Workflow) -> None:
    """For a workflow with loaders: the ``inputs:`` section that runs it over set folders."""
    candidates = suggest_input_files(wf)
    if has_loaders(candidates):
        click.echo("\nto run it over folders of inputs (docs/config.md, Input sets), add:")
        click.echo("inputs:\n  directory: sets  # one folder per set\n" + files_block(candidates))
