"""Sends WhatsApp messages through Twilio's REST API by way of the outbox: recorded, sent, marked.

A message is stored before it is sent, so an outage delays it instead of losing it. Each send retries
429 and 5xx answers a few times at once; a message that still fails stays `pending` with a later
`next_attempt_at`, and `retry_pending` (called every minute by the scheduler) sends it then. Messages to
one rep go out in the order they were recorded: a failed part holds back the parts after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from bot.settings import Settings
from storage.db import session_scope
from storage.models import OutboundMessage, utcnow

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger("expansion_bot.whatsapp")

HTTP_TIMEOUT_SECONDS = 10.0
IMMEDIATE_RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)  # waits between tries within one send
BACKOFF_FIRST = timedelta(seconds=30)  # then 1, 2, 4 … minutes, at most BACKOFF_MAX, between rounds
BACKOFF_MAX = timedelta(minutes=15)
LEASE = timedelta(minutes=2)  # a message being sent is not picked up by another worker meanwhile
MAX_AGE = timedelta(hours=24)  # WhatsApp's session window: past it a free-form reply is refused anyway
RETRY_BATCH = 200


class SendFailed(Exception):
    """Twilio did not accept a message; `transient` says whether trying again later can help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def make_client(settings: Settings) -> Client:
    """A Twilio client with a timeout, pointed at TWILIO_API_URL when set (a proxy, or a test's mock)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS),
    )
    if settings.twilio_api_url:
        client.api.base_url = settings.twilio_api_url.rstrip("/")
        client.edge = client.region = None  # TWILIO_EDGE/REGION would rewrite the host we chose
    return client


def send_once(client: Client, settings: Settings, to: str, body: str) -> str:
    """One call to messages.create; Twilio's SID, or SendFailed saying whether to retry."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        message = client.messages.create(to=to, from_=settings.twilio_whatsapp_from, body=body)
    except TwilioRestException as exc:
        transient = exc.status == 429 or exc.status >= 500
        raise SendFailed(f"HTTP {exc.status} code {exc.code}: {exc.msg}"[:500], transient=transient) from exc
    except (OSError, TwilioException) as exc:  # connection refused, timeout, DNS: the network, not us
        raise SendFailed(f"{type(exc).__name__}: {exc}"[:500], transient=True) from exc
    return str(message.sid or "")


def send_with_retries(
    client: Client, settings: Settings, to: str, body: str, delays: Sequence[float] | None = None
) -> str:
    """send_once, tried again after each delay while Twilio answers 429/5xx or cannot be reached."""
    delays = IMMEDIATE_RETRY_DELAYS if delays is None else delays
    for attempt, delay in enumerate([*delays, None], 1):
        try:
            return send_once(client, settings, to, body)
        except SendFailed as exc:
            if not exc.transient or delay is None:
                raise
            log.info("whatsapp send retry to=%s attempt=%d in %.1fs: %s", _mask(to), attempt, delay, exc)
            time.sleep(delay)
    raise AssertionError("unreachable")


def enqueue(session: Session, to: str, bodies: Iterable[str]) -> list[int]:
    """Record messages for `to` (whatsapp:+…) in order; they are sent by deliver or retry_pending."""
    now = utcnow()
    rows = [OutboundMessage(to=to, body=b, created_at=now, next_attempt_at=now) for b in bodies if b]
    session.add_all(rows)
    session.flush()
    return [int(r.id) for r in rows if r.id is not None]


def deliver(settings: Settings, engine: Engine, ids: Sequence[int], client: Client | None = None) -> int:
    """Send these recorded messages now, in order; the first that fails holds back the rest. Sent count."""
    if not ids:
        return 0
    client = client or make_client(settings)
    sent = 0
    for message_id in ids:
        outcome = _send_row(settings, engine, client, message_id)
        if outcome is None:  # someone else holds it, or it is done: keep order by stopping here
            if not _is_sent(engine, message_id):
                break
            continue
        if not outcome:
            break
        sent += 1
    return sent


