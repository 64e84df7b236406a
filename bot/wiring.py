"""Builds what every entry point shares from Settings: the engine, today's date, the writer."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Engine

from bot.settings import Settings
from handlers.context import Context
from storage.db import ensure_schema, make_engine


@cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def ready_engine(settings: Settings) -> Engine:
    """The database at its newest schema: every command may be the first one run (and most find it
    already there, at the cost of one query)."""
    engine = engine_for(settings.database_url)
    ensure_schema(engine)
    return engine


def today(settings: Settings) -> date:
    return date.fromisoformat(settings.today) if settings.today else date.today()


def writer_factory(settings: Settings) -> Callable[[], Any]:
    """The model writer when a key is set (imported only then: LangChain is slow to import)."""

    def build() -> Any:
        from prompts.offline import OfflineWriter

        if not settings.model_enabled:
            return OfflineWriter()
        from prompts.llm import LLMWriter, build_model

        enable_tracing(settings)
        return LLMWriter(
            build_model(
                settings.openai_api_key,
                settings.openai_base_url or None,
                settings.openai_model,
                settings.openai_timeout,
            )
        )

    return build


def enable_tracing(settings: Settings) -> None:
    """LangSmith traces the model calls when configured; LangChain reads these from the environment,
    which a value given only in .env never reaches."""
    if not settings.langsmith_tracing:
        return
    os.environ["LANGSMITH_TRACING"] = "true"
    os.environ["LANGSMITH_API_KEY"] = settings.langsmith_api_key
    if settings.langsmith_project:
        os.environ["LANGSMITH_PROJECT"] = settings.langsmith_project


def context(
    settings: Settings, engine: Engine, *, caller: str = "", user_key: str = "", channel: str = "console"
) -> Context:
    return Context(
        engine=engine,
        today=today(settings),
        caller_email=caller.strip().lower(),
        user_key=user_key,
        channel=channel,
        writer_factory=writer_factory(settings),
        digest_cap=settings.digest_cap,
    )
