"""Finds the account a user means: by id, exact name, or fuzzily; never guesses between two."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from handlers.understanding.words import tokens
from playbooks.text import fold

MATCH_SCORE = 88  # a fuzzy match this good, clearly ahead of the next, is taken
CLEAR_LEAD = 6
SUGGEST_SCORE = 60  # "kopi" suggests both Kopi accounts, not Toko Roti Harum (57)


@dataclass(frozen=True)
class Match:
    account_id: str | None  # None when not found or ambiguous
    suggestions: tuple[tuple[str, str], ...] = ()  # (account_id, name), best first


def find(query: str, accounts: list[tuple[str, str]]) -> Match:
    q = fold(query)
    if not q:
        return Match(None)
    for account_id, _name in accounts:
        if fold(account_id) == q:
            return Match(account_id)
    exact = [(i, n) for i, n in accounts if fold(n) == q]
    if len(exact) == 1:
        return Match(exact[0][0])
    choices = {i: fold(n) for i, n in accounts}
    ranked = process.extract(q, choices, scorer=_score, limit=5)
    names = dict(accounts)
    suggestions = tuple((key, names[key]) for _, score, key in ranked if score >= SUGGEST_SCORE)
    if (
        ranked
        and ranked[0][1] >= MATCH_SCORE
        and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= CLEAR_LEAD)
    ):
        return Match(ranked[0][2])
    return Match(None, suggestions)


def _score(query: str, choice: str, **_: object) -> float:
    """Whole-name similarity, with credit for a query that is all of the name's distinctive words."""
    return max(fuzz.WRatio(query, choice), fuzz.token_set_ratio(query, choice) - 2)


@dataclass(frozen=True)
class Mention:
    """An account named somewhere in a sentence."""

    account_id: str | None  # found, unambiguous
    span: tuple[int, int] = (0, 0)  # the words that named it (start, end exclusive)
    suggestions: tuple[tuple[str, str], ...] = ()  # ambiguous or close: (account_id, name), best first
    score: float = 0.0


@dataclass(frozen=True)
class _Index:
    names: dict[str, str]  # account_id -> name
    ids: dict[str, str]  # folded id -> account_id
    exact: dict[tuple[str, ...], frozenset[str]]  # folded name words (with and without company words) -> ids
    choices: dict[int, str]  # alias number -> alias text, for fuzzy search
    owners: dict[int, str]  # alias number -> account_id
    longest: int
    words: frozenset[str]  # every distinctive word of a name
    tokens: dict[str, frozenset[str]]  # account_id -> its name's words


@lru_cache(maxsize=8)
def _index(accounts: tuple[tuple[str, str], ...], company: frozenset[str]) -> _Index:
    exact: dict[tuple[str, ...], set[str]] = {}
    choices: dict[int, str] = {}
    owners: dict[int, str] = {}
    own: dict[str, frozenset[str]] = {}
    for account_id, name in accounts:
        words = tokens(name)
        own[account_id] = frozenset(words)
        core = tuple(w for w in words if w not in company)
        for alias in dict.fromkeys((words, core)):
            if alias:
                exact.setdefault(alias, set()).add(account_id)
                choices[len(choices)] = " ".join(alias)
                owners[len(owners)] = account_id
    return _Index(
        names=dict(accounts),
        ids={fold(i): i for i, _ in accounts},
        exact={k: frozenset(v) for k, v in exact.items()},
        choices=choices,
        owners=owners,
        longest=max((len(k) for k in exact), default=0),
        words=frozenset(w for ws in own.values() for w in ws if w not in company and len(w) >= 3),
        tokens=own,
    )


