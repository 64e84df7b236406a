"""INSERT … ON CONFLICT upserts through the driver (SQLite, PostgreSQL) that count what really changed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import dialect as PgDialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.dialects.sqlite.pysqlite import dialect as SqliteDialect

from storage.db import table
from storage.models import CatalogDoc, utcnow

BATCH = 5_000
pg_dialect, sqlite_dialect = PgDialect(), SqliteDialect()
INSERTS = {"sqlite": sqlite_insert, "postgresql": pg_insert}


@dataclass
class Counts:
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class Writer:
    """Upserts rows into one table through the driver, in batches, and counts what really changed.

    The upsert only touches a row whose values differ, so the driver's row count is the rows added
    or changed; added rows are the table's growth (two COUNTs per file). SQLite gets one
    `executemany` per batch; PostgreSQL gets each batch by COPY into a temporary table and the whole
    file in one INSERT … SELECT … ON CONFLICT at the end. Memory holds one batch."""

    def __init__(
        self, conn: Connection, table: Table, key: tuple[str, ...], present: list[str], columns: list[str]
    ) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        self.dialect = conn.dialect.name
        if self.dialect not in INSERTS:
            raise NotImplementedError(f"import supports SQLite and PostgreSQL, not {self.dialect}")
        self.cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self.json = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        self.dates = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date)]
        self.before = self._count()
        self.batch: list[list[Any]] = []
        self.rows = self.changed = 0
        q = conn.dialect.identifier_preparer.quote
        names = ", ".join(q(c) for c in columns)
        if self.dialect == "postgresql":
            # unique in the transaction: a file refused half way leaves its staging table until the rollback
            self.staging = q(f"import_{table.name}_{uuid.uuid4().hex[:12]}")
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {self.staging} ON COMMIT DROP AS "
                f"SELECT {names} FROM {q(table.name)} WITH NO DATA"
            )
            self.copy = f"COPY {self.staging} ({names}) FROM STDIN"
            source = f"SELECT {names} FROM {self.staging}"
        else:
            source = f"VALUES ({', '.join('?' for _ in columns)})"
        self.statement = upsert_sql(self.dialect, table, key, present, columns, source)

    def _count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(self.table)) or 0)

    def add(self, row: dict[str, Any]) -> None:
        self.batch.append([row[c] for c in self.columns])
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        for values in self.batch:
            for i in self.json:
                values[i] = json.dumps(values[i])
        if self.dialect == "postgresql":
            with self.cursor.copy(self.copy) as copy:
                for values in self.batch:
                    copy.write_row(values)
        else:
            for values in self.batch:
                for i in self.dates:
                    if values[i] is not None:
                        values[i] = values[i].isoformat()
            self.cursor.executemany(self.statement, self.batch)
            self.changed += max(self.cursor.rowcount, 0)
        self.rows += len(self.batch)
        self.batch = []

    def finish(self) -> Counts:
        self.flush()
        if self.dialect == "postgresql":
            self.cursor.execute(self.statement)
            self.changed = max(self.cursor.rowcount, 0)
            self.cursor.execute(f"DROP TABLE {self.staging}")
        self.cursor.close()
        added = self._count() - self.before
        return Counts(self.rows, added, self.changed - added, self.rows - self.changed)


def upsert_sql(
    dialect: str,
    table: Table,
    key: tuple[str, ...],
    present: list[str],
    columns: list[str],
    source: str,
) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE the columns the file has, only where a value differs.

    Columns the file does not have keep their stored values; PostgreSQL's json type has no equality
    operator, so JSON values are compared as text."""
    quote = (pg_dialect if dialect == "postgresql" else sqlite_dialect).identifier_preparer.quote
    name = quote(table.name)
    insert = f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) {source}"
    conflict = f" ON CONFLICT ({', '.join(quote(k) for k in key)})"
    update = [c for c in present if c not in key]
    if not update:
        return insert + conflict + " DO NOTHING"

    def differs(c: str) -> str:
        old, new = f"{name}.{quote(c)}", f"excluded.{quote(c)}"
        if isinstance(table.c[c].type, JSON):
            old, new = f"CAST({old} AS TEXT)", f"CAST({new} AS TEXT)"
        return f"{old} IS NOT {new}" if dialect == "sqlite" else f"{old} IS DISTINCT FROM {new}"

    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
    where = " OR ".join(differs(c) for c in update)
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the upsert, not to a join
    glue = " WHERE true" if source.startswith("SELECT") else ""
    return f"{insert}{glue}{conflict} DO UPDATE SET {sets} WHERE {where}"


def store_catalog(conn: Connection, document: dict[str, Any]) -> Counts:
    """CatalogDoc 1 holds the whole catalog; an identical document is left alone (and its date)."""
    core = table(CatalogDoc)
    stored = conn.execute(select(core.c.document).where(core.c.id == 1)).first()
    if stored is not None and stored[0] == document:
        return Counts(rows=1, unchanged=1)
    values = {"document": document, "imported_at": utcnow()}
    insert: Any = INSERTS[conn.dialect.name](core).values(id=1, **values)
    conn.execute(insert.on_conflict_do_update(index_elements=["id"], set_=values))
    return Counts(rows=1, updated=1) if stored else Counts(rows=1, added=1)
