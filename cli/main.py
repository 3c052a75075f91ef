"""``comfy-sweep``: one command with subcommands; the ``cr-*`` commands are aliases.

Subcommands come from ``COMMANDS`` and are imported only when one is run (or its
own ``--help`` asked for): ``comfy-sweep --help`` and shell completion of the
subcommand names import none of them, and a module that is not there (a
feature not merged yet, a trimmed install) is left out instead of breaking the
others. Adding a command is one line here plus its ``cr-*`` script in pyproject.

Shell completion (click's own): ``eval "$(_COMFY_SWEEP_COMPLETE=bash_source comfy-sweep)"``
(zsh_source, fish_source likewise; README "Shell completion").
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from .. import __version__
from .helptext import (
    CONTEXT_SETTINGS,
    EXIT_TEXT,
    SERVER_ENV,
    format_examples,
    format_exit_codes,
    script,
)

# (subcommand, module relative to comfy_sweep.cli with a click command ``main``, one line)
COMMANDS: list[tuple[str, str, str]] = [
    ("run", ".commands.run", "Run one workflow and save its outputs."),
    ("analyze", ".commands.analyze", "List a workflow's parameters; write a config template."),
    ("batch", ".commands.batch", "Run a parameter sweep from a config; rerun to resume."),
    ("sheet", ".commands.sheet", "Thumbnails and the contact sheet of a batch."),
    ("video-analyze", ".commands.video_analyze", "Analyse videos with a vision provider."),
    ("score", ".score", "Compute or recompute the metrics of a batch."),
    ("convert", ".convert", "Convert a UI-format workflow to API format."),
    ("export", ".export", "Export a batch to SQLite, Parquet, MLflow or Optuna."),
    ("refine", ".refine", "Write the next config, narrowed around a batch's best runs."),
    ("rate", ".rate", "Rate a run (stars) and mark it as a pick."),
    ("explore", ".commands.explore", "Explore a workflow in phases, the winners carried forward."),
]

EXAMPLES = [
    ("analyze workflow_api.json", "Write a config template for a workflow:"),
    ("batch workflow_api_batch_config.yaml", "Run the sweep:"),
    ('sheet "$(comfy-sweep batch sweep.yaml)" --open', "Run it and open the page:"),
    ("batch -h", "Help on one command:"),
]


def _available(module: str) -> bool:
    """Whether the module is installed, without importing it."""
    try:
        return importlib.util.find_spec(module, __package__) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (see module docstring)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, module, _ in COMMANDS if _available(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = [module for name, module, _ in COMMANDS if name == cmd_name]
        if not found or not _available(found[0]):
            return None
        command = importlib.import_module(found[0], __package__).main
        assert isinstance(command, click.Command), found[0]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing from COMMANDS' one-liners: nothing is imported for --help."""
        rows = [(name, text) for name, module, text in COMMANDS if _available(module)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_examples(ctx, formatter, EXAMPLES)
        format_exit_codes(formatter, list(EXIT_TEXT))
        with formatter.section("Environment and completion"):
            formatter.write_text(
                f"{SERVER_ENV} and the other variables shown in each command's help "
                "set options once per shell. Completion: "
                'eval "$(_COMFY_SWEEP_COMPLETE=bash_source comfy-sweep)" '
                "(zsh_source, fish_source). The cr-* commands are aliases "
                "(cr-batch = comfy-sweep batch, cr-contact-sheet = comfy-sweep sheet)."
            )


@click.group(
    cls=LazyGroup,
    context_settings=CONTEXT_SETTINGS,
    help="Automated parameter exploration of ComfyUI workflows.",
)
@click.version_option(__version__, "--version", message="%(prog)s %(version)s")
def main(**_: Any) -> None:
    """The group itself does nothing: each subcommand is a whole command."""


entry = script(main)  # the comfy-sweep console script (pyproject.toml)

if __name__ == "__main__":  # python -m comfy_sweep.cli.main
    main()
