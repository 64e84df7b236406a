"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
a cleared environment, and the demo portfolio on a fixed day.

The demo is loaded once per run into a template (a SQLite file, a PostgreSQL schema) and copied into each
test's own database: every test still gets an independent database, without paying the import each time.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import make_engine


def _postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "")


TODAY = date(2026, 11, 24)  # a Tuesday; the demo portfolio is generated relative to it
SETTINGS_PREFIXES = ("OPENAI_", "SLACK_", "TWILIO_", "LANGSMITH_", "LANGCHAIN_")
SETTINGS_NAMES = (
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "PORT",
    "TODAY",
    "DIGEST_DAYS",
    "DIGEST_CAP",
    "LOG_LEVEL",
    "DIGEST_MISFIRE_GRACE_MINUTES",
    "HOST",
    "RUN_SCHEDULER",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No test sees the developer's keys or another test's settings; `.env` is not read."""
    for name in list(os.environ):
        if name.startswith(SETTINGS_PREFIXES) or name in SETTINGS_NAMES:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


DATABASES = ["sqlite", "postgresql"] if _postgres_url() else ["sqlite"]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, and with TEST_DATABASE_URL also a private schema on that
    PostgreSQL server (every test that touches a database runs on both)."""
    pg = _postgres_url()
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in pg else "?"
    yield f"{pg}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Engine], None]]:
    """Copies the demo into an engine's database (built at first use, once per run and database kind)."""
    built: dict[str, str] = {}  # dialect name -> the template's SQLite path or PostgreSQL schema

    def build(url: str) -> None:
        from storage.demo import load_demo

        eng = make_engine(url)
        SQLModel.metadata.create_all(eng)
        load_demo(eng, TODAY, history=False)
        eng.dispose()

    def copy_into(engine: Engine) -> None:
        kind = engine.dialect.name
        if kind == "sqlite":
            if kind not in built:
                built[kind] = str(tmp_path_factory.mktemp("demo-template") / "demo.db")
                build(f"sqlite:///{built[kind]}")
            _copy_sqlite(built[kind], engine)
            return
        if kind not in built:
            built[kind] = f"demo_{uuid.uuid4().hex[:12]}"
            with make_engine(_postgres_url()).begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {built[kind]}"))
            sep = "&" if "?" in _postgres_url() else "?"
            build(f"{_postgres_url()}{sep}options=-csearch_path%3D{built[kind]}")
        _copy_postgres(built[kind], engine)

    yield copy_into
    if "postgresql" in built:
        admin = make_engine(_postgres_url())
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {built['postgresql']} CASCADE"))
        admin.dispose()


def _copy_sqlite(template: str, engine: Engine) -> None:
    """SQLite's online backup: the template's pages replace the test database's, whole."""
    source = sqlite3.connect(template)
    target = engine.raw_connection()
    try:
        source.backup(target.driver_connection)  # type: ignore[arg-type]
    finally:
        target.close()
        source.close()


def _copy_postgres(template: str, engine: Engine) -> None:
    """Every table's rows from the template schema (same metadata, same column order), then each id
    sequence moved past the copied ids."""
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            name = quote(table.name)
            conn.execute(text(f"INSERT INTO {name} SELECT * FROM {template}.{name}"))
        serials = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() "
                "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')"
            )
        ).all()
        for table_name, column in serials:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({quote(column)}), 1), "
                    f"MAX({quote(column)}) IS NOT NULL) FROM {quote(table_name)}"
                ),
                {"t": quote(table_name), "c": column},
            )


@pytest.fixture
def demo_engine(engine: Engine, demo_template: Callable[[Engine], None]) -> Engine:
    """The demo portfolio as of TODAY, without its twelve months of history: the playbook's own scores
    (tests/test_pipeline.py and test_learning.py load the history)."""
    demo_template(engine)
    return engine


@pytest.fixture
def env_db(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """Point the CLI's settings at the test database and pin today."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TODAY", TODAY.isoformat())
    return database_url
