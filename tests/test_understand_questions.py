"""Questions about an account, answered from its facts in the asker's language: every figure in an
answer is the database's (dates, money, seats, people, tickets, goals, the last outcome)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import TODAY
from sqlalchemy import Engine, select

from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.present import money
from handlers.reply import Reply
from playbooks.catalog import price_in
from playbooks.model import Money
from prompts.facts import local_date
from storage import models as db
from storage.db import session_scope
from storage.repository import load_accounts, load_catalog

DEWI = "dewi@example.com"


def ask(engine: Engine, text: str) -> Reply:
    return handle_text(text, Context(engine, TODAY, caller_email=DEWI, user_key="console:questions"))


def day(d: date, language: str) -> str:
    return local_date(d, language, "ID")  # Kopi Nusantara's country


@pytest.mark.parametrize(
    ("text", "language", "words"),
    [
        ("when does Kopi Nusantara renew?", "en", "renews on"),
        ("kapan Kopi Nusantara perpanjang?", "id", "diperpanjang pada"),
        ("bila Kopi Nusantara diperbaharui?", "ms", "diperbaharui pada"),
    ],
)
def test_renewal_date_and_days_left_in_the_askers_language(
    demo_engine: Engine, text: str, language: str, words: str
) -> None:
    with session_scope(demo_engine) as session:
        renews = session.get(db.Account, "ID-001").renewal_date  # type: ignore[union-attr]
    reply = ask(demo_engine, text)
    assert reply.data["topic"] == "renewal" and reply.data["language"] == language
    line = reply.data["answer"][0]
    assert f"{words} {day(renews, language)}" in line and f"({(renews - TODAY).days} " in line


def test_plan_and_price_come_from_the_catalog_in_the_accounts_money(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        acct = load_accounts(session, ["ID-001"], today=TODAY)[0].account
        catalog = load_catalog(session)
    assert catalog is not None
    plan = catalog.plan(acct.plan)
    assert plan is not None
    line = ask(demo_engine, "what plan is Kopi Nusantara on?").data["answer"][0]
    assert plan.name in line and money(acct, price_in(catalog, plan, acct.currency)) in line
    assert money(acct, Money(acct.arr, acct.currency)) in line


def test_seats_used_of_purchased_from_the_latest_usage(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        latest = session.scalars(
            select(db.Usage).where(db.Usage.account_id == "ID-001").order_by(db.Usage.date.desc())  # type: ignore[attr-defined]
        ).first()
        seats = session.get(db.Account, "ID-001").seats_purchased  # type: ignore[union-attr]
    assert latest is not None and seats
    line = ask(demo_engine, "berapa kursi yang dipakai Kopi Nusantara?").data["answer"][0]
    assert f"{latest.active_users} dari {seats} kursi" in line
    assert f"({round(100 * latest.active_users / seats)}%)" in line


def test_champion_and_decision_makers_are_the_current_contacts(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        contacts = list(session.scalars(select(db.Contact).where(db.Contact.account_id == "ID-001")))
    champion, decider = ask(demo_engine, "who is the champion at Kopi Nusantara?").data["answer"]
    for c in contacts:
        if c.left_on is None and c.is_champion:
            assert f"{c.name} ({c.role})" in champion
        if c.left_on is None and c.is_decision_maker:
            assert f"{c.name} ({c.role})" in decider


def test_open_opportunities_say_why_with_the_engines_figures(demo_engine: Engine) -> None:
    verdict = ask(demo_engine, "expansion Kopi Nusantara").data["opportunities"]
    lines = ask(demo_engine, "which opportunities are open at Kopi Nusantara and why?").data["answer"]
    for opp, line in zip(verdict, [x for x in lines if x.startswith("• ")], strict=True):
        assert opp["offering_name"] in line and str(opp["scores"]["composite"]) in line
        assert opp["signals"][0]["evidence"] in line


def test_last_tickets_are_the_three_newest(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        newest = list(
            session.scalars(
                select(db.Ticket.subject)
                .where(db.Ticket.account_id == "ID-001")
                .order_by(db.Ticket.date.desc())  # type: ignore[attr-defined]
                .limit(3)
            )
        )
    lines = ask(demo_engine, "what are the last tickets from Kopi Nusantara?").data["answer"]
    assert [line.split(" · ", 1)[1] for line in lines] == newest


def test_goals_and_what_was_recorded_last(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        goals = list(session.scalars(select(db.Goal.goal).where(db.Goal.account_id == "ID-001")))
    text = "\n".join(ask(demo_engine, "apa tujuan Kopi Nusantara?").data["answer"])
    assert goals and all(g in text for g in goals)
    with session_scope(demo_engine) as session:
        for ago, kind, reason in ((40, "no", "budget frozen"), (1, "maybe", "after Lebaran")):
            recorded = TODAY - timedelta(days=ago)
            session.add(db.Outcome(account_id="ID-001", outcome=kind, reason=reason, recorded_on=recorded))
    last = ask(demo_engine, "what was recorded last for Kopi Nusantara?").data["answer"][0]
    yesterday = day(TODAY - timedelta(days=1), "en")
    assert last == f"Last recorded: a maybe on {yesterday} — “after Lebaran”."


def test_health_below_the_playbooks_minimum_says_value_call_first(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        low = session.scalars(select(db.Account).where(db.Account.health_score < 60)).first()
    assert low is not None
    reply = ask(demo_engine, f"how healthy is {low.account_id}?")
    assert reply.data["answer"][0].endswith(f"{low.health_score}/100.")
    assert "below 60" in reply.data["answer"][1]


def test_a_question_it_cannot_answer_says_what_it_can(demo_engine: Engine) -> None:
    reply = ask(demo_engine, "what is the favourite colour of Kopi Nusantara?")
    assert not reply.ok and reply.data["topic"] is None
    assert "renewal date, plan and price, seats" in reply.text
    assert {b.action for b in reply.buttons} == {"prep", "expansion", "draft"}
