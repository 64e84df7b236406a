"""No text crashes the command language: every input parses or is refused with a message."""

from __future__ import annotations

from builders import TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.commands import Command, ParseError, parse
from handlers.context import Context
from handlers.dispatch import handle_text

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS)
def test_every_text_gets_a_reply(engine, text):
    reply = handle_text(text, Context(engine=engine, today=TODAY))
    assert reply.title
