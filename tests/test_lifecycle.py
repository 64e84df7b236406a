"""The opportunity lifecycle from the console and WhatsApp: recorded on sight, moved by typed commands
naming the offer, and decided offers never pitched again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import TODAY
from fakes.twilio_api import FakeTwilio
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from test_whatsapp_webhook import DEWI, say

from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import handle, handle_text
from playbooks.assess import assess
from storage import models as db
from storage.db import session_scope
from storage.repository import load_accounts, load_catalog
from storage.tracking import track

pytest_plugins = ["test_whatsapp_webhook"]  # the signed webhook, the stand-in Twilio and their fixtures


def console(engine: Engine, days: int = 0) -> Context:
    return Context(
        engine=engine,
        today=TODAY + timedelta(days=days),
        caller_email="dewi@example.com",
        user_key="console:dewi@example.com",
    )


def opportunities(engine: Engine, account_id: str) -> dict[str, tuple[str, str | None]]:
    """offering -> (status, closed reason) of every recorded opportunity of the account."""
    with session_scope(engine) as s:
        rows = s.scalars(select(db.Opportunity).where(db.Opportunity.account_id == account_id))
        return {o.offering: (o.status, o.closed_reason or None) for o in rows}


def digest_offers(engine: Engine, days: int, team: str = "jakarta") -> set[tuple[str, str]]:
    reply = handle(Command("digest", account=team), console(engine, days))
    return {(i["account_id"], i["offering"]) for i in reply.data["items"]}


def test_an_opportunity_is_recorded_the_first_time_it_is_shown_once_with_owner_and_call_due(
    demo_engine: Engine,
) -> None:
    assert opportunities(demo_engine, "ID-001") == {}
    handle_text("expansion Kopi Nusantara", console(demo_engine))
    handle_text("expansion Kopi Nusantara", console(demo_engine, days=1))  # shown again: still once
    with session_scope(demo_engine) as s:
        rows = list(s.scalars(select(db.Opportunity).where(db.Opportunity.account_id == "ID-001")))
    assert {(o.offering, o.priority, o.owner_email, o.created_on) for o in rows} == {
        ("tier2", "high", "dewi@example.com", TODAY),
        ("accounting", "medium", "dewi@example.com", TODAY),
    }
    due = {o.offering: (o.qualification_due - o.created_on).days for o in rows if o.qualification_due}
    assert due == {"tier2": 7, "accounting": 10}  # 7 days for high priority, 10 for medium


def test_the_digest_records_what_it_shows(demo_engine: Engine) -> None:
    shown = digest_offers(demo_engine, 0)
    assert ("ID-001", "tier2") in shown
    assert opportunities(demo_engine, "ID-001")["tier2"] == ("identified", None)


def test_two_processes_recording_the_same_offer_at_once_make_one_row(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as s:
        catalog = load_catalog(s)
        assert catalog is not None
        assessment = assess(load_accounts(s, ["ID-002"], today=TODAY)[0], catalog, TODAY)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start.wait()
            with session_scope(demo_engine) as s:
                track(s, [assessment], TODAY)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(demo_engine) as s:
        rows = list(s.scalars(select(db.Opportunity).where(db.Opportunity.account_id == "ID-002")))
        logged = list(
            s.scalars(
                select(db.Activity).where(
                    db.Activity.account_id == "ID-002", db.Activity.kind == "opportunity_identified"
                )
            )
        )
    assert len(rows) == len({(o.type, o.offering) for o in rows}) >= 1
    # each offer's history says "identified" once, by whichever process recorded it
    assert sorted((a.detail["type"], a.detail["offering"]) for a in logged) == sorted(
        (o.type, o.offering) for o in rows
    )


def test_console_lifecycle_moves_one_offer_of_two_to_won(demo_engine: Engine) -> None:
    ctx = console(demo_engine)
    which = handle_text("qualify Kopi Nusantara", ctx)
    assert which.title == "Which offer for Kopi Nusantara? It has 2 open."
    assert "1. Tier 2" in which.text and "2. Accounting Module" in which.text
    assert "qualify ID-001 1" in which.text  # the numbered choice, typeable
    assert handle_text("qualify ID-001 1", ctx).title == "Marked as qualified: Kopi Nusantara"
    assert handle_text("propose Kopi Nusantara 1", ctx).title == "Marked as proposed: Kopi Nusantara"
    assert "already proposed" in handle_text("qualify ID-001 1", ctx).title  # never backwards
    won = handle_text("outcome Kopi Nusantara won Tier 2 signed after the QBR", ctx)
    assert won.title == "Won recorded for Kopi Nusantara"
    assert "Plan: tier1 → tier2" in won.text and "ARR: Rp 24.000.000 → Rp 28.500.000" in won.text
    assert opportunities(demo_engine, "ID-001") == {
        "tier2": ("closed_won", "signed after the QBR"),
        "accounting": ("identified", None),  # the other offer stays open
    }
    with session_scope(demo_engine) as s:
        kopi = s.get(db.Account, "ID-001")
        assert kopi is not None and (kopi.plan, kopi.arr) == ("tier2", 28_500_000)
        (change,) = s.scalars(select(db.ArrChange))
        assert (change.arr_before, change.arr_after, change.reason) == (24_000_000, 28_500_000, "expansion")
    # the engine's next run sees the new plan: no Tier 2 pitch, the add-on is next
    after = handle_text("expansion Kopi Nusantara", console(demo_engine, days=1))
    assert [o["offering"] for o in after.data["opportunities"]] == ["accounting"]


def test_an_offer_can_be_named_or_numbered_and_a_wrong_number_changes_nothing(demo_engine: Engine) -> None:
    ctx = console(demo_engine)
    handle_text("expansion ID-001", ctx)
    wrong = handle_text("qualify ID-001 7", ctx)
    assert (
        not wrong.ok
        and "no open offer “7”" in wrong.title
        and "1. Tier 2, 2. Accounting Module" in wrong.title
    )
    assert {s for s, _ in opportunities(demo_engine, "ID-001").values()} == {"identified"}
    lost = handle_text("outcome ID-001 lost accounting module they use a bookkeeper", ctx)
    assert lost.data["offering"] == "accounting" and lost.data["reason"] == "they use a bookkeeper"
    assert opportunities(demo_engine, "ID-001")["accounting"] == ("closed_lost", "they use a bookkeeper")


def test_maybe_starts_a_trial_in_the_offers_shape_shown_by_expansion_and_the_digest(
    demo_engine: Engine,
) -> None:
    ctx = console(demo_engine)
    reply = handle_text("outcome Kopi Nusantara maybe 2 wants to see the P&L first", ctx)
    follow = (TODAY + timedelta(days=30)).isoformat()
    assert "offer a 1-month free trial of the Accounting Module add-on" in reply.text  # not a tier trial
    assert reply.data["follow_up_on"] == follow
    assert opportunities(demo_engine, "ID-001")["accounting"] == ("proposed", "wants to see the P&L first")
    later = console(demo_engine, days=3)
    expansion = handle_text("expansion Kopi Nusantara", later)
    assert f"Accounting Module: 1-month trial, follow up on {follow}" in expansion.text
    digest = handle(Command("digest", account="jakarta"), later)
    assert "Kopi Nusantara (ID-001) [open] — Tier 2" in digest.text  # Tier 2 is still pitched…
    handle_text("outcome Kopi Nusantara won tier2", later)
    digest = handle(Command("digest", account="jakarta"), console(demo_engine, days=4))
    assert f"Kopi Nusantara (ID-001) [trial, follow up {follow}] — Accounting Module" in digest.text


def test_the_digest_never_re_pitches_a_decided_offer_over_the_days_that_follow(demo_engine: Engine) -> None:
    ctx = console(demo_engine)
    assert {("ID-001", "tier2"), ("ID-002", "seats")} <= digest_offers(demo_engine, 0)
    handle_text("outcome Kopi Nusantara won tier2", ctx)
    handle_text("outcome Batik Sentosa no budget is set for this year", ctx)  # its one open offer
    for day in (1, 2, 7, 30, 90, 181):
        shown = digest_offers(demo_engine, day)
        assert ("ID-001", "tier2") not in shown, day
        assert ("ID-002", "seats") not in shown, day
    assert opportunities(demo_engine, "ID-002") == {"seats": ("closed_lost", "budget is set for this year")}


def test_snooze_for_days_and_not_relevant_for_one_signal(demo_engine: Engine) -> None:
    ctx = console(demo_engine)
    snoozed = handle_text("snooze Kopi Nusantara 14", ctx)
    assert snoozed.data["snoozed_until"] == (TODAY + timedelta(days=14)).isoformat()
    assert all(a != "ID-001" for a, _ in digest_offers(demo_engine, 1))
    dismissed = handle_text("not relevant Kopi Nusantara cross sell", ctx)
    assert dismissed.data["signals"] == ["cross_sell"]
    assert opportunities(demo_engine, "ID-001") == {
        "tier2": ("identified", None),
        "accounting": ("closed_lost", "not relevant"),
    }
    none = handle_text("not relevant Kopi Nusantara seats", ctx)
    assert not none.ok and "rests on seat utilization" in none.title


def test_snooze_understands_a_duration_in_words_for_the_account_talked_about(demo_engine: Engine) -> None:
    ctx = console(demo_engine)
    handle_text("expansion Kopi Nusantara", ctx)
    assert (
        handle_text("tunda selama 2 minggu", ctx).data["snoozed_until"]
        == (TODAY + timedelta(days=14)).isoformat()
    )
    reply = handle_text("snooze Batik Sentosa for 1 month", ctx)
    assert reply.data["snoozed_until"] == (TODAY + timedelta(days=30)).isoformat()


def test_bad_workflow_input_gets_a_clear_message(demo_engine: Engine) -> None:
    assert "Snooze for 1 to 365 days" in handle_text("snooze Kopi Nusantara 999", console(demo_engine)).title
    held = handle_text("qualify ID-004", console(demo_engine))  # health 52: the engine shows nothing
    assert not held.ok and "no open opportunity" in held.title


def test_whatsapp_lifecycle_with_a_numbered_choice(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    say(client, "propose Kopi Nusantara", DEWI, sid="SM1")
    (question,) = twilio.wait_for(1)
    assert "Which offer for Kopi Nusantara?" in question.body and "propose ID-001 1" in question.body
    say(client, "propose ID-001 2", DEWI, sid="SM2")
    say(client, "outcome ID-001 won 2 signed on the spot", DEWI, sid="SM3")
    sent = twilio.wait_for(3)
    assert "Marked as proposed" in sent[1].body and "Won recorded for Kopi Nusantara" in sent[2].body
    assert opportunities(portfolio, "ID-001") == {
        "tier2": ("identified", None),
        "accounting": ("closed_won", "signed on the spot"),
    }
    with session_scope(portfolio) as s:
        (outcome,) = s.scalars(select(db.Outcome).where(db.Outcome.recorded_by == "dewi@example.com"))
        assert (outcome.offering, outcome.outcome) == ("accounting", "won")


@pytest.fixture
def portfolio(engine: Engine) -> Engine:
    """The demo without history (the webhook tests' fixture of the same name, made explicit)."""
    from storage.demo import load_demo

    load_demo(engine, TODAY, history=False)
    return engine


def test_the_console_command_line_closes_one_offer(env_db: str) -> None:
    import json

    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0  # the digest it prints records what it shows
    result = runner.invoke(
        app, ["ask", "outcome Kopi Nusantara won 2 signed", "--as", "dewi@example.com", "--json"]
    )
    assert result.exit_code == 0, result.output
    reply = json.loads(result.stdout)
    assert reply["offering"] == "accounting" and reply["still_open"] == ["tier2"]
    pipeline = json.loads(runner.invoke(app, ["pipeline", "--json"]).stdout)
    assert pipeline["pipeline"]["by_status"]["closed_won"] >= 1
