"""The scheduler of `serve`: a cron job per team at its local digest time, and a minute job that keeps
those jobs in step with the teams table and retries what is pending (digests, the WhatsApp outbox).

Digest jobs live in the project's database (SQLAlchemyJobStore), so a restart within the misfire grace
time still sends the morning's digest and a later one does not send a stale one. They are pickled:
their function is module-level and their arguments are a team name and a database URL. The minute job
lives in memory; it is rebuilt by every process.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
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
# Settings of the processes that built a scheduler, by database URL: a pickled job finds them here.
_settings_by_url: dict[str, Settings] = {}


def digest_trigger(team: db.Team, days: str) -> CronTrigger:
    """At the team's digest_time in its timezone, on `days` (day names: in APScheduler 3, 0 is Monday)."""
    hour, minute = (int(p) for p in team.digest_time.split(":"))
    return CronTrigger(day_of_week=days, hour=hour, minute=minute, timezone=team.timezone)


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    """A scheduler (not started) with the persistent job store and the minute job; jobs sync on start."""
    from bot.runtime import engine_for

    _settings_by_url[settings.database_url] = settings
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine_for(settings.database_url), tablename=JOBSTORE_TABLE),
            "local": MemoryJobStore(),
        },
        executors={"default": ThreadPoolExecutor(max_workers=8)},
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


def _maintain_at_start(scheduler: BackgroundScheduler, _event: SchedulerEvent) -> None:
    """At start, not a minute later: teams imported while the process was down get their jobs."""
    scheduler.modify_job(MAINTENANCE_ID, jobstore="local", next_run_time=datetime.now(UTC))


def start_scheduler(settings: Settings) -> BackgroundScheduler:
    """For `serve`: build and start; stop it with stop_scheduler on shutdown."""
    scheduler = build_scheduler(settings)
    scheduler.start()
    log.info(
        "scheduler started: digests on %s, misfire grace %d min",
        settings.digest_days,
        settings.digest_misfire_grace_minutes,
    )
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler, *, wait: bool = True) -> None:
    """Let running jobs finish (a digest being posted is marked sent) and stop."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)


def status(scheduler: BackgroundScheduler) -> str:
    """One line for /healthz: running or not, and the next digest."""
    if not scheduler.running:
        return "stopped"
    jobs = [j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(DIGEST_PREFIX)]
    upcoming = min((j for j in jobs if j.next_run_time), key=lambda j: j.next_run_time, default=None)
    nxt = f", next {upcoming.args[0]} at {upcoming.next_run_time.isoformat()}" if upcoming else ""
    return f"running, {len(jobs)} digest job(s){nxt}"


def sync_jobs(scheduler: Any, settings: Settings) -> dict[str, list[str]]:
    """Add, change or remove digest jobs to match the teams table; an unchanged job keeps its next run."""
    from bot.runtime import engine_for

    with session_scope(engine_for(settings.database_url)) as session:
        wanted = {f"{DIGEST_PREFIX}{t.team}": t for t in teams(session) if t.slack_channel}
    existing = {j.id: j for j in scheduler.get_jobs(jobstore="default") if j.id.startswith(DIGEST_PREFIX)}
    changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for job_id, team in wanted.items():
        try:
            trigger = digest_trigger(team, settings.digest_days)
        except ValueError as exc:
            log.error("team %s: cannot schedule its digest (%s)", team.team, exc)
            continue
        args = [team.team, settings.database_url]
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
        try:
            scheduler.remove_job(job_id, jobstore="default")
            changes["removed"].append(job_id.removeprefix(DIGEST_PREFIX))
        except JobLookupError:
            pass
    if any(changes.values()):
        log.info("digest jobs synced: %s", changes)
    return changes


def maintain(scheduler: Any, settings: Settings) -> None:
    """Every minute: jobs in step with teams, then today's pending digests and WhatsApp messages retried."""
    from bot.runtime import engine_for

    engine = engine_for(settings.database_url)
    steps: list[tuple[str, Any]] = []
    if settings.slack_enabled:
        from bot.delivery import retry_pending as retry_digests

        steps += [
            ("sync", lambda: sync_jobs(scheduler, settings)),
            ("digests", lambda: retry_digests(settings, engine)),
        ]
    if settings.twilio_enabled:
        from bot.whatsapp.webhook import maintain as retry_whatsapp  # unanswered messages, then sends

        steps.append(("whatsapp", lambda: retry_whatsapp(settings, engine)))
    for name, step in steps:
        try:
            step()
        except Exception:  # one failing step must not stop the others, nor the next minute's run
            log.exception("scheduler maintenance step %s failed", name)


def run_digest(team: str, database_url: str) -> None:
    """The cron job: deliver `team`'s digest for the day whose digest time just passed, once."""
    from bot.delivery import deliver_digest, due_day
    from bot.runtime import engine_for

    settings = _settings_by_url.get(database_url) or load_settings().model_copy(
        update={"database_url": database_url}
    )
    if not settings.slack_enabled:
        log.warning("digest %s: Slack is not configured; nothing sent", team)
        return
    engine = engine_for(database_url)
    with session_scope(engine) as session:
        row = session.get(db.Team, team)
        if row is None:
            log.warning("digest %s: the team no longer exists", team)
            return
        day = due_day(row, db.utcnow())
    result = deliver_digest(settings, engine, team, day)
    log.info("digest %s %s: %s %s", team, day, result.status, result.error)
