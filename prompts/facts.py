"""The facts a writer may use, built once from the engine's answer: people, money, dates and the grounds."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from babel.dates import format_date

from playbooks import calendar, value
from playbooks.catalog import price_in
from playbooks.config import country
from playbooks.model import (
    LANGUAGES,
    Account,
    AccountData,
    Assessment,
    BusinessCase,
    Catalog,
    Discount,
    Money,
    Opportunity,
    UsagePoint,
)
from playbooks.money import format_money, locale_for
from prompts import grounding
from prompts.people import Person, address

LANGUAGE_NAMES = {
    "en": "English",
    "id": "Bahasa Indonesia",
    "ms": "Bahasa Melayu",
    "th": "Thai",
    "vi": "Vietnamese",
    "fil": "Filipino",
}
TEXT_LOCALES = {"id": "id_ID", "ms": "ms_MY"}


def pick_language(requested: str, account_language: str, country_code: str) -> str:
    """The command's language, else the account's, else the country's default."""
    for lang in (requested, account_language, country(country_code).get("language", "en")):
        if lang in LANGUAGES:
            return lang
    return "en"


def local_date(d: date, language: str, country_code: str, *, year: bool = True) -> str:
    """A date as the reader writes it: 15 Januari 2026 (id, ms), 15 มกราคม 2569 (Thai, Buddhist Era),
    ngày 15 tháng 1 năm 2026 (Vietnamese), January 15, 2026 (Philippines), 15 January 2026 (SG, MY)."""
    if language == "th":
        text = format_date(d, "d MMMM", locale="th_TH")
        return f"{text} {d.year + 543}" if year else text
    if language == "vi":
        return f"ngày {d.day} tháng {d.month}" + (f" năm {d.year}" if year else "")
    if language == "fil" or (language == "en" and country_code.upper() == "PH"):
        return format_date(d, "MMMM d, y" if year else "MMMM d", locale="en_PH")
    return format_date(d, "d MMMM y" if year else "d MMMM", locale=TEXT_LOCALES.get(language, "en_SG"))


def buddhist_era(d: date) -> date | None:
    """The same day with its Thai year (CE + 543), for grounding Thai text; None for a 29 February."""
    try:
        return d.replace(year=d.year + 543)
    except ValueError:
        return None


def round_sig(x: float, digits: int = 2) -> float:
    """A tidy figure for per-user costs: 321,429 → 320,000."""
    if x <= 0:
        return 0.0
    return float(round(x, -math.floor(math.log10(abs(x))) + (digits - 1)))


