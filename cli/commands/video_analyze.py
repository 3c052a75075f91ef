"""``cr-video-analyze`` / ``comfy-sweep video-analyze``: the command line; the work
is in cli/video_analyze.py."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..common import handle_errors
from ..helptext import (
    API_BASE_ENV,
    API_KEY_ENV_ENV,
    EXIT_BACKEND,
    EXIT_BUSY,
    EXIT_OK,
    EXIT_RUNS_FAILED,
    EXIT_USAGE,
    PROVIDER_ENV,
    command,
)

DEFAULT_FRAMES = 8  # media/vision.py's DEFAULT_FRAMES (a test keeps them equal)

EXAMPLES = [
    ("clip.mp4 --frames 4 --keep-frames", "Probe one video and sample 4 frames (no provider):"),
    (
        "output/batch_20250101_120000 --provider http --api-base http://127.0.0.1:9000/analyze "
        "--api-key-env VISION_KEY",
        "Score every run's video of a batch; the scores go into metadata.csv:",
    ),
]


@command(
    help="Analyse VIDEO, or every run's video in BATCH_DIR, with a vision provider.",
    examples=EXAMPLES,
    exit_codes=(EXIT_OK, EXIT_RUNS_FAILED, EXIT_USAGE, EXIT_BACKEND, EXIT_BUSY),
)
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--provider",
    type=click.Choice(["noop", "http"]),
    default="noop",
    show_default=True,
    envvar=PROVIDER_ENV,
    show_envvar=True,
    help="noop: probe and sample frames only; http: POST the frames to --api-base.",
)
@click.option("--frames", type=click.IntRange(1, 256), default=DEFAULT_FRAMES, show_default=True,
              help="Frames sampled evenly over the video.")  # fmt: skip
@click.option(
    "--keep-frames", is_flag=True, help="Also save the frames as <video>_frames/frame_NN.jpg."
)
@click.option(
    "--api-base", envvar=API_BASE_ENV, show_envvar=True, help="URL the http provider POSTs to."
)
@click.option(
    "--api-key-env",
    metavar="NAME",
    envvar=API_KEY_ENV_ENV,
    show_envvar=True,
    help="Name of the environment variable holding the API key.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Analysis file (one video only; default <video>_analysis.json).",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@handle_errors
def main(target: Path, **kwargs: object) -> None:
    from ..video_analyze import run_command  # the work, and its imports, only when it runs

    sys.exit(run_command(target, **kwargs))  # type: ignore[arg-type]
