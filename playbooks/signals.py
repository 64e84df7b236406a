"""The expansion signals: each fires on numbers in the account's data and carries those numbers."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from playbooks import quotes
from playbooks.config import thresholds
from playbooks.model import AccountData, Catalog, Money, Offering, Quote, Signal, Ticket, UsageSummary
from playbooks.money import format_money, locale_for
from playbooks.usage import summary_for, trajectory


def detect(
    data: AccountData,
    catalog: Catalog,
    today: date,
    summary: UsageSummary | None = None,
    trend: dict[str, float] | None = None,
) -> tuple[Signal, ...]:
    """Every signal that fires for this account today, strongest first."""
    summary = summary if summary is not None else summary_for(data, today)
    trend = trend if trend is not None else trajectory(summary)
    recent = _recent(data.tickets, today)
    found: list[Signal] = []
    for sig in (
        power_users(data, catalog, summary),
        seat_utilization(data, summary, trend),
        usage_growth(trend),
        goal_achieved(data, today),
        business_growth(data, catalog, summary, quotes.read(data, today), today),
    ):
        if sig:
            found.append(sig)
    found += feature_limits(data, catalog, recent)
    found += cross_sells(data, catalog, recent)
    found += catalog_rules(data, catalog, summary, recent)
    return tuple(sorted(found, key=lambda s: -s.strength))


def power_users(data: AccountData, catalog: Catalog, summary: UsageSummary | None) -> Signal | None:
    t = thresholds()["signals"]
    if summary is None:
        return None
    latest = summary.latest
    if latest.power_users < 1 or latest.feature_adoption < t["power_user_adoption"]:
        return None
    share = latest.power_users / max(latest.active_users, 1)
    target = catalog.next_plan(data.account.plan)
    return Signal(
        name="power_users",
        strength=8 if share >= 0.2 else 7,
        evidence=(
            f"{latest.power_users} of {latest.active_users} active users log in "
            f"{t['power_user_logins_per_week']}+ times a week; "
            f"{round(latest.feature_adoption * 100)}% of features adopted"
        ),
        offering=target.code if target else "",
        data={
            "power_users": latest.power_users,
            "active_users": latest.active_users,
            "adoption": latest.feature_adoption,
        },
    )


def seat_utilization(
    data: AccountData, summary: UsageSummary | None, trend: dict[str, float]
) -> Signal | None:
    seats = data.account.seats_purchased
    if summary is None or not seats:
        return None
    t = thresholds()["signals"]
    latest = summary.latest
    ratio = latest.active_users / seats
    if ratio <= t["seat_utilization"]:
        return None
    new_users = latest.active_users - summary.previous.active_users if summary.previous else 0
    strength = 6 + (ratio >= 0.9) + (ratio >= 1.0) + (new_users >= t["recent_new_users_strong"])
    evidence = f"{latest.active_users} of {seats} seats in use ({round(ratio * 100)}%)"
    if new_users > 0:
        evidence += f", +{new_users} users since the previous period"
    return Signal(
        name="seat_utilization",
        strength=min(strength, 10),
        evidence=evidence,
        offering="seats",
        data={
            "active_users": latest.active_users,
            "seats": seats,
            "utilization": ratio,
            "new_users": new_users,
            "projected_users": trend.get("users_next_quarter", 0),
        },
    )


def usage_growth(trend: dict[str, float]) -> Signal | None:
    growth = max(trend.get("users_growth", 0.0), trend.get("actions_growth", 0.0))
    if growth < thresholds()["signals"]["usage_growth_min"]:
        return None
    parts = []
    if "users_growth" in trend:
        parts.append(f"active users {int(trend['users_from'])}→{int(trend['users_to'])}")
    if "actions_growth" in trend:
        parts.append(f"actions {int(trend['actions_from'])}→{int(trend['actions_to'])}")
    months = max(round(trend["days"] / 30), 1)
    evidence = f"{' and '.join(parts)} in {months} month{'s' if months > 1 else ''}"
    if trend.get("users_next_quarter"):
        evidence += f"; on this trajectory about {round(trend['users_next_quarter'])} users next quarter"
    return Signal(
        name="usage_growth",
        strength=5 + (growth >= 0.3) + (growth >= 0.5),
        evidence=evidence,
        data={"growth": round(growth, 3), "projected_users": round(trend.get("users_next_quarter", 0))},
    )


def goal_achieved(data: AccountData, today: date) -> Signal | None:
    window = thresholds()["signals"]["goal_achieved_window_days"]
    recent = [
        g
        for g in data.goals
        if g.status == "achieved" and g.achieved_on and 0 <= (today - g.achieved_on).days <= window
    ]
    if not recent:
        return None
    goal = max(recent, key=lambda g: g.achieved_on or today)
    assert goal.achieved_on is not None
    return Signal(
        name="goal_achieved",
        strength=6,
        evidence=f"goal “{goal.goal}” achieved on {goal.achieved_on.isoformat()}",
        data={"goal": goal.goal, "achieved_on": goal.achieved_on.isoformat()},
    )


def business_growth(
    data: AccountData, catalog: Catalog, summary: UsageSummary | None, said: tuple[Quote, ...], today: date
) -> Signal | None:
    """The customer's own business growing: their revenue (usage column `revenue`) up 50%+ since the
    base snapshot, or, weaker, growth they mention ("omzet naik", "opened two new branches")."""
    t = thresholds()["signals"]
    parts: list[str] = []
    strength = 0
    info: dict[str, float | int | str] = {}
    base = summary.base if summary else None
    latest = summary.latest if summary else None
    if latest and base and latest.revenue is not None and base.revenue:
        growth = latest.revenue / base.revenue - 1
        if growth >= t["revenue_growth_min"]:
            months = max(round((latest.date - base.date).days / 30), 1)
            strength = 7 + (growth >= 1.0)
            parts.append(
                f"their own revenue up {round(growth * 100)}% in {months} month{'s' if months > 1 else ''}"
                f" ({_money(data, base.revenue)}→{_money(data, latest.revenue)} a period)"
            )
            info = {
                "revenue_growth": round(growth, 3),
                "revenue_from": base.revenue,
                "revenue_to": latest.revenue,
            }
    window = t["revenue_growth_window_days"]
    mentions = [q for q in said if q.kind == "growth" and (today - q.said_on).days <= window]
    if mentions:
        strength = max(strength, int(t["revenue_growth_keyword_strength"]))
        parts.append("they said " + "; ".join(q.cited for q in mentions[-2:]))
        info["mentions"] = len(mentions)
    if not parts:
        return None
    target = catalog.next_plan(data.account.plan)
    return Signal(
        name="business_growth",
        strength=strength,
        evidence=", and ".join(parts),
        offering=target.code if target else "",
        data=info,
    )


def _money(data: AccountData, amount: float) -> str:
    return format_money(Money(amount, data.account.currency), locale_for(data.account.country))


def _recent(tickets: Iterable[Ticket], today: date) -> list[Ticket]:
    window = thresholds()["signals"]["feature_limit_window_days"]
    return [t for t in tickets if 0 <= (today - t.date).days <= window]


@lru_cache(maxsize=8192)
def _norm(text: str) -> str:
    """Folded for matching; cached, since the catalog's words are normalised again for every account."""
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _holder(feature: str, data: AccountData, catalog: Catalog) -> Offering | None:
    """The offering that has a feature the account's plan lacks: a higher plan first, then a module."""
    current = catalog.plan(data.account.plan)
    if current and _norm(feature) in {_norm(f) for f in current.features}:
        return None
    codes = [p.code for p in catalog.plans]
    start = codes.index(data.account.plan) + 1 if data.account.plan in codes else 0
    for offering in (*catalog.plans[start:], *catalog.add_ons, *catalog.products):
        if _norm(feature) in {_norm(f) for f in offering.features}:
            return offering
    return None


