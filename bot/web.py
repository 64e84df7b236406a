"""The one web server of `serve`: Slack at /slack/events, Twilio at /whatsapp, and /healthz."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.whatsapp.inbox import Inbox


class BodyTooLarge(Exception):
    """The request body is over the route's limit (or says it would be): answer 413 without reading it."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read only while it stays within `limit` bytes: a huge or endless upload is cut off
    before it is held in memory, logged, parsed or verified."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_web_app(
    settings: Settings,
    engine: Engine,
    *,
    extra_status: dict[str, Any] | None = None,
    slack_executor: Executor | None = None,
    inbox: Inbox | None = None,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """Routes for whatever is configured; nothing starts until uvicorn serves the app.

    `slack_executor` and `inbox` run the replies after the ack; `serve` passes its own so that shutdown
    can wait for the replies in flight.
    """
    routes: list[BaseRoute] = []
    status: dict[str, Any] = {
        "slack": "off",
        "twilio": "off",
        "model": "on" if settings.model_enabled else "offline writer",
    }
    if settings.slack_enabled and settings.slack_signing_secret:
        from bot.slack.app import slack_routes

        routes += slack_routes(settings, engine, executor=slack_executor)
        status["slack"] = "http"
    if settings.twilio_enabled:
        from bot.whatsapp.webhook import whatsapp_routes

        routes += whatsapp_routes(settings, engine, inbox=inbox)
        status["twilio"] = "on"
    status.update(extra_status or {})

    async def healthz(_: Request) -> JSONResponse:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            database = "ok"
        except Exception as exc:  # the health check reports, it does not fail
            database = f"error: {type(exc).__name__}"
        body = {"database": database, **{k: (v() if callable(v) else v) for k, v in status.items()}}
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    routes.append(Route("/healthz", healthz))
    return Starlette(routes=routes, lifespan=lifespan)
