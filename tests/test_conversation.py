"""Conversations as a CSM has them (errbot style: push lines into the console transport, read the panels
back): follow-ups stay on the account, options carry over, the memory forgets after its window, and a
sentence the bot cannot place gets a short "did you mean", never the whole help nor a wrong account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import TODAY
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from bot.cli import app
from handlers.commands import Command, parse
from handlers.context import Context
from handlers.dispatch import MEMORY_TTL, handle, handle_text
from handlers.reply import Reply
from storage import models as db
from storage.db import session_scope
from storage.models import utcnow

DEWI = "dewi@example.com"
PANEL_TITLE = re.compile(r"╭─ (.*?) ─+╮")  # after the "> " prompt


class ConsoleBot:
    """The console transport driven as errbot's test bot is: lines in, one panel (reply) per line out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, caller: str = DEWI) -> None:
        monkeypatch.setenv("COLUMNS", "240")  # whole titles, so a test reads what the user reads
        self.caller = caller

    def talk(self, *lines: str) -> list[str]:
        """Each reply as the text of its panel, title first."""
        result = CliRunner().invoke(app, ["chat", "--as", self.caller], input="\n".join(lines) + "\nquit\n")
        assert result.exit_code == 0, result.output
        starts = [m.start() for m in PANEL_TITLE.finditer(result.output)]
        ends = [*starts[1:], len(result.output)]
        panels = [result.output[a:b] for a, b in zip(starts, ends, strict=True)]
        assert len(panels) == len(lines), result.output
        return panels


@pytest.fixture
def bot(env_db: str, monkeypatch: pytest.MonkeyPatch) -> ConsoleBot:
    loaded = CliRunner().invoke(app, ["demo"])
    assert loaded.exit_code == 0, loaded.output
    return ConsoleBot(monkeypatch)


def title(panel: str) -> str:
    found = PANEL_TITLE.search(panel)
    assert found
    return found.group(1)


def test_prep_then_a_whatsapp_in_bahasa_then_an_objection_all_about_the_same_account(bot: ConsoleBot) -> None:
    prep, draft, think = bot.talk(
        "prep Kopi Nusantara", "draft it for WhatsApp in Bahasa", "they said let me think"
    )
    assert title(prep).startswith("Call prep — Kopi Nusantara")
    assert title(draft) == "Draft for Kopi Nusantara — whatsapp, Bahasa Indonesia"
    assert title(think) == "Answering “Let me think about it” — Kopi Nusantara"
    for panel in (draft, think):
        assert "About Kopi Nusantara, from our conversation." in panel
        assert "ID-001" in panel


def test_a_follow_up_changes_only_what_it_says(bot: ConsoleBot) -> None:
    first, english, email = bot.talk(
        "draft Kopi Nusantara whatsapp id", "and in English please", "make it an email"
    )
    assert title(first) == "Draft for Kopi Nusantara — whatsapp, Bahasa Indonesia"
    assert title(english) == "Draft for Kopi Nusantara — whatsapp, English"
    assert title(email) == "Draft for Kopi Nusantara — email, English"


def test_questions_follow_the_conversation_and_answer_in_the_askers_language(bot: ConsoleBot) -> None:
    _, renew, kapan = bot.talk("prep Batik Sentosa", "when do they renew?", "kapan mereka perpanjang?")
    assert title(renew) == "Batik Sentosa — renewal" and "Batik Sentosa renews on" in renew
    assert title(kapan) == "Batik Sentosa — perpanjangan" and "Batik Sentosa diperpanjang pada" in kapan


def test_the_memory_forgets_after_its_window(demo_engine: Engine) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, user_key="console:window")
    assert handle_text("prep Kopi Nusantara", ctx).ok
    assert handle_text("draft it for WhatsApp", ctx).data["account"]["id"] == "ID-001"
    with session_scope(demo_engine) as session:
        stale = utcnow() - MEMORY_TTL - timedelta(minutes=1)
        session.execute(
            update(db.ChatMemory).where(db.ChatMemory.user_key == ctx.user_key).values(updated_at=stale)
        )
    later = handle_text("draft it for WhatsApp", ctx)
    assert not later.ok and later.title.startswith("Which account?")
    assert "account" not in later.data


def test_strict_commands_answer_exactly_as_before(demo_engine: Engine) -> None:
    """The command language is untouched: the same reply through free-text dispatch as parsed directly."""
    for text in (
        "prep Kopi Nusantara",
        "expansion ID-002",
        "draft Kopi Nusantara whatsapp id",
        "objection Kopi Nusantara tidak ada budget",
        "help",
    ):
        ctx = Context(demo_engine, TODAY, caller_email=DEWI, request_id="same")
        via_text, direct = handle_text(text, ctx), handle(parse(text), ctx)
        assert via_text.text == direct.text and via_text.data == direct.data


def test_an_ambiguous_name_asks_back_with_the_candidates_as_buttons(demo_engine: Engine) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, user_key="console:ambiguous")
    reply = handle_text("when does Kopi renew?", ctx)
    assert not reply.ok and reply.title == "Which “Kopi” do you mean?"
    picks = {b.value.split("|")[0]: b for b in reply.buttons}
    assert {"ID-001", "MY-001"} <= set(picks)
    assert picks["ID-001"].value == "ID-001|question|renewal" and picks["ID-001"].command == "renewal ID-001"
    assert handle_text(picks["ID-001"].command, ctx).title == "Kopi Nusantara — renewal"  # typed, it works


