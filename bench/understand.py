"""Free-text understanding (issue 10), offline: the time one message takes to be understood, over the
labelled set of tests/data/utterances.yaml on its own portfolio (its database built once), the way
dispatch does it (memory read, strict parse, account names, the offline step). Target: under 5 ms per
message. Also the accuracy on the labelled set and on two held-out ones (tests/data/utterances_heldout.yaml
and utterances_heldout2.yaml, never used to change the phrase lists). Then `ask` with free text as a
whole process, which must import no LangChain offline.

    .venv/bin/python bench/understand.py                  # 5 passes over the set
    .venv/bin/python bench/understand.py --passes 20 --json /tmp/understand.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import yaml  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402
from test_understand_labelled import SET, USER, add_portfolio, expected, got, read, recent  # noqa: E402

import storage.models  # noqa: E402, F401  (registers the tables)
from handlers.context import Context  # noqa: E402
from handlers.dispatch import ACCOUNT_COMMANDS, MEMORY_TTL  # noqa: E402
from handlers.understanding.converse import interpret  # noqa: E402
from storage.db import make_engine  # noqa: E402

TARGET_MS = 5.0
HELD_OUT = {
    "held-out set": ROOT / "tests" / "data" / "utterances_heldout.yaml",
    "second held-out set": ROOT / "tests" / "data" / "utterances_heldout2.yaml",
}
FREE_TEXT = "when does Kopi Nusantara renew?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="`ask` processes")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-understand-") as tmp:
        per_message, scores = understanding_ms(f"sqlite:///{tmp}/set.db", args.passes)
        ask_s, imported = ask_process(tmp, args.runs)
    for name, (right, total, wrong) in scores.items():
        print(f"{name}: {right}/{total} right ({right / total:.1%}), {wrong} about a wrong account")
    n = len(SET["utterances"])
    p95 = statistics.quantiles(per_message, n=20)[-1]
    median = statistics.median(per_message)
    print(f"understanding, offline: median {median:.2f} ms, p95 {p95:.2f} ms per message")
    print(f"  over {n} labelled messages × {args.passes} passes (target < {TARGET_MS} ms)")
    print(f'`ask "{FREE_TEXT}"` as a whole process: median {ask_s:.2f} s over {args.runs}')
    print(f"LangChain imported offline: {imported}")
    if args.json:
        result = {
            "messages": n,
            "passes": args.passes,
            "median_ms": median,
            "p95_ms": p95,
            "target_ms": TARGET_MS,
            "ask_median_s": ask_s,
            "langchain_imported": imported,
            "accuracy": {
                name: {"right": r, "total": t, "wrong_account": w} for name, (r, t, w) in scores.items()
            },
        }
        args.json.write_text(json.dumps(result, indent=2), "utf-8")


def understanding_ms(url: str, passes: int) -> tuple[list[float], dict[str, tuple[int, int, int]]]:
    """Each message's understanding, memory set as the set says (not timed), the rest timed; and how
    many of each set were understood right, and how many named a wrong account."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    add_portfolio(engine, SET["portfolio"])
    times: list[float] = []
    for done in range(passes + 1):  # the first pass warms the caches (phrases, name index) untimed
        for item in SET["utterances"]:
            recent(engine, item.get("r"))
            ctx = Context(engine, date(2026, 11, 24), caller_email=SET["asker"], user_key=USER)
            started = time.perf_counter()
            interpret(item["t"], ctx, account_commands=ACCOUNT_COMMANDS, ttl=MEMORY_TTL)
            if done:
                times.append((time.perf_counter() - started) * 1000)
    scores = {"labelled set": score(engine, SET["utterances"])}
    for name, path in HELD_OUT.items():
        scores[name] = score(engine, yaml.safe_load(path.read_text("utf-8"))["utterances"])
    engine.dispose()
    return times, scores


def score(engine: Engine, items: list[dict[str, str]]) -> tuple[int, int, int]:
    right = wrong = 0
    for item in items:
        want, have = expected(item["e"]), got(read(engine, item))
        right += want == have
        wrong += bool(have[1] and have[1] != want[1])
    return right, len(items), wrong


def ask_process(tmp: str, runs: int) -> tuple[float, bool]:
    """`expansion-bot ask` with free text, as a script calls it; and whether LangChain got imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp}/demo.db", "TODAY": "2026-11-24"}
    subprocess.run([sys.executable, "-m", "bot", "demo"], env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", FREE_TEXT], env=env, check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    probe = (
        "import sys; from handlers.dispatch import handle_text;"
        "from bot.wiring import context, ready_engine; from bot.settings import load_settings;"
        "s = load_settings();"
        f"handle_text({FREE_TEXT!r}, context(s, ready_engine(s)));"
        "print(any(m.startswith('langchain') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return statistics.median(times), out.stdout.strip().endswith("True")


if __name__ == "__main__":
    main()
