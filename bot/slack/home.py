"""App Home: the caller's open opportunities and today's top accounts of their team, one click from action."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import Engine

from bot.slack.blocks import blocks_for
from bot.slack.identity import Caller
from bot.slack.replies import oops
from bot.slack.runtime import SlackRuntime, refusal
from handlers import home
from handlers.reply import Reply, notice
from storage.db import session_scope

log = logging.getLogger("expansion_bot.slack")

HOME_BLOCKS = 100  # App Home allows twice a message's blocks


def register(app: App, rt: SlackRuntime) -> None:
    def ack_event(ack: Ack) -> None:
        ack()

    def opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab", "home") == "home":
            publish(rt, rt.caller(body, context))

    app.event("app_home_opened")(ack=ack_event, lazy=[opened])


def publish(rt: SlackRuntime, caller: Caller) -> bool:
    """views.publish of the caller's home; a failure shows the friendly line with its reference id."""
    try:
        view = home_view(rt.engine, caller, rt.context(caller).today)
    except Exception:
        ref, line = oops()
        log.exception("slack home failed", extra={"request_id": ref})
        view = _view(notice("home", line))
    return rt.replies.publish_home(caller.user_id, view)


def publish_if_home(rt: SlackRuntime, body: dict[str, Any], caller: Caller) -> None:
    """After a click in App Home changes an opportunity, show the home as it is now."""
    if (body.get("container") or {}).get("type") == "view" and (body.get("view") or {}).get("type") == "home":
        publish(rt, caller)


def home_view(engine: Engine, caller: Caller, today: date) -> dict[str, Any]:
    return _view(home_reply(engine, caller, today))


def _view(reply: Reply) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks_for(reply, max_blocks=HOME_BLOCKS)}


def home_reply(engine: Engine, caller: Caller, today: date) -> Reply:
    """The home as the handler's channel-neutral Reply, so the one renderer keeps it within Block Kit's
    limits; anyone who is not a registered CSM gets the polite line."""
    if not caller.registered:
        return notice("home", refusal(caller))
    with session_scope(engine) as session:
        return home.handle(session, caller.email, today)
