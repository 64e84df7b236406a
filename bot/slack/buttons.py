"""Button clicks: ack at once, then run the channel-neutral action and answer only the person who clicked."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import home
from bot.slack.commands import with_share
from bot.slack.identity import Caller
from bot.slack.runtime import SlackRuntime, failure, refusal
from handlers.actions import ACTIONS, CHOICE_ACTIONS, WORKFLOW_ACTIONS, as_text, handle_action
from handlers.context import Context
from handlers.reply import Reply, notice

ACTION_ID = re.compile(rf"^({'|'.join(sorted(ACTIONS))})(:\d+)?$")
NOT_SHARED = "I couldn't post in this channel. Invite me with `/invite @Expansion Bot` and try again."
EXPIRED = "That answer is too old to share. Run the command again and share the new one."


def register(app: App, rt: SlackRuntime) -> None:
    def ack_action(ack: Ack) -> None:
        ack()

    def act(body: dict[str, Any], context: BoltContext) -> None:
        try:
            run_action(rt, body, context)
        except Exception:
            _tell(rt, body, failure("action"))

    app.action(ACTION_ID)(ack=ack_action, lazy=[act])


def run_action(rt: SlackRuntime, body: dict[str, Any], context: BoltContext) -> None:
    clicked = (body.get("actions") or [{}])[0]
    action = str(clicked.get("action_id", "")).split(":", 1)[0]
    value = str(clicked.get("value", ""))
    caller = rt.caller(body, context)
    if not caller.registered:
        _tell(rt, body, refusal(caller))
        return
    ctx = rt.context(caller)
    if action == "share":
        _share(rt, body, caller, ctx, value)
        return
    reply = handle_action(action, value, ctx)
    text = as_text(action, value)
    if text:
        reply = with_share(rt, reply, text)
    # A suggestion list or a chooser (outcome, which offer) has done its job: the answer takes its place.
    replace = action == "pick" or (action in CHOICE_ACTIONS and "|" in value)
    _answer(rt, body, caller, reply, replace=replace)
    if action in WORKFLOW_ACTIONS or action == "outcome":
        home.publish_if_home(rt, body, caller)


def _answer(rt: SlackRuntime, body: dict[str, Any], caller: Caller, reply: Reply, *, replace: bool) -> None:
    """To the clicker only: response_url in a conversation, a DM when the click came from App Home."""
    url = str(body.get("response_url", ""))
    if url and rt.replies.respond(url, reply, replace=replace):
        return
    channel = _channel(body)
    if channel and not channel.startswith("D") and rt.replies.ephemeral(channel, caller.user_id, reply):
        return
    where, ts = rt.replies.post_text(caller.user_id, "⏳ Working on it…")
    if not (ts and rt.replies.update(where, ts, reply)):
        rt.replies.post(caller.user_id, reply)


def _share(rt: SlackRuntime, body: dict[str, Any], caller: Caller, ctx: Context, value: str) -> None:
    """Post the answer the user saw (or, after a restart, the same command again) for everyone."""
    ref, _, text = value.partition("|")
    reply = rt.shares.get(ref) or (handle_action("share", text, ctx) if text else notice("share", EXPIRED))
    if not reply.ok:
        _answer(rt, body, caller, reply, replace=False)
        return
    shared_by = f"Shared by <@{caller.user_id}>"
    public = dataclasses.replace(
        reply,
        buttons=[b for b in reply.buttons if b.action != "share"],
        private=False,
        context=f"{reply.context} · {shared_by}" if reply.context else shared_by,
        data={**reply.data, "mentions": [*reply.data.get("mentions", ()), caller.user_id]},  # live mention
    )
    url = str(body.get("response_url", ""))
    if url and rt.replies.respond(url, public, public=True):
        return
    channel = _channel(body)
    if not (channel and rt.replies.post(channel, public)):
        _tell(rt, body, NOT_SHARED)


def _channel(body: dict[str, Any]) -> str:
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    return str((body.get("container") or {}).get("channel_id") or "")


def _tell(rt: SlackRuntime, body: dict[str, Any], line: str) -> None:
    """One short private line to whoever clicked, wherever they clicked."""
    user = str((body.get("user") or {}).get("id", ""))
    url = str(body.get("response_url", ""))
    if url and rt.replies.respond_text(url, line):
        return
    channel = _channel(body)
    if channel and user and rt.replies.ephemeral(channel, user, notice("action", line)):
        return
    if user:
        rt.replies.post_text(user, line)
