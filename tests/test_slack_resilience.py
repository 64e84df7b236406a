"""Slow handlers, rate limits and Slack-side failures: the ack still comes first, the answer still arrives."""

from __future__ import annotations

import logging
import time

import pytest
from fakes.slack_api import FakeSlack
from test_slack_support import DEWI, Harness, settings_for

from bot.slack.app import build_app, socket_mode_handler
from handlers import dispatch

pytest_plugins = ["test_slack_support"]  # the fake Slack and the app fixtures


def test_a_slow_handler_does_not_delay_the_ack(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    real = dispatch.HANDLERS["expansion"]

    def slow(*args, **kwargs):
        time.sleep(2)
        return real(*args, **kwargs)

    monkeypatch.setitem(dispatch.HANDLERS, "expansion", slow)
    started = time.perf_counter()
    response = slack.slash("/expansion", "Kopi Nusantara")
    acked_at = time.monotonic()
    assert response.status_code == 200 and time.perf_counter() - started < 0.5
    answer = slack.answer(timeout=10)
    assert answer.at - acked_at >= 1.9  # the work ran after the ack, not before it
    assert "Kopi Nusantara" in answer.body["text"]


def test_a_429_is_retried_after_retry_after_and_the_message_lands_once(slack: Harness) -> None:
    slack.fake.fail("chat.update", 429, retry_after=1)
    started = time.perf_counter()
    slack.slash("/digest", "")
    updates = slack.fake.wait_for("chat.update")
    assert time.perf_counter() - started >= 1.0
    slack.idle()
    assert len(slack.fake.received("chat.update", ok_only=False)) == 2  # refused once, then accepted
    assert len(updates) == len(slack.fake.received("chat.update")) == 1
    assert len(slack.fake.received("chat.postMessage")) == 1 and not slack.fake.received("r1")


def test_a_429_on_the_response_url_is_retried_too(slack: Harness) -> None:
    slack.fake.fail("r1", 429, retry_after=1)
    slack.slash("/expansion", "Kopi Nusantara")
    assert "Kopi Nusantara" in slack.answer().body["text"]
    slack.idle()
    assert len(slack.fake.received("r1", ok_only=False)) == 2 and len(slack.fake.received("r1")) == 1


def test_blocks_slack_rejects_are_sent_again_as_text(slack: Harness) -> None:
    slack.fake.fail("chat.update", 200, error="invalid_blocks")
    slack.slash("/digest", "")
    update = slack.fake.wait_for("chat.update")[0].body
    assert "blocks" not in update and update["text"].startswith("Expansion digest")


def test_an_expired_response_url_falls_back_to_an_ephemeral_message(slack: Harness) -> None:
    slack.fake.fail("r1", 404, error="expired_url", times=2)
    slack.slash("/expansion", "Kopi Nusantara", channel="C0SALES")
    ephemeral = slack.fake.wait_for("chat.postEphemeral")[0].body
    assert ephemeral["channel"] == "C0SALES" and ephemeral["user"] == DEWI
    assert "Kopi Nusantara" in ephemeral["text"]


def test_a_failure_on_our_side_shows_a_reference_that_is_in_the_log(
    slack: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.slack.commands.handle_text", broken)
    with caplog.at_level(logging.ERROR):
        slack.slash("/expansion", "Kopi Nusantara")
        text = slack.answer().body["text"]
        slack.idle()
    assert text.startswith("Sorry, something went wrong on my side (ref ")
    ref = text.split("(ref ")[1].split(")")[0]
    record = next(r for r in caplog.records if getattr(r, "request_id", "") == ref)
    assert record.exc_info and "boom" in str(record.exc_info[1])


def test_a_failing_button_workflow_shows_a_reference(slack: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("db down")

    monkeypatch.setitem(dispatch.HANDLERS, "snooze", broken)
    slack.click("snooze:0", "ID-001")
    assert "something went wrong on my side (ref " in slack.answer("c1").body["text"]


def test_building_the_app_starts_nothing_and_calls_auth_test_once(demo_engine, fake: FakeSlack) -> None:
    build_app(settings_for(fake), demo_engine)
    assert [c.name for c in fake.calls] == ["auth.test"]


def test_socket_mode_needs_no_signing_secret(demo_engine, fake: FakeSlack) -> None:
    from bot.settings import Settings

    settings = Settings(slack_bot_token="xoxb-t", slack_app_token="xapp-1-test", slack_api_url=fake.api_url)
    handler = socket_mode_handler(settings, demo_engine)
    assert handler.app_token == "xapp-1-test" and handler.client.web_client.base_url == fake.api_url
    handler.close()
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        socket_mode_handler(settings.model_copy(update={"slack_app_token": ""}), demo_engine)
