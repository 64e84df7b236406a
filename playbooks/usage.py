"""Usage history reduced to what the engine compares, and the trajectory it implies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from playbooks.model import AccountData, UsagePoint, UsageSummary

BASE_MIN_DAYS = 85  # "about three months before the latest snapshot", for daily, weekly or monthly rows
BASE_FALLBACK_MIN_DAYS = 28  # a shorter history still shows a trend if it spans a month


def summarize(points: Sequence[UsagePoint]) -> UsageSummary | None:
    """From snapshots sorted by date; rows may be daily, weekly or monthly."""
    if not points:
        return None
    latest = points[-1]
    previous = points[-2] if len(points) > 1 else None
    latest_gap = (latest.date - previous.date).days if previous else 30
    base_i = None
    for i in range(len(points) - 2, -1, -1):
        if (latest.date - points[i].date).days >= BASE_MIN_DAYS:
            base_i = i
            break
    if base_i is None and previous and (latest.date - points[0].date).days >= BASE_FALLBACK_MIN_DAYS:
        base_i = 0
    base = points[base_i] if base_i is not None else None
    base_gap = (points[base_i].date - points[base_i - 1].date).days if base_i else latest_gap
    return UsageSummary(
        latest=latest,
        previous=previous,
        base=base,
        latest_gap_days=max(latest_gap, 1),
        base_gap_days=max(base_gap, 1),
    )


def summary_for(data: AccountData, today: date) -> UsageSummary | None:
    """The precomputed summary when it is as of today or earlier, else one from the rows up to today."""
    if data.summary is not None and data.summary.latest.date <= today:
        return data.summary
    return summarize([u for u in data.usage if u.date <= today])


def trajectory(summary: UsageSummary | None) -> dict[str, float]:
    """Growth of active users and actions (as a daily rate) since the base snapshot, and the users
    projected a quarter on: 10→14 users in three months ⇒ about 20 next quarter."""
    if summary is None or summary.base is None:
        return {}
    latest, base = summary.latest, summary.base
    days = max((latest.date - base.date).days, 1)
    out: dict[str, float] = {
        "days": days,
        "users_from": base.active_users,
        "users_to": latest.active_users,
        "actions_from": base.actions,
        "actions_to": latest.actions,
    }
    if base.active_users > 0:
        growth = latest.active_users / base.active_users
        out["users_growth"] = growth - 1
        out["users_next_quarter"] = latest.active_users * growth ** (90 / days)
    rate_then = base.actions / summary.base_gap_days
    if rate_then > 0:
        out["actions_growth"] = (latest.actions / summary.latest_gap_days) / rate_then - 1
    return out
