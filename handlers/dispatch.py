"""From text to reply: parse, check who asks, find the account, run the command's handler."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable

from sqlmodel import Session

from handlers import workflow
from handlers.access import NOT_REGISTERED, account_refusal, caller, openable, operator_notice
from handlers.accounts import find
from handlers.assessing import NoCatalog
from handlers.commands import Command, options_of
from handlers.context import MEMORY_TTL, AfterCommit, Context
from handlers.reply import Button, Reply, Section, apology, notice
from handlers.understanding.converse import converse
from storage.db import session_scope
from storage.memory import recall, remember
from storage.repository import account_exactly, account_names

log = logging.getLogger("expansion_bot")

Handler = Callable[[Command, Context, Session, str | None], Reply | AfterCommit]


class Lazy:
    """A handler named "module:function" in handlers/, imported on its first call, so a one-shot
    `ask` loads its own command's modules and not the writers, the digest or the charts."""

    def __init__(self, target: str) -> None:
        self.module, _, self.function = target.partition(":")

    def __call__(
        self, command: Command, ctx: Context, session: Session, account_id: str | None
    ) -> Reply | AfterCommit:
        handler: Handler = getattr(importlib.import_module(f"handlers.{self.module}"), self.function)
        return handler(command, ctx, session, account_id)


HANDLERS: dict[str, Handler] = {
    "prep": Lazy("prep:handle"),
    "expansion": Lazy("expansion:handle"),
    "draft": Lazy("draft:handle"),
    "objection": Lazy("objection:handle"),
    "outcome": Lazy("outcome:handle"),
    "pipeline": Lazy("pipeline:handle"),
    "digest": Lazy("digest:handle"),
    "help": Lazy("help:handle"),
    "mine": Lazy("mine:handle"),
    "qualify": workflow.handle_qualify,
    "propose": workflow.handle_propose,
    "snooze": workflow.handle_snooze,
    "not_relevant": workflow.handle_not_relevant,
    "question": Lazy("questions:handle"),  # free text only: "when do they renew?"
}
ACCOUNT_COMMANDS = {"prep", "expansion", "draft", "objection", "outcome", "question", *workflow.COMMANDS}
__all__ = ["NOT_REGISTERED", "handle", "handle_text"]  # NOT_REGISTERED: the button actions say it too


def handle_text(text: str, ctx: Context) -> Reply:
    """The entry point every channel calls; never raises, always answers. A strict command runs as typed;
    free text is understood first (handlers/understanding)."""
    return converse(text, ctx, handle, account_commands=ACCOUNT_COMMANDS, ttl=MEMORY_TTL)


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
    """Short transactions only: who asks and which account; the memory; the handler's reads and
    writes. A handler that calls a model returns AfterCommit, run here after its session is closed."""
    try:
        with session_scope(ctx.engine) as session:
            refused, account_id = _admit(session, command, ctx)
            notice_text = operator_notice(session, ctx)
        if refused is not None:
            return refused
        if account_id and ctx.user_key:
            with session_scope(ctx.engine) as session:
                remember(session, ctx.user_key, account_id, command.name, options_of(command))
        with session_scope(ctx.engine) as session:
            result = HANDLERS[command.name](command, ctx, session, account_id or None)
        reply = result.finish() if isinstance(result, AfterCommit) else result
    except NoCatalog as exc:
        return notice(command.name, str(exc))
    except Exception:
        log.exception("command failed", extra={"request_id": ctx.request_id, "command": command.name})
        return notice(command.name, apology(ctx.request_id))
    if notice_text and reply.ok:
        reply.sections.insert(0, Section("Operator's console", lines=notice_text))
        reply.data["notice"] = " ".join(notice_text)
    return reply


def _admit(session: Session, command: Command, ctx: Context) -> tuple[Reply | None, str]:
    """(a refusal, "") or (None, the account the command is about, "" for commands without one)."""
    if ctx.channel != "console" and caller(session, ctx) is None:
        return notice(command.name, NOT_REGISTERED), ""
    if command.name not in ACCOUNT_COMMANDS:
        return None, ""
    account_id, miss = _resolve(session, command, ctx)
    if miss is not None:
        return miss, ""
    why = account_refusal(session, ctx, account_id)
    if why:
        refused = notice(command.name, *why)
        refused.data["refused"] = {"account_id": account_id, "reason": "other team"}
        return refused, ""
    return None, account_id


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
    suggestions = openable(session, ctx, match.suggestions)  # never another team's names
    if not suggestions:
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
        for account_id, name in suggestions
    ]
    reply.data["suggestions"] = [{"id": i, "name": n} for i, n in suggestions]
    return "", reply


def _rest_of(command: Command) -> str:
    """The command's arguments after the account, to repeat them on a suggestion."""
    parts = {
        "draft": [command.channel, command.language],
        "objection": [command.objection],
        "outcome": [command.outcome, command.reason],
    }.get(command.name, [command.language])
    return " ".join(p for p in parts if p)
