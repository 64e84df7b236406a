"""The timing guard, as the CSM meets it: `prep` leads with “not now” and prepares a value and
health call; `draft` writes a check-in that offers nothing, quotes no price and says why."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from test_writers_support import CHANNELS, LANGUAGES, all_facts, ask, section, text_of, variant

from prompts import grounding
from prompts.facts import Facts
from prompts.schema import Draft

PORTFOLIO = Path(__file__).parents[1] / "storage" / "demo" / "portfolio.yaml"
OFFER_WORDS = re.compile(
    r"\btrial\b|uji coba|percubaan|discount|diskon|diskaun|\bupgrade\b|more seats|bundle|prepay", re.I
)


def guarded() -> dict[str, str]:
    """The demo accounts built to show the timing guard, with what each one shows."""
    accounts = yaml.safe_load(PORTFOLIO.read_text("utf-8"))["accounts"]
    return {a["id"]: a["shows"] for a in accounts if a["shows"].startswith("timing guard")}


pytest_plugins = ["test_writers_support"]  # demo_facts
GUARDED = guarded()
AT_RISK = [i for i, shows in GUARDED.items() if "at risk" in shows]
TOO_NEW = [i for i, shows in GUARDED.items() if "too new" in shows]
SAID_NO = [i for i, shows in GUARDED.items() if "said no" in shows]


def test_the_demo_shows_every_kind_of_not_now() -> None:
    assert AT_RISK and TOO_NEW and SAID_NO


def test_prep_leads_with_not_now_and_prepares_a_value_and_health_call(demo_engine) -> None:
    facts = all_facts(demo_engine)
    for account_id in sorted(GUARDED):
        prep_is_a_value_call(demo_engine, facts[account_id], account_id)


def prep_is_a_value_call(demo_engine, f: Facts, account_id: str) -> None:
    assert not f.assessment.timing.ok, account_id  # the engine agrees this account must not be pushed
    reply = ask(demo_engine, f"prep {account_id}")
    first = reply.sections[0]
    assert re.search(r"\bnot now\b", first.heading, re.I), [s.heading for s in reply.sections]
    why = " ".join(first.lines)
    for reason in f.assessment.timing.reasons:
        assert reason in why  # the reasons the engine gave, shown first
    brief = reply.data["brief"]
    assert re.search(r"value|health", brief["summary"], re.I)
    assert re.search(r"\bno offer\b", " ".join(brief["objectives"]), re.I)
    talk = text_of({k: brief[k] for k in ("summary", "questions", "value_points", "objectives")})
    offers = [o.offering_name for o in f.assessment.opportunities if o.type != "seats"]
    assert not [name for name in offers if name in talk]
    assert grounding.check(talk, f.grounds(offer=False)) == []  # no price to quote on this call
    assert len(brief["questions"]) == 5


def test_draft_is_a_check_in_that_offers_nothing_and_says_why(demo_engine) -> None:
    facts = all_facts(demo_engine)
    for account_id in sorted(GUARDED):
        draft_is_a_check_in(demo_engine, facts[account_id], account_id)


def draft_is_a_check_in(demo_engine, f: Facts, account_id: str) -> None:
    for command in (f"draft {account_id}", f"draft {account_id} whatsapp", f"draft {account_id} email en"):
        reply = ask(demo_engine, command)
        assert reply.data["draft"]["kind"] == "check_in"
        assert reply.title.startswith("Check-in"), reply.title
        why = " ".join(section(reply, "Check-in")[:3])
        assert any(r in why for r in f.assessment.timing.reasons), why
        text = reply.subject + "\n" + reply.forward
        assert grounding.check(text, f.grounds(offer=False)) == [], command
        assert not OFFER_WORDS.search(text), (command, OFFER_WORDS.search(text))
        assert not reply.data["draft"]["body"].count("%") > 1  # a usage recap at most, never a price cut
    buttons = {b.action for b in ask(demo_engine, f"draft {account_id}").buttons}
    assert "proposed" not in buttons  # nothing was proposed, so nothing to mark


def test_check_ins_offer_nothing_in_any_language_or_channel(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    problems = []
    for account_id in GUARDED:
        base = demo_facts[account_id]
        for language in LANGUAGES:
            for channel in CHANNELS:
                f = variant(base, language, channel)
                out = demo_drafts[account_id, language, channel]
                text = out.subject + "\n" + out.body
                problems += [
                    f"{account_id} {language} {channel}: {p}"
                    for p in grounding.check(text, f.grounds(offer=False))
                ]
                if m := OFFER_WORDS.search(text):
                    problems.append(f"{account_id} {language} {channel}: {m.group(0)}")
    assert not problems, "\n".join(problems)


def test_each_reason_gets_the_call_it_needs(demo_engine) -> None:
    """At risk: find what is broken. Too new: help the start. Said no: respect it, with a date to revisit."""
    for account_id in AT_RISK:
        reply = ask(demo_engine, f"prep {account_id}")
        assert re.search(r"health \d+", " ".join(reply.sections[0].lines))
        assert re.search(r"not working|problem|fix", " ".join(reply.data["brief"]["questions"]), re.I)
    for account_id in TOO_NEW:
        reply = ask(demo_engine, f"prep {account_id}")
        brief = text_of(reply.data["brief"])
        assert re.search(r"\d+ days", " ".join(reply.sections[0].lines))
        assert re.search(r"first weeks|onboarding|getting started", brief, re.I)
        assert not re.search(r"rebuild confidence|not working|while we fix", brief, re.I), brief
    for account_id in SAID_NO:
        f = all_facts(demo_engine)[account_id]
        reply = ask(demo_engine, f"prep {account_id}")
        revisit = f.assessment.timing.revisit_on
        assert revisit and revisit > f.assessment.today
        assert revisit.isoformat() in " ".join(reply.sections[0].lines)
        assert not re.search(r"not working|while we fix", text_of(reply.data["brief"]), re.I)


def test_a_healthy_account_gets_a_proposal_not_a_check_in(demo_engine) -> None:
    """The guard is not a blanket: a ready account is prepared for a proposal."""
    f = all_facts(demo_engine)["ID-001"]
    assert f.assessment.timing.ok and f.mode == "proposal"
    reply = ask(demo_engine, "prep Kopi Nusantara")
    assert not re.search(r"not now", reply.sections[0].heading, re.I)
    assert ask(demo_engine, "draft Kopi Nusantara").data["draft"]["kind"] == "proposal"


def test_an_objection_from_a_not_now_account_is_answered_without_selling(demo_engine) -> None:
    for account_id in AT_RISK + TOO_NEW:
        f = all_facts(demo_engine)[account_id]
        for kind in ("budget", "happy", "think"):
            reply = ask(demo_engine, f"objection {account_id} {kind}")
            assert re.search(r"not now", reply.sections[0].heading, re.I)
            answer = text_of(reply.data["answer"])
            assert grounding.check(answer, f.grounds(offer=False)) == [], (account_id, kind)
            assert not OFFER_WORDS.search(answer), (account_id, kind, OFFER_WORDS.search(answer))
