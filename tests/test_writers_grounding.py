"""Facts are computed, prose is written: every amount, percentage, discount and date a writer puts
in front of a CSM or a customer is one the facts computed, and the check that guards this works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel
from test_writers_support import CHANNELS, LANGUAGES, LEFTOVERS, all_facts, ask, text_of, variant

from prompts import grounding
from prompts.checks import review, ungrounded
from prompts.facts import Facts
from prompts.offline import OBJECTIONS, OfflineWriter
from prompts.schema import Draft

pytest_plugins = ["test_writers_support"]  # demo_facts


@pytest.fixture
def kopi(demo_facts: dict[str, Facts]) -> Facts:
    """Kopi Nusantara: a Tier 2 proposal in Bahasa Indonesia, on WhatsApp."""
    return variant(demo_facts["ID-001"], "id", "whatsapp")


def test_the_offline_writer_passes_its_own_review_for_every_account(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    """Drafts in every channel and language, the brief and the three objection answers: grounded,
    in form for their channel, and with nothing left unfilled."""
    writer = OfflineWriter()
    problems = []

    def check(task: str, out: BaseModel, f: Facts, where: str) -> None:
        nonlocal problems
        problems += [f"{where}: {p}" for p in review(task, out, f)]
        if left := LEFTOVERS.search(text_of(out)):
            problems.append(f"{where}: left in the text: {left.group(0)!r}")

    for account_id, base in demo_facts.items():
        for language in LANGUAGES:
            for channel in CHANNELS:
                f = variant(base, language, channel)
                check(
                    "draft",
                    demo_drafts[account_id, language, channel],
                    f,
                    f"{account_id} draft {language} {channel}",
                )
            f = variant(base, language, "whatsapp")
            for kind in OBJECTIONS:
                check("objection", writer.objection(f, kind).output, f, f"{account_id} {kind} {language}")
            check("brief", writer.brief(f).output, f, f"{account_id} brief {language}")
    assert not problems, "\n".join(problems)


def test_every_number_a_user_reads_comes_from_the_facts(demo_engine) -> None:
    """The whole reply as a channel shows it, sections and all, checked against the account's facts."""
    problems = []
    for account_id, f in all_facts(demo_engine).items():
        for command in ("prep", "draft", "draft {} whatsapp", "objection {} budget", "objection {} think"):
            text = command.format(account_id) if "{}" in command else f"{command} {account_id}"
            found = grounding.check(ask(demo_engine, text).text, f.grounds(offer=True))
            problems += [f"{text}: {p}" for p in found]
    assert not problems, "\n".join(problems)


def test_a_check_in_quotes_no_price_and_names_no_offer(demo_facts: dict[str, Facts]) -> None:
    for account_id, f in demo_facts.items():
        if f.mode == "proposal" or not f.best:
            continue
        out = OfflineWriter().draft(f).output
        assert ungrounded("draft", out, f) == [], account_id
        priced = Draft(subject=out.subject, body=out.body + f"\n\n{f.money(f.best.price)}")
        assert any("must not quote prices" in p for p in ungrounded("draft", priced, f)), account_id


def test_the_check_catches_amounts_not_in_the_facts(kopi: Facts) -> None:
    """The real price in every form the writers use passes; a price the facts never computed does not."""
    best = kopi.best
    assert best is not None
    grounds = kopi.grounds()
    right = [kopi.money(best.price), kopi.with_language("en").money(best.price)]
    right.append(variant(kopi, "id", "email").money(best.price))
    for text in right:
        assert grounding.check(f"Investasinya {text}.", grounds) == [], text
    wrong = best.price.amount * 1.3
    for f in (kopi, kopi.with_language("en"), variant(kopi, "id", "email")):
        text = f.money(wrong)
        assert grounding.check(f"Investasinya {text}.", grounds), text
    millions = best.price.amount / 1e6
    assert grounding.check(f"about {millions + 2:g} million", grounds)  # no currency, still money
    assert grounding.check(f"sekitar {millions + 2:g} juta", grounds)
    assert grounding.check(f"Rp {millions - 0.2:.1f} jt".replace(".", ","), grounds)  # close is not equal


def test_the_check_catches_discounts_the_catalog_does_not_offer(kopi: Facts) -> None:
    grounds = kopi.grounds()
    for text in (
        "Get 30% off if you sign this month.",
        "Kami beri diskon 30% khusus untuk Bapak.",
        "We can give you a discount.",
        "A special price, just for Kopi Nusantara.",
        "Harga khusus untuk Bapak Andi.",
        "Three months free: 3 months free if you sign.",
        "Gratis 3 bulan untuk tim.",
    ):
        assert grounding.check(text, grounds), text
    for d in kopi.catalog.discounts:  # the catalog's own standing offers may be named
        if d.months_free:
            text = f"Our “{d.name}” offer: pay a year in advance, {d.months_free} months free."
            assert grounding.check(text, grounds) == [], text


def test_the_check_catches_dates_not_in_the_facts(kopi: Facts) -> None:
    grounds = kopi.grounds()
    today = kopi.assessment.today
    assert grounding.check(f"sekitar {kopi.date(kopi.follow_up)}", grounds) == []
    assert grounding.check(f"around {kopi.with_language('en').date(kopi.follow_up)}", grounds) == []
    invented = today + timedelta(days=40)
    for text in (
        f"sebelum {kopi.date(invented)}",
        f"by {kopi.with_language('en').date(invented)}",
        f"on {invented.isoformat()}",
        f"the {invented.day}th of {invented.strftime('%B')}",
        f"{invented.strftime('%B')} {invented.day}, {invented.year}",
    ):
        assert grounding.check(text, grounds), text


def test_the_check_catches_counts_percentages_and_other_customers(kopi: Facts) -> None:
    grounds = kopi.grounds()
    assert grounding.check(f"{kopi.active_users} pengguna aktif", grounds) == []
    assert grounding.check(f"{kopi.active_users + 7} pengguna aktif", grounds)
    adoption = round(kopi.latest.feature_adoption * 100)  # type: ignore[union-attr]
    assert grounding.check(f"{adoption}% fitur", grounds) == []
    assert grounding.check(f"{adoption - 11}% fitur", grounds)
    other = kopi.other_accounts[0]
    assert grounding.check(f"Seperti {other}, tim Bapak bisa berkembang.", grounds)
    assert grounding.check("Halo {name}, [your name] here. TODO", grounds)
