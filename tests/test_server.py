"""`expansion-bot serve` as an operator runs it: a real process on a real port, signed requests from
outside, /healthz, and a SIGTERM that arrives while a reply is still being sent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from fakes.slack_api import FakeSlack, signed, slash_body
from fakes.twilio_api import FakeTwilio, inbound_form, sign

SECRET = "serve-signing-secret"
TWILIO_TOKEN = "serve-twilio-token"
ACCOUNT_SID = "AC" + "1" * 32
BOT_NUMBER = "whatsapp:+14155238886"
DEWI_SLACK, DEWI_PHONE = "U0DEWI0001", "whatsapp:+6281211110001"
SLOW_REPLY = 1.5  # seconds the fake Slack holds the reply's response_url call


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeTwilio]]:
    slack, twilio = FakeSlack().start(), FakeTwilio()
    twilio.start()
    yield slack, twilio
    slack.stop()
    twilio.stop()


@pytest.fixture
def serve(env_db: str, fakes: tuple[FakeSlack, FakeTwilio]) -> Iterator[tuple[subprocess.Popen, str]]:
    """The demo loaded by the CLI, then `serve` with Slack and Twilio pointed at the fakes."""
    slack, twilio = fakes
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SLACK_BOT_TOKEN": "xoxb-serve",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": BOT_NUMBER,
        "TWILIO_API_URL": twilio.url,
        "PUBLIC_BASE_URL": base,
    }
    cli = [sys.executable, "-m", "bot"]
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("serve did not come up: " + proc.communicate()[0].decode(errors="replace")[-2000:])
    yield proc, base
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_healthz_reports_every_part_and_sigterm_lets_the_replies_in_flight_finish(
    serve: tuple[subprocess.Popen, str], fakes: tuple[FakeSlack, FakeTwilio]
) -> None:
    """One test for the two, as starting `demo` and `serve` is most of its time."""
    proc, base = serve
    slack, twilio = fakes
    health = httpx.get(f"{base}/healthz").json()
    assert health["database"] == "ok"
    assert health["slack"] == "http"
    assert health["twilio"] == "on"
    assert health["model"] == "offline writer"
    assert health["scheduler"].startswith("running, 6 digest job(s), next ")

    slack.slow("r1", SLOW_REPLY)
    body = slash_body("/prep", "Kopi Nusantara", user=DEWI_SLACK, response_url=slack.response_url("r1"))
    ack = httpx.post(f"{base}/slack/events", content=body, headers=signed(SECRET, body))
    assert ack.status_code == 200
    form = inbound_form("prep Kopi Nusantara", DEWI_PHONE, to=BOT_NUMBER, account_sid=ACCOUNT_SID)
    headers = {"X-Twilio-Signature": sign(TWILIO_TOKEN, f"{base}/whatsapp", form)}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert httpx.post(f"{base}/whatsapp", content=urlencode(form), headers=headers).status_code == 200

    [reply] = slack.wait_for("r1", timeout=20)  # the reply is on its way: the fake holds it
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0].decode(errors="replace")
    exited = time.monotonic()

    assert proc.returncode in (0, -signal.SIGTERM), output[-2000:]  # uvicorn re-raises the signal
    assert exited >= reply.at + SLOW_REPLY * 0.9  # it waited for the slow reply to be taken
    assert "Call prep — Kopi Nusantara" in str(reply.body["blocks"])
    assert any("Kopi Nusantara" in m.body for m in twilio.wait_for(1, to=DEWI_PHONE))
    assert '"shutdown complete"' in output
