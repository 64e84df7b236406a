"""Answering “no budget”, “we're happy”, “let me think”: acknowledge, diagnose, the account's own
evidence, only the catalog's standing offers, and a patient next step where patience is the norm."""

from __future__ import annotations

import re

from test_writers_support import LANGUAGES, ask, text_of, variant

from handlers.reply import Reply
from prompts import grounding
from prompts.facts import Facts
from prompts.offline import OBJECTIONS, OfflineWriter
from prompts.schema import ObjectionAnswer

PRESSURE = re.compile(
    r"\btoday\b|this week|\bdeadline\b|\bexpires?\b|last chance|limited time|act now|\burgent"
    r"|hari ini|minggu ini|segera|batas waktu|tarikh akhir|sebelum terlambat",
    re.I,
)
# Ways of giving the customer time, in the three full languages.
NO_RUSH = re.compile(
    r"no rush|take your time|take the time|in your own time|whenever"
    r"|tidak perlu terburu|dipertimbangkan dulu|tanpa terburu|kapan pun"
    r"|tidak perlu tergesa|tiada tergesa|ambil masa|ambillah masa|bila-bila masa",
    re.I,
)
pytest_plugins = ["test_writers_support"]  # demo_facts
RESPECT_NO = re.compile(
    r"\bno\b.{0,40}\b(?:fine|okay|understand)|\btidak\b.{0,40}(?:masalah|mengapa|memahami)", re.I
)


def answer(f: Facts, kind: str) -> ObjectionAnswer:
    return OfflineWriter().objection(f, kind).output


PHRASINGS = {
    "no budget": "budget",
    "we don't have budget": "budget",
    "tidak ada budget": "budget",
    "tak ada bajet": "budget",
    "happy with current plan": "happy",
    "sudah cukup": "happy",
    "let me think about it": "think",
    "nanti saya pikirkan dulu": "think",
    "biar saya fikir dulu": "think",
}


def test_natural_phrasings_get_the_right_answer(demo_engine) -> None:
    for said, kind in PHRASINGS.items():
        reply = ask(demo_engine, f"objection Kopi Nusantara {said}", channel="whatsapp")
        assert reply.data["objection"] == kind, said
        a_complete_answer(reply)


def a_complete_answer(reply: Reply) -> None:
    ans = reply.data["answer"]
    assert ans["acknowledge"] and ans["acknowledge"] in reply.forward
    assert 1 <= len(ans["diagnose"]) <= 3 and all(q.rstrip().endswith("?") for q in ans["diagnose"])
    assert ans["diagnose"][0] in reply.forward
    assert ans["evidence"] and all(re.search(r"\d", e) for e in ans["evidence"])  # their own numbers
    assert ans["options"] and ans["next_step"]
    assert (
        reply.forward.splitlines()[0].count("Pak Andi") == 1
    )  # greets the champion, as Indonesian chat does
    assert len(reply.forward) <= 1000 and not re.search(r"^\s*#", reply.forward, re.M)
    headings = [s.heading for s in reply.sections]
    assert headings[:5] == ["Acknowledge", "Diagnose", "Their own value", "Options", "Next step"]


def test_the_answer_is_in_the_accounts_language_unless_asked_otherwise(demo_engine) -> None:
    bahasa = ask(demo_engine, "objection Kopi Nusantara no budget")
    english = ask(demo_engine, "objection Kopi Nusantara en no budget")
    assert bahasa.data["language"] == "id" and english.data["language"] == "en"
    assert re.search(r"\banggaran\b", bahasa.forward, re.I)
    assert re.search(r"\bbudget\b", english.forward, re.I) and not re.search(r"\banggaran\b", english.forward)
    malay = ask(demo_engine, "objection Kedai Kopi Damai tiada bajet")
    assert malay.data["language"] == "ms" and re.search(r"\bbajet\b|\bperuntukan\b", malay.forward, re.I)


def test_every_answer_has_all_its_parts_and_is_grounded(demo_facts: dict[str, Facts]) -> None:
    problems = []
    for account_id, base in demo_facts.items():
        if base.mode != "proposal":
            continue
        for language in LANGUAGES:
            f = variant(base, language, "whatsapp")
            for kind in OBJECTIONS:
                ans = answer(f, kind)
                where = f"{account_id} {language} {kind}"
                if not (ans.acknowledge and ans.diagnose and ans.evidence and ans.options and ans.next_step):
                    problems.append(f"{where}: a part is missing: {ans}")
                problems += [f"{where}: {p}" for p in grounding.check(text_of(ans), f.grounds())]
                for part in (ans.acknowledge, ans.next_step, *ans.options):
                    if f.patient and PRESSURE.search(part):  # SG may hear "a summary today"; MY, ID, TH not
                        problems.append(f"{where}: pressure in a patient market: {part}")
    assert not problems, "\n".join(problems)


