"""The one command parser and the account matcher, as users type things."""

from __future__ import annotations

import pytest

from handlers.accounts import find
from handlers.commands import Command, ParseError, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prep Kopi Nusantara", Command("prep", account="Kopi Nusantara")),
        ("/prep  Kopi   Nusantara ", Command("prep", account="Kopi Nusantara")),
        ("siapkan Kopi Nusantara", Command("prep", account="Kopi Nusantara")),
        ("expansion ID-001", Command("expansion", account="ID-001")),
        ("expansion mine", Command("mine")),
        (
            "draft Kopi Nusantara whatsapp id",
            Command("draft", account="Kopi Nusantara", channel="whatsapp", language="id"),
        ),
        (
            "draft Kopi Nusantara id whatsapp",
            Command("draft", account="Kopi Nusantara", channel="whatsapp", language="id"),
        ),
        ("draf Kopi Nusantara", Command("draft", account="Kopi Nusantara")),
        (
            "draft Kopi Nusantara email bahasa melayu",
            Command("draft", account="Kopi Nusantara", channel="email", language="ms"),
        ),
        ("draft", Command("draft")),
        ("draft id", Command("draft", language="id")),
        (
            "objection Kopi Nusantara budget",
            Command("objection", account="Kopi Nusantara", objection="budget"),
        ),
        (
            "objection Kopi Nusantara no budget",
            Command("objection", account="Kopi Nusantara", objection="budget"),
        ),
        (
            "objection Acme we're happy with the current plan",
            Command("objection", account="Acme", objection="happy"),
        ),
        ("objection Acme let me think about it", Command("objection", account="Acme", objection="think")),
        (
            "keberatan Kopi Nusantara tidak ada budget",
            Command("objection", account="Kopi Nusantara", objection="budget"),
        ),
        (
            "keberatan Kopi Nusantara sudah cukup",
            Command("objection", account="Kopi Nusantara", objection="happy"),
        ),
        (
            "keberatan Kopi Nusantara nanti saya pikirkan dulu",
            Command("objection", account="Kopi Nusantara", objection="think"),
        ),
        ("objection budget", Command("objection", objection="budget")),
        (
            "outcome Kopi Nusantara no budget frozen until March",
            Command("outcome", account="Kopi Nusantara", outcome="no", reason="budget frozen until March"),
        ),
        ("outcome Acme won", Command("outcome", account="Acme", outcome="won")),
        ("outcome maybe", Command("outcome", outcome="maybe")),
        ("pipeline", Command("pipeline")),
        ("digest", Command("digest")),
        ("digest singapore", Command("digest", account="singapore")),
        ("", Command("help")),
        ("HELP", Command("help")),
        ("bantuan", Command("help")),
    ],
)
def test_parses(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("upgrade Acme now", "I don't know the command"),
        ("objection Acme", "Which objection?"),
        ("outcome Acme", "Which outcome?"),
        ("prep " + "x" * 600, "too long"),
    ],
)
def test_rejects_with_a_message(text, message):
    with pytest.raises(ParseError, match=message):
        parse(text)


ACCOUNTS = [
    ("ID-001", "Kopi Nusantara"),
    ("ID-009", "Kopi Kenangan Bersama"),
    ("VN-001", "Công ty Hòa Phát Số"),
    ("SG-002", "Marina Analytics Pte Ltd"),
    ("SG-001", "Lion City Dental Group"),
]


@pytest.mark.parametrize(
    ("query", "account_id"),
    [
        ("ID-001", "ID-001"),
        ("id-001", "ID-001"),
        ("Kopi Nusantara", "ID-001"),
        ("kopi nusantara", "ID-001"),
        ("kopi nusantra", "ID-001"),
        ("hoa phat", "VN-001"),
        ("Hòa Phát", "VN-001"),
        ("marina analytics", "SG-002"),
        ("lion city dental", "SG-001"),
    ],
)
def test_finds_the_account(query, account_id):
    assert find(query, ACCOUNTS).account_id == account_id


def test_ambiguous_name_suggests_and_picks_none():
    match = find("kopi", ACCOUNTS)
    assert match.account_id is None
    assert {i for i, _ in match.suggestions} >= {"ID-001", "ID-009"}


def test_unknown_name_acts_on_none():
    match = find("Totally Different Corp", ACCOUNTS)
    assert match.account_id is None
    assert "ID-001" not in {i for i, _ in match.suggestions}
