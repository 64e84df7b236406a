"""The digest's SQL pre-filter never leaves out an account that the full rules would signal.

Random portfolios go into a real database (SQLite, and PostgreSQL with TEST_DATABASE_URL); every
account that playbooks.signals.detect signals must pass storage.candidates' query, and quiet accounts
must not, or the pre-filter would be doing nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert

from playbooks.catalog import parse_catalog
from playbooks.digest import signal_bar
from playbooks.signals import detect
from storage import models as db
from storage.db import session_scope
from storage.repository import load_accounts
from storage.usage_summary import refresh

TODAY = date(2026, 11, 24)
CATALOG: dict[str, Any] = {
    "currency": "IDR",
    "plans": [
        {"code": "tier1", "name": "Tier 1", "price": 100, "period": "once", "features": ["dashboard"]},
        {"code": "tier2", "name": "Tier 2", "price": 200, "period": "once", "features": ["multi_location"]},
        {"code": "tier3", "name": "Tier 3", "price": 300, "period": "once", "features": ["api"]},
    ],
    "add_ons": [
        {
            "code": "accounting",
            "name": "Accounting",
            "price": 50,
            "period": "once",
            "features": ["pnl"],
            "needs": {"tools": ["Jurnal"], "keywords": ["cash flow"]},
        }
    ],
    "products": [
        {
            "code": "support",
            "name": "Support",
            "price": 10,
            "period": "month",
            "needs": {"keywords": ["custom metric", "omzet naik", "new branch"]},
        }
    ],
}
RULES = [
    {"from_plan": "tier1", "to_plan": "tier2", "when": {"locations_at_least": 3}},
    {"to_plan": "tier3", "when": {"seats_at_least": 40, "active_users_at_least": 30}},
    {"from_plan": "tier2", "to_plan": "tier3", "when": {"uses_tools": ["Jurnal"]}},
    {"to_plan": "tier2", "when": {"ticket_keywords": ["branch"]}},
]
TABLES = (db.UsageSummary, db.Usage, db.Ticket, db.Goal, db.Account, db.Team)

# Mostly steady values, so that an account often fires one signal alone, at or near its threshold.
snapshot = st.fixed_dictionaries(
    {
        "gap": st.sampled_from([1, 7, 7, 7, 30, 60]),
        "active_users": st.sampled_from([10, 10, 10, 11, 12, 24, 0]),
        "power_users": st.sampled_from([0, 0, 0, 1, 3]),
        "logins": st.sampled_from([40, 5]),
        "actions": st.sampled_from([100, 100, 100, 114, 116, 300, 0]),
        "feature_adoption": st.sampled_from([0.6, 0.6, 0.6, 0.8999999, 0.9, 0.95, 0.0]),
        "revenue": st.sampled_from([None, 100.0, 100.0, 100.0, 149.99, 150.0, 151.0, 0.0]),
    }
)
ticket = st.fixed_dictionaries(
    {
        "ago": st.integers(-5, 200),
        "kind": st.sampled_from(["ticket", "feature_request", "conversation"]),
        "subject": st.sampled_from(
            [
                "Login slow",
                "Need cash flow view",
                "omzet naik 60%",
                "we opened two new branches",
                "new branch",
            ]
        ),
        "requested_feature": st.sampled_from(["", "multi_location", "api", "pnl", "dashboard"]),
    }
)
account = st.fixed_dictionaries(
    {
        "plan": st.sampled_from(["tier1", "tier2", "tier3"]),
        "seats_purchased": st.one_of(st.none(), st.sampled_from([0, 12, 13, 30, 30, 30]), st.integers(0, 60)),
        "locations": st.one_of(st.none(), st.integers(0, 5)),
        "tools": st.sampled_from([[], [], [], ["Jurnal"], ["Excel"]]),
        "latest_ago": st.integers(-20, 40),
        "usage": st.lists(snapshot, max_size=16),
        "tickets": st.lists(ticket, max_size=2, unique_by=lambda t: (t["ago"], t["kind"], t["subject"])),
        "goal_ago": st.one_of(st.none(), st.none(), st.integers(-5, 120)),
    }
)


def store(engine: Engine, accounts: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(delete(table))
        conn.execute(insert(db.Team), [{"team": "t"}])
        for i, a in enumerate(accounts):
            aid = f"A{i}"
            conn.execute(
                insert(db.Account),
                [
                    {
                        "account_id": aid,
                        "name": f"Account {i}",
                        "country": "ID",
                        "plan": a["plan"],
                        "currency": "IDR",
                        "arr": 1000,
                        "seats_purchased": a["seats_purchased"],
                        "start_date": TODAY - timedelta(days=400),
                        "health_score": 80,
                        "csm_email": "csm@example.com",
                        "team": "t",
                        "locations": a["locations"],
                        "tools": a["tools"],
                    }
                ],
            )
            day = TODAY - timedelta(days=a["latest_ago"])
            rows = []
            for s in reversed(a["usage"]):
                rows.append({"account_id": aid, "date": day, **{k: v for k, v in s.items() if k != "gap"}})
                day -= timedelta(days=s["gap"])
            if rows:
                conn.execute(insert(db.Usage), rows)
            for t in a["tickets"]:
                ago = t["ago"]
                conn.execute(
                    insert(db.Ticket),
                    [
                        {
                            "account_id": aid,
                            "date": TODAY - timedelta(days=ago),
                            **{k: t[k] for k in t if k != "ago"},
                        }
                    ],
                )
            if a["goal_ago"] is not None:
                achieved = TODAY - timedelta(days=a["goal_ago"])
                conn.execute(
                    insert(db.Goal),
                    [{"account_id": aid, "goal": "Go live", "status": "achieved", "achieved_on": achieved}],
                )
        refresh(conn, [f"A{i}" for i in range(len(accounts))])


def signalled_and_kept(engine: Engine, rules: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    catalog = parse_catalog({**CATALOG, "rules": rules})
    with session_scope(engine) as session:
        every = load_accounts(session, team="t", today=TODAY)
        signalled = {d.account.account_id for d in every if detect(d, catalog, TODAY)}
        kept = load_accounts(session, team="t", today=TODAY, bar=signal_bar(catalog, TODAY))
    return signalled, {d.account.account_id for d in kept}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accounts=st.lists(account, min_size=1, max_size=8), rules=st.lists(st.sampled_from(RULES), max_size=2))
def test_the_prefilter_keeps_every_account_the_rules_signal(
    engine: Engine, accounts: list[dict[str, Any]], rules: list[dict[str, Any]]
) -> None:
    store(engine, accounts)
    signalled, kept = signalled_and_kept(engine, rules)
    assert signalled <= kept


def week(**changes: Any) -> dict[str, Any]:
    """A weekly snapshot of a steady account: 10 of its seats used, no power users, flat revenue."""
    steady = {
        "gap": 7,
        "active_users": 10,
        "power_users": 0,
        "logins": 40,
        "actions": 100,
        "feature_adoption": 0.6,
        "revenue": 100.0,
    }
    return steady | changes


def quiet(**changes: Any) -> dict[str, Any]:
    """An account with flat, half-used seats and nothing asked or achieved: nothing can fire."""
    base: dict[str, Any] = {
        "plan": "tier1",
        "seats_purchased": 30,
        "locations": 1,
        "tools": [],
        "latest_ago": 2,
        "usage": [week()] * 14,
        "tickets": [],
        "goal_ago": None,
    }
    return base | changes


@pytest.mark.parametrize(
    "changes",
    [
        {"seats_purchased": 12},  # 10 of 12 seats in use
        {"usage": [week(active_users=10 + w) for w in range(14)]},  # users growing
        {"usage": [week(revenue=100.0 + 10 * w) for w in range(14)]},  # their own revenue growing
        {"usage": [*[week()] * 13, week(power_users=2, feature_adoption=0.95)]},  # power users
        {"tickets": [{"ago": 3, "kind": "conversation", "subject": "we opened two new branches"}]},
        {
            "tickets": [
                {
                    "ago": 3,
                    "kind": "feature_request",
                    "subject": "Need cash flow view",
                    "requested_feature": "pnl",
                }
            ]
        },
        {"tools": ["Jurnal"]},
        {"goal_ago": 10},
        {"locations": 3},  # the catalog rule tier1 -> tier2 at 3 locations
    ],
)
def test_a_quiet_account_is_left_out_and_one_change_brings_it_back(
    engine: Engine, changes: dict[str, Any]
) -> None:
    store(engine, [quiet(), quiet(**changes)])
    signalled, kept = signalled_and_kept(engine, [RULES[0]])
    assert signalled == kept == {"A1"}
