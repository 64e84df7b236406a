"""Load test (issue 7): the real `expansion-bot serve` under a burst of Slack slash commands and WhatsApp
messages at once, with Slack's Web API and Twilio's Messages API replaced by local fakes in this process.

    .venv/bin/python bench/load.py                                 # SQLite, then PostgreSQL; 50 + 50
    .venv/bin/python bench/load.py --database sqlite --concurrency 20 --json /tmp/load.json
    .venv/bin/python bench/load.py --database postgres --pg-url postgresql+psycopg://postgres@host/db

For each database: `python -m bot demo` (TODAY=2026-11-24) into a fresh SQLite file or a PostgreSQL
database of its own (bench/pg.py; dropped after), then `python -m bot serve` on 127.0.0.1, then
--concurrency signed slash commands (/prep, /expansion, /draft, /objection) from the two Jakarta CSMs
together with --concurrency signed WhatsApp messages from their phones, all sent at the same instant.
Measures each request's ack (HTTP response time) and the time until its whole answer reached the fake
(Slack: the response_url call; WhatsApp: the last message of the reply). Ends with SIGTERM and checks a
clean exit.

Targets: Slack acks within 3 s and Twilio's within 15 s (their timeouts), every answer arrives and none
is an error reply, and the server stops cleanly. The exit status is 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from pg import own_database
from sqlalchemy import select
from sqlmodel import col

from bot.whatsapp.render import FORWARD_NOTE
from storage import models as db
from storage.db import make_engine, session_scope
from tests.fakes.slack_api import Call, FakeSlack, signed, slash_body
from tests.fakes.twilio_api import FakeTwilio, Sent, inbound_form, sign

TODAY = "2026-11-24"
SECRET = "load-signing-secret"
TWILIO_TOKEN = "load-twilio-token"
ACCOUNT_SID = "AC" + "c" * 32
BOT_NUMBER = "whatsapp:+14155238886"
USERS = ("U0DEWI0001", "U0BUDI0002")  # Dewi and Budi, the demo's Jakarta CSMs
PHONES = ("whatsapp:+6281211110001", "whatsapp:+6281211110002")  # the same two, on WhatsApp
COMMANDS = (  # (slash command, its text; WhatsApp text) for an account name
    ("/prep", "{name}", "prep {name}"),
    ("/expansion", "{name}", "expansion {name}"),
    ("/draft", "{name} id", "draft {name} id"),
    ("/objection", "{name} tidak ada budget", "objection {name} tidak ada budget"),
)
DEADLINE_MS = {"slack": 3_000.0, "whatsapp": 15_000.0}
ERROR_MARKERS = (  # lower case: what an error reply or a refusal says
    "something went wrong",
    "(ref ",
    "sorry, i can only help",
    "couldn't find",
    "which account",
    "do you mean?",
)
PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SETTINGS_PREFIXES = ("OPENAI_", "SLACK_", "TWILIO_", "LANGSMITH_", "LANGCHAIN_")
PART = re.compile(r"^\((\d+)/(\d+)\) ")
EXCEPTION = re.compile(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b")


@dataclass
class Request:
    channel: str  # slack | whatsapp
    name: str  # the response_url's name (Slack) or the MessageSid (WhatsApp)
    who: str  # Slack user id, or the sender's whatsapp:+62…
    text: str  # what is posted: the slash command's form, or the WhatsApp message
    account: str
    said: str  # what the user typed
    sent: float = 0.0
    ack_ms: float | None = None
    answer_ms: float | None = None
    error: str = ""  # the ack's
    answer_error: str = ""


def plan(n: int, accounts: list[str], fake: FakeSlack) -> list[Request]:
    """n slash commands and n WhatsApp messages; each CSM asks about each account at most once per
    channel while n ≤ 2 × accounts, so a WhatsApp reply can be told apart by the account it names."""
    out = []
    for i in range(n):
        name = accounts[(i // 2) % len(accounts)]
        slash, args, chat = COMMANDS[i % len(COMMANDS)]
        tag = f"s{i:03d}"
        body = slash_body(
            slash, args.format(name=name), user=USERS[i % 2], response_url=fake.response_url(tag)
        )
        typed = f"{slash} {args.format(name=name)}"
        out.append(Request("slack", tag, USERS[i % 2], body, name, typed))
        sid = "SM" + uuid.uuid4().hex
        out.append(
            Request("whatsapp", sid, PHONES[i % 2], chat.format(name=name), name, chat.format(name=name))
        )
    return out


def signed_post(base: str, r: Request) -> tuple[str, str, dict[str, str]]:
    """Path, body and headers exactly as Slack or Twilio would send this request."""
    if r.channel == "slack":
        return "/slack/events", r.text, signed(SECRET, r.text)
    form = inbound_form(r.text, r.who, to=BOT_NUMBER, account_sid=ACCOUNT_SID, message_sid=r.name)
    headers = {
        "X-Twilio-Signature": sign(TWILIO_TOKEN, f"{base}/whatsapp", form),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return "/whatsapp", urlencode(form), headers


async def fire(base: str, requests: list[Request]) -> float:
    """Every request at once from one event loop, signed beforehand, over connections opened beforehand.
    Returns how late this loop ran at worst (ms) while the acks came in: the bench's own share of them."""
    posts = [signed_post(base, r) for r in requests]
    lag = 0.0

    async def watch() -> None:
        nonlocal lag
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.001)
            lag = max(lag, (time.monotonic() - before) * 1000 - 1)

    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    # One plain connection per request, opened beforehand: an HTTP client's pool costs more CPU per
    # request than the server's ack at this concurrency, and would measure itself instead.
    streams = [await asyncio.open_connection(host, port) for _ in requests]

    async def one(
        r: Request,
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        path: str,
        body: str,
        headers: dict[str, str],
    ) -> None:
        reader, writer = stream
        head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body.encode())}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
        r.sent = time.monotonic()
        try:
            writer.write(head.encode() + body.encode())
            status_line = await reader.readline()
            raw = await reader.read()
        except OSError as exc:
            r.error = f"ack failed: {type(exc).__name__}"
            return
        finally:
            writer.close()
        r.ack_ms = (time.monotonic() - r.sent) * 1000
        status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
        text = raw.partition(b"\r\n\r\n")[2].decode(errors="replace")
        if status != 200:
            r.error = f"ack HTTP {status}: {text[:80]}"
        elif any(m in text.lower() for m in ERROR_MARKERS):
            r.error = f"ack says: {text[:120]}"

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(one(r, st, *post) for r, st, post in zip(requests, streams, posts, strict=True)))
    watcher.cancel()
    return lag


