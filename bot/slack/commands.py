"""Slash commands: ack at once, answer from a lazy listener through handle_text (DMs: bot/slack/agent.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.once import answered
from bot.slack.runtime import OTHER_TEAM, SlackRuntime, failure, refusal
from handlers.dispatch import handle_text
from handlers.reply import Button, Reply

# One slash command per chat command; `/expansion help` (or a bare `/expansion`) is help.
VERBS = {
    "/prep": "prep",
    "/draft": "draft",
    "/objection": "objection",
    "/expansion": "expansion",
    "/outcome": "outcome",
    "/pipeline": "pipeline",
    "/digest": "digest",
}
PUBLIC = {"digest", "pipeline"}  # team-level answers may go to the channel
SHAREABLE = {"prep", "expansion", "draft", "objection"}
WORKING = {
    "prep": "Preparing your call brief…",
    "draft": "Writing the draft…",
    "objection": "Preparing an answer…",
    "expansion": "Looking at the account…",
    "outcome": "Recording the outcome…",
    "pipeline": "Adding up the pipeline…",
    "digest": "Putting the digest together…",
}


def command_text(command: str, text: str) -> str:
    """`/prep Kopi` → `prep Kopi`: the chat command language every channel speaks."""
    verb = VERBS.get(command, command.lstrip("/"))
    rest = " ".join(text.split())
    if verb == "expansion" and rest.lower() in {"", "help", "?"}:
        return "help"
    return f"{verb} {rest}".strip()


def with_share(rt: SlackRuntime, reply: Reply, text: str) -> Reply:
    """A private answer worth showing the channel gets a "Share to channel" button."""
    verb = text.split(" ", 1)[0]
    if not (reply.ok and reply.private and verb in SHAREABLE and "suggestions" not in reply.data):
        return reply
    ref = rt.shares.put(reply)
    share = Button("Share to channel", "share", f"{ref}|{text}"[:2000], command=text)
    return dataclasses.replace(reply, buttons=[*reply.buttons, share])


def register(app: App, rt: SlackRuntime) -> None:
    """Every command acks within milliseconds; the work runs after, in Bolt's lazy listener thread."""

    def ack_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        if rt.foreign(body, context):
            ack(response_type="ephemeral", text=OTHER_TEAM)
            return
        verb = command_text(body.get("command", ""), body.get("text", "")).split(" ", 1)[0]
        if verb in PUBLIC:
            ack()
        else:
            ack(response_type="ephemeral", text=f"⏳ {WORKING.get(verb, 'Working on it…')}")

    def answer(body: dict[str, Any], context: BoltContext) -> None:
        try:
            run_command(rt, body, context)
        except Exception:
            line = failure("command")
            if not rt.replies.respond_text(body.get("response_url", ""), line, replace=True):
                rt.replies.post_text(str(body.get("user_id", "")), line)

    for name in VERBS:
        app.command(name)(ack=ack_command, lazy=[answer])

    def ack_event(ack: Ack) -> None:
        ack()

    def other_message(context: BoltContext) -> None:
        """A user's DM is the agent's (bot/slack/agent.py, registered first); any other message event
        (a bot's, an edit) is acknowledged and marked handled, so Slack does not send it again."""
        answered(rt.engine, context)

    app.event("message")(ack=ack_event, lazy=[other_message])


def run_command(rt: SlackRuntime, body: dict[str, Any], context: BoltContext) -> None:
    if rt.foreign(body, context):
        return  # the ack already said so
    url = str(body.get("response_url", ""))
    channel, user = str(body.get("channel_id", "")), str(body.get("user_id", ""))
    caller = rt.caller(body, context)
    if not caller.registered:
        rt.replies.respond_text(url, refusal(caller), replace=True)
        return
    text = command_text(str(body.get("command", "")), str(body.get("text", "")))
    ctx = rt.context(caller)
    if text.split(" ", 1)[0] in PUBLIC:
        _in_channel(rt, url, channel, user, text, ctx)
        return
    reply = with_share(rt, handle_text(text, ctx), text)
    if not rt.replies.respond(url, reply, replace=True):
        rt.replies.ephemeral(channel, user, reply)


def _in_channel(rt: SlackRuntime, url: str, channel: str, user: str, text: str, ctx: Any) -> None:
    """A placeholder in the channel, edited into the answer; errors stay private to the user."""
    where, ts = rt.replies.post_text(channel, f"⏳ {WORKING.get(text.split(' ', 1)[0], 'Working on it…')}")
    reply = handle_text(text, ctx)
    if reply.ok and ts and rt.replies.update(where, ts, reply):
        rt.replies.upload(where, reply)  # the pipeline's chart, right under its answer
        return
    if ts:
        rt.replies.delete(where, ts)
    # Not a member of the channel (or an error): response_url still reaches it, publicly or not.
    if not rt.replies.respond(url, reply, public=reply.ok):
        rt.replies.ephemeral(channel, user, reply)
