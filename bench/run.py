"""Every benchmark in turn with its default arguments, then one Markdown table of the figures that matter.

    .venv/bin/python bench/run.py                 # `make bench`: half an hour (1M rows; 10k-300k accounts)
    .venv/bin/python bench/run.py --quick         # small sizes: checks the harness in under a minute
    .venv/bin/python bench/run.py --only slack_ack load

Each script's own output streams through as it runs; each hands its figures over with --json. The table
at the end (benchmark, figure, target, result, pass) is ready for README.md's Benchmarks section, and
bench/results/latest.json (git-ignored) keeps the figures, the arguments, exit statuses and the machine.
Exit status 1 when a script failed or a figure missed its target.

Targets come from the issues: issue 16 (ratios to a floor measured in the same run: a team's digest
within 3× a bare grouped scan of its rows and all teams' within 4× of one scan of every row, at 100k
accounts; 1M usage rows imported within 3× a bare `executemany` on SQLite and 4× `COPY` on PostgreSQL,
under 150 MB; `ask` within 2× `python -c "import sqlmodel"`), issue 2 (`expansion` under 50 ms in a
running process), issue 4 (Slack ack and answer), issue 5 (the WhatsApp webhook's 100 ms), issue 7
(the load test) and issue 10 (free text understood within 5 ms a message offline, no LangChain
import). A figure measured at another size than its target's is shown with "—". PostgreSQL
figures need a server (BENCH_PG_URL or TEST_DATABASE_URL); every bench creates its own database there
and drops it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "latest.json"


@dataclass
class Row:
    bench: str
    figure: str
    target: str  # "—" when the benchmark states none
    result: str
    passed: bool | None  # None: a figure without a target


Figures = dict[str, Any]

# name: (arguments for `make bench`, arguments for --quick)
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "import_usage": ([], ["--rows", "20000", "--accounts", "200"]),
    "digest_scale": ([], ["--accounts", "2000", "10000", "--runs", "1"]),
    "slack_ack": ([], ["--rounds", "1"]),
    "whatsapp_webhook": ([], ["--sequential", "10", "--reps", "3", "--per-rep", "3", "--burst", "20"]),
    "load": ([], ["--concurrency", "10"]),
    "ask_process": ([], ["--runs", "2"]),
    "understand": ([], ["--passes", "1", "--runs", "2"]),
}


def ms(value: float) -> str:
    return (
        f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    )


def label(database: str) -> str:
    return "PostgreSQL" if database.startswith("postgres") else "SQLite"


def spread(f: dict[str, float]) -> str:
    return f"p50 {ms(f['p50'])} · p99 {ms(f['p99'])} · max {ms(f['max'])}"


def versus(figure: float, floor: float) -> str:
    """A figure next to its floor from the same run, and their ratio."""
    return f"{figure:.2f} s vs floor {floor:.2f} s = ×{figure / floor:.1f}"


def import_rows(f: Figures) -> list[Row]:
    rows = []
    floors = {"sqlite": ("≤ 3×", 3, "bare `executemany`"), "postgresql": ("≤ 4×", 4, "bare `COPY`")}
    for key, (target, limit, what) in floors.items():
        r, db = f.get(key), label(key)
        if not r:
            continue
        n = f["rows"]
        full = n >= 1_000_000
        ratio = r["first"] / r["floor"]
        rows += [
            Row(
                "import_usage",
                f"import {n:,} usage rows, {f['accounts']:,} accounts ({db}) vs {what} of the same file",
                target if full else "—",
                versus(r["first"], r["floor"]),
                ratio <= limit if full else None,
            ),
            Row("import_usage", f"same files again, all unchanged ({db})", "—", f"{r['again']:.1f} s", None),
            Row(
                "import_usage",
                f"peak RSS of the import ({db}); the floor's process {r['floor_rss_mb']:,.0f} MB",
                "< 150 MB" if full else "—",
                f"{r['rss_mb']:,.0f} MB",
                r["rss_mb"] < 150 if full else None,
            ),
        ]
    return rows


def digest_rows(f: Figures) -> list[Row]:
    rows = []
    for key, runs in f.items():
        for r in runs:
            n = f"{r['accounts']:,} accounts × 13 snapshots ({label(key)})"
            goal = r["accounts"] == 100_000
            rows += [
                Row(
                    "digest_scale",
                    f"one team's digest (a quarter of {n}) vs a bare grouped scan of its usage rows",
                    "≤ 3×" if goal else "—",
                    versus(r["team_s"], r["team_floor_s"]),
                    r["team_ratio"] <= 3 if goal else None,
                ),
                Row(
                    "digest_scale",
                    f"all four teams' digests, {n}, vs one bare grouped scan of every usage row",
                    "≤ 4×" if goal else "—",
                    versus(r["all_s"], r["all_floor_s"]),
                    r["all_ratio"] <= 4 if goal else None,
                ),
                Row(
                    "digest_scale",
                    f"one team's digest as a whole process (`expansion-bot digest --json`), {n}",
                    "—",
                    f"{r['team_process_s']:.2f} s",
                    None,
                ),
                Row(
                    "digest_scale",
                    f"`expansion` command on {n} in a running process (by id and by name), median",
                    "< 50 ms",
                    ms(r["expansion_ms_median"]),
                    r["expansion_ms_median"] < 50,
                ),
            ]
    return rows


def ask_rows(f: Figures) -> list[Row]:
    floor = f["floor_s"]
    return [
        Row(
            "ask_process",
            f'`ask "{q}"` as a whole process vs `python -c "import sqlmodel"`, medians',
            "≤ 2×",
            versus(s, floor),
            s / floor <= 2,
        )
        for q, s in f["median_s"].items()
    ]


def slack_rows(f: Figures) -> list[Row]:
    what = f"{f['concurrency']} concurrent {f['command']} × {f['rounds']} round(s)"
    ack, answer = f["ack_ms"], f["answer_ms"]
    return [
        Row("slack_ack", f"ack, {what}", "p99 < 100 ms", spread(ack), ack["p99"] < 100),
        Row("slack_ack", f"full answer, {what}", "p99 < 1 s", spread(answer), answer["p99"] < 1000),
    ]


def whatsapp_rows(f: Figures) -> list[Row]:
    burst_ok = (
        f["burst_answered"] == f["burst_expected"]
        and f["burst_forged_403"] == f["burst_forged_sent"]
        and not f["pending"]
        and not f["server_errors"]
    )
    burst = (
        f"{f['burst_answered']}/{f['burst_expected']} answered once, "
        f"{f['burst_forged_403']}/{f['burst_forged_sent']} forged refused, "
        f"{f['pending']} pending, {f['server_errors']} server errors"
    )
    return [
        Row(
            "whatsapp_webhook",
            "webhook response, all phases (client view)",
            "p99 < 100 ms",
            spread(f["webhook_all_ms"]),
            f["webhook_all_ms"]["p99"] < 100,
        ),
        Row("whatsapp_webhook", "webhook time inside the server", "—", spread(f["inside_all_ms"]), None),
        Row(
            "whatsapp_webhook",
            "first part of the reply at Twilio",
            "p99 < 2 s",
            spread(f["first_part_ms"]),
            f["first_part_ms"]["p99"] < 2000,
        ),
        Row(
            "whatsapp_webhook",
            "burst with redeliveries and forged signatures",
            "all answered once",
            burst,
            burst_ok,
        ),
    ]


def load_rows(f: Figures) -> list[Row]:
    rows = []
    for r in f["runs"]:
        n, db = r["concurrency"], label(r["database"])
        for channel, name in (("slack", "Slack"), ("whatsapp", "WhatsApp")):
            c = r[channel]
            limit = c["deadline_ms"]
            ack, answer = c["ack_ms"], c["answer_ms"]
            rows += [
                Row(
                    "load",
                    f"{name} ack, {n} + {n} at once ({db})",
                    f"max < {limit / 1000:.0f} s",
                    spread(ack) if ack else "none",
                    bool(ack) and ack["max"] < limit,
                ),
                Row(
                    "load",
                    f"{name} full answer, {n} + {n} at once ({db})",
                    "—",
                    spread(answer) if answer else "none",
                    None,
                ),
            ]
        s = r["server"]
        stop = f"{'clean' if s['clean_exit'] else 'NOT clean'} exit in {s['stop_s']:.1f} s"
        counts = (
            f"{r['slack']['errors']} Slack, {r['whatsapp']['errors']} WhatsApp, {s['error_lines']} logged"
        )
        rows.append(
            Row(
                "load",
                f"errors and shutdown ({db})",
                "0 errors, clean SIGTERM",
                f"errors: {counts}; {stop}",
                not r["errors"],
            ),
        )
    return rows


def understand_rows(f: Figures) -> list[Row]:
    """Issue 10: free text understood offline within 5 ms a message, no LangChain import offline."""
    rows = [
        Row(
            "understand",
            f"understanding one message offline, {f['messages']} labelled × {f['passes']}, median / p95",
            "< 5 ms",
            f"{ms(f['median_ms'])} / {ms(f['p95_ms'])}",
            f["median_ms"] < 5,
        ),
        Row(
            "understand",
            "free-text `ask` as a whole process, median; LangChain imported offline",
            "none",
            f"{f['ask_median_s']:.2f} s; {'yes' if f['langchain_imported'] else 'no'}",
            not f["langchain_imported"],
        ),
    ]
    for name, a in f["accuracy"].items():
        rows.append(
            Row(
                "understand",
                f"{name}: command + account + options right; answers about a wrong account",
                "≥ 95%, 0" if name == "labelled set" else "0 wrong",
                f"{a['right'] / a['total']:.1%} of {a['total']}; {a['wrong_account']}",
                a["wrong_account"] == 0 and (name != "labelled set" or a["right"] >= 0.95 * a["total"]),
            )
        )
    return rows


READERS: dict[str, Callable[[Figures], list[Row]]] = {
    "import_usage": import_rows,
    "digest_scale": digest_rows,
    "slack_ack": slack_rows,
    "whatsapp_webhook": whatsapp_rows,
    "load": load_rows,
    "ask_process": ask_rows,
    "understand": understand_rows,
}


def run_script(name: str, args: list[str], folder: Path) -> dict[str, Any]:
    """Run one script with --json, its output passed through (and kept); its figures and exit status."""
    out = folder / f"{name}.json"
    command = [sys.executable, str(BENCH / f"{name}.py"), *args, "--json", str(out)]
    print(f"\n$ {' '.join(['.venv/bin/python', f'bench/{name}.py', *args])}", flush=True)
    started = time.monotonic()
    lines = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
    return {
        "args": args,
        "exit_status": child.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "figures": json.loads(out.read_text("utf-8")) if out.exists() else None,
        "output": lines[-200:],
    }


def rows_of(name: str, result: dict[str, Any]) -> list[Row]:
    figures = result["figures"]
    if figures is None:
        return [Row(name, "ran to the end", "exit status 0", f"failed (exit {result['exit_status']})", False)]
    rows = READERS[name](figures)
    if result["exit_status"] != 0 and all(r.passed is not False for r in rows):
        rows.append(Row(name, "exit status", "0", str(result["exit_status"]), False))
    return rows


def table(rows: list[Row]) -> str:
    mark = {True: "pass", False: "**FAIL**", None: "—"}
    lines = ["| Benchmark | Figure | Target | Result | |", "|---|---|---|---|---|"]
    lines += [f"| `{r.bench}` | {r.figure} | {r.target} | {r.result} | {mark[r.passed]} |" for r in rows]
    return "\n".join(lines)


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=BENCH)
    return done.stdout.strip() + (" (with local changes)" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--only", nargs="+", choices=list(SCRIPTS), help="run these benchmarks only")
    parser.add_argument(
        "--json", type=Path, default=RESULTS, help=f"default {RESULTS.relative_to(BENCH.parent)}"
    )
    args = parser.parse_args()
    names = args.only or list(SCRIPTS)
    machine = {
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": git_commit(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
    }
    results: dict[str, Any] = {}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        for name in names:
            default, quick = SCRIPTS[name]
            results[name] = run_script(name, quick if args.quick else default, Path(tmp))
            rows += rows_of(name, results[name])
    machine["load_after"] = [round(x, 2) for x in os.getloadavg()]
    heading = (
        f"Measured {machine['started'][:10]} on {machine['cpus']} CPUs (load average "
        f"{machine['load_before'][0]} before, {machine['load_after'][0]} after), Python {machine['python']}, "
        f"commit {machine['commit']}{'; --quick sizes' if args.quick else ''}."
    )
    print(f"\n{heading}\n\n{table(rows)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "rows": [asdict(r) for r in rows], "benchmarks": results}
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    print(f"\nwritten: {args.json}")
    sys.exit(1 if any(r.passed is False for r in rows) else 0)


if __name__ == "__main__":
    main()
