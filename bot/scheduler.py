"""The scheduler of `serve`: a cron job per team at its local digest time, and a minute job that keeps
those jobs in step with the teams table and retries what is pending (digests, the WhatsApp outbox).

Digest jobs live in the project's database (SQLAlchemyJobStore), so a restart within the misfire grace
time still sends the morning's digest and a later one does not send a stale one. They are pickled:
their function is module-level and their only argument is the team's name; the process's settings
give the database and the Slack token, so no secret is written to the job store. The minute job lives
in memory; it is rebuilt by every process.

Stopping cannot deadlock. APScheduler's own shutdown waits for running jobs while it holds the job-store
lock, which the minute job needs to sync jobs. Here the scheduler raises `stopping` first (the minute job
then calls nothing on the scheduler), lets go of its locks, and only then joins the running jobs, with a
deadline: a job still running after it does not keep the process alive.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.settings import Settings, load_settings
from storage import models as db
from storage.db import session_scope
from storage.repository import teams

log = logging.getLogger("expansion_bot.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
DIGEST_PREFIX = "digest:"
MAINTENANCE_ID = "maintenance"
MAINTENANCE_SECONDS = 60
GRACE_SECONDS = 30.0  # how long stopping waits for running jobs


class JobThreads(BaseExecutor):
    """Runs each job in a daemon thread of its own and joins them with a deadline.

    APScheduler's pool executor is shut down under the scheduler's locks; this one is joined by
    `Scheduler.shutdown` after those locks are released, and cannot keep a stopping process alive."""

    def __init__(self) -> None:
        super().__init__()
        self._threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        def work() -> None:
            try:
                events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
            except BaseException:
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)
            finally:
                with self._threads_lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=work, name=f"job {job.id}", daemon=True)
        with self._threads_lock:
            self._threads.add(thread)
        thread.start()

    def shutdown(self, wait: bool = True) -> None:
        """Called under the scheduler's locks: never waits here (see `join`)."""

    def join(self, timeout: float | None) -> list[str]:
        """Wait for the running jobs, at most `timeout` seconds; the names of those still running."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._threads_lock:
                running = list(self._threads)
            left = None if deadline is None else deadline - time.monotonic()
            if not running or (left is not None and left <= 0):
                return [t.name for t in running]
            running[0].join(left)


class Scheduler(BackgroundScheduler):
    """A BackgroundScheduler whose shutdown cannot deadlock with its own jobs (see the module's doc)."""

    def __init__(self, **options: Any) -> None:
        self.stopping = threading.Event()
        self.job_threads = JobThreads()
        super().__init__(executors={"default": self.job_threads}, **options)

    def shutdown(self, wait: bool = True, grace: float | None = GRACE_SECONDS) -> None:
        """Raise `stopping`, stop without waiting (the locks are held only for that), then give running
        jobs up to `grace` seconds (when `wait`)."""
        self.stopping.set()
        super().shutdown(wait=False)
        if wait:
            left = self.job_threads.join(grace)
            if left:
                log.error("scheduler stopped with jobs still running after %ss: %s", grace, ", ".join(left))


def digest_trigger(team: db.Team, days: str) -> CronTrigger:
    """At the team's digest_time in its timezone, on `days` (day names: in APScheduler 3, 0 is Monday)."""
    from bot.digest_delivery import digest_clock

    clock = digest_clock(team)
    return CronTrigger(day_of_week=days, hour=clock.hour, minute=clock.minute, timezone=team.timezone)


def build_scheduler(settings: Settings) -> Scheduler:
    """A scheduler (not started) with the persistent job store and the minute job; jobs sync on start."""
    from bot.wiring import engine_for

    scheduler = Scheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine_for(settings.database_url), tablename=JOBSTORE_TABLE),
            "local": MemoryJobStore(),
        },
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.digest_misfire_grace_minutes * 60,
        },
        timezone=UTC,
    )
    scheduler.add_job(
        maintain,
        IntervalTrigger(seconds=MAINTENANCE_SECONDS, timezone=UTC),
        args=[scheduler, settings],
        id=MAINTENANCE_ID,
        name="sync digest jobs, retry pending sends",
        jobstore="local",
        misfire_grace_time=None,
        replace_existing=True,
    )
    scheduler.add_listener(partial(_maintain_at_start, scheduler), EVENT_SCHEDULER_STARTED)
    return scheduler


def _maintain_at_start(scheduler: Scheduler, _event: SchedulerEvent) -> None:
    """At start, not a minute later: teams imported while the process was down get their jobs."""
    scheduler.modify_job(MAINTENANCE_ID, jobstore="local", next_run_time=datetime.now(UTC))