def slack_answers(calls: list[Call], requests: list[Request]) -> None:
    """The Slack answers so far: the first response_url call named after each request."""
    responses = {c.name: c for c in reversed(calls) if c.kind == "respond"}
    for r in requests:
        call = responses.get(r.name)
        if r.channel != "slack" or call is None:
            continue
        r.answer_ms = (call.at - r.sent) * 1000
        said = json.dumps(call.body, ensure_ascii=False)
        if r.account not in said or any(m in said.lower() for m in ERROR_MARKERS):
            r.answer_error = f"answer: {str(call.body.get('text', ''))[:120]}"


def replies(messages: list[Sent]) -> list[list[Sent]]:
    """One rep's messages cut into replies: "(1/n)" parts, then the draft after a forward note."""
    out: list[list[Sent]] = []
    for m in messages:
        if out and not complete(out[-1]):
            out[-1].append(m)
        else:
            out.append([m])
    return out


def complete(reply: list[Sent]) -> bool:
    numbered = PART.match(reply[0].body)
    parts = int(numbered.group(2)) if numbered else 1
    if len(reply) < parts:
        return False
    return len(reply) > parts or FORWARD_NOTE not in reply[parts - 1].body


def whatsapp_answers(messages: list[Sent], requests: list[Request]) -> list[str]:
    """The WhatsApp answers so far: each complete reply goes to the request naming the account in its
    title (first line); replies that match no request are returned."""
    unexpected = []
    for phone in PHONES:
        mine = [r for r in requests if r.channel == "whatsapp" and r.who == phone]
        for reply in replies([m for m in messages if m.to == phone]):
            if not complete(reply):
                continue
            title = PART.sub("", reply[0].body).split("\n", 1)[0]
            match = next((r for r in mine if r.account in title and r.answer_ms is None), None)
            if match is None:
                unexpected.append(f"whatsapp {phone}: a reply nobody asked for: {title[:120]}")
                continue
            match.answer_ms = (reply[-1].at - match.sent) * 1000
            said = "\n".join(m.body for m in reply).lower()
            if any(m in said for m in ERROR_MARKERS):
                match.answer_error = f"answer: {title[:120]}"
    return unexpected


