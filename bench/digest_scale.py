"""Digest at scale: N accounts × 13 weekly snapshots, against a bare grouped SQL scan of the same rows.

    .venv/bin/python bench/digest_scale.py                 # 100k accounts on SQLite
    .venv/bin/python bench/digest_scale.py --accounts 10000 20000 50000 100000   # linearity
    .venv/bin/python bench/digest_scale.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Also times one `expansion` command inside this process on the large database.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlmodel import SQLModel

from handlers.commands import Command
from handlers.context import Context
from handlers.digest import compute
from handlers.dispatch import handle
from storage import models as db
from storage.db import make_engine, session_scope
from storage.usage_summary import refresh

TODAY = date(2026, 11, 24)
DEMO_DIR = Path(__file__).resolve().parents[1] / "storage" / "demo"
TEAM = "bench"
BATCH = 20_000


def populate(engine, n: int, seed: int = 7) -> None:
    """n accounts in one team, 13 weekly snapshots each; a mix of growing, full and quiet accounts."""
    import yaml

    rnd = random.Random(seed)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(db.CatalogDoc),
            [{"id": 1, "document": yaml.safe_load((DEMO_DIR / "catalog.yaml").read_text("utf-8"))}],
        )
        conn.execute(
            insert(db.Team),
            [{"team": TEAM, "slack_channel": "#bench", "timezone": "Asia/Jakarta", "digest_time": "08:30"}],
        )
        conn.execute(
            insert(db.Csm),
            [
                {"email": f"csm{i}@example.com", "name": f"CSM {i}", "team": TEAM, "timezone": "Asia/Jakarta"}
                for i in range(50)
            ],
        )
        accounts, usage = [], []
        for i in range(n):
            # About a quarter of a real portfolio shows an expansion signal at any time (PLAYBOOK: 20–30% of
            # customers expand in a year); the rest are quiet: seats comfortably free, flat usage, no asks.
            signalled = rnd.random() < 0.25
            seats = rnd.choice([10, 20, 30, 50])
            base = (
                rnd.randint(seats * 3 // 4, seats) if signalled else rnd.randint(seats // 3, seats * 2 // 3)
            )
            growth = rnd.choice([0.0, 0.01, 0.03]) if signalled else 0.0
            accounts.append(
                {
                    "account_id": f"B-{i:06d}",
                    "name": f"Bench Account {i:06d}",
                    "country": "ID",
                    "industry": "",
                    "plan": rnd.choice(["tier1", "tier1", "tier2"]),
                    "currency": "IDR",
                    "arr": 20_000_000,
                    "seats_purchased": seats,
                    "start_date": TODAY - timedelta(days=rnd.randint(30, 900)),
                    "renewal_date": TODAY + timedelta(days=rnd.randint(10, 300)),
                    "health_score": rnd.randint(45, 95),
                    "csm_email": f"csm{i % 50}@example.com",
                    "team": TEAM,
                    "locations": rnd.choice([1, 2, 3, 4]) if signalled else rnd.choice([1, 2]),
                    "tools": rnd.choice([[], ["Jurnal"]]) if signalled else [],
                    "language": "",
                }
            )
            adoption = rnd.choice([0.75, 0.92]) if signalled else rnd.choice([0.6, 0.75])
            for w in range(13):
                users = max(1, round(base * (1 + growth) ** w))
                usage.append(
                    {
                        "account_id": f"B-{i:06d}",
                        "date": TODAY - timedelta(days=2 + 7 * (12 - w)),
                        "active_users": users,
                        "power_users": rnd.randint(0, 3),
                        "logins": users * 4,
                        "actions": users * 40,
                        "feature_adoption": adoption,
                    }
                )
            if len(usage) >= BATCH:
                conn.execute(insert(db.Usage), usage)
                usage = []
            if len(accounts) >= BATCH:
                conn.execute(insert(db.Account), accounts)
                accounts = []
        if usage:
            conn.execute(insert(db.Usage), usage)
        if accounts:
            conn.execute(insert(db.Account), accounts)
    with session_scope(engine) as session:
        refresh(session, [f"B-{i:06d}" for i in range(n)])


def bare_scan(engine) -> float:
    start = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT account_id, count(*), max(active_users), min(active_users), sum(actions), "
                "max(feature_adoption) FROM usage WHERE date >= :since GROUP BY account_id"
            ),
            {"since": TODAY - timedelta(days=200)},
        ).fetchall()
    assert rows
    return time.perf_counter() - start


def run(url: str, n: int) -> dict[str, float]:
    engine = make_engine(url)
    t0 = time.perf_counter()
    populate(engine, n)
    load = time.perf_counter() - t0
    scan = min(bare_scan(engine) for _ in range(2))
    start = time.perf_counter()
    with session_scope(engine) as session:
        d = compute(session, TEAM, TODAY)
    digest_s = time.perf_counter() - start
    ctx = Context(engine=engine, today=TODAY)
    handle(Command("expansion", account="B-000042"), ctx)  # warm the process, as a server would be
    times = []
    for k in range(20):
        s = time.perf_counter()
        i = (k * 4999) % n
        by = f"B-{i:06d}" if k % 2 else f"bench account {i:06d}"  # by id, and by name as a CSM types it
        reply = handle(Command("expansion", account=by), ctx)
        times.append(time.perf_counter() - s)
        assert reply.ok, reply.text
    engine.dispose()
    return {
        "accounts": n,
        "populate_s": load,
        "bare_scan_s": scan,
        "digest_s": digest_s,
        "ratio": digest_s / scan,
        "items": len(d.items),
        "held_back": len(d.held_back),
        "expansion_ms_median": sorted(times)[len(times) // 2] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--url", default="")
    parser.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.accounts:
            url = args.url or f"sqlite:///{tmp}/bench-{n}.db"
            r = run(url, n)
            runs.append(r)
            print(
                f"{r['accounts']:>7} accounts × 13 snapshots: digest {r['digest_s']:.2f} s, "
                f"bare grouped scan {r['bare_scan_s']:.2f} s (×{r['ratio']:.1f}), "
                f"{int(r['items'])} shown / {int(r['held_back'])} held back; "
                f"`expansion` in-process {r['expansion_ms_median']:.1f} ms median "
                f"(populate {r['populate_s']:.0f} s)",
                flush=True,
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"database": args.url.split(":")[0] or "sqlite", "runs": runs}, indent=2)
        )


if __name__ == "__main__":
    main()
