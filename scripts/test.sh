#!/usr/bin/env bash
# The README's test command: installs what it needs, then runs every test
# (JS unit tests with node, then pytest: unit, route, real-ComfyUI, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-dev.sh

status=0
if command -v node >/dev/null 2>&1 && compgen -G "tests/js/*.test.mjs" >/dev/null; then
  node --test tests/js/ || status=$?
else
  echo "node not found or no JS tests: skipping node --test" >&2
fi

set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exit 5 means "no tests collected": that must never pass silently.
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests" >&2
  exit 5
fi
if [[ $rc -ne 0 ]]; then exit $rc; fi
exit $status
