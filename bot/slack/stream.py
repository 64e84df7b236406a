"""Long written answers (longer than one Block Kit section holds: a call brief) streamed into the thread
with slack_sdk's ChatStream (chat.startStream, appendStream, stopStream), part by part as markdown, so the
first lines show while Slack receives the rest; shorter answers stay one message. The buttons and the
feedback buttons come as blocks when the stream stops."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.blocks import MAX_TEXT, action_blocks, escape, mentions
from handlers.reply import Reply

log = logging.getLogger("expansion_bot.slack")

STREAM_CHARS = MAX_TEXT  # longer than one section can hold: streamed (a brief is; an answer, a draft not)


def is_long(reply: Reply) -> bool:
    return len(reply.text) > STREAM_CHARS


def parts(reply: Reply) -> list[str]:
    """The reply as markdown pieces, escaped like every message (only its own mentions stay live)."""
    keep = mentions(reply)
    out = [f"**{escape(reply.title.strip(), keep)}**"]
    for s in reply.sections:
        lines = [f"**{escape(s.heading.strip(), keep)}**"] if s.heading.strip() else []
        if s.mention:
            lines = [f"<@{s.mention}> {' '.join(lines)}".strip()]
        lines += [f"**{escape(k, keep)}:** {escape(v, keep)}" for k, v in s.fields]
        lines += [escape(line, keep) for line in s.lines if line.strip()]
        if lines:
            out.append("\n".join(lines))
    if reply.forward.strip():
        subject = f"**Subject:** {escape(reply.subject)}\n" if reply.subject else ""
        out.append(f"{subject}```\n{escape(reply.forward.strip())}\n```")
    if reply.context:
        out.append(f"_{escape(reply.context, keep)}_")
    return out


def stream(
    client: WebClient,
    update: Callable[[str, str, Reply], bool],
    reply: Reply,
    *,
    channel: str,
    thread_ts: str,
    user_id: str,
    team_id: str,
    after: list[dict[str, Any]],
) -> bool:
    """Stream `reply` into the thread; False when nothing could be shown (the caller posts it whole). A
    stream cut off half way is replaced by the whole answer (chat.update), so no answer stays partial."""
    streamer = client.chat_stream(
        channel=channel, thread_ts=thread_ts, recipient_user_id=user_id, recipient_team_id=team_id
    )
    try:
        for part in parts(reply):
            streamer.append(markdown_text=part + "\n\n")
        streamer.stop(blocks=action_blocks(reply.all_buttons) + after)
        return True
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("streaming the answer failed: %s", exc)
        return bool(streamer.ts) and update(channel, str(streamer.ts), reply)
