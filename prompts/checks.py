"""Is a written output safe to send? The one review both writers' outputs go through.

Grounding (every amount, percentage, count, date and discount comes from the facts) plus the
channel's form (length, subject, headings, language, form of address). The model writer refuses
an output with problems; the offline writer's outputs must never have any.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel

from prompts import grounding
from prompts.facts import Facts
from prompts.offline.text import words
from prompts.schema import Brief, Draft, ObjectionAnswer, Output, Written

log = logging.getLogger("expansion_bot")

EMAIL_WORDS = (170, 345)  # 200-300 asked for, with some slack before a model's draft is refused
CHAT_CHARS = {"whatsapp": 1000, "slack": 1500}
# Everyday words of Bahasa Indonesia and Melayu that English prose never uses.
MALAY_WORDS = ("yang", "dan", "kami", "untuk", "dengan", "semoga", "adalah", "bagi", "kita", "ini")
LOCAL_WORDS = {"id": MALAY_WORDS, "ms": MALAY_WORDS}
ADDRESS_FORMS: dict[str, tuple[str, ...]] = {
    "ID": ("Bapak", "Ibu", "Pak", "Bu"),
    "MY": ("Encik", "Puan", "Cik", "Tuan"),
}
ADDRESS_FORMS |= {"TH": ("Khun", "คุณ", "Dr"), "VN": ("Anh", "Chị", "Chi")}
# Thai is written in its own script; Vietnamese in Latin letters, a good share of them with its marks.
SCRIPTS = {
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "vi": re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE),
}
LATIN = r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"  # a form is a whole word in Latin script; Thai has no spaces
SENTENCE = re.compile(r"((?<=[.!?])\s+|\n+)")  # keeps the separators, so the text is rebuilt as it was
LABEL_WORDS, LABEL_CHARS = 10, 70
PLAIN = re.compile(r"[^\W_][\w\s'’&,.-]*", re.UNICODE)  # letters, digits, spaces, ' & , . -
UNSAFE_WORDS = re.compile(
    r"\b(?:ignore|instructions?|prompt|system|assistant|offer|discount|diskon|free|gratis|percuma|price|harga"
    r"|click|link|password|sandi|login|urgent|reply|send|kirim|hubungi|contact|call)\b",
    re.IGNORECASE,
)


def text_of(output: BaseModel | dict[str, Any] | list[Any] | str) -> str:
    """Every string in an output, one per line, for the grounding check."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(output.model_dump() if isinstance(output, BaseModel) else output)
    return "\n".join(parts)


def may_offer(task: str, facts: Facts) -> bool:
    """A customer-facing text quotes prices only when the timing allows a proposal; the CSM's brief may."""
    return task == "brief" or facts.mode == "proposal"


def ungrounded(task: str, output: BaseModel, facts: Facts) -> list[str]:
    """What in an output is not in its facts: an amount, a percentage, a date, a discount, an offer."""
    return grounding.check(text_of(output), facts.grounds(offer=may_offer(task, facts)))


def review(task: str, output: BaseModel, facts: Facts) -> list[str]:
    """Every reason not to send an output: ungrounded content, then the channel's form."""
    form = {"draft": _draft, "objection": _objection, "brief": _brief}[task]
    return ungrounded(task, output, facts) + form(output, facts)  # type: ignore[operator]


def final(task: str, written: Written[Output], facts: Facts) -> Written[Output]:
    """The last look at either writer's text before anyone reads it: any sentence with something the
    facts do not hold (an amount, a date, a link, an address, a request for a password) is taken out."""
    grounds = facts.grounds(offer=may_offer(task, facts))
    if not grounding.check(text_of(written.output), grounds):
        return written
    removed: list[str] = []

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            kept = []
            for sentence in SENTENCE.split(value):
                if sentence.strip() and grounding.check(sentence, grounds):
                    removed.append(sentence.strip())
                else:
                    kept.append(sentence)
            return "".join(kept).strip()
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [c for c in (clean(v) for v in value) if c != ""]
        return value

    output = type(written.output).model_validate(clean(written.output.model_dump()))
    log.warning(
        "final review removed %d sentence(s) task=%s id=%s", len(removed), task, facts.account.account_id
    )
    note = f"{len(removed)} sentence(s) not in the facts were taken out"
    return Written(output, written.writer, f"{written.reason}; {note}" if written.reason else note)


