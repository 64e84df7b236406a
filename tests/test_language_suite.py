"""The language suite: every draft and objection answer held to ../shared/LANGUAGE.md, the standard a
native reviewer in each market applies. Over every demo account and a generated portfolio (names from
all six countries, with and without salutation and gender, senders of both genders), every channel
and language: the form of address and the right part of the name, Thai particles by the sender,
greetings and closings, money and dates, no English fragments or codes in local text, no Indonesian
words in Malay and the reverse, no empty slots, industry nouns, one follow-up date, Thai and
Vietnamese in their own script, and drafts that do not read alike from one account to the next."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import combinations

import pytest
from language_portfolio import Person, generated
from sqlmodel import Session
from test_writers_support import CHANNELS, LANGUAGES, ask

from prompts import grounding
from prompts.facts import Facts
from prompts.offline import OfflineWriter
from prompts.offline.text import bank
from prompts.offline.values import site_kind
from storage import models as db
from storage.importer import ImportFailed, import_paths

pytest_plugins = ["test_writers_support"]  # demo_facts
KINDS = ("budget", "happy", "think")
THAI = re.compile(r"[\u0e00-\u0e7f]")
VI_MARKS = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
LEFTOVER = re.compile(
    r"\{[^}]*\}|\[|\bNone\b|\bnan\b|\bnull\b|\(\s*\)|“\s*”|\s[,;:.](?=\s|$)|,\s*[,.]|:\s*\."
)
HEDGE = re.compile(r"\b(?:Bapak/Ibu|Encik/Puan|Tuan/Puan|Anh/Chị|anh/chị|Sir/Ma'am|Mr/Ms) \w")
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a catalog code such as advanced_reports
PRESSURE = re.compile(
    r"last chance|act now|limited time|\bASAP\b|expires|hurry|kesempatan terakhir|sekarang juga|hari ini saja"
    r"|ด่วน|โอกาสสุดท้าย|วันนี้เท่านั้น|จำนวนจำกัด|cơ hội cuối cùng|chỉ hôm nay|\bgấp\b|\bkhẩn\b|ngay lập tức",
    re.I,
)
MACHINE = re.compile(
    r"finds you well|email ini menemukan|Silakan luangkan waktu|keperluan berdekatan|Hari ini \d+ pengguna"
    r"|the about|\bbạn\b|(?<!ดิ)ฉัน|เธอ|\bkamu\b|\bawak\b|\bSayang\b",
    re.I,
)
# LANGUAGE.md's false friends: Indonesian words that slip into Malay, and Malay ones into Indonesian.
INDONESIAN_ONLY = re.compile(
    r"\b(?:uang|kantor|karena|akun|lisensi|paket|miliar|memperbarui|butuh|gampang|bisa|silakan|gratis"
    r"|kualitas|fasilitas|Maret|Juni|Juli|Agustus|Desember)\b",
    re.I,
)
MALAY_ONLY = re.compile(
    r"\b(?:wang|pejabat|syarikat|mesyuarat|sila|kerana|sahaja|maklumat|akaun|e-mel|percuma|seronok"
    r"|Mac|Julai|Ogos|Disember)\b"
)
ENGLISH_WORDS = re.compile(r"\b(?:the|and|your|with|our|you|this|will|team at|would|please)\b", re.I)
LETTER_CLOSINGS = re.compile(r"Hormat (?:saya|kami),|Yang benar,|ขอแสดงความนับถือ|Trân trọng,|Regards,$", re.M)
GREETINGS = {
    "en": r"^(?:Dear|Hi|Hello|Good day)\b",
    "id": r"^(?:Yth\.|Halo\b|Selamat\b)",
    "ms": r"^(?:Salam|Yang dihormati|Selamat|Hai|Tuan/Puan)\b",
    "th": r"^(?:เรียน|สวัสดี)",
    "vi": r"^(?:Kính gửi|Chào|Xin chào)\b",
    "fil": r"\bpo\b",
}
MONEY = {  # the currency's marks a text may use, and forms LANGUAGE.md rules out
    "SGD": (r"S\$|SGD", r"(?<![S\w])\$\s?\d"),
    "MYR": (r"RM|MYR", r"Rp"),
    "IDR": (r"Rp|IDR", r"Rp\.|\bRP\b|Rp ?\d{1,3},\d{3}"),
    "THB": (r"฿|บาท|THB", r"Rp|RM"),
    "VND": (r"₫|đồng|VND", r"\d,\d{3},\d{3}\s?₫"),
    "PHP": (r"₱|PHP", r"(?<![\w₱])\$\d"),
}


@dataclass(frozen=True)
class Out:
    """One text a customer would read, with the facts it was written from."""

    facts: Facts
    kind: str  # draft | budget | happy | think
    text: str
    person: Person | None = None  # a generated contact, with the names a native reader expects

    @property
    def where(self) -> str:
        f = self.facts
        return f"{f.account.account_id} {self.kind} {f.language} {f.channel}"

    @property
    def email(self) -> bool:
        return self.kind == "draft" and self.facts.channel == "email"


def _outputs(facts: dict[str, Facts], people: dict[str, Person]) -> Iterator[Out]:
    writer = OfflineWriter()
    for account_id, base in facts.items():
        person = people.get(account_id)
        for language in LANGUAGES:
            for channel in CHANNELS:
                f = replace(base, language=language, channel=channel)
                d = writer.draft(f).output
                yield Out(f, "draft", f"{d.subject}\n{d.body}" if d.subject else d.body, person)
            f = replace(base, language=language, channel="whatsapp")
            for kind in KINDS:
                yield Out(f, kind, writer.objection(f, kind).output.message, person)


@pytest.fixture(scope="module")
def portfolio() -> dict[str, tuple[Facts, Person]]:
    return generated()


@pytest.fixture(scope="module")
def outs(demo_facts: dict[str, Facts], portfolio: dict[str, tuple[Facts, Person]]) -> list[Out]:
    """Every draft (email, WhatsApp, Slack) and objection answer, in every language, for both portfolios."""
    made = list(_outputs(demo_facts, {}))
    made += _outputs({i: f for i, (f, _) in portfolio.items()}, {i: p for i, (_, p) in portfolio.items()})
    return made


def body(o: Out) -> str:
    """The message without its subject line."""
    return o.text.split("\n", 1)[1] if o.email else o.text


def first_line(o: Out) -> str:
    return body(o).splitlines()[0]


def names_of(f: Facts) -> list[str]:
    """Names a local text may write as they are: people, the account, the sender, catalog and tool names."""
    out = [f.account.name, f.sender, *f.account.tools, *(d.name for d in f.catalog.discounts)]
    out += [p.name for p in f.people] + [w for p in f.people for w in p.name.split()]
    out += [o.name for o in (*f.catalog.plans, *f.catalog.add_ons, *f.catalog.products)]
    return sorted((n for n in out if n), key=len, reverse=True)


def without_names(text: str, f: Facts) -> str:
    for name in names_of(f):
        text = text.replace(name, " ")
    return text


def problems(outs: list[Out], check) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for o in outs:
        if why := check(o):
            found.append(f"{o.where}: {why}")
    return found


def test_the_suite_covers_every_market_channel_language_and_contact_kind(outs: list[Out]) -> None:
    seen = {(o.facts.account.country, o.facts.language, o.facts.channel, o.kind) for o in outs}
    assert len(seen) == 6 * len(LANGUAGES) * (len(CHANNELS) + len(KINDS))
    generated_people = [o.person for o in outs if o.person]
    assert any(p.salutation for p in generated_people) and any(not p.gender for p in generated_people)


def test_nothing_is_left_to_fill_in_and_no_code_reaches_a_sentence(outs: list[Out]) -> None:
    def check(o: Out) -> str:
        if m := LEFTOVER.search(o.text):
            return f"left in the text: {m.group(0)!r} in …{o.text[max(0, m.start() - 40) : m.end() + 20]!r}"
        if m := CODE.search(without_names(o.text, o.facts)):
            return f"a catalog code: {m.group(0)}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_the_contact_is_greeted_with_their_form_and_the_right_part_of_their_name(outs: list[Out]) -> None:
    """Generated contacts: the greeting a native reader expects, in their own language and in English."""

    def check(o: Out) -> str:
        line = first_line(o)
        if HEDGE.search(line) or ("team at" in o.text and o.facts.language not in ("en", "fil")):
            return f"a hedge or an English frame as a name: {line!r}"
        p, f = o.person, o.facts
        if p is not None and not p.name:  # no contact: the account's team, greeted in the draft's language
            ms_letter = f.language == "ms" and o.email  # "Tuan/Puan," as a Malay letter opens
            return "" if ms_letter or f.account.name in line else f"greets {line!r} without the account"
        if p is None or f.language not in (f.account.language, "en") or f.language == "fil":
            return ""
        want = p.local if f.language == f.account.language else p.english
        if not o.email and not p.salutation:  # Indonesian chat shortens the form: Pak Budi, Bu Tiara
            want = re.sub(r"^Bapak ", "Pak ", re.sub(r"^Ibu ", "Bu ", want))
        return "" if want in line else f"greets {line!r}, expected {want!r}"

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_demo_contacts_are_greeted_by_the_name_part_their_culture_uses(outs: list[Out]) -> None:
    """Vietnamese by the given name (the last word), Malay names before bin/binti, Chinese surname-first
    names by the surname with Mr/Ms; never the surname after a Thai คุณ or a Vietnamese anh/chị."""

    def check(o: Out) -> str:
        f, line = o.facts, first_line(o)
        c = f.contact
        if c is None or o.person is not None:
            return ""
        words = [w for w in c.name.split() if w.casefold() not in ("dr", "dr.")]
        if f.account.country == "VN" and re.search(rf"\b(?:Anh|Chị|anh|chị) {re.escape(words[0])}\b", line):
            return f"a Vietnamese surname after anh/chị: {line!r}"
        if f.account.country == "TH" and len(words) > 1 and words[-1] in line:
            return f"a Thai surname: {line!r}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_thai_particles_follow_the_sender_on_every_polite_line(outs: list[Out]) -> None:
    """A man writes ครับ, a woman ค่ะ/คะ, never mixed; greeting and thanks carry one."""

    def check(o: Out) -> str:
        f = o.facts
        if f.language != "th":
            return ""
        text = body(o)
        male, female = "ครับ" in text, bool(re.search("ค่ะ|คะ", text))
        sex = f.sender_gender or (
            "f" if f.sender.startswith("Dewi") else "m" if f.sender.startswith("Somchai") else ""
        )
        if sex == "m" and (female or not male):
            return "a man's draft without ครับ or with ค่ะ/คะ"
        if sex == "f" and (male or not female):
            return "a woman's draft without ค่ะ/คะ or with ครับ"
        if not sex and (male or female):
            return "a particle for a sender whose gender is not known"
        lines = [x for x in text.splitlines() if x.strip()]
        closing = lines[-1] if f.channel != "email" else lines[-2]
        if sex and not re.search("ครับ|ค่ะ|คะ", lines[0] + closing) and lines[0].startswith("สวัสดี"):
            return f"greeting or thanks without a particle: {lines[0]!r} … {closing!r}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_greetings_closings_and_chat_etiquette_follow_the_language(outs: list[Out]) -> None:
    def check(o: Out) -> str:
        f, text = o.facts, body(o)
        if not re.search(GREETINGS[f.language], first_line(o)) and f.contact is not None:
            return f"greeting {first_line(o)!r}"
        if f.account.country == "PH" and "Cheers" in text:
            return "“Cheers,” to a Philippine client"
        if (o.kind != "draft" or f.channel != "email") and LETTER_CLOSINGS.search(text):
            return "a letter sign-off in a chat message"
        bangs, emoji = text.count("!"), len(re.findall(r"[\U0001F300-\U0001FAFF]", text))
        if o.email and (bangs > 1 or emoji):
            return f"{bangs} ! and {emoji} emoji in an email"
        if not o.email and (bangs > 2 or emoji > 2):
            return f"{bangs} ! and {emoji} emoji in a chat message"
        if m := PRESSURE.search(text) or MACHINE.search(text):
            return f"reads as pressure or machine translation: {m.group(0)!r}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_money_is_written_the_way_the_currency_is_written_locally(outs: list[Out]) -> None:
    """S$ for Singapore (never a bare $), RM, Rp with dots, ฿, ₫ with dots, ₱."""

    def check(o: Out) -> str:
        allowed, never = MONEY[o.facts.account.currency]
        if m := re.search(never, o.text):
            return f"{m.group(0)!r} for {o.facts.account.currency}"
        amounts = [m.group(0) for m in grounding.AMOUNT.finditer(o.text) if m["pre"] or m["post"]]
        if bad := [a for a in amounts if not re.search(allowed, a)]:
            return f"amounts not in {o.facts.account.currency}'s form: {bad}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_dates_are_written_the_way_the_language_writes_them(outs: list[Out]) -> None:
    """Month-first in the Philippines, day-first elsewhere, Thai years in the Buddhist Era (CE + 543),
    Vietnamese “ngày 15 tháng 1”; no Malay month names in Indonesian and the reverse."""
    months = "January|February|March|April|May|June|July|August|September|October|November|December"

    def check(o: Out) -> str:
        f, text = o.facts, o.text
        if (
            f.language in ("en", "fil")
            and f.account.country == "PH"
            and re.search(rf"\b\d{{1,2}} (?:{months})", text)
        ):
            return "a day-first date in Philippine English"
        if f.language == "en" and f.account.country != "PH" and re.search(rf"(?:{months}) \d{{1,2}}\b", text):
            return "a month-first date outside the Philippines"
        if f.language == "th" and re.search(r"\b20\d\d\b", text):
            return "a Christian-Era year in Thai text"
        if f.language == "vi" and re.search(rf"\b(?:{months})\b", text):
            return "an English month in Vietnamese text"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_local_text_has_no_english_fragments_and_no_words_of_the_neighbour_language(outs: list[Out]) -> None:
    def check(o: Out) -> str:
        f = o.facts
        if f.language not in ("id", "ms", "th", "vi"):
            return ""
        text = without_names(o.text, f)
        if m := ENGLISH_WORDS.search(text):
            return (
                f"English in {f.language}: {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 30]!r}"
            )
        if f.language == "ms" and (m := INDONESIAN_ONLY.search(text)):
            return f"Indonesian word in Malay: {m.group(0)!r}"
        if f.language == "id" and (m := MALAY_ONLY.search(text)):
            return f"Malay word in Indonesian: {m.group(0)!r}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_thai_and_vietnamese_are_written_in_their_own_script(outs: list[Out]) -> None:
    """Thai: at least 70% of the letters Thai. Vietnamese: at least 40% of the words carry its marks
    (names, numbers and product names are the rest)."""

    def check(o: Out) -> str:
        f, text = o.facts, without_names(o.text, o.facts)
        if f.language == "th":
            letters = re.findall(r"[^\W\d_]", text)
            share = len(THAI.findall(text)) / max(len(letters), 1)
            return "" if share >= 0.7 else f"only {share:.0%} of the letters are Thai"
        if f.language == "vi":
            words = re.findall(r"[^\W\d_]+", text)
            share = sum(bool(VI_MARKS.search(w)) for w in words) / max(len(words), 1)
            return "" if share >= 0.4 else f"only {share:.0%} of the words are Vietnamese"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_sites_are_called_what_the_industry_calls_them(outs: list[Out]) -> None:
    """A dental group has clinics, a logistics firm warehouses, a farm farms, a resort sites: never
    “outlets” for them, and every count of sites in the industry's own word."""

    def check(o: Out) -> str:
        f = o.facts
        kind = site_kind(f.account.industry)
        counted = re.findall(r"\b\d+ (outlets|clinics|branches|warehouses|farms|sites)\b", o.text)
        if f.language in ("en", "fil") and any(noun != bank("en")["sites"][kind] for noun in counted):
            return f"{counted} for {f.account.industry}"
        if f.language not in ("en", "id", "vi", "fil") or kind == "outlets":
            return ""
        outlet = {"en": r"\boutlets?\b", "fil": r"\boutlets?\b", "id": r"\boutlet\b", "vi": "cửa hàng"}[
            f.language
        ]
        if re.search(outlet, without_names(o.text, f), re.I):
            return f"“outlets” for {f.account.industry} (its word: {bank(f.language)['sites'][kind]})"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_a_new_customer_is_welcomed_not_thanked_as_always(outs: list[Out]) -> None:
    always = re.compile(
        r"(?:thank|terima kasih|ขอบคุณ|cảm ơn|salamat)[^.!\n]*"
        r"(?:as always|seperti biasa|selama ini|เสมอมา|มาโดยตลอด|thời gian qua|bền chặt)",
        re.I,
    )

    def check(o: Out) -> str:
        f = o.facts
        tenure = (f.assessment.today - f.account.start_date).days
        if tenure < 180 and (m := always.search(o.text)):
            return f"a {tenure}-day-old customer thanked {m.group(0)!r}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def test_an_answer_names_one_follow_up_date_the_same_wherever_it_is_mentioned(outs: list[Out]) -> None:
    def check(o: Out) -> str:
        if o.kind == "draft":
            return ""
        f = o.facts
        found = {(d, m) for _, d, m, y, _ in grounding.find_dates(o.text) if ahead(f, d, m, y)}
        if len(found) > 1 or "30 to 60" in o.text or "30 sampai 60" in o.text:
            return f"follow-ups {sorted(found)}"
        if found and found != {(f.follow_up.day, f.follow_up.month)}:
            return f"a follow-up {found} that is not the facts' {f.follow_up}"
        return ""

    assert not (found := problems(outs, check)), "\n".join(found[:30])


