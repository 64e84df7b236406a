"""`pipeline`: status, conversion (by type, country, industry, segment, CSM) against the catalog's
targets, money per currency (and in one reporting currency when the team keeps rates), NRR, the
12-month trend, CS commission and what outcomes taught the engine. Slack also gets a chart."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.chart import Row, png
from handlers.commands import Command
from handlers.context import AfterCommit, Context
from handlers.present import TYPE_WORDS
from handlers.reply import File, Reply, Section
from playbooks.learning import Learned
from playbooks.model import Catalog, Money
from playbooks.money import format_money
from playbooks.pipeline import CurrencyFigures, Metrics, Rate, metrics
from storage import models as db
from storage.conversation import feedback_counts
from storage.db import session_scope
from storage.repository import load_catalog
from storage.tracking import account_rows, arr_changes, learned, not_relevant_counts, pipeline_rows

SHOWN_LEARNED = 6


def compute(session: Session, today: date) -> tuple[Metrics, Catalog | None, Learned, dict[str, int]]:
    """The pipeline's figures from the database, in one read."""
    catalog = load_catalog(session)
    owners = {c.email: c.name for c in session.exec(select(db.Csm))}
    opps, accounts, changes = pipeline_rows(session), account_rows(session), arr_changes(session)
    m = metrics(
        opps,
        accounts,
        changes,
        today,
        targets=_targets(catalog),
        owners=owners,
        reporting=catalog.reporting if catalog else None,
    )
    return m, catalog, learned(session), not_relevant_counts(session)


def _targets(catalog: Catalog | None) -> dict[str, tuple[str, float]]:
    if catalog is None:
        return {}
    offerings = (*catalog.plans, *catalog.add_ons, *catalog.products)
    return {o.code: (o.name, o.target_conversion) for o in offerings if o.target_conversion is not None}


def handle(command: Command, ctx: Context, session: Session, account_id: str | None) -> Reply | AfterCommit:
    m, catalog, taught, dismissed = compute(session, ctx.today)
    reply = render(m, catalog, taught, dismissed)
    votes = feedback_counts(session)  # helpful / not helpful on written answers (issue 10)
    reply.sections.append(Section(lines=(votes.line,)))
    reply.data["answer_feedback"] = {"helpful": votes.helpful, "not_helpful": votes.not_helpful}
    if ctx.channel != "slack" or not (rows := chart_rows(m, catalog)):
        return reply

    def with_chart() -> Reply:  # drawn once the session is closed: no transaction waits on matplotlib
        reply.files.append(File("pipeline.png", "Won expansion revenue", png(rows, reply.title)))
        return reply

    return AfterCommit(with_chart)


def write_chart(engine: Engine, today: date, path: Path) -> bool:
    """`expansion-bot pipeline --chart FILE.png`; False when there is nothing won to draw."""
    with session_scope(engine) as session:
        m, catalog, _, _ = compute(session, today)
    rows = chart_rows(m, catalog)
    if not rows:
        return False
    path.write_bytes(png(rows, "Expansion pipeline: won revenue"))
    return True


def render(m: Metrics, catalog: Catalog | None, taught: Learned, dismissed: dict[str, int]) -> Reply:
    reporting = catalog.reporting if catalog else None
    sections = [
        Section(
            "Opportunities",
            fields=tuple((k.replace("_", " "), str(v)) for k, v in m.by_status.items()) or (("open", "0"),),
        ),
        Section(
            "Open by type", fields=tuple((TYPE_WORDS.get(k, k), str(v)) for k, v in m.open_by_type.items())
        ),
        Section("Conversion (won of decided)", lines=_conversion(m) or ("no decided opportunities yet",)),
    ]
    if m.targets:
        sections.append(
            Section(
                "Targets (catalog) vs actual",
                lines=tuple(
                    f"{name}: {_rate(rate)} — target {_pct(target)}" for _, name, rate, target in m.targets
                ),
            )
        )
    for cur, figures in m.currencies.items():
        sections.append(Section(f"{cur} — last 12 months", fields=_money_fields(figures, cur, m.churn_known)))
    if reporting and m.reported:
        heading = f"All currencies in {reporting.currency} (team rates as of {reporting.as_of.isoformat()})"
        fields = _money_fields(m.reported, reporting.currency, m.churn_known)
        lines = (f"Left out, no rate: {', '.join(m.unconverted)}",) if m.unconverted else ()
        sections.append(Section(heading, fields=fields, lines=lines))
    sections += [
        Section("Won by month", lines=(_trend(m, reporting.currency if reporting and m.reported else ""),)),
        Section(
            "Time",
            fields=(
                ("Avg days to close", _number(m.avg_days_to_close)),
                ("Time to first upgrade", f"{_number(m.time_to_first_upgrade_days)} days"),
            ),
        ),
        Section("CS commission", lines=_commission(m)),
        Section("Learned from outcomes", lines=_learned(taught) or ("not enough decided opportunities yet",)),
        Section(
            "Signals marked not relevant",
            lines=tuple(
                f"{k.replace('_', ' ')}: {n}" for k, n in sorted(dismissed.items(), key=lambda x: -x[1])
            )
            or ("none so far",),
        ),
    ]
    return Reply(
        command="pipeline",
        title=f"Expansion pipeline — {_count(len(m.currencies), 'currency', 'currencies')}",
        sections=sections,
        private=False,
        data={
            "pipeline": _json(m),
            "learned": [asdict(c) | {"rate": round(c.rate, 3)} for c in taught.table()],
            "not_relevant_by_signal": dismissed,
        },
    )


