"""`draft ACCOUNT [email|whatsapp|slack] [language]`: a proposal, or a check-in when timing says not now."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import AfterCommit, Context
from handlers.present import account_buttons
from handlers.reply import Reply, Section
from handlers.writing import contract, footer, writer_facts
from playbooks.timing import MOMENT_WORDS
from prompts.facts import LANGUAGE_NAMES, Facts
from prompts.schema import Written


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> AfterCommit:
    assert account_id
    channel = command.channel or ("whatsapp" if ctx.channel == "whatsapp" else "email")
    facts = writer_facts(command, ctx, session, account_id, channel)
    return AfterCommit(lambda: render(facts, ctx.writer.draft(facts)))  # the model is called after commit


def render(facts: Facts, written: Written[Any]) -> Reply:
    acct, a = facts.account, facts.assessment
    sections = []
    if facts.mode == "check_in":
        lines = tuple(f"• {r}" for r in facts.why_check_in)
        lines += tuple(f"First: {x}" for x in (a.timing.first or a.readiness.first))
        sections.append(Section("Check-in, not a proposal", lines=lines))
    else:
        best = facts.best
        assert best is not None
        moment = MOMENT_WORDS.get(facts.moment)
        lines = (f"When: {a.approach.when}", *(f"Moment: {m}" for m in [moment] if m))
        lines += tuple(f"• {s.evidence}" for s in best.signals[:3])
        sections.append(Section("Why now", lines=lines))
    to = f"{facts.contact.name} ({facts.contact.role})" if facts.contact else "the main contact"
    sections.append(
        Section(
            fields=(
                ("To", to),
                ("Channel", facts.channel),
                ("Language", LANGUAGE_NAMES.get(facts.language, facts.language)),
            )
        )
    )
    draft = written.output
    kind = "Check-in" if facts.mode == "check_in" else "Draft"
    language = LANGUAGE_NAMES.get(facts.language, facts.language)
    return Reply(
        command="draft",
        title=f"{kind} for {acct.name} — {facts.channel}, {language}",
        sections=sections,
        buttons=account_buttons(
            acct.account_id, draft_language=facts.language, proposed=facts.mode == "proposal"
        ),
        context=footer(facts, written),
        forward=draft.body,
        subject=draft.subject if facts.channel == "email" else "",
        data=contract(facts, written)
        | {
            "draft": {
                "channel": facts.channel,
                "kind": facts.mode,
                "subject": draft.subject,
                "body": draft.body,
            }
        },
    )
