"""The opportunity workflow from any channel: `qualify`, `propose`, `snooze`, `not relevant`, and the
choice of which open offer a command means. Typed commands and buttons run these same functions."""

from __future__ import annotations

from sqlmodel import Session

from handlers.assessing import assess_one
from handlers.commands import Command, fold
from handlers.context import Context
from handlers.present import TYPE_WORDS, account_json
from handlers.reply import Button, Reply, Section, notice
from playbooks.model import Money
from playbooks.money import format_money
from storage import models as db
from storage.tracking import not_relevant, open_opportunities, set_status, snooze

COMMANDS = ("qualify", "propose", "snooze", "not_relevant")  # dispatch resolves their account
SNOOZE_DAYS = 30
MAX_SNOOZE_DAYS = 365
FORWARD = {"qualified": ("identified",), "proposed": ("identified", "qualified")}  # status moves forward only
VERBS = {"qualified": "qualify", "proposed": "propose"}  # the typed command for each status
BUTTONS = {"qualified": "qualify", "proposed": "proposed"}  # and the button action (handlers/actions.py)


def opportunities_for(session: Session, ctx: Context, account_id: str) -> list[db.Opportunity]:
    """The account's open opportunities; what the engine shows today is recorded first, so a command
    typed before any digest or brief still finds the opportunity."""
    assess_one(session, account_id, ctx.today)  # records on sight; idempotent
    return open_opportunities(session, account_id=account_id)


def by(ctx: Context) -> str:
    return ctx.caller_email or "console"


def offer_label(o: db.Opportunity) -> str:
    value = format_money(Money(o.est_value, o.currency), compact=True)
    return f"{o.offering_name or o.offering} ({TYPE_WORDS.get(o.type, o.type)}, est. {value}, {o.status})"


def choose(opps: list[db.Opportunity], typed: str) -> tuple[db.Opportunity | None, str]:
    """The offer named at the start of `typed` (its number in the list, its code or its name), and the
    rest of the text; (None, typed) when it names none."""
    words = typed.split()
    if words and words[0].lstrip("#").isdigit():
        n = int(words[0].lstrip("#"))
        if 1 <= n <= len(opps):
            return opps[n - 1], " ".join(words[1:])
        return None, typed
    folded = fold(typed)
    names = [(fold(n), o) for o in opps for n in (o.offering, o.offering_name) if n]
    for name, o in sorted(names, key=lambda n: -len(n[0])):  # the longest name first: "accounting module"
        if folded == name or folded.startswith(name + " "):
            return o, " ".join(words[len(name.split()) :])
    return None, typed


def ask_which(
    account: db.Account, opps: list[db.Opportunity], command: str, action: str, value: str, typed: str
) -> Reply:
    """Several offers are open: a numbered list, a button per offer (Slack), a typeable command each.

    `value` and `typed` hold `{code}` / `{n}` where the offer's code or number goes."""
    return Reply(
        command=command,
        title=f"Which offer for {account.name}? It has {len(opps)} open.",
        sections=[Section(lines=tuple(f"{i}. {offer_label(o)}" for i, o in enumerate(opps, 1)))],
        buttons=[
            Button(
                o.offering_name or o.offering,
                action,
                value.format(code=o.offering),
                command=typed.format(n=i),
            )
            for i, o in enumerate(opps, 1)
        ],
        data={
            "account": account_json(account),
            "choices": [
                {"n": i, "offering": o.offering, "name": o.offering_name} for i, o in enumerate(opps, 1)
            ],
        },
    )


def move(session: Session, ctx: Context, account: db.Account, status: str, offer: str) -> Reply:
    """`qualify` / `propose`: one opportunity forward; the offer may be left out when only one is open."""
    command = VERBS[status]
    opps = opportunities_for(session, ctx, account.account_id)
    if not opps:
        return notice(command, f"{account.name} has no open opportunity to mark as {status} today.")
    if offer:
        opp, _ = choose(opps, offer)
        if opp is None:
            return notice(command, f"{account.name} has no open offer “{offer}”. Open: {_names(opps)}.")
    elif len(opps) == 1:
        opp = opps[0]
    else:
        acc = account.account_id
        return ask_which(account, opps, command, BUTTONS[status], f"{acc}|{{code}}", f"{command} {acc} {{n}}")
    if opp.status not in FORWARD[status]:
        return notice(command, f"{opp.offering_name} for {account.name} is already {opp.status}.")
    set_status(session, [opp], status, by(ctx))
    return Reply(
        command=command,
        title=f"Marked as {status}: {account.name}",
        sections=[Section(lines=(f"• {opp.offering_name or opp.offering} → {status}",))],
        buttons=[Button("Record outcome", "outcome", f"{account.account_id}|||{opp.offering}")],
        data={
            "account": account_json(account),
            "status": status,
            "opportunities": [{"id": opp.id, "offering": opp.offering, "status": opp.status}],
        },
    )


def snooze_account(session: Session, ctx: Context, account: db.Account, days: int = SNOOZE_DAYS) -> Reply:
    if not opportunities_for(session, ctx, account.account_id):
        return notice("snooze", f"{account.name} is not in the digest today: nothing to snooze.")
    until = snooze(session, account_id=account.account_id, today=ctx.today, by=by(ctx), days=days)
    return Reply(
        command="snooze",
        title=f"Snoozed {account.name} until {until.isoformat()}",
        sections=[Section(lines=("It stays out of the digest until then; nothing else changes.",))],
        data={"account": account_json(account), "snoozed_until": until.isoformat()},
    )


def dismiss(session: Session, ctx: Context, account: db.Account, signal: str = "") -> Reply:
    """`not relevant`: feedback on the signals (or the one named), and their opportunities closed."""
    opps = opportunities_for(session, ctx, account.account_id)
    if not opps:
        return notice("not_relevant", f"{account.name} has no open opportunity to dismiss.")
    found = not_relevant(session, account_id=account.account_id, by=by(ctx), today=ctx.today, signal=signal)
    if signal and not found:
        carried = sorted({n for o in opps for n in o.signals or []})
        return notice(
            "not_relevant",
            f"No open opportunity of {account.name} rests on {signal.replace('_', ' ')}; "
            f"its signals: {', '.join(s.replace('_', ' ') for s in carried)}.",
        )
    shown = ", ".join(sorted({s.replace("_", " ") for s in found})) or "its signals"
    return Reply(
        command="not_relevant",
        title=f"Noted: not relevant for {account.name}",
        sections=[Section(lines=(f"Feedback stored on {shown}; the opportunities they raised are closed.",))],
        data={"account": account_json(account), "signals": found},
    )


def _names(opps: list[db.Opportunity]) -> str:
    return ", ".join(f"{i}. {o.offering_name or o.offering}" for i, o in enumerate(opps, 1))


def _account(session: Session, account_id: str | None) -> db.Account:
    account = session.get(db.Account, account_id or "")
    assert account is not None  # dispatch resolved it
    return account


def handle_qualify(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    return move(session, ctx, _account(session, account_id), "qualified", command.options.get("offer", ""))


def handle_propose(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    return move(session, ctx, _account(session, account_id), "proposed", command.options.get("offer", ""))


def handle_snooze(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    days = int(command.options.get("days") or SNOOZE_DAYS)
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        return notice("snooze", f"Snooze for 1 to {MAX_SNOOZE_DAYS} days — e.g. “snooze Kopi Nusantara 14”.")
    return snooze_account(session, ctx, _account(session, account_id), days)


def handle_not_relevant(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    return dismiss(session, ctx, _account(session, account_id), command.options.get("signal", ""))
