"""App Home: the caller's open opportunities and today's top accounts of their team, one click from action."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import Engine, select

from bot.slack.blocks import blocks_for
from bot.slack.deliver import oops
from bot.slack.identity import Caller
from bot.slack.runtime import SlackRuntime, refusal
from handlers import digest
from handlers.assessing import NoCatalog
from handlers.present import TYPE_WORDS
from handlers.reply import Button, Reply, Section, notice
from playbooks.model import Money
from playbooks.money import format_money, locale_for
from storage import models as db
from storage.db import session_scope
from storage.tracking import open_opportunities

log = logging.getLogger("expansion_bot.slack")

HOME_BLOCKS = 100  # App Home allows twice a message's blocks
MAX_OPPORTUNITIES = 25
MAX_TOP = 5


def register(app: App, rt: SlackRuntime) -> None:
    def ack_event(ack: Ack) -> None:
        ack()

    def opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab", "home") == "home":
            publish(rt, rt.caller(body, context))

    app.event("app_home_opened")(ack=ack_event, lazy=[opened])


def publish(rt: SlackRuntime, caller: Caller) -> bool:
    """views.publish of the caller's home; a failure shows the friendly line with its reference id."""
    try:
        view = home_view(rt.engine, caller, rt.context(caller).today)
    except Exception:
        ref, line = oops()
        log.exception("slack home failed", extra={"request_id": ref})
        view = _view(notice("home", line))
    return rt.delivery.publish_home(caller.user_id, view)


def publish_if_home(rt: SlackRuntime, body: dict[str, Any], caller: Caller) -> None:
    """After a click in App Home changes an opportunity, show the home as it is now."""
    if (body.get("container") or {}).get("type") == "view" and (body.get("view") or {}).get("type") == "home":
        publish(rt, caller)


def home_view(engine: Engine, caller: Caller, today: date) -> dict[str, Any]:
    return _view(home_reply(engine, caller, today))


def _view(reply: Reply) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks_for(reply, max_blocks=HOME_BLOCKS)}


def home_reply(engine: Engine, caller: Caller, today: date) -> Reply:
    """The home as a channel-neutral Reply, so the one renderer keeps it within Block Kit's limits."""
    if not caller.registered:
        return notice("home", refusal(caller))
    with session_scope(engine) as session:
        csm = session.get(db.Csm, caller.email)
        accounts = {a.account_id: a for a in session.scalars(select(db.Account))}
        opps = open_opportunities(session, owner=caller.email)
        lines = [_opportunity_line(o, accounts.get(o.account_id)) for o in opps[:MAX_OPPORTUNITIES]]
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
                Button(f"Prep {i.assessment.account.name}", "prep", i.assessment.account.account_id)
                for i in top
            ]
        name = csm.name if csm else caller.email
    return Reply(
        command="home",
        title=f"Expansion Bot — {name}",
        sections=sections,
        buttons=buttons,
        context=f"As of {today.isoformat()} · /prep ACCOUNT for a call brief · /expansion help for more",
    )


def _opportunity_line(o: db.Opportunity, account: db.Account | None) -> str:
    name = account.name if account else o.account_id
    value = format_money(Money(o.est_value, o.currency), locale_for(account.country if account else "SG"))
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
