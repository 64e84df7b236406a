"""`prep ACCOUNT`: a one-page call-prep brief; a value and health call when the timing says not now."""

from __future__ import annotations

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import AfterCommit, Context
from handlers.present import account_buttons, recommendation, trial_section
from handlers.reply import Reply, Section
from handlers.writing import contract, footer, writer_facts
from prompts.facts import Facts
from prompts.schema import Brief, Written


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> AfterCommit:
    assert account_id
    facts = writer_facts(command, ctx, session, account_id)
    return AfterCommit(lambda: render(facts, ctx.writer.brief(facts)))  # the model is called after commit


def render(facts: Facts, written: Written[Brief]) -> Reply:
    acct, a = facts.account, facts.assessment
    b = written.output
    sections = []
    if not a.timing.ok:  # the brief leads with why not, and what must happen first
        lines = tuple(f"• {r}" for r in a.timing.reasons) + tuple(f"First: {x}" for x in a.timing.first)
        if a.timing.revisit_on:
            lines += (f"Revisit on {a.timing.revisit_on.isoformat()}.",)
        sections.append(Section("Not now: prepare a value and health call, not a pitch", lines=lines))
    if a.timing.trials:  # a maybe: the call is the trial's follow-up
        sections.append(trial_section(a))
    if a.best:
        sections.append(recommendation(acct, a.best))
    sections += [
        Section("Purpose", lines=(b.summary,)),
        Section("Pre-call research", lines=_bullets(b.research)),
        Section("Call objectives", lines=_bullets(b.objectives)),
        Section("Discovery questions", lines=tuple(f"{i}. {q}" for i, q in enumerate(b.questions, 1))),
        Section("Value talking points", lines=_bullets(b.value_points)),
        Section("Likely objections", lines=tuple(f"• {o.objection} {o.answer}" for o in b.objections)),
        Section("Cultural notes", lines=_bullets(b.cultural_notes)),
        Section("Success criteria", lines=_bullets(b.success_criteria)),
    ]
    return Reply(
        command="prep",
        title=f"Call prep — {acct.name} ({acct.country}, {acct.plan}, health {acct.health_score})",
        sections=sections,
        buttons=account_buttons(
            acct.account_id, draft_language=facts.language, proposed=facts.mode == "proposal"
        ),
        context=footer(facts, written),
        data=contract(facts, written) | {"brief": b.model_dump()},
    )


def _bullets(lines: list[str]) -> tuple[str, ...]:
    return tuple(f"• {x}" for x in lines)
