"""Forms of address, as data: a contact's own `salutation` verbatim, else a documented fallback per language.

The fallback (README, "Forms of address"): the right part of the name for the naming culture (Chinese
names surname-first, Malay names before bin/binti/a/l, Vietnamese given name last, otherwise the first
word), the form of the contact's country for their gender (contacts.csv `gender`, else a known given
name), and without a gender a respectful neutral form: the full name without a form, or Khun (คุณ in
Thai text), which Thai uses for everyone. Never a hedge such as "Bapak/Ibu Dian" as a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
TITLES = ("dr", "dr.", "prof", "prof.")
# culture -> (man, woman): the form before the name in a greeting
FORMS: dict[str, tuple[str, str]] = {
    "ID": ("Bapak", "Ibu"),
    "MY": ("Encik", "Puan"),
    "VN": ("Anh", "Chị"),
    "SG": ("Mr", "Ms"),
    "PH": ("Sir", "Ma'am"),
}
CHAT_FORMS = {"Bapak": "Pak", "Ibu": "Bu"}  # Indonesian chat shortens the form: "Pak Andi"
SURNAME_FORMS = ("Mr", "Ms", "Mrs")  # forms that go with the family name
GIVEN_NAME_COUNTRIES = ("TH", "VN", "ID")  # where even a title goes with the given name: "Dr Anan"
# A form in a salutation, and the gender it tells (used when contacts.csv has no gender).
FORM_GENDER = {
    **dict.fromkeys(
        ["bapak", "pak", "encik", "tuan", "mr", "mr.", "sir", "anh", "ông", "dato'", "datuk"], "m"
    ),
    **dict.fromkeys(["ibu", "bu", "puan", "cik", "ms", "ms.", "mrs", "mrs.", "ma'am", "chị", "bà"], "f"),
    **dict.fromkeys(["datin", "madam", "miss"], "f"),
}
# Forms a language repeats as "you" ("Bapak", "Encik"); an English "Ms" in a Malay text is not one of them.
OWN_FORMS = {
    "id": ("bapak", "ibu", "pak", "bu", "dr", "dr.", "prof."),
    "ms": ("encik", "puan", "cik", "tuan", "dato'", "datuk", "datin", "tan", "dr", "dr.", "haji", "hajah"),
}
# How each language says "you" to a contact addressed without a form.
NEUTRAL_YOU = {"en": "you", "fil": "you", "id": "Anda", "ms": "anda", "th": "คุณ", "vi": "anh/chị"}
NO_CONTACT_YOU = {"en": "you", "fil": "you", "id": "Anda", "ms": "anda", "th": "ทุกท่าน", "vi": "Quý công ty"}


@cache
def _names() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "phrases" / "names.yaml").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Person:
    """A contact as a writer addresses them, in the language of the text being written."""

    name: str
    role: str
    salutation: (
        str  # the greeting's form and name: "Bapak Andi", "คุณพลอย", "Anh Minh", "Ms Ng", "Dian Permata"
    )
    given: str  # the name alone, for a second mention: "Andi", "พลอย"
    champion: bool = False
    decision_maker: bool = False
    gender: str = ""  # m | f | "" (unknown)
    chat: str = ""  # the chat greeting's form and name: "Pak Andi"; the salutation elsewhere
    you: str = "you"  # how the text says "you" to them: "Bapak", "anh", "คุณ", "Anda"


@dataclass(frozen=True)
class Name:
    """The parts of a name a form of address can use, by the naming culture of the account's country."""

    title: str  # "Dr" or ""
    given: str  # the name used with Bapak, Encik, anh, คุณ, Sir
    family: str  # the name used with Mr, Ms, Dr
    family_first: bool = False  # Chinese naming: "Lim Mei Ling" is Ms Lim, and Puan Lim in Malay


def split_name(name: str, country: str) -> Name:
    """Given and family name: Chinese surname-first, Malay names before bin/binti, Vietnamese last word."""
    words = name.split()
    title = words[0].rstrip(".").capitalize() if words and words[0].casefold() in TITLES else ""
    rest = words[1:] if title else words
    if not rest:
        return Name(title, name, name)
    names = _names()
    patronymic = next((i for i, w in enumerate(rest) if w.casefold() in names["patronymic"] and i > 0), 0)
    if patronymic:
        given = " ".join(rest[:patronymic])
        return Name(title, given, given)
    if country.upper() == "VN":
        return Name(title, rest[-1], rest[0])
    if rest[0] in names["family_first"] and len(rest) >= 3:
        return Name(title, " ".join(rest[1:]), rest[0], family_first=True)
    return Name(title, rest[0], rest[-1])


