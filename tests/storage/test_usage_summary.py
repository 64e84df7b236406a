"""Usage summaries computed while an import streams its rows equal those computed from every stored row,
whatever the order of the file and whatever the table held before."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from storage import models as db
from storage.importer import import_paths
from storage.usage_summary import refresh

CATALOG = "currency: IDR\nplans:\n  - {code: tier1, name: Tier 1, price: 100}\n"
HEADER = "account_id,date,active_users,power_users,logins,actions,feature_adoption,revenue\n"
START = date(2026, 1, 1)


def accounts(n: int) -> str:
    head = "account_id,name,country,plan,arr,start_date,health_score,csm_email,team\n"
    return head + "".join(
        f"A{i},Account {i},ID,tier1,100,2025-01-01,80,csm@example.com,t\n" for i in range(n)
    )


def usage_rows(rng: random.Random, account: str, days: list[int]) -> list[str]:
    return [
        f"{account},{START + timedelta(days=d)},{rng.randint(0, 50)},{rng.randint(0, 5)},"
        f"{rng.randint(0, 90)},{rng.randint(0, 900)},{rng.random():.3f},{rng.choice(['', '120.5', '300'])}\n"
        for d in days
    ]


def summaries(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(db.UsageSummary).order_by(db.UsageSummary.account_id))]


def test_streamed_summaries_match_a_full_recount(engine: Engine, tmp_path: Path) -> None:
    rng = random.Random(3)
    (tmp_path / "catalog.yaml").write_text(CATALOG, "utf-8")
    (tmp_path / "accounts.csv").write_text(accounts(8), "utf-8")
    first = []
    for i in range(4):  # these four already have rows before the second import
        first += usage_rows(rng, f"A{i}", sorted(rng.sample(range(0, 200), 12)))
    (tmp_path / "usage.csv").write_text(HEADER + "".join(first), "utf-8")
    import_paths(engine, [tmp_path])

    in_order, reversed_ = [], []
    for i in range(8):
        days = sorted(rng.sample(range(200, 500), [1, 2, 5, 30, 1, 40, 60, 90][i]))
        rows = usage_rows(rng, f"A{i}", days)
        if i % 3 == 0:
            reversed_ += reversed(rows)  # out of date order: summarised from the table instead
        else:
            in_order += rows
    second = sorted(in_order, key=lambda row: row.split(",")[1]) + reversed_  # accounts interleaved by day
    (tmp_path / "usage.csv").write_text(HEADER + "".join(second), "utf-8")
    import_paths(engine, [tmp_path])
    streamed = summaries(engine)

    with engine.begin() as conn:
        refresh(conn, [f"A{i}" for i in range(8)])
    assert len(streamed) == 8
    assert streamed == summaries(engine)
