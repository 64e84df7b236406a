"""handle_action, the channel-neutral side of every button (WhatsApp and digests reuse it)."""

from __future__ import annotations

import pytest
from builders import TODAY

from handlers.actions import as_text, handle_action
from handlers.commands import parse
from handlers.context import Context
from handlers.dispatch import NOT_REGISTERED


def ctx(engine, email: str = "dewi@example.com", channel: str = "whatsapp") -> Context:
    return Context(
        engine=engine, today=TODAY, caller_email=email, user_key=f"{channel}:{email}", channel=channel
    )


def test_workflow_actions_need_a_registered_csm(demo_engine) -> None:
    for action in ("qualify", "proposed", "snooze", "not_relevant", "outcome"):
        reply = handle_action(action, "ID-001", ctx(demo_engine, "stranger@example.com"))
        assert reply.text == NOT_REGISTERED and not reply.ok


def test_the_operator_console_needs_no_registration(demo_engine) -> None:
    reply = handle_action("snooze", "ID-001", ctx(demo_engine, "", channel="console"))
    assert reply.ok and reply.data["snoozed_until"] == "2026-12-24"


def test_proposed_on_an_untracked_account_records_it_then_asks_which_offer(demo_engine) -> None:
    reply = handle_action("proposed", "ID-001", ctx(demo_engine))
    assert reply.ok and reply.title == "Which offer for Kopi Nusantara? It has 2 open."
    assert [(b.label, b.action, b.value, b.command) for b in reply.buttons] == [
        ("Tier 2", "proposed", "ID-001|tier2", "propose ID-001 1"),
        ("Accounting Module", "proposed", "ID-001|accounting", "propose ID-001 2"),
    ]
    chosen = handle_action("proposed", "ID-001|accounting", ctx(demo_engine))
    assert chosen.data["status"] == "proposed"
    assert chosen.data["opportunities"] == [{"id": 2, "offering": "accounting", "status": "proposed"}]
    assert chosen.data["account"] == {"id": "ID-001", "name": "Kopi Nusantara", "country": "ID"}


def test_an_account_held_back_by_the_timing_guard_has_nothing_to_snooze(demo_engine) -> None:
    reply = handle_action("snooze", "ID-004", ctx(demo_engine))  # health 52: not now
    assert not reply.ok and "nothing to snooze" in reply.title


def test_outcome_without_a_choice_asks_with_four_buttons_that_type_as_commands(demo_engine) -> None:
    reply = handle_action("outcome", "ID-001", ctx(demo_engine))
    assert [b.command for b in reply.buttons] == [
        f"outcome ID-001 {o}" for o in ("won", "lost", "no", "maybe")
    ]
    which = handle_action("outcome", "ID-001|won", ctx(demo_engine))  # two offers open: which one?
    assert [b.value for b in which.buttons] == ["ID-001|won||tier2", "ID-001|won||accounting"]
    won = handle_action("outcome", which.buttons[0].value, ctx(demo_engine))
    assert won.title == "Won recorded for Kopi Nusantara"
    assert won.data["opportunities"] == [{"id": 1, "offering": "tier2", "status": "closed_won"}]
    assert won.data["still_open"] == ["accounting"]


def test_outcome_for_a_known_offer_asks_only_how_it_went(demo_engine) -> None:
    reply = handle_action("outcome", "ID-001|||accounting", ctx(demo_engine))
    assert reply.title == "How did it go with Kopi Nusantara (Accounting Module)?"
    assert reply.buttons[0].value == "ID-001|won||accounting"


def test_pick_runs_the_command_the_user_meant(demo_engine) -> None:
    reply = handle_action("pick", "MY-001|expansion|", ctx(demo_engine))
    assert reply.ok and "Kedai Kopi Damai" in reply.title


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("bogus", "ID-001"),
        ("draft", "ID-001|fax|"),
        ("objection", "ID-001|cheap"),
        ("pick", "ID-001|rm -rf|"),
        ("snooze", ""),
        ("share", "  "),
        ("outcome", "ID-001|perhaps"),
        ("snooze", "ID-001|forever"),
        ("qualify", "ID-001|tier2;drop"),
    ],
)
def test_values_this_code_did_not_write_are_refused(demo_engine, action: str, value: str) -> None:
    reply = handle_action(action, value, ctx(demo_engine))
    assert not reply.ok and "out of date" in reply.title


def test_unknown_account_in_a_workflow_button(demo_engine) -> None:
    reply = handle_action("snooze", "XX-999", ctx(demo_engine))
    assert not reply.ok and "XX-999" in reply.title


def test_share_is_the_same_answer_made_public(demo_engine) -> None:
    reply = handle_action("share", "expansion ID-001", ctx(demo_engine))
    assert reply.ok and not reply.private and "Kopi Nusantara" in reply.title


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("draft", "ID-001|whatsapp|id"),
        ("draft", "ID-001|email|"),
        ("objection", "ID-001|budget|ms"),
        ("prep", "ID-001|th"),
        ("outcome", "ID-001|no|budget frozen"),
        ("not_relevant", "ID-001|cross_sell"),
        ("pick", "ID-001|objection|think"),
    ],
)
def test_as_text_types_the_same_command_the_button_runs(action: str, value: str) -> None:
    from handlers.actions import command_for

    text = as_text(action, value)
    expected = parse(text)
    if action != "pick":
        assert command_for(action, value.split("|")) == expected
    assert expected.account == "ID-001"


def test_an_outcome_button_for_one_offer_types_as_a_command_that_closes_that_offer(demo_engine) -> None:
    from handlers.dispatch import handle_text

    text = as_text("outcome", "ID-001|won|signed at the QBR|tier2")
    assert text == "outcome ID-001 won tier2 signed at the QBR"
    reply = handle_text(text, ctx(demo_engine))
    assert (
        reply.data["opportunities"][0]["offering"] == "tier2" and reply.data["reason"] == "signed at the QBR"
    )


def test_as_text_is_empty_for_choosers_and_choices_typed_by_number() -> None:
    assert as_text("outcome", "ID-001") == as_text("share", "x|prep y") == ""
    assert as_text("qualify", "ID-001|tier2") == as_text("snooze", "ID-001") == ""
