"""Plain data the playbooks read and produce; no database, no channel, no model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playbooks.pipeline import Reporting

OpportunityType = Literal["upsell", "seats", "cross_sell", "add_on"]
Priority = Literal["high", "medium", "low", "do_not_pursue"]
OPPORTUNITY_TYPES: tuple[OpportunityType, ...] = ("upsell", "seats", "cross_sell", "add_on")
OPEN_STATUSES = ("identified", "qualified", "proposed")
OUTCOMES = ("won", "lost", "no", "maybe")
LANGUAGES = ("en", "id", "ms", "th", "vi", "fil")  # the languages an account is served and drafted in


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    country: str
    plan: str
    currency: str
    arr: float
    start_date: date
    renewal_date: date | None
    health_score: int
    csm_email: str
    team: str
    industry: str = ""
    seats_purchased: int | None = None
    locations: int | None = None
    tools: tuple[str, ...] = ()
    language: str = ""


@dataclass(frozen=True)
class UsagePoint:
    date: date
    active_users: int
    power_users: int
    logins: int
    actions: int
    feature_adoption: float
    revenue: float | None = None  # the customer's own sales in the period, where the product sees them


@dataclass(frozen=True)
class Ticket:
    date: date
    kind: str  # ticket | feature_request | conversation
    subject: str
    body: str = ""
    requested_feature: str = ""


@dataclass(frozen=True)
class Goal:
    goal: str
    status: str  # open | in_progress | achieved
    achieved_on: date | None = None


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    is_champion: bool = False
    is_decision_maker: bool = False
    since: date | None = None
    left_on: date | None = None
    # how they are addressed, verbatim ("Bapak Budi", "chị Hà"); empty: derived from the name
    salutation: str = ""
    gender: str = ""  # m | f | "" (unknown): picks the form of address when there is no salutation


@dataclass(frozen=True)
class PastOutcome:
    outcome: str  # won | lost | no | maybe
    recorded_on: date
    reason: str = ""
    offering: str = ""


@dataclass(frozen=True)
class UsageSummary:
    """The few snapshots the engine reads: the latest, the one before it, and one ~3 months earlier."""

    latest: UsagePoint
    previous: UsagePoint | None = None
    base: UsagePoint | None = None
    latest_gap_days: int = 30  # days the latest snapshot covers (to compare actions as a rate)
    base_gap_days: int = 30


@dataclass(frozen=True)
class AccountData:
    """Everything the engine knows about one account, as of the moment it was loaded."""

    account: Account
    usage: tuple[UsagePoint, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    goals: tuple[Goal, ...] = ()
    contacts: tuple[Contact, ...] = ()
    outcomes: tuple[PastOutcome, ...] = ()
    summary: UsageSummary | None = None  # precomputed at import; else derived from `usage`

    def current_contacts(self, today: date) -> list[Contact]:
        """The contacts still there today: not left, or leaving later."""
        return [c for c in self.contacts if not c.left_on or c.left_on > today]


# --- catalog -------------------------------------------------------------------------


@dataclass(frozen=True)
class Needs:
    tools: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offering:
    code: str
    name: str
    price: float
    period: str  # once | month | year
    kind: str  # plan | add_on | product
    seat_price: float | None = None
    features: tuple[str, ...] = ()
    needs: Needs = Needs()
    target_conversion: float | None = None  # the team's conversion target for this offering (pipeline)


@dataclass(frozen=True)
class Rule:
    to_plan: str
    when: dict[str, object]
    from_plan: str | None = None


@dataclass(frozen=True)
class Discount:
    name: str
    price: float | None = None
    months_free: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class ValueDriver:
    """What an offering is worth to a customer, per unit and period: the catalog's `value` entries,
    or a saving the customer stated in their own words (source: the quote and its date)."""

    driver: str  # hours_saved | cost_avoided | revenue_uplift
    amount: float  # hours, or money in the catalog's currency
    per: str  # location | active_user | account
    period: str  # day | week | month | year
    what: str
    local: dict[str, float] = field(default_factory=dict)  # money amounts in other currencies
    unit: str = ""  # how a location is called in this business ("outlet"), for the formula
    source: str = ""  # "" for the catalog; the quote with its date for a stated saving


@dataclass(frozen=True, eq=False)
class Catalog:
    currency: str
    plans: tuple[Offering, ...] = ()
    add_ons: tuple[Offering, ...] = ()
    products: tuple[Offering, ...] = ()
    rules: tuple[Rule, ...] = ()
    discounts: tuple[Discount, ...] = ()
    # (offering code, currency) -> (price, seat price): local prices for accounts in that currency
    prices: dict[tuple[str, str], tuple[float | None, float | None]] = field(default_factory=dict)
    value: dict[str, tuple[ValueDriver, ...]] = field(default_factory=dict)  # offering code -> drivers
    hourly_cost: dict[str, float] = field(default_factory=dict)  # country -> a staff hour, billing currency
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {language: words}
    reporting: Reporting | None = None  # one reporting currency and the team's dated rates (pipeline)

    def plan(self, code: str) -> Offering | None:
        return next((p for p in self.plans if p.code == code), None)

    def offering(self, code: str) -> Offering | None:
        return next((o for o in (*self.plans, *self.add_ons, *self.products) if o.code == code), None)

    def next_plan(self, code: str) -> Offering | None:
        codes = [p.code for p in self.plans]
        if code not in codes or codes.index(code) + 1 >= len(codes):
            return None
        return self.plans[codes.index(code) + 1]


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    amount: float
    currency: str


@dataclass(frozen=True)
class Signal:
    name: str
    strength: int  # 1-10, the playbook's signal-strength scale
    evidence: str  # the numbers that fired it, in plain words
    offering: str = ""  # catalog code this signal points at, when it points at one
    data: dict[str, float | int | str] = field(default_factory=dict)
    tools: tuple[str, ...] = ()  # the account's tools that point at the offering
    keywords: tuple[str, ...] = ()  # the catalog's need words found in recent tickets


@dataclass(frozen=True)
class ValueLine:
    """One value driver applied to one account: its yearly worth and the formula that gives it."""

    driver: ValueDriver
    yearly: Money
    formula: str  # "5 h/week × 4 outlets × 52 × Rp 75.000 = Rp 78.000.000 a year"
    unit_value: Money  # a staff hour, or the driver's money amount per unit and period


@dataclass(frozen=True)
class BusinessCase:
    """What an offering is worth to this account against what it costs; empty lines: ask instead."""

    lines: tuple[ValueLine, ...] = ()
    yearly_value: Money | None = None
    first_year_cost: Money | None = None
    roi: float | None = None  # yearly value ÷ first-year cost, one decimal
    payback_months: float | None = None  # price ÷ a month of value, one decimal
    evidence: tuple[str, ...] = ()  # every formula, the total, the ROI and the payback
    ask: tuple[str, ...] = ()  # what to ask the customer where the numbers are missing


@dataclass(frozen=True)
class Quote:
    """Something the customer said, verbatim, with what it states: a saving, time spent, work by hand,
    a budget constraint (and when it ends), satisfaction or growth."""

    kind: str  # saving | time_spent | manual_work | budget | satisfaction | growth | need | result
    said_on: date
    text: str  # the sentence as written
    source: str = ""  # ticket | conversation | feature_request: where it was said
    hours_before: float | None = None  # saving: how long it took
    hours_after: float | None = None  # saving: how long it takes now
    hours: float | None = None  # time_spent: the hours they state
    period: str = ""  # day | week | month, when they say how often
    until: date | None = None  # budget: the day it frees up, when they say
    freeze: bool = False  # budget: frozen or none at all, not only tight
    feature: str = ""  # need: the catalog feature they ask for in words ("one view across all clinics")
    percent: float | None = None  # result: the change they measured ("no-shows down 18%")

    @property
    def cited(self) -> str:
        """“The words” (conversation, 2026-11-24): how evidence quotes it."""
        return f"“{self.text}” ({self.source}, {self.said_on.isoformat()})"


@dataclass(frozen=True)
class Scores:
    signal: int
    fit: int
    timing: int
    composite: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Opportunity:
    type: OpportunityType
    offering: str  # catalog code, or "seats"
    offering_name: str
    signals: tuple[Signal, ...]
    scores: Scores
    priority: Priority
    est_value: Money  # first-year value: a one-time price, or 12 months of a monthly one
    price: Money  # the investment per period, as the catalog quotes it
    seats_to_add: int = 0
    from_plan: str = ""
    period: str = "once"
    smaller_seats: int = 0  # the smallest seat step the playbook allows, for a smaller package
    case: BusinessCase = BusinessCase()


@dataclass(frozen=True)
class Timing:
    ok: bool
    reasons: tuple[str, ...] = ()  # why not now (empty when ok)
    codes: tuple[str, ...] = ()  # one per reason: at_risk | declining | too_new | said_no | budget_freeze
    moments: tuple[str, ...] = ()  # post_milestone, pre_renewal, after_qbr, new_stakeholder
    first: tuple[str, ...] = ()  # what must happen first when not ok
    revisit_on: date | None = None
    trial_offered: bool = False
    trials: tuple[tuple[str, date], ...] = ()  # (offering, follow-up date): a maybe's 1-month trial running
    waits: tuple[str, ...] = ()  # not blockers but reasons to wait (budget tight until…, after a holiday)
    wait_codes: tuple[str, ...] = ()  # one per wait: budget_tight | holiday


@dataclass(frozen=True)
class Readiness:
    ready: bool
    adoption: float
    health: int
    value_realised: bool
    relationship: str  # engaged | quiet | cold
    stakeholders: str  # stable | new_champion | champion_left | none
    first: tuple[str, ...] = ()


@dataclass(frozen=True)
class Approach:
    who: str
    when: str
    channel: str
    tone: str
    country: str
    follow_up_on: date  # when to check back after a conversation (later in patient markets)
    patient: bool  # the market expects time to decide: no deadlines, a later follow-up


@dataclass(frozen=True)
class Assessment:
    """The engine's whole answer for one account on one day: what every writer and digest reads."""

    account: Account
    today: date
    signals: tuple[Signal, ...]
    opportunities: tuple[Opportunity, ...]
    timing: Timing
    readiness: Readiness
    approach: Approach
    trajectory: dict[str, float] = field(default_factory=dict)
    quotes: tuple[Quote, ...] = ()  # what the customer said recently, verbatim (playbooks/quotes.py)
    realised: tuple[ValueLine, ...] = ()  # value already delivered, from savings they stated

    @property
    def best(self) -> Opportunity | None:
        return self.opportunities[0] if self.opportunities else None
