"""The digest scheduler: local times per timezone, weekends, misfires, restarts, syncing with the teams table.

Cron is never waited for in real time beyond a second or two: tests check next fire times, call the job
function, or travel to just before a fire time and let the real scheduler run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
import yaml
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from fakes.slack_api import FakeSlack
from sqlalchemy import Engine, make_url, select, text
from test_digest_support import fake_slack

from bot.scheduler import (
    DIGEST_PREFIX,
    JOBSTORE_TABLE,
    build_scheduler,
    digest_trigger,
    maintain,
    run_digest,
    status,
    stop_scheduler,
    sync_jobs,
)
from bot.server import Services
from bot.settings import Settings, load_settings
from storage import models as db
from storage.db import make_engine, session_scope, upgrade
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
# The UTC+7 teams that post on Tuesday 24 November; Ho Chi Minh City's job runs too, but that day is
# Vietnam Cultural Day, a public holiday: its digest waits for the next working day (no record).
UTC7_POSTING = {"jakarta": "#cs-jakarta", "bangkok": "#cs-bangkok"}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs call deliver_digest with its defaults: make the waits between tries short."""
    monkeypatch.setattr("bot.digest_delivery.RETRY_DELAYS", (0.01, 0.01, 0.01))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with fake_slack() as fake:
        yield fake


def add_teams(engine: Engine) -> Engine:
    with session_scope(engine) as s:
        for name, (tz, channel, _) in TEAMS.items():
            s.add(db.Team(team=name, slack_channel=channel, timezone=tz, digest_time="08:30"))
        s.add(db.CatalogDoc(id=1, document=yaml.safe_load((DEMO_DIR / "catalog.yaml").read_text("utf-8"))))
    return engine


@pytest.fixture
def teams_engine(engine: Engine) -> Engine:
    """The six teams and the demo catalog, no accounts: every digest is the "nothing is ready" line."""
    return add_teams(engine)


def slack_env(database_url: str, slack_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack_url,
    }


@pytest.fixture
def settings(database_url: str, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The process's settings, from its environment as under `serve`: the digest jobs read them there."""
    for name, value in slack_env(database_url, slack.api_url).items():
        monkeypatch.setenv(name, value)
    return load_settings()


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
    assert jakarta.args == ("jakarta",)
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
            assert wait_for(lambda: len(slack.posts) >= len(UTC7_POSTING))
            time.sleep(0.3)
        finally:
            stop_scheduler(scheduler)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_POSTING.values())
    assert all("nothing is ready today" in p["text"] for p in slack.posts)
    rows = deliveries(teams_engine)
    assert {(r.team, r.day.isoformat(), r.status, r.late) for r in rows} == {
        (t, "2026-11-24", "sent", False) for t in UTC7_POSTING
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
            assert wait_for(lambda: len(slack.posts) >= len(UTC7_POSTING) and len(missed) >= 3)
            time.sleep(0.3)
        finally:
            stop_scheduler(scheduler)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_POSTING.values())
    assert {e.job_id for e in missed} == {"digest:kuala-lumpur", "digest:singapore", "digest:manila"}
    rows = {r.team: r for r in deliveries(teams_engine)}
    assert set(rows) == set(UTC7_POSTING)
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
    slack.slow("chat.postMessage", 0.2)
    first, second = build_scheduler(settings), build_scheduler(settings)
    with time_machine.travel(TEAMS["jakarta"][2] - timedelta(seconds=1), tick=True):
        first.start()
        second.start()
        try:
            assert wait_for(lambda: len(slack.posts) >= len(UTC7_POSTING))
            time.sleep(1.0)
        finally:
            stop_scheduler(first)
            stop_scheduler(second)
    assert sorted(p["channel"] for p in slack.posts) == sorted(UTC7_POSTING.values())


def test_the_job_function_reads_settings_from_the_environment(teams_engine, slack, database_url, monkeypatch):
    """A job loaded from the database in a process that built no scheduler still finds its settings; a job
    stored by an older version, with the database URL as a second argument, still runs."""
    for name, value in slack_env(database_url, slack.api_url).items():
        monkeypatch.setenv(name, value)
    with time_machine.travel(TEAMS["manila"][2] + timedelta(seconds=2), tick=False):
        run_digest("manila", "sqlite:///an-old-stored-url.db")
    [row] = deliveries(teams_engine)
    assert (row.team, row.day.isoformat(), row.status) == ("manila", "2026-11-24", "sent")
    assert [p["channel"] for p in slack.posts] == ["#cs-manila"]


def test_the_minute_job_retries_todays_pending_digest(teams_engine, slack, settings):
    slack.fail("chat.postMessage", 500, times=4)
    at = TEAMS["singapore"][2]
    scheduler = build_scheduler(settings)
    with time_machine.travel(at, tick=False) as traveller:
        run_digest("singapore")
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


