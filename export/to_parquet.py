"""Parquet: one typed file (pyarrow, the ``comfy-sweep[parquet]`` extra).

Timestamps are ``timestamp[ms, UTC]``, outputs and cached nodes ``list<string>``,
list values of a parameter Arrow lists (or structs) as pyarrow infers them,
falling back to JSON text when the values have no common Arrow type.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .extras import need
from .table import BatchTable, Column

FORMAT_KEY = b"comfy_sweep.batch"


def _array(pa: Any, column: Column, values: list[Any]) -> Any:
    scalar = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "text": pa.string(),
        "time": pa.timestamp("ms", tz="UTC"),
        "list": pa.list_(pa.string()),
    }
    if column.kind in scalar:
        return pa.array(values, type=scalar[column.kind])
    try:
        return pa.array(values)  # json: lists of numbers -> list<double>, dicts -> struct
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else json.dumps(v) for v in values], pa.string())


def export_parquet(table: BatchTable, path: Path) -> int:
    """Write ``path`` (replaced atomically); returns the rows written."""
    pa = need("pyarrow", "parquet")
    pq = need("pyarrow.parquet", "parquet")
    arrays = [_array(pa, c, [r.row[c.name] for r in table.runs]) for c in table.columns]
    schema_meta = {FORMAT_KEY: table.name.encode("utf-8")}
    arrow = pa.Table.from_arrays(arrays, names=[c.name for c in table.columns])
    arrow = arrow.replace_schema_metadata(schema_meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(arrow, tmp)
    os.replace(tmp, path)
    return int(arrow.num_rows)
