"""The demo's twelve months of decided opportunities (history.yaml): deterministic, dated relative to
the day it is loaded, and replaced as a whole on every load so reloading stays idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete
from sqlmodel import Session

from playbooks import config
from playbooks.catalog import parse_catalog, price_in
from playbooks.model import Catalog
from playbooks.opportunities import YEAR_FACTOR
from playbooks.outcomes import qualification_due
from storage import models as db

HERE = Path(__file__).parent
SEATS_PER_DEAL = 5
RECORDED_BY = "demo"


def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "history.yaml").read_text("utf-8"))
    return data


def account_ids() -> list[str]:
    return [a["id"] for accounts in spec()["accounts"].values() for a in accounts]


@dataclass(frozen=True)
class Deal:
    account_id: str
    offering: str
    signals: tuple[str, ...]
    won: bool
    created_on: date
    closed_on: date
    owner: str


def deals(today: date) -> list[Deal]:
    """Every deal of the history: spread over the last twelve months, wins spread among the decided."""
    s = spec()
    out = []
    for t, (country, templates) in enumerate(s["deals"].items()):
        accounts = s["accounts"][country]
        csms = s["teams"][country]["csms"]
        for j, d in enumerate(templates):
            n = d["decided"]
            for k in range(n):
                created = today - timedelta(days=350 - k * 320 // n - (t * 3 + j * 5) % 20)
                closed = min(
                    created + timedelta(days=12 + (k * 9 + t * 5 + j * 7) % 35), today - timedelta(days=2)
                )
                won = (k + 1) * d["won"] // n > k * d["won"] // n  # the wins spread evenly
                account = accounts[k % len(accounts)]
                out.append(
                    Deal(
                        account["id"],
                        d["offering"],
                        tuple(d["signals"]),
                        won,
                        created,
                        closed,
                        csms[k % len(csms)],
                    )
                )
    return out


def load_history(session: Session, today: date, catalog_doc: dict[str, Any]) -> int:
    """Replace the history's accounts, opportunities, outcomes and ARR changes; the number of deals."""
    ids = account_ids()
    for table in (db.ArrChange, db.Outcome, db.SignalFeedback, db.Opportunity, db.Account):
        session.execute(delete(table).where(table.account_id.in_(ids)))  # type: ignore[attr-defined]
    session.flush()
    catalog = parse_catalog(catalog_doc)
    s = spec()
    history = deals(today)
    upgraded = {d.account_id for d in history if d.won and catalog.plan(d.offering) is not None}
    accounts: dict[str, db.Account] = {}
    for country, items in s["accounts"].items():
        team = s["teams"][country]
        for i, a in enumerate(items):
            row = db.Account(
                account_id=a["id"],
                name=a["name"],
                country=country,
                industry=a["industry"],
                plan="tier2" if a["id"] in upgraded else "tier1",
                currency=config.country(country)["currency"],
                arr=float(a["arr"]),
                start_date=today - timedelta(days=420 + 37 * i),
                health_score=78,
                csm_email=team["csms"][i % len(team["csms"])],
                team=team["team"],
                churned_on=today - timedelta(days=a["churned"]) if a.get("churned") else None,
            )
            session.add(row)
            accounts[row.account_id] = row
    session.flush()
    reasons = s["loss_reasons"]
    arr_after = {a: row.arr for a, row in accounts.items()}
    for i, d in enumerate(sorted(history, key=lambda d: d.closed_on, reverse=True)):
        account = accounts[d.account_id]
        value, name, type_ = _value(catalog, d.offering, account)
        opp = db.Opportunity(
            account_id=d.account_id,
            type=type_,
            offering=d.offering,
            offering_name=name,
            status="closed_won" if d.won else "closed_lost",
            owner_email=d.owner,
            est_value=value,
            currency=account.currency,
            signal_strength=7,
            score=7.0,
            priority="medium",
            timing="demo history",
            signals=list(d.signals),
            seats_to_add=SEATS_PER_DEAL if d.offering == "seats" else 0,
            created_on=d.created_on,
            closed_on=d.closed_on,
            qualification_due=qualification_due("medium", d.created_on),
            closed_reason="" if d.won else reasons[i % len(reasons)],
        )
        session.add(opp)
        session.flush()
        session.add(
            db.Outcome(
                account_id=d.account_id,
                opportunity_id=opp.id,
                offering=d.offering,
                outcome="won" if d.won else ("no" if i % 3 else "lost"),
                reason=opp.closed_reason,
                recorded_on=d.closed_on,
                recorded_by=RECORDED_BY,
            )
        )
        if d.won:  # newest first: each win's ARR before is the next older win's ARR after
            after = arr_after[d.account_id]
            arr_after[d.account_id] = after - value
            session.add(
                db.ArrChange(
                    account_id=d.account_id,
                    changed_on=d.closed_on,
                    arr_before=after - value,
                    arr_after=after,
                    reason="expansion",
                    opportunity_id=opp.id,
                )
            )
    for c in s["contractions"]:  # the ARR now is what is left after the contraction
        account = accounts[c["account"]]
        session.add(
            db.ArrChange(
                account_id=account.account_id,
                changed_on=today - timedelta(days=c["ago"]),
                arr_before=account.arr + c["lost"],
                arr_after=account.arr,
                reason="contraction",
            )
        )
    for account in accounts.values():
        if account.churned_on:
            session.add(
                db.ArrChange(
                    account_id=account.account_id,
                    changed_on=account.churned_on,
                    arr_before=account.arr,
                    arr_after=0.0,
                    reason="churn",
                )
            )
    return len(history)


def _value(catalog: Catalog, code: str, account: db.Account) -> tuple[float, str, str]:
    """(first-year value, offering name, opportunity type) as the engine would have estimated it."""
    if code == "seats":
        plan = catalog.plan("tier1")
        assert plan is not None
        unit = price_in(catalog, plan, account.currency, seat=True).amount
        return unit * SEATS_PER_DEAL, f"{SEATS_PER_DEAL} more seats", "seats"
    offering = catalog.offering(code)
    assert offering is not None
    price = price_in(catalog, offering, account.currency).amount
    if offering.kind == "plan":
        base = catalog.plan("tier1")
        assert base is not None
        return price - price_in(catalog, base, account.currency).amount, offering.name, "upsell"
    type_ = "add_on" if offering.kind == "add_on" else "cross_sell"
    return price * YEAR_FACTOR[offering.period], offering.name, type_
