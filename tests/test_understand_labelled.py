"""The labelled set (tests/data/utterances.yaml): at least 200 things CSMs type, in English, Bahasa
Indonesia, Bahasa Melayu and mixed, with typos, partial names, pronouns and follow-ups, on the demo
portfolio and a generated one. Understanding must get 95% of them exactly right (command, account and
options) and must never pick a wrong account."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import account
from conftest import TODAY
from sqlalchemy import Engine, delete

from handlers.context import Context
from handlers.dispatch import ACCOUNT_COMMANDS, MEMORY_TTL
from handlers.understanding.converse import interpret
from handlers.understanding.offline import Understanding
from storage import models as db
from storage.db import session_scope
from storage.memory import remember

SET = yaml.safe_load((Path(__file__).parent / "data" / "utterances.yaml").read_text("utf-8"))
USER = "console:labelled"
ACCURACY = 0.95


def add_portfolio(engine: Engine, spec: list[dict[str, Any]]) -> None:
    """The generated accounts, each a full account row (builders' defaults) with a champion."""
    with session_scope(engine) as session:
        for item in spec:
            row = asdict(account(account_id=item["id"], name=item["name"], country=item["country"]))
            row["tools"] = list(row["tools"])
            session.add(db.Account(**row))
            session.add(db.Contact(account_id=item["id"], name="Ari Wibowo", role="Owner", is_champion=True))


@pytest.fixture
def labelled_engine(engine: Engine) -> Engine:
    add_portfolio(engine, SET["portfolio"])
    return engine


def expected(spec: str) -> tuple[str, str, dict[str, str]]:
    name, target, *pairs = spec.split()
    return name, "" if target == "-" else target, dict(p.split("=", 1) for p in pairs)


def recent(engine: Engine, spec: str | None) -> None:
    with session_scope(engine) as session:
        session.execute(delete(db.ChatMemory).where(db.ChatMemory.user_key == USER))
        if spec:
            account_id, command, *pairs = spec.split()
            remember(session, USER, account_id, command, dict(p.split("=", 1) for p in pairs))


def read(engine: Engine, item: dict[str, Any]) -> Understanding:
    recent(engine, item.get("r"))
    ctx = Context(engine, TODAY, caller_email=item.get("as", SET["asker"]), user_key=USER)
    return interpret(item["t"], ctx, account_commands=ACCOUNT_COMMANDS, ttl=MEMORY_TTL)[0]


def got(u: Understanding) -> tuple[str, str, dict[str, str]]:
    """The same shape as `expected`: what was understood."""
    if u.kind == "clarify":
        return "clarify", "", {"candidates": ",".join(sorted(i for i, _ in u.candidates))}
    if u.kind == "unknown" or u.command is None:
        return "unknown", u.account_id, {}
    c = u.command
    if c.name == "question":
        return "question", u.account_id, {"topic": c.options.get("topic", ""), "lang": u.language}
    options = {"channel": c.channel, "language": c.language, "objection": c.objection, "outcome": c.outcome}
    return c.name, u.account_id, {k: v for k, v in options.items() if v}


def test_the_set_is_big_and_varied() -> None:
    items = SET["utterances"]
    assert len(items) >= 200
    assert sum(1 for i in items if "r" in i) >= 25  # follow-ups and pronouns
    ids = {expected(i["e"])[1] for i in items}
    assert len({i for i in ids if i.startswith("G")}) >= 10  # the generated portfolio is used


def test_understanding_meets_the_bar_and_never_picks_a_wrong_account(labelled_engine: Engine) -> None:
    misses, wrong = [], []
    for item in SET["utterances"]:
        want, have = expected(item["e"]), got(read(labelled_engine, item))
        if have != want:
            misses.append(f"{item['t']!r}: expected {want}, got {have}")
        if have[1] and have[1] != want[1]:
            wrong.append(misses[-1])
    accuracy = 1 - len(misses) / len(SET["utterances"])
    print(f"labelled set: {accuracy:.1%} of {len(SET['utterances'])}")  # the README's figure (pytest -s)
    assert wrong == []
    assert accuracy >= ACCURACY, "\n".join(misses)


HELD_OUT = ("utterances_heldout.yaml", "utterances_heldout2.yaml")
HELD_OUT_ACCURACY = 0.9  # unseen text: lower than the labelled bar, but a regression still shows


@pytest.mark.parametrize("name", HELD_OUT)
def test_text_never_written_for_the_phrase_lists_is_mostly_right_and_never_the_wrong_account(
    labelled_engine: Engine, name: str
) -> None:
    """The held-out sets were not used to tune anything: whatever they miss, they ask back or say so."""
    held_out = yaml.safe_load((Path(__file__).parent / "data" / name).read_text("utf-8"))["utterances"]
    misses, wrong = [], []
    for item in held_out:
        want, have = expected(item["e"]), got(read(labelled_engine, item))
        if have != want:
            misses.append(f"{item['t']!r}: expected {want}, got {have}")
        if have[1] and have[1] != want[1]:
            wrong.append(misses[-1])
    assert len(held_out) >= 30
    assert wrong == []
    assert 1 - len(misses) / len(held_out) >= HELD_OUT_ACCURACY, "\n".join(misses)


def test_help_with_an_account_named_is_about_the_account(labelled_engine: Engine) -> None:
    """ "help me get ready for X" preps X; a bare "help" is still the help."""
    u = read(labelled_engine, {"t": "could you help me get ready for Lion Physio"})
    assert (u.command.name if u.command else "", u.account_id) == ("prep", "SG-103")
    assert got(read(labelled_engine, {"t": "help"}))[0] == "help"


def test_a_question_naming_two_accounts_asks_which(labelled_engine: Engine) -> None:
    u = read(labelled_engine, {"t": "Orchard Fitness or Orchard Optics, who renews first?"})
    assert u.kind == "clarify" and u.account_id == ""
    assert sorted(i for i, _ in u.candidates) == ["SG-003", "SG-102"]


def test_words_either_indonesian_or_malay_are_answered_in_the_accounts_language(
    labelled_engine: Engine,
) -> None:
    """ "siapa champion di …?" is both: a Malaysian account's answer is in Malay, an Indonesian one's in
    Indonesian; words only one language has still decide."""
    assert read(labelled_engine, {"t": "siapa champion di Kedai Kopi Damai?"}).language == "ms"
    assert read(labelled_engine, {"t": "siapa champion di Kopi Nusantara?"}).language == "id"
    assert read(labelled_engine, {"t": "kapan Kedai Kopi Damai perpanjang?"}).language == "id"
    u = read(labelled_engine, {"t": "siapa champion di Nasi Lemak Wangi?"})
    assert u.command is not None and u.command.language == "ms"
