"""Phrase banks and the small text tools the offline writer composes with: pick, fill, fit, format."""

from __future__ import annotations

import re
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PHRASES = Path(__file__).parents[1] / "phrases"
WORD = re.compile(r"\S*\w\S*")  # as a reader counts: "multi-outlet" is one word, a lone "—" none
THAI = re.compile(r"[\u0e00-\u0e7f]")
THAI_LETTERS_PER_WORD = 5  # Thai runs words together; about five letters (with marks) make one


@cache
def load(name: str) -> dict[str, Any]:
    """A data file of prompts/phrases, read once."""
    data: dict[str, Any] = yaml.safe_load((PHRASES / f"{name}.yaml").read_text("utf-8"))
    return data


FULL_BANKS = ("en", "id", "ms", "th", "vi")
# Philippine English: American spelling (Singapore and Malaysia keep the bank's British spelling).
AMERICAN = {
    "organis": "organiz", "optimis": "optimiz", "prioritis": "prioritiz", "utilis": "utiliz",
    "analys": "analyz", "recognis": "recogniz", "customis": "customiz", "colour": "color",
    "favour": "favor", "centre": "center", "programme": "program", "cancelled": "canceled",
    "enrol": "enroll", "licence": "license",
}  # fmt: skip
_AMERICAN = re.compile("|".join(AMERICAN), re.IGNORECASE)


@cache
def bank(language: str) -> dict[str, Any]:
    """The full phrase bank for a language. Filipino is English-led: the English bank with the Taglish
    courtesy lines of fil.yaml (po, Sir/Ma'am) in place of its greetings and closings."""
    if language in FULL_BANKS:
        return load(language)
    if language == "fil":
        return _merged(load("en"), load("fil"))
    return load("en")


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merged(base[key], value)
            if isinstance(value, dict) and isinstance(base.get(key), dict)
            else value
        )
    return out


def spelled(text: str, country_code: str) -> str:
    """American spelling for the Philippines; everywhere else the text as written."""
    if country_code.upper() != "PH":
        return text
    return _AMERICAN.sub(lambda m: _same_case(m.group(0), AMERICAN[m.group(0).casefold()]), text)


def _same_case(found: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if found[:1].isupper() else replacement


def tone(country_code: str) -> dict[str, Any]:
    tones = load("tone")
    found: dict[str, Any] = tones.get(country_code.upper(), tones["SG"])
    return found


def pick(options: str | list[str], key: str) -> str:
    """One variant, the same every time for the same account and slot, different across accounts."""
    if isinstance(options, str):
        return options
    return options[zlib.crc32(key.encode("utf-8")) % len(options)]


class _Strict(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        raise KeyError(f"phrase needs {{{key}}}, which these facts do not have")


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill a phrase; a missing value is a bug in the bank, never a placeholder left in a draft."""
    text = " ".join(template.format_map(_Strict(values)).split())
    return text[:1].upper() + text[1:] if text[:1].islower() else text  # "anh Minh…" opening a sentence


def say(node: Any, key: str, values: dict[str, Any]) -> str:
    """Pick a variant of a phrase node and fill it."""
    return fill(pick(node, key), values)


def words(text: str) -> int:
    """Words as a reader counts them; Thai, written without spaces between words, by its letters."""
    n = 0
    for token in WORD.findall(text):
        thai = len(THAI.findall(token))
        n += max(1, round(thai / THAI_LETTERS_PER_WORD)) if thai else 1
    return n


def extend(sentence: str, tail: str) -> str:
    """A sentence with a clause added before its final mark ("…seats, with 3 joining."); Thai sentences
    have no final mark, so the clause follows after a space."""
    if not tail:
        return sentence
    gap = "" if tail[:1] in ",;" else " "
    if sentence[-1:] in ".!?":
        return sentence[:-1] + gap + tail + ("" if tail[-1:] in ".!?" else sentence[-1])
    return sentence + gap + tail


def join(items: list[str], and_word: str, sep: str = ", ") -> str:
    """'a', 'a and b', 'a, b and c' in the bank's language (Thai: 'a b และ c')."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + f" {and_word} " + items[-1]


def fit(blocks: list[list[str]], extras: list[tuple[int, str]], lo: int, hi: int, render: Any) -> str:
    """Add optional sentences (in order) until the text reaches `lo` words, never past `hi`."""
    blocks = [list(b) for b in blocks]
    text = render(blocks)
    for index, sentence in extras:
        if words(text) >= lo:
            break
        trial = [list(b) for b in blocks]
        trial[index].append(sentence)
        candidate = render(trial)
        if words(candidate) <= hi:
            blocks, text = trial, candidate
    return text


def paragraphs(blocks: list[list[str]]) -> str:
    return "\n\n".join(" ".join(b) for b in blocks if b)


def cap_chars(lines: list[str], optional: list[int], limit: int) -> str:
    """Drop optional lines (last first) until a chat message fits its limit."""
    keep = list(range(len(lines)))
    for i in reversed(optional):
        if len("\n\n".join(lines[k] for k in keep if lines[k])) <= limit:
            break
        keep.remove(i)
    return "\n\n".join(lines[k] for k in keep if lines[k])
