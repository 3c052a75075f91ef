"""The CLI as Ray driver: connect, start one worker actor per GPU (or CPU slot),
hand the engine one backend slot per worker, stop them at the end.

Actors are owned by the driver (not detached): a killed driver takes them and
their ComfyUIs along, and rerunning the same command resumes from the run store
on the driver's disk. Ray restarts a dead actor (``max_restarts=-1``); its
in-flight runs go back to the other workers meanwhile (core/engine/fleet.py).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.config.model import RaySpec, SweepConfig, config_error
from ..core.engine.backend import BackendSlot
from ..core.errors import BackendError, ConfigError, MissingExtraError
from ..core.objectinfo import ObjectInfo
from .backend import RayBackend
from .process import Launch
from .worker import ComfyWorker


@dataclass
class RayFleet:
    actors: list[Any]
    slots: list[BackendSlot]
    info: ObjectInfo
    workers: list[dict[str, Any]]  # what each worker reported when ready

    def shutdown(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor, no_restart=True)


def ray_module() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError(
            "Ray is not installed: pip install 'comfy-sweep[ray]' (on the driver and every node)"
        ) from None
    return ray


def connect(spec: RaySpec) -> None:
    """Join the cluster (``auto``, an address) or start one here (``local``)."""
    ray = ray_module()
    if ray.is_initialized():
        return
    local = spec.address == "local"
    # A cluster started here listens on loopback only.
    extra = {"_node_ip_address": "127.0.0.1"} if local else {}
    try:
        ray.init(address=None if local else spec.address, include_dashboard=False,
                 log_to_driver=False, logging_level="ERROR", **extra)  # fmt: skip
    except ConnectionError as err:
        raise BackendError(
            f"no Ray cluster at {spec.address!r}: {err} (ray start --head, or ray.address: local)",
            details={"address": spec.address},
        ) from None


def launch_of(cfg: SweepConfig, spec: RaySpec) -> Launch:
    """How every worker starts its ComfyUI, checked before Ray starts: a missing
    ``ray.comfyui.dir`` fails here once, not in every actor. The folder itself is
    only checked for a cluster started here (elsewhere it is on the nodes)."""
    comfy_dir = spec.comfyui_dir or os.environ.get("COMFYUI_DIR")
    key = ("ray", "comfyui", "dir")
    if not comfy_dir:
        raise config_error(
            cfg.source, cfg.lines, key,
            "missing; name the ComfyUI folder every node has (or set COMFYUI_DIR)",
        )  # fmt: skip
    if spec.address == "local" and not (Path(comfy_dir) / "main.py").is_file():
        raise config_error(
            cfg.source, cfg.lines, key, f"{comfy_dir} is not a ComfyUI folder (no main.py)"
        )
    python = spec.comfyui_python or os.environ.get("COMFYUI_PYTHON") or "python"
    return Launch(str(Path(comfy_dir)), python, list(spec.comfyui_args), spec.comfyui_models_dir)


def worker_count(spec: RaySpec) -> int:
    if spec.workers is not None:
        return spec.workers
    resources = ray_module().cluster_resources()
    count = int(resources.get("CPU" if spec.cpu else "GPU", 0))
    if count < 1:
        raise ConfigError(
            "ray.workers: the Ray cluster has no GPU; set ray.cpu: true to use CPU slots",
            field="ray.workers",
        )
    return count


async def start_fleet(cfg: SweepConfig, spec: RaySpec) -> RayFleet:
    """One worker per GPU (or CPU slot), each ready with its ComfyUI."""
    ray = ray_module()
    launch = launch_of(cfg, spec)
    worker = ray.remote(ComfyWorker).options(
        num_gpus=0 if spec.cpu else 1,
        num_cpus=1 if spec.cpu else 0,
        max_restarts=-1,
        max_task_retries=0,
    )
    inline = int(spec.inline_mb * 1024 * 1024)
    actors = [worker.remote(launch, inline, spec.shared_dir) for _ in range(worker_count(spec))]
    backends = [RayBackend(a, f"ray-worker-{i}") for i, a in enumerate(actors)]
    try:
        reports = await asyncio.gather(*(b._call("ready") for b in backends))
    except BaseException:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        raise
    slots = [BackendSlot(b, spec.window, b.name, resilient=True) for b in backends]
    info = ObjectInfo(reports[0]["object_info"])
    workers = [{k: v for k, v in r.items() if k != "object_info"} for r in reports]
    return RayFleet(actors, slots, info, workers)
