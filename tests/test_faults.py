"""Faults around the bot: a database locked for a moment, Slack failing then recovering. Each ends with
the user answered once. (Model faults: test_writers_*; Twilio: test_whatsapp_sender; a process killed
mid-digest: test_digest_delivery.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from builders import TODAY
from sqlalchemy import Engine, select
from test_slack_support import Harness

from handlers.context import Context
from handlers.dispatch import handle_text
from storage import models as db
from storage.db import session_scope

pytest_plugins = ["test_slack_support"]

HOLD = 1.5  # seconds another writer keeps the database locked


@contextmanager
def locked(engine: Engine) -> Iterator[None]:
    """Another process's transaction holding the outcome table (PostgreSQL) or the whole file (SQLite)."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if engine.dialect.name == "sqlite":
                cur.execute("BEGIN EXCLUSIVE")
            else:
                cur.execute("LOCK TABLE outcome IN ACCESS EXCLUSIVE MODE")
            taken.set()
            release.wait(HOLD)
            raw.rollback()
        finally:
            raw.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_a_briefly_locked_database_makes_a_command_wait_not_fail(demo_engine: Engine) -> None:
    ctx = Context(engine=demo_engine, today=TODAY, caller_email="dewi@example.com", channel="slack")
    with locked(demo_engine):
        started = time.monotonic()
        reply = handle_text(
            "outcome Kopi Nusantara maybe Tier 2 after Lebaran", ctx
        )  # two offers open: named
        waited = time.monotonic() - started
    assert reply.ok, reply.text
    assert waited >= HOLD * 0.8  # it really met the lock
    with session_scope(demo_engine) as s:
        reasons = s.scalars(select(db.Outcome.reason).where(db.Outcome.account_id == "ID-001")).all()
    assert "after Lebaran" in reasons


def test_slack_500s_then_recovers_and_the_answer_lands_once(slack: Harness) -> None:
    slack.fake.fail("r1", 500, times=2)
    slack.slash("/expansion", "Kopi Nusantara")
    answer = slack.answer("r1", timeout=20)
    slack.idle()
    attempts = [c for c in slack.fake.calls if c.name == "r1"]
    assert [c.failed for c in attempts] == [True, True, False]
    assert "Kopi Nusantara" in answer.body["text"]


def test_a_users_first_commands_at_the_same_moment_all_answer(demo_engine: Engine) -> None:
    """Slack runs a user's commands in parallel; their first ones all write the user's memory row."""
    from concurrent.futures import ThreadPoolExecutor

    def ask(text: str):
        ctx = Context(
            engine=demo_engine,
            today=TODAY,
            caller_email="dewi@example.com",
            user_key="slack:U0NEW",
            channel="slack",
        )
        return handle_text(text, ctx)

    texts = [f"expansion {name}" for name in ("Kopi Nusantara", "Batik Sentosa") * 4]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(ask, texts))
    assert all(r.ok for r in replies), [r.title for r in replies if not r.ok]
    follow_up = ask("draft")  # and the memory holds one of them
    assert follow_up.ok and follow_up.data["account"]["name"] in {"Kopi Nusantara", "Batik Sentosa"}
