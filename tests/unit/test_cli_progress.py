"""The batch progress lines (cli/progress.py)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from comfy_sweep.cli.progress import ProgressPrinter, ServerProgress


def _plan(n: int) -> SimpleNamespace:
    runs = [SimpleNamespace(run_id=i, values={"x": float(i)}) for i in range(1, n + 1)]
    return SimpleNamespace(runs=runs)


def _row(run_id: int, status: str = "done") -> dict[str, object]:
    return {"run_id": run_id, "status": status}


def test_server_progress_counts_mirrored_runs_even_when_summary_trails() -> None:
    # The server's summary said done=5 while its run list already held 8 finished
    # runs; the counter printed [-2/16] .. [5/16] before.
    out = io.StringIO()
    progress = ServerProgress(ProgressPrinter(out, tty=False), _plan(16))
    progress({"total": 16, "done": 5, "failed": 0}, [_row(i) for i in range(1, 9)])
    progress({"total": 16, "done": 9, "failed": 0}, [_row(9), _row(10, "failed")])
    counts = [line.split("]")[0].lstrip("[").split()[0] for line in out.getvalue().splitlines()]
    assert counts == [f"{i}/16" for i in range(1, 11)]
    assert "1 failed" in out.getvalue().splitlines()[-1]


def test_server_progress_starts_from_the_runs_already_mirrored() -> None:
    out = io.StringIO()
    progress = ServerProgress(ProgressPrinter(out, tty=False), _plan(4), counts=(2, 1))
    progress({"total": 4, "done": 0, "failed": 0}, [_row(4)])
    assert out.getvalue().startswith("[4/4  1 failed")
