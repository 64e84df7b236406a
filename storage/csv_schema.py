"""What each import file may contain: one table of column specs per file kind, read by one parser.

A cell is stripped of surrounding spaces first. An empty cell takes the column's default; a
required column must be in the header and have a value on every row. A parser raises
ValueError(message); the importer adds the file, line, column and the offending value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import SQLModel

from playbooks.calendar import region
from playbooks.config import load
from playbooks.model import LANGUAGES
from storage.models import Account, Contact, Csm, Goal, Team, Ticket, Usage
from storage.phones import e164

MAX_CELL = 10_000  # characters in any cell
MAX_KEY = 500  # characters in a cell that is part of a key (PostgreSQL index rows are limited)
MAX_INT = 2_147_483_647  # an INTEGER column
TICKET_KINDS = ("ticket", "feature_request", "conversation")
GOAL_STATUSES = ("open", "in_progress", "achieved")
TRUE, FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")

Parser = Callable[[str], Any]
RowCheck = Callable[[dict[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Col:
    name: str
    parse: Parser = str
    required: bool = False
    default: Any = None
    max_len: int = MAX_CELL
    ref: str = ""  # kind whose keys this value must name: account, csm, team or plan


@dataclass(frozen=True)
class FileSpec:
    kind: str
    model: type[SQLModel]
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    check: RowCheck | None = None
    by_name: dict[str, Col] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})


@cache
def countries() -> dict[str, dict[str, Any]]:
    profiles: dict[str, dict[str, Any]] = load("countries")["countries"]
    return profiles


def whole(lo: int = 0, hi: int | None = None) -> Parser:
    message = (
        f"must be a whole number from {lo} to {hi}" if hi is not None else f"must be a whole number ≥ {lo}"
    )

    def parse(s: str) -> int:
        if not (s.isascii() and s.isdigit()):
            raise ValueError(message)
        value = int(s) if len(s) <= 10 else MAX_INT + 1
        if value < lo or (hi is not None and value > hi):
            raise ValueError(message)
        if value > MAX_INT:
            raise ValueError(f"must be at most {MAX_INT}")
        return value

    return parse


_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


def number(lo: float = 0, hi: float | None = None) -> Parser:
    message = f"must be a number from {lo:g} to {hi:g}" if hi is not None else f"must be a number ≥ {lo:g}"

    def parse(s: str) -> float:
        if not _NUMBER.fullmatch(s) or float(s) < lo or (hi is not None and float(s) > hi):
            raise ValueError(message)
        return float(s)

    return parse


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date(s: str) -> dt.date:
    try:
        if _DATE.fullmatch(s):
            return dt.date.fromisoformat(s)
    except ValueError:
        pass
    raise ValueError("must be a date YYYY-MM-DD")


def choice(*options: str, lower: bool = True) -> Parser:
    def parse(s: str) -> str:
        value = s.lower() if lower else s
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def boolean(s: str) -> bool:
    value = s.lower()
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise ValueError("must be true/false, yes/no, y/n or 1/0")


def country(s: str) -> str:
    code = s.upper()
    if code not in countries():
        raise ValueError(f"must be one of {', '.join(countries())}")
    return code


def currency(s: str) -> str:
    if len(s) != 3 or not s.isascii() or not s.isalpha():
        raise ValueError("must be a 3-letter currency code such as IDR")
    return s.upper()


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(s: str) -> str:
    if not _EMAIL.fullmatch(s):
        raise ValueError("must be an email address")
    return s.lower()


def gender(s: str) -> str:
    """m or f (also male/female, l/p as in Indonesian forms); an empty cell means unknown."""
    value = {"male": "m", "female": "f", "l": "m", "p": "f"}.get(s.lower(), s.lower())
    if value not in ("m", "f"):
        raise ValueError("must be m or f (or empty when unknown)")
    return value


def tools(s: str) -> list[str]:
    return [t.strip() for t in s.split(";") if t.strip()]


def whatsapp(s: str) -> str:
    """E.164 from `+62 812-3456-7890` or `whatsapp:+62…`; national numbers are refused, not guessed."""
    if not s.removeprefix("whatsapp:").strip().startswith("+"):
        raise ValueError("must be an international number starting with + (e.g. +62 812-3456-7890)")
    if not (number := e164(s)):
        raise ValueError("is not a valid phone number")
    return number


def holiday_region(s: str) -> str:
    """A team's country for public holidays, with a Malaysian state where given: MY-SGR, MY-Selangor."""
    country_code, state = region(s)
    return f"{country_code}-{state}" if state else country_code


def timezone(s: str) -> str:
    try:
        ZoneInfo(s)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Jakarta") from None
    return s


_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def hhmm(s: str) -> str:
    if not (m := _TIME.fullmatch(s)):
        raise ValueError("must be a time HH:MM (24-hour)")
    return f"{int(m[1]):02d}:{m[2]}"


