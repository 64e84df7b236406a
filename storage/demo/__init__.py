"""The demo portfolio: written as the CSV files of the import contract, dated relative to the day it is
loaded, and imported through the same importer users run."""

from __future__ import annotations

import csv
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from sqlalchemy import Engine, delete, select
from sqlmodel import col

from storage import models as db
from storage.db import session_scope
from storage.demo.history import load_history
from storage.importer import ImportSummary, import_paths
from storage.usage_summary import refresh as refresh_summaries

HERE = Path(__file__).parent
# What using the bot records: `demo --reset` forgets all of it (the imported portfolio is reloaded).
RECORDED = (
    db.Opportunity,
    db.Outcome,
    db.ArrChange,
    db.SignalFeedback,
    db.Activity,
    db.ChatMemory,
    db.DigestDelivery,
)
DEMO_TEAM = "jakarta"
SEEDED_BY = "demo"
COLUMNS = {
    "teams": ["team", "slack_channel", "timezone", "digest_time", "country"],
    "csms": ["email", "name", "team", "slack_user_id", "whatsapp", "timezone", "gender", "role"],
    "accounts": [
        "account_id",
        "name",
        "country",
        "industry",
        "plan",
        "currency",
        "arr",
        "seats_purchased",
        "start_date",
        "renewal_date",
        "health_score",
        "csm_email",
        "team",
        "locations",
        "tools",
        "language",
    ],
    "usage": [
        "account_id",
        "date",
        "active_users",
        "power_users",
        "logins",
        "actions",
        "feature_adoption",
        "revenue",
    ],
    "tickets": ["account_id", "date", "kind", "subject", "body", "requested_feature"],
    "goals": ["account_id", "goal", "status", "achieved_on"],
    "contacts": [
        "account_id",
        "name",
        "role",
        "is_champion",
        "is_decision_maker",
        "since",
        "left_on",
        "salutation",
        "gender",
    ],
}


def portfolio() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "portfolio.yaml").read_text("utf-8"))
    return data


def rows(today: date) -> dict[str, list[dict[str, Any]]]:
    """The demo as CSV rows per file, with every relative day turned into a date."""

    def ago(days: int | None) -> str:
        return "" if days is None else (today - timedelta(days=days)).isoformat()

    spec = portfolio()
    out: dict[str, list[dict[str, Any]]] = {"teams": spec["teams"], "csms": spec["csms"]}
    for name in ("accounts", "usage", "tickets", "goals", "contacts"):
        out[name] = []
    for a in spec["accounts"]:
        out["accounts"].append(
            {
                "account_id": a["id"],
                "name": a["name"],
                "country": a["country"],
                "industry": a["industry"],
                "plan": a["plan"],
                "currency": "",
                "arr": a["arr"],
                "seats_purchased": a["seats"],
                "start_date": ago(a["start"]),
                "renewal_date": (today + timedelta(days=a["renewal"])).isoformat(),
                "health_score": a["health"],
                "csm_email": a["csm"],
                "team": a["team"],
                "locations": a["locations"],
                "tools": ";".join(a["tools"]),
                "language": a["language"],
            }
        )
        n = len(a["users"])
        revenue = a.get("revenue") or [""] * n  # the customer's own sales, where the demo shows them
        for i, (users, actions) in enumerate(zip(a["users"], a["actions"], strict=True)):
            back = n - 1 - i
            out["usage"].append(
                {
                    "account_id": a["id"],
                    "date": ago(2 + 30 * back),
                    "active_users": users,
                    "power_users": min(a["power"], users),
                    "logins": users * 12 + a["power"] * 10,
                    "actions": actions,
                    "feature_adoption": round(max(a["adoption"] - 0.02 * back, 0), 2),
                    "revenue": revenue[i],
                }
            )
        for t in a["tickets"]:
            out["tickets"].append(
                {
                    "account_id": a["id"],
                    "date": ago(t["ago"]),
                    "kind": t["kind"],
                    "subject": t["subject"],
                    "body": t.get("body", ""),
                    "requested_feature": t.get("feature", ""),
                }
            )
        for g in a["goals"]:
            out["goals"].append(
                {
                    "account_id": a["id"],
                    "goal": g["goal"],
                    "status": g["status"],
                    "achieved_on": ago(g.get("ago")),
                }
            )
        for c in a["contacts"]:
            out["contacts"].append(
                {
                    "account_id": a["id"],
                    "name": c["name"],
                    "role": c["role"],
                    "is_champion": str(c.get("champion", False)).lower(),
                    "is_decision_maker": str(c.get("decision_maker", False)).lower(),
                    "since": ago(c.get("since")),
                    "left_on": ago(c.get("left")),
                    "salutation": c.get("salutation", ""),
                    "gender": c.get("gender", ""),
                }
            )
    return out


def write_csvs(today: date, folder: Path) -> None:
    """The demo as the import contract's files: also a worked example of the formats."""
    for name, items in rows(today).items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS[name])
            writer.writeheader()
            writer.writerows(items)
    shutil.copy(HERE / "catalog.yaml", folder / "catalog.yaml")


def load_demo(
    engine: Engine, today: date, progress: Console | None = None, *, reset: bool = False, history: bool = True
) -> ImportSummary:
    """Import the demo as of `today`, then drop the demo's rows from other days and re-seed its outcomes
    and its twelve months of history, so loading it again (even on another day) leaves one consistent
    portfolio. `reset` first forgets everything recorded since: opportunities, outcomes, feedback."""
    if reset:
        with session_scope(engine) as session:
            for table in RECORDED:
                session.execute(delete(table))
    with tempfile.TemporaryDirectory(prefix="expansion-demo-") as tmp:
        write_csvs(today, Path(tmp))
        summary = import_paths(engine, [Path(tmp)], console=progress)
    for result in summary.files:  # the temporary folder means nothing to the user
        result.name = Path(result.name).name
    spec = portfolio()
    ids = [a["id"] for a in spec["accounts"]]
    fresh = rows(today)
    with session_scope(engine) as session:
        _prune(
            session,
            db.Usage,
            ids,
            {(r["account_id"], r["date"]) for r in fresh["usage"]},
            lambda r: (r.account_id, r.date.isoformat()),
        )
        _prune(
            session,
            db.Ticket,
            ids,
            {(r["account_id"], r["date"], r["subject"]) for r in fresh["tickets"]},
            lambda r: (r.account_id, r.date.isoformat(), r.subject),
        )
        session.flush()
        refresh_summaries(session, ids)  # the pruned snapshots must leave the summaries too
        session.execute(delete(db.Outcome).where(col(db.Outcome.recorded_by) == SEEDED_BY))
        for a in spec["accounts"]:
            for o in a.get("outcomes", ()):
                session.add(
                    db.Outcome(
                        account_id=a["id"],
                        outcome=o["outcome"],
                        reason=o["reason"],
                        offering=o.get("offering", ""),
                        recorded_by=SEEDED_BY,
                        recorded_on=today - timedelta(days=o["ago"]),
                    )
                )
        if history:
            catalog = session.get(db.CatalogDoc, 1)
            assert catalog is not None  # imported above
            load_history(session, today, catalog.document)
    return summary


def _prune(session: Any, table: Any, ids: list[str], keep: set[tuple[str, ...]], key: Any) -> None:
    for row in session.scalars(select(table).where(table.account_id.in_(ids))):
        if key(row) not in keep:
            session.delete(row)
