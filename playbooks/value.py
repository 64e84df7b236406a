"""The business case: what an offering is worth to one account a year, its ROI and its payback.

Every figure carries its formula, so a CSM (and the grounding check) can see where it came from;
where the catalog or the account lacks a number, the case says what to ask instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable

from playbooks.config import country, thresholds
from playbooks.model import (
    Account,
    Assessment,
    BusinessCase,
    Catalog,
    Money,
    Opportunity,
    Quote,
    ValueDriver,
    ValueLine,
)
from playbooks.money import format_money, locale_for
from playbooks.quotes import saved_hours

UNIT_WORDS = {"location": ("location", "locations"), "active_user": ("active user", "active users")}
FIRST_YEAR = {"once": 1, "month": 12, "year": 1}
PER_PERIOD_MONTHS = {"month": 1, "year": 12}  # a subscription pays back within its own period, or not at all


def per_year(period: str) -> int:
    """How many of a period a year holds: 260 working days, 52 weeks, 12 months."""
    factors: dict[str, int] = thresholds()["value"]["per_year"]
    return factors[period]


def case_for(
    opp: Opportunity,
    catalog: Catalog,
    account: Account,
    active_users: int,
    stated: tuple[ValueDriver, ...] = (),
) -> BusinessCase:
    """The case for one opportunity: the catalog's drivers for its offering (or the plan's, for seats)
    and what the customer said it would save them, priced at the account's own numbers."""
    drivers = (*catalog.value.get(opp.offering, ()), *stated)  # seats: the catalog's `seats` drivers
    lines: list[ValueLine] = []
    ask: list[str] = []
    for d in drivers:
        line, missing = value_line(d, catalog, account, active_users, opp)
        if line:
            lines.append(line)
        elif missing:
            ask.append(missing)
    if not drivers:
        ask.append(
            f"ask what {opp.offering_name} would change for them: staff hours a week it would save, "
            "costs it would avoid, or sales it would add"
        )
    currency = opp.price.currency
    lines = [ln for ln in lines if ln.yearly.currency == currency]
    if not lines:
        return BusinessCase(ask=tuple(dict.fromkeys(ask)))
    total = Money(sum(ln.yearly.amount for ln in lines), currency)
    cost = Money(opp.price.amount * FIRST_YEAR[opp.period], currency)
    money = _formatter(account)
    evidence = [ln.formula for ln in lines]
    if len(lines) > 1:
        evidence.append(f"total value: {money(total)} a year")
    roi = payback = None
    if cost.amount > 0 and total.amount > 0:
        roi = round(total.amount / cost.amount, 1)
        monthly = Money(total.amount / 12, currency)
        evidence.append(
            f"ROI: {money(total)} a year ÷ {money(cost)} first-year cost"
            f" = {roi:g}×{_cost_formula(opp, money)}"
        )
        months = opp.price.amount / monthly.amount
        if opp.period == "once" or months <= PER_PERIOD_MONTHS[opp.period]:
            payback = max(round(months, 1), 0.1)
            evidence.append(
                f"payback: {money(opp.price)} ÷ {money(monthly)} of value a month "
                f"= {payback:g} month{'s' if payback != 1 else ''}"
            )
        else:  # a subscription whose value does not cover its own period: no payback to promise
            ask.append(
                f"ask what else it would save: the value found ({money(monthly)} a month) "
                f"does not yet cover the price ({money(opp.price)} {_what_cost(opp)})"
            )
    return BusinessCase(
        lines=tuple(lines),
        yearly_value=total,
        first_year_cost=cost,
        roi=roi,
        payback_months=payback,
        evidence=tuple(evidence),
        ask=tuple(dict.fromkeys(ask)),
    )


