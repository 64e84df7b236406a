"""Reads catalog.yaml's shape into a Catalog, with a precise message for anything off."""

from __future__ import annotations

from typing import Any

from playbooks.model import Catalog, Discount, Money, Needs, Offering, Rule, ValueDriver
from playbooks.pipeline import Reporting, ReportingError, parse_reporting

PERIODS = ("once", "month", "year")
RULE_KEYS = ("locations_at_least", "seats_at_least", "active_users_at_least", "uses_tools", "ticket_keywords")
TOP_KEYS = (
    "currency",
    "plans",
    "add_ons",
    "products",
    "rules",
    "discounts",
    "value",
    "hourly_cost",
    "labels",
    "reporting",
)
VALUE_KEYS = ("driver", "amount", "per", "period", "what", "amounts", "unit")
DRIVERS = ("hours_saved", "cost_avoided", "revenue_uplift")
VALUE_PER = ("location", "active_user", "account")
VALUE_PERIODS = ("day", "week", "month", "year")
OFFERING_KEYS = (
    "code",
    "name",
    "price",
    "period",
    "seat_price",
    "features",
    "needs",
    "prices",
    "target_conversion",
)


class CatalogError(ValueError):
    """`path: message`, where path points into the YAML (e.g. `plans[1].price`)."""


def parse_catalog(doc: Any) -> Catalog:
    if not isinstance(doc, dict):
        raise CatalogError(
            "catalog: must be a mapping with currency, plans, add_ons, products, rules, discounts"
        )
    _no_unknown(doc, TOP_KEYS, "catalog")
    currency = doc.get("currency")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise CatalogError("currency: must be a 3-letter ISO code such as IDR")
    plans = _offerings(doc, "plans", "plan")
    if not plans:
        raise CatalogError("plans: at least one plan is required")
    add_ons = _offerings(doc, "add_ons", "add_on")
    products = _offerings(doc, "products", "product")
    codes = [o.code for o in (*plans, *add_ons, *products)]
    if dup := next((c for c in codes if codes.count(c) > 1), None):
        raise CatalogError(f"code: {dup!r} is used twice")
    plan_codes = {p.code for p in plans}
    rules = tuple(_rule(r, f"rules[{i}]", plan_codes) for i, r in enumerate(_list(doc, "rules")))
    discounts = tuple(_discount(d, f"discounts[{i}]") for i, d in enumerate(_list(doc, "discounts")))
    return Catalog(
        currency=currency.upper(),
        plans=plans,
        add_ons=add_ons,
        products=products,
        rules=rules,
        discounts=discounts,
        prices=_price_table(doc),
        value=_value(doc.get("value"), {*codes, "seats"}),
        hourly_cost=_hourly_cost(doc.get("hourly_cost")),
        labels=_labels(doc.get("labels")),
        reporting=_reporting(doc.get("reporting")),
    )


def _reporting(doc: Any) -> Reporting | None:
    try:
        return parse_reporting(doc)
    except ReportingError as exc:
        raise CatalogError(str(exc)) from None


def price_in(catalog: Catalog, offering: Offering, currency: str, *, seat: bool = False) -> Money:
    """The offering's price in the account's currency when the catalog lists one, else its own."""
    local = catalog.prices.get((offering.code, currency))
    if local is not None:
        base, seat_price = local
        amount = seat_price if seat else base
        if amount is not None:
            return Money(amount, currency)
    amount = offering.seat_price if seat else offering.price
    return Money(float(amount or 0), catalog.currency)


