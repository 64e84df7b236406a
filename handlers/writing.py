"""What the written replies (prep, draft, objection) share: the facts a writer gets, their JSON contract
and their footer, so the three commands load and label a writer's work the same way."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from handlers.assessing import assess_one, catalog_or_fail
from handlers.commands import Command
from handlers.context import Context
from handlers.present import assessment_json
from prompts.facts import Facts, pick_language
from prompts.schema import Written
from storage.repository import account_names, csm_by


def writer_facts(
    command: Command, ctx: Context, session: Session, account_id: str, channel: str = ""
) -> Facts:
    """Everything a writer needs, loaded once: the engine's answer, the data, the catalog, who signs."""
    a, data = assess_one(session, account_id, ctx.today)
    csm = (csm_by(session, email=ctx.caller_email) if ctx.caller_email else None) or csm_by(
        session, email=a.account.csm_email
    )
    return Facts(
        assessment=a,
        data=data,
        catalog=catalog_or_fail(session),
        language=pick_language(command.language, a.account.language, a.account.country),
        channel=channel,
        sender=csm.name if csm else "",
        sender_gender=(csm.gender or "") if csm else "",
        other_accounts=tuple(name for i, name in account_names(session) if i != account_id),
    )


def contract(facts: Facts, written: Written[Any]) -> dict[str, Any]:
    """The JSON contract's fields shared by prep, draft and objection."""
    return assessment_json(facts.assessment) | {"language": facts.language} | written.contract()


def footer(facts: Facts, written: Written[Any]) -> str:
    why = f" — {written.reason}" if written.reason else ""
    day = facts.assessment.today.isoformat()
    return f"{facts.account.account_id} · writer: {written.writer}{why} · as of {day}"
