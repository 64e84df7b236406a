"""WhatsApp webhook under load: uvicorn on 127.0.0.1, the demo portfolio, a stand-in Twilio API.

    .venv/bin/python bench/whatsapp_webhook.py                       # 300 messages
    .venv/bin/python bench/whatsapp_webhook.py --reps 20 --per-rep 20 --twilio-latency 0.2

Three phases, each with signed form posts exactly as Twilio sends them:
  sequential  one rep, one message at a time, waiting for the whole reply before the next;
  concurrent  --reps reps at once, each waiting for its reply (a realistic busy morning);
  burst       every message of --burst at once from a thread pool, not waiting for replies, with a
              few duplicate deliveries and forged signatures mixed in.
Reports the webhook's response time (Twilio's 15 s budget; target < 100 ms) and how long the reply took
to reach the mock Twilio API (first part, and the last part of a split reply).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel, col

from bot.settings import load_settings
from bot.web import create_web_app
from bot.whatsapp.render import FORWARD_NOTE
from storage import models as db
from storage.db import make_engine, session_scope
from tests.fakes.twilio_api import FakeTwilio, inbound_form, sign

TODAY = date(2026, 11, 24)
ACCOUNT_SID = "AC" + "b" * 32
TOKEN = "bench-auth-token"
BOT = "whatsapp:+14155238886"
PUBLIC = "https://bench.example.com"
PART = re.compile(r"^\(1/(\d+)\) ")
COMMANDS = (
    "help",
    "expansion {name}",
    "prep {name}",
    "draft",
    "objection budget",
    "siapkan {name}",
    "draf {name} id",
    "keberatan {name} tidak ada budget",
    "expansion mine",
)


def database(folder: Path, reps: int) -> tuple[Engine, list[str]]:
    """A SQLite file with the demo portfolio, plus `reps` registered CSMs for the bench; account names."""
    from storage.demo import load_demo

    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    load_demo(engine, TODAY)
    with session_scope(engine) as session:
        for i in range(reps + 1):
            session.add(
                db.Csm(
                    email=f"rep{i}@bench.example.com", name=f"Rep {i}", team="jakarta", whatsapp=rep(i)[9:]
                )
            )
        names = list(session.scalars(select(col(db.Account.name)).order_by(db.Account.account_id)))
    return engine, names


def rep(i: int) -> str:
    return f"whatsapp:+62819{i:07d}"


def serve(env: dict[str, str], folder: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """The web app of `serve` under uvicorn in its own process on a free port, as in production."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = folder / "server.log"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        env={**os.environ, **env, "PORT": str(port)},
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return child, base, log
        except httpx.TransportError:
            time.sleep(0.05)
    child.kill()
    raise RuntimeError("the server did not start: " + log.read_text())


def run_server() -> None:
    """The child process: settings from the environment, like `expansion-bot serve`; it also writes how
    long each POST /whatsapp took inside the server (first byte in to last byte out) when it stops."""
    if os.environ.get("BENCH_INBOX_WORKERS"):
        import bot.whatsapp.inbox

        bot.whatsapp.inbox.WORKERS = int(os.environ["BENCH_INBOX_WORKERS"])
    settings = load_settings()
    app = create_web_app(settings, make_engine(settings.database_url))
    out = Path(os.environ["BENCH_TIMES"]).open("a", buffering=1)  # noqa: SIM115 (a line each: uvicorn exits by signal)

    async def timed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await app(scope, receive, send)
        if scope["type"] == "http" and scope["path"] == "/whatsapp":
            out.write(f"{(time.perf_counter() - start) * 1000:.3f}\n")

    uvicorn.run(timed, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="off")


