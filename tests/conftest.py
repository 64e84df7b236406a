"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
a cleared environment, and the demo portfolio on a fixed day."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The demo portfolio as of TODAY, without its twelve months of history: the playbook's own scores
    (tests/test_pipeline.py and test_learning.py load the history)."""
    from storage.demo import load_demo

    load_demo(engine, TODAY, history=False)
    return engine


@pytest.fixture
def env_db(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """Point the CLI's settings at the test database and pin today."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TODAY", TODAY.isoformat())
    return database_url
