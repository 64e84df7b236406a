"""Queries of the conversational assistant (issue 10): a CSM's own accounts (suggestions, suggested
prompts) and the helpful / not helpful feedback on written answers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage import models as db


def own_accounts(session: Session, csm_email: str, *, limit: int = 5) -> list[tuple[str, str]]:
    """(account_id, name) of the accounts a CSM owns, by name: what to suggest they ask about."""
    if not csm_email:
        return []
    rows = session.execute(
        select(col(db.Account.account_id), col(db.Account.name))
        .where(col(db.Account.csm_email) == csm_email)
        .order_by(col(db.Account.name))
        .limit(limit)
    )
    return [(str(r[0]), str(r[1])) for r in rows]


def record_feedback(
    session: Session,
    *,
    user_key: str,
    channel: str,
    command: str,
    account_id: str | None,
    helpful: bool,
    ref: str,
) -> None:
    """One vote per user and answer: a second click on the same answer changes the vote."""
    existing = session.scalars(
        select(db.AnswerFeedback).where(
            col(db.AnswerFeedback.user_key) == user_key, col(db.AnswerFeedback.ref) == ref
        )
    ).first()
    if existing is not None and ref:
        existing.helpful = helpful
        return
    session.add(
        db.AnswerFeedback(
            user_key=user_key,
            channel=channel,
            command=command,
            account_id=account_id,
            helpful=helpful,
            ref=ref,
        )
    )


@dataclass(frozen=True)
class FeedbackCounts:
    helpful: int = 0
    not_helpful: int = 0

    @property
    def line(self) -> str:
        """The line `pipeline` shows under its figures."""
        return f"Answer feedback: {self.helpful} helpful, {self.not_helpful} not helpful"


def feedback_counts(session: Session) -> FeedbackCounts:
    """How the written answers were rated, for `pipeline`."""
    query = select(col(db.AnswerFeedback.helpful), func.count()).group_by(col(db.AnswerFeedback.helpful))
    rows = {bool(helpful): int(n) for helpful, n in session.execute(query)}
    return FeedbackCounts(helpful=rows.get(True, 0), not_helpful=rows.get(False, 0))
