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


@cache
def load(name: str) -> dict[str, Any]:
    """A data file of prompts/phrases, read once."""
    data: dict[str, Any] = yaml.safe_load((PHRASES / f"{name}.yaml").read_text("utf-8"))
    return data


def bank(language: str) -> dict[str, Any]:
    """The full phrase bank for a language; Thai, Vietnamese and Filipino drafts use English bodies."""
    return load(language if language in ("en", "id", "ms") else "en")


def courtesy(language: str) -> dict[str, str] | None:
    """Local greeting and courtesy lines around an English body (th, vi, fil)."""
    found: dict[str, str] | None = load("courtesy").get(language)
    return found


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
    return " ".join(template.format_map(_Strict(values)).split())


def say(node: Any, key: str, values: dict[str, Any]) -> str:
    """Pick a variant of a phrase node and fill it."""
    return fill(pick(node, key), values)


def words(text: str) -> int:
    return len(WORD.findall(text))


def join(items: list[str], and_word: str) -> str:
    """'a', 'a and b', 'a, b and c' in the bank's language."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {and_word} " + items[-1]


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
