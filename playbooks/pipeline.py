"""Pipeline metrics over tracked opportunities: what a CS lead reviews every week."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OppRecord:
    account_id: str
    type: str
    status: str
    country: str
    est_value: float  # in the reporting currency
    created_on: date
    closed_on: date | None


@dataclass(frozen=True)
class Metrics:
    by_status: dict[str, int]
    by_type: dict[str, int]
    open_value: float
    conversion_by_type: dict[str, float]
    conversion_by_country: dict[str, float]
    expansion_revenue: float
    expansion_share: float  # of total ARR
    nrr: float  # (ARR + expansion won) / ARR; churn and contraction are not tracked here
    avg_days_to_close: float | None
    time_to_first_upgrade_days: float | None


def _rate(won: Counter[str], closed: Counter[str]) -> dict[str, float]:
    return {k: round(won[k] / closed[k], 3) for k in sorted(closed)}


def metrics(opps: list[OppRecord], total_arr: float, starts: dict[str, date]) -> Metrics:
    """`starts` maps account ids to their first purchase date, for time to first upgrade."""
    closed_t, won_t, closed_c, won_c = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    revenue, days_to_close = 0.0, []
    first_upgrade: dict[str, date] = defaultdict(lambda: date.max)
    for o in opps:
        if o.status in ("closed_won", "closed_lost"):
            closed_t[o.type] += 1
            closed_c[o.country] += 1
            if o.closed_on:
                days_to_close.append((o.closed_on - o.created_on).days)
        if o.status == "closed_won":
            won_t[o.type] += 1
            won_c[o.country] += 1
            revenue += o.est_value
            first_upgrade[o.account_id] = min(first_upgrade[o.account_id], o.closed_on or o.created_on)
    to_first = [(d - starts[a]).days for a, d in first_upgrade.items() if a in starts]
    open_ = [o for o in opps if o.status not in ("closed_won", "closed_lost")]
    return Metrics(
        by_status=dict(Counter(o.status for o in opps)),
        by_type=dict(Counter(o.type for o in open_)),
        open_value=sum(o.est_value for o in open_),
        conversion_by_type=_rate(won_t, closed_t),
        conversion_by_country=_rate(won_c, closed_c),
        expansion_revenue=revenue,
        expansion_share=round(revenue / total_arr, 4) if total_arr else 0.0,
        nrr=round((total_arr + revenue) / total_arr, 4) if total_arr else 0.0,
        avg_days_to_close=round(sum(days_to_close) / len(days_to_close), 1) if days_to_close else None,
        time_to_first_upgrade_days=round(sum(to_first) / len(to_first), 1) if to_first else None,
    )
