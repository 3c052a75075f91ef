"""LiveSheet: debounced, threaded, one render at a time, a final render on flush."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.media.live_sheet import LiveSheet, render_once


class SlowRender:
    """A render that takes ``seconds`` and records overlaps and start times."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __call__(self, root: Path) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.starts.append(time.monotonic())
        time.sleep(self.seconds)
        with self.lock:
            self.active -= 1
            self.ends.append(time.monotonic())


def test_pokes_are_debounced_and_never_block(tmp_path: Path) -> None:
    render = SlowRender(0.1)
    live = LiveSheet(tmp_path, interval=0.3, render=render)
    slowest = 0.0
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        t = time.perf_counter()
        live.poke()
        slowest = max(slowest, time.perf_counter() - t)
        time.sleep(0.005)
    live.flush()
    assert slowest < 0.05  # a poke never waits for the 0.1 s render
    assert render.max_active == 1
    # ~200 pokes over 1.2 s: the first at once, then one per interval after
    # the previous render ended (0.4 s period), plus the final one.
    assert 3 <= len(render.starts) <= 5, render.starts
    gaps = [s - e for e, s in zip(render.ends[:-2], render.starts[1:-1], strict=True)]
    assert all(g >= 0.29 for g in gaps), gaps
    assert live.renders == len(render.starts)


def test_flush_waits_for_a_render_in_progress_then_renders_once(tmp_path: Path) -> None:
    render = SlowRender(0.3)
    live = LiveSheet(tmp_path, interval=10.0, render=render)
    live.poke()
    time.sleep(0.05)  # the first render is under way
    live.poke()  # pending, but the final render covers it
    live.flush()
    assert len(render.starts) == 2 and render.max_active == 1
    assert render.starts[1] >= render.ends[0]
    time.sleep(0.1)
    assert len(render.starts) == 2  # nothing left pending after the flush


def test_worker_exits_when_idle_and_a_new_poke_restarts_it(tmp_path: Path) -> None:
    render = SlowRender(0.0)
    live = LiveSheet(tmp_path, interval=0.05, render=render)
    live.poke()
    time.sleep(0.2)
    assert len(render.starts) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("comfy-sweep sheet")]
    live.poke()
    time.sleep(0.2)
    assert len(render.starts) == 2


def test_context_exit_on_keyboard_interrupt_skips_the_final_render(tmp_path: Path) -> None:
    render = SlowRender(0.0)
    with pytest.raises(KeyboardInterrupt), LiveSheet(tmp_path, 10.0, render):
        raise KeyboardInterrupt
    assert render.starts == []
    with pytest.raises(RuntimeError), LiveSheet(tmp_path, 10.0, render):
        raise RuntimeError("server gone")
    assert len(render.starts) == 1  # an error still leaves the final page


def test_render_once_of_a_non_batch_fails_quietly(tmp_path: Path) -> None:
    assert render_once(tmp_path) is False  # no progress.json: logged, not raised


def test_a_bug_in_the_renderer_is_one_warning_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A template/report mismatch (jinja2 UndefinedError) ended a finished 256-run
    # cr-batch with a traceback and exit 1 from the final render (QA pass).
    from comfy_sweep.media import thumbnails

    def broken(root: Path) -> None:
        raise KeyError("sweep_name")

    monkeypatch.setattr(thumbnails, "ensure_thumbnails", broken)
    with caplog.at_level("WARNING", logger="comfy_sweep.live_sheet"):
        assert render_once(tmp_path) is False
    (line,) = [r.getMessage() for r in caplog.records]
    assert "not refreshed (KeyError: 'sweep_name')" in line and "\n" not in line


def test_prepare_runs_at_once_on_each_poke_while_renders_stay_debounced(tmp_path: Path) -> None:
    render, prepare = SlowRender(0.0), SlowRender(0.0)
    live = LiveSheet(tmp_path, interval=10.0, render=render, prepare=prepare)
    live.poke()
    time.sleep(0.2)  # first render done; the next one is 10 s away
    for _ in range(3):
        live.poke()
        time.sleep(0.1)
    assert len(prepare.starts) == 4  # one per poke: thumbnails never wait for the page
    assert len(render.starts) == 1
    live.flush()
    assert len(render.starts) == 2  # the final page; its thumbnails were already made


def test_new_thumbnails_come_from_the_store_not_from_rereading_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comfy_sweep.core.config.load import load_config, resolve_workflow_path
    from comfy_sweep.core.plan.build import build_plan
    from comfy_sweep.core.store.format import RunRecord
    from comfy_sweep.core.store.runstore import RunStore
    from comfy_sweep.core.workflow import load_workflow
    from comfy_sweep.media import thumbnails
    from comfy_sweep.media.live_sheet import NewThumbnails
    from PIL import Image

    example = Path(__file__).resolve().parents[2] / "examples" / "configs" / "image_grid.yaml"
    cfg = load_config(example)
    wf = load_workflow(resolve_workflow_path(cfg))
    store = RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))

    def finish(run_id: int) -> None:
        out = store.run_dir(run_id) / "out.png"
        Image.new("RGB", (32, 32), (run_id * 40, 0, 0)).save(out)
        rel = out.relative_to(store.root).as_posix()
        store.record_result(RunRecord(run_id, "done", {}, f"p{run_id}", 1, 2, 3, 1, [rel]))

    def whole_batch(*_: object) -> None:
        raise AssertionError("read the whole batch for one new run")

    monkeypatch.setattr(thumbnails, "read_batch", whole_batch)
    made: list[int] = []
    real = thumbnails.thumbnails_for

    def spy(root: Path, outs: dict[int, list[str]], **kw: Any) -> object:
        made.extend(outs)
        return real(root, outs, **kw)

    monkeypatch.setattr(thumbnails, "thumbnails_for", spy)
    prepare = NewThumbnails(store)
    finish(1)
    finish(2)
    assert prepare(store.root) is True and made == [1, 2]
    finish(3)
    store.record_result(RunRecord(4, "failed", {}, "p4", 1, 2, 3, 1, [], error="x"))
    assert prepare(store.root) is True and made == [1, 2, 3]  # only the new done run
    assert prepare(store.root) is True and made == [1, 2, 3]  # nothing new: nothing done
    names = sorted(p.name for p in (store.root / "thumbnails").glob("*.jpg"))
    assert names == ["thumb_0001.jpg", "thumb_0002.jpg", "thumb_0003.jpg"]
