"""The WhatsApp transport of the outbox (storage/outbox.py): Twilio's REST API, and nothing sent twice.

A message is recorded before it is sent, so an outage delays it instead of losing it. Each send retries
429 and 5xx answers a few times at once (refused connections are retried by the Twilio client itself);
a message that still fails stays `pending` with a later attempt, and `retry_pending` (every minute, from
the scheduler) sends it then. Messages to one rep go out in the order they were recorded.

A timeout is not a failure: Twilio may have accepted the message and answered late. So a message that
may have gone out before (a timeout, or any claim after the first: the "mark sent" update may have
failed, the process may have died) is looked up in Twilio's message list before it is sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import Settings
from storage import outbox
from storage.models import utcnow
from storage.outbox import Message, SendFailed

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger("expansion_bot.whatsapp")

CHANNEL = "whatsapp"
HTTP_TIMEOUT_SECONDS = 10.0
CONNECT_RETRIES = 2  # the Twilio client's own retries: only connections never made, which are safe
IMMEDIATE_RETRY_DELAYS: tuple[float, ...] = (0.5, 2.0)  # waits between tries within one send
BACKOFF_FIRST = timedelta(seconds=30)  # then 1, 2, 4 … minutes, at most BACKOFF_MAX, between rounds
BACKOFF_MAX = timedelta(minutes=15)
LEASE = timedelta(minutes=2)  # a message being sent is not picked up by another worker meanwhile
MAX_AGE = timedelta(hours=24)  # WhatsApp's session window: past it a free-form reply is refused anyway
RETRY_BATCH = 200
LOOKUP_SKEW = timedelta(minutes=2)  # clocks differ: Twilio's date_created may precede our created_at
LOOKUP_PAGE = 50


def make_client(settings: Settings) -> Client:
    """A Twilio client with a timeout, pointed at TWILIO_API_URL when set (a proxy, or a test's mock)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS, max_retries=CONNECT_RETRIES),
    )
    if settings.twilio_api_url:
        client.api.base_url = settings.twilio_api_url.rstrip("/")
        client.edge = client.region = None  # TWILIO_EDGE/REGION would rewrite the host we chose
    return client


