"""Batched INSERT … ON CONFLICT upserts (SQLite and PostgreSQL) that count what they really changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Table, Text, bindparam, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import CatalogDoc, utcnow

BATCH = 5_000
INSERTS = {"sqlite": sqlite_insert, "postgresql": pg_insert}


@dataclass
class Counts:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class Writer:
    """Upserts rows into one table in batches.

    Added rows are the table's growth; changed rows are those the upsert returns, since it only
    updates a row whose values differ. Both are exact, and cost two COUNTs per file. On PostgreSQL
    a batch goes as one array per column (`unnest`), many times faster than a VALUES list."""

    def __init__(
        self, conn: Connection, table: Table, key: tuple[str, ...], present: list[str], columns: list[str]
    ) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self.columnar = conn.dialect.name == "postgresql"
        self.statement = upsert_statement(conn.dialect.name, table, key, present, columns)
        self.json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        self.before = self._count()
        self.batch: list[dict[str, Any]] = []
        self.rows = self.changed = 0

    def _count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(self.table)) or 0)

    def add(self, row: dict[str, Any]) -> None:
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            params: Any = self._arrays() if self.columnar else self.batch
            self.changed += len(self.conn.execute(self.statement, params).all())
            self.rows += len(self.batch)
            self.batch = []

    def _arrays(self) -> dict[str, list[Any]]:
        arrays = {c: [row[c] for row in self.batch] for c in self.columns}
        for c in self.json:
            arrays[c] = [json.dumps(v) for v in arrays[c]]
        return arrays

    def finish(self) -> Counts:
        self.flush()
        added = self._count() - self.before
        return Counts(self.rows, added, self.changed - added, self.rows - self.changed)


def upsert_statement(
    dialect: str, table: Table, key: tuple[str, ...], present: list[str], columns: list[str]
) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE the columns the file has, only where a value differs.

    Columns the file does not have keep their stored values."""
    if dialect == "postgresql":
        insert = pg_insert(table).from_select(columns, _unnest(table, columns))
    elif dialect == "sqlite":
        insert = sqlite_insert(table)
    else:
        raise NotImplementedError(f"import supports SQLite and PostgreSQL, not {dialect}")
    update = [c for c in present if c not in key]
    if not update:
        return insert.on_conflict_do_nothing(index_elements=list(key)).returning(table.c[key[0]])

    def differs(name: str) -> Any:
        old, new = table.c[name], insert.excluded[name]
        if isinstance(old.type, JSON):  # PostgreSQL's json type has no equality operator
            return cast(old, Text).is_distinct_from(cast(new, Text))
        return old.is_distinct_from(new)

    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert.excluded[c] for c in update},
        where=or_(*(differs(c) for c in update)),
    ).returning(table.c[key[0]])


def _unnest(table: Table, columns: list[str]) -> Any:
    """SELECT … FROM unnest(:a::type[], :b::type[], …): a batch as one array parameter per column."""

    def is_json(c: str) -> bool:
        return isinstance(table.c[c].type, JSON)

    arrays = [bindparam(c, type_=ARRAY(Text if is_json(c) else table.c[c].type)) for c in columns]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived()
    return select(*(cast(rows.c[c], JSON) if is_json(c) else rows.c[c] for c in columns))


def store_catalog(conn: Connection, document: dict[str, Any]) -> Counts:
    """CatalogDoc 1 holds the whole catalog; an identical document is left alone (and its date)."""
    table = CatalogDoc.__table__
    stored = conn.execute(select(table.c.document).where(table.c.id == 1)).first()
    if stored is not None and stored[0] == document:
        return Counts(rows=1, unchanged=1)
    values = {"document": document, "imported_at": utcnow()}
    insert = INSERTS[conn.dialect.name](table).values(id=1, **values)
    conn.execute(insert.on_conflict_do_update(index_elements=["id"], set_=values))
    return Counts(rows=1, updated=1) if stored else Counts(rows=1, added=1)
