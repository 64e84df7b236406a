"""Bulk reads straight from the driver's cursor: plain tuples, no result layer, no ORM objects.

A digest reads tens of thousands of rows; SQLAlchemy's per-row processing cost more than the query.
Statements are still built with Core (so they are the same on SQLite and PostgreSQL) and compiled
once; only the values SQLite keeps as text (dates, JSON, booleans) are decoded here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, Select

Row = tuple[Any, ...]


def fetch(conn: Connection, stmt: Select[Any]) -> list[Row]:
    """Every row of a Core SELECT, through the transaction's own driver connection."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        values = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
    params: Any = tuple(values[k] for k in compiled.positiontup or ()) if compiled.positional else values
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        rows: list[Row] = list(cursor.fetchall())
    finally:
        cursor.close()
    decoders = _decoders(stmt.selected_columns) if sqlite else []
    return _decoded(rows, decoders) if decoders else rows


def _decoders(columns: Iterable[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
    """SQLite hands back dates and JSON as text and booleans as 0/1: what to turn back, by position."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for i, col in enumerate(columns):
        kind = col.type
        if isinstance(kind, Date):
            out.append((i, date.fromisoformat))
        elif isinstance(kind, JSON):
            out.append((i, json.loads))
        elif isinstance(kind, Boolean):
            out.append((i, bool))
    return out


def _decoded(rows: list[Row], decoders: list[tuple[int, Callable[[Any], Any]]]) -> list[Row]:
    out = []
    for row in rows:
        values = list(row)
        for i, decode in decoders:
            if values[i] is not None:
                values[i] = decode(values[i])
        out.append(tuple(values))
    return out
