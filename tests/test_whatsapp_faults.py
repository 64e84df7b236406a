"""WhatsApp when things fail: a slow Twilio, a lost "mark sent", a worker or a whole process gone after
Twilio got its 200, and database connections killed during a burst. Each message is answered once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from conftest import TODAY, _postgres_url
from fakes.twilio_api import FakeTwilio, inbound_form, sign
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient
from test_whatsapp_webhook import ACCOUNT_SID, BOT, BUDI, DEWI, PUBLIC_URL, TOKEN, inbox

from bot.settings import Settings
from bot.web import create_web_app
from bot.whatsapp import sender, webhook
from bot.whatsapp.inbox import Inbox
from bot.whatsapp.render import render
from handlers.context import Context
from handlers.dispatch import handle_text
from storage import models as db
from storage import outbox
from storage.db import make_engine, session_scope
from storage.models import utcnow

pytest_plugins = ["test_whatsapp_webhook"]  # twilio, settings, portfolio, client


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sender, "IMMEDIATE_RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setattr(webhook, "DATABASE_TRIES", (0.05, 0.2))


def time_passes(engine: Engine) -> None:
    """Every lease and backoff has run out (no worker is running any more)."""
    past = utcnow() - timedelta(seconds=1)
    with session_scope(engine) as session:
        session.execute(update(db.OutboundMessage).values(next_attempt_at=past))
        session.execute(update(db.InboundMessage).values(lease_until=past))
        session.execute(update(db.InboundMessage).values(received_at=past - webhook.RESUME_AFTER))


def post(http: TestClient, form: dict[str, str]) -> int:
    headers = {"X-Twilio-Signature": sign(TOKEN, PUBLIC_URL, form)}
    return http.post("/whatsapp", data=form, headers=headers).status_code


def help_parts(engine: Engine) -> int:
    ctx = Context(engine=engine, today=TODAY, caller_email="dewi@example.com", channel="whatsapp")
    return len(render(handle_text("help", ctx)))


def test_a_slow_twilio_that_answers_after_the_timeout_delivers_once(
    portfolio: Engine, settings: Settings, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "HTTP_TIMEOUT_SECONDS", 0.3)
    twilio.answer_delay = 1.0  # accepted at once, answered after our timeout
    with session_scope(portfolio) as session:
        ids = sender.enqueue(session, DEWI, ["brief for Kopi Nusantara"])
    assert sender.deliver(settings, portfolio, ids) == 1
    time.sleep(1.2)  # long enough for anything else in flight to land
    (sent,) = twilio.messages
    with session_scope(portfolio) as session:
        (row,) = session.scalars(select(db.OutboundMessage))
        assert (row.status, row.provider_id) == ("sent", sent.sid)
    assert twilio.lookups >= 1


def test_sent_then_the_mark_sent_update_failed_is_not_sent_again(
    portfolio: Engine, settings: Settings, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = outbox.mark_sent

    def connection_lost(engine: Engine, **kw: Any) -> None:
        raise OperationalError("UPDATE outboundmessage", {}, Exception("server closed the connection"))

    with session_scope(portfolio) as session:
        ids = sender.enqueue(session, DEWI, ["(1/1) brief"])
    monkeypatch.setattr(outbox, "mark_sent", connection_lost)
    with pytest.raises(OperationalError):
        sender.deliver(settings, portfolio, ids)
    monkeypatch.setattr(outbox, "mark_sent", real)
    time_passes(portfolio)
    assert sender.retry_pending(settings, portfolio) == 1
    (sent,) = twilio.messages  # found in Twilio's list, not sent a second time
    with session_scope(portfolio) as session:
        (row,) = session.scalars(select(db.OutboundMessage))
        assert (row.status, row.provider_id, row.attempts) == ("sent", sent.sid, 2)


def test_a_worker_that_fails_after_the_200_leaves_the_message_to_be_answered(
    client: TestClient,
    portfolio: Engine,
    settings: Settings,
    twilio: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = webhook.find_csm

    def database_gone(engine: Engine, number: str) -> Any:
        raise OperationalError("SELECT csm", {}, Exception("terminating connection"))

    monkeypatch.setattr(webhook, "find_csm", database_gone)
    form = inbound_form("help", DEWI, to=BOT, account_sid=ACCOUNT_SID)
    assert post(client, form) == 200
    assert inbox(client).wait_idle()
    assert twilio.messages == []
    monkeypatch.setattr(webhook, "find_csm", real)
    time_passes(portfolio)
    webhook.maintain(settings, portfolio)
    assert "prep ACCOUNT" in twilio.wait_for(1)[0].body
    webhook.maintain(settings, portfolio)
    assert post(client, form) == 200 and inbox(client).wait_idle()  # Twilio's redelivery: recorded once
    assert len(twilio.messages) == help_parts(portfolio)


def test_a_process_that_dies_after_the_200_is_answered_by_the_next(
    portfolio: Engine, settings: Settings, twilio: FakeTwilio
) -> None:
    class Dead(Inbox):
        def submit(self, key: str, job: Any) -> None:  # the process is gone before any worker ran
            return

    with TestClient(create_web_app(settings, portfolio, inbox=Dead())) as http:
        assert post(http, inbound_form("help", BUDI, to=BOT, account_sid=ACCOUNT_SID)) == 200
    assert twilio.messages == []
    time_passes(portfolio)
    webhook.maintain(settings, portfolio)  # the next process's first maintenance run
    assert len(twilio.wait_for(1, to=BUDI)) == help_parts(portfolio)


def test_a_message_that_cannot_be_recorded_is_not_acknowledged(
    client: TestClient, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(*args: Any, **kw: Any) -> bool:
        raise OperationalError("INSERT inboundmessage", {}, Exception("connection refused"))

    monkeypatch.setattr(webhook.inbound, "record", database_down)
    assert post(client, inbound_form("help", DEWI, to=BOT, account_sid=ACCOUNT_SID)) == 503
    assert inbox(client).wait_idle() and twilio.attempts == 0


@pytest.fixture
def victim_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend needs PostgreSQL (TEST_DATABASE_URL)")
    return f"{database_url}&application_name=whatsapp_fault_victim"


@pytest.fixture
def killer(victim_url: str) -> Iterator[threading.Event]:
    """Terminates the app's database connections every 30 ms until the event is set."""
    stop = threading.Event()
    admin = make_engine(_postgres_url())
    kills: list[int] = []

    def kill() -> None:
        while not stop.wait(0.03):
            with admin.begin() as conn:
                killed = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'whatsapp_fault_victim'"
                    )
                ).scalar()
            kills.append(int(killed or 0))

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join()
    admin.dispose()
    assert sum(kills) > 0, "the burst never met a killed connection"


