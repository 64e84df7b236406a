"""The Alembic migrations that `db upgrade` and every command run build exactly the schema of
storage/models.py, on SQLite and PostgreSQL (the other tests build their tables from the models)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.db import make_engine, upgrade


def test_the_migrations_build_the_models_schema(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []
