"""The console channel as an operator uses it: `chat` (an interactive session on stdin), replies that
wrap instead of being cut at the terminal's width, and `db upgrade`."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import inspect, make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.console import show
from handlers.reply import notice
from storage.db import make_engine

runner = CliRunner()
TEAMS = ["bangkok", "ho-chi-minh", "jakarta", "kuala-lumpur", "manila", "singapore"]


@pytest.fixture
def demo(env_db: str) -> str:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return env_db


def printed(reply, width: int) -> list[str]:  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO())
    show(reply, console)
    return console.export_text().splitlines()


def test_a_long_title_wraps_inside_the_panel_and_a_short_one_sits_in_the_border() -> None:
    title = f'Unknown team "atlantis". Teams: {", ".join(TEAMS)}.'
    lines = printed(notice("digest", title), 60)
    assert all(len(line) <= 60 for line in lines)
    words = " ".join(line.strip("│ ") for line in lines[1:3])
    assert words == title  # every word, in order, on the panel's first two lines
    short = printed(notice("prep", "Call prep — Kopi Nusantara", "a line", ok=True), 60)
    assert short[0].startswith("╭─ Call prep — Kopi Nusantara ─")


def test_a_long_bullet_wraps_under_its_text_not_under_its_bullet() -> None:
    bullet = "• Tim Bapak sudah 2 kali meminta laporan gabungan dan laporan lintas lokasi kepada kami."
    lines = [line.strip("│").rstrip() for line in printed(notice("objection", "Budget", bullet), 40)[1:-1]]
    text = [line for line in lines if line.strip()]
    assert text[0].startswith(" • Tim Bapak") and len(text) > 2
    assert all(line.startswith("   ") and line[3] != " " for line in text[1:])
    assert " ".join(line.strip() for line in text) == bullet


def test_an_unknown_team_lists_every_team_at_80_columns(demo: str) -> None:
    result = runner.invoke(app, ["digest", "--team", "atlantis"], terminal_width=80)
    assert result.exit_code == 1
    assert all(len(line) <= 80 for line in result.output.splitlines())
    assert all(team in result.output for team in TEAMS), result.output


def test_chat_answers_each_line_and_remembers_the_account(demo: str) -> None:
    session = "prep Kopi Nusantara\n\ndraft it for WhatsApp\nquit\nprep Batik Sentosa\n"
    result = runner.invoke(app, ["chat", "--as", "dewi@example.com"], input=session)
    assert result.exit_code == 0, result.output
    assert "Call prep — Kopi Nusantara" in result.output
    assert "Draft for Kopi Nusantara — whatsapp" in result.output  # "it" is the account just prepped
    assert "Batik Sentosa" not in result.output  # nothing runs after `quit`


def test_chat_ends_quietly_at_the_end_of_input(demo: str) -> None:
    result = runner.invoke(app, ["chat"], input="pipeline\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("╭─") == 1 and "Traceback" not in result.output


def test_db_upgrade_builds_the_schema_once_and_hides_the_password(env_db: str, monkeypatch) -> None:
    url = env_db
    if make_url(url).get_backend_name() == "postgresql":  # trust auth here: any password is accepted
        url = make_url(url).set(password="db-upgrade-s3cret").render_as_string(hide_password=False)
        monkeypatch.setenv("DATABASE_URL", url)
    for _ in range(2):  # the second run finds the newest schema and changes nothing
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "Database at the newest schema" in result.output
        assert "s3cret" not in result.output
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"account", "team", "csm", "alembic_version"} <= tables
