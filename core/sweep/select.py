"""Which batch folder a ``cr-batch CONFIG`` run continues (the rerun rules).

A batch remembers where it came from in progress.json: the resolved config
file (``config_path``), a hash of the workflow (``workflow_sha256``) and the
fingerprint of the config as the user wrote it (``config_fingerprint``; the
store's own ``fingerprint`` is computed after a drawn sweep_seed and is not
updated by an extension). Rerunning the same command then:

* resumes the newest batch from the same config file and workflow when the
  config is unchanged and the batch is unfinished;
* reports it complete (and runs nothing) when it is finished;
* extends it when the config changed in a way ``extend_plan`` accepts (more
  Sobol/random samples, new grid values), else starts a new batch and says why.

Batches written before these keys existed are matched by ``fingerprint``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.load import config_fingerprint
from ..config.model import SweepConfig
from ..errors import ConfigChangedError, PlanError
from ..objectinfo import ObjectInfo
from ..plan.extend import adds_work, extend_plan
from ..plan.model import Plan
from ..store.format import peek_progress
from ..store.runstore import RunStore
from ..workflow import Workflow


def batch_identity(cfg: SweepConfig, wf: Workflow) -> dict[str, str]:
    """progress.json keys recorded at creation, matched on reruns."""
    text = json.dumps(wf.to_json(), sort_keys=True, separators=(",", ":"))
    return {
        "config_path": str(Path(cfg.source).resolve()),
        "workflow_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "config_fingerprint": config_fingerprint(cfg, wf),
    }


def _matches(progress: dict[str, Any], ident: dict[str, str]) -> bool:
    if "config_path" in progress:
        return bool(
            progress["config_path"] == ident["config_path"]
            and progress.get("workflow_sha256") == ident["workflow_sha256"]
        )
    return bool(progress.get("fingerprint") == ident["config_fingerprint"])


def same_config(progress: dict[str, Any], ident: dict[str, str]) -> bool:
    recorded = progress.get("config_fingerprint", progress.get("fingerprint"))
    return bool(recorded == ident["config_fingerprint"])


def newest_match(base: Path, ident: dict[str, str]) -> Path | None:
    """The newest batch under ``base`` made from the same config file and workflow."""
    if not base.is_dir():
        return None
    found: list[tuple[str, str, Path]] = []
    for child in base.iterdir():
        progress = peek_progress(child) if child.is_dir() else None
        if progress is not None and _matches(progress, ident):
            found.append((str(progress.get("created_at", "")), child.name, child))
    return max(found)[2] if found else None


def is_server_batch(store: RunStore) -> bool:
    return bool(store.progress().get("server_sweep_id"))


@dataclass
class Selection:
    """``action``: new | resume | extend | complete. ``store`` is None for new;
    ``plan`` is the extended plan for extend; ``notice`` is printed as is."""

    action: str
    store: RunStore | None = None
    plan: Plan | None = None
    notice: str = ""
    ident: dict[str, str] = field(default_factory=dict)


def _try_extend(
    store: RunStore,
    cfg: SweepConfig,
    wf: Workflow,
    info: ObjectInfo | None,
    *,
    server: bool = False,
) -> Plan:
    """The extended plan. A server sweep (``server``: allowed) is extended by the
    server's extend route; the plan here only checks that it is an extension."""
    # The plan comparison first: its reason ("sampling_strategy changed from grid to
    # lhs") says more than the server-sweep rule when the config is another one.
    plan = extend_plan(store.plan, store.config, cfg, wf, info)
    if not adds_work(store.plan, plan, store.config, cfg):
        raise PlanError("the changed config adds no runs")
    if is_server_batch(store) and not server:
        raise PlanError(
            "a server sweep cannot be extended from the CLI with --resume; "
            "rerun without --resume to extend it on the server"
        )
    return plan


def _changed(store: RunStore, cfg: SweepConfig, wf: Workflow, info: ObjectInfo | None) -> Selection:
    before = len(store.plan.runs)
    try:
        plan = _try_extend(store, cfg, wf, info, server=True)
    except PlanError as err:
        reason = err.message.removeprefix("cannot extend the batch: ")
        return Selection("new", notice=f"not extending {store.root} ({reason}): new batch")
    notice = f"extending {store.root}: {_growth(store, plan, cfg, before)}"
    return Selection("extend", store, plan, notice)


def _growth(store: RunStore, plan: Plan, cfg: SweepConfig, before: int) -> str:
    if cfg.sampling_strategy == "adaptive":
        return f"budget {store.config.num_samples} → {cfg.num_samples} samples"
    return f"{before} → {len(plan.runs)} runs"


def select_dir(path: Path, cfg: SweepConfig, wf: Workflow, info: ObjectInfo | None) -> Selection:
    """--resume DIR: that batch, unchanged or extended; anything else is refused."""
    store = RunStore.open(path)
    ident = batch_identity(cfg, wf)
    if same_config(store.progress(), ident) or store.fingerprint == ident["config_fingerprint"]:
        return Selection("resume", store, ident=ident)
    try:
        plan = _try_extend(store, cfg, wf, info)
    except PlanError as err:
        raise ConfigChangedError(
            f"{path} was planned from a different config ({err.message}); "
            "restore the config, or run without --resume (or with --new) for a new batch",
            details={"folder": str(path)},
        ) from None
    notice = f"extending {path}: {_growth(store, plan, cfg, len(store.plan.runs))}"
    return Selection("extend", store, plan, notice, ident)


def select_batch(
    base: Path,
    cfg: SweepConfig,
    wf: Workflow,
    info: ObjectInfo | None,
    *,
    resume_dir: str | None,
    fresh: bool,
) -> Selection:
    """The rerun rules above. ``fresh``: --new or ``resume.enabled: false``."""
    ident = batch_identity(cfg, wf)
    if resume_dir:
        return select_dir(Path(resume_dir), cfg, wf, info)
    path = None if fresh else newest_match(base, ident)
    if path is None:
        return Selection("new", ident=ident)
    store = RunStore.open(path)
    progress = store.progress()
    if not same_config(progress, ident):
        sel = _changed(store, cfg, wf, info)
    elif progress["state"] == "done":
        sel = Selection("complete", store)
    else:
        left = len(store.pending())
        note = f"resuming {path} ({left} of {len(store.plan.runs)} runs to go; --new starts afresh)"
        sel = Selection("resume", store, notice=note)
    sel.ident = ident
    return sel


def apply_extension(sel: Selection, cfg: SweepConfig, holder: str) -> None:
    """Write the extended plan and the new config into the batch (under its lock)."""
    assert sel.store is not None and sel.plan is not None
    with sel.store.lock(holder):
        sel.store.replace_plan(sel.plan, cfg)
        sel.store.set_state("queued", config_fingerprint=sel.ident["config_fingerprint"])
