"""The Bolt app from Settings, and the two ways to run it: HTTP at /slack/events, or Socket Mode.

Nothing here runs at import. Building the app calls auth.test once (Bolt checks the token and learns
the workspace), so build it when serving, never at import time.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.slack import buttons, commands, home
from bot.slack.deliver import web_client
from bot.slack.runtime import SlackRuntime

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("expansion_bot.slack")

EVENTS_PATH = "/slack/events"
LISTENER_THREADS = 4  # answers in flight at once; the rest queue (each is mostly database and writer time)


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    client: WebClient | None = None,
    socket_mode: bool = False,
    executor: Executor | None = None,
) -> App:
    """The Bolt app with every listener registered; acks come before any work (process_before_response).

    `executor` runs the lazy listeners (Bolt's default: a pool of 10 threads); tests pass their own to
    wait for the work to finish.
    """
    client = client or web_client(settings.slack_bot_token, settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        process_before_response=True,
        request_verification_enabled=not socket_mode,  # Socket Mode has no signatures to check
        logger=logging.getLogger("expansion_bot.slack.bolt"),
        listener_executor=executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
    )
    rt = SlackRuntime.create(settings, engine, client)
    app.middleware(_skip_event_retries)
    commands.register(app, rt)
    buttons.register(app, rt)
    home.register(app, rt)
    app.error(_log_error)
    return app


def slack_routes(settings: Settings, engine: Engine, *, executor: Executor | None = None) -> list[BaseRoute]:
    """POST /slack/events for the one web server; Bolt checks the signature (bad or stale → 401)."""
    app = build_app(settings, engine, executor=executor)

    async def events(request: Request) -> Response:
        body = await request.body()
        # dispatch checks the signature and runs the ack listener only: well under a millisecond, so it
        # runs on the event loop (a thread hop costs more under load than it saves); work goes to threads
        bolt_response = app.dispatch(to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return [Route(EVENTS_PATH, events, methods=["POST"])]


def socket_mode_handler(settings: Settings, engine: Engine) -> SocketModeHandler:
    """A Socket Mode handler for SLACK_APP_TOKEN (no public URL needed), not yet connected."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)")
    return SocketModeHandler(build_app(settings, engine, socket_mode=True), settings.slack_app_token)


def start_socket_mode(settings: Settings, engine: Engine) -> SocketModeHandler:
    """Connect in the background and return the handler; call .close() on shutdown."""
    handler = socket_mode_handler(settings, engine)
    handler.connect()
    log.info("Slack: Socket Mode connected")
    return handler


def _skip_event_retries(req: Any, resp: BoltResponse, next: Any) -> BoltResponse:
    """Slack re-sends an event it thinks timed out; the first delivery is already being answered."""
    retry = req.headers.get("x-slack-retry-num")
    if retry and req.body.get("type") == "event_callback":
        return BoltResponse(status=200, body="")
    return next()  # type: ignore[no-any-return]


def _log_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """An exception in an ack listener: logged with a reference id; Slack gets a 200 so it does not retry."""
    from bot.slack.deliver import oops

    ref, line = oops()
    log.error("slack listener failed", extra={"request_id": ref, "type": body.get("type")}, exc_info=error)
    return BoltResponse(status=200, body=line)
