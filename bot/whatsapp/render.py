"""The one WhatsApp rendering of a Reply: phone-friendly text, split into parts Twilio accepts."""

from __future__ import annotations

import re

from bot.text_parts import pack
from handlers.reply import Button, Reply, Section

MAX_CHARS = 1600  # Twilio's limit on one WhatsApp body, counted here in UTF-16 units to be safe
FORWARD_NOTE = "_The draft follows in the next message: forward it as is._"

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNDERLINE_BOLD = re.compile(r"__(.+?)__")
_STRIKE = re.compile(r"~~(.+?)~~")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def render(reply: Reply) -> list[str]:
    """The messages to send, in order: the reply (numbered parts when long), then the draft alone."""
    messages = split(to_text(reply))
    draft = reply.forward.strip()
    if draft:
        messages += split(draft, numbered=False)
    return messages


def to_text(reply: Reply) -> str:
    """The reply as one WhatsApp text: bold title and headings, one fact per line, no tables."""
    blocks = [bold(reply.title)]
    blocks += [b for b in (_section(s) for s in reply.sections) if b]
    if reply.forward.strip():
        note = [FORWARD_NOTE]
        if reply.subject:
            note.insert(0, f"*Subject:* {clean(reply.subject)}")
        blocks.append("\n".join(note))
    hints = _hints(reply.all_buttons)
    if hints:
        blocks.append(hints)
    if reply.context:
        blocks.append(italic(reply.context))
    return "\n\n".join(b for b in blocks if b.strip())


def _section(section: Section) -> str:
    lines = [bold(section.heading)] if section.heading else []
    lines += [f"{italic(label)}: {clean(value)}" for label, value in section.fields]
    lines += [clean(line) for line in section.lines]
    return "\n".join(line for line in lines if line.strip())


def _hints(buttons: list[Button]) -> str:
    """Buttons become commands to type; those without a command have no WhatsApp equivalent."""
    typed = [b for b in buttons if b.command]
    if not typed:
        return ""
    lines = [italic("Reply with:")]
    for b in typed:
        same = b.label.casefold() == b.command.casefold()
        lines.append(f"• {b.command}" if same else f"• {b.command} — {clean(b.label)}")
    return "\n".join(lines)


def clean(text: str) -> str:
    """Markdown a writer may produce, turned into WhatsApp's own marks: no headings, tables or **."""
    out = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line) and "|" in line:
            continue
        if line.strip().startswith("|") and line.strip().endswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " · ".join(c for c in cells if c)
        heading = _HEADING.match(line)
        if heading:
            line = bold(heading.group(1))
        line = _BULLET.sub(r"\1• ", line)
        line = _BOLD.sub(r"*\1*", line)
        line = _UNDERLINE_BOLD.sub(r"*\1*", line)
        line = _STRIKE.sub(r"~\1~", line)
        line = _LINK.sub(r"\1 (\2)", line)
        out.append(line.rstrip())
    return "\n".join(out)


def bold(text: str) -> str:
    return _mark(text, "*")


def italic(text: str) -> str:
    return _mark(text, "_")


def _mark(text: str, mark: str) -> str:
    """WhatsApp marks work line by line and only hug non-space text, so mark each line trimmed."""
    lines = []
    for line in clean(text).splitlines():
        core = line.strip().strip(mark).strip()
        lines.append(f"{mark}{core}{mark}" if core else "")
    return "\n".join(lines)


def size(text: str) -> int:
    """Length as Twilio may count it: UTF-16 units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split(text: str, *, limit: int = MAX_CHARS, numbered: bool = True) -> list[str]:
    """Parts of at most `limit` chars, cut at paragraphs, else lines, else words; numbered "(1/3) "."""
    text = text.strip()
    if size(text) <= limit:
        return [text] if text else []
    if not numbered:
        return pack(text, limit, measure=size)
    reserve = len("(9/9) ")
    while True:
        parts = pack(text, limit - reserve, measure=size)
        label = f"({len(parts)}/{len(parts)}) "
        if len(label) <= reserve:
            return [f"({i}/{len(parts)}) {p}" for i, p in enumerate(parts, 1)]
        reserve = len(label)
