"""`expansion mine`: the caller's own accounts, best opportunity first."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from handlers.assessing import catalog_or_fail
from handlers.commands import Command
from handlers.context import Context
from handlers.present import account_json, opportunity_line
from handlers.reply import Reply, Section, notice
from playbooks.assess import assess
from storage import models as db
from storage.repository import load_accounts


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    if not ctx.caller_email:
        return notice("mine", "Whose accounts? Run it as a CSM (`--as EMAIL` on the console).")
    catalog = catalog_or_fail(session)
    ids = list(session.scalars(select(db.Account.account_id).where(db.Account.csm_email == ctx.caller_email)))
    assessed = [assess(d, catalog, ctx.today) for d in load_accounts(session, ids, today=ctx.today)]
    assessed.sort(key=lambda a: -(a.best.scores.composite if a.best else 0))
    lines = []
    for a in assessed:
        what = opportunity_line(a.account, a.best) if a.best else "no signal today"
        hold = "" if a.timing.ok else f" — not now: {a.timing.reasons[0]}"
        lines.append(f"• {a.account.name} ({a.account.account_id}): {what}{hold}")
    return Reply(
        command="mine",
        title=f"Your accounts ({len(assessed)})",
        sections=[Section(lines=tuple(lines) or ("No accounts are assigned to you.",))],
        data={"accounts": [account_json(a.account) for a in assessed]},
    )
