"""The one Block Kit rendering of a Reply, kept inside Slack's limits so a message is never rejected."""

from __future__ import annotations

import re
from typing import Any

from bot.text_parts import pack
from handlers.reply import Button, Reply, Section

MAX_BLOCKS = 50  # a message; App Home allows 100
MAX_TEXT = 3000  # a section's text
MAX_HEADER = 150
MAX_FIELDS = 10  # per section
MAX_FIELD = 2000
MAX_CONTEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000
MAX_ELEMENTS = 25  # per actions block
MAX_FALLBACK = 12000  # the `text` of a message; Slack truncates at 40,000
FENCE = "```"

# A user mention the reply itself asked for (a section's owner, `data["mentions"]`) stays a mention.
# Everything else is escaped, so an account name or ticket body that says "<!channel>", "<@U…>",
# "<#C…>", "<!subteam^…>" or "<https://evil|click>" shows as text and never pings or links.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
# Direction overrides and isolates (U+202A–E, U+2066–9) reorder what a reader sees: "‮txt.exe" reads as
# "exe.txt"; data never needs them, so they are dropped.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

Block = dict[str, Any]


def blocks_for(reply: Reply, *, max_blocks: int = MAX_BLOCKS) -> list[Block]:
    """Header, sections, the draft, a context line and buttons, within every Block Kit limit."""
    keep = mentions(reply)
    head = _title_blocks(reply, keep)
    tail: list[Block] = []
    if reply.context:
        tail.append(_context(reply.context, keep))
    tail += action_blocks(reply.buttons)
    body = []
    for n, section in enumerate(reply.sections):
        body += _section_blocks(section, keep) + action_blocks(list(section.buttons), prefix=f"section{n}")
    body += _forward_blocks(reply)
    room = max_blocks - len(head) - len(tail)
    if room < 1:  # a pathological number of buttons: keep the text, drop buttons from the end
        tail = tail[: max(0, max_blocks - len(head) - 2)]
        room = max_blocks - len(head) - len(tail)
    if len(body) > room:
        hidden = len(body) - room + 1
        body = [*body[: room - 1], _context(f"…{hidden} more part(s) not shown here: the reply is too long.")]
    return head + body + tail


def fallback_text(reply: Reply) -> str:
    """The message's `text`: notifications, screen readers, and the whole reply if blocks fail."""
    text = escape(reply.text, mentions(reply))
    return text if len(text) <= MAX_FALLBACK else _cut(text, MAX_FALLBACK - 1) + "…"


def mentions(reply: Reply) -> frozenset[str]:
    """The Slack user ids this reply means to ping: its sections' owners and `data["mentions"]`."""
    listed = reply.data.get("mentions") or ()
    return frozenset(s.mention for s in reply.sections if s.mention) | {str(m) for m in listed}


def escape(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Slack's three entities and no direction overrides; only mentions of the ids in `keep` stay live."""
    text = _BIDI.sub("", text)
    out, pos = [], 0
    for m in _MENTION.finditer(text):
        if m.group(1) not in keep:
            continue
        out.append(_escape_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int) -> Block:
    """A plain_text object cut to its limit, escaped like mrkdwn so no markup in it can come alive."""
    text = _escape_plain(_BIDI.sub("", text).strip()) or "…"  # Slack refuses an empty plain_text
    cut = text if len(text) <= limit else _cut(text, limit - 1) + "…"
    return {"type": "plain_text", "text": cut, "emoji": True}


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def action_blocks(buttons: list[Button], prefix: str = "actions") -> list[Block]:
    """Buttons in actions blocks of at most 25; action_id is `ACTION:N` so listeners match the prefix.
    `prefix` keeps block ids unique when a message has several groups of buttons."""
    elements = [_button(b, i) for i, b in enumerate(buttons)]
    return [
        {"type": "actions", "block_id": f"{prefix}:{n}", "elements": elements[i : i + MAX_ELEMENTS]}
        for n, i in enumerate(range(0, len(elements), MAX_ELEMENTS))
    ]


def _button(b: Button, i: int) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(b.label or b.action, MAX_BUTTON_TEXT),
        "action_id": f"{b.action}:{i}",
        "value": b.value[:MAX_VALUE] or b.action,
    }
    if b.style in {"primary", "danger"}:
        element["style"] = b.style
    return element


def _title_blocks(reply: Reply, keep: frozenset[str]) -> list[Block]:
    title = _BIDI.sub("", reply.title.strip() or reply.command)
    live = any(m.group(1) in keep for m in _MENTION.finditer(title))
    if not reply.ok or live:  # notices read as a line; a header can't show a mention
        return _text_sections(escape(title, keep))
    header = {"type": "header", "text": plain(title, MAX_HEADER)}
    if len(title) <= MAX_HEADER:
        return [header]
    return [header, *_text_sections(escape(title))]  # too long for a header: the whole title under it


def _section_blocks(section: Section, keep: frozenset[str]) -> list[Block]:
    heading = f"*{escape(section.heading.strip(), keep)}*" if section.heading.strip() else ""
    if section.mention:  # the owner is pinged where their part of the message starts
        heading = f"<@{section.mention}> {heading}".strip()
    blocks: list[Block] = []
    fields = [mrkdwn(_cut(f"*{escape(k, keep)}*\n{escape(v, keep)}", MAX_FIELD)) for k, v in section.fields]
    for i in range(0, len(fields), MAX_FIELDS):
        block: Block = {"type": "section", "fields": fields[i : i + MAX_FIELDS]}
        if heading and i == 0:
            block["text"] = mrkdwn(_cut(heading, MAX_TEXT))
        blocks.append(block)
    lines = "\n".join(escape(line, keep) for line in section.lines if line.strip())
    text = "\n".join(p for p in ([] if fields else [heading]) + [lines] if p)
    return blocks + _text_sections(text)


def _forward_blocks(reply: Reply) -> list[Block]:
    """The draft to forward, in code blocks: Slack shows it verbatim and it copies cleanly."""
    if not reply.forward.strip():
        return []
    blocks = _text_sections(f"*Subject:* {escape(reply.subject)}") if reply.subject else []
    for chunk in _chunks(escape(reply.forward.strip("\n")), MAX_TEXT - 2 * len(FENCE) - 2):
        blocks.append({"type": "section", "text": mrkdwn(f"{FENCE}\n{chunk}\n{FENCE}")})
    return blocks


def _context(text: str, keep: frozenset[str] = frozenset()) -> Block:
    return {"type": "context", "elements": [mrkdwn(_cut(escape(text, keep), MAX_CONTEXT))]}


def _text_sections(text: str) -> list[Block]:
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in _chunks(text, MAX_TEXT)]


def _chunks(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, cut as every channel cuts (bot.text_parts), and a single word
    too long for one part never inside an entity or a mention."""
    return pack(text, limit, cut=_word_parts)


def _word_parts(word: str, limit: int) -> list[str]:
    parts = []
    while len(word) > limit:
        head = _cut(word, limit)
        parts.append(head)
        word = word[len(head) :]
    return [*parts, word] if word else parts


def _cut(text: str, limit: int) -> str:
    """The longest prefix of at most `limit` characters ending at a space, or at least not mid-entity."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit // 2:
        return head[:space]
    amp, lt = head.rfind("&"), head.rfind("<")
    if amp > head.rfind(";"):
        head = head[:amp]
    if lt > head.rfind(">"):
        head = head[:lt]
    return head or text[:limit]
