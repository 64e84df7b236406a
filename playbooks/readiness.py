"""Readiness: is the customer in a state to hear a proposal, and if not, what must happen first."""

from __future__ import annotations

from datetime import date

from playbooks.config import thresholds
from playbooks.model import AccountData, Quote, Readiness, UsageSummary


def stakeholders(data: AccountData, today: date) -> str:
    """stable | new_champion | champion_left | none."""
    champions = [c for c in data.contacts if c.is_champion]
    current = [c for c in data.current_contacts(today) if c.is_champion]
    if not current:
        return "champion_left" if champions else "none"
    new_days = thresholds()["timing"]["new_champion_days"]
    if all(c.since and (today - c.since).days <= new_days for c in current):
        return "new_champion"
    return "stable"


def relationship(data: AccountData, today: date) -> str:
    """engaged (talked in the last 30 days) | quiet (30–90) | cold (none in 90)."""
    talks = [(today - t.date).days for t in data.tickets if t.date <= today]
    last = min(talks) if talks else None
    if last is not None and last <= 30:
        return "engaged"
    return "quiet" if last is not None and last <= 90 else "cold"


def assess(
    data: AccountData, today: date, summary: UsageSummary | None, said: tuple[Quote, ...] = ()
) -> Readiness:
    t = thresholds()["readiness"]
    adoption = summary.latest.feature_adoption if summary else 0.0
    health = data.account.health_score
    # value is realised when a goal is reached or the customer states a saving in their own words
    value = any(g.status == "achieved" for g in data.goals) or any(q.kind == "saving" for q in said)
    people = stakeholders(data, today)
    rel = relationship(data, today)
    first = []
    if adoption < t["min_adoption"]:
        first.append(f"adoption to {round(t['min_adoption'] * 100)}%+ (now {round(adoption * 100)}%)")
    if health < t["min_health"]:
        first.append(f"health to {t['min_health']}+ (now {health})")
    if not value and (open_goals := [g for g in data.goals if g.status != "achieved"]):
        first.append(f"reach “{open_goals[0].goal}” first, so the value is proven")
    if people == "champion_left":
        first.append("find and win a new champion")
    elif people == "none":
        first.append("identify a champion")
    return Readiness(
        ready=not first,
        adoption=adoption,
        health=health,
        value_realised=value,
        relationship=rel,
        stakeholders=people,
        first=tuple(first),
    )
