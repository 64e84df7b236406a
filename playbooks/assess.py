"""One account, one day: signals, opportunities, scores, timing, readiness and approach."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from playbooks import approach, opportunities, readiness, signals, timing
from playbooks.model import AccountData, Assessment, Catalog, Signal, UsageSummary
from playbooks.usage import summary_for, trajectory


def assess(data: AccountData, catalog: Catalog, today: date) -> Assessment:
    summary = summary_for(data, today)
    trend = trajectory(summary)
    return _complete(
        data, catalog, today, summary, trend, signals.detect(data, catalog, today, summary, trend)
    )


def assess_if_signalled(data: AccountData, catalog: Catalog, today: date) -> Assessment | None:
    """The same assessment, or None at once when no signal fires: most of a portfolio, on a digest run."""
    summary = summary_for(data, today)
    trend = trajectory(summary)
    found = signals.detect(data, catalog, today, summary, trend)
    return _complete(data, catalog, today, summary, trend, found) if found else None


def _complete(
    data: AccountData,
    catalog: Catalog,
    today: date,
    summary: UsageSummary | None,
    trend: dict[str, float],
    found: tuple[Signal, ...],
) -> Assessment:
    ready = readiness.assess(data, today, summary)
    guard = timing.guard(data, trend, today)
    t_score, t_why = timing.timing_score(data, guard, ready.stakeholders)
    opps = opportunities.build(data, catalog, found, t_score, t_why)
    if not guard.ok:  # blocked accounts are never pursued, whatever the score says
        opps = tuple(replace(o, priority="do_not_pursue") for o in opps)
    return Assessment(
        account=data.account,
        today=today,
        signals=found,
        opportunities=opps,
        timing=guard,
        readiness=ready,
        approach=approach.recommend(data, opps[0] if opps else None, guard, today),
        trajectory=trend,
    )
