"""What dispatch does with text: a strict command runs as typed; anything else is understood first (the
model when one is configured and answers validly, else offline) and then runs as a command, a question
about an account, a question back (which account?), or a short "did you mean"."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from handlers.access import openable
from handlers.commands import MAX_COMMAND_CHARS, Command, ParseError, parse
from handlers.context import Context
from handlers.reply import Button, Reply, Section, apology, notice
from handlers.understanding.offline import ACCOUNT_INTENTS, Understanding, understand
from playbooks.config import country
from storage.conversation import own_accounts
from storage.db import session_scope
from storage.memory import Recent, recall_recent
from storage.repository import account_exactly, account_names, accounts_named

log = logging.getLogger("expansion_bot")
Run = Callable[[Command, Context], Reply]
SUGGESTED_COMMANDS = ("prep", "expansion", "draft")  # for an account named without an intent


@cache
def replies() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(
        Path(__file__).with_name("replies.yaml").read_text("utf-8")
    )
    return data


def converse(
    text: str, ctx: Context, run: Run, *, account_commands: Collection[str], ttl: timedelta
) -> Reply:
    """Answer `text`; strict commands keep their exact behaviour, free text is an addition. Never
    raises: a failure here answers like a failing command, with the reference in the log."""
    if len(text) > MAX_COMMAND_CHARS:
        return notice("help", too_long(text))
    try:
        u, accounts = interpret(text, ctx, account_commands=account_commands, ttl=ttl)
        if u.source == "strict" and u.command is not None:
            return run(u.command, ctx)
        log.info(
            "understood",
            extra={
                "request_id": ctx.request_id,
                "kind": u.kind,
                "command": u.command.name if u.command else "",
                "account": u.account_id,
                "source": u.source,
                "language": u.language,
            },
        )
        return _answer(u, ctx, run, accounts)
    except Exception:
        log.exception("understanding failed", extra={"request_id": ctx.request_id})
        return notice("help", apology(ctx.request_id))


def too_long(text: str) -> str:
    """The parser's own words for a message over its limit (not read any further)."""
    try:
        parse(text)
    except ParseError as exc:
        return str(exc)
    return ""


def interpret(
    text: str, ctx: Context, *, account_commands: Collection[str], ttl: timedelta
) -> tuple[Understanding, list[tuple[str, str]]]:
    """What `text` asks for, before anything runs: a strict command as parsed, else the understanding."""
    try:
        parsed: Command | None = parse(text)
    except ParseError:
        parsed = None
    with session_scope(ctx.engine) as session:
        recent = recall_recent(session, ctx.user_key, ttl)
        exact = _strict(session, parsed, account_commands) if parsed is not None else None
        accounts = [] if exact is not None else account_names(session)
    if parsed is not None and exact is not None:
        account = exact or (recent.account_id if recent and parsed.name in account_commands else "")
        return Understanding("command", parsed, account_id=account, source="strict"), accounts
    return understand_text(text, ctx, accounts, recent, parsed), accounts


def _strict(session: Session, parsed: Command, account_commands: Collection[str]) -> str | None:
    """None when the command needs understanding; else the account it names exactly ("" for none or
    the remembered one): no account needed, none typed, or exactly an id or a name."""
    if parsed.name in {"help", "mine"}:
        return None if parsed.account else ""  # "tolong buatkan draf …" starts with a verb but is a sentence
    if parsed.name not in account_commands or not parsed.account:
        return ""
    return account_exactly(session, parsed.account) or None


def understand_text(
    text: str, ctx: Context, accounts: list[tuple[str, str]], recent: Recent | None, hint: Command | None
) -> Understanding:
    """The model's reading when a model is configured and its choice is valid; the offline one otherwise."""
    offline = _in_the_accounts_language(understand(text, accounts, recent, hint), ctx)
    if hint is not None or sure(offline):
        return offline
    model = _model(ctx)
    if model is None:
        return offline
    from handlers.understanding.model import choose

    return choose(model, text, accounts, recent, offline)


def _in_the_accounts_language(u: Understanding, ctx: Context) -> Understanding:
    """Words that could be Indonesian or Malay ("siapa champion di …?") are answered in the one spoken
    where the account is (Malay for a Malaysian account), not Indonesian by default."""
    if u.language_told or not u.account_id:
        return u
    with session_scope(ctx.engine) as session:
        _, code = accounts_named(session, [u.account_id]).get(u.account_id, ("", ""))
    spoken = country(code).get("language", "") if code else ""
    if spoken not in {"id", "ms"} or spoken == u.language:
        return u
    command = u.command
    if command is not None and command.name == "question":
        command = replace(command, language=spoken)
    return replace(u, language=spoken, command=command, language_told=True)


def sure(u: Understanding) -> bool:
    """Offline found a command and its account (or one needing none) with nothing left over: a model
    would only add latency. The model is asked about the rest: unplaced text, an unknown or ambiguous
    name."""
    if u.kind not in {"command", "question"} or u.command is None or u.typed:
        return False
    return bool(u.account_id) or u.command.name not in ACCOUNT_INTENTS


def _model(ctx: Context) -> Any:
    """The configured chat model, without building one (nor importing LangChain) when there is none."""
    if ctx.writer_factory is None:
        return None
    return getattr(ctx.writer, "model", None)