def _no_unknown(d: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in d:
        if key not in allowed:
            raise CatalogError(f"{where}.{key}: unknown key (allowed: {', '.join(allowed)})")


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    value = doc.get(key) or []
    if not isinstance(value, list):
        raise CatalogError(f"{key}: must be a list")
    return value


def _number(value: Any, where: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CatalogError(f"{where}: must be a number ≥ 0")
    return float(value)


def _share(value: Any, where: str) -> float | None:
    """An optional share such as a conversion target: 0.15 (or 15%, written 15)."""
    number = _number(value, where, optional=True)
    if number is None:
        return None
    share = number / 100 if number > 1 else number
    if share > 1:
        raise CatalogError(f"{where}: a share such as 0.15 (or 15 for 15%)")
    return share


def _offerings(doc: dict[str, Any], key: str, kind: str) -> tuple[Offering, ...]:
    out = []
    for i, item in enumerate(_list(doc, key)):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{where}: must be a mapping")
        _no_unknown(item, OFFERING_KEYS, where)
        code, name = item.get("code"), item.get("name")
        if not isinstance(code, str) or not code:
            raise CatalogError(f"{where}.code: required")
        period = item.get("period", "once")
        if period not in PERIODS:
            raise CatalogError(f"{where}.period: must be one of {', '.join(PERIODS)}")
        needs = item.get("needs") or {}
        if not isinstance(needs, dict):
            raise CatalogError(f"{where}.needs: must be a mapping with tools and keywords")
        _no_unknown(needs, ("tools", "keywords"), f"{where}.needs")
        out.append(
            Offering(
                code=code,
                name=str(name or code),
                kind=kind,
                period=period,
                price=_number(item.get("price"), f"{where}.price") or 0.0,
                seat_price=_number(item.get("seat_price"), f"{where}.seat_price", optional=True),
                features=tuple(str(f) for f in item.get("features") or ()),
                needs=Needs(
                    tools=tuple(str(t) for t in needs.get("tools") or ()),
                    keywords=tuple(str(k) for k in needs.get("keywords") or ()),
                ),
                target_conversion=_share(item.get("target_conversion"), f"{where}.target_conversion"),
            )
        )
    return tuple(out)


def _price_table(doc: dict[str, Any]) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """`prices: {SGD: 450}` or `{SGD: {price: 450, seat_price: 20}}` on an offering: local prices."""
    table: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    for key in ("plans", "add_ons", "products"):
        for i, item in enumerate(_list(doc, key)):
            for cur, value in (item.get("prices") or {}).items():
                where = f"{key}[{i}].prices.{cur}"
                if isinstance(value, dict):
                    table[(item["code"], str(cur).upper())] = (
                        _number(value.get("price"), f"{where}.price", optional=True),
                        _number(value.get("seat_price"), f"{where}.seat_price", optional=True),
                    )
                else:
                    table[(item["code"], str(cur).upper())] = (_number(value, where), None)
    return table


def _rule(item: Any, where: str, plan_codes: set[str]) -> Rule:
    if not isinstance(item, dict):
        raise CatalogError(f"{where}: must be a mapping with from_plan, to_plan, when")
    _no_unknown(item, ("from_plan", "to_plan", "when"), where)
    to_plan, from_plan = item.get("to_plan"), item.get("from_plan")
    if to_plan not in plan_codes:
        raise CatalogError(f"{where}.to_plan: unknown plan {to_plan!r}")
    if from_plan is not None and from_plan not in plan_codes:
        raise CatalogError(f"{where}.from_plan: unknown plan {from_plan!r}")
    when = item.get("when")
    if not isinstance(when, dict) or not when:
        raise CatalogError(f"{where}.when: needs at least one of {', '.join(RULE_KEYS)}")
    _no_unknown(when, RULE_KEYS, f"{where}.when")
    for key, value in when.items():
        if key.endswith("_at_least") and (isinstance(value, bool) or not isinstance(value, int)):
            raise CatalogError(f"{where}.when.{key}: must be a whole number")
        if key in ("uses_tools", "ticket_keywords") and not isinstance(value, list):
            raise CatalogError(f"{where}.when.{key}: must be a list")
    return Rule(to_plan=to_plan, from_plan=from_plan, when=dict(when))


def _discount(item: Any, where: str) -> Discount:
    if not isinstance(item, dict) or not item.get("name"):
        raise CatalogError(f"{where}.name: required")
    _no_unknown(item, ("name", "price", "months_free", "percent"), where)
    months = item.get("months_free")
    if months is not None and (isinstance(months, bool) or not isinstance(months, int) or months < 0):
        raise CatalogError(f"{where}.months_free: must be a whole number ≥ 0")
    return Discount(
        name=str(item["name"]),
        price=_number(item.get("price"), f"{where}.price", optional=True),
        months_free=months,
        percent=_number(item.get("percent"), f"{where}.percent", optional=True),
    )


def _value(doc: Any, codes: set[str]) -> dict[str, tuple[ValueDriver, ...]]:
    """`value: {tier2: [{driver: hours_saved, amount: 5, per: location, period: week, what: …}]}`."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise CatalogError("value: must be a mapping from an offering code to a list of value drivers")
    out = {}
    for code, items in doc.items():
        if code not in codes:
            raise CatalogError(f"value.{code}: unknown offering code")
        if not isinstance(items, list):
            raise CatalogError(f"value.{code}: must be a list of value drivers")
        out[str(code)] = tuple(_driver(item, f"value.{code}[{i}]") for i, item in enumerate(items))
    return out


def _driver(item: Any, where: str) -> ValueDriver:
    if not isinstance(item, dict):
        raise CatalogError(f"{where}: must be a mapping with driver, amount, per, period, what")
    _no_unknown(item, VALUE_KEYS, where)
    for key, allowed in (("driver", DRIVERS), ("per", VALUE_PER), ("period", VALUE_PERIODS)):
        if item.get(key) not in allowed:
            raise CatalogError(f"{where}.{key}: must be one of {', '.join(allowed)}")
    if not item.get("what"):
        raise CatalogError(f"{where}.what: required (what the saving is, e.g. “consolidating reports”)")
    amounts = item.get("amounts") or {}
    if not isinstance(amounts, dict) or (amounts and item["driver"] == "hours_saved"):
        raise CatalogError(f"{where}.amounts: a mapping of currency to amount, for money drivers only")
    return ValueDriver(
        driver=item["driver"],
        amount=_number(item.get("amount"), f"{where}.amount") or 0.0,
        per=item["per"],
        period=item["period"],
        what=str(item["what"]),
        local={str(c).upper(): _number(v, f"{where}.amounts.{c}") or 0.0 for c, v in amounts.items()},
        unit=str(item.get("unit") or ""),
    )


def _hourly_cost(doc: Any) -> dict[str, float]:
    """`hourly_cost: {ID: 75000, SG: 40}`: a staff hour per country, in that country's billing currency."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise CatalogError("hourly_cost: must be a mapping from a country code to an amount")
    return {str(c).upper(): _number(v, f"hourly_cost.{c}") or 0.0 for c, v in doc.items()}


def _labels(doc: Any) -> dict[str, dict[str, str]]:
    """`labels: {advanced_reports: {id: laporan lanjutan, th: รายงานขั้นสูง}}`: a code's words per language."""
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise CatalogError("labels: must map a plan, feature or module code to {language: words}")
    out: dict[str, dict[str, str]] = {}
    for code, by_language in doc.items():
        for language, words in by_language.items():
            if not isinstance(words, str) or not words.strip():
                raise CatalogError(
                    f"labels.{code}.{language}: must be the words to write, e.g. laporan lanjutan"
                )
            out.setdefault(str(code), {})[str(language)] = words.strip()
    return out
