"""What every command's ``--help`` shares: ``-h``, ``--version``, an Examples
section, the exit-code table and the environment variables.

Imports click and nothing heavy: every command module imports this at start-up,
and ``--help`` must answer at once (issue 12)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from .. import __version__

# Exit codes: the same meaning in every command (README "Exit codes", docs/cli.md).
EXIT_OK = 0
EXIT_RUNS_FAILED = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_BUSY = 4
EXIT_INTERRUPTED = 130

EXIT_TEXT = {
    EXIT_OK: "success",
    EXIT_RUNS_FAILED: "some runs (videos, metrics) failed; the others were recorded",
    EXIT_USAGE: "bad usage, config, workflow or value; a file that cannot be read or written",
    EXIT_BACKEND: "ComfyUI (or the vision provider) unreachable or misbehaving",
    EXIT_BUSY: "the batch is locked by another running process",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); rerun the same command to resume",
}

# Environment variables for the options a user would otherwise type on every call.
SERVER_ENV = "COMFY_SWEEP_SERVER"
AUTH_TOKEN_ENV_ENV = "COMFY_SWEEP_AUTH_TOKEN_ENV"
MODE_ENV = "COMFY_SWEEP_MODE"
WINDOW_ENV = "COMFY_SWEEP_WINDOW"
TIMEOUT_ENV = "COMFY_SWEEP_TIMEOUT"
OUT_ENV = "COMFY_SWEEP_OUT"
WORKERS_ENV = "COMFY_SWEEP_THUMBNAIL_WORKERS"
PROVIDER_ENV = "COMFY_SWEEP_VISION_PROVIDER"
API_BASE_ENV = "COMFY_SWEEP_VISION_API_BASE"
API_KEY_ENV_ENV = "COMFY_SWEEP_VISION_API_KEY_ENV"

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

F = TypeVar("F", bound=Callable[..., Any])
_FAST_EXIT = False  # set by ``script``: running as a console script, not under a test runner


def format_examples(
    ctx: click.Context, formatter: click.HelpFormatter, examples: Sequence[tuple[str, str]]
) -> None:
    """Each example as what it does, then the command line (with this command's
    own name: ``cr-batch`` or ``comfy-sweep batch``)."""
    if not examples:
        return
    with formatter.section("Examples"):
        for i, (args, what) in enumerate(examples):
            if i:
                formatter.write_paragraph()
            formatter.write_text(what)
            line = f"$ {ctx.command_path} {args}".rstrip()
            # written as is: a rewrapped command line could not be copied
            formatter.write(f"{' ' * (formatter.current_indent + 2)}{line}\n")


def format_exit_codes(formatter: click.HelpFormatter, codes: Sequence[int]) -> None:
    with formatter.section("Exit codes"):
        formatter.write_dl([(str(code), EXIT_TEXT[code]) for code in codes])


class SweepCommand(click.Command):
    """A click command whose help ends with Examples and the exit codes."""

    def __init__(
        self,
        *args: Any,
        examples: Sequence[tuple[str, str]] = (),
        exit_codes: Sequence[int] = tuple(EXIT_TEXT),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.examples = list(examples)
        self.exit_codes = list(exit_codes)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        format_examples(ctx, formatter, self.examples)
        format_exit_codes(formatter, self.exit_codes)


def command(
    help: str,
    examples: Sequence[tuple[str, str]],
    exit_codes: Sequence[int] = tuple(EXIT_TEXT),
    name: str | None = None,
) -> Callable[[F], click.Command]:
    """``@click.command`` with -h, --version, Examples and the exit-code table."""

    def decorate(fn: F) -> click.Command:
        fn = click.version_option(__version__, "--version", message="%(prog)s %(version)s")(fn)
        return click.command(
            name,
            cls=SweepCommand,
            help=help,
            examples=examples,
            exit_codes=exit_codes,
            context_settings=CONTEXT_SETTINGS,
        )(fn)

    return decorate


def server_opt(default: str | None, help: str) -> Callable[[F], F]:
    """``--server``, also read from COMFY_SWEEP_SERVER."""
    return click.option(
        "--server",
        default=default,
        metavar="ADDR",
        envvar=SERVER_ENV,
        show_envvar=True,
        show_default=default is not None,
        help=help,
    )


def auth_opt() -> Callable[[F], F]:
    return click.option(
        "--auth-token-env",
        default=None,
        metavar="NAME",
        envvar=AUTH_TOKEN_ENV_ENV,
        show_envvar=True,
        help="Name of the environment variable holding a bearer token for a ComfyUI "
        "behind an auth proxy (the token itself is never an option).",
    )


def json_opt(what: str) -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=what)


def script(cmd: click.Command) -> Callable[[], None]:
    """The console-script entry of ``cmd``: as ``cmd.main()``, but a command that
    ends with ``exit_now`` exits without the interpreter's teardown."""

    def entry() -> None:
        global _FAST_EXIT
        _FAST_EXIT = True
        cmd.main()

    return entry


def exit_now(code: int) -> NoReturn:
    """Exit with ``code``. From a console script (``script``), once stdout, stderr
    and logging are flushed, skip the interpreter's teardown: freeing numpy,
    Pillow, aiohttp… took ~0.2 s after a sweep had ended (issue 12). Only for
    commands whose every file is closed and thread joined by then (cr-batch,
    cr-run: atomic writes, the sheet's final render done); in-process callers
    (tests) get a plain SystemExit."""
    if _FAST_EXIT:
        import logging

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: nothing left to say
                stream.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)
