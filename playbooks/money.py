"""Money in the account's locale: `Rp 9.000.000`, `RM 2,000`, `2.000.000 ₫`, or compact `Rp9 jt`."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale
from babel.numbers import format_compact_currency, format_currency, get_currency_symbol

from playbooks.config import country, load
from playbooks.model import Money

LANGUAGE_LOCALES = {
    "en": "en_SG",
    "id": "id_ID",
    "ms": "ms_MY",
    "th": "th_TH",
    "vi": "vi_VN",
    "fil": "fil_PH",
}


def locale_for(country_code: str, language: str = "") -> str:
    """English text keeps the country's English locale; local languages use their own."""
    if language and language != "en":
        return LANGUAGE_LOCALES.get(language, "en_SG")
    loc: str = country(country_code)["english_locale"]
    return loc


def format_money(money: Money, locale: str = "", *, compact: bool = False) -> str:
    """Whole units, no decimals: the way CSMs quote prices. Non-breaking spaces become spaces.

    One figure is written one way: English text (and no locale) uses the currency's own home format
    (currencies.yaml: Rp, S$, RM, ฿, ₫, ₱) whichever account or command shows it; text in a local
    language uses that language's locale. `compact` is the short form for chat lines."""
    home = _home(money.currency)
    english = not locale or locale.startswith("en")
    symbol = home.get("symbol", "") if english else ""
    if english and home:
        locale = home["compact_locale" if compact else "locale"]
    locale = locale or "en_SG"
    if compact:
        text = format_compact_currency(money.amount, money.currency, locale=locale, fraction_digits=1)
    else:
        text = format_currency(
            round(money.amount), money.currency, locale=locale, currency_digits=False, format=_whole(locale)
        )
    if symbol:
        text = text.replace(get_currency_symbol(money.currency, locale), symbol, 1)
    text = _LETTERS_THEN_DIGIT.sub(r"\1 ", text)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _home(currency: str) -> dict[str, str]:
    homes: dict[str, dict[str, str]] = load("currencies")
    return homes.get(currency.upper(), {})


_LETTERS_THEN_DIGIT = re.compile(r"^([^\W\d_]+)(?=\d)")  # Rp 9.000.000, RM 2,000 (symbols stay tight: $2,000)


@cache
def _whole(locale: str) -> str:
    """The locale's own currency pattern (where the symbol goes, spacing) without the decimals."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return pattern.replace("0.00", "0")
