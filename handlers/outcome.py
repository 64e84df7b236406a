"""`outcome ACCOUNT won|lost|no|maybe [reason]`: record it and move the opportunity on."""

from __future__ import annotations

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import Context
from handlers.reply import Reply, Section
from playbooks.outcomes import plan
from storage import models as db
from storage.tracking import record_outcome

WORDS = {"won": "Won", "lost": "Lost", "no": "A no", "maybe": "A maybe"}


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    assert account_id
    account = session.get(db.Account, account_id)
    assert account
    row, opps = record_outcome(
        session, account_id, command.outcome, command.reason, ctx.today, ctx.caller_email or "console"
    )
    step = plan(command.outcome, ctx.today).next_step
    lines = [f"Next: {step}"]
    if opps:
        lines.append("Opportunities updated: " + ", ".join(f"{o.offering_name} → {o.status}" for o in opps))
    if command.reason:
        lines.append(f"Reason noted: {command.reason}")
    return Reply(
        command="outcome",
        title=f"{WORDS[command.outcome]} recorded for {account.name}",
        sections=[Section(lines=tuple(lines))],
        data={
            "account": {"id": account.account_id, "name": account.name, "country": account.country},
            "outcome": command.outcome,
            "reason": command.reason,
            "revisit_on": row.revisit_on.isoformat() if row.revisit_on else None,
            "opportunities": [{"id": o.id, "offering": o.offering, "status": o.status} for o in opps],
        },
    )