def value_line(
    d: ValueDriver, catalog: Catalog, account: Account, active_users: int, opp: Opportunity | None = None
) -> tuple[ValueLine | None, str]:
    """One driver at this account's numbers, or what to ask when a number is missing."""
    money = _formatter(account)
    units, unit_text, missing = _units(d, account, active_users, opp)
    if missing:
        return None, missing
    n = per_year(d.period)
    if d.driver == "hours_saved":
        rate = catalog.hourly_cost.get(account.country.upper())
        if rate is None or country(account.country).get("currency") != account.currency:
            return None, f"ask what a staff hour costs them, to price {d.amount:g} h/{d.period} ({d.what})"
        unit_value = Money(rate, account.currency)
        yearly = Money(round(d.amount * units * n * rate), account.currency)
        head = f"{d.amount:g} h/{d.period}{unit_text} × {n} × {money(unit_value)}"
    else:
        amount = d.local.get(account.currency, d.amount if catalog.currency == account.currency else None)
        if amount is None:
            return None, f"ask what {d.what} costs them a {d.period}, in {account.currency}"
        unit_value = Money(amount, account.currency)
        yearly = Money(round(amount * units * n), account.currency)
        head = f"{money(unit_value)}/{d.period}{unit_text} × {n}"
    source = f"; they said: {d.source}" if d.source else ""
    formula = f"{head} = {money(yearly)} a year ({d.what}{source})"
    return ValueLine(driver=d, yearly=yearly, formula=formula, unit_value=unit_value), ""


def _units(
    d: ValueDriver, account: Account, active_users: int, opp: Opportunity | None
) -> tuple[int, str, str]:
    """(how many, " × 4 locations", what to ask if unknown) for a driver's `per`."""
    if d.per == "account":
        return 1, "", ""
    if d.per == "active_user":
        # seats: the value of the new seats is what the added users gain
        count = opp.seats_to_add if opp and opp.type == "seats" else active_users
        if not count:
            return 0, "", f"ask how many people would use it for {d.what}"
        one, many = ("new user", "new users") if opp and opp.type == "seats" else UNIT_WORDS[d.per]
        return count, f" × {count} {one if count == 1 else many}", ""
    count = account.locations or 0
    if not count:
        return 0, "", f"ask how many locations they run, to size {d.what}"
    one, many = (d.unit, d.unit + "s") if d.unit else UNIT_WORDS[d.per]
    return count, f" × {count} {one if count == 1 else many}", ""


def _cost_formula(opp: Opportunity, money: Callable[[Money], str]) -> str:
    return f" ({money(opp.price)} a month × 12)" if opp.period == "month" else ""


def _what_cost(opp: Opportunity) -> str:
    return {"once": "one-time", "month": "a month", "year": "a year"}[opp.period]


def _formatter(account: Account) -> Callable[[Money], str]:
    locale = locale_for(account.country)
    return lambda m: format_money(m, locale)


def assessment_figures(a: Assessment) -> set[float]:
    """Every money figure the assessment's evidence shows beyond prices: its business cases, the value
    already realised and the customer's own revenue, for the grounding check."""
    out = {x for o in a.opportunities for x in figures(o.case)}
    out |= {x for ln in a.realised for x in (ln.yearly.amount, ln.unit_value.amount)}
    out |= {float(v) for s in a.signals for k, v in s.data.items() if k in ("revenue_from", "revenue_to")}
    return out


def figures(case: BusinessCase) -> set[float]:
    """Every money figure a case's formulas show, for the grounding check: values, costs, rates."""
    out = {x for ln in case.lines for x in (ln.yearly.amount, ln.unit_value.amount)}
    for m in (case.yearly_value, case.first_year_cost):
        if m is not None:
            out.add(m.amount)
    if case.yearly_value is not None:
        out.add(case.yearly_value.amount / 12)
    return out


def realised(said: tuple[Quote, ...], catalog: Catalog, account: Account) -> tuple[ValueLine, ...]:
    """Value the product already delivers, from savings the customer stated with how often:
    "10 menit, dulu 2 jam" every day is 1.83 h a day, priced at a staff hour of their country."""
    out = []
    for q in said:
        if q.kind != "saving" or not q.period:
            continue
        hours = round(saved_hours(q), 2)
        d = ValueDriver("hours_saved", hours, "account", q.period, "time saved", source=q.cited)
        line, _ = value_line(d, catalog, account, 0)
        if line:
            out.append(line)
    return tuple(out)