def _answer(u: Understanding, ctx: Context, run: Run, accounts: list[tuple[str, str]]) -> Reply:
    w = replies()[u.language]
    names = dict(accounts)
    if u.kind == "clarify" and u.command is not None:
        return _which(u, w, run, ctx)
    if u.kind == "unknown" or u.command is None:
        return _did_you_mean(u, w, ctx, names)
    if u.command.name == "outcome" and u.account_id in names and u.command.outcome:
        return _confirm_outcome(u.command, u.account_id, names[u.account_id], w)
    reply = run(u.command, ctx)
    notes = []
    if u.not_understood:
        notes.append(w["not_understood"].format(words=", ".join(f"“{x}”" for x in u.not_understood)))
        assumed = _assumed(u.command, reply, w)
        if assumed:
            notes.append(w["assumed"].format(what=", ".join(assumed)))
    if u.from_memory and reply.ok and u.account_id in names:
        reply.context = " · ".join(
            x for x in (w["from_memory"].format(name=names[u.account_id]), reply.context) if x
        )
    if notes:
        reply.sections.insert(0, Section(lines=tuple(notes)))
    reply.data["understood"] = {
        "source": u.source,
        "command": u.command.name,
        "account_from_memory": u.from_memory,
        "not_understood": list(u.not_understood),
        "language": u.language,
    }
    return reply


def _assumed(command: Command, reply: Reply, w: dict[str, str]) -> list[str]:
    """What a strict command with a word we did not understand fell back to, as the reply shows it."""
    out = []
    channel = (reply.data.get("draft") or {}).get("channel", "")
    if command.name == "draft" and not command.channel and channel:
        out.append(w["channel_default"].format(channel=channel))
    language = reply.data.get("language") or ""
    if command.name in {"draft", "prep", "objection"} and not command.language and language:
        from prompts.facts import LANGUAGE_NAMES  # loaded by those commands' writers; not by a quick `ask`

        out.append(w["language_default"].format(language=LANGUAGE_NAMES.get(language, language)))
    return out


def _which(u: Understanding, w: dict[str, str], run: Run, ctx: Context) -> Reply:
    """Two or more accounts fit the words: ask back with each candidate as a button (and a typeable
    command). A command asks the way dispatch always has; a question keeps its topic on the buttons."""
    assert u.command is not None
    c = u.command
    with session_scope(ctx.engine) as session:
        candidates = openable(session, ctx, u.candidates)  # never another team's names
    if c.name != "question" or not candidates:  # dispatch asks back, or says it knows no such account
        return run(replace(c, account=u.typed), ctx)
    topic = c.options.get("topic", "")
    reply = notice(c.name, w["which"].format(typed=u.typed[:60]))
    reply.buttons = [
        Button(name, "pick", f"{i}|question|{topic}", command=f"{topic} {i}".strip())
        for i, name in candidates
    ]
    reply.data["suggestions"] = [{"id": i, "name": n} for i, n in candidates]
    return reply


def _confirm_outcome(c: Command, account_id: str, name: str, w: dict[str, Any]) -> Reply:
    """Free text never records on its own ("they signed" may be read wrong): one click, or the strict
    command typed, records it."""
    typed = f"outcome {account_id} {c.outcome} {c.reason}".strip()
    outcome = w["outcomes"][c.outcome]
    reply = notice("outcome", w["confirm_outcome"].format(outcome=outcome, name=name), w["confirm_line"])
    label = w["confirm_outcome"].format(outcome=outcome, name=name).rstrip("?")
    reply.buttons = [
        Button(label[:75], "outcome", f"{account_id}|{c.outcome}|{c.reason}", command=typed, style="primary")
    ]
    reply.data["confirm"] = typed
    return reply


def _did_you_mean(u: Understanding, w: dict[str, str], ctx: Context, names: dict[str, str]) -> Reply:
    """Not the whole help: two or three things to type, built from what was understood, and only about
    accounts the asker may open."""
    with session_scope(ctx.engine) as session:
        named = u.account_id in names and openable(session, ctx, [(u.account_id, names[u.account_id])])
    if named:
        name = names[u.account_id]
        reply = notice("help", w["did_you_mean_account"].format(name=name))
        reply.buttons = [
            Button(f"{verb.capitalize()} {name}", verb, u.account_id, command=f"{verb} {name}")
            for verb in SUGGESTED_COMMANDS
        ]
        return reply
    example = _example_account(ctx, names)
    tries = (f"prep {example}", f"expansion {example}", w["ready_today"])
    reply = notice("help", w["did_you_mean"], " · ".join(f"“{t}”" for t in tries))
    reply.data["suggestions"] = list(tries)
    return reply


def _example_account(ctx: Context, names: dict[str, str]) -> str:
    """One of the caller's own accounts (else the first by name they may open), so the suggestion works
    when typed."""
    with session_scope(ctx.engine) as session:
        own = own_accounts(session, ctx.caller_email, limit=1)
        if not own:
            own = list(openable(session, ctx, sorted(names.items(), key=lambda a: a[1]))[:1])
    return own[0][1] if own else "ACCOUNT"
