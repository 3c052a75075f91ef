"""Rerunning cr-batch (client mode, real ComfyUI): a finished batch is reported,
not rerun; a raised num_samples or a new grid value extends the batch, keeping
every finished run untouched; a change that cannot extend starts a new batch
(or, with --resume DIR, is refused) with extend_plan's reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from test_cli_batch import assert_batch_complete, copy_config, metadata_rows, only_batch

pytestmark = pytest.mark.comfy


def batch(cfg: Path, server: str, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", server, "--mode", "client", *extra])
    return res.exit_code, res.output


def edit(cfg: Path, **changes: object) -> None:
    data = yaml.safe_load(cfg.read_text())
    data.update(changes)
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))


def snapshot(folder: Path) -> dict[str, int]:
    """mtime of every file under the batch's run folders."""
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns
        for p in (folder / "runs").rglob("*")
        if p.is_file()
    }


def history_ids(server) -> set[str]:
    data = server.get_json("/history")
    assert isinstance(data, dict)
    return set(data)


def test_sobol_more_samples_extends_keeping_finished_runs(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_sobol", isolated_cwd, num_samples=4, seeds_per_sample=1)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    folder = only_batch(isolated_cwd / "output")
    first_rows = {r["run_id"]: r for r in metadata_rows(folder)}
    assert len(first_rows) == 4
    before, seen = snapshot(folder), history_ids(comfy_server)

    # The unchanged command again: complete, nothing queued, no new folder.
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert f"batch {Path('output', folder.name)} is already complete (4 runs)" in out
    assert "use --new to run it again" in out and "cr-contact-sheet" in out
    assert only_batch(isolated_cwd / "output") == folder
    assert history_ids(comfy_server) == seen

    edit(cfg, num_samples=8)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert "extending" in out and "4 → 8 runs" in out
    assert only_batch(isolated_cwd / "output") == folder  # the same batch, extended
    rows = assert_batch_complete(folder)
    assert len(rows) == 8 and len({r["run_id"] for r in rows}) == 8
    for run_id, row in first_rows.items():  # finished runs untouched
        kept = next(r for r in rows if r["run_id"] == run_id)
        assert kept["prompt_id"] == row["prompt_id"] and kept["strength"] == row["strength"]
    after = snapshot(folder)
    assert all(after[path] == mtime for path, mtime in before.items())
    new_prompts = history_ids(comfy_server) - seen
    recorded_new = {r["prompt_id"] for r in rows} - {r["prompt_id"] for r in first_rows.values()}
    assert new_prompts == recorded_new and len(new_prompts) == 4  # only the 4 new runs ran

    code, out = batch(cfg, comfy_server.address)  # and the extended batch is now complete
    assert code == 0 and "is already complete (8 runs)" in out


def test_grid_new_value_extends(comfy_server, examples_dir: Path, isolated_cwd: Path) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    folder = only_batch(isolated_cwd / "output")
    assert len(metadata_rows(folder)) == 6
    data = yaml.safe_load(cfg.read_text())
    data["parameters"]["strength"]["values"] = [0.2, 0.6, 0.9]
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert "6 → 9 runs" in out
    rows = assert_batch_complete(only_batch(isolated_cwd / "output"))
    assert sorted(float(r["strength"]) for r in rows).count(0.9) == 3


def test_unextendable_change_starts_new_batch_or_is_refused(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_sobol", isolated_cwd, num_samples=2, seeds_per_sample=1)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    folder = only_batch(isolated_cwd / "output")

    edit(cfg, sampling_strategy="random")
    code, out = batch(cfg, comfy_server.address, "--resume", str(folder))
    assert code == 2
    assert "sampling_strategy changed from sobol to random" in out
    assert len(out.strip().splitlines()) == 1

    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert f"not extending {Path('output', folder.name)}" in out
    assert "sampling_strategy changed from sobol to random" in out
    folders = sorted(p for p in (isolated_cwd / "output").iterdir() if p.is_dir())
    assert len(folders) == 2 and len(metadata_rows(folder)) == 2  # the old batch untouched
