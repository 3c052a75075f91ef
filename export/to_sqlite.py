"""SQLite: one typed ``runs`` table, by sqlite-utils' conventions, with the stdlib only.

Column types follow sqlite-utils (int and bool INTEGER, float REAL, the rest
TEXT; ``run_id`` the INTEGER PRIMARY KEY); timestamps are ISO 8601 text and
lists are JSON arrays, as sqlite-utils stores them, so ``sqlite-utils``,
Datasette and ``json_each()`` read them as they expect. Exporting again
replaces the table and leaves the file's other tables alone.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from .table import BatchTable, Kind

SQL_TYPES: dict[Kind, str] = {
    "int": "INTEGER",
    "bool": "INTEGER",
    "float": "REAL",
    "text": "TEXT",
    "json": "TEXT",
    "time": "TEXT",
    "list": "TEXT",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return int(bool(value))
    if kind == "time" and isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if kind in ("json", "list"):
        return json.dumps(value, ensure_ascii=False)
    return value


def create_sql(table: BatchTable, name: str) -> str:
    cols = [
        f"{_quote(c.name)} {SQL_TYPES[c.kind]}" + (" PRIMARY KEY" if c.name == "run_id" else "")
        for c in table.columns
    ]
    return f"CREATE TABLE {_quote(name)} (\n   " + ",\n   ".join(cols) + "\n)"


def export_sqlite(table: BatchTable, path: Path, name: str = "runs") -> int:
    """Write (or replace) table ``name`` in the database ``path``; returns the rows written."""
    names = [c.name for c in table.columns]
    insert = (
        f"INSERT INTO {_quote(name)} ({', '.join(map(_quote, names))}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    rows = [[_cell(r.row[c.name], c.kind) for c in table.columns] for r in table.runs]
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        with conn:  # one transaction: a failed export leaves the old table
            conn.execute(f"DROP TABLE IF EXISTS {_quote(name)}")
            conn.execute(create_sql(table, name))
            conn.executemany(insert, rows)
    finally:
        conn.close()
    return len(rows)
