"""What an outcome means for the opportunity and when to come back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from playbooks.config import thresholds


@dataclass(frozen=True)
class OutcomePlan:
    status: str  # the opportunity's new status
    revisit_on: date | None
    next_step: str


def plan(outcome: str, today: date) -> OutcomePlan:
    t = thresholds()["timing"]
    if outcome == "won":
        return OutcomePlan("closed_won", None, "celebrate, then make sure the new capability is adopted")
    if outcome == "lost":
        return OutcomePlan(
            "closed_lost",
            today + timedelta(days=t["no_suppression_days"]),
            "note what would have made it a yes",
        )
    if outcome == "no":
        until = today + timedelta(days=t["no_suppression_days"])
        return OutcomePlan("closed_lost", until, f"documented; no expansion pitch until {until.isoformat()}")
    if outcome == "maybe":
        follow = today + timedelta(days=t["maybe_followup_days"])
        return OutcomePlan(
            "proposed",
            follow,
            f"offer a 1-month free trial of the higher tier; follow up on {follow.isoformat()}",
        )
    raise ValueError(f"unknown outcome {outcome!r}")


def qualification_due(priority: str, identified_on: date) -> date:
    """The qualification call: 7 days out for high priority, up to 14 for the rest."""
    days = thresholds()["opportunities"]["qualification_due_days"][priority]
    return identified_on + timedelta(days=days)
