"""Who is asking decides what they see: a CSM their own team's accounts, a lead every team's, the operator's
console everything. Every refusal says why, and a first command without --as says whose view it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.reply import Reply
from storage import models as db
from storage.importer import ImportFailed, import_paths

SITI = "siti@example.com"  # Kuala Lumpur, a CSM
BUDI = "budi@example.com"  # Jakarta, a CSM
DEWI = "dewi@example.com"  # Jakarta, the demo's lead
TEAMS = ("bangkok", "ho-chi-minh", "jakarta", "kuala-lumpur", "manila", "singapore")


def say(engine: Engine, text: str, caller: str, channel: str = "slack") -> Reply:
    ctx = Context(
        engine=engine, today=TODAY, caller_email=caller, user_key=f"{channel}:{caller}", channel=channel
    )
    return handle_text(text, ctx)


def outcomes(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(db.Outcome)) or 0


# --- authorisation by team --------------------------------------------------------------------------


def test_a_csm_of_another_team_is_refused_with_the_reason(demo_engine: Engine) -> None:
    reply = say(demo_engine, "prep Kopi Nusantara", SITI)
    assert not reply.ok
    assert reply.title == "Kopi Nusantara is team jakarta's account (owner: Dewi Lestari)."
    assert reply.sections[0].lines == (
        "You are in team kuala-lumpur, and a CSM sees and records only their own team's accounts. "
        "Ask Dewi Lestari or your lead (a lead, role lead in csms.csv, sees every team).",
    )
    assert not reply.forward and "brief" not in reply.data  # nothing of the account is shown
    for text in ("expansion ID-001", "draft Kopi Nusantara", "objection Kopi Nusantara budget"):
        assert "You are in team kuala-lumpur" in say(demo_engine, text, SITI).text, text


def test_a_csm_cannot_record_an_outcome_on_another_teams_account(demo_engine: Engine) -> None:
    before = outcomes(demo_engine)
    reply = say(demo_engine, "outcome Kopi Nusantara won", SITI, channel="whatsapp")
    assert not reply.ok and reply.title == "Kopi Nusantara is team jakarta's account (owner: Dewi Lestari)."
    assert outcomes(demo_engine) == before
    assert say(demo_engine, "outcome Kopi Nusantara maybe Tier 2", BUDI).ok  # Budi is in Jakarta
    assert outcomes(demo_engine) == before + 1


def test_a_lead_and_the_operator_see_every_team(demo_engine: Engine) -> None:
    assert say(demo_engine, "prep Kedai Kopi Damai", SITI).ok  # her own team
    assert say(demo_engine, "prep Kedai Kopi Damai", DEWI).ok  # a lead: any team
    assert say(demo_engine, "prep Kedai Kopi Damai", "", channel="console").ok  # the operator
    as_budi = say(demo_engine, "prep Kedai Kopi Damai", BUDI, channel="console")  # --as acts as Budi
    assert not as_budi.ok and "You are in team jakarta" in as_budi.text


def test_another_teams_digest_is_refused_with_the_reason(demo_engine: Engine) -> None:
    reply = say(demo_engine, "digest jakarta", SITI)
    assert not reply.ok
    assert reply.title == "The jakarta digest is for team jakarta; you are in team kuala-lumpur."
    assert "Ask for `digest` (your team's)" in reply.text
    assert say(demo_engine, "digest", SITI).data["team"] == "kuala-lumpur"
    assert say(demo_engine, "digest kuala-lumpur", DEWI).ok


def test_role_is_optional_in_csms_csv_and_checked_when_given(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "teams.csv").write_text(
        "team,slack_channel,timezone,digest_time\njakarta,#cs,Asia/Jakarta,8:30\n"
    )
    (tmp_path / "csms.csv").write_text("email,name,team\na@example.com,Ana,jakarta\n")
    import_paths(engine, [tmp_path])  # no role column: imports as before
    (tmp_path / "csms.csv").write_text("email,name,team,role\na@example.com,Ana,jakarta,lead\n")
    import_paths(engine, [tmp_path])
    with Session(engine) as session:
        assert session.get(db.Csm, "a@example.com").role == "lead"  # type: ignore[union-attr]
    (tmp_path / "csms.csv").write_text("email,name,team,role\na@example.com,Ana,jakarta,boss\n")
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [tmp_path])
    assert failed.value.errors == [f"{tmp_path / 'csms.csv'}:2: role: must be one of csm, lead (got 'boss')"]


# --- a new user's first commands on the console -------------------------------------------------------

runner = CliRunner()
BOX = str.maketrans("", "", "│╭╮╰╯─")  # the console's panel borders


def ask(*args: str) -> str:
    result = runner.invoke(app, ["ask", *args])
    assert result.exit_code in (0, 1), result.output
    return " ".join(result.output.translate(BOX).split())  # as read, whatever the terminal's width


@pytest.fixture
def demo(env_db: str) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0


def test_a_digest_without_a_team_says_which_team_and_why_and_lists_the_others(demo: None) -> None:
    text = ask("digest")
    assert "No team given and not asking as a CSM, so this is bangkok: the first team." in text
    assert "Teams: " + ", ".join(TEAMS) in text and "`digest TEAM`" in text
    ask("prep Lion City Dental Group")  # a Singapore account, remembered for the operator's console
    text = ask("digest")
    assert "so this is singapore: the team of Lion City Dental Group, the account asked about last." in text
    reply = json.loads(runner.invoke(app, ["ask", "digest", "--json"]).output)
    assert reply["team"] == "singapore" and "Lion City Dental Group" in reply["team_chosen"]
    assert "No team given" not in ask("digest", "--as", SITI)  # a CSM's own team needs no explaining


def test_expansion_mine_without_as_lists_the_csms_one_could_be(demo: None) -> None:
    text = ask("expansion mine")
    assert "Whose accounts? Ask as a CSM: `expansion mine` with --as EMAIL." in text
    assert (
        "dewi@example.com (Dewi Lestari, jakarta)" in text
        and "siti@example.com (Siti Aminah, kuala-lumpur)" in text
    )
    assert "Your accounts" in ask("expansion mine", "--as", DEWI)


def test_a_stranger_on_the_console_is_told_whose_view_this_is(demo: None) -> None:
    text = ask("prep Kopi Nusantara", "--as", "stranger@example.com")
    assert "stranger@example.com is not a registered CSM, so this answer is the operator's view" in text
    assert "On Slack or WhatsApp they would be told: “Sorry, I can only help registered" in text
    assert (
        "A CSM sees their own team's accounts" in text and "dewi@example.com (Dewi Lestari, jakarta)" in text
    )
    assert "Discovery questions" in text  # the operator still gets the brief
    mine = ask("expansion mine", "--as", "stranger@example.com")
    assert "Whose accounts? stranger@example.com is not a registered CSM. Ask as a CSM" in mine