def ahead(f: Facts, day: int, month: int, year: int | None) -> bool:
    """Whether a date a text names is after today: a follow-up, not a goal reached or a ticket sent."""
    today = f.assessment.today
    if year is None:
        return (month, day) >= (today.month, today.day) or month < today.month - 6
    return (year - 543 if year > 2400 else year, month, day) > (today.year, today.month, today.day)


def sentences(text: str, language: str) -> set[str]:
    """The sentences of a text, normalised; Thai, which has no full stops, ends one with its particle."""
    parts = re.split(
        r"(?:(?<=ครับ)|(?<=ค่ะ)|(?<=คะ))\s+|\n+" if language == "th" else r"(?<=[.!?])\s+|\n+", text
    )
    least, chars = (1, 20) if language == "th" else (4, 12)
    return {p.strip("•*_ ") for p in parts if len(p.split()) >= least and len(p) >= chars}


def test_two_accounts_drafts_do_not_read_alike(outs: list[Out], demo_facts: dict[str, Facts]) -> None:
    """Same skeleton, different letters: two demo accounts' proposals share at most half their sentences,
    in every language and channel."""
    found = []
    for language in LANGUAGES:
        for channel in CHANNELS:
            texts = {
                o.facts.account.account_id: sentences(body(o), language)
                for o in outs
                if o.kind == "draft"
                and o.person is None
                and o.facts.mode == "proposal"
                and o.facts.language == language
                and o.facts.channel == channel
            }
            for a, b in combinations(sorted(texts), 2):
                shared = texts[a] & texts[b]
                if len(shared) > min(len(texts[a]), len(texts[b])) / 2:
                    found.append(f"{a}/{b} {language} {channel}: {len(shared)} shared")
    assert not found, "\n".join(found[:30])


