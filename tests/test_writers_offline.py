"""The offline writer's drafts, as a CSM reads them: complete, sized for their channel, addressed
properly, in the right language, and written for this account rather than any account."""

from __future__ import annotations

import re
from itertools import combinations

from sqlmodel import Session
from test_writers_support import (
    CHANNELS,
    LANGUAGES,
    LEFTOVERS,
    ask,
    sentences,
    variant,
    words,
)

from prompts.facts import Facts
from prompts.schema import Draft
from storage import models as db

THAI = re.compile(r"[\u0e00-\u0e7f]")
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
# Words that are everywhere in Bahasa (Indonesia and Melayu) and never in English prose.
MALAY = re.compile(
    r"\b(?:kami|dan|untuk|dengan|yang|anda|tim|pasukan|semoga|adalah|bagi|kita|ini|pada|dari|akan|sudah|telah)\b",
    re.I,
)
ENGLISH = re.compile(r"\b(?:the|and|your|with|would|is|all|you|we|to)\b", re.I)
# How each country addresses the contact, before the name; SG and PH use the name alone.
FORMS = {
    "ID": r"(?:Bapak/Ibu|Bapak|Ibu)",
    "MY": r"(?:Encik/Puan|Encik|Puan|Cik|Tuan)",
    "TH": r"(?:Khun|คุณ)",
    "VN": r"(?:Anh/Chị|Anh|Chị)",
}
pytest_plugins = ["test_writers_support"]  # demo_facts
LOCAL_FORMS = re.compile(r"\b(?:Bapak|Ibu|Encik|Puan|Khun|Anh|Chị)\b")


def proposal_or_check_in_with_offer(facts: dict[str, Facts]) -> dict[str, Facts]:
    """Every demo account the engine found an opportunity for, pitched now or not."""
    return {i: f for i, f in facts.items() if f.assessment.opportunities}


