"""Database tables. Imported rows keep the CSV's keys so a re-import upserts in place."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlmodel import Field, SQLModel

from playbooks.model import OPEN_STATUSES


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Team(SQLModel, table=True):
    team: str = Field(primary_key=True)
    slack_channel: str = ""
    timezone: str = "Asia/Singapore"
    digest_time: str = "08:30"
    country: str | None = None  # whose public holidays skip the digest; else the timezone's country


class Csm(SQLModel, table=True):
    email: str = Field(primary_key=True)
    name: str
    team: str = Field(index=True)
    slack_user_id: str | None = Field(default=None, index=True)
    whatsapp: str | None = Field(default=None, index=True)
    timezone: str = "Asia/Singapore"
    gender: str | None = None  # m | f | None: the sender's Thai particle (ครับ/ค่ะ) and self-reference
    role: str | None = None  # "lead" sees every team's accounts; a CSM (None) sees their own team's


class Account(SQLModel, table=True):
    account_id: str = Field(primary_key=True)
    name: str = Field(index=True)
    country: str
    industry: str = ""
    plan: str
    currency: str
    arr: float
    seats_purchased: int | None = None
    start_date: dt.date
    renewal_date: dt.date | None = None
    health_score: int
    csm_email: str = Field(index=True)
    team: str = Field(index=True)
    locations: int | None = None
    tools: list[str] = Field(default_factory=list, sa_column=Column(MutableList.as_mutable(JSON)))
    language: str = ""
    churned_on: dt.date | None = None  # the customer left: their ARR counts as churn in NRR (issue 11)


class Usage(SQLModel, table=True):
    account_id: str = Field(primary_key=True)
    date: dt.date = Field(primary_key=True)
    active_users: int
    power_users: int
    logins: int
    actions: int
    feature_adoption: float
    revenue: float | None = None  # the customer's own sales where the product sees them (growth signal)


class Ticket(SQLModel, table=True):
    """A ticket, a feature request or a logged conversation; keyed by account, date, kind, subject."""

    __table_args__ = (UniqueConstraint("account_id", "date", "kind", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    date: dt.date
    kind: str
    subject: str
    body: str = ""
    requested_feature: str = ""


class Goal(SQLModel, table=True):
    account_id: str = Field(primary_key=True)
    goal: str = Field(primary_key=True)
    status: str
    achieved_on: dt.date | None = None


class Contact(SQLModel, table=True):
    account_id: str = Field(primary_key=True)
    name: str = Field(primary_key=True)
    role: str = ""
    is_champion: bool = False
    is_decision_maker: bool = False
    since: dt.date | None = None
    left_on: dt.date | None = None
    salutation: str | None = None  # used verbatim in drafts ("Bapak Budi", "chị Hà"); issue 13
    gender: str | None = None  # m | f | None: the form of address when there is no salutation


class CatalogDoc(SQLModel, table=True):
    """The whole catalog.yaml as imported; one row, parsed by playbooks.catalog."""

    id: int = Field(default=1, primary_key=True)
    document: dict[str, Any] = Field(sa_column=Column(MutableDict.as_mutable(JSON)))
    imported_at: dt.datetime = Field(default_factory=utcnow)


OPEN_STATUS_SQL = f"status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"  # the one list: playbooks.model


class Opportunity(SQLModel, table=True):
    __table_args__ = (
        # At most one open opportunity per account, type and offering, even with two writers.
        Index(
            "uq_opportunity_open",
            "account_id",
            "type",
            "offering",
            unique=True,
            sqlite_where=text(OPEN_STATUS_SQL),
            postgresql_where=text(OPEN_STATUS_SQL),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    type: str
    offering: str
    offering_name: str = ""
    status: str = Field(default="identified", index=True)
    owner_email: str = Field(index=True)
    est_value: float = 0
    currency: str = ""
    signal_strength: int = 0
    score: float = 0
    priority: str = ""
    timing: str = ""
    signals: list[str] = Field(default_factory=list, sa_column=Column(MutableList.as_mutable(JSON)))
    qualification_due: dt.date | None = None
    snoozed_until: dt.date | None = None
    created_on: dt.date
    closed_on: dt.date | None = None
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # closed loop (issue 11): what the workflow and the outcome decided
    seats_to_add: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    closed_reason: str = Field(default="", sa_column_kwargs={"server_default": ""})
    follow_up_on: dt.date | None = None  # a maybe's trial ends and the CSM follows up


class Outcome(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    opportunity_id: int | None = None
    offering: str = ""
    outcome: str
    reason: str = ""
    recorded_on: dt.date
    revisit_on: dt.date | None = None
    recorded_by: str = ""


class ArrChange(SQLModel, table=True):
    """A change of an account's ARR: a won expansion, a contraction or a churn; what NRR is made of."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    changed_on: dt.date
    arr_before: float
    arr_after: float
    reason: str = ""  # expansion | contraction | churn
    opportunity_id: int | None = None


