"""The digest scheduler: local times per timezone, weekends, misfires, restarts, syncing with the teams table.

Cron is never waited for in real time beyond a second or two: tests check next fire times, call the job
function, or travel to just before a fire time and let the real scheduler run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import yaml
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, select
from test_digest_support import FakeSlack, fake_slack, slack_settings

from bot.scheduler import (
    DIGEST_PREFIX,
    build_scheduler,
    digest_trigger,
    maintain,
    run_digest,
    status,
    stop_scheduler,
    sync_jobs,
)
from bot.settings import Settings
from storage import models as db
from storage.db import session_scope
from storage.demo import HERE as DEMO_DIR

TEAMS = {  # the demo's teams; 08:30 local is 01:30 UTC at UTC+7 and 00:30 UTC at UTC+8
    "jakarta": ("Asia/Jakarta", "#cs-jakarta", datetime(2026, 11, 24, 1, 30, tzinfo=UTC)),
    "kuala-lumpur": ("Asia/Kuala_Lumpur", "#cs-kl", datetime(2026, 11, 24, 0, 30, tzinfo=UTC)),
    "singapore": ("Asia/Singapore", "#cs-singapore", datetime(2026, 11, 24, 0, 30, tzinfo=UTC)),
    "bangkok": ("Asia/Bangkok", "#cs-bangkok", datetime(2026, 11, 24, 1, 30, tzinfo=UTC)),
    "ho-chi-minh": ("Asia/Ho_Chi_Minh", "#cs-hcmc", datetime(2026, 11, 24, 1, 30, tzinfo=UTC)),
    "manila": ("Asia/Manila", "#cs-manila", datetime(2026, 11, 24, 0, 30, tzinfo=UTC)),
}
TUESDAY = datetime(2026, 11, 24, tzinfo=UTC)
UTC7_TEAMS = {"#cs-jakarta", "#cs-bangkok", "#cs-hcmc"}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs call deliver_digest with its defaults: make the waits between tries short."""
    monkeypatch.setattr("bot.delivery.RETRY_DELAYS", (0.01, 0.01, 0.01))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


@pytest.fixture
def teams_engine(engine: Engine) -> Engine:
    """The six teams and the demo catalog, no accounts: every digest is the "nothing is ready" line."""
    with session_scope(engine) as s:
        for name, (tz, channel, _) in TEAMS.items():
            s.add(db.Team(team=name, slack_channel=channel, timezone=tz, digest_time="08:30"))
        s.add(db.CatalogDoc(id=1, document=yaml.safe_load((DEMO_DIR / "catalog.yaml").read_text("utf-8"))))
    return engine


@pytest.fixture
def settings(database_url: str, slack: FakeSlack) -> Settings:
    return slack_settings(database_url, slack.url)


