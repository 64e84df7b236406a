"""One account, one day: signals, opportunities, scores, timing, readiness and approach."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from playbooks import approach, learning, opportunities, outcomes, quotes, readiness, signals, timing, value
from playbooks.model import AccountData, Assessment, Catalog, Signal, UsageSummary
from playbooks.usage import summary_for, trajectory


def assess(
    data: AccountData, catalog: Catalog, today: date, learned: learning.Learned | None = None
) -> Assessment:
    summary = summary_for(data, today)
    trend = trajectory(summary)
    return _complete(
        data, catalog, today, summary, trend, signals.detect(data, catalog, today, summary, trend), learned
    )


def assess_if_signalled(
    data: AccountData,
    catalog: Catalog,
    today: date,
    learned: learning.Learned | None = None,
    *,
    cases: bool = True,
) -> Assessment | None:
    """The same assessment, or None at once when no signal fires: most of a portfolio, on a digest run.
    Without `cases` the business cases are left out: the digest shows none, and their money
    formatting cost more than the rest of the assessment."""
    summary = summary_for(data, today)
    trend = trajectory(summary)
    found = signals.detect(data, catalog, today, summary, trend)
    return _complete(data, catalog, today, summary, trend, found, learned, cases=cases) if found else None


def _complete(
    data: AccountData,
    catalog: Catalog,
    today: date,
    summary: UsageSummary | None,
    trend: dict[str, float],
    found: tuple[Signal, ...],
    learned: learning.Learned | None = None,
    *,
    cases: bool = True,
) -> Assessment:
    said = quotes.read(data, today)
    ready = readiness.assess(data, today, summary, said)
    guard = timing.guard(data, trend, today, said)
    guard = replace(guard, trials=tuple(outcomes.trials(data.outcomes, today).items()))
    t_score, t_why = timing.timing_score(data, guard, ready.stakeholders)
    opps = opportunities.build(data, catalog, found, t_score, t_why)
    opps = outcomes.pitchable(opps, data.outcomes, today)  # a decided offer is never pitched again
    opps = learning.apply(opps, data.account.country, learned, t_score, t_why)
    active = summary.latest.active_users if summary else 0
    if cases:
        opps = tuple(replace(o, case=value.case_for(o, catalog, data.account, active)) for o in opps)
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
        quotes=said,
        realised=value.realised(said, catalog, data.account) if cases else (),
    )
