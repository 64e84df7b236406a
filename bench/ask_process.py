"""`expansion-bot ask "expansion X"` as a whole process, the way a script or a cron job calls it: start,
imports, database, answer, exit. LangChain, Bolt and Twilio are imported only by the commands that need
them, so this stays well under a second.

    .venv/bin/python bench/ask_process.py              # 7 runs on the demo (SQLite)
    .venv/bin/python bench/ask_process.py --runs 15 --json /tmp/ask.json
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
from pathlib import Path

QUESTIONS = ["expansion Kopi Nusantara", "prep Kopi Nusantara", "draft Kopi Nusantara whatsapp id"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as tmp:
        env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp}/demo.db", "TODAY": "2026-11-24"}
        cli = [sys.executable, "-m", "bot"]
        subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)
        figures: dict[str, float] = {}
        for question in QUESTIONS:
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run([*cli, "ask", question], env=env, check=True, capture_output=True)
                times.append(time.perf_counter() - started)
            figures[question] = statistics.median(times)
            print(f'`ask "{question}"` as a whole process: median {figures[question]:.2f} s over {args.runs}')
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "median_s": figures}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
