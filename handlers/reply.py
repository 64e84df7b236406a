"""The channel-neutral reply every handler returns and every channel renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """An action a user can take next; channels without buttons show it as a command to type."""

    label: str
    action: str  # prep | draft | objection | outcome | proposed | snooze | not_relevant | pick | share
    value: str  # what the action needs, e.g. "ACC-1" or "ACC-1|whatsapp|id"
    command: str = ""  # the same action as a chat command, for text channels
    style: str = ""  # "" | primary | danger


@dataclass(frozen=True)
class Section:
    heading: str = ""
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) pairs shown side by side
    mention: str = ""  # a Slack user id the section is addressed to; Slack mentions them
    buttons: tuple[Button, ...] = ()  # actions on what this section is about, shown right under it


@dataclass(frozen=True)
class File:
    """An attachment a channel that can show files uploads (Slack); text channels leave it out."""

    name: str  # e.g. pipeline.png
    title: str
    content: bytes = field(repr=False)


@dataclass
class Reply:
    command: str
    title: str
    sections: list[Section] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    context: str = ""  # one small line under the reply: evidence, writer, reference id
    forward: str = ""  # a draft meant to be forwarded as is (sent alone on WhatsApp)
    subject: str = ""  # the draft's subject line, for email drafts
    ok: bool = True
    private: bool = True  # a CSM's preparation is not for the channel
    data: dict[str, Any] = field(default_factory=dict)  # the JSON contract's fields
    files: list[File] = field(default_factory=list)  # uploaded with the reply where a channel can

    @property
    def text(self) -> str:
        """The reply as plain text: the console's and the JSON contract's `text`."""
        parts = [self.title]
        for s in self.sections:
            block = [s.heading] if s.heading else []
            block += [f"{label}: {value}" for label, value in s.fields]
            block += list(s.lines)
            if block:
                parts.append("\n".join(block))
        if self.forward:
            parts.append(f"Subject: {self.subject}\n\n{self.forward}" if self.subject else self.forward)
        if self.next_commands:
            parts.append(self.next_commands)
        if self.context:
            parts.append(self.context)
        return "\n\n".join(parts)

    @property
    def all_buttons(self) -> list[Button]:
        """Every button, the sections' first: what a channel without buttons lists as commands."""
        return [b for s in self.sections for b in s.buttons] + self.buttons

    @property
    def next_commands(self) -> str:
        """The buttons as commands to type, for text channels; buttons with no command are left out."""
        typed = [_typed(b) for b in self.all_buttons if b.command]
        return "Next: " + " · ".join(typed) if typed else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "ok": self.ok,
            **self.data,
            "text": self.text,
            "buttons": [asdict(b) for b in self.all_buttons],
        }


def _typed(b: Button) -> str:
    """A button as the command to type; a suggested account keeps its name beside its id."""
    return f"{b.command} ({b.label})" if b.action == "pick" else b.command


def notice(command: str, title: str, *lines: str, ok: bool = False) -> Reply:
    """A short reply: an error, a refusal or a confirmation."""
    return Reply(command=command, title=title, sections=[Section(lines=lines)] if lines else [], ok=ok)


def apology(ref: str) -> str:
    """What every channel says when answering failed; `ref` is also in the log line, to find it."""
    return f"Sorry, something went wrong on my side (ref {ref}). Please try again."
