"""Digest at scale beside its floor from the same run: N accounts in four teams × 13 weekly snapshots.

    .venv/bin/python bench/digest_scale.py                 # 10k, 100k and 300k accounts; SQLite, and
                                                           # PostgreSQL with BENCH_PG_URL/TEST_DATABASE_URL
    .venv/bin/python bench/digest_scale.py --accounts 2000 --pg postgresql+psycopg://postgres@127.0.0.1:5432

Figures, each next to its floor (medians of runs that alternate with it, in one warm process):
- one team's digest (handlers.digest.compose: load, pre-filter, assess, rank, render) against a bare
  grouped scan of that team's usage rows through the driver;
- every team's digest in turn (as the morning scheduler computes them) against one bare grouped scan of
  every usage row;
- one team's digest as a whole process (`expansion-bot digest --json`: start-up included), and one
  `expansion` command inside a running process.
On PostgreSQL the bench creates a database of its own on that server and drops it (bench/pg.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TODAY = date(2026, 11, 24)
TEAMS = ("team0", "team1", "team2", "team3")
BATCH = 20_000
SCAN = {
    "team": (
        "SELECT u.account_id, count(*), max(u.active_users), min(u.active_users), sum(u.actions), "
        "max(u.feature_adoption) FROM usage u JOIN account a ON a.account_id = u.account_id "
        "WHERE a.team = {p} AND u.date >= {p} GROUP BY u.account_id"
    ),
    "all": (
        "SELECT account_id, count(*), max(active_users), min(active_users), sum(actions), "
        "max(feature_adoption) FROM usage WHERE date >= {p} GROUP BY account_id"
    ),
}


def bare_scan(url: str, which: str) -> float:
    """The floor: one grouped scan of the usage rows a digest covers, straight through the driver."""
    since = (TODAY - timedelta(days=200)).isoformat()
    if url.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(url.split("///", 1)[1])
        p = "?"
    else:
        import psycopg

        conn, p = psycopg.connect(url.replace("postgresql+psycopg", "postgresql")), "%s"
    started = time.perf_counter()
    rows = conn.execute(
        SCAN[which].format(p=p), (TEAMS[0], since) if which == "team" else (since,)
    ).fetchall()
    elapsed = time.perf_counter() - started
    conn.close()
    assert rows
    return elapsed


def populate(url: str, n: int, seed: int = 7) -> None:
    """n accounts over four teams, 13 weekly snapshots each; about a quarter of them show a signal."""
    import yaml
    from sqlalchemy import insert

    from storage import models as db
    from storage.db import make_engine, upgrade
    from storage.usage_summary import refresh

    engine = make_engine(url)
    upgrade(engine)
    rnd = random.Random(seed)
    catalog = yaml.safe_load((ROOT / "storage" / "demo" / "catalog.yaml").read_text("utf-8"))
    with engine.begin() as conn:
        conn.execute(insert(db.CatalogDoc), [{"id": 1, "document": catalog}])
        conn.execute(
            insert(db.Team),
            [
                {"team": t, "slack_channel": f"#{t}", "timezone": "Asia/Jakarta", "digest_time": "08:30"}
                for t in TEAMS
            ],
        )
        conn.execute(
            insert(db.Csm),
            [
                {
                    "email": f"csm{i}@example.com",
                    "name": f"CSM {i}",
                    "team": TEAMS[i % 4],
                    "timezone": "Asia/Jakarta",
                }
                for i in range(200)
            ],
        )
        accounts: list[dict[str, Any]] = []
        usage: list[dict[str, Any]] = []
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
                    "csm_email": f"csm{i % 200}@example.com",
                    "team": TEAMS[i % 4],
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
        refresh(conn, [f"B-{i:06d}" for i in range(n)])
    engine.dispose()


def measure(url: str, runs: int) -> dict[str, float]:
    """In the child: each digest and its floor alternately, `runs` times; medians (a shared machine's load
    falls on both alike)."""
    from handlers.digest import compose
    from storage.db import make_engine, session_scope

    engine = make_engine(url)

    def digest(teams: tuple[str, ...]) -> float:
        started = time.perf_counter()
        for team in teams:  # every team in one process, as the morning scheduler computes them
            with session_scope(engine) as session:
                compose(session, team, TODAY)
        return time.perf_counter() - started

    digest(TEAMS[1:2])  # imports and first connection, as in a running server
    times: dict[str, list[float]] = {"team_s": [], "team_floor_s": [], "all_s": [], "all_floor_s": []}
    for _ in range(runs):
        times["team_floor_s"].append(bare_scan(url, "team"))
        times["team_s"].append(digest(TEAMS[:1]))
        times["all_floor_s"].append(bare_scan(url, "all"))
        times["all_s"].append(digest(TEAMS))
    return {k: statistics.median(v) for k, v in times.items()}


def process_s(url: str, runs: int) -> float:
    """One team's digest as a whole process: start-up, imports, schema check, digest, JSON out."""
    env = os.environ | {"DATABASE_URL": url, "TODAY": TODAY.isoformat()}
    command = [
        sys.executable,
        "-m",
        "bot",
        "digest",
        "--team",
        TEAMS[0],
        "--date",
        TODAY.isoformat(),
        "--json",
    ]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - started)
        if done.returncode:
            sys.exit(f"`{' '.join(command[1:])}` failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return statistics.median(times)


def expansion_ms(url: str, n: int) -> float:
    """Median of one `expansion` command inside a warm process, by id and by name as a CSM types it."""
    from handlers.commands import Command
    from handlers.context import Context
    from handlers.dispatch import handle
    from storage.db import make_engine

    ctx = Context(engine=make_engine(url), today=TODAY)
    handle(Command("expansion", account="B-000042"), ctx)
    times = []
    for k in range(20):
        i = (k * 4999) % n
        started = time.perf_counter()
        reply = handle(Command("expansion", account=f"B-{i:06d}" if k % 2 else f"bench account {i:06d}"), ctx)
        times.append(time.perf_counter() - started)
        assert reply.ok, reply.text
    return statistics.median(times) * 1000


def run(url: str, n: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    populate(url, n)
    figures: dict[str, Any] = {"accounts": n, "populate_s": time.perf_counter() - started}
    child = subprocess.run(
        [sys.executable, __file__, "--measure", url, str(runs)], check=True, capture_output=True, text=True
    )
    figures |= json.loads(child.stdout)
    figures["team_ratio"] = figures["team_s"] / figures["team_floor_s"]
    figures["all_ratio"] = figures["all_s"] / figures["all_floor_s"]
    figures["team_process_s"] = process_s(url, runs)
    figures["expansion_ms_median"] = expansion_ms(url, n)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL", ""),
        help="a PostgreSQL server URL (the bench creates and drops a database of its own there)",
    )
    parser.add_argument("--runs", type=int, default=3, help="paired runs per figure (medians)")
    parser.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]))))
        return
    from pg import own_database

    results: dict[str, list[dict[str, Any]]] = {"sqlite": [], "postgresql": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.accounts:
            databases = [("sqlite", lambda n=n: nullcontext(f"sqlite:///{tmp}/bench-{n}.db"))]
            if args.pg:
                databases.append(("postgresql", lambda: own_database(args.pg)))
            for name, database in databases:
                with database() as url:
                    r = run(url, n, args.runs)
                results[name].append(r)
                print(
                    f"{name:<10} {n:>7,} accounts: one team {r['team_s']:.2f} s vs floor "
                    f"{r['team_floor_s']:.2f} s (×{r['team_ratio']:.1f}), as a whole process "
                    f"{r['team_process_s']:.2f} s; all teams {r['all_s']:.2f} s vs {r['all_floor_s']:.2f} s "
                    f"(×{r['all_ratio']:.1f}); `expansion` {r['expansion_ms_median']:.1f} ms "
                    f"(populate {r['populate_s']:.0f} s)",
                    flush=True,
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
