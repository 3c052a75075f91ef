"""cr-refine: the next config from a finished batch (docs/refine.md).

``rank.py`` picks the top runs by a score or the person's rating,
``narrow.py`` narrows each parameter around them, ``render.py`` writes the
YAML with comments saying what changed and why, ``refine.py`` ties them
together for the CLI (cli/refine.py) and the route (server_routes/refine_routes.py).
"""