class Bench:
    def __init__(self, base: str, twilio: FakeTwilio, engine: Engine, names: list[str]) -> None:
        self.base, self.twilio, self.engine, self.names = base, twilio, engine, names
        self.webhook_ms: dict[str, list[float]] = {}
        self.first_ms: list[float] = []
        self.last_ms: list[float] = []
        self.lock = threading.Lock()

    def post(
        self, http: httpx.Client, phase: str, text: str, sender: str, sid: str = "", forge: bool = False
    ) -> int:
        form = inbound_form(text, sender, to=BOT, account_sid=ACCOUNT_SID, message_sid=sid)
        signature = sign("forged" if forge else TOKEN, PUBLIC + "/whatsapp", form)
        start = time.perf_counter()
        response = http.post("/whatsapp", data=form, headers={"X-Twilio-Signature": signature})
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.webhook_ms.setdefault(phase, []).append(elapsed)
        return response.status_code

    def conversation(self, phase: str, sender: str, count: int, offset: int) -> None:
        """One rep sending `count` commands, each after the previous reply fully arrived."""
        commands = itertools.islice(itertools.cycle(COMMANDS), offset, offset + count)
        with httpx.Client(base_url=self.base, timeout=30) as http:
            for i, template in enumerate(commands):
                text = template.format(name=self.names[(offset + i) % len(self.names)])
                before = len(self.twilio.bodies(sender))
                sent_at = time.monotonic()
                assert self.post(http, phase, text, sender) == 200
                first, last = self._reply_times(sender, before)
                with self.lock:
                    self.first_ms.append((first - sent_at) * 1000)
                    self.last_ms.append((last - sent_at) * 1000)

    def _reply_times(self, sender: str, before: int, timeout: float = 30.0) -> tuple[float, float]:
        """When the first and the last part of the reply reached the mock: "(1/n)" says how many follow,
        and a note in the last part says a draft comes after it."""
        first = self.twilio.wait_for(before + 1, timeout, to=sender)[before]
        numbered = PART.match(first.body)
        expected = int(numbered.group(1)) if numbered else 1
        parts = self.twilio.wait_for(before + expected, timeout, to=sender)[before:]
        if FORWARD_NOTE in parts[-1].body:
            parts = self.twilio.wait_for(before + expected + 1, timeout, to=sender)[before:]
        return first.at, parts[-1].at

    def burst(self, size: int, workers: int, reps: int) -> tuple[int, int]:
        """`size` posts at once plus redeliveries of every 20th, 2% forged: (answered 403, distinct valid)."""
        jobs = [
            (
                COMMANDS[i % len(COMMANDS)].format(name=self.names[i % len(self.names)]),
                rep(1 + i % reps),
                f"SM{i:032d}",
                i % 50 == 7,
            )
            for i in range(size)
        ]
        jobs += [j for j in jobs[::20] if not j[3]]  # Twilio redelivering: same MessageSid again
        random.Random(5).shuffle(jobs)
        local = threading.local()

        def send(job: tuple[str, str, str, bool]) -> int:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=self.base, timeout=30)
            return self.post(local.http, "burst", *job)

        with ThreadPoolExecutor(workers) as pool:
            statuses = list(pool.map(send, jobs))
        return statuses.count(403), len({j[2] for j in jobs if not j[3]})