def wait_for(predicate, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def deliveries(engine: Engine) -> list[db.DigestDelivery]:
    with session_scope(engine) as s:
        return list(s.scalars(select(db.DigestDelivery)))


def jobs(scheduler) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {j.id: j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(DIGEST_PREFIX)}


@pytest.mark.parametrize("team", TEAMS)
def test_each_team_fires_at_0830_local(team):
    tz, channel, expected = TEAMS[team]
    trigger = digest_trigger(db.Team(team=team, slack_channel=channel, timezone=tz), "mon-fri")
    assert trigger.get_next_fire_time(None, TUESDAY) == expected
    following = trigger.get_next_fire_time(expected, expected + timedelta(seconds=1))
    assert following == expected + timedelta(days=1)


def test_no_digest_on_weekends_by_default():
    team = db.Team(team="jakarta", slack_channel="#cs-jakarta", timezone="Asia/Jakarta")
    friday_after = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    weekdays = digest_trigger(team, "mon-fri")
    assert weekdays.get_next_fire_time(None, friday_after) == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    with_saturday = digest_trigger(team, "mon-sat")
    assert with_saturday.get_next_fire_time(None, friday_after) == datetime(2026, 11, 28, 1, 30, tzinfo=UTC)


def test_jobs_are_stored_with_a_module_function_and_simple_args(teams_engine, settings):
    scheduler = build_scheduler(settings)
    with time_machine.travel(TUESDAY, tick=False):
        scheduler.start(paused=True)
        try:
            assert sorted(sync_jobs(scheduler, settings)["added"]) == sorted(TEAMS)
        finally:
            stop_scheduler(scheduler)
    store = SQLAlchemyJobStore(engine=teams_engine)
    store.start(None, "default")  # type: ignore[arg-type]
    stored = {j.id: j for j in store.get_all_jobs()}
    jakarta = stored["digest:jakarta"]
    assert jakarta.func_ref == "bot.scheduler:run_digest"
    assert jakarta.args == ("jakarta", settings.database_url)
    assert jakarta.next_run_time == TEAMS["jakarta"][2]
    assert jakarta.coalesce is True and jakarta.misfire_grace_time == 3600
    assert {j.next_run_time for j in stored.values()} == {TEAMS[t][2] for t in TEAMS}


def test_teams_added_changed_or_removed_are_picked_up_without_a_restart(teams_engine, settings):
    scheduler = build_scheduler(settings)
    with time_machine.travel(TUESDAY, tick=False):
        scheduler.start(paused=True)
        try:
            sync_jobs(scheduler, settings)
            before = jobs(scheduler)["digest:singapore"].next_run_time
            with session_scope(teams_engine) as s:
                s.add(
                    db.Team(
                        team="penang",
                        slack_channel="#cs-penang",
                        timezone="Asia/Kuala_Lumpur",
                        digest_time="09:00",
                    )
                )
                jakarta = s.get(db.Team, "jakarta")
                assert jakarta is not None
                jakarta.digest_time = "09:15"
                s.delete(s.get(db.Team, "manila"))
            maintain(scheduler, settings)  # the minute job: sync, then retries
            now = jobs(scheduler)
            assert "digest:penang" in now and "digest:manila" not in now
            assert now["digest:penang"].next_run_time == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
            assert now["digest:jakarta"].next_run_time == datetime(2026, 11, 24, 2, 15, tzinfo=UTC)
            assert now["digest:singapore"].next_run_time == before
            assert sync_jobs(scheduler, settings) == {"added": [], "changed": [], "removed": []}
            assert status(scheduler).startswith("running, 6 digest job(s)")
        finally:
            stop_scheduler(scheduler)


def test_an_unchanged_job_keeps_its_missed_run_for_the_misfire_rules(teams_engine, settings):
    scheduler = build_scheduler(settings)
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        scheduler.start(paused=True)
        try:
            sync_jobs(scheduler, settings)
            traveller.move_to(TEAMS["jakarta"][2] + timedelta(minutes=5))
            sync_jobs(scheduler, settings)
            assert jobs(scheduler)["digest:jakarta"].next_run_time == TEAMS["jakarta"][2]
        finally:
            stop_scheduler(scheduler)


def test_the_cron_job_posts_at_0830_local_time(teams_engine, slack, settings):
    """Just before 01:30 UTC the real scheduler runs: Jakarta, Bangkok and Ho Chi Minh City get theirs."""
    scheduler = build_scheduler(settings)
    with time_machine.travel(TEAMS["jakarta"][2] - timedelta(seconds=1), tick=True):
        scheduler.start()
        try:
            assert wait_for(lambda: len(slack.posts) >= 3)
            time.sleep(0.3)
        finally:
            stop_scheduler(scheduler)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_TEAMS)
    assert all("nothing is ready today" in p["text"] for p in slack.posts)
    rows = deliveries(teams_engine)
    assert {(r.team, r.day.isoformat(), r.status, r.late) for r in rows} == {
        (t, "2026-11-24", "sent", False) for t in ("jakarta", "bangkok", "ho-chi-minh")
    }


def _stored_jobs_at(settings: Settings, when: datetime) -> None:
    """A scheduler that ran until `when` and stopped: its jobs wait in the database."""
    scheduler = build_scheduler(settings)
    with time_machine.travel(when, tick=False):
        scheduler.start(paused=True)
        sync_jobs(scheduler, settings)
        stop_scheduler(scheduler)


