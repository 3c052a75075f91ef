"""Sweeps on a Ray cluster (optional extra ``comfy-sweep[ray]``): one actor per GPU,
each owning one ComfyUI process on 127.0.0.1; the CLI is the Ray driver and the
only writer of the run store. A Ray worker is one more kind of engine backend
(``core/engine/backend.py``): the same window per slot, placement and faults as a
list of servers. docs/ray.md has the recipes (ray start, KubeRay, SkyPilot, Slurm)."""
