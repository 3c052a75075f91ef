"""``cr-analyze WORKFLOW --recipes``: the three phase configs of an exploration,
written for a person to edit and run one after the other (the original suite's
``--generate-category-templates``). The same planning as ``comfy-sweep
explore`` (core/explore): what varies, the split of a budget of runs; the
winners a phase should carry into the next are the workflow's own values,
with a comment saying which to replace.
"""

from __future__ import annotations

from typing import Any

from ..analyzer import Analysis
from ..errors import PlanError
from .budget import split_budget
from .hero import render_yaml
from .model import FOLDERS, TITLES, plan_steps
from .phases import Common, step_config
from .space import build_space

RECIPE_BUDGET = 64
_NEXT = {
    "surfing": "then copy the best sampler_name/scheduler (and its seed) into the "
    "search config's fixed values",
    "search": "then copy the best run's values into the seed config's fixed values",
    "seeds": "the best seeds: keep them in a grid (Phase 4) or cr-refine --production",
}


def recipe_name(stem: str, phase: str) -> str:
    return f"{stem}_{FOLDERS[phase]}.yaml"


def recipes(
    analysis: Analysis, workflow_file: str, stem: str, budget: int = RECIPE_BUDGET
) -> dict[str, str]:
    """{file name: YAML text} for every phase the workflow has (none: PlanError)."""
    space = build_space(analysis)
    split = split_budget(
        budget, samplers=len(space.surf[0].candidates) if space.surf else 0,
        schedulers=len(space.surf[1].candidates) if len(space.surf) > 1 else 0,
        has_search=bool(space.search), has_seeds=bool(space.seeds), rounds_allowed=False,
    )  # fmt: skip
    common = Common(workflow_file, {}, None, sweep_seed=1)
    out: dict[str, str] = {}
    for step in plan_steps(split):
        data: dict[str, Any] = step_config(
            common, space, step, {}, (split.samplers, split.schedulers)
        )
        data.pop("sweep_seed", None)  # each run of the recipe draws its own
        data["output"] = {"base_dir": f"output/{FOLDERS[step.phase]}"}
        comments = [
            f"{TITLES[step.phase]} ({step.runs} runs of a {budget}-run exploration), by cr-analyze --recipes.",
            f"Run it with cr-batch, look at the contact sheet, {_NEXT[step.phase]}.",
            "comfy-sweep explore does all three phases and carries the winners by itself.",
        ]
        out[recipe_name(stem, step.phase)] = render_yaml(data, comments)
    if not out:
        raise PlanError("nothing to explore in this workflow")
    return out