def test_the_same_account_gets_the_same_draft_every_time(demo_facts: dict[str, Facts]) -> None:
    writer = OfflineWriter()
    for f in list(demo_facts.values())[:8]:
        for language in LANGUAGES:
            g = replace(f, language=language)
            assert writer.draft(g).output == writer.draft(g).output


def test_the_brief_opens_with_the_drafts_own_greeting(demo_facts: dict[str, Facts]) -> None:
    """The prep's cultural notes and opening line agree with the draft, in the draft's language."""
    writer = OfflineWriter()
    for account_id, f in demo_facts.items():
        chat = replace(f, channel="whatsapp")
        opening = writer.draft(chat).output.body.splitlines()[0]
        notes = writer.brief(f).output.cultural_notes
        assert any(f"“{opening}”" in n for n in notes), (account_id, opening, notes[-1])
        if f.language in ("th", "vi"):
            assert any(("Thai" if f.language == "th" else "Vietnamese") in n for n in notes), account_id


def test_salutation_and_gender_columns_are_imported_and_used_and_bad_ones_refused(
    demo_engine, tmp_path
) -> None:
    """contacts.csv salutation (verbatim) and gender, csms.csv gender, through the real importer; files
    without these columns keep importing (the demo's other files); a bad gender is refused."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "contacts.csv").write_text(
        "account_id,name,role,is_champion,is_decision_maker,since,left_on,salutation,gender\n"
        "SG-002,Rachel Ng,Head of Analytics,yes,no,2025-11-01,,Dr Rachel,f\n"
        "ID-007,Dian Permata,Operations Manager,yes,no,2025-08-01,,,f\n",
        encoding="utf-8",
    )
    (good / "csms.csv").write_text(
        "email,name,team,gender\ndewi@example.com,Dewi Lestari,jakarta,m\n", encoding="utf-8"
    )
    import_paths(demo_engine, [good])
    with Session(demo_engine) as session:
        assert session.get(db.Contact, ("SG-002", "Rachel Ng")).salutation == "Dr Rachel"  # type: ignore[union-attr]
    assert ask(demo_engine, "draft SG-002 email en").forward.splitlines()[0] in (
        "Hi Dr Rachel,",
        "Dear Dr Rachel,",
    )
    assert "Ibu Dian" in ask(demo_engine, "draft ID-007 email id").forward.splitlines()[0]  # gender: f
    thai = ask(demo_engine, "draft TH-001 whatsapp th").forward  # the sender (dewi) now says she is a man
    assert "ครับ" in thai and "ค่ะ" not in thai

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "contacts.csv").write_text(
        "account_id,name,role,gender\nSG-002,Rachel Ng,Head of Analytics,x\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failed:
        import_paths(demo_engine, [bad])
    assert any("gender" in e and "must be m or f" in e for e in failed.value.errors), failed.value.errors