def _account_check(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Currency defaults by country; a renewal cannot come before the start."""
    if not row["currency"] and row["country"]:
        row["currency"] = countries()[row["country"]]["currency"]
    start, renewal = row["start_date"], row["renewal_date"]
    if start and renewal and renewal < start:
        return [("renewal_date", "is before start_date")]
    return []


def _goal_check(row: dict[str, Any]) -> list[tuple[str, str]]:
    """An achieved goal needs its date (the goal_achieved signal is about recent ones); others have none."""
    if row["status"] == "achieved" and not row["achieved_on"]:
        return [("achieved_on", "required when status is achieved")]
    if row["status"] and row["status"] != "achieved" and row["achieved_on"]:
        return [("achieved_on", "must be empty unless status is achieved")]
    return []


def _contact_check(row: dict[str, Any]) -> list[tuple[str, str]]:
    if row["since"] and row["left_on"] and row["left_on"] < row["since"]:
        return [("left_on", "is before since")]
    return []


def _key(name: str, parse: Parser = str, ref: str = "") -> Col:
    return Col(name, parse, required=True, max_len=MAX_KEY, ref=ref)


ACCOUNT_ID = _key("account_id", ref="account")

SPECS: dict[str, FileSpec] = {
    spec.kind: spec
    for spec in (
        FileSpec(
            "teams",
            Team,
            (
                _key("team"),
                Col("slack_channel", default=""),
                Col("timezone", timezone, default="Asia/Singapore"),
                Col("digest_time", hhmm, default="08:30"),
                Col("country", holiday_region),  # optional: public holidays; else the timezone's country
            ),
            key=("team",),
        ),
        FileSpec(
            "csms",
            Csm,
            (
                _key("email", email),
                Col("name", required=True),
                Col("team", required=True, ref="team"),
                Col("slack_user_id"),
                Col("whatsapp", whatsapp),
                Col("timezone", timezone, default="Asia/Singapore"),
                Col("role", choice("csm", "lead")),  # optional: lead sees every team
                Col("gender", gender),  # optional: the sender's Thai particle (ครับ/ค่ะ)
            ),
            key=("email",),
        ),
        FileSpec(
            "accounts",
            Account,
            (
                _key("account_id"),
                Col("name", required=True),
                Col("country", country, required=True),
                Col("industry", default=""),
                Col("plan", required=True, ref="plan"),
                Col("currency", currency, default=""),
                Col("arr", number(), required=True),
                Col("seats_purchased", whole()),
                Col("start_date", date, required=True),
                Col("renewal_date", date),
                Col("health_score", whole(0, 100), required=True),
                Col("csm_email", email, required=True, ref="csm"),
                Col("team", required=True, ref="team"),
                Col("locations", whole()),
                Col("tools", tools, default=[]),
                Col("language", choice(*LANGUAGES), default=""),
                Col("churned_on", date),  # optional: the customer left; NRR counts it as churn
            ),
            key=("account_id",),
            check=_account_check,
        ),
        FileSpec(
            "usage",
            Usage,
            (
                ACCOUNT_ID,
                Col("date", date, required=True),
                *(
                    Col(n, whole(), required=True)
                    for n in ("active_users", "power_users", "logins", "actions")
                ),
                Col("feature_adoption", number(0, 1), required=True),
                Col("revenue", number()),  # optional: the customer's own sales (business growth)
            ),
            key=("account_id", "date"),
        ),
        FileSpec(
            "tickets",
            Ticket,
            (
                ACCOUNT_ID,
                Col("date", date, required=True),
                Col("kind", choice(*TICKET_KINDS), required=True),
                _key("subject"),
                Col("body", default=""),
                Col("requested_feature", default=""),
            ),
            key=("account_id", "date", "kind", "subject"),
        ),
        FileSpec(
            "goals",
            Goal,
            (
                ACCOUNT_ID,
                _key("goal"),
                Col("status", choice(*GOAL_STATUSES), required=True),
                Col("achieved_on", date),
            ),
            key=("account_id", "goal"),
            check=_goal_check,
        ),
        FileSpec(
            "contacts",
            Contact,
            (
                ACCOUNT_ID,
                _key("name"),
                Col("role", default=""),
                Col("is_champion", boolean, default=False),
                Col("is_decision_maker", boolean, default=False),
                Col("since", date),
                Col("left_on", date),
                Col("salutation", max_len=100),  # optional, used verbatim in drafts
                Col("gender", gender),  # optional: m | f
            ),
            key=("account_id", "name"),
            check=_contact_check,
        ),
    )
}

# Import order: whatever a file refers to is imported before it.
ORDER = ("catalog", "teams", "csms", "accounts", "usage", "tickets", "goals", "contacts")