def feature_limits(data: AccountData, catalog: Catalog, recent: list[Ticket]) -> list[Signal]:
    t = thresholds()["signals"]
    hits: dict[str, list[Ticket]] = {}
    asked: dict[Ticket, str] = {}
    said: dict[str, list[str]] = {}  # offering -> needs stated in words, quoted with their date
    for ticket in recent:
        need = None if ticket.requested_feature else stated_need(ticket)
        feature = ticket.requested_feature or (need.feature if need else "")
        if feature and (holder := _holder(feature, data, catalog)):
            hits.setdefault(holder.code, []).append(ticket)
            asked[ticket] = feature
            if need:
                said.setdefault(holder.code, []).append(need.cited)
    out = []
    for code, tickets in hits.items():
        explicit = any(t.kind == "feature_request" for t in tickets)
        strong = len(tickets) >= t["feature_limit_strong_count"]
        features = sorted({asked[tk] for tk in tickets})
        out.append(
            Signal(
                name="feature_limit",
                strength=min(10, (9 if explicit else 7) + strong),
                evidence=(
                    f"{len(tickets)} request{'s' if len(tickets) > 1 else ''} in "
                    f"{t['feature_limit_window_days']} days for {', '.join(features).replace('_', ' ')}"
                    + "".join(f"; they said {q}" for q in said.get(code, ())[-2:])
                ),
                offering=code,
                data={"requests": len(tickets), "features": ", ".join(features)},
            )
        )
    return out


def stated_need(ticket: Ticket) -> Quote | None:
    """A feature the customer asked for in words ("Dr Lim wants one view across all five clinics")."""
    return next((q for q in quotes.read_ticket(ticket) if q.kind == "need"), None)


