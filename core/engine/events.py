"""What the engine tells its caller: an event per step of a run, a summary at the end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..plan.model import PlannedRun


@dataclass
class EngineEvent:
    kind: str  # start | submitted | done | failed | resubmitted | stopping | end
    run: PlannedRun | None
    done: int
    failed: int
    total: int
    eta_s: float | None
    message: str = ""


@dataclass
class EngineSummary:
    done: int
    failed: int
    total: int
    wall_s: float
    execution_s: float  # sum of ComfyUI execution times of runs finished this session
    state: str  # "done" | "interrupted"
    submitted: int = 0
    finished_now: int = 0
    halted: bool = False  # stopped by fail_fast (not by ``stop``): runs are left on purpose
    # server name -> (runs recorded this session, Σ execution seconds); fleets only
    per_server: dict[str, tuple[int, float]] = field(default_factory=dict)


def new_prompt_id() -> str:
    """Our own prompt ids: lowercase uuid4 (what ComfyUI itself would choose)."""
    return str(uuid.uuid4())
