"""Files saved by Windows tools (BOMs, UTF-16, a legacy code page) load or fail
with one message naming the file, never a UnicodeDecodeError traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfy_sweep.core.config.load import load_config
from comfy_sweep.core.errors import ConfigError, SweepError, WorkflowError
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.textfile import NotText, decode_text
from comfy_sweep.core.workflow import load_workflow

WF = {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64}}}
CFG = (
    "workflow_file: wf.json  # café\nparameters:\n  w: {path: nodes.1.inputs.width, values: [8]}\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_workflow_and_config_with_a_bom_load(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "wf.json").write_text(json.dumps(WF), encoding=encoding)
    (tmp_path / "c.yaml").write_text(CFG, encoding=encoding)
    assert load_workflow(tmp_path / "wf.json").to_json() == WF
    cfg = load_config(tmp_path / "c.yaml")
    assert cfg.workflow_file == "wf.json" and list(cfg.parameters) == ["w"]


def test_object_info_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "oi.json"
    path.write_text(json.dumps({"EmptyImage": {"input": {}}}), encoding="utf-8-sig")
    assert ObjectInfo.load(path).has_class("EmptyImage")


def test_config_in_a_legacy_code_page_is_one_message(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(CFG.encode("cp1252"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message == f"{path}: not UTF-8 text (byte 0xe9 on line 1); save it as UTF-8"


def test_undecodable_workflow_and_object_info_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "wf.json"
    path.write_bytes(b'{"1": {"class_type": "Caf\xe9", "inputs": {}}}')
    with pytest.raises(WorkflowError, match=r"wf\.json: not UTF-8 text \(byte 0xe9 on line 1\)"):
        load_workflow(path)
    with pytest.raises(SweepError, match=r"wf\.json: not UTF-8 text"):
        ObjectInfo.load(path)


def test_decode_text_reports_the_line() -> None:
    with pytest.raises(NotText, match="byte 0xff on line 3"):
        decode_text(b"a\nb\n\xff")
