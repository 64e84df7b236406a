"""The customer's own words: tickets and conversations read for savings, time spent, work by hand,
budget constraints with their horizon, satisfaction and growth (English, Bahasa Indonesia, Melayu).

The patterns live in quotes.yaml; this module only splits sentences, reads durations and dates.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache
from typing import Any

from playbooks.config import load
from playbooks.model import AccountData, Quote, Ticket

KINDS = ("saving", "time_spent", "manual_work", "budget", "satisfaction", "growth", "need", "result")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
NUMBER = r"\d+(?:[.,]\d+)?"


@cache
def _spec() -> dict[str, Any]:
    return load("quotes")


def _alt(words: list[str]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


@cache
def _duration() -> str:
    """A number (digits or words) and a unit: "10 menit", "2 jam", "two hours", "setengah jam"."""
    s = _spec()
    words = _alt([re.escape(str(w)) for w in s["numbers"]])
    units = _alt([u for us in s["units"].values() for u in us])
    return rf"(?:(?:{NUMBER}|{words})\s*{units}\b|\bsejam\b)"


@cache
def _patterns(kind: str, key: str = "match") -> tuple[re.Pattern[str], ...]:
    dur = _duration()
    named = {"now": f"(?P<now>{dur})", "then": f"(?P<then>{dur})", "dur": f"(?P<dur>{dur})"}
    out = []
    for fragment in _spec()["kinds"][kind].get(key, ()):
        text = str(fragment)
        for name, group in named.items():
            text = text.replace("{" + name + "}", group)
        out.append(re.compile(text, re.IGNORECASE))
    return tuple(out)


@cache
def _periods() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (p, re.compile(rf"\b{_alt(words)}\b", re.IGNORECASE)) for p, words in _spec()["periods"].items()
    )


def hours_in(text: str) -> float | None:
    """The hours a duration states: "10 menit" → 1/6, "2 jam" → 2, "setengah jam" → 0.5, "sejam" → 1."""
    s = _spec()
    folded = " ".join(text.casefold().split())
    if folded == "sejam":
        return 1.0
    for unit, words in s["units"].items():
        m = re.match(rf"^(?P<n>.+?)\s*{_alt(words)}$", folded)
        if m:
            n = m["n"].strip()
            value = s["numbers"].get(n)
            if value is None:
                try:
                    value = float(n.replace(",", "."))
                except ValueError:
                    return None
            return float(value) * float(s["hours_per_unit"][unit])
    return None


def period_in(sentence: str) -> str:
    """day | week | month when the sentence says how often, else ""."""
    return next((p for p, pattern in _periods() if pattern.search(sentence)), "")


def read(data: AccountData, today: date) -> tuple[Quote, ...]:
    """Every statement found in the recent tickets and conversations, oldest first."""
    window = int(_spec()["window_days"])
    out: list[Quote] = []
    for ticket in sorted(data.tickets, key=lambda t: t.date):
        if 0 <= (today - ticket.date).days <= window:
            out += read_ticket(ticket)
    return tuple(out)


@lru_cache(maxsize=8192)
def read_ticket(ticket: Ticket) -> tuple[Quote, ...]:
    """The statements of one ticket or conversation, one per kind and sentence (read once per process:
    the engine and the signals both ask)."""
    out = []
    for sentence in _sentences(f"{ticket.subject}. {ticket.body}"):
        for kind in KINDS:
            quote = _read(kind, sentence, ticket)
            if quote:
                out.append(quote)
    return tuple(_without_overlaps(out))


def _sentences(text: str) -> list[str]:
    return [s.strip(" .") for s in SENTENCE.split(text) if len(s.strip(" .")) > 3]


def _read(kind: str, sentence: str, ticket: Ticket) -> Quote | None:
    m = next((m for p in _patterns(kind) if (m := p.search(sentence))), None)
    if m is None or any(p.search(sentence) for p in _patterns(kind, "not")):
        return None
    base = Quote(kind=kind, said_on=ticket.date, text=sentence, source=ticket.kind.replace("_", " "))
    groups = m.groupdict()
    if kind == "saving":
        before, after = hours_in(groups["then"]), hours_in(groups["now"])
        if before is None or after is None or after >= before:
            return None
        return _with(base, hours_before=before, hours_after=after, period=period_in(sentence))
    if kind == "time_spent":
        hours = hours_in(groups["dur"]) if groups.get("dur") else None
        return _with(base, hours=hours, period=period_in(sentence))
    if kind == "budget":
        freeze = any(re.search(w, sentence, re.IGNORECASE) for w in _spec()["kinds"]["budget"]["freeze"])
        return _with(base, until=horizon(sentence, ticket.date), freeze=freeze)
    if kind == "result":
        return _with(base, percent=float(groups["pct"].replace(",", ".")))
    if kind == "need":
        feature = next((code for code, ps in _features() if any(p.search(sentence) for p in ps)), "")
        return _with(base, feature=feature) if feature else None
    return base


@cache
def _features() -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """(feature code, what asking for it says) from quotes.yaml `need.features`."""
    spec = _spec()["kinds"]["need"]["features"]
    return tuple((code, tuple(re.compile(p, re.IGNORECASE) for p in ps)) for code, ps in spec.items())


def _with(base: Quote, **fields: Any) -> Quote:
    return Quote(**{**base.__dict__, **fields})


def _without_overlaps(quotes: list[Quote]) -> list[Quote]:
    """A sentence that states a saving is not also time spent: "10 menit, dulu 2 jam"."""
    savings = {q.text for q in quotes if q.kind == "saving"}
    return [q for q in quotes if not (q.kind == "time_spent" and q.text in savings)]


def horizon(sentence: str, said_on: date) -> date | None:
    """When a constraint ends: next quarter, next month, next year, or until/after a named month."""
    h = _spec()["horizons"]

    def found(key: str) -> bool:
        return bool(re.search(rf"\b{_alt(h[key])}\b", sentence, re.IGNORECASE))

    for key, shift in (("after_month", 1), ("until_month", 0)):
        for month, names in _spec()["months"].items():
            for fragment in h[key]:
                pattern = fragment.replace("{month}", _alt([str(n) for n in names]))
                if re.search(pattern, sentence, re.IGNORECASE):
                    return _next_first(said_on, int(month) + shift)
    if found("next_quarter"):
        quarter_start = (said_on.month - 1) // 3 * 3 + 1
        return _next_first(said_on, quarter_start + 3)
    if found("next_month"):
        return _next_first(said_on, said_on.month + 1)
    if found("next_year"):
        return date(said_on.year + 1, 1, 1)
    return None


def _next_first(after: date, month: int) -> date:
    """The first day of a month (13 = next January) after a day."""
    year = after.year + (month - 1) // 12
    first = date(year, (month - 1) % 12 + 1, 1)
    return first if first > after else date(first.year + 1, first.month, 1)


def saved_hours(quote: Quote) -> float:
    """Hours a stated saving gives back each time: 2 h before, 10 min now → 1 h 50 min."""
    return (quote.hours_before or 0) - (quote.hours_after or 0)


def note(q: Quote) -> str:
    """What a statement means for the CSM, in a few words: "a saving: 2 h → 10 min a day"."""
    often = f" a {q.period}" if q.period else ""
    if q.kind == "saving":
        return f"a saving: {_hm(q.hours_before)} → {_hm(q.hours_after)}{often}"
    if q.kind == "time_spent":
        return f"time spent: {_hm(q.hours) if q.hours else 'hours'}{often}"
    if q.kind == "budget":
        state = "frozen" if q.freeze else "tight"
        return f"budget {state}" + (f" until {q.until.isoformat()}" if q.until else "")
    if q.kind == "need":
        return f"asked for {q.feature.replace('_', ' ')}"
    if q.kind == "result":
        return f"a result they measured: {q.percent:g}%"
    return {"manual_work": "work done by hand", "growth": "their business is growing"}.get(
        q.kind, "satisfied"
    )


def _hm(hours: float | None) -> str:
    """2 h, 10 min, 1 h 30 min."""
    minutes = round((hours or 0) * 60)
    h, m = divmod(minutes, 60)
    return " ".join(x for x in (f"{h} h" if h else "", f"{m} min" if m else "") if x) or "0 min"
