"""The red team's Slack findings, through the real signature check: replays, event retries, a slow
response_url, hostile bodies and headers, what reaches the log, and a borrowed e-mail address."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fakes.slack_api import TEAM_ID, FakeSlack, signed, slash_body
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_slack_support import DEWI, SECRET, Harness, account_names, settings_for

from bot.slack import app as slack_app
from bot.slack import replies
from bot.slack.runtime import OTHER_SLACK_ID
from storage import inbound
from storage import models as db
from storage.db import session_scope

pytest_plugins = ["test_slack_support"]

IMPOSTOR = "U0IMPOSTOR"


def outcomes(slack: Harness) -> int:
    with session_scope(slack.engine) as session:
        return int(session.scalar(select(func.count()).select_from(db.Outcome)) or 0)


def dm(event_id: str, text: str = "expansion ID-001") -> str:
    event = {"type": "message", "channel_type": "im", "channel": "D0DEWI", "user": DEWI, "text": text}
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "api_app_id": "A0APP",
            "event": event,
            "event_id": event_id,
        }
    )


def test_a_replayed_signed_request_is_not_run_again(slack: Harness) -> None:
    before = outcomes(slack)
    body = slash_body(
        "/outcome", "ID-001 maybe 1 after Lebaran", user=DEWI, response_url=slack.fake.response_url()
    )
    headers = signed(SECRET, body)  # captured once, sent six times within the five minutes
    responses = [slack.http.post("/slack/events", content=body, headers=headers) for _ in range(6)]
    slack.idle()
    assert [r.status_code for r in responses] == [200] * 6
    assert len(slack.fake.received("r1")) == 1, slack.fake.received("r1")
    assert outcomes(slack) == before + 1, slack.answer().body["text"]


def test_an_event_retry_after_a_500_is_answered_once(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    real = inbound.claim_new
    calls: list[int] = []

    def restarting(*args: Any, **kw: Any) -> bool:  # the first delivery meets a server that is restarting
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(
                "INSERT inboundmessage", {}, Exception("the database system is starting up")
            )
        return real(*args, **kw)

    monkeypatch.setattr(inbound, "claim_new", restarting)
    body = dm("Ev0RETRY01")
    assert slack.http.post("/slack/events", content=body, headers=signed(SECRET, body)).status_code == 500
    for retry in ("1", "2"):  # Slack's retries: the first is answered, the second finds it answered
        time.sleep(1.05)  # a new timestamp, so a new signature, as Slack sends it
        headers = {**signed(SECRET, body), "X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_error"}
        assert slack.http.post("/slack/events", content=body, headers=headers).status_code == 200
        slack.idle()
    (answer,) = slack.fake.received("chat.postMessage")  # the agent's one answer, in the DM's thread
    assert "Kopi Nusantara" in answer.body["text"]


def test_a_retry_of_an_answered_event_is_dropped(slack: Harness) -> None:
    body = dm("Ev0ANSWER1")
    assert slack.http.post("/slack/events", content=body, headers=signed(SECRET, body)).status_code == 200
    slack.idle()
    time.sleep(1.05)
    headers = {**signed(SECRET, body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.http.post("/slack/events", content=body, headers=headers).status_code == 200
    slack.idle()
    assert len(slack.fake.received("chat.postMessage")) == 1  # the agent answered the first delivery only


def test_a_slow_response_url_gets_one_answer_and_does_not_delay_others(
    demo_engine: Any, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replies, "TIMEOUT_S", 2)  # Slack answers after our timeout, as past 15 s
    pool = ThreadPoolExecutor(slack_app.LISTENER_THREADS)  # the pool `serve` gives the listeners
    http = TestClient(
        Starlette(routes=slack_app.slack_routes(settings_for(fake), demo_engine, executor=pool))
    )
    for name in ("slow1", "slow2", "slow3", "slow4"):
        fake.slow(name, 3.0)
    try:
        for name in ("slow1", "slow2", "slow3", "slow4", "fast"):
            body = slash_body("/expansion", "Kopi Nusantara", user=DEWI, response_url=fake.response_url(name))
            http.post("/slack/events", content=body, headers=signed(SECRET, body))
        posted = time.monotonic()
        (fast,) = fake.wait_for("fast", timeout=10)
        assert fast.at - posted < 2.5  # not behind the four slow ones
        time.sleep(3.5)  # every slow post answered, or timed out
        pool.shutdown(wait=True)
        for name in ("slow1", "slow2", "slow3", "slow4"):
            assert len(fake.received(name)) == 1, name
        assert fake.received("chat.postEphemeral") == []  # no second copy
    finally:
        pool.shutdown(wait=True)
        http.close()


def test_a_huge_body_is_refused_unread_with_nothing_logged(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    huge = "payload=" + "A" * (10 * 1024 * 1024)
    with caplog.at_level(logging.DEBUG):
        response = slack.http.post("/slack/events", content=huge, headers=signed("forged", huge))
    assert response.status_code == 413
    ours = [r for r in caplog.records if r.name.startswith(("slack", "expansion_bot"))]
    assert "AAAA" not in caplog.text and len(ours) <= 1


def test_a_badly_signed_body_is_logged_as_one_line_without_it(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    body = slash_body(
        "/outcome", "Kopi Nusantara won secret-marker", user=DEWI, response_url=slack.fake.response_url()
    )
    with caplog.at_level(logging.DEBUG):
        response = slack.http.post("/slack/events", content=body, headers=signed("not-the-secret", body))
    assert response.status_code == 401
    assert "secret-marker" not in caplog.text and "respond" not in caplog.text
    assert len([r for r in caplog.records if r.name.startswith(("slack", "expansion_bot"))]) == 1


@pytest.mark.parametrize(
    ("body", "timestamp", "status"),
    [(b"command=/prep&text=\xff\xfe", None, 400), (b"command=/prep&text=x", "soon", 401), (b"x", "", 401)],
    ids=["invalid-utf8", "non-numeric-timestamp", "no-timestamp"],
)
def test_malformed_requests_get_a_clean_status_and_no_traceback(
    slack: Harness, caplog: pytest.LogCaptureFixture, body: bytes, timestamp: str | None, status: int
) -> None:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": ts if timestamp is None else timestamp,
        "X-Slack-Signature": f"v0={digest}",  # Slack's algorithm, over bytes that are not UTF-8
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with caplog.at_level(logging.DEBUG):
        assert slack.http.post("/slack/events", content=body, headers=headers).status_code == status
    slack.idle()
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text
    assert slack.fake.calls == []


def test_response_url_retries_are_logged_without_the_url(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.fail("r1", 429, retry_after=1)
    with caplog.at_level(logging.DEBUG):
        slack.slash("/expansion", "Kopi Nusantara")
        slack.answer()
        slack.idle()
    assert len(slack.fake.received("r1", ok_only=False)) == 2  # it was retried
    assert "/respond/r1" not in caplog.text


@pytest.fixture
def impostor(slack: Harness) -> Iterator[Harness]:
    """A member of our workspace who put Dewi's address on their profile; Dewi is U0DEWI0001."""
    slack.fake.users[IMPOSTOR] = {
        "id": IMPOSTOR,
        "team_id": TEAM_ID,
        "profile": {"email": "dewi@example.com"},
    }
    yield slack


def test_a_borrowed_email_does_not_beat_the_configured_slack_id(impostor: Harness) -> None:
    impostor.slash("/expansion", "Kopi Nusantara", user=IMPOSTOR)
    said = impostor.answer().body["text"]
    impostor.idle()
    assert said == OTHER_SLACK_ID
    everything = impostor.fake.everything()
    assert not any(name in everything for name in account_names(impostor.engine))
    with session_scope(impostor.engine) as session:
        assert session.get(db.Csm, "dewi@example.com").slack_user_id == DEWI


def test_a_body_without_a_length_is_cut_off_at_the_limit(slack: Harness) -> None:
    def endless() -> Iterator[bytes]:
        for _ in range(10 * 1024):
            yield b"A" * 1024

    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=forged"}
    assert slack.http.post("/slack/events", content=endless(), headers=headers).status_code == 413
