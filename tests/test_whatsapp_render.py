"""The WhatsApp renderer: phone-friendly marks, no tables or headings, parts Twilio accepts, drafts alone."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp.render import MAX_CHARS, clean, render, size, split, to_text
from handlers.reply import Button, Reply, Section

PART = re.compile(r"^\((\d+)/(\d+)\) ")


def long_reply(paragraphs: int = 30) -> Reply:
    return Reply(
        command="prep",
        title="Call prep — Kopi Nusantara",
        sections=[
            Section(f"Part {i}", lines=tuple(f"Line {i}.{j}: " + "kopi " * 20 for j in range(3)))
            for i in range(paragraphs)
        ],
    )


def test_title_and_headings_are_bold_fields_are_one_per_line() -> None:
    reply = Reply(
        command="expansion",
        title="Expansion — Kopi Nusantara",
        sections=[Section("Readiness", lines=("First: find a champion",), fields=(("Health", "84"),))],
        context="ID-001 · as of 2026-11-24",
    )
    text = to_text(reply)
    assert text.splitlines()[0] == "*Expansion — Kopi Nusantara*"
    assert "*Readiness*\n_Health_: 84\nFirst: find a champion" in text
    assert text.endswith("_ID-001 · as of 2026-11-24_")


def test_markdown_from_a_writer_becomes_whatsapp_marks() -> None:
    text = clean(
        "## Talking points\n- **Tier 2** for ~~three~~ four outlets\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert text.splitlines() == ["*Talking points*", "• *Tier 2* for ~three~ four outlets", "a · b", "1 · 2"]
    assert "#" not in text and "|" not in text and "**" not in text


def test_buttons_become_commands_to_type_and_those_without_one_are_left_out() -> None:
    reply = Reply(
        command="prep",
        title="Which “kopi” do you mean?",
        buttons=[
            Button("Kopi Nusantara", "pick", "ID-001|prep", command="prep ID-001"),
            Button("Mark proposed", "proposed", "ID-001"),
        ],
    )
    text = to_text(reply)
    assert "_Reply with:_\n• prep ID-001 — Kopi Nusantara" in text
    assert "Mark proposed" not in text


def test_short_reply_is_one_unnumbered_message() -> None:
    assert render(Reply(command="help", title="Hello")) == ["*Hello*"]


def test_long_reply_is_split_on_paragraphs_into_ordered_numbered_parts() -> None:
    reply = long_reply()
    parts = render(reply)
    assert len(parts) >= 3
    assert all(size(p) <= MAX_CHARS for p in parts)
    numbers = [PART.match(p) for p in parts]
    assert all(numbers)
    assert [(int(m.group(1)), int(m.group(2))) for m in numbers if m] == [
        (i, len(parts)) for i in range(1, len(parts) + 1)
    ]
    # every part starts at a paragraph (a section heading or the title) and nothing is lost or reordered
    bodies = [PART.sub("", p) for p in parts]
    assert all(b.startswith("*") for b in bodies)
    assert "\n\n".join(bodies) == to_text(reply)


def test_draft_is_its_own_message_with_nothing_around_it() -> None:
    draft = "Halo Pak Andi,\n\nTerima kasih atas waktunya minggu lalu.\n\nSalam,\nDewi"
    reply = Reply(command="draft", title="WhatsApp draft — Kopi Nusantara (id)", forward=draft, subject="")
    messages = render(reply)
    assert messages[-1] == draft
    assert "forward it as is" in messages[0] and draft not in messages[0]


def test_email_subject_stays_with_the_note_not_in_the_draft() -> None:
    reply = Reply(command="draft", title="Email draft", forward="Dear Andi,\n\nThanks.", subject="Next step")
    first, draft = render(reply)
    assert "*Subject:* Next step" in first
    assert draft == "Dear Andi,\n\nThanks."


def test_long_draft_is_split_without_numbers_so_it_forwards_clean() -> None:
    draft = "\n\n".join("Paragraf" + " kopi" * 100 for _ in range(8))
    messages = render(Reply(command="draft", title="Draft", forward=draft))
    drafts = messages[1:]
    assert len(drafts) >= 2 and not any(PART.match(d) for d in drafts)
    assert "\n\n".join(drafts) == draft


def test_a_paragraph_too_long_is_cut_on_lines_then_words() -> None:
    one_line = "kata " * 700  # 3,500 chars, no line breaks
    parts = split(one_line)
    assert all(size(p) <= MAX_CHARS for p in parts)
    assert " ".join(PART.sub("", p) for p in parts) == one_line.strip()


def test_emoji_count_double_so_a_part_never_exceeds_twilios_limit() -> None:
    parts = split("🙂" * 1000)
    assert len(parts) == 2 and all(size(p) <= MAX_CHARS for p in parts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=900), min_size=1, max_size=12))
def test_split_never_exceeds_the_limit_and_keeps_every_word(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    parts = split(text)
    assert all(size(p) <= MAX_CHARS for p in parts)
    kept = "".join(PART.sub("", p) for p in parts) if len(parts) > 1 else "".join(parts)
    assert "".join(text.split()) == "".join(kept.split())
