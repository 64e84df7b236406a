"""No text crashes the command language: every input parses or is refused with a message."""

from __future__ import annotations

import io

from builders import TODAY
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.console import show
from handlers.commands import Command, ParseError, parse
from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.reply import Reply

WORDS = st.sampled_from(
    [
        "prep",
        "draft",
        "objection",
        "outcome",
        "expansion",
        "siapkan",
        "keberatan",
        "no",
        "budget",
        "id",
        "whatsapp",
        "Kopi",
        "Nusantara",
        "tidak ada budget",
        "mine",
        "maybe",
        "/",
        "",
        "ĐÀ",
        "\u200b",
        "🙂",
        "\x00",
    ]
)
TEXTS = st.one_of(st.text(max_size=600), st.lists(WORDS, max_size=8).map(" ".join))


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_parser_answers_every_text(text):
    try:
        command = parse(text)
    except ParseError as exc:
        assert str(exc)  # a refusal always says why
    else:
        assert isinstance(command, Command) and command.name


def read(reply: Reply) -> str:
    """What the user reads: the reply as the console prints it."""
    console = Console(record=True, width=100, file=io.StringIO())
    show(reply, console)
    return console.export_text()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS)
@example("prep Kopi Nusantara")
@example("keberatan Kopi Nusantara tidak ada budget")
def test_every_text_gets_a_reply(demo_engine, text):
    """On the demo, as a CSM: every text gets an answer that is not the "something went wrong" apology
    (which any handler raising would give), and a command naming an account answers about it."""
    ctx = Context(engine=demo_engine, today=TODAY, caller_email="dewi@example.com", user_key="console:dewi")
    reply = handle_text(text, ctx)
    seen = read(reply)
    assert reply.title and reply.title.split()[0] in seen
    assert "something went wrong" not in seen.lower(), seen
    if text.startswith(("prep Kopi Nusantara", "keberatan Kopi Nusantara")):
        assert reply.ok and "Kopi Nusantara" in seen
