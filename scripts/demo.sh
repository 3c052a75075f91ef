#!/usr/bin/env bash
# The README's main job: provision a local ComfyUI (the embedded default),
# start it with comfy-sweep loaded, run a Sobol sweep of the model-free image
# example through it, write the contact sheet and print where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-dev.sh

work="${COMFY_SWEEP_DEMO_DIR:-$PWD/output/demo-comfyui}"
mkdir -p "$work"
pidfile="$work/comfyui.pid"
echo "starting ComfyUI 0.3.75 with comfy-sweep loaded (log: $work/comfyui.log)" >&2
url=$(.venv/bin/python tests/comfy_harness.py serve --dir "$work" --pidfile "$pidfile")
stop_server() { [[ -f "$pidfile" ]] && kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || true; }
trap stop_server EXIT
echo "ComfyUI is up at $url" >&2

config="${1:-examples/configs/image_sobol.yaml}"
set +e
.venv/bin/cr-batch "$config" --server "$url" --new
rc=$?
set -e
batch=$(ls -1dt output/batch_* 2>/dev/null | head -n 1)
if [[ -z "$batch" ]]; then
  echo "demo: no batch folder was written" >&2
  exit 2
fi
.venv/bin/cr-contact-sheet "$batch"
echo
echo "contact sheet: $PWD/$batch/contact_sheet.html"
exit $rc
