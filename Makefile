.PHONY: demo test lint

# Main job on the embedded default: provisions a local ComfyUI, starts it with
# comfy-sweep loaded, runs a sweep of an example workflow, writes the contact sheet.
demo:
	bash scripts/demo.sh

# The whole test suite (installs what it needs on a fresh machine).
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/python scripts/typecheck.py
