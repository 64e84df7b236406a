"""What an outcome means for the opportunity, for the account's next pitches, and when to come back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from playbooks.config import thresholds
from playbooks.model import Opportunity, PastOutcome

# The trial a "maybe" gets, in the shape of what was offered: never a tier trial for an add-on.
TRIAL_WORDS = {
    "upsell": "a 1-month free trial of {name}",
    "add_on": "a 1-month free trial of the {name} add-on",
    "cross_sell": "a 1-month free trial of {name}",
    "seats": "the {name} free for 1 month",
}


@dataclass(frozen=True)
class OutcomePlan:
    status: str  # the opportunity's new status
    revisit_on: date | None  # lost/no: pitched again no earlier; maybe: the trial's follow-up
    next_step: str


def plan(outcome: str, today: date, *, type_: str = "", name: str = "") -> OutcomePlan:
    """The status and next step an outcome implies; `type_` and `name` shape a maybe's trial."""
    t = thresholds()["timing"]
    if outcome == "won":
        return OutcomePlan("closed_won", None, "celebrate, then make sure the new capability is adopted")
    if outcome in ("lost", "no"):
        until = today + timedelta(days=t["no_suppression_days"])
        what = f"{name} is" if name else "expansion is"
        return OutcomePlan(
            "closed_lost", until, f"documented; {what} not pitched again before {until.isoformat()}"
        )
    if outcome == "maybe":
        follow = today + timedelta(days=t["maybe_followup_days"])
        trial = TRIAL_WORDS.get(type_, "a 1-month free trial of {name}").format(name=name or "the offer")
        return OutcomePlan("proposed", follow, f"offer {trial}; follow up on {follow.isoformat()}")
    raise ValueError(f"unknown outcome {outcome!r}")


def qualification_due(priority: str, identified_on: date) -> date:
    """The qualification call: 7 days out for high priority, up to 14 for the rest."""
    days = thresholds()["opportunities"]["qualification_due_days"][priority]
    return identified_on + timedelta(days=days)


def decided(outcomes: tuple[PastOutcome, ...], today: date) -> dict[str, str]:
    """Offerings not to pitch today, with why: won (the customer has it), or a lost/no still in force."""
    days = thresholds()["timing"]["no_suppression_days"]
    out: dict[str, str] = {}
    for o in sorted(outcomes, key=lambda o: o.recorded_on):
        if not o.offering:
            continue
        if o.outcome == "won" and o.offering != "seats":  # more seats can be needed again
            out[o.offering] = f"won on {o.recorded_on.isoformat()}"
        elif o.outcome in ("lost", "no") and 0 <= (today - o.recorded_on).days < days:
            until = o.recorded_on + timedelta(days=days)
            why = f" ({o.reason})" if o.reason else ""
            out[o.offering] = (
                f"{o.outcome} on {o.recorded_on.isoformat()}{why}; not before {until.isoformat()}"
            )
        else:
            out.pop(o.offering, None)  # a later maybe, or a no that has run out, reopens it
    return out


def trials(outcomes: tuple[PastOutcome, ...], today: date) -> dict[str, date]:
    """Offerings in a maybe's 1-month trial today, with the follow-up date."""
    days = thresholds()["timing"]["maybe_followup_days"]
    return {
        o.offering: o.recorded_on + timedelta(days=days)
        for o in sorted(outcomes, key=lambda o: o.recorded_on)
        if o.outcome == "maybe" and o.offering and 0 <= (today - o.recorded_on).days <= days
    }


def pitchable(
    opportunities: tuple[Opportunity, ...], outcomes: tuple[PastOutcome, ...], today: date
) -> tuple[Opportunity, ...]:
    """The opportunities left once decided offers are taken out: a decided offer is never re-pitched."""
    gone = decided(outcomes, today)
    return tuple(o for o in opportunities if o.offering not in gone)