def collect(slack: FakeSlack, twilio: FakeTwilio, requests: list[Request], timeout: float) -> list[str]:
    """Poll the fakes until every request that was acked has its answer, or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        for r in requests:
            r.answer_ms, r.answer_error = None, ""
        slack_answers(slack.received(), requests)
        unexpected = whatsapp_answers(list(twilio.messages), requests)
        if all(r.answer_ms is not None or r.error for r in requests) or time.monotonic() > deadline:
            return unexpected
        time.sleep(0.02)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {k: round(percentile(values, p), 1) for k, p in (("p50", 50), ("p99", 99), ("max", 100))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(kind: str, folder: Path, pg_url: str) -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database of its own on that server, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'load.db'}"
        return
    with own_database(pg_url) as url:
        yield url


def server_env(url: str, port: int, slack: FakeSlack, twilio: FakeTwilio) -> dict[str, str]:
    """The operator's environment minus any real keys, plus the fakes (as tests/test_server.py does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    return env | {
        "DATABASE_URL": url,
        "TODAY": TODAY,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "SLACK_BOT_TOKEN": "xoxb-load",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": BOT_NUMBER,
        "TWILIO_API_URL": twilio.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


def run(kind: str, concurrency: int, pg_url: str, timeout: float, logs: Path | None) -> dict[str, Any]:
    """Demo, serve, one burst on both channels, SIGTERM: the figures of one database."""
    slack, twilio = FakeSlack().start(), FakeTwilio()
    twilio.start()
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp, database(kind, Path(tmp), pg_url) as url:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(url, port, slack, twilio)
        cli = [sys.executable, "-m", "bot"]
        subprocess.run([*cli, "demo"], env=env, cwd=tmp, check=True, capture_output=True, timeout=300)
        engine = make_engine(url)
        with session_scope(engine) as session:
            accounts = list(session.scalars(select(col(db.Account.name)).order_by(db.Account.account_id)))
        engine.dispose()
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen([*cli, "serve"], env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_healthy(base, server, log)
            requests = plan(concurrency, accounts, slack)
            lag = asyncio.run(fire(base, requests))
            unexpected = collect(slack, twilio, requests, timeout)
        finally:
            stop = time.monotonic()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            stop_s = time.monotonic() - stop
            slack.stop()
            twilio.stop()
        if logs:
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, logs / f"serve-{kind}.log")
        result = report(kind, concurrency, requests, server.returncode, log.read_text("utf-8", "replace"))
        result["server"]["stop_s"] = round(stop_s, 2)
        result["bench_loop_lag_ms"] = round(lag, 1)
        result["errors"] += unexpected
        result["ok"] = not result["errors"]
        return result


def wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("serve did not come up:\n" + log.read_text("utf-8", "replace")[-2000:])


