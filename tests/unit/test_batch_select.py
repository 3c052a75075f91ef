"""cr-batch's rerun rules (cli/batch_select.py) on real run stores, no server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.config.model import SweepConfig
from comfy_sweep.core.errors import ConfigChangedError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.sweep.select import apply_extension, batch_identity, select_batch
from comfy_sweep.core.workflow import Workflow, load_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp: Path, **changes: object) -> Path:
    data = yaml.safe_load((EXAMPLES / "configs" / "image_sobol.yaml").read_text())
    data["workflow_file"] = str(EXAMPLES / "image_noise_blur.json")
    data.update({"seeds_per_sample": 1, "num_samples": 4, **changes})
    data["output"]["base_dir"] = str(tmp / "out")
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def load(path: Path) -> tuple[SweepConfig, Workflow]:
    cfg = load_config(path)
    return cfg, load_workflow(resolve_workflow_path(cfg))


def select(path: Path, resume_dir: str | None = None, fresh: bool = False):  # type: ignore[no-untyped-def]
    cfg, wf = load(path)
    base = Path(cfg.output.base_dir)
    return select_batch(base, cfg, wf, None, resume_dir=resume_dir, fresh=fresh), cfg  # type: ignore[arg-type]


def create(path: Path, identity: bool = True) -> RunStore:
    cfg, wf = load(path)
    extra = batch_identity(cfg, wf) if identity else {}
    return RunStore.create(Path(cfg.output.base_dir), cfg, wf, build_plan(cfg, wf), extra=extra)


def finish_all(store: RunStore) -> None:
    from comfy_sweep.core.store.format import RunRecord

    for run in store.plan.runs:
        rec = RunRecord(run.run_id, "done", dict(run.values), f"p{run.run_id}", None, None, None,
                        None, [])  # fmt: skip
        store.record_result(rec)
    store.set_state("done")


def test_new_resume_complete(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert select(path)[0].action == "new"
    store = create(path)
    sel = select(path)[0]
    assert sel.action == "resume" and sel.store.root == store.root
    assert "resuming" in sel.notice and "4 of 4 runs to go" in sel.notice
    finish_all(store)
    assert select(path)[0].action == "complete"
    assert select(path, fresh=True)[0].action == "new"


def test_more_samples_extend_and_then_count_as_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = create(path)
    finish_all(store)
    write(tmp_path, num_samples=8)
    sel, cfg = select(path)
    assert sel.action == "extend" and sel.notice.endswith("4 → 8 runs")
    apply_extension(sel, cfg, "test")
    again = RunStore.open(store.root)
    assert len(again.plan.runs) == 8 and len(again.pending()) == 4
    sel2 = select(path)[0]
    assert sel2.action == "resume" and "4 of 8 runs to go" in sel2.notice


def test_unextendable_change(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = create(path)
    write(tmp_path, sampling_strategy="random")
    sel = select(path)[0]
    assert sel.action == "new" and "sampling_strategy changed from sobol to random" in sel.notice
    with pytest.raises(ConfigChangedError, match="sampling_strategy changed"):
        select(path, resume_dir=str(store.root))


def test_other_config_file_or_workflow_is_not_matched(tmp_path: Path) -> None:
    path = write(tmp_path)
    create(path)
    other = tmp_path / "copy.yaml"
    other.write_text(path.read_text())
    assert select(other)[0].action == "new"


def test_legacy_batch_matched_by_fingerprint(tmp_path: Path) -> None:
    path = write(tmp_path)
    store = create(path, identity=False)
    sel = select(path)[0]
    assert sel.action == "resume" and sel.store.root == store.root


def test_a_server_sweep_refusal_gives_the_real_reason_first(tmp_path: Path) -> None:
    # --resume of a server sweep with another config said only "a server sweep cannot
    # be extended from the CLI", hiding that the strategy itself differs (QA pass).
    path = write(tmp_path)
    cfg, wf = load(path)
    extra = {**batch_identity(cfg, wf), "server_sweep_id": "batch_x"}
    store = RunStore.create(Path(cfg.output.base_dir), cfg, wf, build_plan(cfg, wf), extra=extra)
    write(tmp_path, sampling_strategy="random")
    with pytest.raises(ConfigChangedError, match="sampling_strategy changed from sobol to random"):
        select(path, resume_dir=str(store.root))
    write(tmp_path, num_samples=8)  # would extend a client batch
    with pytest.raises(ConfigChangedError, match="a server sweep cannot be extended from the CLI"):
        select(path, resume_dir=str(store.root))
