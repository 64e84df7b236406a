"""Pipeline metrics over tracked opportunities: what a CS lead reviews every week.

Money is never added across currencies: every amount is kept per currency, and converted to one
reporting currency only through the dated rates the team keeps in catalog.yaml (`reporting:`).
Counts and ratios (conversion, days) need no currency and cover the whole portfolio.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from playbooks.config import thresholds

WON, LOST = "closed_won", "closed_lost"
SEGMENTS = ("small", "mid", "large")  # ARR terciles within each currency


@dataclass(frozen=True)
class Opp:
    account_id: str
    type: str
    offering: str
    offering_name: str
    status: str
    est_value: float
    currency: str
    created_on: date
    closed_on: date | None
    owner: str
    country: str
    industry: str


@dataclass(frozen=True)
class AccountArr:
    account_id: str
    currency: str
    arr: float
    start_date: date
    churned_on: date | None = None


@dataclass(frozen=True)
class ArrChange:
    account_id: str
    changed_on: date
    arr_before: float
    arr_after: float
    reason: str  # expansion | contraction | churn


class ReportingError(ValueError):
    """`reporting.…: message`, pointing into catalog.yaml."""


@dataclass(frozen=True)
class Reporting:
    """One reporting currency and the team's rates into it (1 unit of X = rate units), dated."""

    currency: str
    as_of: date
    rates: dict[str, float]
    commission_rate: float
    thresholds: dict[str, float]  # monthly commission threshold per currency

    def convert(self, amount: float, currency: str) -> float | None:
        if currency == self.currency:
            return amount
        rate = self.rates.get(currency)
        return amount * rate if rate is not None else None


