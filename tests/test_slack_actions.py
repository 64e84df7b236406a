"""Each button, clicked in Slack, and App Home: what the person who clicked sees next."""

from __future__ import annotations

from sqlalchemy import select
from test_slack_support import (
    DEWI,
    STRANGER,
    Harness,
    block_texts,
    buttons,
)

from handlers.dispatch import NOT_REGISTERED
from storage import models as db
from storage.db import session_scope

pytest_plugins = ["test_slack_support"]  # the fake Slack and the app fixtures


def _open(slack: Harness, account_id: str) -> list[db.Opportunity]:
    with session_scope(slack.engine) as session:
        rows = session.scalars(select(db.Opportunity).where(db.Opportunity.account_id == account_id))
        return [r for r in rows if r.status in {"identified", "qualified", "proposed"}]


def test_button_clicks_ack_with_an_empty_200(slack: Harness) -> None:
    response = slack.click("snooze:8", "ID-001")
    assert response.status_code == 200 and response.text == ""


def test_mark_proposed_asks_which_offer_then_moves_that_one_only(slack: Harness) -> None:
    slack.click("proposed:6", "ID-001")
    chooser = slack.answer("c1").body
    assert chooser["response_type"] == "ephemeral" and chooser["replace_original"] is False
    assert "Which offer for Kopi Nusantara? It has 2 open." in chooser["text"]
    assert [v for _, a, v in buttons(chooser["blocks"]) if a == "proposed"] == [
        "ID-001|tier2",
        "ID-001|accounting",
    ]
    slack.click("proposed:0", "ID-001|tier2", url="c2")
    body = slack.answer("c2").body
    assert body["replace_original"] is True  # the question is replaced by what happened
    assert body["blocks"][0]["text"]["text"] == "Marked as proposed: Kopi Nusantara"
    assert ("Record outcome", "outcome", "ID-001|||tier2") in buttons(body["blocks"])
    assert {(o.offering, o.status) for o in _open(slack, "ID-001")} == {
        ("tier2", "proposed"),
        ("accounting", "identified"),
    }


def test_snooze_keeps_the_account_out_of_the_digest_for_30_days(slack: Harness) -> None:
    slack.click("snooze:8", "ID-001")
    assert slack.answer("c1").body["text"].startswith("Snoozed Kopi Nusantara until 2026-12-24")
    assert {str(o.snoozed_until) for o in _open(slack, "ID-001")} == {"2026-12-24"}
    slack.slash("/digest", "", url="r9")
    digest = slack.fake.wait_for("chat.update")[0].body["text"]
    assert "Batik Sentosa" in digest and "Kopi Nusantara (ID-001)" not in digest


def test_record_outcome_offers_the_four_outcomes_then_records_one_in_place(slack: Harness) -> None:
    slack.click("outcome:7", "ID-001")
    chooser = slack.answer("c1").body
    assert "How did it go with Kopi Nusantara?" in chooser["text"]
    choices = buttons(chooser["blocks"])
    assert [v for _, _, v in choices] == ["ID-001|won", "ID-001|lost", "ID-001|no", "ID-001|maybe"]
    slack.click("outcome:3", "ID-001|maybe", url="c2")
    which = slack.answer("c2").body  # two offers are open: which one was it?
    assert [v for _, _, v in buttons(which["blocks"])][:2] == [
        "ID-001|maybe||tier2",
        "ID-001|maybe||accounting",
    ]
    slack.click("outcome:1", "ID-001|maybe||accounting", url="c3")
    recorded = slack.answer("c3").body
    assert recorded["replace_original"] is True  # the chooser is replaced by what happened
    assert "A maybe recorded for Kopi Nusantara" in recorded["text"]
    assert "1-month free trial of the Accounting Module add-on" in recorded["text"]


def test_not_relevant_stores_feedback_and_closes(slack: Harness) -> None:
    slack.click("proposed:0", "ID-002")
    slack.answer("c1")
    slack.click("not_relevant:0", "ID-002", url="c2")
    assert "Noted: not relevant for Batik Sentosa" in slack.answer("c2").body["text"]
    assert _open(slack, "ID-002") == []


def test_pick_a_suggestion_replaces_the_question_with_the_answer(slack: Harness) -> None:
    slack.click("pick:0", "ID-001|expansion")
    body = slack.answer("c1").body
    assert body["replace_original"] is True
    assert "Kopi Nusantara" in body["blocks"][0]["text"]["text"]
    share = [b for b in buttons(body["blocks"]) if b[1] == "share"]
    assert share and share[0][2].endswith("|expansion ID-001")


def test_share_posts_exactly_what_the_user_saw_in_the_channel(slack: Harness) -> None:
    slack.slash("/expansion", "Kopi Nusantara")
    private = slack.answer().body
    _, _, value = next(b for b in buttons(private["blocks"]) if b[1] == "share")
    slack.click("share:9", value, url="c3")
    shared = slack.answer("c3").body
    assert shared["response_type"] == "in_channel"
    assert shared["blocks"][0] == private["blocks"][0]
    assert "share" not in {a for _, a, _ in buttons(shared["blocks"])}
    assert f"Shared by <@{DEWI}>" in block_texts(shared["blocks"])


