"""The commands cr-batch prints for the user to copy (``next: cr-contact-sheet DIR``)
must work when pasted, also for folders with spaces (QA pass)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from comfy_sweep.cli.batch import report_complete
from comfy_sweep.cli.common import shell_arg
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import Workflow


@pytest.mark.parametrize(
    ("path", "posix", "windows"),
    [
        ("output/batch_1", "output/batch_1", "output/batch_1"),
        ("my out/batch_1", "'my out/batch_1'", '"my out/batch_1"'),
        (r"C:\Users\me\out\batch_1", r"'C:\Users\me\out\batch_1'", r"C:\Users\me\out\batch_1"),
        (r"C:\My Renders\batch_1", r"'C:\My Renders\batch_1'", r'"C:\My Renders\batch_1"'),
        ("a&b", "'a&b'", '"a&b"'),
    ],
)
def test_shell_arg(path: str, posix: str, windows: str) -> None:
    assert shell_arg(path, windows=False) == posix
    assert shell_arg(path, windows=True) == windows


def test_already_complete_hint_quotes_a_folder_with_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = Workflow.from_data({"1": {"class_type": "EmptyImage", "inputs": {"width": 8}}})
    cfg = parse_config("num_samples: 1\n")
    store = RunStore.create(tmp_path / "my renders", cfg, wf, build_plan(cfg, wf))
    assert report_complete(store) == 0
    captured = capsys.readouterr()
    # stdout is only the folder, so $(cr-batch …) captures it; the hint is for people (issue 12)
    assert captured.out == f"{store.root}\n"
    err = captured.err.splitlines()
    assert err[-1].startswith("next: cr-contact-sheet ")
    assert shlex.split(err[-1])[2] == str(store.root)  # one word, the real folder
