"""`digest`: a team's expansion-ready accounts for a day (delivery lives in bot/)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from handlers.assessing import assess_team
from handlers.commands import Command
from handlers.context import Context
from handlers.present import TYPE_WORDS, money
from handlers.reply import Button, Reply, Section, notice
from playbooks.digest import Digest, build
from storage import models as db
from storage.repository import teams
from storage.tracking import open_opportunities, snoozed


def compute(session: Session, team: str, day: date) -> Digest:
    return build(team, day, assess_team(session, team, day), snoozed(session, day))


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    team = command.account.strip()
    if not team and ctx.caller_email and (csm := session.get(db.Csm, ctx.caller_email)):
        team = csm.team
    known = [t.team for t in teams(session)]
    if not team and known:
        team = known[0]
    if team not in known:
        return notice("digest", f"Unknown team “{team}”. Teams: {', '.join(known) or 'none yet'}.")
    return render(compute(session, team, ctx.today), session)


def digest_json(d: Digest) -> dict[str, Any]:
    return {
        "date": d.day.isoformat(),
        "team": d.team,
        "items": [
            {
                "account_id": i.assessment.account.account_id,
                "account": i.assessment.account.name,
                "type": i.opportunity.type,
                "offering": i.opportunity.offering,
                "priority": i.opportunity.priority,
                "composite": i.opportunity.scores.composite,
                "est_value": {
                    "amount": i.opportunity.est_value.amount,
                    "currency": i.opportunity.est_value.currency,
                },
                "owner": i.owner,
                "signal": i.opportunity.signals[0].name,
                "next_step": i.assessment.approach.when,
            }
            for i in d.items
        ],
        "held_back": [{"account_id": a, "reason": r} for a, r in d.held_back],
        "more": d.more,
    }


def render(d: Digest, session: Session) -> Reply:
    """One section per owner; each account with its signal, offer, value and next step."""
    tracked = {(o.account_id, o.type, o.offering) for o in open_opportunities(session)}
    names = {c.email: c for c in session.exec(select(db.Csm))}
    sections, buttons = [], []
    for owner, items in d.by_owner.items():
        csm = names.get(owner)
        who = csm.name if csm else owner
        lines = []
        for i in items:
            a, o = i.assessment.account, i.opportunity
            new = "open" if (a.account_id, o.type, o.offering) in tracked else "new"
            lines.append(
                f"• {a.name} ({a.account_id}) [{new}] — {o.offering_name} ({TYPE_WORDS[o.type]}), "
                f"{o.priority}, score {o.scores.composite}, est. {money(a, o.est_value)}\n"
                f"  signal: {o.signals[0].evidence}\n  next: {i.assessment.approach.when}"
            )
            buttons.append(Button(f"Prep {a.name}", "prep", a.account_id, command=f"prep {a.account_id}"))
        sections.append(
            Section(
                heading=f"{who} — {len(items)} account(s)",
                lines=tuple(lines),
                mention=csm.slack_user_id or "" if csm else "",
            )
        )
    if not d.items:
        title = f"Expansion digest — {d.team}, {d.day.isoformat()}: nothing is ready today"
        sections.append(
            Section(
                lines=(
                    f"{len(d.held_back)} account(s) held back by the timing guard, a snooze or a low score.",
                )
            )
        )
    else:
        title = f"Expansion digest — {d.team}, {d.day.isoformat()}: {len(d.items)} account(s) ready"
    if d.more:
        sections.append(Section(lines=(f"…and {d.more} more ready account(s) beyond today's cap.",)))
    return Reply(
        command="digest", title=title, sections=sections, buttons=buttons, private=False, data=digest_json(d)
    )
