"""Who to talk to, when, on which channel and in what tone, by country."""

from __future__ import annotations

from datetime import date, timedelta

from playbooks.config import country
from playbooks.model import AccountData, Approach, Opportunity, Timing
from playbooks.timing import MOMENT_WORDS


def recommend(data: AccountData, best: Opportunity | None, timing: Timing, today: date) -> Approach:
    profile = country(data.account.country)
    current = data.current_contacts(today)
    champion = next((c for c in current if c.is_champion), None)
    sponsor = next((c for c in current if c.is_decision_maker and c is not champion), None)
    people = [f"{c.name} ({c.role})" if c.role else c.name for c in (champion, sponsor) if c]
    if not people:
        who = "the main user contact; find a champion first"
    elif profile["consensus"] and len(people) > 1:
        who = " and ".join(people) + " together, so the group can decide"
    else:
        who = people[0]
    if not timing.ok:
        when = f"not now: {timing.reasons[0]}"
        if timing.revisit_on:
            when += f"; revisit on {timing.revisit_on.isoformat()}"
    elif timing.waits:
        when = f"wait: {timing.waits[0]}"
        if timing.revisit_on:
            when += f"; revisit on {timing.revisit_on.isoformat()}"
    elif best is None:
        when = "no proposal yet; keep delivering value"
    elif best.priority == "high":
        when = next((f"now, {MOMENT_WORDS[m]}" for m in timing.moments), "now")
    elif best.priority == "medium":
        when = f"within 30 days (by {(today + timedelta(days=30)).isoformat()})"
    else:
        when = f"monitor; revisit on {(today + timedelta(days=75)).isoformat()}"
    high_value = best is not None and best.est_value.amount >= 0.2 * max(data.account.arr, 1)
    channel = (
        profile["channel"]
        if (best and best.priority == "high") or high_value
        else (
            "email" if profile["directness"] == "direct" else "WhatsApp, then a call if they are open to it"
        )
    )
    return Approach(
        who=who,
        when=when,
        channel=channel,
        tone=profile["style"],
        country=data.account.country,
        follow_up_on=today + timedelta(days=profile["follow_up_days"]),
        patient=bool(profile["patient"]),
    )
