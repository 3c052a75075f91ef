"""Scores for every run: the ``metrics:`` config section (spec.py), the built-in
metric catalogue (catalog.py) and the pure numpy math (image.py, video.py,
similarity.py, diversity.py), plus the parsing of scorer answers (results.py).
Arrays in, floats out: decoding lives in media/scoring.py. See docs/metrics.md."""
