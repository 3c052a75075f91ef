"""The pure core: workflow model, analyzer, config, sampling, plan, run store,
engine and report. Imports nothing from ComfyUI, aiohttp or click."""
