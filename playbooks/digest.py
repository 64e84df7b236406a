"""Which accounts a team's morning digest shows: ready, ranked, grouped by owner, capped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from playbooks.config import thresholds
from playbooks.model import Assessment, Opportunity

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