def test_every_draft_is_complete_and_fits_its_channel(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    """All accounts with an opportunity × email, WhatsApp, Slack × every language."""
    facts = proposal_or_check_in_with_offer(demo_facts)
    assert len(facts) >= 20  # the demo portfolio shows most of the playbook
    problems = []
    for account_id, base in facts.items():
        for channel in CHANNELS:
            for language in LANGUAGES:
                f = variant(base, language, channel)
                d = demo_drafts[account_id, language, channel]
                where = f"{account_id} {channel} {language} ({f.mode})"
                if left := LEFTOVERS.search(d.subject + "\n" + d.body):
                    problems.append(f"{where}: left in the text: {left.group(0)!r}")
                if channel == "email":
                    n = words(d.body)
                    low, high = (200, 300) if f.mode == "proposal" else (100, 300)
                    if not low <= n <= high:
                        problems.append(f"{where}: email body is {n} words")
                    if not d.subject.strip():
                        problems.append(f"{where}: no subject line")
                    if re.search(r"upgrade|upsell|naik tingkat|naik taraf", d.subject, re.I):
                        problems.append(f"{where}: subject pushes an upgrade: {d.subject}")
                else:
                    if d.subject:
                        problems.append(f"{where}: a chat message with a subject line")
                    if len(d.body) > (1000 if channel == "whatsapp" else 1500):
                        problems.append(f"{where}: {len(d.body)} characters")
                    if re.search(r"^\s*#", d.body, re.M):
                        problems.append(f"{where}: a heading in a chat message")
                    if re.search(r"^\s*\|.*\|", d.body, re.M) or "---" in d.body:
                        problems.append(f"{where}: a table in a chat message")
                    if "**" in d.body:
                        problems.append(f"{where}: Markdown bold, which WhatsApp and Slack show as stars")
    assert not problems, "\n".join(problems)


def test_email_is_a_value_first_proposal_with_the_investment_after_the_value(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    """Opening, their own numbers, the offer, then the price, then a collaborative next step."""
    for account_id, base in demo_facts.items():
        if base.mode != "proposal":
            continue
        body = demo_drafts[account_id, "en", "email"].body
        price = body.find("investment")
        assert price > 0, f"{account_id}: no investment line\n{body}"
        first_number = re.search(r"\d", body)
        assert first_number and first_number.start() < price, f"{account_id}: price before any evidence"
        after = body[price:]
        assert re.search(r"walk|show|demo|call|session|minutes", after, re.I), f"{account_id}: no next step"
        assert not re.search(r"upgrade now|limited time|expires|last chance|act now", body, re.I)


def test_forms_of_address_use_the_contacts_name(demo_engine) -> None:
    """In the account's own language (WhatsApp) and in English (email): the right form and part of the name."""
    expected = {
        "Kopi Nusantara": ("Pak Andi", "Bapak Andi"),  # Andi Pratama: a man's name; Indonesian chat says Pak
        "Warung Digital Makmur": ("Bu Maya", "Ibu Maya"),  # Maya Sari: a woman's name
        "Sinar Farma": (
            "Dian Permata",
            "Dian Permata",
        ),  # gender unknown: the full name, never "Bapak/Ibu Dian"
        "Kedai Kopi Damai": ("Encik Faizal", "Encik Faizal"),
        "Pustaka Ilmu Sdn Bhd": ("Puan Nurul", "Puan Nurul"),
        "Rasa Malaysia Catering": ("Ms Lim", "Ms Lim"),  # contacts.csv salutation, used verbatim
        "Saigon Coffee Roasters": ("Chị Hoa", "Chị Hoa"),  # Le Thi Hoa: "Thi" marks a woman, given name last
        "Công ty Hòa Phát Số": ("Anh Minh", "Anh Minh"),  # Tran Van Minh: "Van" marks a man
        "Hanoi Learning Hub": ("chị Trang", "chị Trang"),  # salutation verbatim
        "Lion City Dental Group": ("Dr Lim", "Dr Lim"),  # a doctor is addressed as one, Chinese surname first
        "Marina Analytics Pte Ltd": ("Ms Ng", "Ms Ng"),
        "Krungthep Motors": ("Khun Somsak", "Khun Somsak"),  # drafts in English (accounts.csv language)
        "Siam Smile Clinic": ("คุณพลอย", "Khun Ploy"),  # the name in Thai script in Thai text
        "Bangkok Bites": ("คุณกิตติพงษ์", "คุณกิตติพงษ์"),  # salutation verbatim
        "Manila Bay Foods": ("Sir Carlo", "Sir Carlo"),  # Philippines: Sir/Ma'am + first name
        "Davao Fresh Market": ("Sir Ramon", "Sir Ramon"),
    }
    for account, (local, english) in expected.items():
        for command, form in ((f"draft {account} whatsapp", local), (f"draft {account} email en", english)):
            first = ask(demo_engine, command).forward.splitlines()[0]
            assert form in first, (command, first)
            assert "/" not in first, (command, first)  # no hedge such as Bapak/Ibu


def test_filipino_drafts_are_english_led_with_taglish_courtesy(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    """“po” in the greeting and the thanks, an English body, and no “Cheers,” to a Philippine client."""
    po = re.compile(r"\bpo\b", re.I)
    for account_id in demo_facts:
        for channel in CHANNELS:
            lines = [x for x in demo_drafts[account_id, "fil", channel].body.splitlines() if x.strip()]
            where = f"{account_id} fil {channel}"
            assert po.search(lines[0]), f"{where}: greeting {lines[0]!r}"
            assert po.search("\n".join(lines[-2:])), f"{where}: closing {lines[-2:]!r}"
            middle = "\n".join(lines[1:-2])
            assert ENGLISH.search(middle), f"{where}: the body should be in English"
            assert len(po.findall(middle)) <= 1, f"{where}: po scattered through the English body"
            assert "Cheers" not in demo_drafts[account_id, "fil", channel].body


def test_bahasa_drafts_are_in_bahasa_and_english_drafts_in_english(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    for account_id, base in demo_facts.items():
        for channel in CHANNELS:
            for language in ("id", "ms"):
                body = demo_drafts[account_id, language, channel].body
                found = set(m.casefold() for m in MALAY.findall(body))
                assert len(found) >= 2, f"{account_id} {language} {channel}: not Bahasa\n{body}"
                assert len(ENGLISH.findall(body)) <= 2, f"{account_id} {language} {channel}: English\n{body}"
            body = demo_drafts[account_id, "en", channel].body
            assert not MALAY.search(body.replace(base.account.name, "")), f"{account_id} en {channel}"


def test_language_comes_from_the_account_and_can_be_chosen_per_command(demo_engine) -> None:
    reply = ask(demo_engine, "draft Kopi Nusantara")  # language: id in the portfolio
    assert reply.data["language"] == "id"
    assert len(set(MALAY.findall(reply.forward))) >= 2
    chosen = ask(demo_engine, "draft Kopi Nusantara email en")
    assert chosen.data["language"] == "en" and ENGLISH.search(chosen.forward)
    assert not MALAY.search(chosen.forward.replace("Kopi Nusantara", ""))
    assert ask(demo_engine, "draft Kedai Kopi Damai").data["language"] == "ms"
    assert ask(demo_engine, "draft Kopi Nusantara whatsapp bahasa melayu").data["language"] == "ms"
    assert ask(demo_engine, "draft Kopi Nusantara tl").data["language"] == "fil"
    assert ask(demo_engine, "prep Kopi Nusantara en").data["language"] == "en"


def test_without_an_account_language_the_country_decides(demo_engine) -> None:
    with Session(demo_engine) as session:
        for account_id in ("ID-002", "MY-001", "TH-003", "SG-002"):
            row = session.get(db.Account, account_id)
            assert row is not None
            row.language = ""
            session.add(row)
        session.commit()
    expected = {"ID-002": "id", "MY-001": "ms", "TH-003": "th", "SG-002": "en"}
    for account_id, language in expected.items():
        reply = ask(demo_engine, f"draft {account_id}")
        assert reply.data["language"] == language, account_id
    assert len(set(MALAY.findall(ask(demo_engine, "draft ID-002").forward))) >= 2
    assert THAI.search(ask(demo_engine, "draft TH-003").forward.splitlines()[0])


def test_drafts_for_different_accounts_are_not_the_same_text(
    demo_facts: dict[str, Facts], demo_drafts: dict[tuple[str, str, str], Draft]
) -> None:
    """Same skeleton, different letters: two accounts share at most half of their sentences."""
    facts = {i: f for i, f in demo_facts.items() if f.mode == "proposal"}
    problems = []
    for channel in CHANNELS:
        for language in ("en", "id", "ms"):
            texts = {i: sentences(demo_drafts[i, language, channel].body) for i in facts}
            for a, b in combinations(texts, 2):
                shared = texts[a] & texts[b]
                if len(shared) > min(len(texts[a]), len(texts[b])) / 2:
                    problems.append(f"{a}/{b} {channel} {language}: {len(shared)} shared: {sorted(shared)}")
    assert not problems, "\n".join(problems)


def test_drafts_of_two_similar_accounts_name_their_own_evidence(demo_engine) -> None:
    """Two seat expansions: each draft quotes its own seat numbers and no one else's name."""
    one = ask(demo_engine, "draft Batik Sentosa email en").forward
    two = ask(demo_engine, "draft Manila Bay Foods email en").forward
    assert "Batik Sentosa" in one and "Manila Bay Foods" not in one
    assert "Manila Bay Foods" in two and "Batik Sentosa" not in two
    seats = re.compile(r"(\d+) of (?:your )?(\d+) seats")
    assert seats.search(one) and seats.search(two)
    assert seats.search(one).groups() != seats.search(two).groups()  # type: ignore[union-attr]


def test_phrases_read_naturally_for_small_numbers(demo_drafts: dict[tuple[str, str, str], Draft]) -> None:
    """“All 2 outlets”, “1 users”: where one would say both outlets, one user."""
    bad = re.compile(r"\b(?:all|semua) 2\b|\b1 (?:users|seats|outlets|people|requests)\b", re.I)
    for (account_id, language, channel), draft in demo_drafts.items():
        if language in ("en", "id", "ms"):
            assert not bad.search(draft.body), f"{account_id} {language} {channel}: {bad.search(draft.body)}"


def test_slack_drafts_are_for_the_csm_only(demo_engine) -> None:
    reply = ask(demo_engine, "draft Kopi Nusantara slack", channel="slack")
    assert reply.private  # shown to the CSM who asked, not posted to the team channel
    assert reply.data["draft"]["channel"] == "slack" and reply.forward and not reply.subject
