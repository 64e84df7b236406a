"""The one parser of the chat command language, used by every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from playbooks.text import fold

MAX_COMMAND_CHARS = 500


@dataclass(frozen=True)
class Command:
    name: str  # prep | expansion | draft | objection | outcome | pipeline | digest | help | mine
    # | qualify | propose | snooze | not_relevant (the opportunity workflow)
    account: str = ""  # what the user typed for the account; "" means "the one we talked about"
    channel: str = ""  # draft: email | whatsapp | slack
    language: str = ""  # draft/prep/objection: en | id | ms | th | vi | fil
    objection: str = ""  # budget | happy | think
    outcome: str = ""  # won | lost | no | maybe
    reason: str = ""
    options: dict[str, str] = field(default_factory=dict)  # offer: "2" (numbered choice), days, signal


def options_of(command: Command) -> dict[str, str]:
    """The options a follow-up may keep ("and in Thai please" keeps the channel): what memory stores."""
    given = {
        "channel": command.channel,
        "language": command.language,
        "objection": command.objection,
        "outcome": command.outcome,
        **command.options,
    }
    return {k: v for k, v in given.items() if v}


class ParseError(ValueError):
    """The text is not a command; the message says what was expected."""


@cache
def vocabulary() -> dict:
    return yaml.safe_load((Path(__file__).with_name("vocabulary.yaml")).read_text("utf-8"))


def _lookup(table: dict[str, list[str]]) -> dict[str, str]:
    return {fold(str(word)): key for key, words in table.items() for word in words}


def parse(text: str) -> Command:
    """Turn what a user typed into a Command, or raise ParseError with a helpful message."""
    if len(text) > MAX_COMMAND_CHARS:
        raise ParseError(f"That message is too long for a command (over {MAX_COMMAND_CHARS} characters).")
    raw = " ".join(text.replace("\x00", " ").split()).lstrip("/")
    if not raw:
        return Command("help")
    first, _, rest = raw.partition(" ")
    verbs = _lookup(vocabulary()["verbs"])
    name = verbs.get(fold(first))
    second, _, after = rest.partition(" ")
    if (two := verbs.get(fold(f"{first} {second}"))) is not None:  # two-word verbs: "not relevant"
        name, rest = two, after
    if name is None:
        raise ParseError(f"I don't know the command “{first[:40]}”.")
    rest = rest.strip()
    if name == "expansion" and fold(rest) in {fold(w) for w in vocabulary()["mine_words"]}:
        return Command("mine")
    if name in {"pipeline", "digest", "help", "mine"}:
        return Command(name, account=rest)
    if name == "draft":
        return _parse_draft(rest)
    if name == "objection":
        return _parse_objection(rest)
    if name == "outcome":
        return _parse_outcome(rest)
    if name in WORKFLOW_VERBS:
        return _parse_workflow(name, rest)
    account, language = _take_trailing(rest, _lookup(vocabulary()["languages"]))
    return Command(name, account=account, language=language)


WORKFLOW_VERBS = {"qualify", "propose", "snooze", "not_relevant"}


def _parse_workflow(name: str, rest: str) -> Command:
    """`qualify|propose ACCOUNT [N]` (N: the numbered offer), `snooze ACCOUNT [days]`,
    `not relevant ACCOUNT [signal]`."""
    if name == "not_relevant":
        account, signal = _take_trailing(rest, _lookup(vocabulary()["signals"]))
        return Command(name, account=account, options={"signal": signal} if signal else {})
    words = rest.split()
    if name == "snooze" and (span := _duration(words)):
        return Command(name, account=" ".join(words[: len(words) - span[0]]), options={"days": str(span[1])})
    last = words[-1].lstrip("#") if len(words) > 1 else ""
    if not last.isdigit():
        return Command(name, account=rest)
    key = "days" if name == "snooze" else "offer"
    return Command(name, account=" ".join(words[:-1]), options={key: str(int(last))})


def _duration(words: list[str]) -> tuple[int, int] | None:
    """A trailing "[for] 2 weeks" / "14 hari" / "selama 1 bulan": (words it takes, days)."""
    units = _lookup(vocabulary()["durations"])
    if len(words) < 2 or not words[-2].isdigit() or fold(words[-1]) not in units:
        return None
    days = int(words[-2]) * int(units[fold(words[-1])])
    lead = len(words) > 2 and fold(words[-3]) in {fold(w) for w in vocabulary()["duration_words"]}
    return (3 if lead else 2), days  # no account left: the one talked about last


def _take_trailing(text: str, table: dict[str, str]) -> tuple[str, str]:
    """Split 'Kopi Nusantara bahasa indonesia' into ('Kopi Nusantara', 'id') using the longest match."""
    words = text.split()
    for size in (3, 2, 1):
        if len(words) >= size and (key := table.get(fold(" ".join(words[-size:])))):
            return " ".join(words[:-size]), key
    return text, ""


def _parse_draft(rest: str) -> Command:
    languages = _lookup(vocabulary()["languages"])
    channels = _lookup(vocabulary()["channels"])
    account, channel, language = rest, "", ""
    for _ in range(2):  # channel and language, in either order
        if not channel:
            account, channel = _take_trailing(account, channels)
        if not language:
            account, language = _take_trailing(account, languages)
    return Command("draft", account=account.strip(), channel=channel, language=language)


def _parse_objection(rest: str) -> Command:
    phrases = _lookup(vocabulary()["objections"])
    folded = fold(rest)
    for phrase in sorted(phrases, key=len, reverse=True):
        if folded == phrase or folded.endswith(" " + phrase):
            account = " ".join(rest.split()[: len(rest.split()) - len(phrase.split())])
            account, language = _take_trailing(account, _lookup(vocabulary()["languages"]))
            return Command("objection", account=account, objection=phrases[phrase], language=language)
    raise ParseError(
        "Which objection? Use budget, happy or think — e.g. “objection Kopi Nusantara no budget”."
    )


def _parse_outcome(rest: str) -> Command:
    outcomes = _lookup(vocabulary()["outcomes"])
    words = rest.split()
    for i, word in enumerate(words):
        if key := outcomes.get(fold(word)):
            return Command(
                "outcome", account=" ".join(words[:i]), outcome=key, reason=" ".join(words[i + 1 :])
            )
    raise ParseError(
        "Which outcome? Use won, lost, no or maybe — e.g. “outcome Kopi Nusantara no budget frozen”."
    )
