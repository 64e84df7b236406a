"""The DM as an agent and @mentions, through Bolt's real signature check against the local Web API
stand-in: suggested prompts from the CSM's own accounts, a status while working, the answer in the
thread with feedback buttons, and the feedback stored and counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import TODAY
from sqlalchemy import Engine, select
from test_slack_support import DEWI, STRANGER, TEAM_ID, USERS, FakeSlack, Harness, block_texts, wait_until

from bot.slack.agent import FEEDBACK_ACTION
from handlers.context import Context
from handlers.dispatch import handle_text
from storage import models as db
from storage.conversation import feedback_counts, own_accounts
from storage.db import session_scope

pytest_plugins = ["test_slack_support"]
DM = "D0DEWI0001"


class AgentSlack(FakeSlack):
    """The stand-in, answering the assistant methods the agent calls too."""

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method.startswith("assistant.threads."):
            return {"ok": True}
        return super()._answer(method, body)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = AgentSlack(users=dict(USERS)).start()
    yield server
    server.stop()


def dm(text: str, ts: str, *, user: str = DEWI, thread_ts: str = "") -> dict[str, Any]:
    event = {"type": "message", "channel": DM, "user": user, "text": text, "ts": ts, "channel_type": "im"}
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def event(slack: Harness, event: dict[str, Any]) -> int:
    """An Events API callback, signed, with its own event id (Slack's retries repeat one)."""
    body = {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0APP", "event": event}
    return slack.post(json.dumps(body | {"event_id": f"Ev{event.get('ts', event.get('tab'))}"})).status_code


def feedback_click(value: str, message_ts: str, *, user: str = DEWI) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "demo"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": DM},
        "channel": {"id": DM},
        "message": {"ts": message_ts},
        "actions": [{"action_id": FEEDBACK_ACTION, "type": "feedback_buttons", "value": value}],
    }
    return urlencode({"payload": json.dumps(payload)})


def feedback_values(blocks: list[dict[str, Any]]) -> tuple[str, str]:
    (block,) = [b for b in blocks if b["type"] == "context_actions"]
    (buttons,) = block["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == FEEDBACK_ACTION
    return buttons["positive_button"]["value"], buttons["negative_button"]["value"]


def test_opening_the_messages_tab_suggests_prompts_from_the_csms_own_accounts(slack: Harness) -> None:
    assert event(slack, {"type": "app_home_opened", "user": DEWI, "channel": DM, "tab": "messages"}) == 200
    (call,) = slack.fake.wait_for("assistant.threads.setSuggestedPrompts")
    with session_scope(slack.engine) as session:
        (first, second) = [name for _, name in own_accounts(session, "dewi@example.com", limit=2)]
    titles = [p["title"] for p in call.body["prompts"]]
    assert titles == [
        f"Prep {first}",
        "Who is ready today?",
        f"What should I pitch to {second}?",
        f"When does {first} renew?",
    ]
    assert call.body["channel_id"] == DM and all(p["message"] == p["title"] for p in call.body["prompts"])
    slack.idle()
    assert not slack.fake.received("views.publish")  # the Home tab is another listener's


def test_a_dm_gets_a_status_then_the_answer_in_its_thread_with_feedback(slack: Harness) -> None:
    event(slack, dm("when does Kopi Nusantara renew?", "1790000100.000100"))
    (answer,) = slack.fake.wait_for("chat.postMessage")
    (status,) = slack.fake.received("assistant.threads.setStatus")
    assert status.body["thread_ts"] == "1790000100.000100" and status.body["status"]
    assert status.at <= answer.at
    assert answer.body["thread_ts"] == "1790000100.000100" and answer.body["channel"] == DM
    assert "Kopi Nusantara renews on" in block_texts(answer.body["blocks"])
    assert not slack.fake.received("chat.startStream")  # short: one message, not a stream
    assert feedback_values(answer.body["blocks"]) == (
        "helpful|question|ID-001",
        "not_helpful|question|ID-001",
    )


def test_a_follow_up_in_the_thread_stays_on_the_account(slack: Harness) -> None:
    event(slack, dm("prep Kopi Nusantara", "1790000200.000100"))
    slack.fake.wait_for("chat.stopStream")  # a brief is long: streamed
    event(slack, dm("who is their champion?", "1790000200.000300", thread_ts="1790000200.000100"))
    (follow_up,) = slack.fake.wait_for("chat.postMessage")  # a short answer: one message
    assert follow_up.body["thread_ts"] == "1790000200.000100"
    assert "Kopi Nusantara — people" in block_texts(follow_up.body["blocks"])


def test_a_long_answer_is_streamed_into_the_thread_with_its_buttons_and_feedback_at_the_end(
    slack: Harness,
) -> None:
    event(slack, dm("prep Kopi Nusantara", "1790000600.000100"))
    (stop,) = slack.fake.wait_for("chat.stopStream")
    (start,) = slack.fake.received("chat.startStream")
    (status,) = slack.fake.received("assistant.threads.setStatus")
    appended = slack.fake.received("chat.appendStream")
    assert status.at <= start.at and len(appended) >= 2  # shown part by part, not in one go
    assert (start.body["channel"], start.body["thread_ts"]) == (DM, "1790000600.000100")
    assert (start.body["recipient_user_id"], start.body["recipient_team_id"]) == (DEWI, TEAM_ID)
    assert {c.body["ts"] for c in [*appended, stop]} == {"1790000000.000001"}  # one message
    text = slack.fake.streamed("1790000000.000001")
    brief = handle_text("prep Kopi Nusantara", Context(slack.engine, TODAY, caller_email="dewi@example.com"))
    assert text.startswith(f"**{brief.title}**")
    for section in brief.sections:  # every part of the brief, in order
        assert section.heading in text
    assert [text.index(s.heading) for s in brief.sections if s.heading] == sorted(
        text.index(s.heading) for s in brief.sections if s.heading
    )
    labels = [e["text"]["text"] for b in stop.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert labels == [b.label for b in brief.all_buttons]
    assert feedback_values(stop.body["blocks"])[0] == "helpful|prep|ID-001"
    assert not slack.fake.received("chat.postMessage")


def test_a_stream_slack_refuses_is_posted_as_one_message_instead(slack: Harness) -> None:
    slack.fake.fail("chat.startStream", 200, error="not_allowed")
    event(slack, dm("prep Kopi Nusantara", "1790000700.000100"))
    (answer,) = slack.fake.wait_for("chat.postMessage")
    assert answer.body["thread_ts"] == "1790000700.000100"
    assert "Call prep — Kopi Nusantara" in answer.body["text"]
    assert feedback_values(answer.body["blocks"])[0] == "helpful|prep|ID-001"


def test_a_stream_cut_off_half_way_is_replaced_by_the_whole_answer(slack: Harness) -> None:
    slack.fake.fail("chat.appendStream", 200, error="message_not_in_streaming_state")
    event(slack, dm("prep Kopi Nusantara", "1790000800.000100"))
    (update,) = slack.fake.wait_for("chat.update")
    assert update.body["ts"] == "1790000000.000001"  # the streamed message, not a second one
    assert "Call prep — Kopi Nusantara" in update.body["text"]
    slack.idle()
    assert not slack.fake.received("chat.postMessage") and not slack.fake.received("chat.stopStream")


def test_feedback_is_stored_once_per_answer_and_counted(slack: Harness) -> None:
    event(slack, dm("what plan is Kopi Nusantara on?", "1790000300.000100"))
    answer = slack.fake.wait_for("chat.postMessage")[0]
    helpful, not_helpful = feedback_values(answer.body["blocks"])
    ts = "1790000000.000001"  # the answer's ts, as the stand-in gave it
    assert slack.post(feedback_click(helpful, ts)).status_code == 200
    wait_until(lambda: votes(slack.engine) == [("slack:U0DEWI0001", "question", "ID-001", True, ts)])
    slack.post(feedback_click(not_helpful, ts))  # a change of mind, not a second vote
    wait_until(lambda: votes(slack.engine) == [("slack:U0DEWI0001", "question", "ID-001", False, ts)])
    with session_scope(slack.engine) as session:
        counts = feedback_counts(session)
    assert (counts.helpful, counts.not_helpful) == (0, 1)
    ctx = Context(slack.engine, TODAY, caller_email="dewi@example.com")
    pipeline = handle_text("pipeline", ctx)  # counted where the team reads its figures
    assert pipeline.data["answer_feedback"] == {"helpful": 0, "not_helpful": 1}
    assert "Answer feedback: 0 helpful, 1 not helpful" in pipeline.text


def votes(engine: Engine) -> list[tuple[Any, ...]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(db.AnswerFeedback).order_by(db.AnswerFeedback.id))
        return [(r.user_key, r.command, r.account_id, r.helpful, r.ref) for r in rows]


def test_a_stranger_gets_the_polite_line_and_no_account_data(slack: Harness) -> None:
    event(slack, dm("when does Kopi Nusantara renew?", "1790000400.000100", user=STRANGER))
    slack.post(feedback_click("helpful|question|ID-001", "1790000000.000009", user=STRANGER))
    (line,) = slack.fake.wait_for("chat.postMessage")
    slack.idle()  # the click's listener has run too
    assert "only help registered Customer Success Managers" in line.body["text"]
    assert not slack.fake.received("assistant.threads.setStatus")
    assert "Kopi" not in slack.fake.everything()
    assert votes(slack.engine) == []


def test_a_mention_is_answered_in_its_thread_public_when_the_answer_is_for_the_team(slack: Harness) -> None:
    mention = {"type": "app_mention", "user": DEWI, "channel": "C0TEAMJKT", "ts": "1790000500.000100"}
    event(slack, mention | {"text": "<@U0BOT00001> who is ready today?"})
    (digest,) = slack.fake.wait_for("chat.postMessage")
    assert digest.body["thread_ts"] == "1790000500.000100" and digest.body["channel"] == "C0TEAMJKT"
    assert "digest" in digest.body["text"].lower()
    event(slack, mention | {"text": "<@U0BOT00001> prep Kopi Nusantara", "ts": "1790000500.000200"})
    (brief,) = slack.fake.wait_for("chat.postEphemeral")
    assert brief.body["thread_ts"] == "1790000500.000200" and brief.body["user"] == DEWI
    assert "Call prep — Kopi Nusantara" in brief.body["text"]
    assert feedback_values(brief.body["blocks"])[0] == "helpful|prep|ID-001"


def test_an_unsigned_dm_is_refused_before_anything_runs(slack: Harness) -> None:
    body = json.dumps(
        {"type": "event_callback", "team_id": TEAM_ID, "event": dm("prep Kopi Nusantara", "1.2")}
    )
    response = slack.http.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    forged = slack.http.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/json", "X-Slack-Signature": "v0=0"},
    )
    assert forged.status_code == 401
    slack.idle()
    assert slack.fake.calls == []
