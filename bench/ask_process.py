"""`expansion-bot ask "expansion X"` as a whole process, the way a script or a cron job calls it: start,
imports, schema check, database, answer, exit; next to its floor, `python -c "import sqlmodel"`, run
alternately with it so both see the same load. LangChain, Bolt and Twilio are imported only by the
commands that need them.

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
        floors: list[float] = []
        for question in QUESTIONS:
            times = []
            for _ in range(args.runs):
                times.append(timed([*cli, "ask", question], env))
                floors.append(timed([sys.executable, "-c", "import sqlmodel"], env))
            figures[question] = statistics.median(times)
            print(f'`ask "{question}"` as a whole process: median {figures[question]:.2f} s over {args.runs}')
        floor = statistics.median(floors)
        print(f'floor, `python -c "import sqlmodel"`: median {floor:.2f} s over {len(floors)}')
    if args.json:
        result = {"runs": args.runs, "median_s": figures, "floor_s": floor}
        args.json.write_text(json.dumps(result, indent=2), "utf-8")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
