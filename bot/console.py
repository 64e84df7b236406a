"""The terminal renderer: a reply as Rich text; the console channel's only view code."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from handlers.reply import Reply


def renderable(reply: Reply) -> Panel:
    parts: list[Text] = []
    for section in reply.sections:
        if section.heading:
            parts.append(Text(section.heading, style="bold cyan"))
        for label, value in section.fields:
            parts.append(Text.from_markup(f"[bold]{escape(label)}:[/bold] {escape(value)}"))
        parts.extend(Text(line) for line in section.lines)
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
    style = "cyan" if reply.ok else "yellow"
    return Panel(Group(*parts), title=Text(reply.title, style="bold"), title_align="left", border_style=style)


def show(reply: Reply, console: Console | None = None) -> None:
    (console or Console()).print(renderable(reply))