def test_the_job_store_holds_no_secret(database_url, slack, monkeypatch):
    """Digest jobs are pickled into the database: the URL (with its password) and the tokens stay out."""
    url = database_url
    if make_url(url).get_backend_name() == "postgresql":  # trust auth here: any password is accepted
        url = make_url(url).set(password="pw-not-for-the-job-store").render_as_string(hide_password=False)
    for name, value in slack_env(url, slack.api_url).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    engine = make_engine(url)
    upgrade(engine)
    add_teams(engine)
    scheduler = build_scheduler(settings)
    with time_machine.travel(TUESDAY, tick=False):
        scheduler.start(paused=True)
        try:
            assert len(sync_jobs(scheduler, settings)["added"]) == len(TEAMS)
        finally:
            stop_scheduler(scheduler)
    with engine.connect() as conn:
        states = [bytes(r[0]) for r in conn.execute(text(f"SELECT job_state FROM {JOBSTORE_TABLE}"))]
    engine.dispose()
    assert len(states) == len(TEAMS)
    secrets = [url, make_url(url).database or "", "pw-not-for-the-job-store", "xoxb-test-token"]
    secrets += ["test-signing-secret"]
    assert not [s for s in secrets if s and any(s.encode() in state for state in states)]


@pytest.fixture
def slow_team_reads(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The minute job's read of the teams table takes SLOW seconds (a busy database); set once it began."""
    import bot.scheduler

    began, read = threading.Event(), bot.scheduler.teams

    def slow(session):  # type: ignore[no-untyped-def]
        began.set()
        time.sleep(SLOW)
        return read(session)

    monkeypatch.setattr(bot.scheduler, "teams", slow)
    return began


SLOW = 1.0


def stored_jobs(engine: Engine) -> list[str]:
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(None, "default")  # type: ignore[arg-type]
    return [j.id for j in store.get_all_jobs()]


def test_stopping_serve_while_the_minute_job_runs_ends_and_leaves_the_scheduler_alone(
    teams_engine, settings, slow_team_reads
):
    """APScheduler's shutdown(wait=True) held the job-store lock while waiting for the minute job, which
    then asked for that lock to sync jobs: `serve` hung on SIGTERM. Stopping now ends once the job's
    read is done, and the job, seeing the scheduler stop, does not add its jobs."""
    services = Services(settings, teams_engine)  # the start and stop that `serve`'s lifespan runs
    services.start()
    assert slow_team_reads.wait(10)
    stopping = threading.Thread(target=services.stop, daemon=True)
    started = time.monotonic()
    stopping.start()
    stopping.join(SLOW + 10)
    assert not stopping.is_alive(), "stop hung"
    assert time.monotonic() - started < SLOW + 5
    assert services.scheduler is not None and not services.scheduler.running
    assert stored_jobs(teams_engine) == []


def test_a_job_still_running_after_the_grace_period_does_not_hold_the_stop(
    teams_engine, settings, slow_team_reads
):
    scheduler = build_scheduler(settings)
    scheduler.start()
    try:
        assert slow_team_reads.wait(10)
    finally:
        started = time.monotonic()
        stop_scheduler(scheduler, grace=0.1)
    assert time.monotonic() - started < SLOW / 2
    assert not scheduler.running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_while_the_minute_job_waits_for_a_locked_database_ends_serve(database_url):
    """The real process on PostgreSQL: another transaction locks the teams table, so the minute job that
    runs at start waits in its read; SIGTERM arrives, the lock is released, and `serve` exits in time."""
    engine = make_engine(database_url)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite readers do not wait for a writer (WAL): no way to hold the job in its read")
    upgrade(engine)
    add_teams(engine)
    port = free_port()
    slack = FakeSlack().start()  # Bolt asks auth.test at start
    env = os.environ | slack_env(database_url, slack.api_url) | {"HOST": "127.0.0.1", "PORT": str(port)}
    holder = engine.raw_connection()
    cur = holder.cursor()
    cur.execute("LOCK TABLE team IN ACCESS EXCLUSIVE MODE")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert wait_for(lambda: _healthy(port) or proc.poll() is not None, 60)
        assert wait_for(lambda: _waiting_on_lock(engine), 10), _stopped_output(proc)
        proc.send_signal(signal.SIGTERM)
        time.sleep(SLOW)
        holder.rollback()  # the job's read completes while `serve` is stopping
        output = proc.communicate(timeout=20)[0].decode(errors="replace")
    finally:
        holder.close()
        slack.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
    assert proc.returncode in (0, -signal.SIGTERM), output[-2000:]
    assert '"shutdown complete"' in output


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _waiting_on_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar())


def _stopped_output(proc: subprocess.Popen) -> str:  # type: ignore[type-arg]
    """What a process that should be running said (for a failed assertion)."""
    if proc.poll() is None:
        proc.kill()
    return proc.communicate()[0].decode(errors="replace")[-3000:]
