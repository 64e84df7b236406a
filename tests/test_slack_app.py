"""Slash commands through the real signature check, answered at a fake Slack."""

from __future__ import annotations

import time

import pytest
from fakes.slack_api import FakeSlack, signed, slash_body
from starlette.testclient import TestClient
from test_slack_support import (
    BUDI,
    DEWI,
    GUEST,
    OTHER_TEAM,
    OUTSIDER,
    SECRET,
    STRANGER,
    Harness,
    account_names,
    block_texts,
    buttons,
    settings_for,
)

from bot.slack.commands import command_text
from bot.web import create_web_app
from handlers.dispatch import NOT_REGISTERED
from storage import models as db
from storage.db import session_scope

pytest_plugins = ["test_slack_support"]  # the fake Slack and the app fixtures


def test_bad_and_stale_signatures_get_401(slack: Harness) -> None:
    body = slash_body("/expansion", "Kopi Nusantara", user=DEWI, response_url=slack.fake.response_url())
    forged = signed("not-the-secret", body)
    assert slack.http.post("/slack/events", content=body, headers=forged).status_code == 401
    assert slack.post(body, timestamp=int(time.time()) - 6 * 60).status_code == 401
    assert slack.http.post("/slack/events", content=body).status_code == 401
    slack.idle()
    assert slack.fake.calls == []


def test_the_web_server_serves_slack_at_slack_events(demo_engine, fake: FakeSlack) -> None:
    app = create_web_app(settings_for(fake), demo_engine)
    with TestClient(app) as http:
        body = slash_body("/pipeline", "", user=DEWI, response_url=fake.response_url())
        assert http.post("/slack/events", content=body, headers=signed(SECRET, body)).status_code == 200
        assert http.get("/healthz").json()["slack"] == "http"
        update = fake.wait_for("chat.update")[0]
    assert "pipeline" in update.body["text"].lower()


def test_expansion_acks_with_a_placeholder_then_the_answer_replaces_it(slack: Harness) -> None:
    started = time.perf_counter()
    response = slack.slash("/expansion", "Kopi Nusantara")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    assert response.json() == {"response_type": "ephemeral", "text": "⏳ Looking at the account…"}
    body = slack.answer().body
    assert body["response_type"] == "ephemeral" and body["replace_original"] is True
    blocks = body["blocks"]
    assert blocks[0]["type"] == "header" and "Kopi Nusantara" in blocks[0]["text"]["text"]
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    assert any(f.startswith("*Score*") for f in fields) and any(f.startswith("*Est. value*") for f in fields)
    labels = [label for label, _, _ in buttons(blocks)]
    for label in ("Draft email", "Objection: no budget", "Mark proposed", "Record outcome", "Snooze 30 days"):
        assert label in labels
    assert labels[-1] == "Share to channel"
    assert "Kopi Nusantara" in body["text"]  # the fallback for notifications


def test_prep_brief_has_header_scores_and_buttons(slack: Harness) -> None:
    assert slack.slash("/prep", "Kopi Nusantara").json()["text"] == "⏳ Preparing your call brief…"
    blocks = slack.answer().body["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": blocks[0]["text"]["text"], "emoji": True},
    }
    assert "Kopi Nusantara" in blocks[0]["text"]["text"]
    assert any(b.get("fields") for b in blocks)
    actions = {action for _, action, _ in buttons(blocks)}
    assert {"draft", "objection", "share"} <= actions


def test_unknown_account_gets_suggestions_as_buttons(slack: Harness) -> None:
    slack.slash("/expansion", "Kopi")
    blocks = slack.answer().body["blocks"]
    assert "Which “Kopi” do you mean?" in block_texts(blocks)
    picks = buttons(blocks)
    assert ("Kopi Nusantara", "pick", "ID-001|expansion") in picks
    assert ("Kedai Kopi Damai", "pick", "MY-001|expansion") in picks
    assert all(action == "pick" for _, action, _ in picks)  # no share button on a question


def test_mine_lists_the_callers_accounts(slack: Harness) -> None:
    slack.slash("/expansion", "mine")
    text = block_texts(slack.answer().body["blocks"])
    assert "Your accounts" in text and "Kopi Nusantara" in text and "Warung Digital Makmur" not in text


def test_help_is_expansion_help(slack: Harness) -> None:
    slack.slash("/expansion", "help")
    assert "what I can do" in block_texts(slack.answer().body["blocks"])
    assert command_text("/expansion", "") == "help"
    assert command_text("/draft", "  Kopi   whatsapp id ") == "draft Kopi whatsapp id"