def test_a_restart_at_0835_still_sends_the_0830_digest(teams_engine, slack, settings):
    """Down from midnight UTC, back at 01:35 UTC: 08:35 in Jakarta (sent), 09:35 in Singapore (missed)."""
    _stored_jobs_at(settings, TUESDAY)
    missed: list[JobExecutionEvent] = []
    scheduler = build_scheduler(settings)
    scheduler.add_listener(missed.append, EVENT_JOB_MISSED)
    with time_machine.travel(TEAMS["jakarta"][2] + timedelta(minutes=5), tick=True):
        scheduler.start()
        try:
            assert wait_for(lambda: len(slack.posts) >= 3 and len(missed) >= 3)
            time.sleep(0.3)
        finally:
            stop_scheduler(scheduler)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_TEAMS)
    assert {e.job_id for e in missed} == {"digest:kuala-lumpur", "digest:singapore", "digest:manila"}
    rows = {r.team: r for r in deliveries(teams_engine)}
    assert set(rows) == {"jakarta", "bangkok", "ho-chi-minh"}
    assert (rows["jakarta"].status, rows["jakarta"].late) == ("sent", False)


def test_a_restart_at_1500_does_not_send_a_stale_digest(teams_engine, slack, settings):
    _stored_jobs_at(settings, TUESDAY)
    missed: list[JobExecutionEvent] = []
    scheduler = build_scheduler(settings)
    scheduler.add_listener(missed.append, EVENT_JOB_MISSED)
    with time_machine.travel(datetime(2026, 11, 24, 8, 0, tzinfo=UTC), tick=True):  # 15:00 in Jakarta
        scheduler.start()
        try:
            tomorrow = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
            assert wait_for(lambda: len(missed) >= 6)
            assert wait_for(lambda: jobs(scheduler)["digest:jakarta"].next_run_time == tomorrow)
        finally:
            stop_scheduler(scheduler)
    assert {e.job_id for e in missed} == {f"digest:{t}" for t in TEAMS}
    assert slack.posts == []
    assert deliveries(teams_engine) == []  # no record: the day is skipped, `digest --send` can still send it


def test_two_scheduler_processes_post_once(teams_engine, slack, settings):
    slack.post_delay = 0.2
    first, second = build_scheduler(settings), build_scheduler(settings)
    with time_machine.travel(TEAMS["jakarta"][2] - timedelta(seconds=1), tick=True):
        first.start()
        second.start()
        try:
            assert wait_for(lambda: len(slack.posts) >= 3)
            time.sleep(1.0)
        finally:
            stop_scheduler(first)
            stop_scheduler(second)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_TEAMS)


def test_the_job_function_reads_settings_from_the_environment(teams_engine, slack, database_url, monkeypatch):
    """A job loaded from the database in a process that built no scheduler still finds its settings."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "env-secret")
    monkeypatch.setenv("SLACK_API_URL", slack.url)
    with time_machine.travel(TEAMS["manila"][2] + timedelta(seconds=2), tick=False):
        run_digest("manila", database_url + "")  # not registered by build_scheduler in this test
    [row] = deliveries(teams_engine)
    assert (row.team, row.day.isoformat(), row.status) == ("manila", "2026-11-24", "sent")
    assert [p["channel"] for p in slack.posts] == ["#cs-manila"]


def test_the_minute_job_retries_todays_pending_digest(teams_engine, slack, settings):
    slack.fail = [500] * 4
    at = TEAMS["singapore"][2]
    scheduler = build_scheduler(settings)  # also what lets the job find these settings
    with time_machine.travel(at, tick=False) as traveller:
        run_digest("singapore", settings.database_url)
        assert deliveries(teams_engine)[0].status == "pending"
        traveller.move_to(at + timedelta(minutes=3))
        scheduler.start(paused=True)
        try:
            maintain(scheduler, settings)
        finally:
            stop_scheduler(scheduler)
    [row] = deliveries(teams_engine)
    assert (row.status, row.late) == ("sent", False)
    assert len(slack.posts) == 1


def test_without_slack_there_are_no_digest_jobs(teams_engine, database_url):
    settings = Settings(database_url=database_url)
    scheduler = build_scheduler(settings)
    with time_machine.travel(TUESDAY, tick=False):
        scheduler.start(paused=True)
        try:
            maintain(scheduler, settings)
            assert jobs(scheduler) == {}
        finally:
            stop_scheduler(scheduler)


def test_status_when_stopped(settings):
    assert status(build_scheduler(settings)) == "stopped"
