"""POST /whatsapp: Twilio's signed webhook. It answers empty TwiML at once; the reply is made and sent after.

Twilio waits 15 seconds at most and a command can take seconds (a model writes the prose), so the
request checks the size and the signature, records the message in the database (a redelivered
MessageSid is recorded once) and only then says 200: from that moment the message is ours to answer.
A worker takes it for a lease, runs the command as the matched CSM, and records the rendered reply in
the outbox in the same transaction that marks the message answered; a crash or a dropped database
connection in between leaves it to `maintain` (every minute, from the scheduler), which answers it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import parse_qsl

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.settings import Settings
from bot.web import BodyTooLarge, read_body
from bot.whatsapp import sender
from bot.whatsapp.inbox import Inbox
from bot.whatsapp.render import render
from bot.wiring import context
from handlers.dispatch import NOT_REGISTERED, handle_text
from handlers.reply import apology
from storage import inbound, outbox
from storage.db import session_scope
from storage.models import Csm, utcnow
from storage.phones import csm_with_number, e164

log = logging.getLogger("expansion_bot.whatsapp")

PATH = "/whatsapp"
CHANNEL = "whatsapp"
EMPTY_TWIML = str(MessagingResponse())
MAX_BODY_BYTES = 64 * 1024  # Twilio's form is a few KB; a bigger body is not Twilio's
REFUSAL_QUIET = timedelta(hours=1)  # a stranger (or an auto-responder) is told once an hour, not per message
LEASE = timedelta(minutes=2)  # a message being answered is not taken by another worker meanwhile
KEEP_ANSWERED = timedelta(days=7)
RESUME_AFTER = timedelta(seconds=30)  # younger unanswered messages are still in a worker's queue
DATABASE_TRIES = (0.2, 1.0)  # waits before answering again after a dropped database connection
MAX_ATTEMPTS = 5  # a message that failed this often gets an apology instead of a sixth try
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Inbound:
    """What the webhook records from Twilio's form: nothing else of the request survives it."""

    message_sid: str
    sender: str  # Twilio's From, e.g. "whatsapp:+6281234567890"
    body: str


class WhatsAppRoute(Route):
    """POST /whatsapp, carrying its inbox so shutdown (and tests) can wait for the replies in flight."""

    inbox: Inbox


def whatsapp_routes(settings: Settings, engine: Engine, *, inbox: Inbox | None = None) -> list[BaseRoute]:
    """The POST /whatsapp route for the web server of `serve`."""
    import twilio.rest  # noqa: F401  (imported now, at startup, rather than by the first reply)

    validator = RequestValidator(settings.twilio_auth_token)
    public_url = settings.public_base_url.rstrip("/") + PATH
    queue = inbox or Inbox()

    async def whatsapp(request: Request) -> Response:
        try:
            raw = await read_body(request, MAX_BODY_BYTES)
            fields: list[tuple[str, str | UploadFile]] = [
                *parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            ]
            form = FormData(fields)
        except BodyTooLarge:
            return Response(status_code=413)
        except UnicodeDecodeError:
            return Response(status_code=400)
        signature = request.headers.get("X-Twilio-Signature", "")
        url = f"{public_url}?{request.url.query}" if request.url.query else public_url
        if not signature or not validator.validate(url, form, signature):
            log.warning(
                "whatsapp webhook: bad signature from %s", request.client.host if request.client else "?"
            )
            return Response(status_code=403)
        message = _inbound(form)
        if message is not None:
            try:
                new = await run_in_threadpool(accept, engine, message)
            except Exception:  # not recorded: not ours yet, so Twilio must not hear "received"
                log.exception("whatsapp message sid=%s could not be recorded", message.message_sid)
                return Response(status_code=503)
            if new:
                queue.submit(message.sender, partial(process, settings, engine, message.message_sid))
            else:
                log.info("whatsapp duplicate delivery sid=%s ignored", message.message_sid)
        return Response(EMPTY_TWIML, media_type="text/xml")

    route = WhatsAppRoute(PATH, whatsapp, methods=["POST"])
    route.inbox = queue
    return [route]


