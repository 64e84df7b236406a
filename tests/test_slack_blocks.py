"""The Block Kit renderer: what a user sees, and every limit Slack enforces, for any Reply."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.blocks import blocks_for, escape, fallback_text
from handlers.reply import Button, Reply, Section


def assert_within_limits(blocks: list[dict[str, Any]], max_blocks: int = 50) -> None:
    assert 1 <= len(blocks) <= max_blocks
    for b in blocks:
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and 1 <= len(b["text"]["text"]) <= 150
        elif b["type"] == "section":
            assert "text" in b or "fields" in b
            if "text" in b:
                assert 1 <= len(b["text"]["text"]) <= 3000 and b["text"]["text"].strip()
            assert len(b.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        elif b["type"] == "actions":
            assert 1 <= len(b["elements"]) <= 25
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids))
            for e in b["elements"]:
                assert 1 <= len(e["text"]["text"]) <= 75 and 1 <= len(e["value"]) <= 2000
        elif b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in b["elements"])
        else:
            raise AssertionError(f"unexpected block {b['type']}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def test_a_huge_reply_keeps_every_limit() -> None:
    reply = Reply(
        command="prep",
        title="A" * 400,
        sections=[
            Section(
                f"Heading {i}",
                lines=("x" * 5000, "word " * 1200),
                fields=tuple((f"k{j}", "v" * 3000) for j in range(12)),
            )
            for i in range(60)
        ],
        buttons=[Button("b" * 100, "draft", "v" * 3000, style="primary") for _ in range(30)],
        context="c" * 5000,
        forward="Halo Bu Sari,\n\n" + "kalimat panjang " * 900,
        subject="S" * 4000,
    )
    blocks = blocks_for(reply)
    assert_within_limits(blocks)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].endswith("…")
    assert sum(1 for b in blocks if b["type"] == "actions") == 2  # 25 + 5: buttons are kept
    assert "more part(s) not shown here" in json.dumps(blocks)
    assert len(fallback_text(reply)) <= 12000
    assert_within_limits(blocks_for(reply, max_blocks=100), max_blocks=100)


def test_long_lines_are_split_across_sections_without_losing_text() -> None:
    words = [f"w{i}" for i in range(2500)]
    blocks = blocks_for(Reply("expansion", "Title", sections=[Section("Evidence", lines=(" ".join(words),))]))
    assert_within_limits(blocks)
    text = " ".join(b["text"]["text"] for b in blocks[1:])
    assert text.split()[1:] == words  # after the bold heading, every word in order


def test_a_normal_reply_reads_as_header_fields_lines_context_and_buttons() -> None:
    reply = Reply(
        command="expansion",
        title="Expansion — Kopi Nusantara (ID, tier1, health 84)",
        sections=[
            Section(
                "Recommendation",
                lines=("• because",),
                fields=(("Score", "9.5"), ("Est. value", "Rp4.500.000")),
            )
        ],
        buttons=[
            Button("Draft email", "draft", "ID-001|email|"),
            Button("Mark proposed", "proposed", "ID-001", style="primary"),
        ],
        context="ID-001 · 6 signal(s)",
    )
    blocks = blocks_for(reply)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert blocks[1]["text"]["text"] == "*Recommendation*"
    assert [f["text"] for f in blocks[1]["fields"]] == ["*Score*\n9.5", "*Est. value*\nRp4.500.000"]
    assert blocks[2]["text"]["text"] == "• because"
    assert blocks[4]["elements"][0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Draft email", "emoji": True},
        "action_id": "draft:0",
        "value": "ID-001|email|",
    }
    assert blocks[4]["elements"][1]["style"] == "primary"


def test_the_owners_mention_stays_a_mention_and_everything_else_is_escaped() -> None:
    reply = Reply(
        "digest",
        "Digest",
        sections=[
            Section(
                "Dewi — 2 account(s)",
                lines=("Ticket: <!channel> read <https://x.io|this> & more",),
                mention="U0DEWI0001",
            )
        ],
    )
    text = blocks_for(reply)[1]["text"]["text"]
    assert text.startswith("<@U0DEWI0001> *Dewi — 2 account(s)*")
    assert "&lt;!channel&gt;" in text and "&lt;https://x.io|this&gt;" in text and "&amp; more" in text
    assert escape("<#C0123|team> <!subteam^S1>") == "&lt;#C0123|team&gt; &lt;!subteam^S1&gt;"


def test_mention_markup_and_direction_overrides_in_data_are_neutralised() -> None:
    hostile = "Kopi <!subteam^S0CSLEADS> <@U0BOSS0001> <#C0SECRET> <!here> \u202etxt.exe"
    reply = Reply(
        "digest",
        f"Digest — {hostile}",
        sections=[Section(f"Dewi — {hostile}", lines=(f"• {hostile}",), fields=(("Account", hostile),),
                          mention="U0DEWI0001")],
        context=hostile,
    )  # fmt: skip
    everything = json.dumps([blocks_for(reply), fallback_text(reply)], ensure_ascii=False)
    for markup in ("<!subteam^S0CSLEADS>", "<@U0BOSS0001>", "<#C0SECRET>", "<!here>", "\u202e"):
        assert markup not in everything
    assert "&lt;@U0BOSS0001&gt;" in everything and "<@U0DEWI0001>" in everything


def test_a_notice_is_a_plain_line_and_a_draft_is_verbatim() -> None:
    notice = blocks_for(Reply("prep", "Sorry, I can only help registered CSMs.", ok=False))
    assert notice == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Sorry, I can only help registered CSMs."}}
    ]
    draft = blocks_for(
        Reply("draft", "Draft for Kopi", subject="Hello", forward="Halo Bu Sari,\n\n*Terima kasih*")
    )
    assert draft[1]["text"]["text"] == "*Subject:* Hello"
    assert draft[2]["text"]["text"] == "```\nHalo Bu Sari,\n\n*Terima kasih*\n```"


def test_a_title_with_a_mention_is_not_a_header() -> None:
    blocks = blocks_for(Reply("digest", "Hi <@U0DEWI0001>", data={"mentions": ["U0DEWI0001"]}))
    assert blocks[0]["type"] == "section" and blocks[0]["text"]["text"] == "Hi <@U0DEWI0001>"


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400) | st.builds(
    lambda c, n: c * n, st.sampled_from(["&", "<", "x ", "é", "\n", "ก"]), st.integers(0, 4000)
)


@settings(max_examples=60, deadline=None)
@given(
    title=text,
    sections=st.lists(
        st.builds(
            Section,
            heading=text,
            lines=st.lists(text, max_size=4).map(tuple),
            fields=st.lists(st.tuples(text, text), max_size=13).map(tuple),
        ),
        max_size=30,
    ),
    labels=st.lists(text, max_size=40),
    ok=st.booleans(),
    forward=text,
)
def test_any_reply_renders_within_limits(title, sections, labels, ok, forward) -> None:
    reply = Reply(
        "prep",
        title,
        sections=sections,
        buttons=[Button(x, "prep", x) for x in labels],
        ok=ok,
        forward=forward,
    )
    assert_within_limits(blocks_for(reply))
