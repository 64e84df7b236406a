"""Which (account, date) keys of usage.csv an import has already seen: one bit per account and day.

A usage file is the one that grows to millions of rows; a set of every key (or of its hash) grows with
it, while these bits grow with the accounts and the span of their dates.
"""

from __future__ import annotations

from datetime import date

MARGIN_DAYS = 512  # room before the first date seen, so files running backwards rarely move the bits


class UsageKeys:
    def __init__(self) -> None:
        self.days: dict[str, tuple[int, bytearray]] = {}  # account -> (first day's ordinal, bits)

    def seen(self, account_id: str, day: date) -> bool:
        """Whether this key came before; remembers it either way."""
        ordinal = day.toordinal()
        start, bits = self.days.get(account_id) or (ordinal - MARGIN_DAYS, bytearray())
        if ordinal < start:
            grow = (start - ordinal + MARGIN_DAYS) // 8 + 1
            start, bits = start - 8 * grow, bytearray(grow) + bits
        offset = ordinal - start
        if offset // 8 >= len(bits):
            bits.extend(bytearray(offset // 8 - len(bits) + 1 + len(bits) // 2))
        self.days[account_id] = (start, bits)
        byte, mask = offset // 8, 1 << (offset % 8)
        repeat = bool(bits[byte] & mask)
        bits[byte] |= mask
        return repeat
