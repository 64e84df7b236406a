"""Answers computed in worker processes are the answers computed here; a worker that dies costs no answer."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from builders import TODAY
from sqlalchemy import Engine

from bot import workers
from bot.settings import Settings
from handlers.context import Context
from handlers.dispatch import handle_text


@pytest.fixture
def pool(demo_engine: Engine, database_url: str) -> Iterator[None]:
    workers.start(Settings(database_url=database_url, today=TODAY.isoformat()), 1)
    yield
    workers.stop()


def ctx(engine: Engine) -> Context:
    return Context(
        engine=engine, today=TODAY, caller_email="dewi@example.com", user_key="t:1", channel="slack"
    )


def test_a_worker_answers_exactly_as_the_server_would(pool: None, demo_engine: Engine) -> None:
    there = workers.answer_text("prep Kopi Nusantara", ctx(demo_engine))
    here = handle_text("prep Kopi Nusantara", ctx(demo_engine))
    assert there.ok and there.text == here.text
    assert workers.answer_action("objection", "ID-001|budget", ctx(demo_engine)).text == (
        handle_text("objection ID-001 budget", ctx(demo_engine)).text
    )


def test_a_dead_worker_costs_no_answer(pool: None, demo_engine: Engine) -> None:
    assert workers.answer_text("expansion Kopi Nusantara", ctx(demo_engine)).ok
    assert workers._pool is not None
    broken = workers._pool
    for pid in list(broken._processes):  # as the OOM killer would
        os.kill(pid, signal.SIGKILL)
    reply = workers.answer_text("expansion Batik Sentosa", ctx(demo_engine))
    assert reply.ok and "Batik Sentosa" in reply.title  # answered here instead
    assert workers._pool is not broken  # and the next answers go to fresh workers
    assert workers.answer_text("expansion Kopi Nusantara", ctx(demo_engine)).ok
