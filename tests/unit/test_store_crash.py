"""Crash atomicity: a store killed between any two writes (or half-way through
one) resumes without loss or duplicates.

A scripted sweep with a fake ComfyUI (an append-only history file standing in
for ComfyUI's /history; no server) runs in a child process that is SIGKILLed
by core/store/atomic.py's crash hook after k durable writes, for every k. The parent
then resumes the batch and checks: every planned run recorded exactly once,
metadata.csv rows unique, progress.json consistent, no temp files, and every
run executed exactly once by "ComfyUI" (a resumed client recognises its own
prompt in the history instead of running it again). Run 3 fails on its first
execution, so the retry path (a rewritten metadata.csv) is crashed too. The
same sweep runs once more with write-behind (core/store/writer.py: the kill
comes from the writer thread, group commit merges writes), as cr-batch and
the server run it.

Run directly (``python test_store_crash.py BATCH HISTORY``) it drives the sweep
once; the exec'd-subprocess test uses that with the environment-variable hook.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from comfy_sweep.core.store import atomic
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.store.writer import OrderedWriter

FAIL_ONCE = 3
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "configs" / "image_grid.yaml"


# ------------------------------------------------------------ the scripted sweep
def read_history(history: Path) -> dict[str, tuple[int, str]]:
    """prompt_id -> (run_id, status) of every prompt "ComfyUI" executed."""
    if not history.exists():
        return {}
    lines = history.read_text(encoding="utf-8").splitlines()
    return {pid: (int(run), status) for pid, run, status in (ln.split() for ln in lines)}


def output_bytes(run_id: int) -> bytes:
    return f"image of run {run_id}\n".encode() * 50


def collect(store: RunStore, run_id: int, prompt_id: str, status: str) -> None:
    """What the engine does once a prompt finished: outputs first, then record."""
    outputs: list[str] = []
    if status == "done":
        dest = store.run_dir(run_id) / "out.png"
        atomic.write_bytes(dest, output_bytes(run_id))
        outputs.append(dest.relative_to(store.root).as_posix())
    error = "" if status == "done" else "node 3: simulated failure"
    rec = RunRecord(run_id, status, {}, prompt_id, 1.0, 2.0, 3.0, 1.0, outputs, error=error)
    store.record_result(rec)


def execute(store: RunStore, run_ids: list[int], history: Path) -> None:
    """Submit ``run_ids`` as one round (ids recorded, one wait for the disk), let
    "ComfyUI" run them, then collect them one after the other."""
    prompt_ids = [str(uuid.uuid4()) for _ in run_ids]
    for run_id, prompt_id in zip(run_ids, prompt_ids, strict=True):
        store.record_submitted(run_id, prompt_id, {"run": run_id})
    store.flushed().result()  # as the engine: the prompts run once their ids are on disk
    statuses = []
    for run_id, prompt_id in zip(run_ids, prompt_ids, strict=True):
        ran_before = any(r == run_id for r, _ in read_history(history).values())
        statuses.append("failed" if run_id == FAIL_ONCE and not ran_before else "done")
        with open(history, "a", encoding="utf-8") as f:  # "ComfyUI" ran it
            f.write(f"{prompt_id} {run_id} {statuses[-1]}\n")
            f.flush()
            os.fsync(f.fileno())
    for run_id, prompt_id, status in zip(run_ids, prompt_ids, statuses, strict=True):
        collect(store, run_id, prompt_id, status)


def drive(root: Path, history: Path, behind: bool = False) -> None:
    """Resume-or-run the whole batch, retrying failed runs once; ``behind``: with
    write-behind and group commit, two runs per round (rows finishing together)."""
    store = RunStore.open(root)
    writer = OrderedWriter() if behind else None
    with store.lock("crash-test driver"):
        store.write_behind(writer)
        store.set_state("running")
        executed = read_history(history)
        for run_id, prompt_id in store.in_flight().items():
            if prompt_id in executed:  # ours, already run: collect, don't rerun
                collect(store, run_id, prompt_id, executed[prompt_id][1])
        per_round = 2 if behind else 1
        for _ in range(2):
            ids = [run.run_id for run in store.pending()]
            for i in range(0, len(ids), per_round):
                execute(store, ids[i : i + per_round], history)
        store.set_state("done")
    if writer is not None:
        store.write_behind(None)
        writer.close()


# ------------------------------------------------------------ checks
def check_complete(root: Path, history: Path) -> None:
    store = RunStore.open(root)
    planned = [r.run_id for r in store.plan.runs]
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ids = [int(r["run_id"]) for r in rows]
    assert sorted(ids) == planned, f"rows {ids} for plan {planned}"
    assert all(r["status"] == "done" for r in rows)
    p = store.progress()
    assert (p["state"], p["done"], p["failed"], p["total"]) == (
        "done",
        len(planned),
        0,
        len(planned),
    )
    assert p["finished"] == [[1, len(planned)]] and p["submitted"] == {} and not store.pending()
    for r in rows:
        assert (root / r["outputs"]).read_bytes() == output_bytes(int(r["run_id"]))
    leftovers = [p.name for p in root.rglob("*") if atomic.is_temp_name(p.name)]
    assert not leftovers and not (root / "store.lock").exists()
    runs = [(run, status) for run, status in read_history(history).values()]
    for run_id in planned:
        expected = (
            [(run_id, "failed"), (run_id, "done")] if run_id == FAIL_ONCE else [(run_id, "done")]
        )
        assert sorted(x for x in runs if x[0] == run_id) == sorted(expected), (run_id, runs)


@pytest.fixture
def pristine(tmp_path: Path) -> Path:
    from comfy_sweep.core.config.load import load_config, resolve_workflow_path
    from comfy_sweep.core.plan.build import build_plan
    from comfy_sweep.core.workflow import load_workflow

    cfg = load_config(EXAMPLE)
    wf = load_workflow(resolve_workflow_path(cfg))
    return RunStore.create(tmp_path / "pristine", cfg, wf, build_plan(cfg, wf)).root


def writes_of_full_sweep(pristine: Path, tmp_path: Path, behind: bool = False) -> int:
    root = Path(shutil.copytree(pristine, tmp_path / "count" / pristine.name))
    before = atomic.write_count()
    drive(root, tmp_path / "count" / "history", behind)
    check_complete(root, tmp_path / "count" / "history")  # the sweep itself is sound
    return atomic.write_count() - before


def crash_child(root: Path, history: Path, k: int, torn: bool, behind: bool = False) -> int:
    """Fork a child that drives the sweep and dies at its k-th write."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        code = 3
        try:
            os.environ[atomic.CRASH_ENV] = str(k)
            os.environ[atomic.CRASH_TORN_ENV] = "1" if torn else ""
            atomic.reload_crash_hook()
            drive(root, history, behind)
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per crash point")
@pytest.mark.parametrize("behind", [False, True], ids=["direct", "write-behind"])
@pytest.mark.parametrize("torn", [False, True], ids=["between-writes", "mid-write"])
def test_killed_at_every_write_resumes_exactly_once(
    pristine: Path, tmp_path: Path, torn: bool, behind: bool
) -> None:
    total = writes_of_full_sweep(pristine, tmp_path, behind)
    assert total > 30  # 6 runs, a failure and a retry: every kind of write is crossed
    killed = 0
    for k in range(total):
        case = tmp_path / f"k{k}"
        root = Path(shutil.copytree(pristine, case / pristine.name))
        status = crash_child(root, case / "history", k, torn, behind)
        # Group commit may merge writes differently from one sweep to the next: a
        # child can then finish before its k-th write.
        finished = behind and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert finished or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL), (
            k,
            status,
        )
        killed += not finished
        drive(root, case / "history", behind)
        try:
            check_complete(root, case / "history")
        except AssertionError as exc:
            raise AssertionError(f"killed after {k} writes (torn={torn}): {exc}") from exc
        shutil.rmtree(case)
    assert killed >= total * 0.8, (killed, total)


def test_environment_hook_kills_a_real_subprocess(pristine: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(pristine, tmp_path / "sub" / pristine.name))
    history = tmp_path / "sub" / "history"
    env = {**os.environ, atomic.CRASH_ENV: "17", atomic.CRASH_TORN_ENV: "1"}
    proc = subprocess.run([sys.executable, __file__, str(root), str(history)], env=env)
    assert proc.returncode in (-signal.SIGKILL if hasattr(signal, "SIGKILL") else 86, 86)
    assert RunStore.open(root).progress()["done"] < len(RunStore.open(root).plan.runs)
    drive(root, history)
    check_complete(root, history)


if __name__ == "__main__":
    drive(Path(sys.argv[1]), Path(sys.argv[2]))
