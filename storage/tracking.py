"""The opportunity workflow in the database: tracked opportunities, outcomes, snoozes, feedback, activity."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from playbooks.model import OPEN_STATUSES, Assessment
from playbooks.outcomes import plan as outcome_plan
from playbooks.outcomes import qualification_due
from storage import models as db


def log(
    session: Session, kind: str, *, actor: str = "", account_id: str | None = None, **detail: Any
) -> None:
    session.add(db.Activity(kind=kind, actor=actor, account_id=account_id, detail=detail))


def open_opportunities(
    session: Session, *, account_id: str | None = None, owner: str | None = None
) -> list[db.Opportunity]:
    q = select(db.Opportunity).where(db.Opportunity.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
    if account_id:
        q = q.where(db.Opportunity.account_id == account_id)
    if owner:
        q = q.where(db.Opportunity.owner_email == owner)
    return list(session.scalars(q.order_by(db.Opportunity.score.desc())))  # type: ignore[attr-defined]


def track(session: Session, assessments: list[Assessment], today: date) -> list[db.Opportunity]:
    """Create an `identified` opportunity for every new pursuable one; return the ones created.

    The partial unique index keeps one open row per account, type and offering even when two
    processes race; a loser's insert is skipped.
    """
    existing = {(o.account_id, o.type, o.offering) for o in open_opportunities(session)}
    created = []
    for a in assessments:
        if not a.timing.ok:
            continue
        for opp in a.opportunities:
            key = (a.account.account_id, opp.type, opp.offering)
            if opp.priority == "do_not_pursue" or key in existing:
                continue
            row = db.Opportunity(
                account_id=key[0],
                type=opp.type,
                offering=opp.offering,
                offering_name=opp.offering_name,
                owner_email=a.account.csm_email,
                est_value=opp.est_value.amount,
                currency=opp.est_value.currency,
                signal_strength=opp.scores.signal,
                score=opp.scores.composite,
                priority=opp.priority,
                timing=a.approach.when,
                signals=[s.name for s in opp.signals],
                created_on=today,
                qualification_due=qualification_due(opp.priority, today),
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                continue
            existing.add(key)
            created.append(row)
            log(session, "opportunity_identified", account_id=key[0], type=opp.type, offering=opp.offering)
    return created


def record_outcome(
    session: Session, account_id: str, outcome: str, reason: str, today: date, by: str
) -> tuple[db.Outcome, list[db.Opportunity]]:
    """Store the outcome and move the account's open opportunities to the status it implies."""
    plan = outcome_plan(outcome, today)
    opps = open_opportunities(session, account_id=account_id)
    for opp in opps:
        opp.status = plan.status
        opp.closed_on = today if plan.status.startswith("closed") else None
        session.add(opp)
    row = db.Outcome(
        account_id=account_id,
        outcome=outcome,
        reason=reason,
        recorded_on=today,
        revisit_on=plan.revisit_on,
        recorded_by=by,
        offering=opps[0].offering if opps else "",
        opportunity_id=opps[0].id if opps else None,
    )
    session.add(row)
    log(session, "outcome", actor=by, account_id=account_id, outcome=outcome, reason=reason)
    return row, opps


def set_status(session: Session, account_id: str, status: str, by: str) -> list[db.Opportunity]:
    opps = open_opportunities(session, account_id=account_id)
    for opp in opps:
        opp.status = status
        session.add(opp)
    log(session, f"opportunity_{status}", actor=by, account_id=account_id)
    return opps


def snooze(session: Session, account_id: str, today: date, by: str, days: int = 30) -> date:
    until = today + timedelta(days=days)
    for opp in open_opportunities(session, account_id=account_id):
        opp.snoozed_until = until
        session.add(opp)
    log(session, "snooze", actor=by, account_id=account_id, until=until.isoformat())
    return until


def snoozed(session: Session, today: date) -> dict[str, str]:
    """Accounts a CSM set aside: account id → why, for the digest's held-back list."""
    rows = session.execute(
        select(db.Opportunity.account_id, db.Opportunity.snoozed_until).where(
            db.Opportunity.snoozed_until >= today
        )
    )  # type: ignore[operator]
    return {r[0]: f"snoozed until {r[1].isoformat()}" for r in rows}


def not_relevant(session: Session, account_id: str, by: str) -> list[str]:
    """Store "not relevant" against each signal of the open opportunities, and close them as lost."""
    signals = []
    for opp in open_opportunities(session, account_id=account_id):
        for name in opp.signals or []:
            session.add(db.SignalFeedback(account_id=account_id, opportunity_id=opp.id, signal=name, by=by))
            signals.append(name)
        opp.status = "closed_lost"
        session.add(opp)
    log(session, "not_relevant", actor=by, account_id=account_id, signals=signals)
    return signals
