"""Helpers for the writer tests: run commands as a user would, load every demo account's facts,
and read a reply the way a CSM would. No tests here; the test_writers_* modules use it as a plugin
(`pytest_plugins = ["test_writers_support"]`) for the `demo_facts` fixture."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from conftest import DATABASES, TODAY
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.reply import Reply
from handlers.writing import writer_facts
from prompts.facts import Facts
from prompts.offline import OfflineWriter
from prompts.offline.text import words as count_words
from prompts.schema import Draft
from storage.db import make_engine
from storage.demo import load_demo
from storage.repository import account_names

CALLER = "dewi@example.com"
CHANNELS = ("email", "whatsapp", "slack")
FULL_LANGUAGES = ("en", "id", "ms", "th", "vi")
COURTESY_LANGUAGES = ("fil",)  # English-led, with Taglish courtesy lines
LANGUAGES = FULL_LANGUAGES + COURTESY_LANGUAGES
# What a CSM would recognise as a template that was not filled in.
LEFTOVERS = re.compile(r"\{[^}]*\}|\bNone\b|\bTODO\b|\bnull\b|\bnan\b|\[|<")


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


@pytest.fixture(scope="session", params=DATABASES)
def demo_facts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Facts]]:
    """Every demo account's facts, loaded once per database for the tests that only read them:
    the writers are pure, so hundreds of drafts need not reload the portfolio for every test."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('writers') / 'demo.db'}")
        yield _load(engine)
        return
    pg, schema = os.environ["TEST_DATABASE_URL"], f"w_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}")
    yield _load(engine)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def demo_drafts(demo_facts: dict[str, Facts]) -> dict[tuple[str, str, str], Draft]:
    """The offline writer's draft for every (account, language, channel), written once per database."""
    writer = OfflineWriter()
    return {
        (account_id, language, channel): writer.draft(variant(f, language, channel)).output
        for account_id, f in demo_facts.items()
        for language in LANGUAGES
        for channel in CHANNELS
    }


def _load(engine: Engine) -> dict[str, Facts]:
    SQLModel.metadata.create_all(engine)
    load_demo(engine, TODAY)
    facts = all_facts(engine)
    engine.dispose()
    return facts


def variant(facts: Facts, language: str, channel: str) -> Facts:
    return replace(facts, language=language, channel=channel)


def words(text: str) -> int:
    """As a reader counts them: Thai, written without spaces between words, by its letters."""
    return count_words(text)


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
