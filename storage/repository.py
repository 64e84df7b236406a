"""Reads the database into the playbooks' plain data: bulk rows straight from the driver, by name.

Each playbook dataclass is read from the table columns named like its fields, so a field added to
both is read with no edit here, and no reordering can swap two values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from playbooks import model as pm
from playbooks.catalog import parse_catalog
from playbooks.digest import SignalBar
from storage import models as db
from storage.candidates import team_candidates
from storage.db import table
from storage.driver import fetch
from storage.usage_summary import summary_columns, summary_from

# The engine looks back this far: three months of trend plus margin, six months of "no" suppression.
USAGE_WINDOW_DAYS = 200
HISTORY_WINDOW_DAYS = 400


def load_catalog(session: Session) -> pm.Catalog | None:
    doc = session.get(db.CatalogDoc, 1)
    return parse_catalog(doc.document) if doc else None


class Reader:
    """Reads one dataclass from one table: the columns named like its fields ('' for a NULL text)."""

    def __init__(self, cls: type, table: Table) -> None:
        self.cls, self.table = cls, table
        self.columns: dict[str, ColumnElement[Any]] = {}
        self.tuples = [f.name for f in fields(cls) if f.default == ()]
        for f in fields(cls):
            if f.name in table.c:
                col = table.c[f.name]
                self.columns[f.name] = func.coalesce(col, "") if f.type == "str" and col.nullable else col

    def make(self, values: dict[str, Any]) -> Any:
        for name in self.tuples:
            values[name] = tuple(values[name] or ())
        return self.cls(**values)


A = table(db.Account).c
S = table(db.UsageSummary).c
U = table(db.Usage).c
T = table(db.Ticket).c
O = table(db.Outcome).c  # noqa: E741

ACCOUNT = Reader(pm.Account, table(db.Account))
USAGE = Reader(pm.UsagePoint, table(db.Usage))
TICKET = Reader(pm.Ticket, table(db.Ticket))
GOAL = Reader(pm.Goal, table(db.Goal))
CONTACT = Reader(pm.Contact, table(db.Contact))
OUTCOME = Reader(pm.PastOutcome, table(db.Outcome))


def load_accounts(
    session: Session,
    ids: Iterable[str] | None = None,
    *,
    team: str | None = None,
    today: date | None = None,
    with_usage: bool = False,
    bar: SignalBar | None = None,
) -> list[pm.AccountData]:
    """AccountData for the given ids, or a team's accounts (only those that pass `bar`, when given),
    with the history the engine reads.

    Usage comes from the precomputed summaries; the snapshots themselves are read only when asked
    for (`with_usage`, for one account's writers) or when a summary is missing or newer than `today`.
    """
    today = today or date.today()
    conn = session.connection()
    scope = _scope(conn, ids, team, bar)
    accounts = [ACCOUNT.make(v) for v in _named(conn, ACCOUNT.columns, A.account_id.in_(scope))]
    if not accounts:
        return []
    summaries = {
        v["account_id"]: summary_from(v)
        for v in _named(conn, summary_columns(), S.account_id.in_(scope), S.l_date <= today)
    }
    raw = scope if with_usage else [a.account_id for a in accounts if a.account_id not in summaries]
    usage_from = today - timedelta(days=USAGE_WINDOW_DAYS)
    usage = (
        _grouped(conn, USAGE, raw, U.date >= usage_from, U.date <= today, order_by=(U.account_id, U.date))
        if raw
        else {}
    )
    history_from = today - timedelta(days=HISTORY_WINDOW_DAYS)
    tickets = _grouped(conn, TICKET, scope, T.date >= history_from, order_by=(T.date,))
    goals = _grouped(conn, GOAL, scope)
    contacts = _grouped(conn, CONTACT, scope)
    outcomes = _grouped(conn, OUTCOME, scope, O.recorded_on >= history_from, order_by=(O.recorded_on,))
    empty: tuple[Any, ...] = ()
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


def _scope(conn: Connection, ids: Iterable[str] | None, team: str | None, bar: SignalBar | None) -> Any:
    """Which accounts to read: the ids given, or a subquery (the team's, past the bar when given)."""
    if ids is not None:
        return list(dict.fromkeys(ids))
    if team is not None and bar is not None:
        return team_candidates(conn, team, bar)
    q = select(A.account_id)
    return q.where(A.team == team) if team is not None else q


def _named(
    conn: Connection, columns: dict[str, Any], *where: Any, order_by: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    """Rows as {name: value}: names, not positions, say which value is which."""
    names = list(columns)
    rows = fetch(conn, select(*columns.values()).where(*where).order_by(*order_by))
    return [dict(zip(names, row, strict=True)) for row in rows]


def _grouped(
    conn: Connection, reader: Reader, scope: Any, *where: Any, order_by: tuple[Any, ...] = ()
) -> dict[str, list[Any]]:
    """The reader's rows of the accounts in scope, grouped by account_id."""
    key = reader.table.c.account_id
    out: dict[str, list[Any]] = defaultdict(list)
    for v in _named(conn, {"account_id": key, **reader.columns}, key.in_(scope), *where, order_by=order_by):
        out[v.pop("account_id")].append(reader.make(v))
    return out


def account_exactly(session: Session, typed: str) -> str:
    """The account whose id, or only account whose name, is exactly what was typed (any case); else ""."""
    typed = typed.strip()
    for key in dict.fromkeys((typed, typed.upper())):
        if key and session.get(db.Account, key) is not None:
            return key
    if not typed.isascii():  # SQL lower() folds accents on no database (and case only on some): the
        return ""  # name matcher's fold() decides, the same on SQLite and PostgreSQL
    named = fetch(
        session.connection(), select(A.account_id).where(func.lower(A.name) == typed.lower()).limit(2)
    )
    return str(named[0][0]) if len(named) == 1 else ""


def account_names(session: Session) -> list[tuple[str, str]]:
    """(account_id, name) for every account: what the name matcher searches."""
    return [(r[0], r[1]) for r in fetch(session.connection(), select(A.account_id, A.name))]


def accounts_named(session: Session, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """account_id -> (name, country) of the given accounts: what a line about an opportunity shows."""
    query = select(A.account_id, A.name, A.country).where(A.account_id.in_(list(ids)))  # type: ignore[attr-defined]
    return {str(r[0]): (str(r[1]), str(r[2])) for r in fetch(session.connection(), query)}


def account_ids_of(session: Session, *, csm_email: str) -> list[str]:
    """The ids of the accounts a CSM owns."""
    return [r[0] for r in fetch(session.connection(), select(A.account_id).where(A.csm_email == csm_email))]


def overdue_opportunities(session: Session, *, team: str, day: date) -> list[tuple[db.Opportunity, str]]:
    """The team's opportunities still `identified` past their qualification-call date, with the
    account name, by owner then due date."""
    opp = table(db.Opportunity).c
    rows = session.execute(
        select(db.Opportunity, A.name)
        .join(table(db.Account), A.account_id == opp.account_id)
        .where(A.team == team, opp.status == "identified", opp.qualification_due < day)
        .order_by(opp.owner_email, opp.qualification_due, A.name)
    )
    return [(r[0], r[1]) for r in rows]


def csms_by_email(session: Session) -> dict[str, db.Csm]:
    """Every CSM by email: who owns what in a digest."""
    return {c.email: c for c in session.scalars(select(db.Csm))}


def csm_by(
    session: Session, *, email: str = "", slack_user_id: str = "", whatsapp: str = ""
) -> db.Csm | None:
    if email:
        return session.get(db.Csm, email.strip().lower())
    csm = table(db.Csm).c
    col, value = (csm.slack_user_id, slack_user_id) if slack_user_id else (csm.whatsapp, whatsapp)
    if not value:
        return None
    return session.scalars(select(db.Csm).where(col == value)).first()


def teams(session: Session) -> list[db.Team]:
    return list(session.scalars(select(db.Team).order_by(db.Team.team)))
