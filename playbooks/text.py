"""How text is compared everywhere (commands, account names, grounding): one folding rule."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case without accents, curly quotes or extra spaces: "Công ty Hòa Phát Số" is "cong ty hoa
    phat so", and "Kopi’s" is "kopi's"."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