@dataclass(frozen=True)
class Facts:
    """One account's facts for one piece of writing; everything a writer says comes from here."""

    assessment: Assessment
    data: AccountData
    catalog: Catalog
    language: str = "en"
    channel: str = "email"  # email | whatsapp | slack
    sender: str = ""  # the CSM's name, for the sign-off
    sender_gender: str = ""  # m | f | "": the sender's Thai particle (ครับ/ค่ะ) and self-reference
    other_accounts: tuple[str, ...] = ()

    def with_language(self, language: str) -> Facts:
        """The same facts for another language (the brief's English objection lines)."""
        return replace(self, language=language)

    @property
    def account(self) -> Account:
        return self.assessment.account

    @property
    def best(self) -> Opportunity | None:
        return self.assessment.best

    @cached_property
    def mode(self) -> str:
        """proposal, or check_in when the timing guard says not now or there is nothing worth pitching."""
        best = self.best
        if not self.assessment.timing.ok or best is None or best.priority in ("low", "do_not_pursue"):
            return "check_in"
        return "proposal"

    @cached_property
    def why_check_in(self) -> tuple[str, ...]:
        """Why this is a check-in rather than a proposal, for the CSM (never for the customer)."""
        t = self.assessment.timing
        if not t.ok:
            return t.reasons
        if self.best is None:
            return ("no expansion signal today; keep delivering value",)
        return (f"priority {self.best.priority.replace('_', ' ')}: monitor; {self.assessment.approach.when}",)

    @cached_property
    def reason_keys(self) -> tuple[str, ...]:
        """The timing guard's reason codes, first reason first; no_signal when nothing blocks."""
        return tuple(dict.fromkeys(self.assessment.timing.codes)) or ("no_signal",)

    @property
    def moment(self) -> str:
        return self.assessment.timing.moments[0] if self.assessment.timing.moments else "none"

    @property
    def profile(self) -> dict:  # type: ignore[type-arg]
        return country(self.account.country)

    @property
    def patient(self) -> bool:
        return self.assessment.approach.patient

    @property
    def money_locale(self) -> str:
        return locale_for(self.account.country, self.language)

    @property
    def text_locale(self) -> str:
        return TEXT_LOCALES.get(self.language, "en_SG")

    def money(self, amount: Money | float) -> str:
        m = amount if isinstance(amount, Money) else Money(amount, self.account.currency)
        compact = (
            self.channel == "whatsapp"
            and self.language in ("en", "id", "ms")
            and m.amount >= 1_000_000
            and m.amount % 100_000 == 0
        )
        return format_money(m, self.money_locale, compact=compact)

    def date(self, d: date, *, year: bool = True) -> str:
        return local_date(d, self.language, self.account.country, year=year)

    def pct(self, ratio: float) -> str:
        return f"{round(ratio * 100)}%"

    # --- people ----------------------------------------------------------------------

    @cached_property
    def people(self) -> tuple[Person, ...]:
        today = self.assessment.today
        current = self.data.current_contacts(today)
        current.sort(key=lambda c: (not c.is_champion, not c.is_decision_maker))
        return tuple(
            address(
                c.name,
                c.role,
                self.account.country,
                self.language,
                salutation=c.salutation,
                gender=c.gender,
                champion=c.is_champion,
                decision_maker=c.is_decision_maker,
            )
            for c in current
        )

    @property
    def contact(self) -> Person | None:
        return self.people[0] if self.people else None

    @property
    def sponsor(self) -> Person | None:
        """The decision maker beside the champion, brought in where decisions are made together."""
        return next((p for p in self.people[1:] if p.decision_maker), None)

    # --- derived numbers ---------------------------------------------------------------

    @cached_property
    def latest(self) -> UsagePoint | None:
        usage = [u for u in self.data.usage if u.date <= self.assessment.today]
        return usage[-1] if usage else None

    @property
    def active_users(self) -> int:
        return self.latest.active_users if self.latest else 0

    @cached_property
    def per_user(self) -> Money | None:
        """The investment per active user: how a price reads against the team that benefits."""
        best = self.best
        if not best or not self.active_users or best.price.amount <= 0:
            return None
        return Money(round_sig(best.price.amount / self.active_users), best.price.currency)

    @property
    def follow_up(self) -> dt.date:  # `date` here would be the method below
        return self.assessment.approach.follow_up_on

    @property
    def smaller_seats(self) -> int:
        return self.best.smaller_seats if self.best else 0

    @cached_property
    def season(self) -> calendar.Season | None:
        """The big holiday near the account's country today (Lebaran, Tết, Songkran…), to greet."""
        return calendar.season(self.account.country, self.assessment.today)

    @property
    def case(self) -> BusinessCase | None:
        """The best opportunity's business case (value, ROI, payback with formulas, or what to ask)."""
        return self.best.case if self.best else None

    def discounts(self) -> tuple[Discount, ...]:
        """The catalog's standing offers that fit the best opportunity and can be quoted in its currency."""
        best = self.best
        if best is None:
            return ()
        out = []
        for d in self.catalog.discounts:
            if d.months_free and best.period in ("month", "year"):
                out.append(d)
            elif d.price is not None and best.type == "upsell" and best.offering_name in d.name:
                if self.catalog.currency == self.account.currency and d.price < best.price.amount:
                    out.append(d)  # a standing package only when it costs less than the step itself
            elif d.percent is not None:
                out.append(d)
        return tuple(out)

    def matched_needs(self, code: str) -> tuple[list[str], list[str]]:
        """(tools, catalog keywords) the signals matched for an offering: trusted words only."""
        mine = [s for s in self.assessment.signals if s.offering == code]
        tools = {t: None for s in mine for t in s.tools}
        words = {k: None for s in mine for k in s.keywords}
        return list(tools), list(words)

    # --- grounds -------------------------------------------------------------------------

    def grounds(self, *, offer: bool = True) -> grounding.Grounds:
        """What a text may state for these facts; offer=False for a check-in that must not sell."""
        a, acct = self.assessment, self.account
        trusted = [s.evidence for s in a.signals]
        trusted += [e for o in a.opportunities for e in o.scores.evidence]
        trusted += [*a.timing.reasons, *a.timing.first, *a.readiness.first, a.approach.when]
        customer = [g.goal for g in self.data.goals] + [t.requested_feature for t in self.data.tickets]
        trusted = [_without(text, customer) for text in trusted]  # customer text grounds nothing
        amounts = {acct.arr}
        for o in a.opportunities:
            amounts |= {o.price.amount, o.est_value.amount}
            if o.seats_to_add:
                amounts.add(o.price.amount / o.seats_to_add)
        for off in (*self.catalog.plans, *self.catalog.add_ons, *self.catalog.products):
            for seat in (False, True):
                local = price_in(self.catalog, off, acct.currency, seat=seat).amount
                amounts |= {local, local * 12, (off.seat_price if seat else off.price) or 0}
        amounts |= {d.price for d in self.catalog.discounts if d.price}
        if self.per_user:
            amounts.add(self.per_user.amount)
        amounts |= value.assessment_figures(a)
        ratios = {x for o in a.opportunities for x in (o.case.roi, o.case.payback_months) if x}
        percents: set[float] = {round(self.latest.feature_adoption * 100)} if self.latest else set()
        percents |= {q.percent for q in a.quotes if q.percent is not None}  # results they measured
        counts = {acct.seats_purchased or 0, acct.locations or 0, acct.health_score, self.active_users, 1}
        counts |= {o.smaller_seats for o in a.opportunities}
        counts |= {d.months_free or 0 for d in self.catalog.discounts}
        if self.latest:
            counts.add(self.latest.power_users)
        for o in a.opportunities:
            counts |= {o.seats_to_add, (acct.seats_purchased or 0) + o.seats_to_add}
        for key in ("users_from", "users_to", "actions_from", "actions_to", "users_next_quarter"):
            if key in a.trajectory:
                counts.add(round(a.trajectory[key]))
        for key in ("users_growth", "actions_growth"):
            if key in a.trajectory:
                percents.add(round(a.trajectory[key] * 100))
        for text in trusted:
            percents |= {round(float(v)) for m in grounding.PERCENT.finditer(text) for v in _nums(m["n"])}
            counts |= {int(v) for n in re.findall(grounding.NUM, text) for v in _nums(n) if v == int(v)}
        dates = {a.today, acct.start_date, self.follow_up}
        dates |= {d for d in (acct.renewal_date, a.timing.revisit_on) if d}
        dates |= {follow for _, follow in a.timing.trials}  # a maybe's trial: its follow-up date
        dates |= {g.achieved_on for g in self.data.goals if g.achieved_on}
        dates |= {t.date for t in self.data.tickets} | {o.recorded_on for o in self.data.outcomes}
        dates |= {c.since for c in self.data.contacts if c.since}
        if self.language == "th":  # Thai text writes the Buddhist-Era year
            dates |= {b for b in map(buddhist_era, dates) if b}
        dates |= {date.fromisoformat(d) for t in trusted for d in re.findall(r"\d{4}-\d{2}-\d{2}", t)}
        banned: tuple[str, ...] = ()
        if not offer:
            banned = tuple(o.offering_name for o in a.opportunities if o.type != "seats")
        own = grounding.fold(acct.name)
        return grounding.Grounds(
            amounts=frozenset(float(x) for x in amounts if x),
            percents=frozenset(float(p) for p in percents),
            counts=frozenset(int(c) for c in counts),
            dates=frozenset(dates),
            discount_names=tuple(d.name for d in self.catalog.discounts),
            discount_percents=frozenset(float(d.percent) for d in self.catalog.discounts if d.percent),
            months_free=frozenset(d.months_free for d in self.catalog.discounts if d.months_free),
            other_accounts=tuple(n for n in self.other_accounts if grounding.fold(n) not in own),
            banned=banned,
            refs=frozenset(grounding.refs_in(" ".join([*trusted, *acct.tools]))),
            ratios=frozenset(ratios),
            allow_amounts=offer,
        )


def _without(text: str, quoted: list[str]) -> str:
    """A trusted sentence without the customer's own words it quotes (a goal, a requested feature)."""
    for q in quoted:
        if q:
            text = text.replace(q, "")
    return text


def _nums(token: str) -> set[float]:
    return grounding.number_values(token)
