"""metadata.csv's optional columns (server, rating, picked): added once a run
has a value, in a fixed place after ``error``; batches without them read unchanged."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"


def _store(tmp_path: Path) -> RunStore:
    cfg = load_config(EXAMPLES / "image_grid.yaml")
    wf = load_workflow(resolve_workflow_path(cfg))
    return RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))


def _record(store: RunStore, run_id: int, **extra: str) -> None:
    store.record_submitted(run_id, f"p{run_id}", {})
    out = store.run_dir(run_id) / "a.png"
    out.write_bytes(b"x")
    now = time.time()
    store.record_result(
        RunRecord(
            run_id, "done", {}, f"p{run_id}", now, now, now, 1.0,
            [out.relative_to(store.root).as_posix()], extra=extra,
        )
    )  # fmt: skip


def _header(store: RunStore) -> list[str]:
    with open(store.root / "metadata.csv", newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def test_optional_columns_appear_when_used_and_survive_a_reopen(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _record(store, 1)
    assert "server" not in _header(store)  # nothing to say yet: the old layout
    _record(store, 2, server="gpu-1:8188")
    store.merge_scores({2: {"sharpness": 3.5}})
    header = _header(store)
    assert header[header.index("error") + 1 :] == ["server", "score_sharpness"]
    _record(store, 3, rating="4", server="gpu-2:8188")
    header = _header(store)
    assert header[header.index("error") + 1 :] == ["server", "rating", "score_sharpness"]
    again = RunStore.open(store.root)
    recs = {r.run_id: r for r in again.records()}
    assert recs[1].extra == {} and recs[2].extra == {"server": "gpu-1:8188"}
    assert recs[3].extra == {"server": "gpu-2:8188", "rating": "4"}
    assert recs[2].scores == {"sharpness": 3.5}
    assert again.counts() == (3, 0)


def test_set_extra_rates_a_run_and_refuses_what_is_not_a_column(tmp_path: Path) -> None:
    import pytest
    from comfy_sweep.core.errors import StoreError

    store = _store(tmp_path)
    _record(store, 1)
    store.set_extra(1, {"rating": "5", "picked": "true"})
    assert _header(store)[-2:] == ["rating", "picked"]
    assert RunStore.open(store.root).record(1).extra == {"rating": "5", "picked": "true"}  # type: ignore[union-attr]
    store.set_extra(1, {"picked": ""})
    assert RunStore.open(store.root).record(1).extra == {"rating": "5"}  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="not an optional column"):
        store.set_extra(1, {"status": "failed"})
    with pytest.raises(StoreError, match="no metadata row"):
        store.set_extra(2, {"rating": "1"})


def test_the_contact_sheet_shows_the_server_like_a_parameter(tmp_path: Path) -> None:
    from comfy_sweep.core.report.sheet import build_report_data

    store = _store(tmp_path)
    _record(store, 1, server="gpu-1:8188")
    _record(store, 2, server="gpu-2:8188")
    data = build_report_data(store.root)
    runs = {r["id"]: r for r in data["runs"]}
    assert runs[1]["v"]["server"] == "gpu-1:8188" and runs[2]["v"]["server"] == "gpu-2:8188"
    assert "server" in [p["name"] for p in data["params"]]
