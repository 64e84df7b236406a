"""`help`: the command language, in English and Bahasa."""

from __future__ import annotations

from sqlmodel import Session

from handlers.commands import Command
from handlers.context import Context
from handlers.reply import Reply, Section

LINES = (
    "prep ACCOUNT — a one-page call-prep brief (siapkan ACCOUNT)",
    "expansion ACCOUNT — signals, scores, readiness and what to propose (ekspansi ACCOUNT)",
    "expansion mine — your accounts, best first",
    "draft ACCOUNT [email|whatsapp|slack] [en|id|ms|th|vi|fil] — a proposal or check-in (draf ACCOUNT)",
    "objection ACCOUNT budget|happy|think — answer a classic objection (keberatan ACCOUNT tidak ada budget)",
    "outcome ACCOUNT won|lost|no|maybe [OFFER] [reason] — record how one offer went (hasil ACCOUNT …)",
    "qualify ACCOUNT / propose ACCOUNT [N] — move an offer forward; N picks one of several",
    "snooze ACCOUNT [days] — out of the digest for 30 days, or the days given (tunda ACCOUNT)",
    "not relevant ACCOUNT [signal] — this signal does not fit the account (tidak relevan ACCOUNT)",
    "pipeline — conversion against targets, revenue per currency, NRR, trend, commission",
    "digest — today's expansion-ready accounts for your team",
)


def handle(command: Command, ctx: Context, session: Session | None, account_id: str | None) -> Reply:
    return Reply(
        command="help",
        title="Expansion Bot — what I can do",
        sections=[Section(lines=LINES), Section(lines=("ACCOUNT can be an id, a name, or part of one.",))],
    )
