"""Engine and sessions for any SQLAlchemy URL; SQLite is tuned so concurrent commands wait, not fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

DEFAULT_URL = "sqlite:///expansion_bot.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    """One engine per process: WAL and a busy timeout on SQLite, a pool with pre-ping elsewhere."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def table(model: type[SQLModel]) -> Table:
    """A model's Core table, for bulk reads and writes (SQLModel does not declare it for type checkers)."""
    core: Table = model.__table__  # type: ignore[attr-defined]
    return core


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: all-or-nothing by default."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


MIGRATIONS = Path(__file__).parent / "migrations"
REVISION = re.compile(r"^(down_)?revision\s*(?::[^=]*)?=\s*['\"]?([\w-]+|None)['\"]?", re.MULTILINE)


def head_revisions() -> set[str]:
    """The newest migration(s), read from the files' `revision` lines: no need to import Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, value in REVISION.findall(path.read_text("utf-8")):
            (parents if down else revisions).add(value)
    return revisions - parents


def stored_revisions(engine: Engine) -> set[str]:
    """The revision(s) the database says it is at; none when it has no migration table yet."""
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except DBAPIError:
        return set()


def ensure_schema(engine: Engine) -> None:
    """Upgrade only when the stored revision is not the newest: one small query for every command."""
    if stored_revisions(engine) != head_revisions():
        upgrade(engine)


def upgrade(engine: Engine) -> None:
    """Apply the Alembic migrations up to head on this engine's database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
