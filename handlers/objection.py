"""`objection ACCOUNT budget|happy|think`: an answer grounded in the account's own value evidence."""

from __future__ import annotations

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import AfterCommit, Context
from handlers.present import account_buttons
from handlers.reply import Reply, Section
from handlers.writing import contract, footer, writer_facts
from prompts.facts import Facts
from prompts.schema import ObjectionAnswer, Written

TITLES = {
    "budget": "“We don't have budget”",
    "happy": "“We're happy with the current plan”",
    "think": "“Let me think about it”",
}


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> AfterCommit:
    assert account_id
    kind = command.objection if command.objection in TITLES else "think"
    channel = "whatsapp" if ctx.channel == "whatsapp" else "chat"
    facts = writer_facts(command, ctx, session, account_id, channel)
    return AfterCommit(lambda: render(facts, kind, ctx.writer.objection(facts, kind)))  # after commit


def render(facts: Facts, kind: str, written: Written[ObjectionAnswer]) -> Reply:
    acct, a = facts.account, facts.assessment
    ans = written.output
    sections = []
    if not a.timing.ok:
        sections.append(
            Section(
                "Timing says not now: answer, don't push", lines=tuple(f"• {r}" for r in a.timing.reasons)
            )
        )
    sections += [
        Section("Acknowledge", lines=(ans.acknowledge,)),
        Section("Diagnose", lines=tuple(f"• {q}" for q in ans.diagnose)),
        Section("Their own value", lines=tuple(f"• {e}" for e in ans.evidence) or ("• (no evidence yet)",)),
        Section("Options", lines=tuple(f"• {o}" for o in ans.options)),
        Section("Next step", lines=(ans.next_step,)),
    ]
    return Reply(
        command="objection",
        title=f"Answering {TITLES[kind]} — {acct.name}",
        sections=sections,
        buttons=account_buttons(
            acct.account_id, draft_language=facts.language, proposed=facts.mode == "proposal"
        ),
        context=footer(facts, written),
        forward=ans.message,
        data=contract(facts, written) | {"objection": kind, "answer": ans.model_dump()},
    )
