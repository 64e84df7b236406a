"""The outbox sender against a local stand-in for Twilio's API: retries, backoff, order, nothing lost."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fakes.twilio_api import FakeTwilio
from sqlalchemy import Engine, select, update

from bot.settings import Settings
from bot.whatsapp import sender
from storage import outbox
from storage.db import session_scope
from storage.models import OutboundMessage, utcnow

ACCOUNT_SID = "AC" + "1" * 32
REP = "whatsapp:+6281211110001"
OTHER_REP = "whatsapp:+6281211110002"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sender, "IMMEDIATE_RETRY_DELAYS", (0.01, 0.01))


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(twilio: FakeTwilio) -> Settings:
    return Settings(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token="test-token",
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_api_url=twilio.url,
        public_base_url="https://bot.example.com",
    )


def record(engine: Engine, to: str, *bodies: str) -> list[int]:
    with session_scope(engine) as session:
        return sender.enqueue(session, to, bodies)


def rows(engine: Engine) -> list[OutboundMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))  # type: ignore[arg-type]


def time_passes(engine: Engine) -> None:
    """As if the backoff had elapsed: every pending message is due now."""
    with session_scope(engine) as session:
        session.execute(update(OutboundMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


def test_sent_through_the_api_url_from_the_bots_number_and_marked_sent(
    engine: Engine, settings: Settings, twilio: FakeTwilio
) -> None:
    ids = record(engine, REP, "one", "two")
    assert sender.deliver(settings, engine, ids) == 2
    assert [(m.to, m.from_, m.body, m.account_sid) for m in twilio.messages] == [
        (REP, "whatsapp:+14155238886", "one", ACCOUNT_SID),
        (REP, "whatsapp:+14155238886", "two", ACCOUNT_SID),
    ]
    assert [(r.status, r.provider_id, r.attempts) for r in rows(engine)] == [
        ("sent", twilio.messages[0].sid, 1),
        ("sent", twilio.messages[1].sid, 1),
    ]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_transient_error_is_retried_at_once_and_delivered_once(
    engine: Engine, settings: Settings, twilio: FakeTwilio, status: int
) -> None:
    twilio.fail_next(status)
    assert sender.deliver(settings, engine, record(engine, REP, "hello")) == 1
    assert twilio.attempts == 2
    assert twilio.bodies() == ["hello"]
    assert rows(engine)[0].status == "sent"


def test_twilio_down_keeps_the_message_pending_until_a_later_retry(
    engine: Engine, settings: Settings, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    twilio.down = True
    with caplog.at_level(logging.WARNING, "expansion_bot.whatsapp"):
        assert sender.deliver(settings, engine, record(engine, REP, "brief for Kopi Nusantara")) == 0
    (row,) = rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in row.last_error and row.next_attempt_at > utcnow()
    assert "whatsapp send failed" in caplog.text and "brief for Kopi Nusantara" in caplog.text
    assert sender.retry_pending(settings, engine) == 0  # not due yet: backoff

    time_passes(engine)
    assert sender.retry_pending(settings, engine) == 0  # still down: attempt 2, longer backoff
    first_wait = row.next_attempt_at
    (row,) = rows(engine)
    assert row.attempts == 2 and row.next_attempt_at > first_wait

    twilio.down = False
    time_passes(engine)
    assert sender.retry_pending(settings, engine) == 1
    assert twilio.bodies() == ["brief for Kopi Nusantara"]
    assert rows(engine)[0].status == "sent"
    assert sender.retry_pending(settings, engine) == 0  # and never twice


def test_a_refused_message_is_failed_and_logged_not_retried(
    engine: Engine, settings: Settings, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    twilio.fail_next(400)
    with caplog.at_level(logging.ERROR, "expansion_bot.whatsapp"):
        assert sender.deliver(settings, engine, record(engine, REP, "x")) == 0
    assert twilio.attempts == 1
    assert rows(engine)[0].status == "failed"
    assert "HTTP 400" in caplog.text
    time_passes(engine)
    assert sender.retry_pending(settings, engine) == 0 and twilio.attempts == 1


def test_parts_keep_their_order_when_one_fails(
    engine: Engine, settings: Settings, twilio: FakeTwilio
) -> None:
    ids = record(engine, REP, "(1/3) a", "(2/3) b", "(3/3) c")
    record(engine, OTHER_REP, "for budi")
    assert sender.deliver(settings, engine, ids[:1]) == 1
    twilio.fail_next(500, 500, 500)  # part 2 fails all three tries
    assert sender.deliver(settings, engine, ids[1:]) == 0  # 3 must not overtake it
    assert twilio.bodies(REP) == ["(1/3) a"]
    assert [r.status for r in rows(engine)] == ["sent", "pending", "pending", "pending"]

    assert sender.retry_pending(settings, engine) == 1  # budi's is due; rep's part 2 is backing off
    assert twilio.bodies(OTHER_REP) == ["for budi"]
    time_passes(engine)
    assert sender.retry_pending(settings, engine) == 2
    assert twilio.bodies(REP) == ["(1/3) a", "(2/3) b", "(3/3) c"]


def test_unreachable_api_is_transient(engine: Engine, settings: Settings, twilio: FakeTwilio) -> None:
    twilio.stop()
    assert sender.deliver(settings, engine, record(engine, REP, "x")) == 0
    assert rows(engine)[0].status == "pending"


def test_a_claimed_message_is_not_sent_twice(engine: Engine, settings: Settings, twilio: FakeTwilio) -> None:
    (message_id,) = record(engine, REP, "once")
    # another worker holds it
    assert outbox.claim(engine, message_id=message_id, lease=sender.LEASE) is not None
    assert sender.deliver(settings, engine, [message_id]) == 0
    assert sender.retry_pending(settings, engine) == 0
    assert twilio.messages == []


def test_messages_older_than_a_day_expire(engine: Engine, settings: Settings, twilio: FakeTwilio) -> None:
    record(engine, REP, "stale")
    with session_scope(engine) as session:
        session.execute(update(OutboundMessage).values(created_at=utcnow() - timedelta(hours=25)))
    assert sender.retry_pending(settings, engine) == 0
    (row,) = rows(engine)
    assert row.status == "failed" and "expired" in row.last_error
    assert twilio.attempts == 0