def test_share_after_a_restart_runs_the_command_again(slack: Harness) -> None:
    slack.click("share:0", "gone|expansion ID-001")
    shared = slack.answer("c1").body
    assert shared["response_type"] == "in_channel" and "Kopi Nusantara" in shared["text"]


def test_draft_email_button_answers_with_the_draft(slack: Harness) -> None:
    slack.click("draft:1", "ID-001|email|")
    body = slack.answer("c1").body
    assert body["replace_original"] is False
    assert "```" in block_texts(body["blocks"])  # the draft, verbatim, ready to copy
    assert "share" in {a for _, a, _ in buttons(body["blocks"])}


def test_objection_button_answers_for_that_objection(slack: Harness) -> None:
    slack.click("objection:3", "ID-001|budget")
    body = slack.answer("c1").body
    assert "Kopi Nusantara" in body["text"] and body["response_type"] == "ephemeral"


def test_command_buttons_reach_the_same_handlers_as_typing(slack: Harness, monkeypatch) -> None:
    from handlers import dispatch
    from handlers.reply import Reply

    seen = []

    def spy(name):
        def handle(command, ctx, session, account_id):
            seen.append((command, account_id))
            return Reply(command=name, title=f"{name} for {account_id}")

        return handle

    for name in ("draft", "objection", "prep"):
        monkeypatch.setitem(dispatch.HANDLERS, name, spy(name))
    slack.click("draft:1", "ID-001|whatsapp|id", url="c1")
    slack.click("objection:3", "ID-001|think", url="c2")
    slack.click("prep:0", "ID-002", url="c3")
    assert slack.answer("c1").body["text"].startswith("draft for ID-001")
    assert slack.answer("c2").body["text"].startswith("objection for ID-001")
    assert slack.answer("c3").body["text"].startswith("prep for ID-002")
    commands = {c.name: c for c, _ in seen}
    assert (commands["draft"].channel, commands["draft"].language) == ("whatsapp", "id")
    assert commands["objection"].objection == "think"


def test_a_stale_or_forged_button_value_is_refused_politely(slack: Harness) -> None:
    slack.click("draft:1", "ID-001|fax|")
    assert "out of date" in slack.answer("c1").body["text"]


def test_app_home_shows_the_callers_open_opportunities_and_top_accounts(slack: Harness) -> None:
    slack.click("proposed:6", "ID-001|tier2")
    slack.answer("c1")
    slack.event({"type": "app_home_opened", "user": DEWI, "tab": "home", "channel": "D0DEWI"})
    publish = slack.fake.wait_for("views.publish")[0].body
    assert publish["user_id"] == DEWI and publish["view"]["type"] == "home"
    text = block_texts(publish["view"]["blocks"])
    assert "Expansion Bot — Dewi Lestari" in text
    assert "Your open opportunities (" in text and "*Kopi Nusantara* (ID-001)" in text and "proposed" in text
    assert "Today's top accounts — jakarta" in text
    assert any(a == "prep" for _, a, _ in buttons(publish["view"]["blocks"]))


def test_app_home_click_answers_in_the_dm_and_refreshes_the_home(slack: Harness) -> None:
    slack.click("snooze:0", "ID-001", home=True)
    update = slack.fake.wait_for("chat.update")[0].body
    assert update["channel"] == "D0DEWI0001" and "Snoozed Kopi Nusantara" in update["text"]
    home = slack.fake.wait_for("views.publish")[0].body
    assert "snoozed until 2026-12-24" in block_texts(home["view"]["blocks"])


def test_app_home_of_a_stranger_is_the_polite_line(slack: Harness) -> None:
    slack.event({"type": "app_home_opened", "user": STRANGER, "tab": "home"})
    view = slack.fake.wait_for("views.publish")[0].body["view"]
    assert block_texts(view["blocks"]) == NOT_REGISTERED


def test_pipeline_in_slack_carries_the_chart_uploaded_under_its_answer(slack: Harness) -> None:
    slack.click("outcome:0", "ID-001|won||tier2")  # one win, so there is revenue to draw
    slack.answer("c1")
    slack.slash("/pipeline", "", url="r2")
    update = slack.fake.wait_for("chat.update")[0].body
    assert "Expansion pipeline" in update["text"] and "Rp 4.500.000" in update["text"]
    (complete,) = slack.fake.wait_for("files.completeUploadExternal")
    (upload,) = [c for c in slack.fake.calls if c.kind == "upload"]
    (asked,) = slack.fake.received("files.getUploadURLExternal")
    assert asked.body["filename"] == "pipeline.png" and int(asked.body["length"]) == len(
        upload.body["content"]
    )
    assert upload.body["content"][:8] == b"\x89PNG\r\n\x1a\n"
    assert complete.body["channel_id"] == update["channel"]
    assert [f["id"] for f in complete.body["files"]] == [upload.name]
