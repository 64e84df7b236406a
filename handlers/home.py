"""The CSM's home (Slack's App Home today): their open opportunities and their team's top accounts of
the day, as a channel-neutral Reply; the channel only renders it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from handlers import digest
from handlers.assessing import NoCatalog
from handlers.present import TYPE_WORDS
from handlers.reply import Button, Reply, Section
from playbooks.model import Money
from playbooks.money import format_money, locale_for
from storage import models as db
from storage.repository import accounts_named, csm_by
from storage.tracking import open_opportunities

MAX_OPPORTUNITIES = 25
MAX_TOP = 5


def handle(session: Session, email: str, today: date) -> Reply:
    """The home of the registered CSM `email`."""
    csm = csm_by(session, email=email)
    opps = open_opportunities(session, owner=email)
    shown = opps[:MAX_OPPORTUNITIES]
    accounts = accounts_named(session, {o.account_id for o in shown})
    lines = [_opportunity_line(o, accounts.get(o.account_id)) for o in shown]
    if len(opps) > MAX_OPPORTUNITIES:
        lines.append(f"…and {len(opps) - MAX_OPPORTUNITIES} more. Type `/pipeline` for the totals.")
    sections = [
        Section(f"Your open opportunities ({len(opps)})", lines=tuple(lines) or ("None open right now.",))
    ]
    buttons: list[Button] = []
    team = csm.team if csm else ""
    if team:
        try:
            top = digest.compute(session, team, today).items[:MAX_TOP]
            ready = tuple(_top_line(i) for i in top) or ("Nothing is ready today.",)
        except NoCatalog as exc:
            top, ready = (), (str(exc),)
        sections.append(Section(f"Today's top accounts — {team}", lines=ready))
        buttons = [
            Button(f"Prep {i.assessment.account.name}", "prep", i.assessment.account.account_id) for i in top
        ]
    return Reply(
        command="home",
        title=f"Expansion Bot — {csm.name if csm else email}",
        sections=sections,
        buttons=buttons,
        context=f"As of {today.isoformat()} · /prep ACCOUNT for a call brief · /expansion help for more",
    )


def _opportunity_line(o: db.Opportunity, account: tuple[str, str] | None) -> str:
    name, country = account or (o.account_id, "SG")
    value = format_money(Money(o.est_value, o.currency), locale_for(country))
    extra = ""
    if o.qualification_due and o.status == "identified":
        extra += f", qualify by {o.qualification_due.isoformat()}"
    if o.snoozed_until:
        extra += f", snoozed until {o.snoozed_until.isoformat()}"
    what = f"{o.offering_name or o.offering} ({TYPE_WORDS.get(o.type, o.type)})"
    return f"• *{name}* ({o.account_id}) — {what}, {o.status}, est. {value}{extra}"


def _top_line(item: Any) -> str:
    a, o = item.assessment.account, item.opportunity
    return f"• *{a.name}* ({a.account_id}) — {o.offering_name}, {o.priority}, score {o.scores.composite}"
