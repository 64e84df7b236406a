"""The opportunity workflow in the database: tracked opportunities, outcomes, snoozes, feedback, activity."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from playbooks.learning import Decided, Learned, observe
from playbooks.model import OPEN_STATUSES, Assessment
from playbooks.outcomes import plan as outcome_plan
from playbooks.outcomes import qualification_due
from playbooks.pipeline import AccountArr, ArrChange, Opp
from storage import models as db
from storage.db import table
from storage.driver import fetch
from storage.models import OPEN_STATUS_SQL, utcnow
from storage.upsert import INSERTS

FEW_ACCOUNTS = 500  # up to this many accounts are named in the query; more read every open row


def log(
    session: Session, kind: str, *, actor: str = "", account_id: str | None = None, **detail: Any
) -> None:
    session.add(db.Activity(kind=kind, actor=actor, account_id=account_id, detail=detail))


def open_opportunities(
    session: Session, *, account_id: str | None = None, owner: str | None = None
) -> list[db.Opportunity]:
    """Open opportunities, best first (then oldest first, so a numbered choice stays stable)."""
    q = select(db.Opportunity).where(db.Opportunity.status.in_(OPEN_STATUSES))  # type: ignore[attr-defined]
    if account_id:
        q = q.where(db.Opportunity.account_id == account_id)
    if owner:
        q = q.where(db.Opportunity.owner_email == owner)
    order = (db.Opportunity.score.desc(), db.Opportunity.id)  # type: ignore[attr-defined]
    return list(session.scalars(q.order_by(*order)))


def open_keys(session: Session, account_ids: list[str] | None = None) -> set[tuple[str, str, str]]:
    """(account_id, type, offering) of the open opportunities, of these accounts when given: plain
    rows, not ORM objects, since a busy team has thousands open."""
    opp = table(db.Opportunity).c
    q = select(opp.account_id, opp.type, opp.offering).where(opp.status.in_(OPEN_STATUSES))
    if account_ids is not None and len(account_ids) <= FEW_ACCOUNTS:
        q = q.where(opp.account_id.in_(account_ids))
    return {(r[0], r[1], r[2]) for r in fetch(session.connection(), q)}


def track(session: Session, assessments: list[Assessment], today: date) -> list[tuple[str, str, str]]:
    """Record every pursuable opportunity the engine shows, once; return the (account, type, offering)
    of the ones created now.

    Multi-row INSERT … ON CONFLICT DO NOTHING, a page of rows a statement: the partial unique index
    keeps one open row per account, type and offering even when two processes race (SQLite or
    PostgreSQL), and RETURNING names only the rows this call inserted, so each is logged once."""
    existing = open_keys(session, [a.account.account_id for a in assessments])
    rows = []
    for a in assessments:
        if not a.timing.ok:
            continue
        for opp in a.opportunities:
            key = (a.account.account_id, opp.type, opp.offering)
            if opp.priority == "do_not_pursue" or key in existing:
                continue
            existing.add(key)
            rows.append(
                {
                    "account_id": key[0],
                    "type": opp.type,
                    "offering": opp.offering,
                    "offering_name": opp.offering_name,
                    "owner_email": a.account.csm_email,
                    "est_value": opp.est_value.amount,
                    "currency": opp.est_value.currency,
                    "signal_strength": opp.scores.signal,
                    "score": opp.scores.composite,
                    "priority": opp.priority,
                    "timing": a.approach.when,
                    "signals": [s.name for s in opp.signals],
                    "seats_to_add": opp.seats_to_add,
                    "created_on": today,
                    "qualification_due": qualification_due(opp.priority, today),
                    "updated_at": utcnow(),
                }
            )
    if not rows:
        return []
    opp_table = table(db.Opportunity)
    insert = INSERTS[session.get_bind().dialect.name]
    stmt = (
        insert(opp_table)
        .on_conflict_do_nothing(
            index_elements=["account_id", "type", "offering"], index_where=text(OPEN_STATUS_SQL)
        )
        .returning(opp_table.c.account_id, opp_table.c.type, opp_table.c.offering)
    )
    # compiled once; SQLAlchemy's "insertmanyvalues" sends the rows as multi-row VALUES pages
    created = [(r[0], r[1], r[2]) for r in session.execute(stmt, rows)]
    if created:
        activity = [
            {
                "kind": "opportunity_identified",
                "actor": "",
                "account_id": acct,
                "detail": {"type": type_, "offering": offering},
                "at": utcnow(),
            }
            for acct, type_, offering in created
        ]
        session.execute(insert(table(db.Activity)), activity)
    return created


def record_outcome(
    session: Session,
    *,
    account_id: str,
    opportunity: db.Opportunity | None,
    outcome: str,
    reason: str,
    today: date,
    by: str,
) -> db.Outcome:
    """Store the outcome of one opportunity (or of the account, when it has none open) and apply it:
    a win changes the account's plan, seats and ARR for the engine's next run."""
    o = opportunity
    plan = outcome_plan(outcome, today, type_=o.type if o else "", name=o.offering_name if o else "")
    if o is not None:
        o.status = plan.status
        o.closed_on = today if plan.status.startswith("closed") else None
        o.closed_reason = reason
        o.follow_up_on = plan.revisit_on if outcome == "maybe" else None
        session.add(o)
        if outcome == "won":
            _apply_win(session, o, today)
    row = db.Outcome(
        account_id=account_id,
        outcome=outcome,
        reason=reason,
        recorded_on=today,
        revisit_on=plan.revisit_on,
        recorded_by=by,
        offering=o.offering if o else "",
        opportunity_id=o.id if o else None,
    )
    session.add(row)
    log(
        session,
        "outcome",
        actor=by,
        account_id=account_id,
        outcome=outcome,
        reason=reason,
        offering=o.offering if o else "",
    )
    return row


def _apply_win(session: Session, opp: db.Opportunity, today: date) -> None:
    account = session.get(db.Account, opp.account_id)
    if account is None:
        return
    before = account.arr
    if opp.type == "upsell":
        account.plan = opp.offering
    if opp.type == "seats" and account.seats_purchased:
        account.seats_purchased += opp.seats_to_add
    if opp.currency == account.currency:
        account.arr = before + opp.est_value
    session.add(account)
    session.add(
        db.ArrChange(
            account_id=account.account_id,
            changed_on=today,
            arr_before=before,
            arr_after=account.arr,
            reason="expansion",
            opportunity_id=opp.id,
        )
    )


def set_status(session: Session, opps: list[db.Opportunity], status: str, by: str) -> None:
    for opp in opps:
        opp.status = status
        session.add(opp)
        log(session, f"opportunity_{status}", actor=by, account_id=opp.account_id, offering=opp.offering)


def snooze(session: Session, *, account_id: str, today: date, by: str, days: int) -> date:
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
            db.Opportunity.snoozed_until >= today  # type: ignore[operator]
        )
    )
    return {r.account_id: f"snoozed until {r.snoozed_until.isoformat()}" for r in rows}


def not_relevant(session: Session, *, account_id: str, by: str, today: date, signal: str = "") -> list[str]:
    """Store "not relevant" against the open opportunities' signals (or the one named) and close the
    opportunities it raised as lost, so the feedback counts where the signal is measured."""
    signals = []
    for opp in open_opportunities(session, account_id=account_id):
        names = [n for n in opp.signals or [] if not signal or n == signal]
        if signal and not names:
            continue
        for name in names:
            session.add(db.SignalFeedback(account_id=account_id, opportunity_id=opp.id, signal=name, by=by))
            signals.append(name)
        opp.status, opp.closed_on, opp.closed_reason = "closed_lost", today, "not relevant"
        session.add(opp)
    log(session, "not_relevant", actor=by, account_id=account_id, signals=signals)
    return signals


def not_relevant_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in session.scalars(select(db.SignalFeedback.signal)):
        counts[name] = counts.get(name, 0) + 1
    return counts


# --- reading the history: the pipeline's rows and what learning reads -------------------------


def pipeline_rows(session: Session) -> list[Opp]:
    """Every tracked opportunity with the account facts the pipeline groups by."""
    q = select(
        db.Opportunity.account_id,
        db.Opportunity.type,
        db.Opportunity.offering,
        db.Opportunity.offering_name,
        db.Opportunity.status,
        db.Opportunity.est_value,
        db.Opportunity.currency,
        db.Opportunity.created_on,
        db.Opportunity.closed_on,
        db.Opportunity.owner_email.label("owner"),  # type: ignore[attr-defined]
        db.Account.country,
        db.Account.industry,
    ).join(db.Account, db.Account.account_id == db.Opportunity.account_id)  # type: ignore[arg-type]
    return [Opp(**{**r._asdict(), "industry": r.industry or ""}) for r in session.execute(q)]


def account_rows(session: Session) -> list[AccountArr]:
    q = select(
        db.Account.account_id,
        db.Account.currency,
        db.Account.arr,
        db.Account.start_date,
        db.Account.churned_on,
    )
    return [AccountArr(**r._asdict()) for r in session.execute(q)]


def arr_changes(session: Session) -> list[ArrChange]:
    q = select(
        db.ArrChange.account_id,
        db.ArrChange.changed_on,
        db.ArrChange.arr_before,
        db.ArrChange.arr_after,
        db.ArrChange.reason,
    ).order_by(db.ArrChange.changed_on)
    return [ArrChange(**r._asdict()) for r in session.execute(q)]


def learned(session: Session) -> Learned:
    """What every decided opportunity says about its signals; recomputed on each read, never stored."""
    q = (
        select(db.Opportunity.signals, db.Opportunity.type, db.Account.country, db.Opportunity.status)
        .join(db.Account, db.Account.account_id == db.Opportunity.account_id)  # type: ignore[arg-type]
        .where(db.Opportunity.status.in_(("closed_won", "closed_lost")))  # type: ignore[attr-defined]
    )
    return observe(
        Decided(tuple(r.signals or ()), r.type, r.country, r.status == "closed_won")
        for r in session.execute(q)
    )
