"""Conversation memory: the account each user last talked about, and the command and options they used,
so a bare follow-up ("prep them", "and in Thai please") continues the conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from storage import models as db
from storage.models import utcnow
from storage.upsert import INSERTS


@dataclass(frozen=True)
class Recent:
    """What a user did last, within the memory's window."""

    account_id: str
    command: str = ""
    options: dict[str, str] = field(default_factory=dict)  # channel, language, objection, topic…


def recall(session: Session, user_key: str, ttl: timedelta) -> str:
    """The account `user_key` last talked about within `ttl`, else ""."""
    recent = recall_recent(session, user_key, ttl)
    return recent.account_id if recent else ""


def recall_recent(session: Session, user_key: str, ttl: timedelta) -> Recent | None:
    """The last command of `user_key` within `ttl` (older memory is forgotten, not used)."""
    memory = session.get(db.ChatMemory, user_key) if user_key else None
    if memory is None or utcnow() - memory.updated_at > ttl:
        return None
    return Recent(memory.account_id, memory.command or "", dict(memory.options or {}))


def remember(
    session: Session, user_key: str, account_id: str, command: str = "", options: dict[str, str] | None = None
) -> None:
    """Insert or update in one statement: a user's first commands may run at the same moment."""
    insert = INSERTS[session.get_bind().dialect.name]
    values = {
        "account_id": account_id,
        "updated_at": utcnow(),
        "command": command or None,
        "options": {k: v for k, v in (options or {}).items() if v} or None,
    }
    statement: Any = insert(db.ChatMemory).values(user_key=user_key, **values)  # either dialect's Insert
    session.execute(statement.on_conflict_do_update(index_elements=["user_key"], set_=values))
