"""Each Slack request runs once: a replayed signed request is refused, and each event is answered once.

A signature covers the timestamp and the body, so within Slack's five-minute window the same signature
means the same request sent again (by an attacker holding a copy, or a proxy): it is remembered in the
database and refused the second time. Slack's own retries of an event are signed anew and carry the
same event_id: a DM event is taken by its event_id for a lease and marked answered by its listener, so
a retry of an event that was answered is dropped, and a retry of one that never was (the server was
restarting) is answered.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from sqlalchemy import Engine

from storage import inbound
from storage.models import utcnow

log = logging.getLogger("expansion_bot.slack")

SIGNATURES = "slack-signature"
EVENTS = "slack-event"
SIGNATURE_MEMORY = timedelta(minutes=10)  # Slack refuses timestamps older than 5 minutes: twice that
EVENT_MEMORY = timedelta(days=1)  # Slack stops retrying an event within the hour
EVENT_LEASE = timedelta(
    seconds=50
)  # a retry within this finds the answer in progress; Slack retries at ~1 min
ANSWERED_EVENTS = {"message"}  # events whose listener marks them answered; others count once received
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def first_time(engine: Engine, signature: str) -> bool:
    """True the first time a (verified) signature is seen; old signatures are forgotten on the way."""
    if not inbound.remember(engine, key=f"slack:sig:{signature}", channel=SIGNATURES):
        return False
    if uuid.uuid4().int % 100 == 0:  # now and then, not per request
        inbound.forget(engine, channel=SIGNATURES, received_before=utcnow() - SIGNATURE_MEMORY)
        inbound.forget(engine, channel=EVENTS, received_before=utcnow() - EVENT_MEMORY)
    return True


def once_per_event(engine: Engine) -> Callable[..., BoltResponse]:
    """Bolt middleware: an event already answered (or being answered) is acknowledged and dropped."""

    def middleware(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body
        event_id = str(body.get("event_id") or "") if body.get("type") == "event_callback" else ""
        if not event_id:
            return next()
        key = f"slack:event:{event_id}"
        kind = str((body.get("event") or {}).get("type", ""))
        try:
            if kind in ANSWERED_EVENTS:
                worker = f"{PROCESS}:{uuid.uuid4().hex[:8]}"
                taken = inbound.claim_new(engine, key=key, channel=EVENTS, worker=worker, lease=EVENT_LEASE)
                req.context["event_claim"] = f"{key} {worker}"
            else:
                taken = inbound.remember(engine, key=key, channel=EVENTS)
        except Exception:  # not recorded: a 500 makes Slack send it again, instead of losing it
            log.exception("slack event %s could not be recorded", event_id)
            return BoltResponse(status=500, body="")
        if not taken:
            log.info(
                "slack event %s already answered (retry %s): dropped",
                event_id,
                req.headers.get("x-slack-retry-num"),
            )
            return BoltResponse(status=200, body="")
        return next()

    return middleware


def answered(engine: Engine, context: BoltContext | dict[str, Any]) -> None:
    """Called by an event's listener once its answer is out: a later retry of the event is dropped."""
    claim = str(context.get("event_claim") or "")
    if claim:
        key, worker = claim.split(" ", 1)
        inbound.finish(engine, key=key, worker=worker)
