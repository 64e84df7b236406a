"""Every command checks the schema with one query: Alembic is imported and run only when the database is
not at the newest migration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from storage.db import ensure_schema, head_revisions, make_engine, stored_revisions

CHECK = """
import sys
from storage.db import ensure_schema, make_engine
ensure_schema(make_engine(sys.argv[1]))
print("alembic" in sys.modules)
"""
ROOT = Path(__file__).resolve().parents[2]


def alembic_imported(url: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, url], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return done.stdout.strip() == "True"


def test_a_new_database_is_migrated_and_a_current_one_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert alembic_imported(url)  # empty: migrated
    engine = make_engine(url)
    assert stored_revisions(engine) == head_revisions() != set()
    assert "usagesummary" in inspect(engine).get_table_names()
    assert not alembic_imported(url)  # at the newest revision: one query, no Alembic


def test_an_older_revision_is_upgraded(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    ensure_schema(engine)
    from alembic import command
    from alembic.config import Config

    from storage.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert stored_revisions(engine) == {"0001"}
    ensure_schema(engine)
    assert stored_revisions(engine) == head_revisions()
