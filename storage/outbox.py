"""The outbox: what the bot sends is recorded first, claimed for a lease, sent, marked sent, and retried
with backoff, so an outage delays a message instead of losing it and two workers never both send it.

Two kinds of rows share the rules: WhatsApp replies (OutboundMessage, one row per part, sent in order
per rep) and team digests (DigestDelivery, one row per team and day, composed by whoever claims it).
The channels only carry a message (bot/whatsapp/sender.py, bot/digest_delivery.py); every query is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.db import session_scope
from storage.models import DigestDelivery, OutboundMessage, utcnow
from storage.tracking import log as log_activity

OM, DD = OutboundMessage, DigestDelivery


class SendFailed(Exception):
    """A transport did not get a message through. `transient`: a later try can help; `ambiguous`: it may
    have arrived all the same (a timeout after the request went out), so look before sending again."""

    def __init__(
        self, message: str, *, transient: bool, retry_after: float = 0.0, ambiguous: bool = False
    ) -> None:
        super().__init__(message)
        self.transient, self.retry_after, self.ambiguous = transient, retry_after, ambiguous


def backoff(attempts: int, *, first: timedelta, most: timedelta) -> timedelta:
    """first, 2·first, 4·first … after each failed round, at most `most`."""
    return min(first * 2 ** max(attempts - 1, 0), most)


# --- messages to a rep (WhatsApp) ------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    id: int
    to: str
    body: str
    attempts: int  # including the claim that returned it: more than 1 means it may have gone out before
    created_at: datetime


def enqueue(session: Session, *, channel: str, to: str, bodies: Iterable[str]) -> list[int]:
    """Record messages for `to` in order, in the caller's transaction; ids in the same order."""
    now = utcnow()
    rows = [OM(channel=channel, to=to, body=b, created_at=now, next_attempt_at=now) for b in bodies if b]
    session.add_all(rows)
    session.flush()
    return [int(r.id) for r in rows if r.id is not None]


def claim(engine: Engine, *, message_id: int, lease: timedelta) -> Message | None:
    """Take a due pending row for `lease` with one conditional UPDATE: two workers never both send it."""
    now = utcnow()
    with session_scope(engine) as session:
        result = session.execute(
            update(OM)
            .where(col(OM.id) == message_id, col(OM.status) == "pending", col(OM.next_attempt_at) <= now)
            .values(attempts=col(OM.attempts) + 1, next_attempt_at=now + lease)
        )
        if _rowcount(result) != 1:
            return None
        row = session.get(OM, message_id)
        assert row is not None
        return Message(row.id or message_id, row.to, row.body, row.attempts, _utc(row.created_at))


def mark_sent(engine: Engine, *, message_id: int, provider_id: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OM)
            .where(col(OM.id) == message_id)
            .values(status="sent", provider_id=provider_id, sent_at=utcnow(), last_error="")
        )


def record_failure(engine: Engine, *, message_id: int, error: SendFailed, wait: timedelta) -> None:
    """A transient failure stays pending until `wait` has passed; a refused message is `failed`."""
    with session_scope(engine) as session:
        session.execute(
            update(OM)
            .where(col(OM.id) == message_id)
            .values(
                status="pending" if error.transient else "failed",
                last_error=str(error)[:500],
                next_attempt_at=utcnow() + wait,
            )
        )


