"""The timing guard and the best moments: value-driven timing, never quota-driven."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from playbooks import calendar, quotes
from playbooks.config import thresholds
from playbooks.model import AccountData, Quote, Timing

MOMENT_WORDS = {  # each good moment in words, for the approach's "when" and the draft's "Moment" line
    "post_milestone": "right after their success milestone",
    "after_qbr": "while the QBR is fresh",
    "pre_renewal": "inside the 60–90 day window before renewal",
    "new_stakeholder": "while the new champion is shaping plans",
}


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def _keywords(name: str) -> tuple[str, ...]:
    return tuple(_norm(w) for w in thresholds()["timing"][name])


def guard(
    data: AccountData, trend: dict[str, float], today: date, said: tuple[Quote, ...] | None = None
) -> Timing:
    """Whether now is a good time, and if not, why and what must happen first; `said` is what the
    customer said recently (read from the tickets when not given)."""
    t = thresholds()["timing"]
    acct = data.account
    reasons: list[str] = []
    codes: list[str] = []
    first: list[str] = []
    revisit: list[date] = []

    if acct.health_score < t["min_health"]:
        codes.append("at_risk")
        reasons.append(f"at risk: health {acct.health_score} is below {t['min_health']}")
        first.append(f"restore health to {t['min_health']}+ with a value and health check")
    if trend.get("users_growth", 0) <= t["declining_engagement"]:
        drop = round(-trend["users_growth"] * 100)
        codes.append("declining")
        reasons.append(
            f"declining engagement: active users down {drop}% "
            f"({int(trend['users_from'])}→{int(trend['users_to'])})"
        )
        first.append("find out why usage is falling and fix it")
    age = (today - acct.start_date).days
    if age < t["min_days_since_purchase"]:
        ready_on = acct.start_date + timedelta(days=t["min_days_since_purchase"])
        codes.append("too_new")
        reasons.append(f"too new: customer for {age} days (wait {t['min_days_since_purchase']})")
        first.append(f"let onboarding finish; revisit on {ready_on.isoformat()}")
        revisit.append(ready_on)
    nos = [
        o
        for o in data.outcomes
        if o.outcome == "no"
        and not o.offering  # a no to one offer suppresses that offer only (playbooks/outcomes.py)
        and 0 <= (today - o.recorded_on).days < t["no_suppression_days"]
    ]
    if nos:
        last = max(nos, key=lambda o: o.recorded_on)
        until = last.recorded_on + timedelta(days=t["no_suppression_days"])
        why = f" ({last.reason})" if last.reason else ""
        codes.append("said_no")
        reasons.append(
            f"said no on {last.recorded_on.isoformat()}{why}; suppressed until {until.isoformat()}"
        )
        first.append(f"respect the no; revisit on {until.isoformat()}")
        revisit.append(until)
    budget = _budget_said(said if said is not None else quotes.read(data, today), today)
    freeze = _budget_freeze(data, today)
    waits: list[str] = []
    wait_codes: list[str] = []
    if freeze or (budget and budget.freeze):
        said_on = max(d for d in (freeze, budget.said_on if budget and budget.freeze else None) if d)
        ends = budget.until if budget and budget.freeze and budget.until else None
        ends = ends or said_on + timedelta(days=t["budget_freeze_days"])
        words = f": {budget.cited}" if budget and budget.freeze else ""
        codes.append("budget_freeze")
        reasons.append(f"budget freeze mentioned on {said_on.isoformat()}{words}")
        first.append(f"wait for the budget to free up; revisit on {ends.isoformat()}")
        revisit.append(ends)
    elif budget:  # tight, not frozen: not a blocker, but not the moment either
        horizon = f" until {budget.until.isoformat()}" if budget.until else ""
        wait_codes.append("budget_tight")
        waits.append(f"budget tight{horizon}: {budget.cited}")
        if budget.until:
            revisit.append(budget.until)
    if big := calendar.season(acct.country, today):  # nobody decides in the week of Lebaran or Songkran
        wait_codes.append("holiday")
        waits.append(
            f"around {big.name} ({big.when}): after the holiday, revisit on {big.resume_on.isoformat()}"
        )
        revisit.append(big.resume_on)

    maybes = [
        o
        for o in data.outcomes
        if o.outcome == "maybe" and 0 <= (today - o.recorded_on).days <= t["maybe_followup_days"]
    ]
    return Timing(
        ok=not reasons,
        reasons=tuple(reasons),
        codes=tuple(codes),
        moments=moments(data, today),
        first=tuple(first),
        revisit_on=max(revisit) if revisit else None,
        trial_offered=bool(maybes),
        waits=tuple(waits),
        wait_codes=tuple(wait_codes),
    )


def _budget_said(said: tuple[Quote, ...], today: date) -> Quote | None:
    """The latest budget constraint the customer stated that still holds: until its horizon, or for
    `budget_freeze_days` when they gave none."""
    days = thresholds()["timing"]["budget_freeze_days"]
    holding = [
        q
        for q in said
        if q.kind == "budget"
        and q.said_on <= today
        and (q.until > today if q.until else (today - q.said_on).days <= days)
    ]
    return max(holding, key=lambda q: q.said_on) if holding else None


def _budget_freeze(data: AccountData, today: date) -> date | None:
    t = thresholds()["timing"]
    words = _keywords("budget_freeze_keywords")
    hits = [
        tk.date
        for tk in data.tickets
        if 0 <= (today - tk.date).days <= t["budget_freeze_days"]
        and any(w in _norm(f"{tk.subject} {tk.body}") for w in words)
    ]
    return max(hits) if hits else None


def moments(data: AccountData, today: date) -> tuple[str, ...]:
    """The good moments open today: post_milestone, pre_renewal, after_qbr, new_stakeholder."""
    t = thresholds()["timing"]
    found = []
    if any(
        g.status == "achieved"
        and g.achieved_on
        and 0 <= (today - g.achieved_on).days <= t["milestone_window_days"]
        for g in data.goals
    ):
        found.append("post_milestone")
    renewal = data.account.renewal_date
    lo, hi = t["renewal_window_days"]
    if renewal and lo <= (renewal - today).days <= hi:
        found.append("pre_renewal")
    qbr = _keywords("qbr_keywords")
    if any(
        0 <= (today - tk.date).days <= t["qbr_window_days"]
        and any(w in _norm(f"{tk.subject} {tk.body}") for w in qbr)
        for tk in data.tickets
    ):
        found.append("after_qbr")
    if any(
        c.is_champion and c.since and not c.left_on and 0 <= (today - c.since).days <= t["new_champion_days"]
        for c in data.contacts
    ):
        found.append("new_stakeholder")
    return tuple(found)


def timing_score(data: AccountData, timing: Timing, stakeholders: str) -> tuple[int, str]:
    """The playbook's 1–10 timing score with the reason for it."""
    health = data.account.health_score
    if {"at_risk", "declining"} & set(timing.codes):
        return (1 if health < 50 else 2), "churn risk"
    if not timing.ok:
        return 3, "blocked: " + timing.reasons[0]
    if "budget_tight" in timing.wait_codes:
        return 4, "budget constraints mentioned: " + timing.waits[timing.wait_codes.index("budget_tight")]
    if "holiday" in timing.wait_codes:
        return 5, "a major holiday is near: " + timing.waits[timing.wait_codes.index("holiday")]
    if stakeholders == "champion_left":
        return 4, "champion has left; relationship needs rebuilding"
    if "post_milestone" in timing.moments or "after_qbr" in timing.moments:
        moment = (
            "just after a success milestone" if "post_milestone" in timing.moments else "just after a QBR"
        )
        return (10 if health >= 80 else 9), moment
    if "pre_renewal" in timing.moments:
        return 8, "60–90 days before renewal"
    if "new_stakeholder" in timing.moments:
        return 6, "new champion onboarding"
    return (7, "healthy, no blockers") if health >= 75 else (6, "neutral")
