"""A team's accounts that could show a signal today, chosen in SQL from playbooks.digest.SignalBar.

Every condition here is looser than the signal it stands for (a relative slack absorbs the float
rounding between SQL and Python), so leaving the other accounts out never hides a ready account:
tests/test_prefilter.py checks that against the full rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Select,
    String,
    Table,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from playbooks.digest import SignalBar
from playbooks.model import Rule
from storage import models as db
from storage.db import table

SLACK = 1 - 1e-9

A = table(db.Account).c
S = table(db.UsageSummary).c
T = table(db.Ticket).c
G = table(db.Goal).c


SCOPE = Table(
    "digest_scope", MetaData(), Column("account_id", String, primary_key=True), prefixes=["TEMPORARY"]
)


def team_candidates(conn: Connection, team: str, bar: SignalBar) -> Select[Any]:
    """SELECT account_id of the team's accounts that pass the bar. The bar is applied once, into a
    temporary table of this connection, which every read of the digest then joins by key."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS digest_scope (account_id text PRIMARY KEY) ON COMMIT DROP"
        )
    else:
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS digest_scope (account_id TEXT PRIMARY KEY)"
        )
    conn.execute(delete(SCOPE))
    passing = (
        select(A.account_id)
        .select_from(table(db.Account).outerjoin(table(db.UsageSummary), S.account_id == A.account_id))
        .where(A.team == team, could_signal(bar))
    )
    conn.execute(insert(SCOPE).from_select(["account_id"], passing))
    return select(SCOPE.c.account_id)


def could_signal(bar: SignalBar) -> ColumnElement[bool]:
    """Account ⟕ UsageSummary rows that may fire a signal; the rest surely fire none."""
    no_summary = or_(S.account_id.is_(None), S.l_date > bar.today)  # read from raw usage: kept
    power = and_(S.l_power >= 1, S.l_adoption >= bar.power_adoption * SLACK)
    seats = and_(A.seats_purchased > 0, S.l_users >= A.seats_purchased * bar.seat_utilization * SLACK)
    grown = 1 + bar.growth
    growth = and_(
        S.b_date.is_not(None),
        or_(
            and_(S.b_users > 0, S.l_users >= S.b_users * grown * SLACK),
            and_(
                S.b_actions > 0,
                S.l_actions * S.base_gap_days >= S.b_actions * S.latest_gap_days * grown * SLACK,
            ),
        ),
    )
    revenue = and_(S.b_revenue > 0, S.l_revenue >= S.b_revenue * (1 + bar.revenue_growth) * SLACK)
    ticket = exists().where(T.account_id == A.account_id, T.date >= bar.recent_since)
    goal = exists().where(
        G.account_id == A.account_id, G.status == "achieved", G.achieved_on >= bar.recent_since
    )
    tools = and_(A.tools.is_not(None), cast(A.tools, String).not_in(["[]", "null"]))
    return or_(no_summary, power, seats, growth, revenue, ticket, goal, tools, *(_rule(r) for r in bar.rules))


def _rule(rule: Rule) -> ColumnElement[bool]:
    """A catalog rule's plan and numeric conditions; tool and keyword conditions are left open here
    (accounts with tools or recent tickets are kept anyway)."""
    parts: list[ColumnElement[bool]] = [A.plan != rule.to_plan]
    if rule.from_plan:
        parts.append(A.plan == rule.from_plan)
    least = {
        "locations_at_least": func.coalesce(A.locations, 0),
        "seats_at_least": func.coalesce(A.seats_purchased, 0),
        "active_users_at_least": func.coalesce(S.l_users, 0),
    }
    for key, need in rule.when.items():
        if key in least:
            parts.append(least[key] >= literal(int(str(need))))
    return and_(true(), *parts)
