"""The one place that touches ComfyUI's own modules (``server``, ``execution``,
``folder_paths``, ``nodes``).

Everything is imported lazily, on first use, through ``importlib``: the
package stays importable outside ComfyUI (the CLI, route tests), and no
ComfyUI module is pulled in at import time. Inside ComfyUI these are the
top-level modules of the running server (our own ``nodes`` subpackage is only
ever imported relatively, so the names cannot clash).

Facts relied on (see the team notes on ComfyUI internals, checked on
0.3.75): ``PromptServer.instance`` exists before custom nodes load; the queue
is a heap of 5-tuples (<= 0.3.64) or 6-tuples (0.3.75+), told apart by
``PromptQueue.task_done`` accepting ``process_item``; ``validate_prompt`` is
``async (prompt_id, prompt, partial_execution_targets)`` since mid-2025.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("comfy_sweep.server")

OBJECT_INFO_PATH = "/object_info"


def _module(name: str) -> Any:
    return importlib.import_module(name)


class ComfyEnv:
    """Lazy accessors for the running ComfyUI; one instance per process."""

    def prompt_server(self) -> Any:
        return _module("server").PromptServer.instance

    def execution(self) -> Any:
        return _module("execution")

    def output_dir(self) -> Path:
        return Path(_module("folder_paths").get_output_directory())

    def directory_for_type(self, type_name: str) -> Path | None:
        found = _module("folder_paths").get_directory_by_type(type_name)
        return Path(found) if found else None

    def six_tuple_queue(self) -> bool:
        """0.3.75+ items carry a 6th element (sensitive data); a 5-tuple there
        kills the prompt worker thread, a 6-tuple on 0.3.64 breaks history."""
        task_done = self.execution().PromptQueue.task_done
        return "process_item" in inspect.signature(task_done).parameters

    def sensitive_keys(self) -> tuple[str, ...]:
        return tuple(getattr(self.execution(), "SENSITIVE_EXTRA_DATA_KEYS", ()))

    def call_soon(self, fn: Any) -> None:
        """Run ``fn`` on ComfyUI's event loop once it next runs (it is running
        while custom nodes load, so this is within ComfyUI's start-up)."""
        loop = getattr(self.prompt_server(), "loop", None)
        if loop is None:
            log.warning(
                "comfy-sweep: ComfyUI's loop not found; interrupted sweeps are marked on first use"
            )
            return
        loop.call_soon_threadsafe(fn)

    def interrupt(self) -> None:
        _module("nodes").interrupt_processing()

    def own_address(self) -> str | None:
        """host:port this ComfyUI listens on (for ``type: comfy`` scorers), once started."""
        server = self.prompt_server()
        port = getattr(server, "port", None)
        if not port:
            return None
        host = str(getattr(server, "address", "") or "127.0.0.1")
        return f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    def send(self, event: str, data: dict[str, Any]) -> None:
        """Broadcast a websocket event to every open browser (thread-safe)."""
        self.prompt_server().send_sync(event, data)

    async def object_info(self) -> dict[str, Any] | None:
        """The server's own /object_info, produced by its own handler.

        ComfyUI builds it in a closure inside ``PromptServer.__init__``; calling
        the registered handler is the only way to get exactly what the HTTP
        route returns without copying its code. The handler ignores its request.
        """
        for route in self.prompt_server().routes:
            if (
                getattr(route, "method", "") == "GET"
                and getattr(route, "path", "") == OBJECT_INFO_PATH
            ):
                response = await route.handler(None)
                data = json.loads(response.body)
                return data if isinstance(data, dict) else None
        log.warning("comfy-sweep: GET /object_info handler not found; analyzing without it")
        return None

    def recent_run_seconds(self, max_items: int = 64) -> float | None:
        """Median execution time of recent successful prompts in history."""
        history = self.prompt_server().prompt_queue.get_history(max_items=max_items)
        times = sorted(t for t in (_duration(e) for e in history.values()) if t is not None)
        return times[len(times) // 2] if times else None


def _duration(entry: Any) -> float | None:
    """Seconds from execution_start to execution_success in a history entry."""
    status = entry.get("status") if isinstance(entry, dict) else None
    if not isinstance(status, dict):
        return None
    stamps: dict[str, float] = {}
    for message in status.get("messages") or []:
        if (
            isinstance(message, (list, tuple))
            and len(message) == 2
            and isinstance(message[1], dict)
        ):
            ts = message[1].get("timestamp")
            if isinstance(ts, (int, float)):
                stamps[str(message[0])] = float(ts)
    if "execution_start" in stamps and "execution_success" in stamps:
        return max(0.0, (stamps["execution_success"] - stamps["execution_start"]) / 1000.0)
    return None
