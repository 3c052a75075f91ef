"""comfy-sweep: thin entry point; all implementation lives in core/, client/,
cli/, server_routes/, nodes/ and web/.

Two worlds import this file:
- pip installs the repository root as the package ``comfy_sweep`` for the CLI;
  there it must stay inert so ``import comfy_sweep.core`` pulls in no aiohttp
  or ComfyUI module.
- ComfyUI loads it from ``custom_nodes/<folder>/__init__.py`` under a mangled
  module name. ComfyUI imports its ``server`` module before custom nodes, so a
  ``server`` module with ``PromptServer`` tells us we are inside ComfyUI; only
  then do we register nodes and routes (relative imports only).
"""

import sys
from typing import Any

# pytest imports this file as a top-level module when the checkout's folder name is
# not an identifier (a clone named comfy-sweep): no package, so no relative import.
if __package__:
    from .core.version import __version__
else:  # pragma: no cover
    __version__ = "0+checkout"

NODE_CLASS_MAPPINGS: dict[str, Any] = {}
NODE_DISPLAY_NAME_MAPPINGS: dict[str, Any] = {}
WEB_DIRECTORY = "./web"


def _inside_comfyui() -> bool:
    server = sys.modules.get("server")
    return server is not None and hasattr(server, "PromptServer")


if _inside_comfyui():
    from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS  # noqa: F811
    from .server_routes import register as _register

    _register()

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY", "__version__"]
