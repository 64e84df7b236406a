"""From text to reply: parse, check who asks, find the account, run the command's handler."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlmodel import Session

from handlers import digest, draft, expansion, help, mine, objection, outcome, pipeline, prep
from handlers.accounts import find
from handlers.assessing import NoCatalog
from handlers.commands import Command, ParseError, parse
from handlers.context import Context
from handlers.reply import Button, Reply, notice
from storage import models as db
from storage.db import session_scope
from storage.memory import recall, remember
from storage.repository import account_exactly, account_names

log = logging.getLogger("expansion_bot")

HANDLERS = {
    "prep": prep.handle,
    "expansion": expansion.handle,
    "draft": draft.handle,
    "objection": objection.handle,
    "outcome": outcome.handle,
    "pipeline": pipeline.handle,
    "digest": digest.handle,
    "help": help.handle,
    "mine": mine.handle,
}
ACCOUNT_COMMANDS = {"prep", "expansion", "draft", "objection", "outcome"}
MEMORY_TTL = timedelta(hours=4)
NOT_REGISTERED = (
    "Sorry, I can only help registered Customer Success Managers. Ask your team lead to add you to csms.csv."
)


def handle_text(text: str, ctx: Context) -> Reply:
    """The entry point every channel calls; never raises, always answers."""
    try:
        command = parse(text)
    except ParseError as exc:
        reply = help.handle(Command("help"), ctx, None, None)  # type: ignore[arg-type]
        reply.title = f"{exc} Here is what I understand:"
        reply.ok = False
        return reply
    return handle(command, ctx)


def handle(command: Command, ctx: Context) -> Reply:
    """Run a parsed command; logs one line with its latency and writer."""
    started = time.perf_counter()
    reply = _run(command, ctx)
    log.info(
        "command",
        extra={
            "request_id": ctx.request_id,
            "command": command.name,
            "channel": ctx.channel,
            "caller": ctx.caller_email,
            "account": (reply.data.get("account") or {}).get("id", ""),
            "ok": reply.ok,
            "writer": reply.data.get("writer", ""),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return reply


def _run(command: Command, ctx: Context) -> Reply:
    try:
        with session_scope(ctx.engine) as session:
            if ctx.channel != "console" and not _registered(session, ctx.caller_email):
                return notice(command.name, NOT_REGISTERED)
            if command.name not in ACCOUNT_COMMANDS:
                return HANDLERS[command.name](command, ctx, session, None)
            account_id, miss = _resolve(session, command, ctx)
            if miss is not None:
                return miss
            _remember(session, ctx, account_id)
            return HANDLERS[command.name](command, ctx, session, account_id)
    except NoCatalog as exc:
        return notice(command.name, str(exc))
    except Exception:
        log.exception("command failed", extra={"request_id": ctx.request_id, "command": command.name})
        return notice(
            command.name, f"Sorry, something went wrong on my side (ref {ctx.request_id}). Please try again."
        )


def _registered(session: Session, email: str) -> bool:
    return bool(email) and session.get(db.Csm, email) is not None


def _resolve(session: Session, command: Command, ctx: Context) -> tuple[str, Reply | None]:
    if not command.account:
        remembered = recall(session, ctx.user_key, MEMORY_TTL)
        if remembered:
            return remembered, None
        return "", notice(command.name, f"Which account? Try “{command.name} Kopi Nusantara”.")
    exact = account_exactly(session, command.account)  # found without reading every name
    if exact:
        return exact, None
    match = find(command.account, account_names(session))
    if match.account_id:
        return match.account_id, None
    if not match.suggestions:
        return "", notice(
            command.name,
            f"I couldn't find an account called “{command.account[:60]}”.",
            "Check the spelling, or use the account id.",
        )
    reply = notice(command.name, f"Which “{command.account[:60]}” do you mean?")
    rest = _rest_of(command)
    reply.buttons = [
        Button(
            name,
            "pick",
            f"{account_id}|{command.name}|{rest}".rstrip("|"),
            command=f"{command.name} {account_id} {rest}".strip(),
        )
        for account_id, name in match.suggestions
    ]
    reply.data["suggestions"] = [{"id": i, "name": n} for i, n in match.suggestions]
    return "", reply


def _rest_of(command: Command) -> str:
    """The command's arguments after the account, to repeat them on a suggestion."""
    parts = {
        "draft": [command.channel, command.language],
        "objection": [command.objection],
        "outcome": [command.outcome, command.reason],
    }.get(command.name, [command.language])
    return " ".join(p for p in parts if p)


def _remember(session: Session, ctx: Context, account_id: str) -> None:
    if ctx.user_key:
        remember(session, ctx.user_key, account_id)
