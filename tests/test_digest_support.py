"""What the digest tests share: the Slack stand-in of tests/fakes, started and stopped around a test, and
settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fakes.slack_api import FakeSlack

from bot.settings import Settings


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


def slack_settings(database_url: str, slack_url: str, **overrides: Any) -> Settings:
    """Settings with Slack configured against the fake; nothing read from the environment matters."""
    return Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        slack_api_url=slack_url,
        **overrides,
    )
