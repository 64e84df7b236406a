"""Times `import_paths` on accounts + 1M usage rows: SQLite always, PostgreSQL with --pg or TEST_DATABASE_URL.

    .venv/bin/python bench/import_usage.py [--rows 1000000] [--accounts 2000] [--pg URL]

Each database is measured in its own child process, so the peak RSS printed is that import's alone.
Every run imports twice: into an empty database (all added), then again (all unchanged).
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401
    from storage.db import make_engine
    from storage.importer import import_paths

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
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


def pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}"


def run_child(url: str, folder: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", url, str(folder)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(done.stderr)
    return dict(json.loads(done.stdout))


def report(name: str, rows: int, r: dict[str, float]) -> None:
    print(
        f"{name:<10} first import {r['first']:6.1f} s ({rows / r['first']:>9,.0f} rows/s)   "
        f"re-import {r['again']:6.1f} s ({rows / r['again']:>9,.0f} rows/s)   peak RSS {r['rss_mb']:,.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=2_000)
    ap.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", ""))
    ap.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    ap.add_argument("--child", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
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
        report("sqlite", args.rows, figures["sqlite"])
        if args.pg:
            from sqlalchemy import create_engine, text

            schema, url = pg_schema_url(args.pg)
            admin = create_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                figures["postgresql"] = run_child(url, folder)
                report("postgresql", args.rows, figures["postgresql"])
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2), "utf-8")


if __name__ == "__main__":
    main()
