"""Exactly-once digest delivery against a local Slack stand-in: retries, races, crashes, re-runs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from conftest import TODAY
from fakes.slack_api import FakeSlack
from rich.console import Console
from sqlalchemy import Engine, func, select
from test_digest_support import fake_slack, slack_settings

from bot.digest_delivery import EVENT_TYPE, deliver_cli, deliver_digest, due_day, retry_pending
from bot.settings import Settings
from handlers.actions import handle_action
from handlers.assessing import assess_one
from handlers.context import Context
from handlers.digest import compose
from handlers.dispatch import handle_text
from storage import models as db
from storage.db import session_scope
from storage.tracking import open_opportunities

JAKARTA_0830 = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 08:30 in Asia/Jakarta (UTC+7)
QUICK = (0.01, 0.01, 0.01)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, slack: FakeSlack) -> Settings:
    return slack_settings(database_url, slack.api_url)


def deliver(settings: Settings, engine: Engine, team: str = "jakarta", day: date = TODAY, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("delays", QUICK)
    kw.setdefault("sleep", lambda _s: None)
    return deliver_digest(settings, engine, team, day, **kw)


def delivery_row(engine: Engine, team: str = "jakarta", day: date = TODAY) -> db.DigestDelivery:
    with session_scope(engine) as s:
        return s.scalars(
            select(db.DigestDelivery)
            .where(db.DigestDelivery.team == team)
            .where(db.DigestDelivery.day == day)
        ).one()


def opportunity_count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(db.Opportunity)) or 0)


def blocks_text(post: dict) -> str:
    return "\n".join(b["text"]["text"] for b in post["blocks"] if b.get("text"))


def buttons(post: dict) -> list[dict]:
    return [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_message_shows_owners_new_and_open_value_and_buttons(demo_engine, slack, settings):
    with session_scope(demo_engine) as s:  # Batik Sentosa was shown yesterday, so recorded: "open"
        assess_one(s, "ID-002", TODAY - timedelta(days=1))
    result = deliver(settings, demo_engine)
    assert result.status == "sent"
    [post] = slack.posts
    text = blocks_text(post)
    assert post["channel"] == "#cs-jakarta"
    assert post["blocks"][0]["type"] == "header"
    everything = json.dumps(post["blocks"], ensure_ascii=False)
    assert "<@U0DEWI0001>" in everything and "<@U0BUDI0002>" in everything  # owners pinged
    assert "Kopi Nusantara (ID-001) [new]" in text
    assert "Batik Sentosa (ID-002) [open]" in text
    assert "est. Rp" in text  # the account's currency
    assert post["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"team": "jakarta", "day": "2026-11-24"},
    }
    assert "Kopi Nusantara" in post["text"]  # the notification text
    shown = {e["value"] for e in buttons(post)}
    assert shown == {"ID-001", "ID-002", "ID-003"}
    for account_id in shown:
        actions = {e["action_id"].split(":")[0] for e in buttons(post) if e["value"] == account_id}
        assert actions == {"prep", "draft", "snooze", "not_relevant"}
    assert result.opened >= 2  # Kopi Nusantara and Warung Digital Makmur became opportunities


def test_the_digest_buttons_work_through_the_action_handler(demo_engine, slack, settings):
    deliver(settings, demo_engine)
    ctx = Context(engine=demo_engine, today=TODAY, caller_email="dewi@example.com", channel="slack")
    by_action = {
        e["action_id"].split(":")[0]: e["value"] for e in buttons(slack.posts[0]) if e["value"] == "ID-001"
    }
    assert handle_action("snooze", by_action["snooze"], ctx).title.startswith("Snoozed Kopi Nusantara")
    reply = handle_action("not_relevant", "ID-003", ctx)
    assert reply.ok and reply.data["signals"]
    with session_scope(demo_engine) as s:
        feedback = s.scalars(select(db.SignalFeedback).where(db.SignalFeedback.account_id == "ID-003")).all()
        assert feedback and {f.by for f in feedback} == {"dewi@example.com"}
    pipeline = handle_text("pipeline", ctx)  # the feedback is counted where its usefulness is read
    assert pipeline.data["not_relevant_by_signal"] == {f.signal: 1 for f in feedback}
    assert "Signals marked not relevant" in pipeline.text
    prep = handle_action("prep", by_action["prep"], ctx)  # routed to the prep command, not refused
    assert prep.command == "prep" and "out of date" not in prep.title


def test_a_second_run_posts_nothing(demo_engine, slack, settings):
    first = deliver(settings, demo_engine)
    second = deliver(settings, demo_engine)
    assert (first.status, second.status) == ("sent", "already_sent")
    assert second.ts == first.ts
    assert len(slack.posts) == 1
    row = delivery_row(demo_engine)
    assert (row.status, row.slack_ts, row.attempts) == ("sent", first.ts, 1)


@pytest.mark.parametrize("failures", [[500, 500], [429, 429], [500, 429]])
def test_fails_twice_then_succeeds_gets_one_message(demo_engine, slack, settings, failures):
    for failure in failures:
        slack.fail("chat.postMessage", failure)
    waits: list[float] = []
    result = deliver(settings, demo_engine, sleep=waits.append)
    assert result.status == "sent"
    assert len(slack.posts) == 1 and slack.count("chat.postMessage") == 3
    assert waits == [1.0 if f == 429 else 0.01 for f in failures]  # Retry-After: 1 is honoured


def test_a_real_retry_after_wait(demo_engine, slack, settings):
    slack.fail("chat.postMessage", 429)
    started = datetime.now(UTC)
    assert deliver(settings, demo_engine, sleep=__import__("time").sleep).status == "sent"
    assert datetime.now(UTC) - started >= timedelta(seconds=1)
    assert len(slack.posts) == 1


def test_a_refusal_is_not_retried_and_stays_pending(demo_engine, slack, settings):
    slack.fail("chat.postMessage", 200, error="channel_not_found")
    result = deliver(settings, demo_engine)
    assert result.status == "failed" and "channel_not_found" in result.error
    assert slack.count("chat.postMessage") == 1
    row = delivery_row(demo_engine)
    assert row.status == "pending" and "channel_not_found" in row.last_error


def test_slack_down_all_morning_is_sent_when_back_and_marked_late(demo_engine, slack, settings):
    slack.fail("chat.postMessage", 500, times=100)
    with time_machine.travel(JAKARTA_0830, tick=False) as traveller:
        assert deliver(settings, demo_engine).status == "failed"
        assert delivery_row(demo_engine).status == "pending"
        traveller.move_to(JAKARTA_0830 + timedelta(seconds=30))  # within the backoff: not tried
        calls = slack.count("chat.postMessage")
        assert retry_pending(settings, demo_engine, delays=QUICK, sleep=lambda _s: None) == 0
        assert slack.count("chat.postMessage") == calls
        traveller.move_to(JAKARTA_0830 + timedelta(hours=2, minutes=30))  # 11:00 in Jakarta: back
        slack.recover()
        assert retry_pending(settings, demo_engine, delays=QUICK, sleep=lambda _s: None) == 1
    row = delivery_row(demo_engine)
    assert (row.status, row.late, row.attempts) == ("sent", True, 2)
    assert len(slack.posts) == 1
    assert slack.count("conversations.history") == 1  # a later round checks for an earlier post first


def test_on_time_is_not_late(demo_engine, slack, settings):
    with time_machine.travel(JAKARTA_0830 + timedelta(minutes=5), tick=False):
        assert deliver(settings, demo_engine).late is False
    with time_machine.travel(JAKARTA_0830 + timedelta(hours=1, minutes=1), tick=False):
        assert deliver(settings, demo_engine, team="bangkok").late is True  # past 08:30 + 60 min grace


def test_pending_digests_of_other_days_are_left_alone(demo_engine, slack, settings):
    slack.fail("chat.postMessage", 500, times=4)
    deliver(settings, demo_engine, day=TODAY - timedelta(days=1))
    slack.recover()
    with time_machine.travel(JAKARTA_0830 + timedelta(hours=1), tick=False):
        assert retry_pending(settings, demo_engine) == 0
    assert slack.posts == []


def claimed(engine, by: str, *, minutes_ago: int) -> None:
    """A delivery row another process claimed (and, when long ago, died holding)."""
    with session_scope(engine) as s:
        s.add(
            db.DigestDelivery(
                team="jakarta",
                day=TODAY,
                status="sending",
                claimed_by=by,
                claimed_at=db.utcnow() - timedelta(minutes=minutes_ago),
                attempts=1,
            )
        )


def test_a_process_killed_between_recording_and_sending_is_resumed_once(demo_engine, slack, settings):
    claimed(demo_engine, "dead:1", minutes_ago=30)
    result = deliver(settings, demo_engine)
    assert result.status == "sent"
    assert deliver(settings, demo_engine).status == "already_sent"
    assert len(slack.posts) == 1
    assert slack.count("conversations.history") == 1


def test_a_fresh_claim_is_left_to_its_owner(demo_engine, slack, settings):
    claimed(demo_engine, "alive:1", minutes_ago=0)
    result = deliver(settings, demo_engine)
    assert result.status == "busy" and "alive:1" in result.error
    assert slack.posts == []


def test_a_process_killed_after_posting_is_not_posted_again(demo_engine, slack, settings):
    dead_ts = "1795000000.000100"
    slack.posts.append(
        {
            "channel": "#cs-jakarta",
            "ts": dead_ts,
            "text": "digest",
            "metadata": {
                "event_type": EVENT_TYPE,
                "event_payload": {"team": "jakarta", "day": TODAY.isoformat()},
            },
        }
    )
    claimed(demo_engine, "dead:1", minutes_ago=30)
    result = deliver(settings, demo_engine)
    assert (result.status, result.ts) == ("sent", dead_ts)
    assert slack.count("chat.postMessage") == 0
    assert delivery_row(demo_engine).slack_ts == dead_ts


def test_without_history_access_a_stale_claim_still_posts(demo_engine, slack, settings):
    slack.history_error = "missing_scope"
    claimed(demo_engine, "dead:1", minutes_ago=30)
    assert deliver(settings, demo_engine).status == "sent"
    assert len(slack.posts) == 1


def test_concurrent_senders_post_once(demo_engine, slack, settings):
    slack.slow("chat.postMessage", 0.3)  # the winner is still posting while the others try
    barrier = threading.Barrier(5)
    results = []

    def send() -> None:
        barrier.wait()
        results.append(deliver(settings, demo_engine).status)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(slack.posts) == 1
    assert sorted(results).count("sent") == 1
    assert set(results) <= {"sent", "busy", "already_sent"} and len(results) == 5


def test_reruns_do_not_duplicate_opportunities(demo_engine, slack, settings):
    slack.fail("chat.postMessage", 500, times=4)  # the first round records opportunities, then Slack fails
    assert deliver(settings, demo_engine).status == "failed"
    after_first = opportunity_count(demo_engine)
    assert after_first > 0
    assert deliver(settings, demo_engine).status == "sent"  # the retry composes and tracks again
    assert deliver(settings, demo_engine).status == "already_sent"
    assert deliver(settings, demo_engine, day=TODAY + timedelta(days=1)).status == "sent"  # next morning
    assert opportunity_count(demo_engine) == after_first
    with session_scope(demo_engine) as s:
        rows = s.scalars(select(db.Opportunity)).all()
    keys = [(o.account_id, o.type, o.offering) for o in rows]
    assert len(keys) == len(set(keys))
    assert all(o.status == "identified" and o.qualification_due is not None for o in rows)
    assert {o.owner_email for o in rows if o.account_id == "ID-001"} == {"dewi@example.com"}


def test_overdue_qualification_calls_are_listed_to_their_owner(demo_engine, slack, settings):
    with session_scope(demo_engine) as s:
        assess_one(s, "ID-001", TODAY - timedelta(days=10))  # recorded on sight then, due 7 days later
        [opp, *_] = open_opportunities(s, account_id="ID-001")  # best first: Tier 2, 3 days overdue
    deliver(settings, demo_engine)
    text = blocks_text(slack.posts[0])
    assert "Overdue qualification calls" in text
    assert "<@U0DEWI0001> *Dewi Lestari — 1 overdue*" in text  # the owner pinged, by the section
    assert f"• Kopi Nusantara (ID-001): {opp.offering_name}" in text
    assert "3 day(s) overdue" in text
    with session_scope(demo_engine) as s:  # the channel-neutral reply names the owner, no Slack markup
        console, _ = compose(s, "jakarta", TODAY)
    assert "Dewi Lestari — 1 overdue" in console.text and "<@" not in console.text


def test_nothing_ready_is_one_line_not_silence(demo_engine, slack, settings):
    with session_scope(demo_engine) as s:
        s.add(db.Team(team="penang", slack_channel="#cs-penang", timezone="Asia/Kuala_Lumpur"))
    assert deliver(settings, demo_engine, team="penang").status == "sent"
    [post] = slack.posts
    assert "nothing is ready today" in post["text"]
    assert buttons(post) == []


def test_never_more_than_the_cap(demo_engine, slack, database_url):
    capped = slack_settings(database_url, slack.api_url, digest_cap=1)
    deliver(capped, demo_engine)
    assert {e["value"] for e in buttons(slack.posts[0])} == {"ID-001"}
    assert "more ready account(s) beyond today's cap" in blocks_text(slack.posts[0])


def test_cli_send_twice_posts_once(demo_engine, slack, settings):
    console = Console(record=True, width=200)
    assert deliver_cli(settings, demo_engine, "jakarta", TODAY, console) == 0
    assert deliver_cli(settings, demo_engine, "jakarta", TODAY, console) == 0
    out = console.export_text()
    assert "sent (ts" in out and "already sent" in out
    assert len(slack.posts) == 1


def test_cli_send_without_slack_records_nothing(demo_engine, database_url):
    console = Console(record=True, width=200)
    assert deliver_cli(Settings(database_url=database_url), demo_engine, "jakarta", TODAY, console) == 2
    assert "Slack is not configured" in console.export_text()
    with session_scope(demo_engine) as s:
        assert s.scalars(select(db.DigestDelivery)).all() == []


def test_cli_send_unknown_team(demo_engine, slack, settings):
    console = Console(record=True, width=200)
    assert deliver_cli(settings, demo_engine, "atlantis", TODAY, console) == 1
    assert "Unknown team" in console.export_text()


def test_due_day_is_the_day_whose_digest_time_last_passed():
    late_night = db.Team(team="x", timezone="Asia/Jakarta", digest_time="23:30")
    assert due_day(late_night, datetime(2026, 11, 24, 16, 30, tzinfo=UTC)) == date(2026, 11, 24)
    assert due_day(late_night, datetime(2026, 11, 24, 17, 10, tzinfo=UTC)) == date(2026, 11, 24)  # 00:10
    morning = db.Team(team="y", timezone="Asia/Manila", digest_time="08:30")
    assert due_day(morning, datetime(2026, 11, 24, 0, 35, tzinfo=UTC)) == date(2026, 11, 24)
