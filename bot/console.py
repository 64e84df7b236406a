"""The terminal renderer: a reply as Rich text; the console channel's only view code."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handlers.reply import Reply

BORDER = 6  # the cells a panel's top border keeps around its title: corners, rules and spaces
BULLETS = {"•", "-", "–"}


class ReplyPanel:
    """A reply in a panel. Its title sits in the top border when it fits the terminal; a longer one is
    the panel's first lines, wrapped: a border title is cut at the width, and the end of an error's
    title is often the list the user needs ('Teams: bangkok, …, singapore')."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        reply = self.reply
        title = Text(reply.title, style="bold")
        fits = cell_len(reply.title) <= options.max_width - BORDER
        body = _body(reply) if fits else [title, Text(""), *_body(reply)]
        yield Panel(
            Group(*body),
            title=title if fits else None,
            title_align="left",
            border_style="cyan" if reply.ok else "yellow",
        )


def _line(line: str) -> RenderableType:
    """A bullet keeps its text clear of the bullet when it wraps (a hanging indent)."""
    bullet, _, rest = line.partition(" ")
    if bullet not in BULLETS or not rest:
        return Text(line)
    grid = Table.grid()
    grid.add_column(width=cell_len(bullet) + 1, no_wrap=True)
    grid.add_column()
    grid.add_row(bullet, rest)
    return grid


def _body(reply: Reply) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for section in reply.sections:
        if section.heading:
            parts.append(Text(section.heading, style="bold cyan"))
        for label, value in section.fields:
            parts.append(Text.from_markup(f"[bold]{escape(label)}:[/bold] {escape(value)}"))
        parts.extend(_line(line) for line in section.lines)
        parts.append(Text(""))
    if reply.forward:
        if reply.subject:
            parts.append(Text.from_markup(f"[bold]Subject:[/bold] {escape(reply.subject)}"))
        parts.append(Text(reply.forward, style="green"))
        parts.append(Text(""))
    if reply.next_commands:
        parts.append(Text(reply.next_commands, style="dim"))
    if reply.context:
        parts.append(Text(reply.context, style="dim"))
    return parts


def show(reply: Reply, console: Console | None = None) -> None:
    (console or Console()).print(ReplyPanel(reply))