class SignalFeedback(SQLModel, table=True):
    """A CSM's "not relevant" on a signal, kept to measure which signals are useful."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    opportunity_id: int | None = None
    signal: str
    verdict: str = "not_relevant"
    by: str = ""
    at: dt.datetime = Field(default_factory=utcnow)


class Activity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = ""
    account_id: str | None = Field(default=None, index=True)
    kind: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class DigestDelivery(SQLModel, table=True):
    """Recorded before a digest is posted; the unique key is what makes delivery exactly-once."""

    __table_args__ = (UniqueConstraint("team", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    team: str
    day: dt.date
    status: str = "pending"  # pending | sending | sent
    claimed_by: str = ""
    claimed_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str = ""
    slack_ts: str = ""
    late: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None


class ChatMemory(SQLModel, table=True):
    """The account a user last talked about, so a bare follow-up command applies to it."""

    user_key: str = Field(primary_key=True)
    account_id: str
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # conversation (issue 10): the last command and its options, for "and in Thai please"
    command: str | None = None
    options: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))


class AnswerFeedback(SQLModel, table=True):
    """A CSM's helpful / not helpful on a written answer (issue 10), counted in `pipeline`."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    user_key: str = ""
    channel: str = "slack"
    command: str = ""  # what the answer was: prep, draft, question…
    account_id: str | None = Field(default=None, index=True)
    helpful: bool
    ref: str = ""  # the answer's message (Slack ts) so one click per answer and user counts once


class InboundMessage(SQLModel, table=True):
    """A request recorded before it is acknowledged: a WhatsApp message (`status` pending → working →
    done, resumed after a crash), a Slack event (answered once) or a Slack signature (a replay is
    refused). The key is the provider's id, so a redelivery is answered once."""

    message_id: str = Field(primary_key=True)
    received_at: dt.datetime = Field(default_factory=utcnow)
    channel: str = Field(default="whatsapp", sa_column_kwargs={"server_default": "whatsapp"})
    sender: str = Field(default="", sa_column_kwargs={"server_default": ""})
    body: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # rows from before this column were answered already: "done"
    status: str = Field(default="pending", index=True, sa_column_kwargs={"server_default": "done"})
    claimed_by: str = Field(default="", sa_column_kwargs={"server_default": ""})
    lease_until: dt.datetime | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OutboundMessage(SQLModel, table=True):
    """A message to a rep, stored before it is sent so an outage delays it instead of losing it."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = "whatsapp"
    to: str = Field(index=True)
    body: str
    status: str = Field(default="pending", index=True)  # pending | sent | failed
    attempts: int = 0
    last_error: str = ""
    provider_id: str = ""  # Twilio's message SID once sent
    created_at: dt.datetime = Field(default_factory=utcnow)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None


class UsageSummary(SQLModel, table=True):
    """The engine's view of an account's usage, refreshed whenever its usage rows are imported, so a
    digest over many accounts reads one row each instead of every snapshot. Prefixes: l_ the latest
    snapshot, p_ the one before it, b_ the one about three months earlier."""

    account_id: str = Field(primary_key=True)
    latest_gap_days: int = 30
    base_gap_days: int = 30
    l_date: dt.date
    l_users: int
    l_power: int
    l_logins: int
    l_actions: int
    l_adoption: float
    l_revenue: float | None = None
    p_date: dt.date | None = None
    p_users: int | None = None
    p_power: int | None = None
    p_logins: int | None = None
    p_actions: int | None = None
    p_adoption: float | None = None
    p_revenue: float | None = None
    b_date: dt.date | None = None
    b_users: int | None = None
    b_power: int | None = None
    b_logins: int | None = None
    b_actions: int | None = None
    b_adoption: float | None = None
    b_revenue: float | None = None
