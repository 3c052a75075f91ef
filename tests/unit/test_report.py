"""core/report/sheet.py: the contact sheet's data and page, from batch folders on disk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.contact_sheet import main as contact_sheet_cli
from comfy_sweep.core.errors import StoreError
from comfy_sweep.core.report.sheet import (
    build_report_data,
    primary_output,
    render_contact_sheet,
    script_json,
)
from sheet_fixtures import write_synthetic_batch

PAYLOADS = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a & b <!-- x",
    "line\u2028sep\u2029end",
]


def payload_values(n: int) -> list[dict[str, object]]:
    return [
        {"cfg": 1.5 + i, "label": PAYLOADS[i % len(PAYLOADS)], "seed": 2**60 + i, "fixed": 3}
        for i in range(n)
    ]


def sheet_json(html: str) -> object:
    m = re.search(r'<script type="application/json" id="sheet-data">(.*?)</script>', html, re.S)
    assert m, "embedded data element missing"
    return json.loads(m.group(1))


def test_every_planned_run_is_in_the_data_with_its_state(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 8, failed=[3], pending=[7, 8])
    data = build_report_data(root)
    runs = {r["id"]: r for r in data["runs"]}
    assert sorted(runs) == list(range(1, 9))
    assert runs[3]["status"] == "failed" and "run 3 failed" in runs[3]["error"]
    assert runs[7]["status"] == "pending" and runs[7]["out"] is None
    assert runs[1]["status"] == "done" and runs[1]["kind"] == "image"
    assert runs[1]["out"] == "runs/0001/image_00001_.png"
    assert runs[1]["m"]["file_size"] == (root / runs[1]["out"]).stat().st_size
    assert set(runs[1]["m"]) == {"execution_s", "file_size", "score_quality"}
    assert data["metrics"] == ["execution_s", "file_size", "rating", "score_quality"]
    assert (
        data["batch"]["done"] == 5 and data["batch"]["failed"] == 1 and data["batch"]["total"] == 8
    )


def test_in_flight_runs_show_as_running(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3, pending=[3])
    progress = json.loads((root / "progress.json").read_text())
    progress["submitted"] = {"3": "abc"}
    (root / "progress.json").write_text(json.dumps(progress))
    assert build_report_data(root)["runs"][2]["status"] == "running"


def test_parameter_columns_know_varying_and_numeric(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 4, values=payload_values(4))
    params = {p["name"]: p for p in build_report_data(root)["params"]}
    assert params["cfg"] == {"name": "cfg", "numeric": True, "varying": True}
    assert params["label"]["numeric"] is False and params["label"]["varying"] is True
    assert params["fixed"]["varying"] is False
    assert params["seed"]["numeric"] is True  # big ints travel as digit strings


def test_ints_beyond_2_53_keep_every_digit(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 2, values=payload_values(2))
    runs = build_report_data(root)["runs"]
    assert runs[1]["v"]["seed"] == str(2**60 + 1)
    assert runs[0]["v"]["cfg"] == 1.5


def test_links_are_relative_and_percent_encoded(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 1)
    odd = root / "runs" / "0001" / "a #1?.png"
    odd.write_bytes((root / "runs/0001/image_00001_.png").read_bytes())
    text = (root / "metadata.csv").read_text().replace("image_00001_.png", "a #1?.png")
    (root / "metadata.csv").write_text(text)
    html = render_contact_sheet(root).read_text()
    run = sheet_json(html)["runs"][0]  # type: ignore[index]
    assert run["out"] == "runs/0001/a%20%231%3F.png"
    assert run["params_href"] == "runs/0001/params.json"
    assert str(tmp_path) not in html  # nothing absolute: the folder can move


def test_thumbnail_and_note_are_picked_up(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3, thumbnails=True)
    (root / "thumbnails" / "thumb_0002.jpg").unlink()
    (root / "thumbnails" / "notes.json").write_text(json.dumps({"3": "cannot decode x.png"}))
    runs = build_report_data(root)["runs"]
    assert runs[0]["thumb"] == "thumbnails/thumb_0001.jpg"
    assert runs[1]["thumb"] is None
    assert runs[2]["note"] == "cannot decode x.png"


def test_script_json_cannot_end_the_script_element() -> None:
    text = script_json({"v": PAYLOADS})
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == {"v": PAYLOADS}


def test_payload_values_are_escaped_in_the_page(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b<i>", 4, values=payload_values(4))
    html = render_contact_sheet(root).read_text()
    assert html.count("<script") == 2  # the data element and the code, nothing injected
    assert "<img src=x" not in html and "alert(1)</script>" not in html
    assert "<title>b&lt;i&gt; · contact sheet</title>" in html
    data = sheet_json(html)
    labels = [r["v"]["label"] for r in data["runs"]]  # type: ignore[index]
    assert labels == PAYLOADS  # escaped, yet the values round-trip exactly
    assert html.count('"label":') == 4  # run data embedded once, not repeated per cell


def test_not_a_batch_folder_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a comfy-sweep batch folder"):
        build_report_data(tmp_path)
    with pytest.raises(StoreError, match="is not a folder"):
        build_report_data(tmp_path / "missing")


def test_primary_output_prefers_video_then_image() -> None:
    assert primary_output(["a.txt", "b.png", "c.mp4"]) == "c.mp4"
    assert primary_output(["a.txt", "b.webp"]) == "b.webp"
    assert primary_output(["a.txt"]) is None


def test_cli_writes_page_and_thumbnails(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3, failed=[2])
    result = CliRunner().invoke(contact_sheet_cli, [str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(root / "contact_sheet.html")
    assert sorted(p.name for p in (root / "thumbnails").glob("*.jpg")) == [
        "thumb_0001.jpg",
        "thumb_0003.jpg",
    ]


def test_cli_no_thumbnails(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 2)
    result = CliRunner().invoke(contact_sheet_cli, [str(root), "--no-thumbnails"])
    assert result.exit_code == 0 and not (root / "thumbnails").exists()


def test_cli_bad_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(contact_sheet_cli, [str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no progress.json" in result.output
    assert "Traceback" not in result.output


def test_render_writes_the_data_json_beside_the_page(tmp_path: Path) -> None:
    """A served page of a running sweep polls contact_sheet.json: the same data."""
    root = write_synthetic_batch(tmp_path / "b", 5, values=payload_values(5), pending=[4, 5])
    html = render_contact_sheet(root).read_text()
    text = (root / "contact_sheet.json").read_text()
    assert json.loads(text) == sheet_json(html)
    assert json.loads(text)["batch"]["state"] == "running"
    assert "<" not in text  # same escaping as the embedded copy
    assert not list(root.glob(".*.tmp"))  # written atomically, no temp file left


def test_page_may_only_connect_to_its_own_origin(tmp_path: Path) -> None:
    html = render_contact_sheet(write_synthetic_batch(tmp_path / "b", 1)).read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "connect-src 'self'" in csp.group(1) and "default-src 'none'" in csp.group(1)


def test_cli_open_hands_the_page_to_the_browser(tmp_path: Path) -> None:
    """--open goes through webbrowser, which honours $BROWSER: a script here
    that records its argument. A subprocess, so webbrowser's once-per-process
    browser list is built from this environment."""
    record = tmp_path / "opened.txt"
    fake = tmp_path / "fake-browser"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n')
    fake.chmod(0o755)
    root = write_synthetic_batch(tmp_path / "my batch", 2)
    env = {**os.environ, "BROWSER": str(fake)}
    exe = str(Path(sys.executable).parent / "cr-contact-sheet")
    plain = subprocess.run([exe, str(root), "--no-thumbnails"], env=env, capture_output=True,
                           text=True, timeout=120, check=False)  # fmt: skip
    assert plain.returncode == 0 and not record.exists()  # only with --open
    res = subprocess.run([exe, str(root), "--open", "--no-thumbnails"], env=env,
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    page = root / "contact_sheet.html"
    assert res.stdout.strip() == str(page)
    assert record.read_text().splitlines() == [page.resolve().as_uri()]
    assert record.read_text().startswith("file:///") and "my%20batch" in record.read_text()
