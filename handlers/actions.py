"""Button actions for every channel: command buttons go through dispatch, workflow buttons act here."""

from __future__ import annotations

import logging

from sqlmodel import Session

from handlers.assessing import NoCatalog, assess_one
from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import NOT_REGISTERED, handle, handle_text
from handlers.reply import Button, Reply, Section, notice
from storage import models as db
from storage.db import session_scope
from storage.tracking import not_relevant, open_opportunities, set_status, snooze, track

log = logging.getLogger("expansion_bot")

COMMAND_ACTIONS = {"prep", "expansion", "draft", "objection", "outcome", "pick", "share"}
WORKFLOW_ACTIONS = {"proposed", "snooze", "not_relevant"}
ACTIONS = COMMAND_ACTIONS | WORKFLOW_ACTIONS
CHANNELS = {"", "email", "whatsapp", "slack"}
LANGUAGES = {"", "en", "id", "ms", "th", "vi", "fil"}
OBJECTIONS = {"budget", "happy", "think"}
OUTCOMES = ("won", "lost", "no", "maybe")
OUTCOME_LABELS = {"won": "Won", "lost": "Lost", "no": "They said no", "maybe": "Maybe later"}
SNOOZE_DAYS = 30


class BadAction(ValueError):
    """A button value this code did not write (stale message, hand-made request)."""


def handle_action(action: str, value: str, ctx: Context) -> Reply:
    """What a click does; never raises, and shows account data only to registered CSMs."""
    try:
        if action not in ACTIONS:
            raise BadAction(action)
        if action == "share":
            return _share(value, ctx)
        if action == "pick":
            return handle_text(_pick_text(value), ctx)
        parts = [p.strip() for p in value.split("|")]
        if not parts[0]:
            raise BadAction(value)
        if action == "outcome" and len(parts) < 2:
            return _workflow(ctx, parts[0], _outcome_choice)
        if action in COMMAND_ACTIONS:
            return handle(command_for(action, parts), ctx)
        return _workflow(ctx, parts[0], WORKFLOWS[action])
    except BadAction:
        return notice(action, "That button is out of date. Run the command again for fresh buttons.")


def command_for(action: str, parts: list[str]) -> Command:
    """The chat command a command button stands for; the parts are its value split on `|`."""
    parts = parts + [""] * (4 - len(parts))
    account = parts[0]
    if action in {"prep", "expansion"}:
        return Command(action, account=account, language=_one_of(parts[1], LANGUAGES))
    if action == "draft":
        return Command(
            "draft",
            account=account,
            channel=_one_of(parts[1], CHANNELS),
            language=_one_of(parts[2], LANGUAGES),
        )
    if action == "objection":
        return Command(
            "objection",
            account=account,
            objection=_one_of(parts[1], OBJECTIONS),
            language=_one_of(parts[2], LANGUAGES),
        )
    return Command("outcome", account=account, outcome=_one_of(parts[1], set(OUTCOMES)), reason=parts[2])


def as_text(action: str, value: str) -> str:
    """The chat command a command button stands for ("" for workflow buttons): shown, shared, retyped."""
    try:
        if action == "pick":
            return _pick_text(value)
        parts = [p.strip() for p in value.split("|")]
        if (
            action not in COMMAND_ACTIONS - {"share"}
            or not parts[0]
            or (action == "outcome" and len(parts) < 2)
        ):
            return ""
        c = command_for(action, parts)
    except BadAction:
        return ""
    if c.name == "objection":  # the parser reads the objection phrase last
        words = [c.name, c.account, c.language, c.objection]
    else:
        words = [c.name, c.account, c.channel, c.outcome, c.language, c.reason]
    return " ".join(w for w in words if w)


