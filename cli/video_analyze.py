"""cr-video-analyze: probe a video (or every video of a batch), sample frames and
ask an analysis provider; scores of a batch go into its metadata.csv. The command
line is cli/commands/video_analyze.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..core.errors import ConfigError
from ..media.vision import (
    HttpProvider,
    NoopProvider,
    Provider,
    analysis_path,
    analyze_batch,
    analyze_video,
)
from .commands.video_analyze import main as main  # the click command (tests, python -m)
from .common import EXIT_OK, EXIT_RUNS_FAILED


def make_provider(
    name: str, api_base: str | None, api_key_env: str | None, timeout: float
) -> Provider:
    if name == "noop":
        return NoopProvider()
    if not api_base:
        raise ConfigError("--provider http needs --api-base URL", field="--api-base")
    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:  # names the variable, never a value
            raise ConfigError(
                f"environment variable {api_key_env} is not set", field="--api-key-env"
            )
    return HttpProvider(api_base, api_key=key, timeout=timeout)


def run_command(target: Path, provider: str, frames: int, keep_frames: bool, api_base: str | None,
         api_key_env: str | None, out: Path | None, timeout: float) -> int:  # fmt: skip
    prov = make_provider(provider, api_base, api_key_env, timeout)
    if not target.is_dir():
        record = analyze_video(target, prov, frames=frames, keep_frames=keep_frames, out=out)
        click.echo(str(out or analysis_path(target)))
        if record["scores"]:
            click.echo(json.dumps(record["scores"], sort_keys=True))
        return EXIT_OK
    if out is not None:
        raise ConfigError("--out applies to one video, not a batch folder", field="--out")
    result = analyze_batch(target, prov, frames=frames, keep_frames=keep_frames)
    for run_id, msg in sorted(result.errors.items()):
        click.echo(f"warning: run {run_id}: {msg}", err=True)
    merged = "; scores merged into metadata.csv" if result.merged else ""
    click.echo(f"{len(result.files)} video(s) analysed, {len(result.errors)} failed{merged}")
    return EXIT_RUNS_FAILED if result.errors else EXIT_OK


if __name__ == "__main__":  # python -m comfy_sweep.cli.video_analyze
    main()
