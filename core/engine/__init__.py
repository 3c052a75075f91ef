"""The sweep engine: runs a plan through backend slots into a run store (`engine`),
reading ComfyUI's history (`history`) and pacing its polls (`pacing`)."""