def chart_rows(m: Metrics, catalog: Catalog | None) -> list[Row]:
    """One row in the reporting currency when every currency converts, else one per currency."""
    reporting = catalog.reporting if catalog else None
    if reporting and m.reported and not m.unconverted:
        figures = {reporting.currency: m.reported}
    else:
        figures = {c: f for c, f in m.currencies.items() if f.won_value}
    return [
        Row(
            cur,
            tuple((month, f.by_month.get(month, 0.0)) for month in m.months),
            tuple((TYPE_WORDS.get(t, t), v) for t, v in sorted(f.by_type.items())),
            format_money(Money(f.won_value, cur), compact=True),
        )
        for cur, f in figures.items()
    ]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def _rate(r: Rate) -> str:
    return f"{_pct(r.share)} ({r.won} of {r.decided})" if r.decided else "none decided yet"


def _number(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def _conversion(m: Metrics) -> tuple[str, ...]:
    words = {
        "type": "type",
        "country": "country",
        "industry": "industry",
        "segment": "segment (ARR)",
        "csm": "CSM",
    }
    return tuple(
        f"by {words[dim]}: " + "; ".join(f"{TYPE_WORDS.get(k, k)} {_rate(r)}" for k, r in rates.items())
        for dim, rates in m.conversion.items()
        if rates
    )


def _money_fields(f: CurrencyFigures, cur: str, churn_known: bool) -> tuple[tuple[str, str], ...]:
    def money(x: float) -> str:
        return format_money(Money(x, cur))

    by_type = ", ".join(f"{TYPE_WORDS.get(t, t)} {money(v)}" for t, v in sorted(f.by_type.items())) or "—"
    if f.nrr is None:
        nrr = "— (no account was a customer 12 months ago)"
    elif churn_known:
        p = f.nrr_parts
        nrr = (
            f"{_pct(f.nrr)} (expansion {money(p.get('expansion', 0))}, contraction "
            f"{money(p.get('contraction', 0))}, churn {money(p.get('churn', 0))})"
        )
    else:
        nrr = f"{_pct(f.nrr)} — expansion only: no churn or contraction is recorded"
    return (
        ("Open pipeline", money(f.open_value)),
        ("Expansion revenue", f"{money(f.won_value)} ({f.won_count} won)"),
        ("By type", by_type),
        ("Average deal", money(f.average_deal) if f.average_deal is not None else "—"),
        ("Net revenue retention", nrr),
    )


def _trend(m: Metrics, currency: str) -> str:
    """Twelve months on one line: the count won, and the revenue when one currency can say it."""
    parts = []
    for month in m.months:
        amount = m.reported.by_month.get(month, 0.0) if currency and m.reported else 0.0
        money = f" {format_money(Money(amount, currency), compact=True)}" if currency and amount else ""
        parts.append(f"{month[2:]}: {m.won_by_month[month]}{money}")
    return " · ".join(parts)


def _commission(m: Metrics) -> tuple[str, ...]:
    """This month's figures for every CSM with revenue, and every month a commission was earned."""
    lines = []
    for c in m.commission:
        if c.month == m.months[-1] or c.amount:
            amount, revenue, threshold = (
                format_money(Money(x, c.currency)) for x in (c.amount, c.revenue, c.threshold)
            )
            lines.append(f"{c.month} {c.name}: {amount} (revenue {revenue}, threshold {threshold})")
    return tuple(lines) or ("no commission earned in the last 12 months",)


def _learned(taught: Learned) -> tuple[str, ...]:
    table = sorted(taught.table(), key=lambda c: (-c.closed, c.signal))[:SHOWN_LEARNED]
    return tuple(
        f"{c.signal.replace('_', ' ')} signals converted {c.won} of {c.closed} in {c.country} "
        f"({TYPE_WORDS.get(c.type, c.type)})"
        for c in table
    )


def _json(m: Metrics) -> dict[str, Any]:
    return {
        "since": m.since.isoformat(),
        "by_status": m.by_status,
        "open_by_type": m.open_by_type,
        "conversion": {dim: {k: asdict(r) for k, r in rates.items()} for dim, rates in m.conversion.items()},
        "targets": [
            {"offering": code, "name": name, "won": r.won, "decided": r.decided, "target": t}
            for code, name, r, t in m.targets
        ],
        "currencies": {cur: _figures_json(f) for cur, f in m.currencies.items()},
        "reported": _figures_json(m.reported) if m.reported else None,
        "unconverted": list(m.unconverted),
        "won_by_month": m.won_by_month,
        "avg_days_to_close": m.avg_days_to_close,
        "time_to_first_upgrade_days": m.time_to_first_upgrade_days,
        "churn_known": m.churn_known,
        "commission": [asdict(c) for c in m.commission],
    }


def _figures_json(f: CurrencyFigures) -> dict[str, Any]:
    return asdict(f) | {"average_deal": f.average_deal}
