"""The Slack transport of the outbox for team digests: posted exactly once, and found again if unmarked.

The (team, day) row is taken in the outbox (storage/outbox.py: `pending`, or `sending` with a claim
older than LEASE) before anything is posted, so two schedulers, a restart or `digest --send` run twice
never post twice. Only the claimant composes the
message and records the day's new opportunities. A failed round puts the row back to `pending`;
`retry_pending` (every minute, from the scheduler) sends it once Slack is back, marked late. A round
after the first looks for its own message (by metadata) in the channel first, so a process that died
after posting but before marking is not followed by a second post.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.settings import Settings
from handlers.digest import compose
from handlers.reply import Reply
from playbooks.calendar import holiday_on, team_region
from storage import models as db
from storage import outbox
from storage.db import session_scope
from storage.outbox import SendFailed
from storage.repository import teams
from storage.tracking import track

if TYPE_CHECKING:
    from rich.console import Console
    from slack_sdk import WebClient

log = logging.getLogger("expansion_bot.digest")

LEASE = timedelta(minutes=10)  # a `sending` claim older than this belongs to a process that died
RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 30.0)  # waits between tries within one round
MAX_WAIT = 120.0  # a longer Retry-After ends the round; the row waits for the next one
ROUND_BACKOFF_FIRST = timedelta(minutes=1)  # then 2, 4 … minutes between rounds, at most ROUND_BACKOFF_MAX
ROUND_BACKOFF_MAX = timedelta(minutes=15)
EVENT_TYPE = "expansion_digest"  # Slack message metadata that lets a later round find an earlier post
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


@dataclass(frozen=True)
class DigestResult:
    """What one attempt to deliver a team's digest for a day came to."""

    team: str
    day: date
    status: str  # sent | already_sent | busy | failed | no_channel | unknown_team | holiday
    ts: str = ""
    late: bool = False
    error: str = ""
    opened: int = 0  # opportunities this run identified


def make_client(settings: Settings) -> WebClient:
    """The one WebClient, without slack_sdk's retries: a post that timed out may have landed, so only
    `post` decides what to try again (and never after a timeout)."""
    from bot.slack.replies import web_client

    return web_client(settings.slack_bot_token, settings.slack_api_url, retries=False)


def digest_clock(team: db.Team) -> dtime:
    """The team's digest_time ("HH:MM") as a time of day; ValueError when it is not one."""
    hour, minute = (int(p) for p in team.digest_time.split(":"))
    return dtime(hour, minute)


def scheduled_at(team: db.Team, day: date) -> datetime:
    """When the team's digest for `day` is due: its digest_time in its own timezone."""
    return datetime.combine(day, digest_clock(team), ZoneInfo(team.timezone))


def due_day(team: db.Team, now: datetime) -> date:
    """The day whose digest time last passed: today after digest_time, else yesterday (a late misfire)."""
    local = now.astimezone(ZoneInfo(team.timezone))
    return local.date() if local >= scheduled_at(team, local.date()) else local.date() - timedelta(days=1)


def deliver_digest(
    settings: Settings,
    engine: Engine,
    team: str,
    day: date,
    *,
    client: WebClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
    delays: Sequence[float] | None = None,
) -> DigestResult:
    """Send the team's digest for `day` unless it was sent, or another process is sending it now."""
    with session_scope(engine) as session:
        row = session.get(db.Team, team)
        if row is None:
            return DigestResult(team, day, "unknown_team", error=f"no team {team!r}")
        channel, due = row.slack_channel, scheduled_at(row, day)
        holiday = holiday_on(team_region(row.country, row.timezone), day)
    if holiday:  # nothing is claimed: the next working day's digest carries it, once
        return DigestResult(team, day, "holiday", error=f"public holiday: {holiday}")
    if not channel:
        return DigestResult(team, day, "no_channel", error=f"team {team!r} has no slack_channel")
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    claim = outbox.claim_digest(engine, team=team, day=day, worker=worker, lease=LEASE)
    if claim is None:
        return _current(engine, team, day)
    delivery_id = claim.id
    client = client or make_client(settings)
    grace = timedelta(minutes=settings.digest_misfire_grace_minutes)
    try:
        if claim.attempts > 1 and (ts := find_posted(client, channel, team, day, claim.earlier)):
            log.warning("digest %s %s: found the message an earlier round posted (ts=%s)", team, day, ts)
            return _mark_sent(engine, delivery_id, worker, ts, due + grace, 0)
        with session_scope(engine) as session:
            reply, assessments = compose(session, team, day, settings.digest_cap)  # before track: "new"
            opened = len(track(session, assessments, day))
        ts = post(client, channel, reply, {"team": team, "day": day.isoformat()}, sleep=sleep, delays=delays)
    except Exception as exc:  # any failure keeps the digest pending for the next round
        _release(engine, delivery_id, worker, exc)
        return DigestResult(team, day, "failed", error=str(exc))
    return _mark_sent(engine, delivery_id, worker, ts, due + grace, opened)


