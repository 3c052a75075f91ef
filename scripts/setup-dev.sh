#!/usr/bin/env bash
# Everything the tests and the demo need on a fresh machine, idempotent:
# Debian's chromium + ffmpeg, the project venv (.venv), the npm tools of the
# web/ type check (tests/typecheck) and the provisioned ComfyUI.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "installing ${need_apt[*]} (apt)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "warning: ${need_apt[*]} missing and not root; browser/ffmpeg tests will skip" >&2
  fi
fi

PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
if [[ ! -f .venv/.installed ]] || [[ pyproject.toml -nt .venv/.installed ]]; then
  # test-exports: pyarrow, optuna, mlflow-skinny, pandas for the exporters' tests
  # (about 480 MB and 100 s on a fresh venv; kept out of `test` for that reason);
  # ray: the Ray tests (tests/e2e/test_ray_*.py skip without it, so it is checked below).
  .venv/bin/python -m pip install -q -e '.[test,test-exports,ray]' 2>&1 | grep -v "^WARNING: Location" || true
  # fail loudly if the install did not work
  .venv/bin/python -c "import comfy_sweep, pytest, playwright, pyarrow, optuna, mlflow, pandas, ray"
  touch .venv/.installed
fi

# tsc and the ComfyUI frontend's types for the web/ type check
# (tests/unit/test_web_types.py); reinstalled only when the lock file changes.
TC=tests/typecheck
if command -v npm >/dev/null 2>&1; then
  if [[ ! -f $TC/node_modules/.installed ]] || [[ $TC/package-lock.json -nt $TC/node_modules/.installed ]]; then
    (cd "$TC" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$TC/node_modules/.installed"
  fi
else
  echo "warning: npm not found; the web/ type check will skip" >&2
fi

bash scripts/provision-comfyui.sh
