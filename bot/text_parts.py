"""Long text as parts that fit a channel's limit, cut where a reader expects a break: between
paragraphs, else lines, else words, and only as a last resort inside a word. Slack's blocks and
WhatsApp's messages both split this way; each channel gives its own measure and last-resort cut."""

from __future__ import annotations

from collections.abc import Callable

SEPARATORS = ("\n\n", "\n", " ")


def hard_cut(text: str, budget: int, measure: Callable[[str], int] = len) -> list[str]:
    """Character by character: for a single word longer than the budget."""
    chunks, current = [], ""
    for char in text:
        if current and measure(current + char) > budget:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def pack(
    text: str,
    budget: int,
    *,
    measure: Callable[[str], int] = len,
    cut: Callable[[str, int], list[str]] | None = None,
    level: int = 0,
) -> list[str]:
    """Greedy packing at one separator; a piece too big alone is packed at the next, finer one. Empty
    parts are dropped; no part measures more than `budget`."""
    if measure(text) <= budget:
        return [text] if text.strip() else []
    if level == len(SEPARATORS):
        return cut(text, budget) if cut else hard_cut(text, budget, measure)
    sep = SEPARATORS[level]
    chunks: list[str] = []
    current = ""
    for piece in text.split(sep):
        if not piece.strip():
            continue
        for small in pack(piece, budget, measure=measure, cut=cut, level=level + 1):
            candidate = f"{current}{sep}{small}" if current else small
            if measure(candidate) <= budget:
                current = candidate
            else:
                chunks.append(current)
                current = small
    if current:
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]
