"""`expansion ACCOUNT`: the engine's verdict with its evidence."""

from __future__ import annotations

from sqlmodel import Session

from handlers.assessing import assess_one
from handlers.commands import Command
from handlers.context import Context
from handlers.present import (
    account_buttons,
    assessment_json,
    opportunity_line,
    recommendation,
    trial_section,
)
from handlers.reply import Reply, Section
from playbooks.model import Assessment


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    assert account_id
    a, _ = assess_one(session, account_id, ctx.today)
    return render(a)


def render(a: Assessment) -> Reply:
    acct = a.account
    sections = []
    if not a.timing.ok:
        sections.append(
            Section(
                "Not now",
                lines=tuple(f"• {r}" for r in a.timing.reasons)
                + tuple(f"First: {f}" for f in a.timing.first),
            )
        )
    best = a.best
    if a.timing.trials:  # a maybe: the offer is on trial, the next step is the follow-up, not a pitch
        sections.append(trial_section(a))
    if best:
        sections.append(recommendation(acct, best))
        sections.append(
            Section(
                "Opportunities",
                lines=tuple(
                    f"{i}. {opportunity_line(acct, o)}\n   signals: "
                    + "; ".join(f"{s.name} ({s.strength}/10): {s.evidence}" for s in o.signals)
                    for i, o in enumerate(a.opportunities, 1)
                ),
            )
        )
    else:
        sections.append(Section("Opportunities", lines=("No expansion signal today.",)))
    r = a.readiness
    sections.append(
        Section(
            "Readiness",
            fields=(
                ("Adoption", f"{round(r.adoption * 100)}%"),
                ("Health", str(r.health)),
                ("Value realised", "yes" if r.value_realised else "not yet"),
                ("Relationship", r.relationship),
                ("Stakeholders", r.stakeholders.replace("_", " ")),
            ),
            lines=tuple(f"First: {f}" for f in r.first),
        )
    )
    ap = a.approach
    sections.append(
        Section(
            "Approach",
            fields=(("Who", ap.who), ("When", ap.when), ("Channel", ap.channel), ("Tone", ap.tone)),
        )
    )
    return Reply(
        command="expansion",
        title=f"Expansion — {acct.name} ({acct.country}, {acct.plan}, health {acct.health_score})",
        sections=sections,
        buttons=account_buttons(acct.account_id) if best else [],
        context=f"{acct.account_id} · {len(a.signals)} signal(s) · as of {a.today.isoformat()}",
        data=assessment_json(a),
    )
