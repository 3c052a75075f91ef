"""Server side of comfy-sweep: /comfy-sweep/ routes on ComfyUI's own aiohttp
server and sweeps queued on its internal queue (docs/routes.md).

``register()`` is called once by the package's root ``__init__`` when it runs
inside ComfyUI. It must run at import time: ComfyUI copies
``PromptServer.instance.routes`` into its app right after custom nodes load,
and routes added later are never served. It only builds objects (no files,
threads or tasks); the service starts its work on the first request. The
one thing scheduled at start is ``SweepService.recover`` (sweeps a killed
ComfyUI left running are marked ``interrupted``), on ComfyUI's own loop.
"""

from __future__ import annotations


def register() -> None:
    """Mount the routes on ComfyUI's route table, served by one SweepService."""
    from . import exploration_routes, refine_routes
    from .comfy_env import ComfyEnv
    from .routes import add_routes
    from .service import ServiceDeps, SweepService

    env = ComfyEnv()
    service = SweepService(ServiceDeps.from_comfy(env))
    add_routes(env.prompt_server().routes, service)
    refine_routes.add_routes(env.prompt_server().routes, service)
    exploration_routes.add_routes(env.prompt_server().routes, service)
    env.call_soon(service.recover)
