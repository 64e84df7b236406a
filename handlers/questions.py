"""Questions about an account ("when do they renew?", "siapa championnya?"), answered from its facts in
the asker's language (en, id, ms). Every figure comes from the data; nothing is written by a model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from handlers.assessing import assess_one, catalog_or_fail
from handlers.commands import Command
from handlers.context import Context
from handlers.present import PERIOD_WORDS, TYPE_WORDS, account_json, money
from handlers.reply import Button, Reply, Section
from playbooks.catalog import price_in
from playbooks.config import thresholds
from playbooks.model import Account, AccountData, Assessment, Money
from playbooks.usage import summary_for
from prompts.facts import local_date

TOPICS = ("renewal", "plan", "seats", "health", "contacts", "opportunities", "tickets", "goals", "history")
LAST_TICKETS = 3


@cache
def words() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(Path(__file__).with_name("questions.yaml").read_text("utf-8"))
    return data


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    assert account_id
    language = command.language if command.language in words() else "en"
    w = words()[language]
    topic = command.options.get("topic", "")
    a, data = assess_one(session, account_id, ctx.today)
    acct = a.account
    if topic not in TOPICS:
        return Reply(
            "question",
            w["title"].format(name=acct.name, topic="?"),
            sections=[Section(lines=(w["can_answer"].format(name=acct.name),))],
            buttons=_next(acct),
            ok=False,
            data={"account": account_json(acct), "topic": None, "language": language},
        )
    lines = ANSWERS[topic](Answer(a, data, w, language, ctx.today, session))
    return Reply(
        "question",
        w["title"].format(name=acct.name, topic=w["topics"][topic]),
        sections=[Section(lines=tuple(lines))],
        buttons=_next(acct),
        context=f"{acct.account_id} · as of {ctx.today.isoformat()}",
        data={"account": account_json(acct), "topic": topic, "language": language, "answer": lines},
    )


def _next(acct: Account) -> list[Button]:
    """After a fact, the usual next steps on the account: its brief, its verdict, a draft."""
    i = acct.account_id
    return [
        Button("Prep call", "prep", i, command=f"prep {i}", style="primary"),
        Button("Expansion", "expansion", i, command=f"expansion {i}"),
        Button("Draft WhatsApp", "draft", f"{i}|whatsapp|", command=f"draft {i} whatsapp"),
    ]


class Answer:
    """What one answer reads: the assessment, the account's data, the asker's words, the day."""

    def __init__(
        self,
        a: Assessment,
        data: AccountData,
        w: dict[str, Any],
        language: str,
        today: date,
        session: Session,
    ) -> None:
        self.a, self.data, self.w, self.language, self.today, self.session = (
            a,
            data,
            w,
            language,
            today,
            session,
        )

    @property
    def acct(self) -> Account:
        return self.a.account

    def day(self, d: date) -> str:
        return local_date(d, self.language, self.acct.country)

    def say(self, key: str, **fields: Any) -> str:
        return str(self.w[key]).format(name=self.acct.name, **fields)


def _renewal(x: Answer) -> list[str]:
    renews = x.acct.renewal_date
    if renews is None:
        return [x.say("renewal_none")]
    days = (renews - x.today).days
    if days < 0:
        return [x.say("renewal_past", date=x.day(renews), days=-days)]
    return [x.say("renewal", date=x.day(renews), days=days)]


def _plan(x: Answer) -> list[str]:
    catalog = catalog_or_fail(x.session)
    plan = catalog.plan(x.acct.plan)
    arr = money(x.acct, Money(x.acct.arr, x.acct.currency))
    if plan is None:
        return [x.say("plan_unknown", plan=x.acct.plan, arr=arr)]
    price = money(x.acct, price_in(catalog, plan, x.acct.currency)) + PERIOD_WORDS.get(plan.period, "")
    return [x.say("plan", plan=plan.name, price=price, arr=arr)]


def _seats(x: Answer) -> list[str]:
    summary = summary_for(x.data, x.today)
    if summary is None:
        return [x.say("no_usage")]
    latest = summary.latest
    if not x.acct.seats_purchased:
        return [x.say("seats_unbought", active=latest.active_users, date=x.day(latest.date))]
    share = round(100 * latest.active_users / x.acct.seats_purchased)
    return [
        x.say(
            "seats",
            active=latest.active_users,
            purchased=x.acct.seats_purchased,
            share=share,
            date=x.day(latest.date),
        )
    ]


def _health(x: Answer) -> list[str]:
    minimum = thresholds()["timing"]["min_health"]
    lines = [x.say("health", health=x.acct.health_score)]
    if x.acct.health_score < minimum:
        lines.append(x.say("health_low", minimum=minimum))
    return lines


def _contacts(x: Answer) -> list[str]:
    current = x.data.current_contacts(x.today)
    champions = ", ".join(f"{c.name} ({c.role})" for c in current if c.is_champion)
    deciders = ", ".join(f"{c.name} ({c.role})" for c in current if c.is_decision_maker)
    return [
        x.say("champion", people=champions) if champions else x.say("no_champion"),
        x.say("deciders", people=deciders) if deciders else x.say("no_deciders"),
    ]


def _opportunities(x: Answer) -> list[str]:
    lines = []
    if not x.a.timing.ok and x.a.timing.reasons:
        lines.append(x.say("not_now", why="; ".join(x.a.timing.reasons)))
    for o in x.a.opportunities:
        lines.append(
            "• "
            + x.say(
                "opportunity",
                offering=o.offering_name,
                kind=TYPE_WORDS[o.type],
                priority=o.priority.replace("_", " "),
                score=o.scores.composite,
                value=money(x.acct, o.est_value),
                why="; ".join(s.evidence for s in o.signals[:3]),
            )
        )
    return lines if x.a.opportunities else [*lines, x.say("no_opportunities")]


def _tickets(x: Answer) -> list[str]:
    recent = sorted(x.data.tickets, key=lambda t: t.date, reverse=True)[:LAST_TICKETS]
    if not recent:
        return [x.say("no_tickets")]
    return ["• " + x.say("ticket", date=x.day(t.date), subject=t.subject) for t in recent]


def _goals(x: Answer) -> list[str]:
    if not x.data.goals:
        return [x.say("no_goals")]
    return [
        "• "
        + (
            x.say("goal_achieved", goal=g.goal, date=x.day(g.achieved_on))
            if g.status == "achieved" and g.achieved_on
            else x.say("goal", goal=g.goal, status=x.w["statuses"].get(g.status, g.status))
        )
        for g in x.data.goals
    ]


def _history(x: Answer) -> list[str]:
    if not x.data.outcomes:
        return [x.say("no_history")]
    last = max(x.data.outcomes, key=lambda o: o.recorded_on)
    offer = x.say("history_offer", offer=last.offering) if last.offering else ""
    reason = f"{offer} — “{last.reason}”" if last.reason else offer
    outcome = x.w["outcomes"].get(last.outcome, last.outcome)
    return [x.say("history", outcome=outcome, date=x.day(last.recorded_on), reason=reason)]


ANSWERS: dict[str, Callable[[Answer], list[str]]] = {
    "renewal": _renewal,
    "plan": _plan,
    "seats": _seats,
    "health": _health,
    "contacts": _contacts,
    "opportunities": _opportunities,
    "tickets": _tickets,
    "goals": _goals,
    "history": _history,
}