def start_scheduler(settings: Settings) -> Scheduler:
    """For `serve`: build and start; stop it with stop_scheduler on shutdown."""
    scheduler = build_scheduler(settings)
    scheduler.start()
    log.info(
        "scheduler started: digests on %s, misfire grace %d min",
        settings.digest_days,
        settings.digest_misfire_grace_minutes,
    )
    return scheduler


def stop_scheduler(scheduler: Scheduler, *, grace: float = GRACE_SECONDS) -> None:
    """Stop, giving running jobs up to `grace` seconds to finish (a digest being posted is marked sent)."""
    if scheduler.running:
        scheduler.shutdown(grace=grace)


def status(scheduler: Scheduler) -> str:
    """One line for /healthz: running or not, and the next digest."""
    if not scheduler.running:
        return "stopped"
    jobs = [j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(DIGEST_PREFIX)]
    upcoming = min((j for j in jobs if j.next_run_time), key=lambda j: j.next_run_time, default=None)
    nxt = f", next {upcoming.args[0]} at {upcoming.next_run_time.isoformat()}" if upcoming else ""
    return f"running, {len(jobs)} digest job(s){nxt}"


def sync_jobs(scheduler: Scheduler, settings: Settings) -> dict[str, list[str]]:
    """Add, change or remove digest jobs to match the teams table; an unchanged job keeps its next run.
    While the scheduler is stopping, nothing is asked of it."""
    from bot.wiring import engine_for

    changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    with session_scope(engine_for(settings.database_url)) as session:
        wanted = {f"{DIGEST_PREFIX}{t.team}": t for t in teams(session) if t.slack_channel}
    if scheduler.stopping.is_set():
        return changes
    existing = {j.id: j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(DIGEST_PREFIX)}
    for job_id, team in wanted.items():
        if scheduler.stopping.is_set():
            return changes
        try:
            trigger = digest_trigger(team, settings.digest_days)
        except ValueError as exc:
            log.error("team %s: cannot schedule its digest (%s)", team.team, exc)
            continue
        args = [team.team]
        job = existing.get(job_id)
        if job is not None and repr(job.trigger) == repr(trigger) and list(job.args) == args:
            continue
        try:
            scheduler.add_job(
                "bot.scheduler:run_digest",
                trigger,
                args=args,
                id=job_id,
                name=f"digest {team.team}",
                jobstore="default",
                replace_existing=True,
            )
        except ConflictingIdError:  # another process added it a moment ago
            continue
        changes["changed" if job is not None else "added"].append(team.team)
    for job_id in existing.keys() - wanted.keys():
        if scheduler.stopping.is_set():
            return changes
        try:
            scheduler.remove_job(job_id, jobstore="default")
            changes["removed"].append(job_id.removeprefix(DIGEST_PREFIX))
        except JobLookupError:
            pass
    if any(changes.values()):
        log.info("digest jobs synced: %s", changes)
    return changes


def maintain(scheduler: Scheduler, settings: Settings) -> None:
    """Every minute: jobs in step with teams, then today's pending digests and WhatsApp messages retried;
    once the scheduler is stopping, the steps not yet begun are left to the next process."""
    from bot.wiring import engine_for

    engine = engine_for(settings.database_url)
    steps: list[tuple[str, Any]] = []
    if settings.slack_enabled:
        from bot.digest_delivery import retry_pending as retry_digests

        steps += [
            ("sync", lambda: sync_jobs(scheduler, settings)),
            ("digests", lambda: retry_digests(settings, engine)),
        ]
    if settings.twilio_enabled:
        from bot.whatsapp.webhook import maintain as retry_whatsapp  # unanswered messages, then sends

        steps.append(("whatsapp", lambda: retry_whatsapp(settings, engine)))
    for name, step in steps:
        if scheduler.stopping.is_set():
            log.info("scheduler stopping: maintenance step %s left for the next run", name)
            return
        try:
            step()
        except Exception:  # one failing step must not stop the others, nor the next minute's run
            log.exception("scheduler maintenance step %s failed", name)


def run_digest(team: str, *_stored_before: object) -> None:
    """The cron job: deliver `team`'s digest for the day whose digest time just passed, once. Settings
    are this process's (jobs stored by older versions also carry a database URL: it is ignored)."""
    from bot.digest_delivery import deliver_digest, due_day
    from bot.wiring import engine_for

    settings = load_settings()
    if not settings.slack_enabled:
        log.warning("digest %s: Slack is not configured; nothing sent", team)
        return
    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        row = session.get(db.Team, team)
        if row is None:
            log.warning("digest %s: the team no longer exists", team)
            return
        day = due_day(row, db.utcnow())
    result = deliver_digest(settings, engine, team, day)
    log.info("digest %s %s: %s %s", team, day, result.status, result.error)
