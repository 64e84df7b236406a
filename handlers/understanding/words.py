"""The phrase tables of free text (phrases.yaml plus vocabulary.yaml's options), and finding them in a
sentence: whole words, folded, longest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from handlers.commands import vocabulary
from playbooks.text import fold

LANGUAGES = ("en", "id", "ms")  # the languages free text is understood in (and questions answered in)
_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")


@dataclass(frozen=True)
class Hit:
    key: str
    start: int
    end: int  # exclusive
    language: str = ""  # which language's list the phrase came from ("" for shared lists)

    @property
    def size(self) -> int:
        return self.end - self.start


Table = dict[tuple[str, ...], tuple[str, str]]  # folded words -> (key, language)


@cache
def phrases() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(Path(__file__).with_name("phrases.yaml").read_text("utf-8"))
    return data


def tokens(text: str) -> tuple[str, ...]:
    """Folded words; "Kopi's" is "kopi", "akunnya" keeps its "nya" apart, ids keep their dashes."""
    out: list[str] = []
    for word in _WORD.findall(fold(text).replace("’", "'")):
        word = word.removesuffix("'s")
        if len(word) > 5 and word.endswith("nya") and not word.startswith("nya"):
            out += [word[:-3], "nya"]
        else:
            out.append(word)
    return tuple(out)


def _table(lists: dict[str, Any], *, by_language: bool) -> Table:
    """{key: {lang: [phrases]}} or {key: [phrases]} as a lookup from folded word tuples."""
    table: Table = {}
    for key, value in lists.items():
        groups = value.items() if by_language else [("", value)]
        for language, words in groups:
            for phrase in words:
                table.setdefault(tokens(str(phrase)), (str(key), language))
    table.pop((), None)
    return table


@cache
def table(name: str) -> Table:
    """One phrase table: intents, questions, outcomes, objections, channels, languages, pronouns…"""
    p = phrases()
    if name in {"intents", "questions"}:
        return _table(p[name], by_language=True)
    if name in {"channels", "languages", "objections"}:  # one list for strict commands and free text
        return _table(vocabulary()[name], by_language=False)
    if name == "question_words":
        return _table({"?": p["question_words"]}, by_language=True)
    if name == "markers":
        return _table({"marker": p["language_markers"]}, by_language=True)
    return _table({name: p[name]}, by_language=False)  # outcomes are keyed already; lists are one key


@cache
def outcome_table() -> Table:
    return _table(phrases()["outcomes"], by_language=False)


@cache
def word_set(name: str) -> frozenset[str]:
    """A list of single words (filler, company words, follow-ups) as folded words."""
    return frozenset(w for phrase in phrases()[name] for w in tokens(str(phrase)))


def find(words: tuple[str, ...], lookup: Table, *, skip: range = range(0)) -> list[Hit]:
    """Non-overlapping hits, left to right, the longest phrase at each place; words in `skip` are taken."""
    longest = max((len(k) for k in lookup), default=0)
    hits: list[Hit] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            if any(j in skip for j in range(i, i + size)):
                continue
            found = lookup.get(words[i : i + size])
            if found:
                hits.append(Hit(found[0], i, i + size, found[1]))
                i += size
                break
        else:
            i += 1
    return hits


@cache
def language_words(language: str) -> frozenset[str]:
    """Every word of one language's phrases, question words and markers: what tells the asker's language."""
    p = phrases()
    lists = [by_lang.get(language, []) for group in ("intents", "questions") for by_lang in p[group].values()]
    lists += [p["question_words"].get(language, []), p["language_markers"].get(language, [])]
    return frozenset(w for phrases_ in lists for phrase in phrases_ for w in tokens(str(phrase)))