def test_an_unknown_account_is_said_even_when_we_were_talking_about_another(demo_engine: Engine) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, user_key="console:unknown")
    handle_text("prep Kopi Nusantara", ctx)
    reply = handle_text("what should I pitch to Atlantis Corp?", ctx)
    assert not reply.ok and reply.title == "I couldn't find an account called “Atlantis Corp”."
    assert "Kopi" not in reply.text


def test_unknown_input_gets_a_short_did_you_mean_from_the_callers_own_accounts(demo_engine: Engine) -> None:
    reply = handle_text("hmm not sure", Context(demo_engine, TODAY, caller_email=DEWI))
    assert not reply.ok and reply.title == "I'm not sure what you mean. Did you mean:"
    suggestions = reply.data["suggestions"]
    assert len(suggestions) == 3 and suggestions[-1] == "who is ready today?"
    with session_scope(demo_engine) as session:
        own = set(session.scalars(select(db.Account.name).where(db.Account.csm_email == DEWI)))
    assert suggestions[0].removeprefix("prep ") in own
    assert "pipeline — opportunities" not in reply.text  # not the whole help
    for typed in suggestions:  # every suggestion works when typed
        assert handle_text(typed, Context(demo_engine, TODAY, caller_email=DEWI)).ok


def test_an_account_without_an_intent_offers_its_prep_expansion_and_draft(demo_engine: Engine) -> None:
    reply = handle_text("Kopi Nusantara", Context(demo_engine, TODAY, caller_email=DEWI))
    assert reply.title == "What would you like for Kopi Nusantara?"
    assert [b.command for b in reply.buttons] == [
        "prep Kopi Nusantara",
        "expansion Kopi Nusantara",
        "draft Kopi Nusantara",
    ]


@pytest.mark.parametrize(
    ("text", "said", "assumed"),
    [
        ("draft Kopi Nusantara whatsapp jp", "“jp”", "Assumed: Bahasa Indonesia (the account's language"),
        ("draft Kopi Nusantara fax", "“fax”", "Assumed: email (the default"),
    ],
)
def test_a_word_not_understood_is_said_with_what_was_assumed(
    demo_engine: Engine, text: str, said: str, assumed: str
) -> None:
    reply: Reply = handle_text(text, Context(demo_engine, TODAY, caller_email=DEWI))
    assert reply.ok and reply.data["account"]["id"] == "ID-001"
    note = "\n".join(reply.sections[0].lines)
    assert f"I didn't understand {said}, so I left it out." in note and assumed in note
    assert reply.data["understood"]["not_understood"] == [said.strip("“”")]


@pytest.mark.parametrize("typed", ["CÔNG TY HÒA PHÁT SỐ", "cong ty hoa phat so", "Công ty Hòa Phát Số"])
def test_a_name_is_the_same_name_whatever_its_case_and_accents(demo_engine: Engine, typed: str) -> None:
    """One rule for "the same name" (fold), on SQLite and PostgreSQL alike."""
    reply = handle_text(f"expansion {typed}", Context(demo_engine, TODAY, caller_email=DEWI))
    assert reply.data["account"]["id"] == "VN-001"


def test_understanding_never_raises_and_a_long_message_is_refused_as_before(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, request_id="ref123")
    assert (
        handle_text("x" * 600, ctx).title == "That message is too long for a command (over 500 characters)."
    )

    def broken(*_: object) -> list[tuple[str, str]]:
        raise RuntimeError("database gone")

    monkeypatch.setattr("handlers.understanding.converse.account_names", broken)
    reply = handle_text("what should I pitch to Kopi Nusantara?", ctx)
    assert not reply.ok and "(ref ref123)" in reply.title


def test_free_text_never_records_an_outcome_on_its_own(demo_engine: Engine) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, user_key="console:outcome")
    with session_scope(demo_engine) as session:
        before = len(list(session.scalars(select(db.Outcome))))
    reply = handle_text("Batik Sentosa signed!", ctx)
    assert reply.title == "Record a win for Batik Sentosa?" and reply.data["confirm"] == "outcome ID-002 won"
    (confirm,) = reply.buttons
    assert (confirm.action, confirm.value) == ("outcome", "ID-002|won|")
    assert handle_text("Batik Sentosa tidak tertarik", ctx).title == "Catat tidak untuk Batik Sentosa?"
    with session_scope(demo_engine) as session:
        assert len(list(session.scalars(select(db.Outcome)))) == before  # nothing recorded yet
    assert parse(confirm.command) == Command("outcome", account="ID-002", outcome="won")  # typed, it records


def test_a_workflow_command_with_more_than_a_name_keeps_its_account(demo_engine: Engine) -> None:
    ctx = Context(demo_engine, TODAY, caller_email=DEWI, user_key="console:workflow")
    reply = handle_text("snooze Kopi Nusantara please", ctx)
    assert reply.ok and reply.title.startswith("Snoozed Kopi Nusantara until")
