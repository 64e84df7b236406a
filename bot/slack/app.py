"""The Bolt app from Settings, and the two ways to run it: HTTP at /slack/events, or Socket Mode.

Nothing here runs at import. Building the app calls auth.test once (Bolt checks the token and learns
the workspace), so build it when serving, never at import time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk import WebClient
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.slack import agent, buttons, commands, home
from bot.slack.once import first_time, once_per_event
from bot.slack.replies import web_client
from bot.slack.runtime import SlackRuntime
from bot.web import BodyTooLarge, read_body

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("expansion_bot.slack")

EVENTS_PATH = "/slack/events"
LISTENER_THREADS = 4  # answers in flight at once; the rest queue (each is mostly database and writer time)
SIGNATURE_MAX_AGE_S = 5 * 60  # Slack's own rule: an older request is stale
MAX_BODY_BYTES = 512 * 1024  # Slack's payloads are a few KB (a large modal view, tens): more is not Slack


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
    app.middleware(once_per_event(engine))
    agent.register(app, rt)  # first: Bolt runs the first listener that matches (DMs, mentions)
    commands.register(app, rt)
    buttons.register(app, rt)
    home.register(app, rt)
    app.error(_log_error)
    return app


def slack_routes(settings: Settings, engine: Engine, *, executor: Executor | None = None) -> list[BaseRoute]:
    """POST /slack/events for the one web server. In this order, so a hostile request costs little and
    leaves one log line: the size (413, before reading), the signature (bad, stale or malformed → 401,
    before parsing), UTF-8 (400), then a replay of a request already taken (200, not run again)."""
    app = build_app(settings, engine, executor=executor)
    secret = settings.slack_signing_secret.encode()

    async def events(request: Request) -> Response:
        try:
            raw = await read_body(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            return Response(status_code=413)
        signature = request.headers.get("x-slack-signature", "")
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        if not signed_by_slack(secret, raw, timestamp, signature):
            log.warning("slack: refused a request with a bad or stale signature (%d bytes)", len(raw))
            return Response(status_code=401)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Response(status_code=400)
        try:
            new = await run_in_threadpool(first_time, engine, signature)
        except Exception:  # cannot tell a replay from a first request: Slack retries what gets a 5xx
            log.exception("slack: request not recorded")
            return Response(status_code=503)
        if not new:
            log.warning("slack: refused a replayed request (signature seen before)")
            return Response(status_code=200)
        # dispatch checks the signature again and runs the ack listener only: well under a millisecond,
        # so a command or a click runs on the event loop; an event (JSON) is first taken by its event_id
        # in the database (once.py), so it goes to a thread. The work goes to threads either way.
        request_ = BoltRequest(body=body, query=request.query_params, headers=request.headers)  # type: ignore[arg-type]
        if body.startswith("{"):
            return to_starlette_response(await run_in_threadpool(app.dispatch, request_))
        return to_starlette_response(app.dispatch(request_))

    return [Route(EVENTS_PATH, events, methods=["POST"])]


def signed_by_slack(secret: bytes, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes: checked before the body is decoded
    or parsed (slack_sdk's verifier decodes first, and fails on invalid UTF-8 or a non-numeric time)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_S:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={expected}", signature)


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


def _log_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """An exception in an ack listener: logged with a reference id; Slack gets a 200 so it does not retry."""
    from bot.slack.replies import oops

    ref, line = oops()
    log.error("slack listener failed", extra={"request_id": ref, "type": body.get("type")}, exc_info=error)
    return BoltResponse(status=200, body=line)
