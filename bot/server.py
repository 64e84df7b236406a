"""`expansion-bot serve`: one process with the web server, Socket Mode and the scheduler.

Start order: database at its newest schema, then the web app; Socket Mode and the scheduler start
with the app (its lifespan), so a server that cannot bind its port starts neither. On SIGTERM or
Ctrl-C uvicorn stops taking requests, then the lifespan stops the scheduler (a digest being posted
is marked sent first), closes Socket Mode, and waits for the replies already acked (Slack) or
accepted (WhatsApp), so nothing a user asked for is dropped by a deploy.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from starlette.applications import Starlette

from bot.settings import Settings

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.whatsapp.inbox import Inbox

log = logging.getLogger("expansion_bot.server")

SLACK_THREADS = 4  # Slack replies in flight at once; more queue behind them
SHUTDOWN_SECONDS = 30.0  # how long shutdown waits for replies in flight


@dataclass
class Services:
    """What runs beside the web server, started and stopped with it."""

    settings: Settings
    engine: Engine
    slack_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(SLACK_THREADS, thread_name_prefix="slack-reply")
    )
    inbox: Inbox | None = None
    scheduler: BackgroundScheduler | None = None
    socket: SocketModeHandler | None = None

    def __post_init__(self) -> None:
        if self.settings.twilio_enabled and self.inbox is None:
            from bot.whatsapp.inbox import Inbox

            self.inbox = Inbox()

    def start(self) -> None:
        s = self.settings
        if s.run_scheduler and (s.slack_enabled or s.twilio_enabled):
            from bot.scheduler import start_scheduler

            self.scheduler = start_scheduler(s)
        if s.slack_app_token:
            from bot.slack.app import start_socket_mode

            self.socket = start_socket_mode(s, self.engine)

    def stop(self) -> None:
        """Stop taking work, then finish what was accepted."""
        if self.socket is not None:
            self.socket.close()
        if self.scheduler is not None:
            from bot.scheduler import stop_scheduler

            stop_scheduler(self.scheduler, grace=SHUTDOWN_SECONDS)
        self.slack_pool.shutdown(wait=True)
        if self.settings.slack_enabled:
            from bot.slack.replies import drain

            drain()  # response_url posts a listener left to finish in the background
        if self.inbox is not None and not self.inbox.wait_idle(SHUTDOWN_SECONDS):
            log.error("shutdown: WhatsApp replies still running after %.0fs", SHUTDOWN_SECONDS)
        log.info("shutdown complete")

    def status(self) -> dict[str, Any]:
        """/healthz: what each part is doing, read at the time of the request."""
        from bot.scheduler import status as scheduler_status

        s = self.settings

        def slack() -> str:
            if not s.slack_enabled:
                return "off"
            modes = (["http"] if s.slack_signing_secret else []) + (["socket mode"] if self.socket else [])
            return " + ".join(modes) or "not connected"

        return {
            "slack": slack,
            "scheduler": lambda: scheduler_status(self.scheduler) if self.scheduler else "off",
        }

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self.start()
        try:
            yield
        finally:
            self.stop()


def create_app(settings: Settings, engine: Engine) -> tuple[Starlette, Services]:
    """The web app of `serve` with its services; tests run it in-process, `run` under uvicorn."""
    from bot.web import create_web_app

    services = Services(settings, engine)
    app = create_web_app(
        settings,
        engine,
        slack_executor=services.slack_pool,
        inbox=services.inbox,
        lifespan=services.lifespan,
        extra_status=services.status(),
    )
    return app, services


def run(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT, then stop gracefully."""
    import uvicorn

    from bot.logs import configure
    from bot.wiring import ready_engine

    configure(settings.log_level)
    engine = ready_engine(settings)
    app, _ = create_app(settings, engine)
    log.info(
        "serving on %s:%d",
        settings.host,
        settings.port,
        extra={
            "slack": settings.slack_enabled,
            "whatsapp": settings.twilio_enabled,
            "model": settings.model_enabled,
            "database": engine.url.render_as_string(hide_password=True),
        },
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our JSON lines, not uvicorn's format
        access_log=False,  # one line per command comes from the dispatcher instead
        timeout_graceful_shutdown=int(SHUTDOWN_SECONDS),
    )
    uvicorn.Server(config).run()
