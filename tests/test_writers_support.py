"""Helpers for the writer tests: run commands as a user would, load every demo account's facts,
and read a reply the way a CSM would. No tests here; the test_writers_* modules use it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conftest import TODAY
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.draft import writer_facts
from handlers.reply import Reply
from prompts.facts import Facts
from storage.repository import account_names

CALLER = "dewi@example.com"
CHANNELS = ("email", "whatsapp", "slack")
FULL_LANGUAGES = ("en", "id", "ms")
COURTESY_LANGUAGES = ("th", "vi", "fil")
LANGUAGES = FULL_LANGUAGES + COURTESY_LANGUAGES
# What a CSM would recognise as a template that was not filled in.
LEFTOVERS = re.compile(r"\{[^}]*\}|\bNone\b|\bTODO\b|\bnull\b|\bnan\b|\[|<")
WORD = re.compile(r"\S*\w\S*")  # a word as a reader counts it: a lone "—" or "•" is not one


def context(
    engine: Engine, channel: str = "slack", writer_factory: Callable[[], Any] | None = None
) -> Context:
    return Context(
        engine=engine, today=TODAY, caller_email=CALLER, channel=channel, writer_factory=writer_factory
    )


def ask(engine: Engine, text: str, channel: str = "slack", **kwargs: Any) -> Reply:
    """Run one chat command as a channel would; it must be answered, not fail."""
    reply = handle_text(text, context(engine, channel, **kwargs))
    assert reply.ok, f"{text!r} failed: {reply.text}"
    return reply


def accounts(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return account_names(session)


def all_facts(engine: Engine, channel: str = "email") -> dict[str, Facts]:
    """Every demo account's writer facts, built the way the handlers build them."""
    ctx = context(engine)
    with Session(engine) as session:
        return {
            account_id: writer_facts(Command("draft"), ctx, session, account_id, channel)
            for account_id, _ in account_names(session)
        }


def variant(facts: Facts, language: str, channel: str) -> Facts:
    return replace(facts, language=language, channel=channel)


def words(text: str) -> int:
    return len(WORD.findall(text))


def sentences(text: str) -> set[str]:
    """The sentences of a text, normalised, for comparing two drafts."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return {" ".join(p.split()).strip("•*_ ") for p in parts if len(p.split()) >= 4}


def text_of(value: Any) -> str:
    """Every string inside an output (a pydantic model, a dict or a list), one per line."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(text_of(v) for v in value.values())
    if isinstance(value, list | tuple):
        return "\n".join(text_of(v) for v in value)
    return ""


def section(reply: Reply, heading_start: str) -> list[str]:
    """The lines of the reply's first section whose heading starts with the given words."""
    for s in reply.sections:
        if s.heading.casefold().startswith(heading_start.casefold()):
            return list(s.lines)
    raise AssertionError(f"no section “{heading_start}…” in: {[s.heading for s in reply.sections]}")