def gender_of(name: str, country: str, salutation: str = "", gender: str = "") -> str:
    """m | f | "": the contact's own, else what the salutation's form or a known given name tells."""
    if gender in ("m", "f"):
        return gender
    if salutation:
        form = FORM_GENDER.get(salutation.split()[0].casefold(), "") if salutation.split() else ""
        if form:
            return form
    names, words = _names(), name.split()
    if country.upper() == "VN" and len(words) >= 3:
        if words[1] in names["vn_female_middle"]:
            return "f"
        if words[1] in names["vn_male_middle"]:
            return "m"
    parts = split_name(name, country)
    for candidate in (parts.given, name, parts.given.split()[0] if parts.given else ""):
        if candidate in names["female"]:
            return "f"
        if candidate in names["male"]:
            return "m"
    return ""


def local_script(given: str, language: str) -> str:
    """A given name in Thai script for Thai text, with Vietnamese marks for Vietnamese text, when known."""
    table = {"th": "thai_script", "vi": "vietnamese_script"}.get(language)
    if not table:
        return given
    known: dict[str, str] = _names()[table]
    return " ".join(known.get(w, w) for w in given.split())


def thai_khun(name: str) -> str:
    """คุณ before a name: joined to Thai script ("คุณพลอย"), spaced before a romanised one ("คุณ Ploy")."""
    return f"คุณ{name}" if name and "\u0e00" <= name[0] <= "\u0e7f" else f"คุณ {name}"


def address(
    name: str,
    role: str,
    country: str,
    language: str = "en",
    *,
    salutation: str = "",
    gender: str = "",
    champion: bool = False,
    decision_maker: bool = False,
) -> Person:
    """How a text in `language` greets and says "you" to a contact of an account in `country`."""
    country = country.upper()
    sex = gender_of(name, country, salutation, gender)
    parts = split_name(name, country)
    given = local_script(parts.given, language)
    if salutation:
        return _verbatim(name, role, salutation, given, sex, language, champion, decision_maker)
    culture = country  # the form follows the person, in any language: an Indonesian is Bapak in Malay too
    you = NEUTRAL_YOU.get(language, "you")
    if parts.title:  # a doctor is addressed as one everywhere: "Dr Lim", "Dr Anan", "ดร.อนันต์"
        part = given if country in GIVEN_NAME_COUNTRIES else parts.family
        person, form = (f"ดร.{part}", "") if language == "th" else (f"{parts.title} {part}", "")
    elif culture == "TH":
        person, form = (thai_khun(given), "คุณ") if language == "th" else (f"Khun {given}", "Khun")
    elif culture in FORMS and sex:
        form = FORMS[culture][0 if sex == "m" else 1]
        person = f"{form} {parts.family if form in SURNAME_FORMS or parts.family_first else given}"
    elif culture == "PH":
        person, form = given, ""
    else:  # gender unknown: the full name, never a hedge such as "Bapak/Ibu Dian"
        person, form = name, ""
    if form and language in ("id", "ms"):
        you = form
    elif form and language == "vi":
        you = form.lower()
    chat = f"{CHAT_FORMS[form]} {person[len(form) :].strip()}" if form in CHAT_FORMS else person
    return Person(name, role, person, given, champion, decision_maker, sex, chat, you)


def _verbatim(
    name: str, role: str, salutation: str, given: str, sex: str, language: str, champion: bool, decider: bool
) -> Person:
    """The contact's salutation as written; Thai text writes Khun as คุณ so no romanised form clashes."""
    text = " ".join(salutation.split())
    if language == "th" and text.casefold().startswith("khun "):
        text = thai_khun(local_script(text[5:], "th"))
    name_words = {w.casefold() for w in name.split()} | {w.casefold() for w in given.split()}
    words = text.split()
    while len(words) > 1 and words[-1].casefold() in name_words:
        words.pop()
    form = " ".join(words) if len(words) < len(text.split()) else ""
    you = NEUTRAL_YOU.get(language, "you")
    if form and form.split()[0].casefold() in OWN_FORMS.get(language, ()):
        you = form
    elif language == "vi":
        you = form.lower() if form.casefold() in ("anh", "chị", "ông", "bà", "em") else you
    elif language == "th" and text.startswith("คุณ"):
        you = "คุณ"
    return Person(name, role, text, given, champion, decider, sex, text, you)


def nobody(language: str) -> str:
    """How to say "you" when the account has no contact on record: to the team, never "team at …"."""
    return NO_CONTACT_YOU.get(language, "you")
