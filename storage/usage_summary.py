"""Keeps UsageSummary rows in step with the usage table (called in the importing transaction).

A summary holds three snapshots under prefixes (l_ the latest, p_ the one before, b_ the base about
three months earlier); each snapshot's columns are named after UsagePoint's fields (SUFFIX), so
columns are read and written by name. An import summarises rows as they stream in (`Trails`) and
reads rows back only for accounts whose history it has not seen whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlmodel import Session

from playbooks.model import UsagePoint, UsageSummary
from playbooks.usage import BASE_MIN_DAYS, summarize
from storage import models as db
from storage.db import table
from storage.driver import fetch

CHUNK = 500
SNAPSHOTS = {"latest": "l_", "previous": "p_", "base": "b_"}
SHORT = {"active_users": "users", "power_users": "power", "feature_adoption": "adoption"}
SUMMARY = table(db.UsageSummary).c
USAGE = table(db.Usage).c
# UsagePoint field -> the summary column suffix that holds it
SUFFIX = {
    f.name: SHORT.get(f.name, f.name)
    for f in fields(UsagePoint)
    if "l_" + SHORT.get(f.name, f.name) in SUMMARY
}
POINT_FIELDS = [f.name for f in fields(UsagePoint) if f.name in USAGE]
DATE = POINT_FIELDS.index("date")


def summary_columns() -> dict[str, Any]:
    """What load_accounts selects for a summary, by name."""
    names = ["account_id", "latest_gap_days", "base_gap_days"]
    names += [p + s for p in SNAPSHOTS.values() for s in SUFFIX.values()]
    return {n: SUMMARY[n] for n in names}


# snapshot -> (its date column, [(UsagePoint field, column)]): worked out once, read for every account
READ = {
    snap: (prefix + "date", [(f, prefix + s) for f, s in SUFFIX.items()])
    for snap, prefix in SNAPSHOTS.items()
}


def summary_from(v: dict[str, Any]) -> UsageSummary:
    """A UsageSummary from a row selected as summary_columns()."""
    points = {
        snap: UsagePoint(**{f: v[col] for f, col in pairs})
        for snap, (day, pairs) in READ.items()
        if v[day] is not None
    }
    return UsageSummary(**points, latest_gap_days=v["latest_gap_days"], base_gap_days=v["base_gap_days"])


def to_row(account_id: str, s: UsageSummary) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_id": account_id,
        "latest_gap_days": s.latest_gap_days,
        "base_gap_days": s.base_gap_days,
    }
    for snap, prefix in SNAPSHOTS.items():
        point = getattr(s, snap)
        row.update({prefix + col: getattr(point, f) if point else None for f, col in SUFFIX.items()})
    return row


class Trails:
    """Each account's usage rows as an import streams them, keeping only what summarize() may still
    pick (the rows of the last ~three months, the base candidate and the one before it), so memory
    follows the number of accounts, not the length of the file. An account whose rows come out of
    date order, or that had rows before this import, is summarised from the table instead."""

    def __init__(self, had_usage: Callable[[], set[str]]) -> None:
        self.trails: dict[str, deque[tuple[Any, ...]]] = {}
        self.reread: set[str] = set()
        self._had_usage = had_usage  # the accounts with rows before this import, read at the first row
        self.had_usage: set[str] | None = None

    def add(self, account_id: str, values: dict[str, Any]) -> None:
        if account_id in self.reread:
            return
        trail = self.trails.get(account_id)
        point = tuple(values[f] for f in POINT_FIELDS)  # a tuple: a third of a UsagePoint's memory
        if trail is None:
            if self.had_usage is None:
                self.had_usage = self._had_usage()
            if account_id in self.had_usage:
                self.reread.add(account_id)
                return
            trail = self.trails[account_id] = deque()
        elif point[DATE] <= trail[-1][DATE]:
            self.reread.add(account_id)
            del self.trails[account_id]
            return
        trail.append(point)
        cut = point[DATE].toordinal() - BASE_MIN_DAYS
        while len(trail) >= 3 and trail[2][DATE].toordinal() <= cut:
            trail.popleft()  # trail[2] can be the base, so trail[0] is neither the base nor before it

    def write(self, conn: Connection) -> int:
        """Store the summary of every account this import gave rows; returns how many were written."""
        rows = []
        for account_id, trail in self.trails.items():
            points = [UsagePoint(**dict(zip(POINT_FIELDS, p, strict=True))) for p in trail]
            if summary := summarize(points):
                rows.append(to_row(account_id, summary))
        return _replace(conn, rows) + refresh(conn, self.reread)


def _replace(conn: Connection, rows: list[dict[str, Any]]) -> int:
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        conn.execute(delete(db.UsageSummary).where(SUMMARY.account_id.in_([r["account_id"] for r in chunk])))
        conn.execute(insert(db.UsageSummary), chunk)
    return len(rows)


def _points_by_account(conn: Connection, ids: list[str]) -> Iterator[tuple[str, list[UsagePoint]]]:
    cols = [USAGE[f] for f in POINT_FIELDS]
    q = select(USAGE.account_id, *cols).where(USAGE.account_id.in_(ids))
    q = q.order_by(USAGE.account_id, USAGE.date)
    current: str | None = None
    points: list[UsagePoint] = []
    for account_id, *values in fetch(conn, q):
        if account_id != current:
            if current is not None:
                yield current, points
            current, points = account_id, []
        points.append(UsagePoint(**dict(zip(POINT_FIELDS, values, strict=True))))
    if current is not None:
        yield current, points


def refresh(session: Session | Connection, account_ids: Iterable[str]) -> int:
    """Recompute the summaries of these accounts from their usage rows; returns how many were written."""
    conn = session.connection() if isinstance(session, Session) else session
    ids = sorted(set(account_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        conn.execute(delete(db.UsageSummary).where(SUMMARY.account_id.in_(chunk)))
        rows = [to_row(a, s) for a, pts in _points_by_account(conn, chunk) if (s := summarize(pts))]
        if rows:
            conn.execute(insert(db.UsageSummary), rows)
            written += len(rows)
    return written
