"""`outcome ACCOUNT won|lost|no|maybe [OFFER] [reason]`: close one offer and say what changes next."""

from __future__ import annotations

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import Context
from handlers.present import account_json
from handlers.reply import Button, Reply, Section, notice
from handlers.workflow import ask_which, by, choose, opportunities_for
from playbooks.model import OUTCOMES, Money
from playbooks.money import format_money
from playbooks.outcomes import plan
from storage import models as db
from storage.tracking import record_outcome

WORDS = {"won": "Won", "lost": "Lost", "no": "A no", "maybe": "A maybe"}
LABELS = {"won": "Won", "lost": "Lost", "no": "They said no", "maybe": "Maybe later"}


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    account = session.get(db.Account, account_id or "")
    assert account is not None  # dispatch resolved it
    opps = opportunities_for(session, ctx, account.account_id)
    coded = command.options.get("offer", "")  # a button names the offer by its code
    opp, reason = choose(opps, coded or command.reason)  # typed: the offer starts the reason text
    if coded:
        reason = command.reason
        if opp is None:
            return notice("outcome", f"{account.name} has no open offer “{coded}” any more.")
    if not command.outcome:
        return _outcome_choice(account, opp)
    if opp is None and len(opps) == 1:
        opp = opps[0]
    if opp is None and opps:
        acc, o = account.account_id, command.outcome
        more = f" {reason}" if reason else ""
        return ask_which(
            account,
            opps,
            "outcome",
            "outcome",
            f"{acc}|{o}|{reason}|{{code}}",
            f"outcome {acc} {o} {{n}}{more}",
        )
    before = (account.plan, account.arr, account.seats_purchased)
    row = record_outcome(
        session,
        account_id=account.account_id,
        opportunity=opp,
        outcome=command.outcome,
        reason=reason,
        today=ctx.today,
        by=by(ctx),
    )
    return _recorded(account, opp, row, before, [o for o in opps if o is not opp])


def _recorded(
    account: db.Account,
    opp: db.Opportunity | None,
    row: db.Outcome,
    before: tuple[str, float, int | None],
    still_open: list[db.Opportunity],
) -> Reply:
    what = opp.offering_name if opp else "expansion (no open offer)"
    step = plan(
        row.outcome, row.recorded_on, type_=opp.type if opp else "", name=opp.offering_name if opp else ""
    )
    lines = [f"{what} → {opp.status.replace('_', ' ') if opp else row.outcome}", f"Next: {step.next_step}"]
    if row.outcome == "won" and opp:
        lines += _changes(account, before)
    if row.reason:
        lines.append(f"Reason noted: {row.reason}")
    if still_open:
        lines.append("Still open: " + ", ".join(o.offering_name or o.offering for o in still_open))
    return Reply(
        command="outcome",
        title=f"{WORDS[row.outcome]} recorded for {account.name}",
        sections=[Section(lines=tuple(lines))],
        data={
            "account": account_json(account),
            "outcome": row.outcome,
            "offering": opp.offering if opp else None,
            "reason": row.reason,
            "revisit_on": row.revisit_on.isoformat() if row.revisit_on else None,
            "follow_up_on": opp.follow_up_on.isoformat() if opp and opp.follow_up_on else None,
            "opportunities": [{"id": opp.id, "offering": opp.offering, "status": opp.status}] if opp else [],
            "still_open": [o.offering for o in still_open],
        },
    )


def _changes(account: db.Account, before: tuple[str, float, int | None]) -> list[str]:
    """What the win changed on the account, which the engine reads from its next run."""
    plan, arr, seats = before
    out = []
    if account.plan != plan:
        out.append(f"Plan: {plan} → {account.plan}")
    if account.seats_purchased != seats:
        out.append(f"Seats: {seats} → {account.seats_purchased}")
    if account.arr != arr:
        old, new = (format_money(Money(x, account.currency)) for x in (arr, account.arr))
        out.append(f"ARR: {old} → {new} (counted as expansion revenue)")
    return out


def _outcome_choice(account: db.Account, opp: db.Opportunity | None) -> Reply:
    """The four outcomes as buttons and typeable commands, for one offer when it is known."""
    acc = account.account_id
    code = f"||{opp.offering}" if opp else ""
    typed = f" {opp.offering}" if opp else ""
    about = f" ({opp.offering_name})" if opp else ""
    return Reply(
        command="outcome",
        title=f"How did it go with {account.name}{about}?",
        buttons=[
            Button(
                LABELS[o],
                "outcome",
                f"{acc}|{o}{code}",
                command=f"outcome {acc} {o}{typed}",
                style="primary" if o == "won" else "",
            )
            for o in OUTCOMES
        ],
        data={"account": account_json(account), "offering": opp.offering if opp else None},
    )
