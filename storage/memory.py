"""Conversation memory: the account each user last talked about, for bare follow-up commands."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from storage import models as db
from storage.models import utcnow
from storage.upsert import INSERTS


def recall(session: Session, user_key: str, ttl: timedelta) -> str:
    """The account `user_key` last talked about within `ttl`, else ""."""
    memory = session.get(db.ChatMemory, user_key) if user_key else None
    return memory.account_id if memory and utcnow() - memory.updated_at <= ttl else ""


def remember(session: Session, user_key: str, account_id: str) -> None:
    """Insert or update in one statement: a user's first commands may run at the same moment."""
    insert = INSERTS[session.get_bind().dialect.name]
    values = {"account_id": account_id, "updated_at": utcnow()}
    statement = insert(db.ChatMemory).values(user_key=user_key, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["user_key"], set_=values))