def test_options_are_the_catalogs_standing_offers_and_nothing_else(demo_facts: dict[str, Facts]) -> None:
    """A price or free months in an option is one of the catalog's discounts, named; or the 1-month trial."""
    facts = demo_facts
    catalog = next(iter(facts.values())).catalog
    names = [d.name for d in catalog.discounts]
    problems = []
    seen_standing_offer = False
    for account_id, base in facts.items():
        if base.mode != "proposal":
            continue
        for language in ("en", "id", "ms"):
            f = variant(base, language, "whatsapp")
            for kind in OBJECTIONS:
                for option in answer(f, kind).options:
                    named = any(n in option for n in names)
                    seen_standing_offer |= named
                    priced = grounding.AMOUNT.search(option) or "%" in option
                    free = re.search(r"(\d+)\s*(?:months?|bulan)", option)
                    if (priced and not named) or (free and free.group(1) != "1" and not named):
                        problems.append(f"{account_id} {language} {kind}: {option}")
                    if grounding.DISCOUNT_WORDS.search(option) and not named:
                        problems.append(
                            f"{account_id} {language} {kind}: a discount not in the catalog: {option}"
                        )
    assert seen_standing_offer  # the prepay offer shows up where it applies
    assert not problems, "\n".join(problems)


def test_prepay_is_offered_only_for_what_is_paid_by_the_month_or_year(demo_facts: dict[str, Facts]) -> None:
    facts = demo_facts
    prepay = [d for d in next(iter(facts.values())).catalog.discounts if d.months_free]
    assert prepay
    for account_id, f in facts.items():
        if f.mode != "proposal" or not f.best:
            continue
        options = " ".join(answer(variant(f, "en", "whatsapp"), "budget").options)
        recurring = f.best.period in ("month", "year")
        for d in prepay:
            assert (d.name in options) == recurring, (
                account_id,
                f.best.offering_name,
                f.best.period,
                options,
            )
            if recurring:
                assert f"{d.months_free} months free" in options


def test_patient_markets_get_time_and_a_later_follow_up(demo_facts: dict[str, Facts]) -> None:
    facts = demo_facts
    for account_id, base in facts.items():
        if base.mode != "proposal":
            continue
        f = variant(base, "en", "whatsapp")
        later = (f.follow_up - f.assessment.today).days
        for kind in OBJECTIONS:
            step = answer(f, kind).next_step
            assert f.date(f.follow_up, year=False) in step, (account_id, kind, step)
            if base.account.country in ("MY", "ID", "TH"):
                assert NO_RUSH.search(step), (account_id, kind, step)
                assert not PRESSURE.search(step), (account_id, kind, step)
                assert later >= 21
            else:
                assert later < 21
    for account_id in ("ID-001", "MY-001"):  # also in their own language
        f = variant(facts[account_id], facts[account_id].account.language, "whatsapp")
        for kind in OBJECTIONS:
            step = answer(f, kind).next_step
            assert NO_RUSH.search(step) and not PRESSURE.search(step), (account_id, kind, step)


def test_let_me_think_is_answered_with_respect_for_a_no(demo_facts: dict[str, Facts]) -> None:
    facts = demo_facts
    for account_id in ("ID-001", "SG-002", "PH-001"):
        for language in ("en", "id"):
            ans = answer(variant(facts[account_id], language, "whatsapp"), "think")
            assert RESPECT_NO.search(ans.next_step + " " + ans.message), (account_id, language, ans.next_step)


def test_answers_diagnose_what_the_playbook_asks(demo_facts: dict[str, Facts]) -> None:
    """Budget: no budget or unclear return, when it frees up, who decides. Happy: what is still manual.
    Think: what would help, who else is involved."""
    f = variant(demo_facts["SG-002"], "en", "whatsapp")
    budget = " ".join(answer(f, "budget").diagnose)
    assert re.search(r"return|value|ROI", budget, re.I) and re.search(r"\bwhen\b", budget, re.I)
    assert re.search(r"\bwho\b", budget, re.I)
    assert re.search(r"by hand|manual|workaround|outside", " ".join(answer(f, "happy").diagnose), re.I)
    think = " ".join(answer(f, "think").diagnose)
    assert re.search(r"information|help you decide", think, re.I) and re.search(r"\bwho\b", think, re.I)
    happy = " ".join(answer(f, "happy").options)
    assert re.search(r"demo", happy, re.I) and re.search(r"\b30\b.*\b60\b|check in again", happy, re.I)
