"""Finds the account a user means: by id, exact name, or fuzzily; never guesses between two."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from handlers.commands import fold

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
