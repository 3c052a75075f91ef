"""Exports of a batch to the tools users already have (docs/export.md).

One module per target over one typed reader (``table.read_batch``); the heavy
packages (pyarrow, mlflow, optuna) are optional extras imported where used.
SQLite needs nothing beyond the standard library.
"""