def count(engine: Engine, table: type[SQLModel]) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def figures_of(values: list[float]) -> dict[str, float]:
    return {k: percentile(values, p) for k, p in (("p50", 50), ("p99", 99), ("max", 100))}


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:<22} n={len(values):<4} p50 {percentile(values, 50):7.1f} ms"
        f"   p99 {percentile(values, 99):7.1f} ms   max {max(values):7.1f} ms"
        f"   mean {statistics.fmean(values):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequential", type=int, default=60, help="messages from one rep, one at a time")
    parser.add_argument("--reps", type=int, default=10, help="reps messaging at the same time")
    parser.add_argument("--per-rep", type=int, default=12, help="messages per concurrent rep")
    parser.add_argument("--burst", type=int, default=120, help="messages posted at once, not waiting")
    parser.add_argument("--workers", type=int, default=20, help="threads posting the burst")
    parser.add_argument("--twilio-latency", type=float, default=0.0, help="seconds the mock API takes")
    parser.add_argument("--inbox-workers", type=int, default=0, help="the server's inbox threads (default 4)")
    parser.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server()
        return

    twilio = FakeTwilio()
    twilio.latency = args.twilio_latency
    twilio.start()
    with tempfile.TemporaryDirectory(prefix="wa-bench-") as tmp:
        folder = Path(tmp)
        engine, names = database(folder, args.reps)
        env = {
            "DATABASE_URL": str(engine.url),
            "TODAY": TODAY.isoformat(),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_WHATSAPP_FROM": BOT,
            "TWILIO_API_URL": twilio.url,
            "PUBLIC_BASE_URL": PUBLIC,
            "BENCH_TIMES": str(folder / "inside.txt"),
        }
        if args.inbox_workers:
            env["BENCH_INBOX_WORKERS"] = str(args.inbox_workers)
        server, base, log = serve(env, folder)
        bench = Bench(base, twilio, engine, names)
        bench.conversation("warm-up", rep(0), len(COMMANDS), 0)

        started = time.perf_counter()
        bench.conversation("sequential", rep(0), args.sequential, 0)
        threads = [
            threading.Thread(target=bench.conversation, args=("concurrent", rep(i + 1), args.per_rep, i))
            for i in range(args.reps)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        inbound_before = count(engine, db.InboundMessage)
        forged, expected = bench.burst(args.burst, args.workers, args.reps)
        pending, inbound = settle(engine, inbound_before, expected)
        elapsed = time.perf_counter() - started
        server.terminate()
        server.wait(10)
        errors = log.read_text("utf-8", "replace").count("Traceback")
        inside = [float(x) for x in (folder / "inside.txt").read_text().split()]
    twilio.stop()
    report(args, bench, inside, names, elapsed, forged, expected, inbound, pending, errors)
    if args.json:
        phases = ("sequential", "concurrent", "burst")
        figures = {
            "webhook_ms": {p: figures_of(bench.webhook_ms[p]) for p in phases},
            "webhook_all_ms": figures_of([v for p in phases for v in bench.webhook_ms[p]]),
            "inside_all_ms": figures_of(inside[len(bench.webhook_ms["warm-up"]) :]),
            "first_part_ms": figures_of(bench.first_ms),
            "last_part_ms": figures_of(bench.last_ms),
            "burst_forged_403": forged,
            "burst_forged_sent": sum(1 for i in range(args.burst) if i % 50 == 7),
            "burst_expected": expected,
            "burst_answered": inbound,
            "pending": pending,
            "server_errors": errors,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2), "utf-8")


def settle(engine: Engine, inbound_before: int, expected: int) -> tuple[int, int]:
    """Wait until the burst's messages are all recorded and their replies sent: (pending, answered)."""
    deadline = time.monotonic() + 60
    while True:
        with session_scope(engine) as session:
            status = col(db.OutboundMessage.status)
            pending = int(session.scalar(select(func.count()).where(status == "pending")) or 0)
        inbound = count(engine, db.InboundMessage) - inbound_before
        if (not pending and inbound == expected) or time.monotonic() > deadline:
            return pending, inbound
        time.sleep(0.05)


def report(
    args: argparse.Namespace,
    bench: Bench,
    inside: list[float],
    names: list[str],
    elapsed: float,
    forged: int,
    expected: int,
    inbound: int,
    pending: int,
    errors: int,
) -> None:
    phases = ("sequential", "concurrent", "burst")
    timed = [v for p in phases for v in bench.webhook_ms[p]]
    print(
        f"WhatsApp webhook bench: uvicorn in its own process on 127.0.0.1, SQLite, "
        f"demo ({len(names)} accounts), mock Twilio latency {args.twilio_latency * 1000:.0f} ms, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{len(timed)} signed posts in {elapsed:.1f} s; "
        f"{len(bench.twilio.messages)} messages reached the mock"
    )
    print("webhook response time seen by the client (includes the bench's own Python overhead):")
    for phase in phases:
        print(line(f"  {phase}", bench.webhook_ms[phase]))
    print(line("  all", timed))
    print("webhook time inside the server (ASGI call, first byte in to last byte out):")
    skip = len(bench.webhook_ms["warm-up"])
    for phase in phases:
        size = len(bench.webhook_ms[phase])
        print(line(f"  {phase}", inside[skip : skip + size]))
        skip += size
    print("time until the reply reached the mock Twilio API (sequential and concurrent reps):")
    print(line("  first part", bench.first_ms))
    print(line("  last part", bench.last_ms))
    print(
        f"burst: {len(bench.webhook_ms['burst'])} posts, {forged} forged answered 403; {expected} distinct "
        f"messages answered {inbound} times (redeliveries ignored); pending left {pending}; "
        f"server errors {errors}"
    )


if __name__ == "__main__":
    main()