def _inbound(form: FormData) -> Inbound | None:
    """An incoming message; None for what is not one (a status callback pointed here by mistake)."""
    get = form.get
    sid = str(get("MessageSid") or get("SmsMessageSid") or "")
    if not sid or get("Body") is None or not get("From"):
        return None
    return Inbound(message_sid=sid, sender=str(get("From")), body=str(get("Body")))


def accept(engine: Engine, message: Inbound) -> bool:
    """Record the message before Twilio is told it arrived; False for a redelivery of a recorded one."""
    return inbound.record(
        engine, key=message.message_sid, channel=CHANNEL, sender=message.sender, body=message.body
    )


def process(settings: Settings, engine: Engine, message_sid: str) -> None:
    """Answer one recorded message once: never raises, since nobody is left to see the error. A dropped
    database connection is tried again at once; anything left is answered by `maintain`."""
    worker = f"{PROCESS}:{uuid.uuid4().hex[:8]}"  # this answer, kept across its own tries
    for wait in (*DATABASE_TRIES, None):
        try:
            _process(settings, engine, message_sid, worker)
            return
        except DBAPIError as exc:
            if wait is None:
                log.warning("whatsapp sid=%s left for the next round: %s", message_sid, type(exc).__name__)
                return
            time.sleep(wait)
        except Exception:
            log.exception("whatsapp message sid=%s could not be answered", message_sid)
            return


def _process(settings: Settings, engine: Engine, message_sid: str, worker: str) -> None:
    claimed = inbound.claim(engine, key=message_sid, worker=worker, lease=LEASE)
    if claimed is None:  # answered already, or another worker holds it
        return
    number = e164(claimed.sender)
    to = f"whatsapp:{number}" if number else claimed.sender
    csm = find_csm(engine, number) if number else None
    if claimed.attempts > MAX_ATTEMPTS:
        log.error("whatsapp sid=%s failed %d times: apologising instead", message_sid, claimed.attempts - 1)
        bodies = [apology(message_sid[-10:])]
    elif csm is None:
        bodies = [NOT_REGISTERED]
    else:
        bodies = _answer(settings, engine, claimed, csm, number)
    # the reply recorded and the message marked answered: both or neither
    with session_scope(engine) as session:
        if not inbound.mark_done(session, key=message_sid, worker=worker):
            session.rollback()
            return
        since = utcnow() - REFUSAL_QUIET
        if bodies == [NOT_REGISTERED] and outbox.recorded_since(
            session, to=to, body=NOT_REGISTERED, since=since
        ):
            bodies = []
        ids = sender.enqueue(session, to, bodies)
    if csm is None:
        log.info("whatsapp from unregistered sender sid=%s", message_sid)
    sender.deliver(settings, engine, ids)


def _answer(settings: Settings, engine: Engine, claimed: inbound.Claimed, csm: Csm, number: str) -> list[str]:
    """Run the command as the matched CSM (no transaction held meanwhile); the rendered parts."""
    ctx = context(settings, engine, caller=csm.email, user_key=f"whatsapp:{number}", channel=CHANNEL)
    reply = handle_text(claimed.body, ctx)
    log.info("whatsapp sid=%s csm=%s command=%s ok=%s", claimed.key, csm.email, reply.command, reply.ok)
    return render(reply)


def maintain(settings: Settings, engine: Engine) -> int:
    """Every minute, from the scheduler: answer messages a failed worker left, then retry pending sends;
    answered messages are kept a week (Twilio's redeliveries come within minutes), then forgotten."""
    inbound.forget(engine, channel=CHANNEL, received_before=utcnow() - KEEP_ANSWERED, answered_only=True)
    for sid in inbound.unanswered(engine, channel=CHANNEL, received_before=utcnow() - RESUME_AFTER):
        log.warning("whatsapp sid=%s was not answered: answering it now", sid)
        process(settings, engine, sid)
    return sender.retry_pending(settings, engine)


def find_csm(engine: Engine, number: str) -> Csm | None:
    """The CSM with this WhatsApp number, however it was written in csms.csv."""
    with session_scope(engine) as session:
        return csm_with_number(session, number=number)