def parse_reporting(doc: Any) -> Reporting | None:
    """catalog.yaml's optional `reporting:` key, or the seed commission settings when absent."""
    if doc is None:
        return None
    seed = thresholds()["commission"]
    if not isinstance(doc, dict):
        raise ReportingError("reporting: must be a mapping with currency, as_of, rates, commission")
    unknown = set(doc) - {"currency", "as_of", "rates", "commission"}
    if unknown:
        raise ReportingError(
            f"reporting.{sorted(unknown)[0]}: unknown key (allowed: currency, as_of, rates, commission)"
        )
    currency = str(doc.get("currency") or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ReportingError("reporting.currency: must be a 3-letter ISO code such as IDR")
    as_of = doc.get("as_of")
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            as_of = None
    if not isinstance(as_of, date):
        raise ReportingError("reporting.as_of: the date the rates were set, YYYY-MM-DD")
    rates = {}
    if not isinstance(doc.get("rates") or {}, dict):
        raise ReportingError(f"reporting.rates: a mapping such as {{SGD: 12300}} ({currency} per 1 unit)")
    for cur, rate in (doc.get("rates") or {}).items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise ReportingError(f"reporting.rates.{cur}: must be a number > 0 ({currency} per 1 {cur})")
        rates[str(cur).upper()] = float(rate)
    commission = doc.get("commission") or {}
    if not isinstance(commission, dict):
        raise ReportingError("reporting.commission: a mapping with rate and monthly_threshold")
    rate = commission.get("rate", seed["rate"])
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ReportingError("reporting.commission.rate: a share between 0 and 1, e.g. 0.05")
    limit = commission.get("monthly_threshold", seed["monthly_threshold"])
    limits = limit if isinstance(limit, dict) else {currency: limit}
    for cur, amount in limits.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise ReportingError(f"reporting.commission.monthly_threshold.{cur}: must be a number ≥ 0")
    return Reporting(
        currency, as_of, rates, float(rate), {str(k).upper(): float(v) for k, v in limits.items()}
    )


def commission_settings(reporting: Reporting | None) -> tuple[float, dict[str, float]]:
    """The commission rate and the monthly threshold per currency (converted when rates allow)."""
    if reporting is None:
        seed = thresholds()["commission"]
        return float(seed["rate"]), {k: float(v) for k, v in seed["monthly_threshold"].items()}
    limits = dict(reporting.thresholds)
    base = limits.get(reporting.currency)
    if base is not None:
        for cur, rate in reporting.rates.items():
            limits.setdefault(cur, base / rate)
    return reporting.commission_rate, limits


@dataclass(frozen=True)
class Rate:
    won: int
    decided: int

    @property
    def share(self) -> float:
        return self.won / self.decided if self.decided else 0.0


@dataclass
class CurrencyFigures:
    """Every amount of one currency."""

    open_value: float = 0.0
    won_value: float = 0.0  # expansion revenue in the window
    won_count: int = 0
    by_type: dict[str, float] = field(default_factory=dict)
    by_month: dict[str, float] = field(default_factory=dict)
    nrr: float | None = None
    nrr_parts: dict[str, float] = field(default_factory=dict)  # start, expansion, contraction, churn

    @property
    def average_deal(self) -> float | None:
        return self.won_value / self.won_count if self.won_count else None


@dataclass(frozen=True)
class Commission:
    owner: str  # email
    name: str
    month: str
    currency: str
    revenue: float
    threshold: float
    amount: float


@dataclass(frozen=True)
class Metrics:
    since: date  # money, trend, NRR and commission cover the 12 months from here
    by_status: dict[str, int]
    open_by_type: dict[str, int]
    conversion: dict[str, dict[str, Rate]]  # type | country | industry | segment | csm -> key -> rate
    targets: list[tuple[str, str, Rate, float]]  # (code, name, actual, target)
    currencies: dict[str, CurrencyFigures]
    reported: CurrencyFigures | None  # the same in the reporting currency, when rates cover it all
    unconverted: tuple[str, ...]  # currencies without a rate
    months: tuple[str, ...]
    won_by_month: dict[str, int]
    avg_days_to_close: float | None
    time_to_first_upgrade_days: float | None
    churn_known: bool
    commission: list[Commission]


def months_back(today: date, n: int = 12) -> tuple[str, ...]:
    """The last n calendar months up to today's, oldest first, as YYYY-MM."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return tuple(reversed(out))


def segments(accounts: Iterable[AccountArr]) -> dict[str, str]:
    """small / mid / large: the ARR terciles of each currency's accounts (no rates needed)."""
    by_cur: dict[str, list[AccountArr]] = defaultdict(list)
    for a in accounts:
        by_cur[a.currency].append(a)
    out = {}
    for group in by_cur.values():
        ranked = sorted(group, key=lambda a: (a.arr, a.account_id))
        for i, a in enumerate(ranked):
            out[a.account_id] = SEGMENTS[min(2, i * 3 // len(ranked))]
    return out


def _rates(opps: list[Opp], key: Callable[[Opp], str]) -> dict[str, Rate]:
    won, decided = Counter[str](), Counter[str]()
    for o in opps:
        decided[key(o)] += 1
        won[key(o)] += o.status == WON
    return {k: Rate(won[k], decided[k]) for k in sorted(decided)}


def metrics(
    opps: list[Opp],
    accounts: list[AccountArr],
    changes: list[ArrChange],
    today: date,
    *,
    targets: dict[str, tuple[str, float]] | None = None,  # offering code -> (name, target conversion)
    owners: dict[str, str] | None = None,  # email -> name
    reporting: Reporting | None = None,
) -> Metrics:
    since = today - timedelta(days=365)
    months = months_back(today)
    segment = segments(accounts)
    owners = owners or {}
    decided = [o for o in opps if o.status in (WON, LOST)]
    won_recent = [o for o in opps if o.status == WON and o.closed_on and since < o.closed_on <= today]
    open_ = [o for o in opps if o.status not in (WON, LOST)]

    currencies: dict[str, CurrencyFigures] = defaultdict(CurrencyFigures)
    for o in open_:
        currencies[o.currency].open_value += o.est_value
    for o in won_recent:
        _add_win(currencies[o.currency], o, o.est_value)
    _nrr(currencies, accounts, changes, since, today)

    reported, unconverted = _reported(currencies, opps, won_recent, reporting)
    rate, limits = commission_settings(reporting)
    starts = {a.account_id: a.start_date for a in accounts}
    first_win: dict[str, date] = {}
    for o in decided:
        if o.status == WON and o.closed_on and o.account_id in starts:
            first_win[o.account_id] = min(first_win.get(o.account_id, o.closed_on), o.closed_on)
    to_first = [(d - starts[a]).days for a, d in first_win.items()]
    days = [(o.closed_on - o.created_on).days for o in decided if o.closed_on]
    return Metrics(
        since=since,
        by_status=dict(sorted(Counter(o.status for o in opps).items())),
        open_by_type=dict(sorted(Counter(o.type for o in open_).items())),
        conversion={
            "type": _rates(decided, lambda o: o.type),
            "country": _rates(decided, lambda o: o.country),
            "industry": _rates(decided, lambda o: o.industry or "unknown"),
            "segment": _rates(decided, lambda o: segment.get(o.account_id, "unknown")),
            "csm": _rates(decided, lambda o: owners.get(o.owner, o.owner)),
        },
        targets=_targets(decided, targets or {}),
        currencies=dict(sorted(currencies.items())),
        reported=reported,
        unconverted=unconverted,
        months=months,
        won_by_month={m: sum(1 for o in won_recent if _month(o.closed_on) == m) for m in months},
        avg_days_to_close=round(sum(days) / len(days), 1) if days else None,
        time_to_first_upgrade_days=round(sum(to_first) / len(to_first), 1) if to_first else None,
        churn_known=any(a.churned_on for a in accounts) or any(c.reason != "expansion" for c in changes),
        commission=commission(won_recent, rate, limits, owners),
    )


def _month(d: date | None) -> str:
    return f"{d.year:04d}-{d.month:02d}" if d else ""


def _add_win(figures: CurrencyFigures, o: Opp, amount: float) -> None:
    figures.won_value += amount
    figures.won_count += 1
    figures.by_type[o.type] = figures.by_type.get(o.type, 0.0) + amount
    month = _month(o.closed_on)
    figures.by_month[month] = figures.by_month.get(month, 0.0) + amount


def _targets(decided: list[Opp], targets: dict[str, tuple[str, float]]) -> list[tuple[str, str, Rate, float]]:
    rates = _rates(decided, lambda o: o.offering)
    return [(code, name, rates.get(code, Rate(0, 0)), target) for code, (name, target) in targets.items()]


def _nrr(
    currencies: dict[str, CurrencyFigures],
    accounts: list[AccountArr],
    changes: list[ArrChange],
    since: date,
    today: date,
) -> None:
    """Net revenue retention over 12 months for the accounts that were customers 12 months ago:
    ARR now (0 once churned) over ARR then; ARR then is taken from the recorded changes."""
    window: dict[str, list[ArrChange]] = defaultdict(list)
    for c in changes:
        if since < c.changed_on <= today:
            window[c.account_id].append(c)
    for a in accounts:
        if a.start_date > since:
            continue
        mine = sorted(window.get(a.account_id, []), key=lambda c: c.changed_on)
        start = mine[0].arr_before if mine else a.arr
        churned = a.churned_on is not None and since < a.churned_on <= today
        if a.churned_on is not None and a.churned_on <= since:
            continue  # gone before the window: not part of the cohort
        end = 0.0 if churned else a.arr
        parts = currencies[a.currency].nrr_parts
        parts["start"] = parts.get("start", 0.0) + start
        parts["end"] = parts.get("end", 0.0) + end
        ups = sum(max(c.arr_after - c.arr_before, 0) for c in mine)
        downs = sum(max(c.arr_before - c.arr_after, 0) for c in mine if c.reason != "churn")
        parts["expansion"] = parts.get("expansion", 0.0) + ups
        parts["contraction"] = parts.get("contraction", 0.0) + downs
        parts["churn"] = parts.get("churn", 0.0) + (start + ups - downs if churned else 0.0)
    for figures in currencies.values():
        p = figures.nrr_parts
        if p.get("start"):
            figures.nrr = round(p["end"] / p["start"], 4)


def _reported(
    currencies: dict[str, CurrencyFigures], opps: list[Opp], won: list[Opp], reporting: Reporting | None
) -> tuple[CurrencyFigures | None, tuple[str, ...]]:
    """Every currency converted at the team's rates; None when there are no rates."""
    if reporting is None:
        return None, ()
    missing = tuple(sorted(c for c in currencies if reporting.convert(1, c) is None))
    out = CurrencyFigures()
    for o in opps:
        value = reporting.convert(o.est_value, o.currency)
        if value is not None and o.status not in (WON, LOST):
            out.open_value += value
    for o in won:
        value = reporting.convert(o.est_value, o.currency)
        if value is not None:
            _add_win(out, o, value)
    for cur, figures in currencies.items():
        factor = reporting.convert(1, cur)
        if factor is not None:
            for part, amount in figures.nrr_parts.items():
                out.nrr_parts[part] = out.nrr_parts.get(part, 0.0) + amount * factor
    start = out.nrr_parts.get("start", 0.0)
    out.nrr = round(out.nrr_parts.get("end", 0.0) / start, 4) if start else None
    return out, missing


def commission(
    won: list[Opp], rate: float, limits: dict[str, float], owners: dict[str, str] | None = None
) -> list[Commission]:
    """Per CSM, month and currency: rate × the expansion revenue above the month's threshold."""
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for o in won:
        totals[(o.owner, _month(o.closed_on), o.currency)] += o.est_value
    out = []
    for (owner, month, cur), revenue in sorted(totals.items()):
        if cur not in limits:
            continue
        amount = round(max(revenue - limits[cur], 0.0) * rate, 2)
        name = (owners or {}).get(owner, owner)
        out.append(Commission(owner, name, month, cur, revenue, limits[cur], amount))
    return out
