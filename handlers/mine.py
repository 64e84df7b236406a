"""`expansion mine`: the caller's own accounts, best opportunity first."""

from __future__ import annotations

from sqlmodel import Session

from handlers.access import caller, csm_choices
from handlers.assessing import catalog_or_fail
from handlers.commands import Command
from handlers.context import Context
from handlers.present import account_json, opportunity_line
from handlers.reply import Reply, Section, notice
from playbooks.assess import assess
from storage.repository import account_ids_of, load_accounts


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    if caller(session, ctx) is None:
        return notice("mine", "Whose accounts?", whose(session, ctx), csm_choices(session))
    catalog = catalog_or_fail(session)
    ids = account_ids_of(session, csm_email=ctx.caller_email)
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


def whose(session: Session, ctx: Context) -> str:
    """Why there is no "mine" here, and how to ask as a CSM."""
    who = f"{ctx.caller_email} is not a registered CSM. " if ctx.caller_email else ""
    return f"{who}Ask as a CSM: `expansion mine` with --as EMAIL."
