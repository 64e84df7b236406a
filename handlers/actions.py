"""Button actions for every channel: each button stands for a chat command and runs through dispatch,
so a click and the typed command are the same code (checks, account, handler)."""

from __future__ import annotations

from handlers.commands import Command
from handlers.context import Context
from handlers.dispatch import handle, handle_text
from handlers.reply import Reply, notice
from handlers.workflow import COMMANDS as WORKFLOW_COMMANDS
from playbooks.model import LANGUAGES as DRAFT_LANGUAGES
from playbooks.model import OUTCOMES

COMMAND_ACTIONS = {"prep", "expansion", "draft", "objection", "outcome", "pick", "share"}
WORKFLOW_ACTIONS = {"qualify", "proposed", "snooze", "not_relevant"}
ACTIONS = COMMAND_ACTIONS | WORKFLOW_ACTIONS
PICKABLE = {"prep", "expansion", "draft", "objection", "outcome", *WORKFLOW_COMMANDS}
CHOICE_ACTIONS = {"outcome", "qualify", "proposed"}  # a click that answers a question replaces it
CHANNELS = {"", "email", "whatsapp", "slack"}
LANGUAGES = {"", *DRAFT_LANGUAGES}  # "" keeps the account's own
OBJECTIONS = {"budget", "happy", "think"}


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
        if action == "outcome" and (len(parts) < 2 or not parts[1]):
            return _outcome_choice(ctx, parts[0], _part(parts, 3))
        return handle(command_for(action, parts), ctx)
    except BadAction:
        return notice(action, "That button is out of date. Run the command again for fresh buttons.")


def command_for(action: str, parts: list[str]) -> Command:
    """The chat command a button stands for; the parts are its value split on `|`."""
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
    if action in {"qualify", "proposed"}:
        name = "qualify" if action == "qualify" else "propose"
        return Command(name, account=account, options=_option("offer", _code(parts[1])))
    if action == "snooze":
        days = parts[1]
        if days and not (days.isdigit() and 1 <= int(days) <= 365):
            raise BadAction(days)
        return Command("snooze", account=account, options=_option("days", days))
    if action == "not_relevant":
        return Command("not_relevant", account=account, options=_option("signal", _code(parts[1])))
    return Command(
        "outcome",
        account=account,
        outcome=_one_of(parts[1], set(OUTCOMES)),
        reason=parts[2],
        options=_option("offer", _code(parts[3])),
    )


def as_text(action: str, value: str) -> str:
    """The chat command a button stands for: shown, shared, retyped ("" for a chooser)."""
    try:
        if action == "pick":
            return _pick_text(value)
        parts = [p.strip() for p in value.split("|")]
        if action not in ACTIONS - {"share"} or not parts[0] or (action == "outcome" and len(parts) < 2):
            return ""
        c = command_for(action, parts)
    except BadAction:
        return ""
    if c.name == "objection":  # the parser reads the objection phrase last
        words = [c.name, c.account, c.language, c.objection]
    elif c.name == "outcome":  # the offer right after the outcome word, the reason after it
        words = [c.name, c.account, c.outcome, c.options.get("offer", ""), c.reason]
    elif c.name == "not_relevant":
        words = ["not relevant", c.account, c.options.get("signal", "").replace("_", " ")]
    elif c.name in {"qualify", "propose", "snooze"}:
        return ""  # their offer is a code here, a number when typed: the chooser shows the typed form
    else:
        words = [c.name, c.account, c.channel, c.language]
    return " ".join(w for w in words if w)


def _one_of(value: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise BadAction(value)
    return value


def _code(value: str) -> str:
    if value and not value.replace("_", "").isalnum():
        raise BadAction(value)
    return value


def _option(key: str, value: str) -> dict[str, str]:
    return {key: value} if value else {}


def _part(parts: list[str], i: int) -> str:
    return _code(parts[i]) if len(parts) > i else ""


def _pick_text(value: str) -> str:
    """A suggestion's value `ACC|command|rest` back into the command the user meant to type."""
    account, _, rest = value.partition("|")
    command, _, args = rest.partition("|")
    if not account.strip() or command not in PICKABLE:
        raise BadAction(value)
    return f"{command} {account.strip()} {args}".strip()


def _share(command_text: str, ctx: Context) -> Reply:
    """The same answer again, meant for everyone in the conversation."""
    if not command_text.strip():
        raise BadAction(command_text)
    reply = handle_text(command_text, ctx)
    reply.private = False
    return reply


def _outcome_choice(ctx: Context, account: str, offer: str) -> Reply:
    """The outcome handler without an outcome answers with the four outcomes to choose from."""
    return handle(Command("outcome", account=account, options=_option("offer", offer)), ctx)