def cross_sells(data: AccountData, catalog: Catalog, recent: list[Ticket]) -> list[Signal]:
    """Modules and products whose needs (tools in use, words in recent tickets) the account shows."""
    owned = {o.offering for o in data.outcomes if o.outcome == "won"}
    tools = {_norm(t) for t in data.account.tools}
    out = []
    for offering in (*catalog.add_ons, *catalog.products):
        if offering.code in owned:
            continue
        tool_hits = [t for t in offering.needs.tools if _norm(t) in tools]
        texts = [_norm(f"{tk.subject} {tk.body} {tk.requested_feature}") for tk in recent]
        mentions = [tk for tk, text in zip(recent, texts, strict=True) if _words_in(offering, text)]
        words = _words_in(offering, " ".join(texts))
        if not tool_hits and not mentions:
            continue
        strength = 6 if tool_hits else 0
        if mentions:
            strength = max(strength, 7 + (len(mentions) >= 2)) + (len(mentions) >= 2 and bool(tool_hits))
        parts = []
        if tool_hits:
            parts.append(f"uses {', '.join(tool_hits)}")
        if mentions:
            subjects = "; ".join(f"“{m.subject}”" for m in mentions[:2])
            parts.append(f"{len(mentions)} recent mention{'s' if len(mentions) > 1 else ''} ({subjects})")
        out.append(
            Signal(
                name="cross_sell",
                strength=min(strength, 10),
                evidence=", ".join(parts),
                offering=offering.code,
                data={"tools": ", ".join(tool_hits), "mentions": len(mentions)},
                tools=tuple(tool_hits),
                keywords=words,
            )
        )
    return out


def _words_in(offering: Offering, text: str) -> tuple[str, ...]:
    """The need words found in normalised text, one per spelling ("auto-refresh" = "auto refresh")."""
    found: dict[str, str] = {}
    for k in offering.needs.keywords:
        if _norm(k) in text:
            found.setdefault(_norm(k), k)
    return tuple(found.values())


def catalog_rules(
    data: AccountData, catalog: Catalog, summary: UsageSummary | None, recent: list[Ticket]
) -> list[Signal]:
    """The catalog's own triggers (e.g. Tier 1 → Tier 2 at 3+ outlets); all conditions must hold."""
    acct = data.account
    active = summary.latest.active_users if summary else 0
    text = " ".join(_norm(f"{t.subject} {t.body}") for t in recent)
    tools = {_norm(t) for t in acct.tools}
    out = []
    for rule in catalog.rules:
        if (rule.from_plan and rule.from_plan != acct.plan) or rule.to_plan == acct.plan:
            continue
        facts = _rule_facts(rule.when, acct.locations or 0, acct.seats_purchased or 0, active, tools, text)
        if facts is None:
            continue
        target = catalog.plan(rule.to_plan)
        name = target.name if target else rule.to_plan
        out.append(
            Signal(
                name="catalog_rule",
                strength=8,
                offering=rule.to_plan,
                evidence=f"{'; '.join(facts)} (catalog rule: {name})",
                data={"rule": f"{rule.from_plan or '*'}->{rule.to_plan}"},
            )
        )
    return out


def _rule_facts(
    when: dict[str, object], locations: int, seats: int, active: int, tools: set[str], text: str
) -> list[str] | None:
    """The facts that satisfy a rule, or None if any condition fails."""
    facts = []
    for key, need in when.items():
        if key == "locations_at_least" and locations >= int(str(need)):
            facts.append(f"{locations} locations")
        elif key == "seats_at_least" and seats >= int(str(need)):
            facts.append(f"{seats} seats")
        elif key == "active_users_at_least" and active >= int(str(need)):
            facts.append(f"{active} active users")
        elif key == "uses_tools" and (hit := [t for t in need if _norm(t) in tools]):  # type: ignore[attr-defined]
            facts.append(f"uses {', '.join(hit)}")
        elif key == "ticket_keywords" and (hit := [k for k in need if _norm(k) in text]):  # type: ignore[attr-defined]
            facts.append(f"asked about {', '.join(hit)}")
        else:
            return None
    return facts


def smallest_seat_step(seats: int) -> int:
    """The smallest seat addition the playbook allows (20%), for a smaller package."""
    return max(1, math.ceil(seats * thresholds()["seats"]["add_min"])) if seats else 0


def seats_to_add(seats: int, projected: float) -> int:
    """20–50% more seats, enough for the projected users, rounded up to a tidy number."""
    s = thresholds()["seats"]
    low, high = math.ceil(seats * s["add_min"]), math.floor(seats * s["add_max"])
    need = max(low, math.ceil(projected) - seats)
    add = min(max(need, low), max(high, low))
    step = s["round_to"]
    rounded = math.ceil(add / step) * step
    return rounded if rounded <= max(high, low) else add
