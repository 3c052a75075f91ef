"""Durable file writes for the run store: atomic replace and fsync'd append.

Every state file of a batch goes through this module, so a crash (power loss,
SIGKILL, Ctrl-C at the wrong moment) leaves either the old or the new content,
never a half-written file. ``append_line`` is the one exception by design: it
appends one complete line in one ``write`` call and fsyncs it; a torn last line
is detected and repaired by the reader (see docs/run-store.md).

Crash test hook: when the environment variable ``COMFY_SWEEP_CRASH_AFTER_WRITES``
is set to N, the process kills itself just before its (N+1)-th durable write
(``COMFY_SWEEP_CRASH_TORN=1``: half-way through it instead). Unset, it costs
one integer increment per write. tests/unit/test_store_crash.py uses it to kill a
store between every pair of writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from ..errors import StoreLockedError

TEMP_SUFFIXES = (".tmp", ".part")
CRASH_ENV = "COMFY_SWEEP_CRASH_AFTER_WRITES"
CRASH_TORN_ENV = "COMFY_SWEEP_CRASH_TORN"
GARBAGE_LOCK_AGE_S = 30.0

_writes = 0
_bytes = 0
_crash_after: int | None = None
_crash_torn = False


def reload_crash_hook() -> None:
    """Re-read the crash-hook variables and restart the count (tests that fork
    a child set the variables in the child, then call this)."""
    global _crash_after, _crash_torn, _writes
    raw = os.environ.get(CRASH_ENV)
    _crash_after = int(raw) if raw else None
    _crash_torn = os.environ.get(CRASH_TORN_ENV) == "1"
    _writes = 0


reload_crash_hook()


def write_count() -> int:
    """Durable writes performed by this process (atomic replaces + appends)."""
    return _writes


def bytes_written() -> int:
    """Bytes this process wrote through this module (for linearity checks)."""
    return _bytes


def _die() -> None:
    # SIGKILL where it exists: no atexit, no buffer flush, like a real crash.
    if hasattr(signal, "SIGKILL"):
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(86)


def _tick(size: int) -> bool:
    """Count one durable write; return True if this write must be torn and fatal."""
    global _writes, _bytes
    if _crash_after is not None and _writes >= _crash_after:
        if not _crash_torn:
            _die()
        return True
    _writes += 1
    _bytes += size
    return False


def is_temp_name(name: str) -> bool:
    """Temp files of an interrupted write: never outputs, deleted on repair."""
    return name.endswith(TEMP_SUFFIXES)


def temp_path(path: Path, suffix: str = ".tmp") -> Path:
    """A unique sibling of ``path`` (same folder, so ``os.replace`` stays atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}")


def fsync_dir(folder: Path) -> None:
    """Make a rename or create in ``folder`` durable (POSIX; a no-op on Windows)."""
    if sys.platform == "win32" or not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (network mounts) refuse fsync on directories
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    # Windows refuses to replace a file another process holds open (a viewer,
    # an antivirus scan); such holds are brief, so retry for a moment.
    for attempt in range(20):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == 19:
                raise
            time.sleep(0.05)


def _write_synced(path: Path, mode: str, data: bytes, sync: bool = True) -> None:
    """Write and fsync; under the crash hook, possibly only half of it, then die."""
    torn = _tick(len(data))
    with open(path, mode) as f:
        f.write(data[: len(data) // 2] if torn else data)
        f.flush()
        if sync:
            os.fsync(f.fileno())
    if torn:
        _die()


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Atomically replace ``path`` with ``data`` (temp file, fsync, rename).

    ``durable=False`` keeps the atomic replace (a reader never sees half a file,
    a killed process never leaves one) but skips the two fsyncs, for files the
    store can rebuild from the durable ones (metadata.csv, progress.json's prompt
    ids): fsyncs were 9 per run and capped one driver near 26 runs/s."""
    tmp = temp_path(path)
    _write_synced(tmp, "wb", data, sync=durable)
    try:
        _replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), durable=durable)


def json_text(data: Any) -> str:
    """The JSON text ``write_json`` writes (callers that queue a write serialize early)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    write_text(path, json_text(data))


def append_line(path: Path, line: str) -> None:
    """Append one complete line (must end in a newline) and fsync it."""
    _write_synced(path, "ab", line.encode("utf-8"))


# ------------------------------------------------------------------ lock file
def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _pid_alive_windows(pid: int) -> bool:
    # os.kill(pid, 0) would *terminate* the process on Windows; ask the kernel.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    kernel32.CloseHandle(handle)
    return bool(ok) and code.value == 259  # STILL_ACTIVE


def _host() -> str:
    import socket

    return socket.gethostname()


class LockFile:
    """An exclusive lock file (``O_CREAT | O_EXCL``) naming its holder.

    Content: JSON ``{"holder", "pid", "host", "created_at"}``. A second
    acquirer gets StoreLockedError naming the holder. A lock whose pid is dead
    on this host is stale and taken over: ``acquire`` returns its content.
    """

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self._content: bytes | None = None

    def acquire(self, holder: str) -> dict[str, Any] | None:
        info = {"holder": holder, "pid": os.getpid(), "host": _host(), "created_at": _iso_now()}
        data = (json.dumps(info) + "\n").encode("utf-8")
        if self._try_create(data):
            return None
        current, raw = self._read()
        if not self._is_stale(current) or not self._take_stale(raw):
            self._raise_locked(current)
        if not self._try_create(data):
            self._raise_locked(self._read()[0])
        return current

    def release(self) -> None:
        # Only remove the file if it is still ours (never someone's takeover).
        with contextlib.suppress(OSError):
            if self._content is not None and self.path.read_bytes() == self._content:
                self.path.unlink()
        self._content = None

    def _try_create(self, data: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._content = data
        return True

    def _read(self) -> tuple[dict[str, Any], bytes]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}, b""
        try:
            info = json.loads(raw.decode("utf-8"))
        except ValueError:
            info = None
        return (info if isinstance(info, dict) else {}), raw

    def _is_stale(self, info: dict[str, Any]) -> bool:
        if not info:
            # Empty or garbage: a writer died between create and write, or is
            # writing right now. Only an old one is stale.
            try:
                return time.time() - self.path.stat().st_mtime > GARBAGE_LOCK_AGE_S
            except OSError:
                return False
        pid = info.get("pid")
        return info.get("host") == _host() and isinstance(pid, int) and not _pid_alive(pid)

    def _take_stale(self, raw: bytes) -> bool:
        """Move the stale lock aside; if another process replaced it with a live
        lock in between, put that one back and give up."""
        aside = temp_path(self.path, ".stale")
        try:
            os.replace(self.path, aside)
        except OSError:
            return False
        moved = aside.read_bytes()
        if moved != raw:
            with contextlib.suppress(OSError):
                os.link(aside, self.path)
            with contextlib.suppress(OSError):
                aside.unlink()
            return False
        aside.unlink()
        return True

    def _raise_locked(self, info: dict[str, Any]) -> None:

        who = str(info.get("holder", "another process"))
        pid = f"pid {info.get('pid', '?')}"
        # Holders usually name their pid already ("cr-batch (pid 12)"): say it once.
        where = f"on {info.get('host', '?')}" if pid in who else f"{pid} on {info.get('host', '?')}"
        raise StoreLockedError(
            f"batch {self.label} is in use by {who} ({where}, since {info.get('created_at', '?')}); "
            f"if that process is gone, delete {self.path}",
            details={k: info[k] for k in ("holder", "pid", "host", "created_at") if k in info},
        )


def _iso_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
