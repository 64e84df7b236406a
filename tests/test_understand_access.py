"""Suggestions never leak another team's accounts: "which one?" buttons, the list a misspelt name gets
and the "did you mean" examples offer only accounts the asker may open (a CSM their team's, a lead and
the operator's console every team's)."""

from __future__ import annotations

from conftest import TODAY
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.reply import Reply
from storage import models as db

SITI = "siti@example.com"  # kuala-lumpur: Kedai Kopi Damai (MY-001)
BUDI = "budi@example.com"  # jakarta: Kopi Nusantara (ID-001) is his team's
DEWI = "dewi@example.com"  # the lead: every team
OTHER_TEAMS_OF_SITI = ("Kopi Nusantara", "Batik Sentosa", "Lion City Dental", "Marina Analytics", "Mekong")


def say(engine: Engine, text: str, caller: str, channel: str = "slack") -> Reply:
    ctx = Context(
        engine=engine, today=TODAY, caller_email=caller, user_key=f"{channel}:{caller}", channel=channel
    )
    return handle_text(text, ctx)


def offered(reply: Reply) -> set[str]:
    """The account ids a reply offers: its buttons' values and its suggestions."""
    ids = {b.value.split("|")[0] for b in reply.buttons}
    return ids | {s["id"] for s in reply.data.get("suggestions", []) if isinstance(s, dict)}


def test_a_misspelt_name_lists_only_the_askers_teams_accounts(demo_engine: Engine) -> None:
    assert offered(say(demo_engine, "prep kopi", SITI)) == {"MY-001"}
    assert offered(say(demo_engine, "prep kopi", BUDI)) == {"ID-001"}
    assert offered(say(demo_engine, "prep kopi", DEWI)) == {"ID-001", "MY-001"}
    assert offered(say(demo_engine, "prep kopi", "", channel="console")) == {"ID-001", "MY-001"}


def test_a_free_text_question_asks_back_with_the_askers_accounts_only(demo_engine: Engine) -> None:
    reply = say(demo_engine, "when does kopi renew?", SITI)
    assert offered(reply) == {"MY-001"}
    assert "Kopi Nusantara" not in reply.text


def test_a_name_only_other_teams_fit_shows_none_of_their_names(demo_engine: Engine) -> None:
    reply = say(demo_engine, "prep merlion", SITI)
    assert offered(reply) <= {"MY-001", "MY-002", "MY-003", "MY-004", "MY-005"}
    for name in OTHER_TEAMS_OF_SITI:
        assert name not in reply.text
    assert say(demo_engine, "prep merlion", DEWI).data["suggestions"][0]["id"].startswith("SG")


def test_did_you_mean_offers_no_commands_on_another_teams_account(demo_engine: Engine) -> None:
    mine = say(demo_engine, "Kopi Nusantara", BUDI)
    assert [b.label for b in mine.buttons][:1] == ["Prep Kopi Nusantara"]
    theirs = say(demo_engine, "Kopi Nusantara", SITI)
    assert not theirs.buttons
    assert "Kopi Nusantara" not in " ".join(theirs.data.get("suggestions", []))


def test_did_you_mean_example_for_a_csm_owning_nothing_is_a_team_account(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        session.add(db.Csm(email="nina@example.com", name="Nina Tan", team="singapore"))
        session.commit()
    reply = say(demo_engine, "blah blah", "nina@example.com")
    assert reply.data["suggestions"][0] == "prep Harbourfront Legal LLP"  # singapore's first by name