def send_once(client: Client, settings: Settings, to: str, body: str) -> str:
    """One call to messages.create; Twilio's SID, or SendFailed saying whether to retry."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    try:
        message = client.messages.create(to=to, from_=settings.twilio_whatsapp_from, body=body)
    except TwilioRestException as exc:
        transient = exc.status == 429 or exc.status >= 500
        raise SendFailed(f"HTTP {exc.status} code {exc.code}: {exc.msg}"[:500], transient=transient) from exc
    except (OSError, TwilioException) as exc:  # timeout, reset, DNS: it may or may not have arrived
        raise SendFailed(f"{type(exc).__name__}: {exc}"[:500], transient=True, ambiguous=True) from exc
    return str(message.sid or "")


def find_sent(client: Client, settings: Settings, engine: Engine, message: Message) -> str:
    """The SID of this message if Twilio already has it (sent to `to` since it was recorded, same body,
    not already another row's), else "". Raises SendFailed when Twilio cannot be asked."""
    from twilio.base.exceptions import TwilioException

    try:
        found = client.messages.list(to=message.to, from_=settings.twilio_whatsapp_from, limit=LOOKUP_PAGE)
    except (OSError, TwilioException) as exc:
        raise SendFailed(f"lookup failed: {type(exc).__name__}: {exc}"[:500], transient=True) from exc
    since = message.created_at - LOOKUP_SKEW
    candidates = [
        str(m.sid)
        for m in found
        if m.body == message.body and m.sid and (m.date_created is None or m.date_created >= since)
    ]
    taken = outbox.provider_ids_in_use(engine, provider_ids=candidates)
    return next((sid for sid in reversed(candidates) if sid not in taken), "")  # the list is newest first


def transmit(
    client: Client,
    settings: Settings,
    engine: Engine,
    message: Message,
    delays: Sequence[float] | None = None,
) -> str:
    """Send one claimed message once: looked up first when it may have gone out, tried again after each
    delay while Twilio answers 429/5xx, looked up again after a timeout. Twilio's SID, or SendFailed."""
    delays = IMMEDIATE_RETRY_DELAYS if delays is None else delays
    maybe_sent = message.attempts > 1
    for attempt, delay in enumerate([*delays, None], 1):
        if maybe_sent and (sid := find_sent(client, settings, engine, message)):
            log.info("whatsapp id=%s was already accepted as %s: not sent again", message.id, sid)
            return sid
        try:
            return send_once(client, settings, message.to, message.body)
        except SendFailed as exc:
            if not exc.transient or delay is None:
                raise
            maybe_sent = exc.ambiguous
            log.info(
                "whatsapp send retry to=%s attempt=%d in %.1fs: %s", _mask(message.to), attempt, delay, exc
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def enqueue(session: Session, to: str, bodies: Iterable[str]) -> list[int]:
    """Record messages for `to` (whatsapp:+…) in order; they are sent by deliver or retry_pending."""
    return outbox.enqueue(session, channel=CHANNEL, to=to, bodies=bodies)


def deliver(settings: Settings, engine: Engine, ids: Sequence[int], client: Client | None = None) -> int:
    """Send these recorded messages now, in order; the first that fails holds back the rest. Sent count."""
    if not ids:
        return 0
    client = client or make_client(settings)
    sent = 0
    for message_id in ids:
        outcome = _send_row(settings, engine, client, message_id)
        if outcome is None:  # someone else holds it, or it is done: keep order by stopping here
            if not outbox.is_sent(engine, message_id=message_id):
                break
            continue
        if not outcome:
            break
        sent += 1
    return sent


def retry_pending(settings: Settings, engine: Engine, *, client: Client | None = None) -> int:
    """Send every due pending message, oldest first, per rep in order. For the scheduler, every minute."""
    now = utcnow()
    reason = "expired: not delivered within 24 hours"
    if expired := outbox.expire(engine, channel=CHANNEL, created_before=now - MAX_AGE, reason=reason):
        log.error("whatsapp: %d message(s) expired undelivered after 24 hours", expired)
    rows = outbox.pending(engine, channel=CHANNEL, limit=RETRY_BATCH)
    if not rows:
        return 0
    client = client or make_client(settings)
    blocked: set[str] = set()
    sent = 0
    for message_id, to, due in rows:
        if to in blocked:
            continue
        if due > now:  # an earlier part is not due yet: the later ones wait for it
            blocked.add(to)
            continue
        if _send_row(settings, engine, client, message_id):
            sent += 1
        else:
            blocked.add(to)
    return sent


def _send_row(settings: Settings, engine: Engine, client: Client, message_id: int) -> bool | None:
    """Claim one pending row, send it, record the result: True sent, False failed, None not claimed."""
    message = outbox.claim(engine, message_id=message_id, lease=LEASE)
    if message is None:
        return None
    try:
        sid = transmit(client, settings, engine, message)
    except SendFailed as exc:
        _record_failure(engine, message, exc)
        return False
    # If this update fails the row stays claimed; after the lease the next round finds the SID first.
    outbox.mark_sent(engine, message_id=message_id, provider_id=sid)
    return True


def _record_failure(engine: Engine, message: Message, exc: SendFailed) -> None:
    """Keep a transient failure pending with backoff; a refused message is `failed`. Both are logged."""
    wait = outbox.backoff(message.attempts, first=BACKOFF_FIRST, most=BACKOFF_MAX)
    outbox.record_failure(engine, message_id=message.id, error=exc, wait=wait)
    log.log(
        logging.WARNING if exc.transient else logging.ERROR,
        "whatsapp send failed id=%s to=%s attempt=%d status=%s next_in=%ss error=%s body=%r",
        message.id,
        _mask(message.to),
        message.attempts,
        "pending" if exc.transient else "failed",
        int(wait.total_seconds()) if exc.transient else "-",
        exc,
        message.body[:120],
    )


def _mask(number: str) -> str:
    """Enough of a phone number to tell reps apart in logs, not enough to call them."""
    digits = number.removeprefix("whatsapp:")
    return f"{digits[:5]}…{digits[-3:]}" if len(digits) > 8 else "…"