def test_connections_killed_during_a_burst_lose_and_duplicate_nothing(
    victim_url: str, portfolio: Engine, settings: Settings, twilio: FakeTwilio, killer: threading.Event
) -> None:
    engine = make_engine(victim_url)
    senders = [DEWI, BUDI]
    per_sender = 16
    answered: dict[str, int] = {}
    with TestClient(create_web_app(settings, engine)) as http:
        for i in range(per_sender):
            for who in senders:
                form = inbound_form(
                    "help", who, to=BOT, account_sid=ACCOUNT_SID, message_sid=f"SM{i:04d}{who[-4:]}"
                )
                while post(http, form) != 200:  # not recorded: Twilio's retry delivers it again
                    time.sleep(0.05)
                answered[form["MessageSid"]] = 1
        assert inbox(http).wait_idle(60)
        killer.set()
        time.sleep(0.1)
        time_passes(engine)
        webhook.maintain(settings, engine)
        time_passes(engine)
        webhook.maintain(settings, engine)
    parts = help_parts(portfolio)
    for who in senders:
        assert len(twilio.bodies(who)) == per_sender * parts, who
    with session_scope(portfolio) as session:
        statuses = session.scalars(select(db.InboundMessage.status)).all()
        assert len(statuses) == len(answered) and set(statuses) == {"done"}
        assert set(session.scalars(select(db.OutboundMessage.status))) == {"sent"}
    engine.dispose()


def test_answered_messages_are_forgotten_after_a_week_and_unanswered_ones_are_not(
    client: TestClient, portfolio: Engine, settings: Settings, twilio: FakeTwilio
) -> None:
    assert post(client, inbound_form("help", DEWI, to=BOT, account_sid=ACCOUNT_SID)) == 200
    assert inbox(client).wait_idle() and twilio.wait_for(1)
    webhook.accept(portfolio, webhook.Inbound(message_sid="SM" + "9" * 32, sender=BUDI, body="help"))
    with session_scope(portfolio) as session:
        session.execute(update(db.InboundMessage).values(received_at=utcnow() - timedelta(days=8)))
    webhook.maintain(settings, portfolio)
    with session_scope(portfolio) as session:
        kept = session.scalars(select(db.InboundMessage.message_id)).all()
    assert kept == ["SM" + "9" * 32]  # the unanswered one was answered now, and is kept a week
    assert twilio.wait_for(1, to=BUDI)
