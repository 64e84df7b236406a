"""Where `serve` computes answers: in worker processes, so the acks on the web server's event loop never
wait for the CPU-bound work of other commands (one process's threads share one GIL).

Without `start` (the CLI, tests) everything runs in the calling thread. A worker that dies is replaced
by running the command in the calling thread: an answer is degraded, never lost.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.settings import Settings
from handlers.context import Context
from handlers.reply import Reply

log = logging.getLogger("expansion_bot.workers")

_pool: ProcessPoolExecutor | None = None
_config: tuple[Settings, int] | None = None  # in the server: what the pool was started with
_settings: Settings | None = None  # in a worker: the server's settings


@dataclass(frozen=True)
class Ask:
    """What a worker needs to answer as the caller would be answered here (a Context cannot be pickled)."""

    text: str
    caller: str
    user_key: str
    channel: str
    request_id: str
    action: str = ""  # a button's action; `text` is then its value


def start(settings: Settings, processes: int) -> None:
    """Start the workers and wait until each has imported the handlers (a first answer is not slow)."""
    global _pool, _config
    if processes < 1:
        return
    _config = (settings, processes)
    _pool = _new_pool(settings, processes)
    for future in [_pool.submit(_ready) for _ in range(processes)]:
        future.result(timeout=120)
    log.info("%d answer worker process(es) ready", processes)


def _new_pool(settings: Settings, processes: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),  # never fork a process with threads running
        initializer=_init,
        initargs=(settings.model_dump(),),
    )


def stop() -> None:
    """Finish the answers being computed, then stop the workers."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def answer_text(text: str, ctx: Context) -> Reply:
    """handle_text, in a worker when there are workers."""
    from handlers.dispatch import handle_text

    return _run(Ask(text, ctx.caller_email, ctx.user_key, ctx.channel, ctx.request_id), ctx) or handle_text(
        text, ctx
    )


def answer_action(action: str, value: str, ctx: Context) -> Reply:
    """handle_action, in a worker when there are workers."""
    from handlers.actions import handle_action

    ask = Ask(value, ctx.caller_email, ctx.user_key, ctx.channel, ctx.request_id, action=action)
    return _run(ask, ctx) or handle_action(action, value, ctx)


def _run(ask: Ask, ctx: Context) -> Reply | None:
    global _pool
    pool = _pool
    if pool is None:
        return None
    try:
        reply: Reply = pool.submit(_answer, ask, ctx.today.isoformat()).result()
        return reply
    except BrokenProcessPool:
        if _pool is pool and _config:  # the first to notice replaces the pool; it starts on first use
            _pool = _new_pool(*_config)
            pool.shutdown(wait=False)
        log.error(
            "a worker process died; answering in the server process", extra={"request_id": ask.request_id}
        )
        return None


# --- in the worker processes ----------------------------------------------------------------------


def _init(settings: dict[str, Any]) -> None:
    global _settings
    from bot.logs import configure

    _settings = Settings(**settings)
    configure(_settings.log_level)
    import handlers.dispatch  # noqa: F401  (import now, not during the first command)


def _ready() -> bool:
    return True


def _answer(ask: Ask, today: str) -> Reply:
    from datetime import date

    from bot.runtime import context, engine_for
    from handlers.actions import handle_action
    from handlers.dispatch import handle_text

    assert _settings is not None
    engine = engine_for(_settings.database_url)  # migrated by the server before the workers started
    ctx = context(_settings, engine, caller=ask.caller, user_key=ask.user_key, channel=ask.channel)
    ctx.today, ctx.request_id, ctx.writer_factory = date.fromisoformat(today), ask.request_id, _writer
    return handle_action(ask.action, ask.text, ctx) if ask.action else handle_text(ask.text, ctx)


@cache
def _writer() -> Any:
    """One writer per worker process (a model client is worth keeping)."""
    from bot.runtime import writer_factory

    assert _settings is not None
    return writer_factory(_settings)()