def report(kind: str, concurrency: int, requests: list[Request], rc: int | None, log: str) -> dict[str, Any]:
    """Percentiles per channel, every failed request, and what the server's JSON log says."""
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    commands = [x for x in lines if x.get("msg") == "command"]
    server_errors = [
        f"{x.get('msg', '')} {cause(str(x.get('traceback', '')))}".strip()
        for x in lines
        if x.get("level") in {"error", "critical"}
    ]
    answered = [r.sent + r.answer_ms / 1000 for r in requests if r.answer_ms is not None]
    result: dict[str, Any] = {
        "database": kind,
        "concurrency": concurrency,
        "load": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "all_answered_s": round(max(answered) - min(r.sent for r in requests), 2) if answered else None,
    }
    errors: list[str] = []
    for channel in ("slack", "whatsapp"):
        mine = [r for r in requests if r.channel == channel]
        late = [r for r in mine if r.ack_ms is not None and r.ack_ms > DEADLINE_MS[channel]]
        for r in mine:
            why = r.error or r.answer_error
            if r in late:
                why = why or f"ack took {r.ack_ms:.0f} ms, over {DEADLINE_MS[channel]:.0f} ms"
            if r.answer_ms is None:
                why = why or "no answer before the timeout"
            if why:
                errors.append(f"{channel} {r.who} {r.said!r}: {why}")
        result[channel] = {
            "requests": len(mine),
            "ack_ms": stats([r.ack_ms for r in mine if r.ack_ms is not None]),
            "answer_ms": stats([r.answer_ms for r in mine if r.answer_ms is not None]),
            "deadline_ms": DEADLINE_MS[channel],
            "late_acks": len(late),
            "errors": sum(1 for e in errors if e.startswith(channel)),
        }
    clean = rc in (0, -signal.SIGTERM) and "shutdown complete" in log
    if not clean:
        errors.append(f"serve did not stop cleanly after SIGTERM (exit status {rc})")
    errors += [f"server logged an error: {m}" for m in server_errors]
    result["server"] = {
        "exit_status": rc,
        "clean_exit": clean,
        "commands_logged": len(commands),
        "commands_not_ok": sum(1 for x in commands if not x.get("ok")),
        "error_lines": len(server_errors),
    }
    result["errors"] = errors
    return result


def cause(traceback: str) -> str:
    """The exception line of a logged traceback (SQLAlchemy adds [SQL: …] lines after it)."""
    found = [line for line in traceback.splitlines() if EXCEPTION.match(line)]
    return found[-1][:200] if found else ""


def ms(figures: dict[str, float]) -> str:
    return " / ".join(f"{figures[k]:.0f}" for k in ("p50", "p99", "max")) + " ms" if figures else "-"


def show(r: dict[str, Any]) -> None:
    print(
        f"{r['database']}: {r['concurrency']} Slack slash commands + {r['concurrency']} WhatsApp messages "
        f"at once; load average {' '.join(map(str, r['load']))} on {r['cpus']} CPUs"
    )
    print(f"  {'':<9} {'ack p50 / p99 / max':>24}   {'answer p50 / p99 / max':>26}   errors")
    for channel in ("slack", "whatsapp"):
        c = r[channel]
        print(f"  {channel:<9} {ms(c['ack_ms']):>24}   {ms(c['answer_ms']):>26}   {c['errors']}")
    s = r["server"]
    print(
        f"  all answered {r['all_answered_s']} s after the burst began; serve exited {s['exit_status']} "
        f"{s['stop_s']:.1f} s after SIGTERM ({'clean' if s['clean_exit'] else 'NOT clean'}); "
        f"{s['commands_logged']} commands logged, {s['commands_not_ok']} not ok; "
        f"{s['error_lines']} error lines"
    )
    print(
        f"  the bench's event loop ran {r['bench_loop_lag_ms']:.0f} ms late at worst (its part of the acks)"
    )
    for e in r["errors"][:20]:
        print(f"  ERROR {e}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=50, help="requests per channel, all at once")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--pg-url", default=PG_URL, help="PostgreSQL server (a database is created and dropped)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for all answers")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--logs", type=Path, help="keep the server's log here (serve-sqlite.log …)")
    args = parser.parse_args()
    kinds = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    results = []
    for kind in kinds:
        results.append(run(kind, args.concurrency, args.pg_url, args.timeout, args.logs))
        show(results[-1])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": results}, indent=2), "utf-8")
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
