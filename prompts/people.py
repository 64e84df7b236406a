"""Forms of address: Bapak/Ibu (ID), Encik/Puan (MY), Khun (TH), Anh/Chị (VN), first names (SG, PH)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
TITLES = ("dr", "dr.", "prof", "prof.")
# (country, language) -> (male form, female form, neutral form); the form goes before the name
FORMS: dict[str, tuple[str, str, str]] = {
    "ID": ("Bapak", "Ibu", "Bapak/Ibu"),
    "MY": ("Encik", "Puan", "Encik/Puan"),
    "VN": ("Anh", "Chị", "Anh/Chị"),
}


@cache
def _names() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "phrases" / "names.yaml").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Person:
    """A contact as a writer addresses them."""

    name: str
    role: str
    salutation: str  # "Bapak Andi", "Khun Ploy", "Rachel", "Dr Lim"
    given: str  # the name alone, for a second mention: "Andi"
    champion: bool = False
    decision_maker: bool = False


def _gender(given: str, full: str) -> str:
    names = _names()
    if given in names["female"] or full in names["female"]:
        return "f"
    if given in names["male"] or full in names["male"]:
        return "m"
    return ""


def address(name: str, country: str) -> tuple[str, str]:
    """(salutation, given name) for a contact in a country, e.g. ("Ibu Maya", "Maya")."""
    words = name.split()
    if not words:
        return "", ""
    country = country.upper()
    title = words[0] if words[0].casefold() in TITLES else ""
    rest = words[1:] if title else words
    if not rest:
        return name, name
    family_first = rest[0] in _names()["family_first"] and len(rest) >= 3
    if country == "VN":
        given = rest[-1]
        middle = rest[1] if len(rest) >= 3 else ""
        gender = "f" if middle in _names()["vn_female_middle"] else ""
        gender = gender or ("m" if middle in _names()["vn_male_middle"] else _gender(given, name))
    elif family_first:
        given = " ".join(rest[1:])
        gender = _gender(given, name)
    else:
        given = rest[0]
        gender = _gender(given, name)
    if title:  # a doctor is addressed as one everywhere: "Dr Lim", "Dr Anan"
        return f"{title.rstrip('.').capitalize()} {rest[0]}", given
    if country == "TH":
        return f"Khun {given}", given
    if country in FORMS:
        male, female, neutral = FORMS[country]
        form = {"m": male, "f": female}.get(gender, neutral)
        surname = rest[0] if family_first and country == "MY" else given
        return f"{form} {surname}", given
    return given, given
