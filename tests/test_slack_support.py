"""Fixtures for the Slack tests: the fake Slack, and the real app behind signed HTTP requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fakes.slack_api import TEAM_ID, Call, FakeSlack, action_body, event_body, signed, slash_body
from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.settings import Settings
from bot.slack.app import slack_routes
from storage import models as db
from storage.db import session_scope

SECRET = "test-signing-secret"
DEWI, BUDI = "U0DEWI0001", "U0BUDI0002"
STRANGER, GUEST, OUTSIDER = "U0STRANGE1", "U0GUEST001", "U0OUTSID01"
OTHER_TEAM = "T0OTHERORG"
USERS = {
    STRANGER: {"id": STRANGER, "team_id": TEAM_ID, "profile": {"email": "someone@example.com"}},
    GUEST: {"id": GUEST, "team_id": TEAM_ID, "is_restricted": True, "profile": {"email": "dewi@example.com"}},
    OUTSIDER: {"id": OUTSIDER, "team_id": OTHER_TEAM, "profile": {"email": "dewi@example.com"}},
    BUDI: {"id": BUDI, "team_id": TEAM_ID, "profile": {"email": "Budi@Example.com"}},
}


def settings_for(fake: FakeSlack, **extra: Any) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        today="2026-11-24",
        **extra,
    )


class Harness:
    """Signed requests to the app as Slack would send them; waits for lazy listeners to finish."""

    def __init__(self, engine: Engine, fake: FakeSlack) -> None:
        self.engine, self.fake = engine, fake
        self.executor = ThreadPoolExecutor(max_workers=8)
        app = Starlette(routes=slack_routes(settings_for(fake), engine, executor=self.executor))
        self.http = TestClient(app)
        fake.clear()  # forget auth.test

    def post(self, body: str, **sign: Any) -> httpx.Response:
        return self.http.post("/slack/events", content=body, headers=signed(SECRET, body, **sign))

    def slash(
        self, command: str, text: str = "", *, user: str = DEWI, url: str = "r1", **kw: Any
    ) -> httpx.Response:
        return self.post(slash_body(command, text, user=user, response_url=self.fake.response_url(url), **kw))

    def click(
        self, action_id: str, value: str, *, user: str = DEWI, url: str = "c1", **kw: Any
    ) -> httpx.Response:
        return self.post(
            action_body(action_id, value, user=user, response_url=self.fake.response_url(url), **kw)
        )

    def event(self, event: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.post(event_body(event, **kw))

    def answer(self, name: str = "r1", timeout: float = 10.0) -> Call:
        """The one message posted to a response_url."""
        return self.fake.wait_for(name, timeout=timeout)[0]

    def idle(self) -> None:
        """Every lazy listener started so far has finished."""
        self.executor.shutdown(wait=True)
        self.executor = ThreadPoolExecutor(max_workers=8)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.http.close()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(users=dict(USERS)).start()
    yield server
    server.stop()


@pytest.fixture
def slack(demo_engine: Engine, fake: FakeSlack) -> Iterator[Harness]:
    harness = Harness(demo_engine, fake)
    yield harness
    harness.close()


def account_names(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(select(db.Account.name)))


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """Everything a user reads in some blocks, as one string."""
    out = []
    for b in blocks:
        for part in [b.get("text"), *(b.get("fields") or []), *(b.get("elements") or [])]:
            if isinstance(part, dict):
                out.append(
                    str(part.get("text", ""))
                    if not isinstance(part.get("text"), dict)
                    else part["text"]["text"]
                )
    return "\n".join(out)


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(label, action, value) of every button."""
    return [
        (e["text"]["text"], e["action_id"].split(":")[0], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")
