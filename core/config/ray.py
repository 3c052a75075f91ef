"""The ``ray:`` section: run the sweep on a Ray cluster, one ComfyUI per worker.

```yaml
ray:
  address: auto            # a cluster address, "auto" (the running cluster), "local" (start one here)
  workers: 4               # default: one per GPU in the cluster (one per CPU slot with cpu: true)
  cpu: false               # true: workers take a CPU slot, not a GPU (testing, CPU clusters)
  window: 2                # prompts kept queued ahead on each worker's ComfyUI
  shared_dir: /mnt/shared/comfy-sweep   # outputs above inline_mb come back through this folder
  inline_mb: 64            # outputs up to this size travel through Ray's object store
  comfyui:                 # the ComfyUI every worker starts (must exist on every node)
    dir: /opt/ComfyUI
    python: /opt/ComfyUI/venv/bin/python
    args: ["--fast"]
    models_dir: /mnt/models   # the models folder every worker reads (extra_model_paths)
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..errors import ConfigError
from .model import KeyPath, RaySpec

RAY_KEYS = ("address", "workers", "cpu", "window", "shared_dir", "inline_mb", "comfyui")
RAY_COMFY_KEYS = ("dir", "python", "args", "models_dir")


class _Reader(Protocol):
    def fail(self, key: KeyPath, msg: str) -> ConfigError: ...
    def text(self, value: Any, key: KeyPath) -> str: ...
    def integer(self, value: Any, key: KeyPath, minimum: int | None = None) -> int: ...
    def number(self, value: Any, key: KeyPath) -> float: ...
    def boolean(self, value: Any, key: KeyPath) -> bool: ...
    def mapping(self, value: Any, key: KeyPath) -> dict[str, Any]: ...
    def warn_unknown(
        self, data: Mapping[str, Any], known: tuple[str, ...], where: KeyPath
    ) -> None: ...


def parse_ray(rd: _Reader, raw: Any) -> RaySpec | None:
    if raw is None:
        return None
    data = rd.mapping(raw, ("ray",))
    rd.warn_unknown(data, RAY_KEYS, ("ray",))
    spec = RaySpec()
    for key in ("address", "shared_dir"):
        if data.get(key) is not None:
            setattr(spec, key, rd.text(data[key], ("ray", key)))
    if data.get("workers") is not None:
        spec.workers = rd.integer(data["workers"], ("ray", "workers"), 1)
    if data.get("window") is not None:
        spec.window = rd.integer(data["window"], ("ray", "window"), 1)
    if data.get("cpu") is not None:
        spec.cpu = rd.boolean(data["cpu"], ("ray", "cpu"))
    if data.get("inline_mb") is not None:
        spec.inline_mb = rd.number(data["inline_mb"], ("ray", "inline_mb"))
        if spec.inline_mb < 0:
            raise rd.fail(("ray", "inline_mb"), f"must be 0 or more, got {spec.inline_mb}")
    _parse_comfy(rd, rd.mapping(data.get("comfyui"), ("ray", "comfyui")), spec)
    return spec


def _parse_comfy(rd: _Reader, data: dict[str, Any], spec: RaySpec) -> None:
    rd.warn_unknown(data, RAY_COMFY_KEYS, ("ray", "comfyui"))
    for key in ("dir", "python", "models_dir"):
        if data.get(key) is not None:
            setattr(spec, f"comfyui_{key}", rd.text(data[key], ("ray", "comfyui", key)))
    args = data.get("args")
    if args is not None:
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise rd.fail(("ray", "comfyui", "args"), "expected a list of strings")
        spec.comfyui_args = list(args)


def ray_to_dict(spec: RaySpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: v for k, v in vars(spec).items() if v is not None and not k.startswith("comfyui_")
    }
    comfy = {
        k.removeprefix("comfyui_"): v
        for k, v in vars(spec).items()
        if k.startswith("comfyui_") and v not in (None, [])
    }
    if comfy:
        out["comfyui"] = comfy
    return out
