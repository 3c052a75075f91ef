"""UI → API conversion against the ComfyUI frontend's own, on every official template.

Starts one ComfyUI 0.3.75 (tests/comfy_harness.py) with its bundled frontend
(1.32.9) in Chromium, and for each UI-format template of the
comfyui-workflow-templates packages in ComfyUI's venv compares
``(await app.graphToPrompt()).output`` after ``app.loadGraphData`` with
comfy_sweep's ``convert_ui_workflow`` using the same server's ``/object_info``.
Prints the share of equal conversions among templates whose node types the
server knows (target ≥ 95 %) and the reason for every other one.

    .venv/bin/python benchmarks/bench_ui_convert.py [--limit N] [--report out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from comfy_harness import ComfyServer, comfyui_python  # noqa: E402
from comfy_sweep.core.errors import WorkflowError  # noqa: E402
from comfy_sweep.core.uiformat import convert_ui_workflow  # noqa: E402
from comfy_sweep.core.uiformat.model import parse_document  # noqa: E402
from frontend_convert import (  # noqa: E402
    comfy_site_packages,
    frontend_page,
    frontend_prompt,
    object_info,
    template_files,
)

FRONTEND_ONLY = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}


def unknown_types(wf: dict[str, Any], info: dict[str, Any]) -> list[str]:
    doc = parse_document(wf, "template")
    graphs = [doc.root, *doc.subgraphs.values()]
    types = {n.type for g in graphs for n in g.nodes.values() if n.mode not in (2, 4)}
    return sorted(t for t in types - FRONTEND_ONLY - set(doc.subgraphs) if t not in info)


def diff(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    lines = []
    for node_id in sorted(set(ours) | set(theirs)):
        a, b = ours.get(node_id), theirs.get(node_id)
        if a == b:
            continue
        if a is None or b is None:
            lines.append(f"node {node_id}: only in {'frontend' if a is None else 'ours'}")
            continue
        for k in sorted(set(a["inputs"]) | set(b["inputs"])):
            if a["inputs"].get(k, "∅") != b["inputs"].get(k, "∅"):
                lines.append(
                    f"node {node_id} {k}: ours {a['inputs'].get(k, '∅')!r:.80} "
                    f"frontend {b['inputs'].get(k, '∅')!r:.80}"
                )
        for k in ("class_type",):
            if a.get(k) != b.get(k):
                lines.append(f"node {node_id} {k}: ours {a.get(k)!r} frontend {b.get(k)!r}")
    return lines


def title_diffs(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """``_meta.title`` is ignored by ComfyUI; the frontend localizes default titles."""
    return [
        f"node {k}: ours {ours[k]['_meta'].get('title')!r} frontend {theirs[k]['_meta'].get('title')!r}"
        for k in sorted(set(ours) & set(theirs))
        if ours[k].get("_meta") != theirs[k].get("_meta")
    ]


def compare_one(page: Any, path: Path, info: dict[str, Any]) -> dict[str, Any]:
    wf = json.loads(path.read_text(encoding="utf-8"))
    row: dict[str, Any] = {"template": path.stem}
    missing = unknown_types(wf, info)
    if missing:
        row["status"] = "unknown node types"
        row["reason"] = ", ".join(missing)
    try:
        ours: dict[str, Any] | None = convert_ui_workflow(wf, info, source=path.name).prompt
    except WorkflowError as err:
        ours, row["ours_error"] = None, err.message
    theirs = frontend_prompt(page, wf)
    if missing:
        row["refused"] = ours is None
        return row
    if ours is None:
        row["status"], row["reason"] = "refused", row["ours_error"]
    elif "error" in theirs:
        row["status"], row["reason"] = "frontend failed", theirs["error"]
    else:
        lines = diff(ours, theirs["output"])
        row["status"] = "equal" if not lines else "different"
        row["diff"] = lines
        row["titles"] = title_diffs(ours, theirs["output"])
    return row


def summary(rows: list[dict[str, Any]]) -> None:
    known = [r for r in rows if r["status"] != "unknown node types"]
    equal = [r for r in known if r["status"] == "equal"]
    print(f"templates: {len(rows)}; node types known to the server: {len(known)}")
    pct = 100.0 * len(equal) / len(known) if known else 0.0
    print(f"equal to the frontend's graphToPrompt: {len(equal)}/{len(known)} = {pct:.1f} %")
    for r in known:
        if r["status"] != "equal":
            print(f"  {r['status']}: {r['template']}: {r.get('reason', '')}")
            for line in r.get("diff", [])[:6]:
                print(f"      {line}")
    titles = sorted({t.split(": ", 1)[1] for r in known for t in r.get("titles", [])})
    print(f"default titles that differ (ComfyUI ignores _meta): {len(titles)}")
    for line in titles:
        print(f"  {line}")
    unknown = [r for r in rows if r["status"] == "unknown node types"]
    refused = sum(1 for r in unknown if r.get("refused"))
    print(f"unknown node types: {len(unknown)} templates, {refused} refused by us with a reason:")
    for name, count in Counter(r["reason"] for r in unknown).most_common():
        example = next(r for r in unknown if r["reason"] == name)
        print(f"  {count} × missing {name}")
        print(f"      ours: {example.get('ours_error', '(converted anyway)')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N templates")
    ap.add_argument("--only", default="", help="only templates whose name contains this")
    ap.add_argument("--report", type=Path, help="write every row as JSON here")
    args = ap.parse_args()
    files = template_files(comfy_site_packages(comfyui_python()))
    files = [f for f in files if args.only in f.stem][: args.limit or None]
    with tempfile.TemporaryDirectory() as tmp:
        server = ComfyServer(Path(tmp), link_package=False).start()
        try:
            info = object_info(server.url)
            started = time.monotonic()
            with frontend_page(server.url) as page:
                rows = [compare_one(page, f, info) for f in files]
            took = time.monotonic() - started
        finally:
            server.stop()
    summary(rows)
    print(f"({len(files)} templates compared in {took:.0f} s)")
    if args.report:
        args.report.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
