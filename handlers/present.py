"""Shared pieces of replies about an account: its JSON, money, opportunity lines and next buttons."""

from __future__ import annotations

from typing import Any, Protocol

from handlers.reply import Button, Section
from playbooks.model import Account, Assessment, Money, Opportunity
from playbooks.money import format_money, locale_for

TYPE_WORDS = {"upsell": "tier upgrade", "seats": "more seats", "cross_sell": "cross-sell", "add_on": "add-on"}
PERIOD_WORDS = {"once": "", "month": "/month", "year": "/year"}


def money(account: Account, amount: Money, *, compact: bool = False) -> str:
    return format_money(amount, locale_for(account.country), compact=compact)


def trial_section(a: Assessment) -> Section:
    """The offers on a maybe's 1-month trial, each with its follow-up date (issue 11)."""
    names = {o.offering: o.offering_name for o in a.opportunities}
    return Section(
        "On trial",
        lines=tuple(
            f"• {names.get(code, code)}: 1-month trial, follow up on {day.isoformat()}"
            for code, day in a.timing.trials
        ),
    )


class _Named(Protocol):
    """An account as the engine or the database holds it."""

    @property
    def account_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def country(self) -> str: ...


def account_json(account: _Named) -> dict[str, Any]:
    """The account as every --json reply names it."""
    return {"id": account.account_id, "name": account.name, "country": account.country}


def opportunity_json(opp: Opportunity) -> dict[str, Any]:
    return {
        "type": opp.type,
        "offering": opp.offering,
        "offering_name": opp.offering_name,
        "signals": [{"name": s.name, "strength": s.strength, "evidence": s.evidence} for s in opp.signals],
        "scores": {
            "signal": opp.scores.signal,
            "fit": opp.scores.fit,
            "timing": opp.scores.timing,
            "composite": opp.scores.composite,
        },
        "priority": opp.priority,
        "est_value": {"amount": opp.est_value.amount, "currency": opp.est_value.currency},
        "price": {"amount": opp.price.amount, "currency": opp.price.currency, "period": opp.period},
        "seats_to_add": opp.seats_to_add,
        "business_case": {  # what it is worth to them (playbooks/value.py); empty figures: `ask`
            "yearly_value": opp.case.yearly_value.amount if opp.case.yearly_value else None,
            "roi": opp.case.roi,
            "payback_months": opp.case.payback_months,
            "evidence": list(opp.case.evidence),
            "ask": list(opp.case.ask),
        },
    }


def assessment_json(a: Assessment) -> dict[str, Any]:
    """The JSON contract's account, opportunities, timing, readiness and approach."""
    return {
        "account": account_json(a.account),
        "opportunities": [opportunity_json(o) for o in a.opportunities],
        "timing": {
            "ok": a.timing.ok,
            "reasons": list(a.timing.reasons),
            "moments": list(a.timing.moments),
            "first": list(a.timing.first),
            "revisit_on": a.timing.revisit_on.isoformat() if a.timing.revisit_on else None,
            "trial_offered": a.timing.trial_offered,
            "waits": list(a.timing.waits),  # not blockers: a tight budget, a big holiday near
        },
        "readiness": {
            "ready": a.readiness.ready,
            "adoption": a.readiness.adoption,
            "health": a.readiness.health,
            "value_realised": a.readiness.value_realised,
            "relationship": a.readiness.relationship,
            "stakeholders": a.readiness.stakeholders,
            "first": list(a.readiness.first),
        },
        "approach": {
            "who": a.approach.who,
            "when": a.approach.when,
            "channel": a.approach.channel,
            "tone": a.approach.tone,
        },
    }


def opportunity_line(account: Account, opp: Opportunity) -> str:
    return (
        f"{opp.offering_name} ({TYPE_WORDS[opp.type]}) — {opp.priority.replace('_', ' ')}, "
        f"score {opp.scores.composite}, est. {money(account, opp.est_value)}"
    )


def account_buttons(account_id: str, *, draft_language: str = "", proposed: bool = True) -> list[Button]:
    """The actions a CSM takes on an account after reading about it."""
    wa = f"draft {account_id} whatsapp {draft_language}".strip()
    buttons = [
        Button("Prep call", "prep", account_id, command=f"prep {account_id}", style="primary"),
        Button("Draft email", "draft", f"{account_id}|email|", command=f"draft {account_id} email"),
        Button("Draft WhatsApp", "draft", f"{account_id}|whatsapp|{draft_language}", command=wa),
        Button(
            "Objection: no budget",
            "objection",
            f"{account_id}|budget",
            command=f"objection {account_id} budget",
        ),
        Button(
            "Objection: happy", "objection", f"{account_id}|happy", command=f"objection {account_id} happy"
        ),
        Button(
            "Objection: think", "objection", f"{account_id}|think", command=f"objection {account_id} think"
        ),
    ]
    if proposed:
        buttons.append(Button("Mark proposed", "proposed", account_id))
    buttons += [
        Button("Record outcome", "outcome", account_id, command=f"outcome {account_id} won|lost|no|maybe"),
        Button("Snooze 30 days", "snooze", account_id),
    ]
    return buttons


def recommendation(account: Account, best: Opportunity) -> Section:
    """The best offer at a glance: offer, priority, score and value side by side, evidence under them."""
    scores = best.scores
    return Section(
        "Recommendation",
        fields=(
            ("Offer", best.offering_name),
            ("Priority", best.priority.replace("_", " ")),
            (
                "Score",
                f"{scores.composite} (signal {scores.signal} · fit {scores.fit} · timing {scores.timing})",
            ),
            ("Est. value", money(account, best.est_value)),
            *_case_field(account, best),
        ),
        lines=tuple(f"• {e}" for e in scores.evidence),
    )


def _case_field(account: Account, best: Opportunity) -> tuple[tuple[str, str], ...]:
    """The business case at a glance: yearly value, ROI and payback, when the catalog gives drivers."""
    case = best.case
    if not case.yearly_value or not case.roi:
        return ()
    payback = f" · payback {case.payback_months:g} months" if case.payback_months else ""
    return (("Value to them", f"{money(account, case.yearly_value)} a year · ROI {case.roi:g}×{payback}"),)