def post(
    client: WebClient,
    channel: str,
    reply: Reply,
    payload: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    delays: Sequence[float] | None = None,
) -> str:
    """chat.postMessage with the Block Kit of the reply; retried on 5xx, 429 and refused connections."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.blocks import blocks_for, fallback_text

    blocks, text = blocks_for(reply), fallback_text(reply)
    metadata = {"event_type": EVENT_TYPE, "event_payload": payload}
    delays = RETRY_DELAYS if delays is None else delays
    for attempt, delay in enumerate([*delays, None], 1):
        try:
            resp = client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, metadata=metadata, unfurl_links=False
            )
            return str(resp["ts"])
        except SlackApiError as exc:
            failure = classify(exc)
        except OSError as exc:  # refused, reset, DNS: not posted; a timeout may have been
            failure = _network_failure(exc)
        wait = max(delay or 0.0, failure.retry_after)
        if not failure.transient or failure.ambiguous or delay is None or wait > MAX_WAIT:
            raise failure
        log.info("digest post retry channel=%s attempt=%d in %.1fs: %s", channel, attempt, wait, failure)
        sleep(wait)
    raise AssertionError("unreachable")


def find_posted(client: WebClient, channel: str, team: str, day: date, since: datetime | None) -> str:
    """The ts of this digest if an earlier round already posted it (channels:history), else ""."""
    from slack_sdk.errors import SlackApiError

    oldest = f"{(since - LEASE).timestamp():.6f}" if since else None
    try:
        resp = client.conversations_history(
            channel=channel, oldest=oldest, include_all_metadata=True, limit=200
        )
    except SlackApiError as exc:
        failure = classify(exc)
        if failure.transient:
            raise failure from exc
        log.warning("digest %s %s: cannot read %s (%s); posting unchecked", team, day, channel, failure)
        return ""
    except OSError as exc:
        raise _network_failure(exc) from exc
    for message in resp.get("messages") or []:
        meta = message.get("metadata") or {}
        if meta.get("event_type") == EVENT_TYPE and meta.get("event_payload") == {
            "team": team,
            "day": day.isoformat(),
        }:
            return str(message["ts"])
    return ""


def classify(exc: Any) -> SendFailed:
    """A SlackApiError as a SendFailed: 429, 5xx and Slack's own transient errors can be retried."""
    resp = exc.response
    status = int(getattr(resp, "status_code", 0) or 0)
    data = resp.data if isinstance(resp.data, dict) else {}
    error = str(data.get("error", ""))
    headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
    try:
        retry_after = float(headers.get("retry-after", 0) or 0)
    except ValueError:
        retry_after = 0.0
    transient = status == 429 or status >= 500 or error in TRANSIENT_ERRORS
    message = f"HTTP {status}: {error or 'error'}"[:300]
    return SendFailed(message, transient=transient, retry_after=retry_after)


def _network_failure(exc: OSError) -> SendFailed:
    reason = getattr(exc, "reason", exc)
    ambiguous = isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)
    return SendFailed(f"{type(exc).__name__}: {exc}"[:300], transient=True, ambiguous=ambiguous)


