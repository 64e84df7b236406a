"""Public holidays per country (the `holidays` package) and the big seasons around which nobody decides.

A team's digest is not sent on a public holiday of its country; a proposal waits around Idul Fitri,
Hari Raya, Tết, Songkran, Chinese New Year, Holy Week and Christmas (the `seasons` in countries.yaml).
Dates the package estimates (Islamic holidays not yet announced) keep its "(estimated)" mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from playbooks.config import load

SUPPORTED = ("SG", "MY", "ID", "TH", "VN", "PH")
CLUSTER_GAP_DAYS = 3  # holiday days this close together are one season (Eid's two days, Tết's week)
# a season's window (a run of its holidays, a week at most in 2024-2030, and up to 10 days before or
# after in countries.yaml) lies within this many days of any day it holds: the years season() reads
NEAR_DAYS = 30


@dataclass(frozen=True)
class Season:
    """A big holiday near a day: its name, its first and last day, and when business resumes."""

    name: str
    first: date
    last: date
    resume_on: date  # the first working day after the window
    estimated: bool = False

    @property
    def when(self) -> str:
        days = self.first.isoformat() + (f" to {self.last.isoformat()}" if self.last != self.first else "")
        return days + (", estimated date" if self.estimated else "")


@cache  # building a `holidays` object for the check is the cost; a run asks about few regions
def region(text: str) -> tuple[str, str]:
    """("MY", "10") from "MY", "MY-SGR", "MY-Selangor" or "MY-10"; ValueError with what is allowed."""
    country, _, state = text.strip().partition("-")
    country = country.upper()
    if country not in SUPPORTED:
        raise ValueError(f"must be one of {', '.join(SUPPORTED)}, optionally with a state (MY-SGR)")
    if not state:
        return country, ""
    cal = holidays.country_holidays(country)
    aliases = {k.casefold(): v for k, v in getattr(cal, "subdivisions_aliases", {}).items()}
    code = aliases.get(state.strip().casefold(), state.strip().upper())
    if code not in cal.subdivisions:
        known = ", ".join(sorted(k for k in getattr(cal, "subdivisions_aliases", {}) if len(k) == 3))
        raise ValueError(f"{country} has no state {state!r}" + (f" (states: {known})" if known else ""))
    return country, code


def country_of_timezone(timezone: str) -> str:
    """The country whose `timezones` (countries.yaml) hold this zone, else ""."""
    for code, profile in load("countries")["countries"].items():
        if timezone in profile.get("timezones", ()):
            return str(code)
    return ""


def team_region(country: str | None, timezone: str) -> str:
    """A team's holidays: its `country` column (with a state where given), else its timezone's country."""
    return country or country_of_timezone(timezone)


@cache
def _days(where: str, year: int) -> dict[date, str]:
    country, state = region(where)
    names = holidays.country_holidays(country, subdiv=state or None, years=year, language="en_US")
    return dict(names.items())


def holiday_on(where: str, day: date) -> str | None:
    """The public holiday's name on that day in that country (or "MY-SGR" state), else None."""
    if not where:
        return None
    return _days(where, day.year).get(day)


def carried(where: str, day: date) -> tuple[tuple[date, str], ...]:
    """The public holidays on working days since the last working day before `day`: what a digest
    sent on `day` covers because no digest went out then (Mon–Fri are working days)."""
    out = []
    back = day - timedelta(days=1)
    while back.weekday() >= 5 or holiday_on(where, back):
        if (name := holiday_on(where, back)) and back.weekday() < 5:
            out.append((back, name))
        back -= timedelta(days=1)
    return tuple(reversed(out))


@cache  # asked once per account shown, always for the same few countries and one day
def season(country: str, day: date) -> Season | None:
    """The big holiday whose window (countries.yaml `seasons`) holds this day, if any."""
    profile = load("countries")["countries"].get(country.upper(), {})
    for spec in profile.get("seasons", ()):
        for first, last, estimated in _clusters(country.upper(), tuple(spec["holiday"]), _years_near(day)):
            start = first - timedelta(days=int(spec["before"]))
            end = last + timedelta(days=int(spec["after"]))
            if start <= day <= end:
                resume = end + timedelta(days=1)
                while resume.weekday() >= 5 or holiday_on(country.upper(), resume):
                    resume += timedelta(days=1)
                return Season(str(spec["name"]), first, last, resume, estimated)
    return None


def _years_near(day: date) -> tuple[int, ...]:
    """The years within NEAR_DAYS of the day: usually one, so a one-shot command builds one year's
    holidays (Islamic and lunar dates cost tens of milliseconds a year) instead of three."""
    return tuple(range((day - timedelta(days=NEAR_DAYS)).year, (day + timedelta(days=NEAR_DAYS)).year + 1))


@cache
def _clusters(
    country: str, names: tuple[str, ...], years: tuple[int, ...]
) -> tuple[tuple[date, date, bool], ...]:
    """(first, last, estimated) of each run of the named holidays in those years."""
    wanted = [n.casefold() for n in names]
    days = sorted(
        (d, n) for y in years for d, n in _days(country, y).items() if any(w in n.casefold() for w in wanted)
    )
    out: list[tuple[date, date, bool]] = []
    for d, name in days:
        estimated = "estimated" in name.casefold()
        if out and (d - out[-1][1]).days <= CLUSTER_GAP_DAYS:
            first, _, est = out[-1]
            out[-1] = (first, d, est or estimated)
        else:
            out.append((d, d, estimated))
    return tuple(out)
