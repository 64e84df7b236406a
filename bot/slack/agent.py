"""The app's DM as an agent (Slack's AI app surface): suggested prompts from the CSM's own accounts when
the Messages tab opens, a status while it works, the answer in the message's thread (a long one
streamed, bot/slack/stream.py) with helpful / not helpful buttons (stored, counted in `pipeline`); an
@mention in a channel is answered in its thread.

Register before the other listeners: Bolt runs the first listener that matches an event, and these
match only what they handle (a user's DM message, the Messages tab, a mention, a feedback click)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.identity import Caller, actor_team
from bot.slack.once import answered
from bot.slack.runtime import SlackRuntime, failure, refusal
from bot.slack.stream import is_long, stream
from handlers.dispatch import handle_text
from handlers.reply import Reply
from storage.conversation import own_accounts, record_feedback
from storage.db import session_scope

log = logging.getLogger("expansion_bot.slack")

FEEDBACK_ACTION = "answer_feedback"
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
STATUS = "is looking into it…"
LOADING = ["Reading the account…", "Checking the signals…", "Writing the answer…"]
PROMPTS_TITLE = "Try asking"
MAX_PROMPTS = 4  # what Slack shows


def register(app: App, rt: SlackRuntime) -> None:
    """The agent's listeners; each acks at once and works in a lazy listener."""

    def ack_event(ack: Ack) -> None:
        ack()

    def from_a_user_in_dm(event: dict[str, Any]) -> bool:
        return event.get("channel_type") == "im" and not (event.get("subtype") or event.get("bot_id"))

    def messages_tab(event: dict[str, Any]) -> bool:
        return event.get("tab") == "messages"

    def opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        caller = rt.caller(body, context)
        if caller.registered:
            suggest(rt, caller, str(event.get("channel", "")))

    def message(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        answer(rt, body, event, context, in_dm=True)

    def mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        answer(rt, body, event, context, in_dm=False)

    def feedback(body: dict[str, Any], context: BoltContext) -> None:
        store_feedback(rt, body, context)

    app.event("app_home_opened", matchers=[messages_tab])(ack=ack_event, lazy=[opened])
    app.event("message", matchers=[from_a_user_in_dm])(ack=ack_event, lazy=[message])
    app.event("app_mention")(ack=ack_event, lazy=[mention])
    app.action(FEEDBACK_ACTION)(ack=ack_event, lazy=[feedback])


def suggest(rt: SlackRuntime, caller: Caller, channel: str) -> None:
    """Suggested prompts built from the CSM's own accounts: the things they would type first."""
    with session_scope(rt.engine) as session:
        own = own_accounts(session, caller.email, limit=2)
    prompts = [f"Prep {name}" for _, name in own[:1]] + ["Who is ready today?"]
    prompts += [f"What should I pitch to {name}?" for _, name in own[1:2]]
    prompts += [f"When does {name} renew?" for _, name in own[:1]]
    _call(
        rt,
        "assistant_threads_setSuggestedPrompts",
        channel_id=channel,
        title=PROMPTS_TITLE,
        prompts=[{"title": p, "message": p} for p in prompts[:MAX_PROMPTS]],
    )


def answer(
    rt: SlackRuntime, body: dict[str, Any], event: dict[str, Any], context: BoltContext, *, in_dm: bool
) -> None:
    """The message's answer in its thread; a failure still answers with the reference line."""
    channel = str(event.get("channel", ""))
    thread = str(event.get("thread_ts") or event.get("ts") or "")
    try:
        caller = rt.caller(body, context)
        if not caller.registered:  # said in the DM, never in the channel
            rt.replies.post_text(channel if in_dm else caller.user_id, refusal(caller))
            return
        if in_dm:
            _call(
                rt,
                "assistant_threads_setStatus",
                channel_id=channel,
                thread_ts=thread,
                status=STATUS,
                loading_messages=LOADING,
            )
        reply = handle_text(MENTION.sub(" ", str(event.get("text", ""))).strip(), rt.context(caller))
        after = [feedback_block(reply)] if reply.ok else []
        if in_dm or not reply.private:
            streamed = is_long(reply) and stream(
                rt.client,
                rt.replies.update,
                reply,
                channel=channel,
                thread_ts=thread,
                user_id=caller.user_id,
                team_id=actor_team(body),
                after=after,
            )
            if not streamed:
                rt.replies.post(channel, reply, thread_ts=thread, after=after)
            rt.replies.upload(channel, reply)  # the pipeline's chart, under its answer
        else:  # a CSM's preparation stays theirs, even when asked for in a channel
            rt.replies.ephemeral(channel, caller.user_id, reply, thread_ts=thread, after=after)
    except Exception:
        rt.replies.post_text(channel, failure("agent"))
    answered(rt.engine, context)  # a retry of this event is dropped from now on


def feedback_block(reply: Reply) -> dict[str, Any]:
    """Helpful / not helpful under a written answer; the value says what the answer was about."""
    about = f"{reply.command}|{(reply.data.get('account') or {}).get('id', '')}"
    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": {
                    "text": {"type": "plain_text", "text": "Helpful"},
                    "value": f"helpful|{about}",
                },
                "negative_button": {
                    "text": {"type": "plain_text", "text": "Not helpful"},
                    "value": f"not_helpful|{about}",
                },
            }
        ],
    }


def store_feedback(rt: SlackRuntime, body: dict[str, Any], context: BoltContext) -> None:
    """One vote per user and answer; a vote from someone who is not a registered CSM is not counted."""
    caller = rt.caller(body, context)
    clicked = (body.get("actions") or [{}])[0]
    verdict, _, about = str(clicked.get("value", "")).partition("|")
    command, _, account_id = about.partition("|")
    if not caller.registered or verdict not in {"helpful", "not_helpful"}:
        return
    container = body.get("container") or {}
    with session_scope(rt.engine) as session:
        record_feedback(
            session,
            user_key=caller.user_key,
            channel="slack",
            command=command[:40],
            account_id=account_id[:40] or None,
            helpful=verdict == "helpful",
            ref=str(container.get("message_ts") or (body.get("message") or {}).get("ts") or ""),
        )


def _call(rt: SlackRuntime, method: str, **kwargs: Any) -> None:
    """A nice-to-have call (status, prompts): a failure is logged, the answer goes on."""
    try:
        getattr(rt.client, method)(**kwargs)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("%s failed: %s", method, exc)
