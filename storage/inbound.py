"""Requests recorded before they are acknowledged, so none is lost and none is answered twice.

A WhatsApp message is stored (`pending`) before Twilio gets its 200, taken by one worker for a lease
(`working`), and marked `done` in the same transaction that records its reply: a crash or a dropped
database connection in between leaves it to be taken again once the lease has passed. A Slack event is
taken the same way by its event_id; a Slack signature is only remembered, so a replay is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.db import session_scope
from storage.models import InboundMessage, utcnow

M = InboundMessage


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to answer a recorded message it now holds."""

    key: str
    sender: str
    body: str
    attempts: int


def record(engine: Engine, *, key: str, channel: str, sender: str = "", body: str = "") -> bool:
    """Store a request before acknowledging it; False when this key was recorded before (a redelivery)."""
    try:
        with session_scope(engine) as session:
            session.add(M(message_id=key, channel=channel, sender=sender, body=body, status="pending"))
    except IntegrityError:
        return False
    return True


def remember(engine: Engine, *, key: str, channel: str) -> bool:
    """Record a key that needs no answer of its own (a request signature); False when seen before."""
    try:
        with session_scope(engine) as session:
            session.add(M(message_id=key, channel=channel, status="done"))
    except IntegrityError:
        return False
    return True


def claim(engine: Engine, *, key: str, worker: str, lease: timedelta) -> Claimed | None:
    """Take a recorded request that is not done and not held by another worker's live lease."""
    now = utcnow()
    with session_scope(engine) as session:
        result = session.execute(
            update(M)
            .where(
                col(M.message_id) == key,
                col(M.status) != "done",
                or_(
                    col(M.status) == "pending",
                    col(M.lease_until) < now,
                    col(M.claimed_by) == worker,
                ),
            )
            .values(
                status="working", claimed_by=worker, lease_until=now + lease, attempts=col(M.attempts) + 1
            )
        )
        if _rowcount(result) != 1:
            return None
        row = session.get(M, key)
        assert row is not None
        return Claimed(key=key, sender=row.sender, body=row.body, attempts=row.attempts)


def claim_new(engine: Engine, *, key: str, channel: str, worker: str, lease: timedelta) -> bool:
    """Record and take a request in one go (a Slack event): True unless it is done or held by another."""
    record(engine, key=key, channel=channel)  # new, or recorded by an earlier delivery: the claim decides
    return claim(engine, key=key, worker=worker, lease=lease) is not None


def mark_done(session: Session, *, key: str, worker: str) -> bool:
    """In the caller's transaction (the one that records the answer): done, if this worker still holds it."""
    result = session.execute(
        update(M)
        .where(col(M.message_id) == key, col(M.status) == "working", col(M.claimed_by) == worker)
        .values(status="done", lease_until=None)
    )
    return _rowcount(result) == 1


def finish(engine: Engine, *, key: str, worker: str) -> bool:
    """mark_done in a transaction of its own (an answer that records nothing else)."""
    with session_scope(engine) as session:
        return mark_done(session, key=key, worker=worker)


def unanswered(engine: Engine, *, channel: str, received_before: datetime, limit: int = 200) -> list[str]:
    """Keys still to be answered that are free to take: pending, or held past their lease; oldest first."""
    now = utcnow()
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(col(M.message_id))
                .where(
                    col(M.channel) == channel,
                    col(M.received_at) < received_before,
                    or_(
                        col(M.status) == "pending", (col(M.status) == "working") & (col(M.lease_until) < now)
                    ),
                )
                .order_by(col(M.received_at))
                .limit(limit)
            )
        )


def forget(engine: Engine, *, channel: str, received_before: datetime, answered_only: bool = False) -> int:
    """Drop keys that can no longer come back (a signature older than Slack's 5 minutes, a message
    Twilio will not deliver again), and with them what the message said."""
    query = delete(M).where(col(M.channel) == channel, col(M.received_at) < received_before)
    if answered_only:
        query = query.where(col(M.status) == "done")
    with session_scope(engine) as session:
        return _rowcount(session.execute(query))


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (a CursorResult's rowcount, which the generic Result hides)."""
    return int(result.rowcount or 0)
