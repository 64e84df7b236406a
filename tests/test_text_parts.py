"""Long text in parts, the one way Slack and WhatsApp both cut it: at paragraphs, then lines, then words;
a single overlong word only where the channel allows (never inside a Slack entity)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks import blocks_for
from bot.text_parts import pack
from handlers.reply import Reply, Section


def test_parts_break_between_paragraphs_before_lines_and_words() -> None:
    first, second = "one two\nthree four", "five six\nseven"
    assert pack(f"{first}\n\n{second}", 20) == [first, second]
    assert pack("alpha beta\ngamma delta", 12) == ["alpha beta", "gamma delta"]
    assert pack("alpha beta gamma", 11) == ["alpha beta", "gamma"]
    assert pack("abcdefgh", 3) == ["abc", "def", "gh"]


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=40), st.integers(5, 60))
def test_no_part_is_over_budget_and_no_word_is_lost(pieces: list[str], budget: int) -> None:
    text = " ".join(pieces)
    parts = pack(text, budget)
    assert all(len(p) <= budget for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_a_slack_word_too_long_for_a_section_is_never_cut_inside_an_entity() -> None:
    reply = Reply("expansion", "Title", sections=[Section("Evidence", lines=("&" * 1500,))])
    texts = [b["text"]["text"] for b in blocks_for(reply)[2:]]  # after the header and the heading
    assert len(texts) > 1
    assert all(t.replace("&amp;", "") == "" for t in texts)
    assert sum(t.count("&amp;") for t in texts) == 1500
