"""Keeps UsageSummary rows in step with the usage table (called in the importing transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlmodel import Session

from playbooks.model import UsagePoint, UsageSummary
from playbooks.usage import summarize
from storage import models as db

CHUNK = 500
FIELDS = ("date", "users", "power", "logins", "actions", "adoption")
PREFIXES = ("l_", "p_", "b_")
COLUMNS = tuple(getattr(db.UsageSummary, p + f) for p in PREFIXES for f in FIELDS)
# account_id then a UsagePoint's fields, in order: how usage rows are read wherever they are read
USAGE_COLUMNS = (
    db.Usage.account_id,
    db.Usage.date,
    db.Usage.active_users,
    db.Usage.power_users,
    db.Usage.logins,
    db.Usage.actions,
    db.Usage.feature_adoption,
)
POINT_COLUMNS = tuple(p + f for p in PREFIXES for f in FIELDS)


def to_row(account_id: str, s: UsageSummary) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": account_id,
        "latest_gap_days": s.latest_gap_days,
        "base_gap_days": s.base_gap_days,
    }
    for prefix, point in zip(PREFIXES, (s.latest, s.previous, s.base), strict=True):
        values = (
            (
                point.date,
                point.active_users,
                point.power_users,
                point.logins,
                point.actions,
                point.feature_adoption,
            )
            if point
            else (None,) * 6
        )
        row.update({prefix + f: v for f, v in zip(FIELDS, values, strict=True)})
    return row


def from_columns(latest_gap: int, base_gap: int, v: Sequence[Any]) -> UsageSummary:
    """From (latest_gap_days, base_gap_days, *COLUMNS) as selected."""
    return UsageSummary(
        latest=UsagePoint(*v[0:6]),
        previous=UsagePoint(*v[6:12]) if v[6] is not None else None,
        base=UsagePoint(*v[12:18]) if v[12] is not None else None,
        latest_gap_days=latest_gap,
        base_gap_days=base_gap,
    )


def usage_point(row: Sequence[Any]) -> UsagePoint:
    """A UsagePoint from a row selected as USAGE_COLUMNS."""
    return UsagePoint(*row[1:7])


def _rows_by_account(session: Session | Connection, ids: list[str]) -> Iterator[tuple[str, list[UsagePoint]]]:
    q = (
        select(*USAGE_COLUMNS)
        .where(db.Usage.account_id.in_(ids))
        .order_by(db.Usage.account_id, db.Usage.date)
    )  # type: ignore[attr-defined]
    current: str | None = None
    points: list[UsagePoint] = []
    for r in session.execute(q):
        if r[0] != current:
            if current is not None:
                yield current, points
            current, points = r[0], []
        points.append(usage_point(r))
    if current is not None:
        yield current, points


def refresh(session: Session | Connection, account_ids: Iterable[str]) -> int:
    """Recompute the summaries of these accounts from their usage rows; returns how many were written."""
    ids = sorted(set(account_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(delete(db.UsageSummary).where(db.UsageSummary.account_id.in_(chunk)))  # type: ignore[attr-defined]
        rows = [to_row(a, s) for a, pts in _rows_by_account(session, chunk) if (s := summarize(pts))]
        if rows:
            session.execute(insert(db.UsageSummary), rows)
            written += len(rows)
    return written
