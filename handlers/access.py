"""Who is asking, and what they may see: a CSM their own team's accounts, a lead every team's.

The console without `--as` is the operator's and sees everything. Every refusal says why and what
to do instead, so nobody is left guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from handlers.context import Context
from storage import models as db

LEAD = "lead"
NOT_REGISTERED = (
    "Sorry, I can only help registered Customer Success Managers. Ask your team lead to add you to csms.csv."
)
SHOWN_CSMS = 12  # a list of choices longer than this is cut, with a count of the rest


def caller(session: Session, ctx: Context) -> db.Csm | None:
    """The registered CSM asking, or None (the operator's console, or someone unknown)."""
    return session.get(db.Csm, ctx.caller_email) if ctx.caller_email else None


def is_lead(csm: db.Csm | None) -> bool:
    return bool(csm and (csm.role or "").lower() == LEAD)


def operator_notice(session: Session, ctx: Context) -> tuple[str, ...]:
    """On the console `--as` someone who is not a CSM: whose console it is, what a CSM would see, and the
    CSMs one could ask as (no lines otherwise)."""
    if ctx.channel != "console" or not ctx.caller_email or caller(session, ctx) is not None:
        return ()
    return (
        f"{ctx.caller_email} is not a registered CSM, so this answer is the operator's view of the console "
        "(every team's accounts). On Slack or WhatsApp they would be told: “" + NOT_REGISTERED + "”",
        "A CSM sees their own team's accounts; a lead (role lead in csms.csv) sees every team's. "
        "Use --as with a CSM's email to see what they see.",
        csm_choices(session),
    )


def account_refusal(session: Session, ctx: Context, account_id: str) -> tuple[str, str] | None:
    """(what, why and what to do) when this caller may not see or record this account, else None."""
    csm = caller(session, ctx)
    account = session.get(db.Account, account_id)
    if csm is None or account is None or is_lead(csm) or account.team == csm.team:
        return None
    owner = session.get(db.Csm, account.csm_email)
    who = f" (owner: {owner.name})" if owner else ""
    ask = f"{owner.name} or your lead" if owner else "your lead"
    return (
        f"{account.name} is team {account.team}'s account{who}.",
        f"You are in team {csm.team}, and a CSM sees and records only their own team's accounts. "
        f"Ask {ask} (a lead, role lead in csms.csv, sees every team).",
    )


def openable(
    session: Session, ctx: Context, accounts: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """The (account_id, name) of a list this caller may open, in order: a suggestion ("did you mean",
    "which one?") never shows a CSM another team's account name."""
    csm = caller(session, ctx)
    if csm is None or is_lead(csm) or not accounts:
        return tuple(accounts)
    ids = [i for i, _ in accounts]
    query = select(db.Account.account_id).where(
        db.Account.account_id.in_(ids),  # type: ignore[attr-defined]
        db.Account.team == csm.team,
    )
    mine = set(session.exec(query))
    return tuple((i, n) for i, n in accounts if i in mine)


def team_refusal(session: Session, ctx: Context, team: str) -> tuple[str, str] | None:
    """(what, why and what to do) when this caller may not see this team's digest, else None."""
    csm = caller(session, ctx)
    if csm is None or is_lead(csm) or csm.team == team:
        return None
    return (
        f"The {team} digest is for team {team}; you are in team {csm.team}.",
        "Ask for `digest` (your team's), or ask your lead (role lead in csms.csv sees every team).",
    )


def csm_choices(session: Session) -> str:
    """The CSMs one could be on the console (`--as EMAIL`), as one sentence."""
    csms = list(session.exec(select(db.Csm).order_by(db.Csm.team, db.Csm.email)))  # type: ignore[arg-type]
    if not csms:
        return "No CSMs are imported yet (csms.csv)."
    shown = ", ".join(f"{c.email} ({c.name}, {c.team})" for c in csms[:SHOWN_CSMS])
    more = f", and {len(csms) - SHOWN_CSMS} more" if len(csms) > SHOWN_CSMS else ""
    return f"CSMs: {shown}{more}."
