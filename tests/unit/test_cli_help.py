"""Every command answers -h/--help and --version, in this venv which has no ComfyUI,
with help text for every option, an Examples section and the exit codes; the
umbrella lists every subcommand; each is documented in the README (issue 12)."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from comfy_sweep.cli.main import COMMANDS
from comfy_sweep.cli.main import main as umbrella

ALIASES = {
    "cr-run": "run",
    "cr-analyze": "analyze",
    "cr-batch": "batch",
    "cr-contact-sheet": "sheet",
    "cr-video-analyze": "video-analyze",
    "cr-score": "score",
    "cr-export": "export",
    "cr-refine": "refine",
    "cr-rate": "rate",
    "cr-explore": "explore",
    "cr-convert": "convert",
}
README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent


def exe(name: str) -> str:
    found = shutil.which(name, path=str(BIN))
    assert found, f"{name} is not installed as an entry point"
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def subcommands() -> dict[str, click.Command]:
    """Every subcommand whose module is in this checkout (a later one plugs in by a line)."""
    ctx = click.Context(umbrella)
    names = umbrella.list_commands(ctx)
    found = {name: umbrella.get_command(ctx, name) for name in names}
    return {name: cmd for name, cmd in found.items() if cmd is not None}


@pytest.mark.parametrize("command", [*ALIASES, "comfy-sweep"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_command_help(command: str, flag: str) -> None:
    out = run(exe(command), flag)
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout and "Examples:" in out.stdout and "Exit codes:" in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", [*ALIASES, "comfy-sweep"])
def test_command_version(command: str) -> None:
    from comfy_sweep import __version__

    out = run(exe(command), "--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{command} {__version__}"


def test_umbrella_lists_every_subcommand_without_importing_them() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom comfy_sweep.cli.main import main\n"
        "out = CliRunner().invoke(main, ['--help']).output\n"
        "print(sorted(m for m in sys.modules if m.startswith('comfy_sweep.cli.')))\n"
        "print(out)"
    )
    out = run(sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr
    loaded, _, text = out.stdout.partition("\n")
    # find_spec imports the (empty) commands package, never a command module
    allowed = {"comfy_sweep.cli.commands", "comfy_sweep.cli.helptext", "comfy_sweep.cli.main"}
    assert set(eval(loaded)) <= allowed, loaded
    listed = text[text.index("Commands:") :].split("Examples:")[0]
    names = set(subcommands())
    assert {"run", "analyze", "batch", "sheet", "video-analyze"} <= names
    for name in names:
        assert f"\n  {name} " in listed, name
    assert len(COMMANDS) == len({name for name, _, _ in COMMANDS})


@pytest.mark.parametrize("alias", list(ALIASES))
def test_each_alias_is_the_umbrella_subcommand(alias: str) -> None:
    group = subcommands()[ALIASES[alias]]
    out = run(exe(alias), "-h").stdout
    same = run(exe("comfy-sweep"), ALIASES[alias], "-h").stdout
    assert out.replace(alias, "comfy-sweep " + ALIASES[alias]) == same
    assert group.help


def test_every_option_has_help_and_every_command_examples() -> None:
    for name, cmd in subcommands().items():
        assert cmd.help, name
        assert getattr(cmd, "examples", None), f"{name}: no Examples (cli/helptext.py command())"
        for param in cmd.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                assert param.help, f"{name} {param.opts}: no help text"


def test_a_missing_subcommand_module_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    main_mod = importlib.import_module("comfy_sweep.cli.main")
    extra = ("frobnicate", ".not_written_yet", "Not there.")
    monkeypatch.setattr(main_mod, "COMMANDS", [*main_mod.COMMANDS, extra])
    ctx = click.Context(umbrella)
    assert "frobnicate" not in umbrella.list_commands(ctx)
    assert umbrella.get_command(ctx, "frobnicate") is None


def test_shell_completion_of_subcommands_and_options() -> None:
    env = {"COMP_WORDS": "comfy-sweep ba", "COMP_CWORD": "1"}
    env["_COMFY_SWEEP_COMPLETE"] = "bash_complete"
    out = subprocess.run([exe("comfy-sweep")], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["plain,batch"], out
    env.update(COMP_WORDS="comfy-sweep batch x.yaml --mode ", COMP_CWORD="4")
    out = subprocess.run([exe("comfy-sweep")], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["plain,auto", "plain,client", "plain,server"], out
    script = run_env(exe("comfy-sweep"), _COMFY_SWEEP_COMPLETE="bash_source")
    assert "complete -o nosort -F _comfy_sweep_completion comfy-sweep" in script


def run_env(command: str, **env: str) -> str:
    return subprocess.run([command], env=env, capture_output=True, text=True, timeout=60).stdout


@pytest.mark.parametrize("command", [*ALIASES, "comfy-sweep"])
def test_command_documented_in_readme(command: str) -> None:
    assert f"`{command}" in README.read_text(encoding="utf-8")


def test_video_analyze_frames_default_matches_the_media_module() -> None:
    from comfy_sweep.cli.commands.video_analyze import DEFAULT_FRAMES as shown
    from comfy_sweep.media.vision import DEFAULT_FRAMES

    assert shown == DEFAULT_FRAMES  # the command line may not import media/ at start


def test_exit_now_in_process_is_a_plain_system_exit() -> None:
    from comfy_sweep.cli.helptext import exit_now

    with pytest.raises(SystemExit) as stop:
        exit_now(3)  # under a test runner: never os._exit
    assert stop.value.code == 3
