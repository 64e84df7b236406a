"""`digest`: a team's expansion-ready accounts for a day (delivery lives in bot/)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from handlers.access import caller, team_refusal
from handlers.assessing import assess_team
from handlers.commands import Command
from handlers.context import MEMORY_TTL, Context
from handlers.present import TYPE_WORDS, money
from handlers.reply import Button, Reply, Section, notice
from playbooks import calendar
from playbooks.digest import Digest, build
from playbooks.model import Assessment
from storage import models as db
from storage.memory import recall
from storage.repository import csms_by_email, overdue_opportunities, teams
from storage.tracking import open_keys, snoozed, track


def compute(session: Session, team: str, day: date, cap: int | None = None) -> Digest:
    return build(team, day, assess_team(session, team, day), snoozed(session, day), cap=cap)


def compose(session: Session, team: str, day: date, cap: int | None = None) -> tuple[Reply, list[Assessment]]:
    """The digest exactly as it is posted, with the assessments it came from; reads only."""
    assessments = assess_team(session, team, day)
    reply = render(build(team, day, assessments, snoozed(session, day), cap=cap), session)
    holiday_note(session, team, day, reply)
    overdue = overdue_calls(session, team, day)
    if overdue:
        reply.sections.extend(overdue_sections(session, overdue, day))
        owners = csms(session)  # Slack pings only the ids a reply lists, never markup found in data
        reply.data["mentions"] = sorted(
            {c.slack_user_id for o, _ in overdue if (c := owners.get(o.owner_email)) and c.slack_user_id}
        )
    reply.data["overdue"] = [
        {
            "account_id": o.account_id,
            "account": name,
            "owner": o.owner_email,
            "offering": o.offering,
            "due": o.qualification_due.isoformat() if o.qualification_due else None,
        }
        for o, name in overdue
    ]
    return reply, assessments


def holiday_note(session: Session, team: str, day: date, reply: Reply) -> None:
    """On a public holiday of the team's country no digest is sent (`holiday` says which); the next
    working day's digest carries it, once (`carries` lists the holidays it covers)."""
    row = session.get(db.Team, team)
    where = calendar.team_region(row.country, row.timezone) if row else ""
    if name := calendar.holiday_on(where, day):
        reply.data["holiday"] = name
        line = f"{name}: a public holiday in {where}; no digest today, the next working day's carries it."
        reply.sections.insert(0, Section(lines=(line,)))
    elif covered := calendar.carried(where, day):
        reply.data["carries"] = [{"date": d.isoformat(), "holiday": n} for d, n in covered]
        days = ", ".join(f"{d.isoformat()} ({n})" for d, n in covered)
        reply.sections.insert(0, Section(lines=(f"Also covers {days}: no digest went out on the holiday.",)))


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    known = [t.team for t in teams(session)]
    team, why = which_team(session, command, ctx, known)
    if team not in known:
        return notice("digest", f"Unknown team “{team}”. Teams: {', '.join(known) or 'none yet'}.")
    if refused := team_refusal(session, ctx, team):
        return notice("digest", *refused)
    reply, assessments = compose(session, team, ctx.today, ctx.digest_cap)
    track(session, assessments, ctx.today)  # recorded on sight, as a sent digest records them
    if why:  # nobody said whose digest: say which team this is, why, and the others
        reply.sections.insert(0, Section(lines=(why,)))
        reply.data["team_chosen"] = why
    return reply


def which_team(session: Session, command: Command, ctx: Context, known: list[str]) -> tuple[str, str]:
    """(team, why it was chosen): as typed, else the CSM's own; on the operator's console, the team of
    the account asked about last, else the first team, with a sentence saying so ("" when obvious)."""
    if command.account.strip():
        return command.account.strip(), ""
    if csm := caller(session, ctx):
        return csm.team, ""
    if not known:
        return "", ""
    others = f"Teams: {', '.join(known)} — `digest TEAM` for another, or ask as a CSM (--as EMAIL)."
    last = session.get(db.Account, recall(session, ctx.user_key, MEMORY_TTL)) if ctx.user_key else None
    if last is not None and last.team in known:
        why = f"the team of {last.name}, the account asked about last"
        return last.team, f"No team given, so this is {last.team}: {why}. {others}"
    return known[0], f"No team given and not asking as a CSM, so this is {known[0]}: the first team. {others}"


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
    """A line per owner (mentioned), then each of their accounts with its signal, offer, value, next step
    and the buttons to act on it right under it."""
    tracked = open_keys(session, [i.assessment.account.account_id for i in d.items])
    names = csms(session)
    sections = []
    for owner, items in d.by_owner.items():
        csm = names.get(owner)
        who = csm.name if csm else owner
        mention = csm.slack_user_id or "" if csm else ""
        sections.append(Section(heading=f"{who} — {len(items)} account(s)", mention=mention))
        for i in items:
            a, o = i.assessment.account, i.opportunity
            new = "open" if (a.account_id, o.type, o.offering) in tracked else "new"
            if trial := dict(i.assessment.timing.trials).get(o.offering):  # a maybe: in trial, not a pitch
                new = f"trial, follow up {trial.isoformat()}"
            line = (
                f"• {a.name} ({a.account_id}) [{new}] — {o.offering_name} ({TYPE_WORDS[o.type]}), "
                f"{o.priority}, score {o.scores.composite}, est. {money(a, o.est_value)}\n"
                f"  signal: {o.signals[0].evidence}\n  next: {i.assessment.approach.when}"
            )
            sections.append(Section(lines=(line,), buttons=tuple(digest_buttons(a.account_id))))
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
    return Reply(command="digest", title=title, sections=sections, private=False, data=digest_json(d))


def digest_buttons(account_id: str) -> list[Button]:
    """The four actions on each digest account; handlers/actions.py answers them by action name."""
    return [
        Button("Prep call", "prep", account_id, command=f"prep {account_id}", style="primary"),
        Button("Draft", "draft", account_id, command=f"draft {account_id}"),
        Button("Snooze 30 days", "snooze", account_id),
        Button("Not relevant", "not_relevant", account_id),
    ]


def overdue_calls(session: Session, team: str, day: date) -> list[tuple[db.Opportunity, str]]:
    """Opportunities still `identified` past their qualification-call date, with the account name."""
    return overdue_opportunities(session, team=team, day=day)


def overdue_sections(session: Session, overdue: list[tuple[db.Opportunity, str]], day: date) -> list[Section]:
    """A heading, then each owner's overdue calls under their name; the owner's Slack id rides on the
    section (`mention`), so Slack pings them and the console, WhatsApp and JSON read a name."""
    by_email = csms(session)
    by_owner: dict[str, list[str]] = {}
    for opp, name in overdue:
        due = opp.qualification_due or day
        what = f"{opp.offering_name} ({TYPE_WORDS.get(opp.type, opp.type)})"
        by_owner.setdefault(opp.owner_email, []).append(
            f"• {name} ({opp.account_id}): {what}, qualification call due {due.isoformat()}, "
            f"{(day - due).days} day(s) overdue"
        )
    sections = [Section(heading=f"Overdue qualification calls — {len(overdue)}")]
    for email, lines in by_owner.items():
        csm = by_email.get(email)
        who = csm.name if csm else email
        mention = (csm.slack_user_id or "") if csm else ""
        sections.append(Section(heading=f"{who} — {len(lines)} overdue", lines=tuple(lines), mention=mention))
    return sections


def csms(session: Session) -> dict[str, db.Csm]:
    return csms_by_email(session)