def mention(
    words: tuple[str, ...],
    accounts: list[tuple[str, str]],
    *,
    free: frozenset[int],
    company: frozenset[str] = frozenset(),
) -> Mention:
    """The account a sentence names: its id, a whole name (or the name without "Pte Ltd"), or fuzzily a
    run of `free` words (those no other phrase took). Two close candidates are never decided between."""
    index = _index(tuple(accounts), company)
    by_id = [(i, i + 1, frozenset({index.ids[w]})) for i, w in enumerate(words) if w in index.ids]
    if by_id:
        return _one_of(by_id, index)
    whole: list[tuple[int, int, frozenset[str]]] = []
    for i in range(len(words)):
        for size in range(min(index.longest, len(words) - i), 0, -1):
            ids = index.exact.get(words[i : i + size])
            if ids and any(w not in company for w in words[i : i + size]):
                whole.append((i, i + size, ids))
                break
    if whole:
        return _one_of(whole, index)
    return _fuzzy(words, index, free, company)


def _one_of(found: list[tuple[int, int, frozenset[str]]], index: _Index) -> Mention:
    """The longest name found; when the sentence names other accounts too ("Fresh Mart vs Fresh
    Market"), or the name is shared, the question goes back with all of them."""
    start, end, ids = max(found, key=lambda f: f[1] - f[0])
    others = [f for f in found if f[1] <= start or f[0] >= end]  # names outside the longest one
    named = ids.union(*(f[2] for f in others))
    if len(named) == 1:
        return Mention(next(iter(named)), (start, end), score=100)
    return Mention(None, (start, end), _named(index, frozenset(named)), score=100)


def _fuzzy(words: tuple[str, ...], index: _Index, free: frozenset[int], company: frozenset[str]) -> Mention:
    """The longest run of words that names one account well; else the best close names to suggest."""
    usable = free | {i for i, w in enumerate(words) if w in index.words}  # "Apotek Sehat": sehat is a name
    good: list[tuple[int, float, Mention]] = []
    near = Mention(None)
    for start, end in _windows(words, usable, company):
        ranked: dict[str, float] = {}
        for _, score, key in process.extract(
            " ".join(words[start:end]), index.choices, scorer=_score, limit=6, score_cutoff=SUGGEST_SCORE
        ):
            owner = index.owners[key]
            ranked[owner] = max(ranked.get(owner, 0.0), score)
        if not ranked:
            continue
        order = sorted(ranked.items(), key=lambda x: -x[1])
        top = order[0][1]
        clear = top >= MATCH_SCORE and (len(order) == 1 or top - order[1][1] >= CLEAR_LEAD)
        floor = top - 2 * CLEAR_LEAD if top >= MATCH_SCORE else SUGGEST_SCORE  # close rivals only
        suggestions = tuple((i, index.names[i]) for i, score in order if score >= floor)
        found = Mention(order[0][0] if clear else None, (start, end), () if clear else suggestions, top)
        if top >= MATCH_SCORE:
            good.append((end - start, top, found))
        elif top > near.score:
            near = found
    if not good:
        return near
    best = max(good, key=lambda g: (g[0], g[1]))[2]
    return _grown(words, best, index) if best.account_id else best


def _windows(
    words: tuple[str, ...], usable: frozenset[int], company: frozenset[str]
) -> list[tuple[int, int]]:
    """Runs of up to five usable words with a word a name could be told apart by, covering at least half
    of their run: "Gajah Mada Motor" is not "Krungthep Motors" by its last word."""
    out = []
    for start in range(len(words)):
        for end in range(start + 1, min(start + 5, len(words)) + 1):
            if end - 1 not in usable:
                break
            if start not in usable or not any(len(w) >= 3 and w not in company for w in words[start:end]):
                continue
            run = _run(usable, start, end)
            if run - (end - start) <= end - start:
                out.append((start, end))
    return out


def _run(usable: frozenset[int], start: int, end: int) -> int:
    """How many usable words in a row the window sits in."""
    while start - 1 in usable:
        start -= 1
    while end in usable:
        end += 1
    return end - start


def _grown(words: tuple[str, ...], found: Mention, index: _Index) -> Mention:
    """The span with the matched name's own words on either side: "Apotek Sehat", not "Apotek"."""
    own = index.tokens[found.account_id or ""]
    start, end = found.span
    while start > 0 and words[start - 1] in own:
        start -= 1
    while end < len(words) and words[end] in own:
        end += 1
    return Mention(found.account_id, (start, end), score=found.score)


def _named(index: _Index, ids: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((i, index.names[i]) for i in ids))