def _one_of(value: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise BadAction(value)
    return value


def _pick_text(value: str) -> str:
    """A suggestion's value `ACC|command|rest` back into the command the user meant to type."""
    account, _, rest = value.partition("|")
    command, _, args = rest.partition("|")
    if not account.strip() or command not in {"prep", "expansion", "draft", "objection", "outcome"}:
        raise BadAction(value)
    return f"{command} {account.strip()} {args}".strip()


def _share(command_text: str, ctx: Context) -> Reply:
    """The same answer again, meant for everyone in the conversation."""
    if not command_text.strip():
        raise BadAction(command_text)
    reply = handle_text(command_text, ctx)
    reply.private = False
    return reply


def _workflow(ctx: Context, account_id: str, act) -> Reply:  # type: ignore[no-untyped-def]
    """Registration, the account and error handling around one workflow step, in one transaction."""
    try:
        with session_scope(ctx.engine) as session:
            if ctx.channel != "console" and not (
                ctx.caller_email and session.get(db.Csm, ctx.caller_email) is not None
            ):
                return notice("action", NOT_REGISTERED)
            account = session.get(db.Account, account_id)
            if account is None:
                return notice("action", "That account is no longer in the portfolio.")
            reply: Reply = act(session, ctx, account)
            reply.data.setdefault("account", {"id": account.account_id, "name": account.name})
            return reply
    except NoCatalog as exc:
        return notice("action", str(exc))
    except Exception:
        log.exception("action failed", extra={"request_id": ctx.request_id, "account_id": account_id})
        return notice(
            "action", f"Sorry, something went wrong on my side (ref {ctx.request_id}). Please try again."
        )


def _tracked(session: Session, ctx: Context, account: db.Account) -> list[db.Opportunity]:
    """The account's open opportunities, tracking today's assessment first if none are yet."""
    opps = open_opportunities(session, account_id=account.account_id)
    if not opps:
        assessment, _ = assess_one(session, account.account_id, ctx.today)
        track(session, [assessment], ctx.today)
        session.flush()
        opps = open_opportunities(session, account_id=account.account_id)
    return opps


def _by(ctx: Context) -> str:
    return ctx.caller_email or "console"


def _proposed(session: Session, ctx: Context, account: db.Account) -> Reply:
    if not _tracked(session, ctx, account):
        return notice("proposed", f"{account.name} has no open opportunity to mark as proposed today.")
    opps = set_status(session, account.account_id, "proposed", _by(ctx))
    return Reply(
        command="proposed",
        title=f"Marked as proposed: {account.name}",
        sections=[Section(lines=tuple(f"• {o.offering_name or o.offering} → proposed" for o in opps))],
        buttons=[Button("Record outcome", "outcome", account.account_id)],
        data={"account": account_json_row(account), "status": "proposed", "opportunities": _ids(opps)},
    )


def _snooze(session: Session, ctx: Context, account: db.Account) -> Reply:
    if not _tracked(session, ctx, account):
        return notice("snooze", f"{account.name} is not in the digest today: nothing to snooze.")
    until = snooze(session, account.account_id, ctx.today, _by(ctx), days=SNOOZE_DAYS)
    return Reply(
        command="snooze",
        title=f"Snoozed {account.name} until {until.isoformat()}",
        sections=[Section(lines=("It stays out of the digest until then; nothing else changes.",))],
        data={"account": account_json_row(account), "snoozed_until": until.isoformat()},
    )


def _not_relevant(session: Session, ctx: Context, account: db.Account) -> Reply:
    if not open_opportunities(session, account_id=account.account_id):
        return notice("not_relevant", f"{account.name} has no open opportunity to dismiss.")
    signals = not_relevant(session, account.account_id, _by(ctx))
    shown = ", ".join(sorted(set(signals))) or "its signals"
    return Reply(
        command="not_relevant",
        title=f"Noted: not relevant for {account.name}",
        sections=[Section(lines=(f"Feedback stored on {shown}; its open opportunities are closed.",))],
        data={"account": account_json_row(account), "signals": signals},
    )


def _outcome_choice(session: Session, ctx: Context, account: db.Account) -> Reply:
    acc = account.account_id
    return Reply(
        command="outcome",
        title=f"How did it go with {account.name}?",
        buttons=[
            Button(
                OUTCOME_LABELS[o],
                "outcome",
                f"{acc}|{o}",
                command=f"outcome {acc} {o}",
                style="primary" if o == "won" else "",
            )
            for o in OUTCOMES
        ],
        data={"account": account_json_row(account)},
    )


def account_json_row(account: db.Account) -> dict[str, str]:
    return {"id": account.account_id, "name": account.name, "country": account.country}


def _ids(opps: list[db.Opportunity]) -> list[dict[str, object]]:
    return [{"id": o.id, "offering": o.offering, "status": o.status} for o in opps]


WORKFLOWS = {"proposed": _proposed, "snooze": _snooze, "not_relevant": _not_relevant}
