"""`pipeline`: opportunities by status and type, conversion, expansion revenue, NRR."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import func, select
from sqlmodel import Session

from handlers.commands import Command
from handlers.context import Context
from handlers.reply import Reply, Section
from playbooks.pipeline import OppRecord, metrics
from storage import models as db


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply:
    """Values are summed per currency; ratios use the main currency's accounts only."""
    accounts = {a.account_id: a for a in session.scalars(select(db.Account))}
    currency = (
        session.scalar(
            select(db.Account.currency).group_by(db.Account.currency).order_by(func.count().desc()).limit(1)
        )
        or ""
    )
    opps = [
        OppRecord(
            o.account_id,
            o.type,
            o.status,
            accounts[o.account_id].country,
            o.est_value,
            o.created_on,
            o.closed_on,
        )
        for o in session.scalars(select(db.Opportunity))
        if o.account_id in accounts and o.currency == currency
    ]
    not_relevant: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(db.SignalFeedback.signal, func.count()).group_by(db.SignalFeedback.signal)
        ).all()
    )
    arr = sum(a.arr for a in accounts.values() if a.currency == currency)
    m = metrics(opps, arr, {a.account_id: a.start_date for a in accounts.values()})
    return Reply(
        command="pipeline",
        title=f"Expansion pipeline ({currency})",
        sections=[
            Section(
                "Opportunities",
                fields=tuple((k, str(v)) for k, v in sorted(m.by_status.items())) or (("open", "0"),),
            ),
            Section("Open by type", fields=tuple((k, str(v)) for k, v in sorted(m.by_type.items()))),
            Section(
                "Conversion",
                lines=tuple(f"by type: {k} {_pct(v)}" for k, v in m.conversion_by_type.items())
                + tuple(f"by country: {k} {_pct(v)}" for k, v in m.conversion_by_country.items())
                or ("no closed opportunities yet",),
            ),
            Section(
                "Revenue",
                fields=(
                    ("Open pipeline", f"{m.open_value:,.0f} {currency}"),
                    ("Expansion revenue", f"{m.expansion_revenue:,.0f} {currency}"),
                    ("Share of ARR", _pct(m.expansion_share)),
                    ("Net revenue retention", _pct(m.nrr)),
                    ("Avg days to close", str(m.avg_days_to_close or "—")),
                    ("Time to first upgrade", f"{m.time_to_first_upgrade_days or '—'} days"),
                ),
            ),
            Section(
                "Signals marked not relevant",
                lines=tuple(f"{name}: {n}" for name, n in sorted(not_relevant.items(), key=lambda x: -x[1]))
                or ("none so far",),
            ),
        ],
        private=False,
        data={"currency": currency, "metrics": asdict(m), "not_relevant_by_signal": not_relevant},
    )
