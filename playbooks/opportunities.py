"""From signals to opportunities: what to offer, how much of it, and what it is worth."""

from __future__ import annotations

from playbooks.catalog import price_in
from playbooks.model import (
    AccountData,
    Catalog,
    Money,
    Offering,
    Opportunity,
    OpportunityType,
    Scores,
    Signal,
)
from playbooks.scoring import priority, score
from playbooks.signals import seats_to_add, smallest_seat_step

UPSELL_DRIVERS = {"power_users", "feature_limit", "catalog_rule", "goal_achieved", "business_growth"}
YEAR_FACTOR = {"once": 1, "month": 12, "year": 1}


def build(
    data: AccountData, catalog: Catalog, signals: tuple[Signal, ...], timing: int, timing_why: str
) -> tuple[Opportunity, ...]:
    """Every opportunity the signals support, best first (priority, composite, value)."""
    found = [
        o
        for o in (
            _upsell(data, catalog, signals, timing, timing_why),
            _seats(data, catalog, signals, timing, timing_why),
        )
        if o
    ]
    found += _modules(data, catalog, signals, timing, timing_why)
    return tuple(sorted(found, key=lambda o: (-o.scores.composite, -o.est_value.amount)))


def _make(
    type_: OpportunityType,
    offering: str,
    name: str,
    signals: tuple[Signal, ...],
    timing: int,
    timing_why: str,
    price: Money,
    period: str,
    **extra: object,
) -> Opportunity:
    scores: Scores = score(signals, timing, timing_why)
    value = Money(price.amount * YEAR_FACTOR[period], price.currency)
    return Opportunity(
        type=type_,
        offering=offering,
        offering_name=name,
        signals=signals,
        scores=scores,
        priority=priority(scores.composite),
        est_value=value,
        price=price,
        period=period,
        **extra,  # type: ignore[arg-type]
    )


def _upsell(
    data: AccountData, catalog: Catalog, signals: tuple[Signal, ...], timing: int, why: str
) -> Opportunity | None:
    plan_codes = [p.code for p in catalog.plans]
    current = data.account.plan
    if current not in plan_codes:
        return None
    higher = plan_codes[plan_codes.index(current) + 1 :]
    named = [s.offering for s in signals if s.offering in higher]
    target_code = max(named, key=plan_codes.index) if named else (higher[0] if higher else None)
    if target_code is None:
        return None
    # Growth alone points at the next tier only when seats are not the obvious answer.
    drivers = UPSELL_DRIVERS | (
        {"usage_growth"} if not any(s.name == "seat_utilization" for s in signals) else set()
    )
    mine = tuple(s for s in signals if s.name in drivers and (s.offering in higher or not s.offering))
    if not mine:
        return None
    target, source = catalog.plan(target_code), catalog.plan(current)
    assert target is not None and source is not None
    price = _delta(catalog, target, source, data.account.currency)
    return _make(
        "upsell", target.code, target.name, mine, timing, why, price, target.period, from_plan=current
    )


def _delta(catalog: Catalog, target: Offering, source: Offering, currency: str) -> Money:
    """The price difference between two plans, in the account's currency when both are listed."""
    to, frm = price_in(catalog, target, currency), price_in(catalog, source, currency)
    if to.currency != frm.currency:
        to, frm = Money(target.price, catalog.currency), Money(source.price, catalog.currency)
    return Money(max(to.amount - frm.amount, 0), to.currency)


def _seats(
    data: AccountData, catalog: Catalog, signals: tuple[Signal, ...], timing: int, why: str
) -> Opportunity | None:
    util = next((s for s in signals if s.name == "seat_utilization"), None)
    seats = data.account.seats_purchased
    if util is None or not seats:
        return None
    mine = (util, *(s for s in signals if s.name in ("usage_growth", "business_growth")))
    add = seats_to_add(seats, float(util.data.get("projected_users") or 0))
    plan = catalog.plan(data.account.plan)
    seat_price = price_in(catalog, plan, data.account.currency, seat=True) if plan else None
    if plan and plan.seat_price is not None and seat_price:
        unit, period = seat_price, plan.period
    else:  # no seat price in the catalog: the account's own price per seat per year
        unit, period = Money(data.account.arr / seats, data.account.currency), "year"
    price = Money(round(unit.amount * add), unit.currency)
    return _make(
        "seats",
        "seats",
        f"{add} more seats ({seats}→{seats + add})",
        mine,
        timing,
        why,
        price,
        period,
        seats_to_add=add,
        smaller_seats=smallest_seat_step(seats),
    )


def _modules(
    data: AccountData, catalog: Catalog, signals: tuple[Signal, ...], timing: int, why: str
) -> list[Opportunity]:
    out = []
    for offering in (*catalog.add_ons, *catalog.products):
        mine = tuple(s for s in signals if s.offering == offering.code)
        if not mine:
            continue
        type_: OpportunityType = "add_on" if offering.kind == "add_on" else "cross_sell"
        price = price_in(catalog, offering, data.account.currency)
        out.append(_make(type_, offering.code, offering.name, mine, timing, why, price, offering.period))
    return out