def _mark_sent(
    engine: Engine, delivery_id: int, worker: str, ts: str, late_after: datetime, opened: int
) -> DigestResult:
    """Sent, with Slack's ts; late when past the scheduled time plus the misfire grace."""
    late = db.utcnow() > late_after
    row, held = outbox.mark_digest_sent(engine, delivery_id=delivery_id, worker=worker, ts=ts, late=late)
    if not held:
        log.error("digest delivery %s: claim lost while posting (ts=%s); marked anyway", delivery_id, ts)
    log.info("digest %s %s sent ts=%s late=%s opportunities=%d", row.team, row.day, ts, late, opened)
    return DigestResult(row.team, row.day, "sent", ts=ts, late=late, opened=opened)


def _release(engine: Engine, delivery_id: int, worker: str, exc: Exception) -> None:
    """Back to pending with the error, so the next round (or `digest --send`) tries again."""
    if isinstance(exc, SendFailed):
        log.warning("digest delivery %s failed (transient=%s): %s", delivery_id, exc.transient, exc)
    else:
        log.exception("digest delivery %s failed before posting", delivery_id)
    outbox.release_digest(
        engine, delivery_id=delivery_id, worker=worker, error=f"{type(exc).__name__}: {exc}"
    )


def _current(engine: Engine, team: str, day: date) -> DigestResult:
    row = outbox.digest_state(engine, team=team, day=day)
    if row.status == "sent":
        return DigestResult(team, day, "already_sent", ts=row.slack_ts, late=row.late)
    return DigestResult(team, day, "busy", error=f"being sent by {row.claimed_by} since {row.claimed_at}")


def _utc(value: datetime | None) -> datetime | None:
    """Databases hand back naive UTC; make it comparable with aware times."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def retry_pending(settings: Settings, engine: Engine, **kwargs: Any) -> int:
    """Send today's unsent digests whose backoff has passed (every minute, from the scheduler); sent count."""
    now = db.utcnow()
    with session_scope(engine) as session:
        by_team = {t.team: t for t in teams(session)}
    due = []
    for row in outbox.unsent_digests(engine):
        team = by_team.get(row.team)
        if team is None or row.day != now.astimezone(ZoneInfo(team.timezone)).date():
            continue  # another day's digest is stale by now: it stays as it is
        claimed = _utc(row.claimed_at)
        wait = outbox.backoff(row.attempts, first=ROUND_BACKOFF_FIRST, most=ROUND_BACKOFF_MAX)
        if row.status == "sending":
            wait = LEASE
        if claimed is None or claimed + wait <= now:
            due.append((row.team, row.day))
    return sum(deliver_digest(settings, engine, t, d, **kwargs).status == "sent" for t, d in due)


def deliver_cli(settings: Settings, engine: Engine, team: str, day: date, console: Console) -> int:
    """`digest --send`: the scheduler's exactly-once path by hand; 0 when the digest is (or was) sent."""
    if not settings.slack_enabled:
        console.print(
            "Slack is not configured (SLACK_BOT_TOKEN): nothing sent. "
            "`digest` without --send prints what would be sent.",
            markup=False,
        )
        return 2
    with session_scope(engine) as session:
        known = [t.team for t in teams(session)]
    team = team or (known[0] if known else "")
    if team not in known:
        console.print(f"Unknown team {team!r}. Teams: {', '.join(known) or 'none yet'}.", markup=False)
        return 1
    result = deliver_digest(settings, engine, team, day)
    messages = {
        "sent": f"Digest for {team}, {day}: sent (ts {result.ts}{', late' if result.late else ''}); "
        f"{result.opened} new opportunit{'y' if result.opened == 1 else 'ies'} recorded.",
        "already_sent": f"Digest for {team}, {day}: already sent (ts {result.ts}); not sent again.",
        "busy": f"Digest for {team}, {day}: another process is sending it now ({result.error}).",
        "failed": f"Digest for {team}, {day}: not sent ({result.error}); it stays pending and "
        "`serve` retries it today.",
        "holiday": f"Digest for {team}, {day}: not sent, {result.error}; the next working day's carries it.",
    }
    console.print(messages.get(result.status, f"Digest for {team}, {day}: {result.error}"), markup=False)
    return 0 if result.status in {"sent", "already_sent", "busy", "holiday"} else 1
