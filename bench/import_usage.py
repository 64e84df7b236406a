"""Times `import_paths` on accounts + 1M usage rows beside the driver's floor, SQLite and PostgreSQL.

    .venv/bin/python bench/import_usage.py [--rows 1000000] [--accounts 2000] [--pg SERVER_URL]

The floor loads the same usage.csv with no checks at all: on SQLite `executemany` of the csv module's
rows in one transaction, on PostgreSQL `COPY … FROM STDIN` of the file. Each import and each floor runs
in its own child process on a fresh database, so the peak RSS printed is that run's alone; the import
goes twice, into an empty database (all added) and again (all unchanged). PostgreSQL runs in a
database of the bench's own (bench/pg.py), with --pg, BENCH_PG_URL or TEST_DATABASE_URL naming the server.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CATALOG = """currency: IDR
plans:
  - {code: tier1, name: Tier 1, price: 4500000, period: once}
  - {code: tier2, name: Tier 2, price: 9000000, period: once}
"""
COUNTRIES = ("SG", "MY", "ID", "TH", "VN", "PH")


def generate(folder: Path, rows: int, accounts: int) -> None:
    """catalog.yaml, accounts.csv and usage.csv with `rows` rows spread over the accounts, one per day."""
    rng = random.Random(7)
    (folder / "catalog.yaml").write_text(CATALOG, "utf-8")
    start = dt.date(2020, 1, 1)
    with (folder / "accounts.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "account_id",
                "name",
                "country",
                "plan",
                "arr",
                "start_date",
                "health_score",
                "csm_email",
                "team",
                "tools",
            ]
        )
        for i in range(accounts):
            w.writerow(
                [
                    f"A{i:06d}",
                    f"Account {i}",
                    COUNTRIES[i % 6],
                    "tier1",
                    1000 + i,
                    "2019-06-01",
                    rng.randint(40, 100),
                    f"csm{i % 20}@example.com",
                    f"team{i % 6}",
                    "Jurnal;GoFood",
                ]
            )
    days = -(-rows // accounts)
    with (folder / "usage.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["account_id", "date", "active_users", "power_users", "logins", "actions", "feature_adoption"]
        )
        written = 0
        for d in range(days):
            day = (start + dt.timedelta(days=d)).isoformat()
            for i in range(min(accounts, rows - written)):
                users = rng.randint(1, 200)
                w.writerow(
                    [f"A{i:06d}", day, users, users // 4, users * 5, users * 40, round(rng.random(), 3)]
                )
            written += min(accounts, rows - written)


def measure(url: str, folder: str) -> dict[str, float]:
    """In the child: create the tables, import twice, report seconds and peak RSS."""
    from rich.console import Console

    from storage.db import make_engine, upgrade
    from storage.importer import import_paths

    engine = make_engine(url)
    upgrade(engine)
    console = Console(stderr=True)
    out: dict[str, float] = {}
    for label in ("first", "again"):
        t0 = time.perf_counter()
        summary = import_paths(engine, [Path(folder)], console=console)
        out[label] = time.perf_counter() - t0
        print(summary.describe(), file=sys.stderr)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine.dispose()
    return out


def floor(url: str, folder: str) -> dict[str, float]:
    """In the child: the same usage.csv loaded with nothing but the driver, into the same table."""
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    path = Path(folder) / "usage.csv"
    columns = "account_id, date, active_users, power_users, logins, actions, feature_adoption"
    started = time.perf_counter()
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1])
        with path.open(newline="", encoding="utf-8") as f, conn:
            rows = csv.reader(f)
            next(rows)
            conn.executemany(f"INSERT INTO usage ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    else:
        import psycopg

        copy_sql = f"COPY usage ({columns}) FROM STDIN (FORMAT csv, HEADER)"
        with (
            psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn,
            conn.cursor() as cur,
            path.open("rb") as f,
            cur.copy(copy_sql) as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
    elapsed = time.perf_counter() - started
    return {"floor": elapsed, "floor_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(url: str, folder: Path, which: str = "--child") -> dict[str, float]:
    cmd = [sys.executable, __file__, which, url, str(folder)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(done.stderr)
    return dict(json.loads(done.stdout))


def report(name: str, rows: int, r: dict[str, float]) -> None:
    print(
        f"{name:<10} first import {r['first']:6.1f} s ({rows / r['first']:>9,.0f} rows/s), floor "
        f"{r['floor']:.1f} s (×{r['first'] / r['floor']:.1f}); re-import {r['again']:6.1f} s; "
        f"peak RSS {r['rss_mb']:,.0f} MB (floor {r['floor_rss_mb']:,.0f} MB)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=2_000)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL", ""))
    ap.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    ap.add_argument("--child", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    ap.add_argument("--floor", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    if args.floor:
        print(json.dumps(floor(*args.floor)))
        return
    figures: dict[str, object] = {"rows": args.rows, "accounts": args.accounts}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        t0 = time.perf_counter()
        generate(folder, args.rows, args.accounts)
        size = (folder / "usage.csv").stat().st_size / 1e6
        figures["generate_s"] = time.perf_counter() - t0
        print(
            f"generated {args.accounts:,} accounts + {args.rows:,} usage rows ({size:.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        figures["sqlite"] = run_child(f"sqlite:///{tmp}/bench.db", folder)
        figures["sqlite"] |= run_child(f"sqlite:///{tmp}/floor.db", folder, "--floor")
        report("sqlite", args.rows, figures["sqlite"])
        if args.pg:
            from pg import own_database

            with own_database(args.pg) as url:
                figures["postgresql"] = run_child(url, folder)
            with own_database(args.pg) as url:
                figures["postgresql"] |= run_child(url, folder, "--floor")
            report("postgresql", args.rows, figures["postgresql"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2), "utf-8")


if __name__ == "__main__":
    main()