def pending(engine: Engine, *, channel: str, limit: int) -> list[tuple[int, str, datetime]]:
    """(id, to, next attempt) of pending rows, oldest first: callers keep each rep's order."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(col(OM.id), col(OM.to), col(OM.next_attempt_at))
            .where(col(OM.status) == "pending", col(OM.channel) == channel)
            .order_by(col(OM.id))
            .limit(limit)
        ).all()
    return [(int(r.id), str(r.to), _utc(r.next_attempt_at)) for r in rows]


def expire(engine: Engine, *, channel: str, created_before: datetime, reason: str) -> int:
    """Pending rows too old to be worth sending become `failed`; how many."""
    with session_scope(engine) as session:
        result = session.execute(
            update(OM)
            .where(
                col(OM.status) == "pending", col(OM.channel) == channel, col(OM.created_at) < created_before
            )
            .values(status="failed", last_error=reason)
        )
        return _rowcount(result)


def is_sent(engine: Engine, *, message_id: int) -> bool:
    with session_scope(engine) as session:
        return session.scalar(select(col(OM.status)).where(col(OM.id) == message_id)) == "sent"


def provider_ids_in_use(engine: Engine, *, provider_ids: Iterable[str]) -> set[str]:
    """Which of these provider ids (Twilio SIDs) other rows were already marked sent with."""
    wanted = [p for p in provider_ids if p]
    if not wanted:
        return set()
    with session_scope(engine) as session:
        return set(session.scalars(select(col(OM.provider_id)).where(col(OM.provider_id).in_(wanted))))


def recorded_since(session: Session, *, to: str, body: str, since: datetime) -> bool:
    """Whether this very message was recorded for `to` since then (a refusal is told once an hour)."""
    query = select(col(OM.id)).where(col(OM.to) == to, col(OM.body) == body, col(OM.created_at) > since)
    return session.execute(query.limit(1)).first() is not None


# --- team digests (Slack) --------------------------------------------------------------------------
@dataclass(frozen=True)
class DigestClaim:
    id: int
    attempts: int  # including this claim
    earlier: datetime | None  # when a previous round claimed it: its post may be in the channel already


def claim_digest(
    engine: Engine, *, team: str, day: dt.date, worker: str, lease: timedelta
) -> DigestClaim | None:
    """Record the (team, day) row if it is new, then take it: pending, or `sending` past its lease."""
    try:
        with session_scope(engine) as session:
            session.add(DD(team=team, day=day))
    except IntegrityError:
        pass  # recorded before, by us or by another process: the UPDATE below decides
    now = utcnow()
    key = (col(DD.team) == team, col(DD.day) == day)
    with session_scope(engine) as session:
        earlier = session.scalar(select(col(DD.claimed_at)).where(*key))
        result = session.execute(
            update(DD)
            .where(*key)
            .where(
                or_(
                    col(DD.status) == "pending",
                    (col(DD.status) == "sending") & (col(DD.claimed_at) < now - lease),
                )
            )
            .values(status="sending", claimed_by=worker, claimed_at=now, attempts=col(DD.attempts) + 1)
        )
        if _rowcount(result) != 1:
            return None
        row = session.execute(select(col(DD.id), col(DD.attempts)).where(*key)).one()
    return DigestClaim(id=int(row.id), attempts=int(row.attempts), earlier=_utc(earlier) if earlier else None)


def mark_digest_sent(
    engine: Engine, *, delivery_id: int, worker: str, ts: str, late: bool
) -> tuple[DigestDelivery, bool]:
    """Sent, with Slack's ts, and logged as activity; the row, and whether our claim still held."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": "sent",
        "slack_ts": ts,
        "sent_at": now,
        "late": late,
        "last_error": "",
    }
    with session_scope(engine) as session:
        result = session.execute(
            update(DD)
            .where(col(DD.id) == delivery_id, col(DD.claimed_by) == worker, col(DD.status) == "sending")
            .values(**values)
        )
        held = _rowcount(result) == 1
        if not held:  # posted all the same: mark it, or the next round would look for it again
            session.execute(update(DD).where(col(DD.id) == delivery_id).values(**values))
        row = session.get(DD, delivery_id)
        assert row is not None
        log_activity(session, "digest_sent", team=row.team, day=row.day.isoformat(), ts=ts, late=late)
    return row, held


def release_digest(engine: Engine, *, delivery_id: int, worker: str, error: str) -> None:
    """Back to pending with the error, so the next round (or `digest --send`) tries again."""
    with session_scope(engine) as session:
        session.execute(
            update(DD)
            .where(col(DD.id) == delivery_id, col(DD.claimed_by) == worker, col(DD.status) == "sending")
            .values(status="pending", last_error=error[:500])
        )


def digest_state(engine: Engine, *, team: str, day: dt.date) -> DigestDelivery:
    with session_scope(engine) as session:
        return session.scalars(select(DD).where(col(DD.team) == team, col(DD.day) == day)).one()


def unsent_digests(engine: Engine) -> list[DigestDelivery]:
    with session_scope(engine) as session:
        return list(session.scalars(select(DD).where(col(DD.status) != "sent")))


def _utc(value: datetime) -> datetime:
    """Databases hand back naive UTC; make it comparable with aware times."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (a CursorResult's rowcount, which the generic Result type hides)."""
    return int(result.rowcount or 0)
