"""Which accounts a team's morning digest shows: ready, ranked, grouped by owner, capped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from playbooks.config import thresholds
from playbooks.model import Assessment, Catalog, Opportunity, Rule

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2, "do_not_pursue": 3}


@dataclass(frozen=True)
class Item:
    assessment: Assessment
    opportunity: Opportunity

    @property
    def owner(self) -> str:
        return self.assessment.account.csm_email


@dataclass(frozen=True)
class Digest:
    team: str
    day: date
    items: tuple[Item, ...]
    held_back: tuple[tuple[str, str], ...]  # (account_id, reason)
    more: int = 0  # ready accounts left out by the cap
    by_owner: dict[str, tuple[Item, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SignalBar:
    """The least an account must show before any signal can fire today; the digest's query leaves out
    the accounts below it before loading them (most of a portfolio is quiet on any given day).

    Read from thresholds.yaml like the signals themselves, and loose wherever a signal reads more than
    numbers: any ticket or achieved goal since `recent_since`, any tool, any catalog rule whose plan
    and numeric conditions hold, and any account without a usage summary as of today is kept."""

    today: date
    power_adoption: float  # power_users: at least one power user and this adoption
    seat_utilization: float  # seat_utilization: active users above this share of the seats
    growth: float  # usage_growth: active users or actions up this much since the base snapshot
    revenue_growth: float  # business_growth: the customer's own revenue up this much since the base
    recent_since: date  # the longest window any signal reads tickets or goals in
    rules: tuple[Rule, ...]  # the catalog's own triggers


def signal_bar(catalog: Catalog, today: date) -> SignalBar:
    t = thresholds()["signals"]
    longest = max(v for k, v in t.items() if k.endswith("_window_days"))
    return SignalBar(
        today=today,
        power_adoption=t["power_user_adoption"],
        seat_utilization=t["seat_utilization"],
        growth=t["usage_growth_min"],
        revenue_growth=t["revenue_growth_min"],
        recent_since=today - timedelta(days=longest),
        rules=catalog.rules,
    )


def build(
    team: str, day: date, assessments: list[Assessment], snoozed: dict[str, str], cap: int | None = None
) -> Digest:
    """Pick the team's ready accounts; `snoozed` maps account ids to why a CSM set them aside."""
    floor = thresholds()["digest"]["min_composite"]
    cap = cap or thresholds()["digest"]["cap"]
    ready: list[Item] = []
    held: list[tuple[str, str]] = []
    for a in assessments:
        best = a.best
        if best is None:
            continue
        if a.account.account_id in snoozed:
            held.append((a.account.account_id, snoozed[a.account.account_id]))
        elif not a.timing.ok:
            held.append((a.account.account_id, "; ".join(a.timing.reasons)))
        elif best.scores.composite < floor:
            held.append((a.account.account_id, f"score {best.scores.composite} is below {floor}"))
        else:
            ready.append(Item(a, best))
    ready.sort(
        key=lambda i: (
            PRIORITY_RANK[i.opportunity.priority],
            -i.opportunity.scores.composite,
            -i.opportunity.est_value.amount,
            i.assessment.account.name,
        )
    )
    shown = tuple(ready[:cap])
    by_owner: dict[str, tuple[Item, ...]] = {}
    for item in shown:
        by_owner[item.owner] = (*by_owner.get(item.owner, ()), item)
    return Digest(
        team=team,
        day=day,
        items=shown,
        held_back=tuple(sorted(held)),
        more=max(len(ready) - cap, 0),
        by_owner=by_owner,
    )