def test_outcome_command_records_it(slack: Harness) -> None:
    slack.slash("/outcome", "Kopi Nusantara maybe Tier 2 after Lebaran")  # two offers open: name one
    assert "A maybe recorded for Kopi Nusantara" in slack.answer().body["text"]


def test_digest_is_posted_in_the_channel_as_a_placeholder_edited_into_the_answer(slack: Harness) -> None:
    response = slack.slash("/digest", "", channel="C0TEAMJKT")
    assert response.status_code == 200 and response.text == ""
    update = slack.fake.wait_for("chat.update")[0]
    placeholder = slack.fake.received("chat.postMessage")[0]
    assert placeholder.body["channel"] == "C0TEAMJKT" and placeholder.body["text"].startswith("⏳")
    assert update.body["ts"] == "1790000000.000001"
    assert update.body["blocks"][0]["text"]["text"].startswith("Expansion digest — jakarta")
    assert "Kopi Nusantara" in block_texts(update.body["blocks"])
    slack.idle()
    assert slack.fake.received("r1") == []


def test_digest_outside_a_channel_the_bot_is_in_goes_through_response_url(slack: Harness) -> None:
    slack.fake.fail("chat.postMessage", 200, error="not_in_channel")
    slack.slash("/digest", "")
    body = slack.answer().body
    assert body["response_type"] == "in_channel" and "Expansion digest" in body["text"]


@pytest.mark.parametrize(
    ("user", "team"),
    [(STRANGER, None), (GUEST, None), (OUTSIDER, None), (DEWI, OTHER_TEAM)],
    ids=["not-a-csm", "guest", "user-of-another-org", "request-from-another-team"],
)
def test_anyone_but_a_registered_csm_gets_one_polite_line(
    slack: Harness, user: str, team: str | None
) -> None:
    extra = {"team": team} if team else {}
    ack = slack.slash("/expansion", "Kopi Nusantara", user=user, **extra).json()
    slack.click("snooze:0", "ID-001", user=user, url="c1", **extra)
    slack.slash("/digest", "", user=user, url="r2", **extra)
    slack.idle()
    received = slack.fake.everything()
    for name in account_names(slack.engine):
        assert name not in received and name not in str(ack)
    assert "ID-001" not in received
    said = [c.body.get("text", "") for c in slack.fake.calls if c.kind == "respond"] + [ack.get("text")]
    polite = {NOT_REGISTERED, "Sorry, I can only help the Customer Success team of this workspace."}
    assert set(said) - {"⏳ Looking at the account…"} <= polite
    assert all("blocks" not in c.body for c in slack.fake.calls if c.kind == "respond")
    assert not slack.fake.received("chat.postMessage")


def test_a_csm_found_by_email_gets_in_and_is_remembered(slack: Harness) -> None:
    with session_scope(slack.engine) as session:
        session.get(db.Csm, "budi@example.com").slack_user_id = None
    slack.slash("/expansion", "Toko Roti Harum", user=BUDI)
    assert "Toko Roti Harum" in slack.answer().body["text"]
    assert [c.body["user"] for c in slack.fake.received("users.info")] == [BUDI]
    with session_scope(slack.engine) as session:
        assert session.get(db.Csm, "budi@example.com").slack_user_id == BUDI


def test_a_direct_message_is_a_chat_command(slack: Harness) -> None:
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0DEWI",
            "user": DEWI,
            "text": "expansion ID-001",
        }
    )
    update = slack.fake.wait_for("chat.postMessage")[0]  # the agent answers in the message's thread
    assert update.body["channel"] == "D0DEWI" and "Kopi Nusantara" in update.body["text"]
    slack.event(
        {"type": "message", "channel_type": "im", "channel": "D0DEWI", "bot_id": "B0BOT", "text": "hi"}
    )
    slack.idle()
    assert len(slack.fake.received("chat.postMessage")) == 1


def test_slack_retries_of_an_event_already_received_are_ignored(slack: Harness) -> None:
    event = {"type": "app_home_opened", "user": DEWI, "tab": "home"}
    body = __import__("fakes.slack_api", fromlist=["event_body"]).event_body(event)
    assert slack.http.post("/slack/events", content=body, headers=signed(SECRET, body)).status_code == 200
    slack.idle()
    published = len(slack.fake.received("views.publish"))
    time.sleep(1.05)  # Slack signs each retry anew
    headers = {**signed(SECRET, body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.http.post("/slack/events", content=body, headers=headers).status_code == 200
    slack.idle()
    assert published >= 1 and len(slack.fake.received("views.publish")) == published
