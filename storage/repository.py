"""Reads the database into the playbooks' plain data. Bulk reads use Core rows, not ORM objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from playbooks import model as pm
from playbooks.catalog import parse_catalog
from storage import models as db
from storage.usage_summary import COLUMNS as SUMMARY_COLUMNS
from storage.usage_summary import USAGE_COLUMNS, from_columns, usage_point

# The engine looks back this far: three months of trend plus margin, six months of "no" suppression.
USAGE_WINDOW_DAYS = 200
HISTORY_WINDOW_DAYS = 400


def load_catalog(session: Session) -> pm.Catalog | None:
    doc = session.get(db.CatalogDoc, 1)
    return parse_catalog(doc.document) if doc else None


ACCOUNT_COLUMNS = (
    db.Account.account_id,
    db.Account.name,
    db.Account.country,
    db.Account.plan,
    db.Account.currency,
    db.Account.arr,
    db.Account.start_date,
    db.Account.renewal_date,
    db.Account.health_score,
    db.Account.csm_email,
    db.Account.team,
    db.Account.industry,
    db.Account.seats_purchased,
    db.Account.locations,
    db.Account.tools,
    db.Account.language,
)


def _account(r: Any) -> pm.Account:
    return pm.Account(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        r[11] or "",
        r[12],
        r[13],
        tuple(r[14] or ()),
        r[15] or "",
    )


def load_accounts(
    session: Session,
    ids: Iterable[str] | None = None,
    *,
    team: str | None = None,
    today: date | None = None,
    with_usage: bool = False,
) -> list[pm.AccountData]:
    """AccountData for the given ids, or every account of a team, with the history the engine reads.

    Usage comes from the precomputed summaries; the snapshots themselves are read only when asked
    for (`with_usage`, for one account's writers) or when a summary is missing or newer than `today`.
    """
    today = today or date.today()
    q = select(*ACCOUNT_COLUMNS)
    if ids is not None:
        q = q.where(db.Account.account_id.in_(list(ids)))  # type: ignore[attr-defined]
    if team is not None:
        q = q.where(db.Account.team == team)
    accounts = [_account(r) for r in _core(session).execute(q)]
    if not accounts:
        return []
    wanted = [a.account_id for a in accounts]
    history_from = today - timedelta(days=HISTORY_WINDOW_DAYS)
    summaries = {
        r[0]: from_columns(r[1], r[2], r[3:])
        for r in _rows(
            session,
            select(
                db.UsageSummary.account_id,
                db.UsageSummary.latest_gap_days,
                db.UsageSummary.base_gap_days,
                *SUMMARY_COLUMNS,
            ).where(db.UsageSummary.l_date <= today),
            wanted,
            db.UsageSummary.account_id,
        )
    }
    raw_ids = wanted if with_usage else [a for a in wanted if a not in summaries]
    usage: dict[str, list[pm.UsagePoint]] = defaultdict(list)
    if raw_ids:
        usage = _group(
            session,
            select(*USAGE_COLUMNS)
            .where(db.Usage.date >= today - timedelta(days=USAGE_WINDOW_DAYS), db.Usage.date <= today)
            .order_by(db.Usage.account_id, db.Usage.date),
            raw_ids,
            usage_point,
            db.Usage.account_id,
        )
    tickets = _group(
        session,
        select(
            db.Ticket.account_id,
            db.Ticket.date,
            db.Ticket.kind,
            db.Ticket.subject,
            db.Ticket.body,
            db.Ticket.requested_feature,
        )
        .where(db.Ticket.date >= history_from)
        .order_by(db.Ticket.date),
        wanted,
        lambda r: pm.Ticket(r[1], r[2], r[3], r[4] or "", r[5] or ""),
        db.Ticket.account_id,
    )
    goals = _group(
        session,
        select(db.Goal.account_id, db.Goal.goal, db.Goal.status, db.Goal.achieved_on),
        wanted,
        lambda r: pm.Goal(r[1], r[2], r[3]),
        db.Goal.account_id,
    )
    contacts = _group(
        session,
        select(
            db.Contact.account_id,
            db.Contact.name,
            db.Contact.role,
            db.Contact.is_champion,
            db.Contact.is_decision_maker,
            db.Contact.since,
            db.Contact.left_on,
        ),
        wanted,
        lambda r: pm.Contact(r[1], r[2] or "", bool(r[3]), bool(r[4]), r[5], r[6]),
        db.Contact.account_id,
    )
    outcomes = _group(
        session,
        select(
            db.Outcome.account_id,
            db.Outcome.outcome,
            db.Outcome.recorded_on,
            db.Outcome.reason,
            db.Outcome.offering,
        )
        .where(db.Outcome.recorded_on >= history_from)
        .order_by(db.Outcome.recorded_on),
        wanted,
        lambda r: pm.PastOutcome(r[1], r[2], r[3] or "", r[4] or ""),
        db.Outcome.account_id,
    )
    empty: tuple = ()
    return [
        pm.AccountData(
            account=a,
            usage=tuple(usage.get(a.account_id, empty)),
            tickets=tuple(tickets.get(a.account_id, empty)),
            goals=tuple(goals.get(a.account_id, empty)),
            contacts=tuple(contacts.get(a.account_id, empty)),
            outcomes=tuple(outcomes.get(a.account_id, empty)),
            summary=summaries.get(a.account_id),
        )
        for a in accounts
    ]


def _core(session: Session) -> Any:
    """The session's connection: Core rows straight from the driver, without the ORM's result layer."""
    return session.connection()


def _rows(session: Session, query, wanted: list[str], key_col) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """Rows of the wanted accounts: filtered in SQL for a few ids, in Python for a whole team."""
    if len(wanted) <= 500:
        yield from _core(session).execute(query.where(key_col.in_(wanted)))
        return
    keep = set(wanted)
    for row in _core(session).execute(query):
        if row[0] in keep:
            yield row


def _group(session: Session, query, wanted: list[str], make, key_col) -> dict[str, list]:  # type: ignore[no-untyped-def]
    out: dict[str, list] = defaultdict(list)
    for row in _rows(session, query, wanted, key_col):
        out[row[0]].append(make(row))
    return out


def account_exactly(session: Session, typed: str) -> str:
    """The account whose id, or only account whose name, is exactly what was typed (any case); else ""."""
    typed = typed.strip()
    for key in dict.fromkeys((typed, typed.upper())):
        if key and session.get(db.Account, key) is not None:
            return key
    named = list(
        _core(session).execute(
            select(db.Account.account_id).where(func.lower(db.Account.name) == typed.lower()).limit(2)
        )
    )
    return str(named[0][0]) if len(named) == 1 else ""


def account_names(session: Session) -> list[tuple[str, str]]:
    """(account_id, name) for every account: what the name matcher searches."""
    return [(r[0], r[1]) for r in session.execute(select(db.Account.account_id, db.Account.name))]


def csm_by(
    session: Session, *, email: str = "", slack_user_id: str = "", whatsapp: str = ""
) -> db.Csm | None:
    if email:
        return session.get(db.Csm, email.strip().lower())
    col, value = (db.Csm.slack_user_id, slack_user_id) if slack_user_id else (db.Csm.whatsapp, whatsapp)
    if not value:
        return None
    return session.scalars(select(db.Csm).where(col == value)).first()


def teams(session: Session) -> list[db.Team]:
    return list(session.scalars(select(db.Team).order_by(db.Team.team)))
