"""Shared plumbing for the click commands: one place turns core errors into a
one-line message and an exit code (the table is in cli/helptext.py and
docs/cli.md), so no command ever shows a traceback for bad input."""

from __future__ import annotations

import functools
import os
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from ..client.address import ServerAddress, parse_address
from ..core.errors import (
    BackendError,
    ConfigError,
    PromptRejected,
    StoreLockedError,
    SweepError,
    VisionError,
)
from . import output
from .helptext import (
    EXIT_BACKEND,
    EXIT_BUSY,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNS_FAILED,
    EXIT_USAGE,
)

if TYPE_CHECKING:
    from ..core.workflow import Workflow, WorkflowFile

__all__ = ["EXIT_OK", "EXIT_RUNS_FAILED", "EXIT_USAGE", "EXIT_BACKEND", "EXIT_BUSY"]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_USAGE, envelope: dict[str, Any] | None = None) -> None:
    """Print one line to stderr and exit; with --json also an ``error`` event on
    stdout (the error envelope of core/errors.py plus the exit code)."""
    click.echo(f"error: {message}", err=True)
    error = (envelope or {"error": {"code": "usage", "message": message}})["error"]
    output.emit("error", error=error)
    output.emit_end(code)
    sys.exit(code)


def exit_code(err: SweepError) -> int:
    """ComfyUI unreachable is not bad config: a script retries the one, fixes the other."""
    if isinstance(err, StoreLockedError):
        return EXIT_BUSY
    if isinstance(err, PromptRejected):  # ComfyUI refused the prompt: the workflow's fault
        return EXIT_USAGE
    if isinstance(err, (BackendError, VisionError)):
        return EXIT_BACKEND
    return EXIT_USAGE


_CMD_SPECIAL = " &()^;,=!'`"  # characters that split or change a cmd.exe/PowerShell word


def shell_arg(value: object, windows: bool | None = None) -> str:
    """A path as it must be typed in the hint commands we print (``next: cr-contact-sheet
    DIR``): quoted when it holds spaces or shell characters, so copying the line works.
    cmd.exe and PowerShell take double quotes; POSIX shells get shlex quoting."""
    text = str(value)
    if windows if windows is not None else os.name == "nt":
        return f'"{text}"' if any(c in text for c in _CMD_SPECIAL) else text
    return shlex.quote(text)


def server_option(text: str) -> ServerAddress:
    """``--server ADDR`` parsed; a bad one is blamed on --server, not on the config
    key ``comfyui.server_address`` (cr-run and cr-analyze have no config at all)."""
    try:
        return parse_address(text)
    except ConfigError as err:
        raise ConfigError(err.message, field="--server") from None


def describe(err: SweepError) -> str:
    """One line: the message, plus the field it concerns when the message does not say it."""
    msg = err.message
    if err.field and err.field not in msg:
        msg = f"{err.field}: {msg}"
    return msg


def handle_errors(fn: F) -> F:
    """Decorator for click command bodies: SweepError and OSError become one line
    and their exit code (``exit_code``; OSError is 2), Ctrl-C 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SweepError as err:
            fail(describe(err), exit_code(err), err.to_envelope())
        except OSError as err:
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            msg = f"{err.strerror or err}{where}"
            fail(msg, EXIT_USAGE, {"error": {"code": "os_error", "message": msg}})
        except KeyboardInterrupt:
            fail(
                "interrupted",
                EXIT_INTERRUPTED,
                {"error": {"code": "interrupted", "message": "interrupted"}},
            )
        return None

    return wrapper  # type: ignore[return-value]


class _ObjectInfoSource(Protocol):
    async def object_info(self) -> dict[str, Any]: ...


async def load_with_server(wf_file: WorkflowFile, client: _ObjectInfoSource) -> Workflow:
    """The workflow, a UI-format one converted with the server's /object_info; the
    conversion's notes are printed (stderr)."""
    from ..core.objectinfo import ObjectInfo  # here: the command lines import this module

    info = ObjectInfo(await client.object_info()) if wf_file.is_ui else None
    workflow = wf_file.load(info)
    for text in workflow.notes:
        click.echo(f"note: {text}", err=True)
    return workflow