def safe_label(text: str, facts: Facts) -> bool:
    """May a customer's own words (a goal's name) be quoted back to them? Only a short plain phrase
    with nothing the facts do not hold and no instruction-like word; otherwise a generic label is used."""
    words = text.split()
    return (
        0 < len(words) <= LABEL_WORDS
        and len(text) <= LABEL_CHARS
        and bool(PLAIN.fullmatch(text))
        and not UNSAFE_WORDS.search(text)
        and not grounding.check(text, facts.grounds(offer=False))
    )


class Reviewed:
    """Any writer whose customer texts go through `final`: the one place both writers' drafts and
    objection answers pass. The brief is the CSM's own page; it may quote the customer's tickets."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.name = writer.name
        self.model = getattr(writer, "model", None)  # the chat model, if any: understanding reuses it

    def brief(self, facts: Facts) -> Written[Brief]:
        written: Written[Brief] = self.writer.brief(facts)
        return written

    def draft(self, facts: Facts) -> Written[Draft]:
        return final("draft", self.writer.draft(facts), facts)

    def objection(self, facts: Facts, kind: str) -> Written[ObjectionAnswer]:
        return final("objection", self.writer.objection(facts, kind), facts)


def _language(text: str, facts: Facts) -> list[str]:
    local = LOCAL_WORDS.get(facts.language)
    script = SCRIPTS.get(facts.language)
    letters = [c for c in text if c.isalpha()]
    if local and not any(re.search(rf"\b{w}\b", text, re.IGNORECASE) for w in local):
        return [f"not written in the requested language ({facts.language})"]
    if script and letters and len(script.findall(text)) / len(letters) < script_share(facts.language):
        return [f"not written in the requested language ({facts.language})"]
    return []


def script_share(language: str) -> float:
    """How much of a text's letters must be the language's own: Thai letters, or Vietnamese letters with
    their marks (names and product names in Latin letters are allowed beside them)."""
    return {"th": 0.5, "vi": 0.1}[language]


def _address(text: str, facts: Facts) -> list[str]:
    """The contact is greeted as the facts say (their own salutation, its chat form, or the name alone
    when nothing better is known), or at least with a form of address of their country."""
    contact = facts.contact
    if contact is None:
        return []
    own = [f for f in (contact.salutation, contact.chat) if f]
    forms = ADDRESS_FORMS.get(facts.account.country.upper(), ())
    said = (re.search(rf"(?<!{LATIN}){re.escape(f)}(?!{LATIN})", text, re.IGNORECASE) for f in (*own, *forms))
    if (own or forms) and not any(said):
        return [f"does not address the contact as {contact.salutation}"]
    return []


def _draft(out: Draft, facts: Facts) -> list[str]:
    problems = _language(out.body, facts) + _address(out.body, facts)
    if facts.channel == "email":
        n = words(out.body)
        if not EMAIL_WORDS[0] <= n <= EMAIL_WORDS[1] and facts.mode == "proposal":
            problems.append(f"email is {n} words (200-300 wanted)")
        if not out.subject.strip() or "upgrade" in out.subject.casefold():
            problems.append("subject line is empty or says 'upgrade'")
    else:
        if len(out.body) > CHAT_CHARS.get(facts.channel, 1000):
            problems.append(f"{facts.channel} message is {len(out.body)} characters")
        if re.search(r"^\s*#", out.body, re.MULTILINE):
            problems.append("chat message has headings")
    return problems


def _objection(out: ObjectionAnswer, facts: Facts) -> list[str]:
    problems = _language(out.message, facts)
    if len(out.message) > CHAT_CHARS["whatsapp"]:
        problems.append(f"message is {len(out.message)} characters")
    if not out.options or not out.next_step.strip():
        problems.append("answer has no options or no next step")
    return problems


def _brief(out: Brief, facts: Facts) -> list[str]:
    if not 3 <= len(out.questions) <= 6:
        return [f"brief has {len(out.questions)} discovery questions (5 wanted)"]
    return []
