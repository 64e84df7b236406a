"""Small builders for the playbooks' plain data, so each test states only what matters to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from playbooks.catalog import parse_catalog
from playbooks.model import Account, AccountData, Catalog, Contact, Goal, PastOutcome, Ticket, UsagePoint

TODAY = date(2026, 11, 24)
DEMO_CATALOG = Path(__file__).parents[1] / "storage" / "demo" / "catalog.yaml"


def catalog() -> Catalog:
    return parse_catalog(yaml.safe_load(DEMO_CATALOG.read_text("utf-8")))


def days(n: int) -> date:
    """n days before TODAY."""
    return TODAY - timedelta(days=n)


def account(**kw: Any) -> Account:
    base = Account(
        account_id="T-1",
        name="Test Co",
        country="ID",
        plan="tier1",
        currency="IDR",
        arr=20_000_000,
        start_date=days(400),
        renewal_date=TODAY + timedelta(days=200),
        health_score=80,
        csm_email="dewi@example.com",
        team="jakarta",
        seats_purchased=20,
        locations=1,
    )
    return replace(base, **kw)


def usage(
    users: list[int], *, actions: list[int] | None = None, power: int = 0, adoption: float = 0.7
) -> tuple[UsagePoint, ...]:
    """Monthly snapshots, oldest first, the last one two days ago."""
    actions = actions or [u * 50 for u in users]
    n = len(users)
    return tuple(
        UsagePoint(days(2 + 30 * (n - 1 - i)), u, min(power, u), u * 12, a, adoption)
        for i, (u, a) in enumerate(zip(users, actions, strict=True))
    )


def data(acct: Account | None = None, **kw: Any) -> AccountData:
    kw.setdefault("usage", usage([10, 10, 10, 10]))
    kw.setdefault("contacts", (Contact("Andi", "Manager", is_champion=True, since=days(300)),))
    return AccountData(account=acct or account(), **kw)


def ticket(ago: int, subject: str, body: str = "", *, kind: str = "ticket", feature: str = "") -> Ticket:
    return Ticket(days(ago), kind, subject, body, feature)


def goal(text: str, ago: int | None = None) -> Goal:
    return Goal(
        text, "achieved" if ago is not None else "in_progress", days(ago) if ago is not None else None
    )


def outcome(kind: str, ago: int, reason: str = "") -> PastOutcome:
    return PastOutcome(kind, days(ago), reason)