def retry_pending(settings: Settings, engine: Engine, *, client: Client | None = None) -> int:
    """Send every due pending message, oldest first, per rep in order. For the scheduler, every minute."""
    now = utcnow()
    _expire(engine, now)
    with session_scope(engine) as session:
        rows = session.execute(
            select(col(OutboundMessage.id), col(OutboundMessage.to), col(OutboundMessage.next_attempt_at))
            .where(col(OutboundMessage.status) == "pending", col(OutboundMessage.channel) == "whatsapp")
            .order_by(col(OutboundMessage.id))
            .limit(RETRY_BATCH)
        ).all()
    if not rows:
        return 0
    client = client or make_client(settings)
    blocked: set[str] = set()
    sent = 0
    for message_id, to, due in rows:
        if to in blocked:
            continue
        if due > now:  # an earlier part is not due yet: the later ones wait for it
            blocked.add(to)
            continue
        if _send_row(settings, engine, client, message_id):
            sent += 1
        else:
            blocked.add(to)
    return sent


def _send_row(settings: Settings, engine: Engine, client: Client, message_id: int) -> bool | None:
    """Claim one pending row, send it, record the result: True sent, False failed, None not claimed."""
    claimed = _claim(engine, message_id)
    if claimed is None:
        return None
    to, body, attempts = claimed
    try:
        sid = send_with_retries(client, settings, to, body)
    except SendFailed as exc:
        _record_failure(engine, message_id, attempts, exc)
        return False
    with session_scope(engine) as session:
        session.execute(
            update(OutboundMessage)
            .where(col(OutboundMessage.id) == message_id)
            .values(status="sent", provider_id=sid, sent_at=utcnow(), last_error="")
        )
    return True


def _claim(engine: Engine, message_id: int) -> tuple[str, str, int] | None:
    """Take a due pending row for LEASE with one conditional UPDATE: two workers never both send it."""
    now = utcnow()
    with session_scope(engine) as session:
        claimed = session.execute(
            update(OutboundMessage)
            .where(
                col(OutboundMessage.id) == message_id,
                col(OutboundMessage.status) == "pending",
                col(OutboundMessage.next_attempt_at) <= now,
            )
            .values(attempts=col(OutboundMessage.attempts) + 1, next_attempt_at=now + LEASE)
        )
        if _rowcount(claimed) != 1:
            return None
        row = session.get(OutboundMessage, message_id)
        assert row is not None
        return row.to, row.body, row.attempts


def _record_failure(engine: Engine, message_id: int, attempts: int, exc: SendFailed) -> None:
    """Keep a transient failure pending with backoff; a refused message is `failed`. Both are logged."""
    status = "pending" if exc.transient else "failed"
    wait = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    with session_scope(engine) as session:
        row = session.get(OutboundMessage, message_id)
        if row is None:
            return
        row.status, row.last_error, row.next_attempt_at = status, str(exc), utcnow() + wait
        session.add(row)
        to, body = row.to, row.body
    level = logging.WARNING if exc.transient else logging.ERROR
    log.log(
        level,
        "whatsapp send failed id=%s to=%s attempt=%d status=%s next_in=%ss error=%s body=%r",
        message_id,
        _mask(to),
        attempts,
        status,
        int(wait.total_seconds()) if exc.transient else "-",
        exc,
        body[:120],
    )


def _expire(engine: Engine, now: datetime) -> None:
    """Messages still pending past MAX_AGE cannot be delivered as free-form WhatsApp: mark them failed."""
    with session_scope(engine) as session:
        result = session.execute(
            update(OutboundMessage)
            .where(
                col(OutboundMessage.status) == "pending",
                col(OutboundMessage.channel) == "whatsapp",
                col(OutboundMessage.created_at) < now - MAX_AGE,
            )
            .values(status="failed", last_error="expired: not delivered within 24 hours")
        )
        if expired := _rowcount(result):
            log.error("whatsapp: %d message(s) expired undelivered after 24 hours", expired)


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (a CursorResult's rowcount, which the generic Result type hides)."""
    return int(result.rowcount or 0)


def _is_sent(engine: Engine, message_id: int) -> bool:
    with session_scope(engine) as session:
        row = session.get(OutboundMessage, message_id)
        return row is not None and row.status == "sent"


def _mask(number: str) -> str:
    """Enough of a phone number to tell reps apart in logs, not enough to call them."""
    digits = number.removeprefix("whatsapp:")
    return f"{digits[:5]}…{digits[-3:]}" if len(digits) > 8 else "…"
