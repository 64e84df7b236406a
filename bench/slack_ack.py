"""Slack ack latency and time to the full answer, over real HTTP: uvicorn on 127.0.0.1, a temporary SQLite
demo database, and a local fake of Slack's Web API that receives the answers.

    .venv/bin/python bench/slack_ack.py                      # 20 concurrent /prep, 3 rounds
    .venv/bin/python bench/slack_ack.py --concurrency 50 --rounds 5 --command /expansion

Targets (issue 4): ack p99 under 100 ms with 20 concurrent slash commands; full /prep answer under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn

from bot.settings import Settings
from bot.web import create_web_app
from bot.wiring import ready_engine
from storage.demo import load_demo
from tests.fakes.slack_api import FakeSlack, signed, slash_body

TODAY = date(2026, 11, 24)
SECRET = "bench-signing-secret"
USERS = ["U0DEWI0001", "U0BUDI0002"]  # registered CSMs of the demo
ACCOUNTS = [
    "Kopi Nusantara",
    "Batik Sentosa",
    "Warung Digital Makmur",
    "Toko Roti Harum",
    "Mitra Logistik Jaya",
]


def serve_forever(port: int) -> None:
    """The server process: what `expansion-bot serve` runs for HTTP mode, from the same environment."""
    from bot.settings import load_settings

    logging.disable(logging.INFO)
    settings = load_settings()
    app = create_web_app(settings, ready_engine(settings))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    """The app in its own process (as in production), so the load generator does not share its GIL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(acks: list[float], answers: list[float]) -> str:
    ack = f"ack p50 {statistics.median(acks):6.1f} ms  p99 {percentile(acks, 99):6.1f} ms"
    answer = f"answer p50 {statistics.median(answers):6.1f} ms  p99 {percentile(answers, 99):6.1f} ms"
    return f"{ack} | {answer}  max {max(answers):6.1f} ms"


def figures_of(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p99": percentile(values, 99), "max": max(values)}


def fire(base: str, fake: FakeSlack, command: str, n: int, tag: str) -> tuple[list[float], list[float]]:
    """n signed slash commands at once from one event loop; (ack ms, full answer ms) for each."""
    bodies = {
        f"{tag}-{i}": slash_body(
            command,
            ACCOUNTS[i % len(ACCOUNTS)],
            user=USERS[i % 2],
            response_url=fake.response_url(f"{tag}-{i}"),
        )
        for i in range(n)
    }
    sent: dict[str, float] = {}

    async def one(client: httpx.AsyncClient, name: str, body: str) -> float:
        headers = signed(SECRET, body)
        start = sent[name] = time.monotonic()
        r = await client.post(f"{base}/slack/events", content=body, headers=headers)
        if r.status_code != 200:
            raise SystemExit(f"ack failed: {r.status_code} {r.text[:80]}")
        return (time.monotonic() - start) * 1000

    async def burst() -> list[float]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            # open n connections first, so the clock measures the server, not TCP handshakes
            await asyncio.gather(*(client.get(f"{base}/healthz") for _ in range(n)))
            return list(await asyncio.gather(*(one(client, k, b) for k, b in bodies.items())))

    acks = asyncio.run(burst())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = {c.name: c for c in fake.received() if c.kind == "respond" and c.name in bodies}
        if len(got) == n:
            return acks, [(got[name].at - sent[name]) * 1000 for name in bodies]
        time.sleep(0.005)
    raise SystemExit(f"only {len(got)} of {n} answers arrived")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--command", default="/prep")
    parser.add_argument("--json", type=Path, help="also write the figures here, as JSON")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve)
        return
    logging.disable(logging.INFO)

    with tempfile.TemporaryDirectory(prefix="slack-bench-") as tmp:
        fake = FakeSlack().start()
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.db",
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            today=TODAY.isoformat(),
        )
        engine = ready_engine(settings)
        load_demo(engine, TODAY)
        env = {
            "DATABASE_URL": settings.database_url,
            "SLACK_BOT_TOKEN": settings.slack_bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "TODAY": TODAY.isoformat(),
        }
        base, server = start_server(env)
        fire(base, fake, args.command, 2, "warmup")  # imports, the writer, first queries
        sample = next(c for c in fake.received() if c.name.startswith("warmup-")).body.get("text", "")
        all_acks: list[float] = []
        all_answers: list[float] = []
        print(f"{args.command} × {args.concurrency} concurrent, {args.rounds} round(s), SQLite demo, uvicorn")
        for r in range(args.rounds):
            acks, answers = fire(base, fake, args.command, args.concurrency, f"round{r}")
            all_acks += acks
            all_answers += answers
            print(f"  round {r + 1}: {summary(acks, answers)}")
        print(f"  all {len(all_acks)}:  {summary(all_acks, all_answers)}")
        print(f"  answer sample: {sample.splitlines()[0][:100] if sample else '(empty)'}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            figures = {
                "command": args.command,
                "concurrency": args.concurrency,
                "rounds": args.rounds,
                "ack_ms": figures_of(all_acks),
                "answer_ms": figures_of(all_answers),
            }
            args.json.write_text(json.dumps(figures, indent=2), "utf-8")
        server.terminate()
        server.wait(timeout=10)
        fake.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
