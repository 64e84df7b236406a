"""POST /whatsapp: Twilio's signed webhook. It answers empty TwiML at once; the reply is made and sent after.

Twilio waits 15 seconds at most and a command can take seconds (a model writes the prose), so the
request only checks the signature and leaves the message in the inbox; a worker then dedupes it by
MessageSid, matches the sender to a CSM, runs the command, renders, records in the outbox and sends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import phonenumbers
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.runtime import context
from bot.settings import Settings
from bot.whatsapp.inbox import Inbox
from bot.whatsapp.render import render
from bot.whatsapp.sender import deliver, enqueue
from handlers.dispatch import NOT_REGISTERED, handle_text
from storage.db import session_scope
from storage.models import Csm, InboundMessage, OutboundMessage, utcnow
from storage.repository import csm_by

log = logging.getLogger("expansion_bot.whatsapp")

PATH = "/whatsapp"
EMPTY_TWIML = str(MessagingResponse())
MAX_BODY_BYTES = 64 * 1024  # Twilio's form is a few KB; a bigger body is not Twilio's
REFUSAL_QUIET = timedelta(hours=1)  # a stranger (or an auto-responder) is told once an hour, not per message


@dataclass(frozen=True)
class Inbound:
    """What the background task needs from Twilio's form: nothing else of the request survives it."""

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
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            return Response(status_code=413)
        form = await request.form()
        signature = request.headers.get("X-Twilio-Signature", "")
        url = f"{public_url}?{request.url.query}" if request.url.query else public_url
        if not signature or any(not isinstance(v, str) for _, v in form.multi_items()):
            return Response(status_code=403)
        if not validator.validate(url, form, signature):
            log.warning(
                "whatsapp webhook: bad signature from %s", request.client.host if request.client else "?"
            )
            return Response(status_code=403)
        message = _inbound(form)
        if message is not None:
            queue.submit(message.sender, partial(process, settings, engine, message))
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


def process(settings: Settings, engine: Engine, message: Inbound) -> None:
    """Answer one inbound message once: never raises, since nobody is left to see the error."""
    try:
        if not first_delivery(engine, message.message_sid):
            log.info("whatsapp duplicate delivery sid=%s ignored", message.message_sid)
            return
        number = normalise(message.sender)
        to = f"whatsapp:{number}" if number else message.sender
        deliver(settings, engine, _answer(settings, engine, message, number, to))
    except Exception:
        log.exception("whatsapp message sid=%s could not be answered", message.message_sid)


def _answer(settings: Settings, engine: Engine, message: Inbound, number: str, to: str) -> list[int]:
    """Run the command as the matched CSM and record the rendered reply in the outbox."""
    csm = find_csm(engine, number) if number else None
    if csm is None:
        log.info("whatsapp from unregistered sender sid=%s", message.message_sid)
        with session_scope(engine) as session:
            if _refused_recently(session, to):
                return []
            return enqueue(session, to, [NOT_REGISTERED])
    ctx = context(settings, engine, caller=csm.email, user_key=f"whatsapp:{number}", channel="whatsapp")
    reply = handle_text(message.body, ctx)
    log.info(
        "whatsapp sid=%s csm=%s command=%s ok=%s", message.message_sid, csm.email, reply.command, reply.ok
    )
    with session_scope(engine) as session:
        return enqueue(session, to, render(reply))


def first_delivery(engine: Engine, message_sid: str) -> bool:
    """True once per MessageSid: the primary key decides, even for two deliveries at the same instant."""
    try:
        with session_scope(engine) as session:
            session.add(InboundMessage(message_id=message_sid))
    except IntegrityError:
        return False
    return True


def normalise(sender: str) -> str:
    """E.164 (+6281234567890) from Twilio's `whatsapp:+62…`, or "" when it is not a phone number."""
    raw = sender.strip().removeprefix("whatsapp:").strip()
    try:
        number = phonenumbers.parse(raw if raw.startswith("+") else f"+{raw}", None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_csm(engine: Engine, number: str) -> Csm | None:
    """The CSM with this WhatsApp number; stored numbers written another way (+62 812-…) match too."""
    with session_scope(engine) as session:
        csm = csm_by(session, whatsapp=number)
        if csm is not None:
            return csm
        others = session.scalars(select(Csm).where(col(Csm.whatsapp).is_not(None), col(Csm.whatsapp) != ""))
        return next((c for c in others if normalise(c.whatsapp or "") == number), None)


def _refused_recently(session: Session, to: str) -> bool:
    query = select(col(OutboundMessage.id)).where(
        col(OutboundMessage.to) == to,
        col(OutboundMessage.body) == NOT_REGISTERED,
        col(OutboundMessage.created_at) > utcnow() - REFUSAL_QUIET,
    )
    return session.execute(query.limit(1)).first() is not None
