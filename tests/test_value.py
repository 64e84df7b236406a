"""The business case, computed by hand: yearly value, ROI and payback for drivers per location, per
user and per account, against one-time, monthly and yearly prices; and the grounding of its figures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from builders import TODAY, account, data, ticket, usage

from playbooks.assess import assess
from playbooks.catalog import CatalogError, parse_catalog
from playbooks.model import Catalog, Money, Opportunity
from playbooks.money import format_money, locale_for
from prompts import grounding
from prompts.facts import Facts
from prompts.offline.brief import write_brief
from prompts.offline.draft import write_draft
from prompts.offline.objection import write_objection


def shop(value: dict[str, Any], **extra: Any) -> Catalog:
    """A small IDR catalog: a one-time plan step, a monthly product and a yearly add-on."""
    return parse_catalog(
        {
            "currency": "IDR",
            "plans": [
                {"code": "basic", "name": "Basic", "price": 4_500_000, "features": ["dashboard"]},
                {
                    "code": "pro",
                    "name": "Pro",
                    "price": 9_000_000,
                    "features": ["dashboard", "multi_location"],
                },
            ],
            "products": [
                {
                    "code": "cloud",
                    "name": "Cloud",
                    "price": 500_000,
                    "period": "month",
                    "needs": {"keywords": ["mobile app"]},
                    "prices": {"SGD": 45},
                },
            ],
            "add_ons": [
                {
                    "code": "ledger",
                    "name": "Ledger",
                    "price": 6_000_000,
                    "period": "year",
                    "needs": {"tools": ["Jurnal"]},
                },
            ],
            "rules": [{"from_plan": "basic", "to_plan": "pro", "when": {"locations_at_least": 3}}],
            "hourly_cost": {"ID": 75_000, "SG": 40},
            "value": value,
            **extra,
        }
    )


def best(cat: Catalog, offering: str, **acct: Any) -> Opportunity:
    tickets = (ticket(10, "Is there a mobile app?"),)
    d = data(account(plan="basic", tools=("Jurnal",), **acct), usage=usage([12, 12, 12, 12]), tickets=tickets)
    return next(o for o in assess(d, cat, TODAY).opportunities if o.offering == offering)


HOURS_PER_OUTLET = {"driver": "hours_saved", "amount": 5, "per": "location", "period": "week"}


def test_hours_per_location_against_a_one_time_price() -> None:
    cat = shop({"pro": [HOURS_PER_OUTLET | {"unit": "outlet", "what": "consolidating outlet reports"}]})
    case = best(cat, "pro", locations=4).case
    assert case.yearly_value and case.yearly_value.amount == 5 * 4 * 52 * 75_000 == 78_000_000
    assert case.first_year_cost and case.first_year_cost.amount == 4_500_000  # Pro minus Basic, once
    assert case.roi == 17.3  # 78M / 4.5M
    assert case.payback_months == 0.7  # 4.5M / 6.5M a month
    assert case.evidence[0] == (
        "5 h/week × 4 outlets × 52 × Rp 75.000 = Rp 78.000.000 a year (consolidating outlet reports)"
    )
    assert "= 17.3×" in case.evidence[1] and "= 0.7 months" in case.evidence[2]


def test_hours_per_active_user_against_a_monthly_price_in_the_accounts_currency() -> None:
    cat = shop({"cloud": [{"driver": "hours_saved", "amount": 1, "per": "active_user", "period": "month",
                           "what": "sending reports by hand"}]})  # fmt: skip
    case = best(cat, "cloud", country="SG", currency="SGD").case
    assert case.yearly_value and case.yearly_value.amount == 1 * 12 * 12 * 40 == 5_760
    assert case.first_year_cost and case.first_year_cost.amount == 45 * 12  # the SGD price, 12 months
    assert case.roi == round(5_760 / 540, 1) == 10.7
    assert case.payback_months == round(45 / 480, 1) == 0.1  # a month of value covers the price
    sgd = {n: format_money(Money(n, "SGD"), locale_for("SG")) for n in (40, 45, 5_760)}  # $ or S$
    assert f"1 h/month × 12 active users × 12 × {sgd[40]} = {sgd[5_760]} a year" in case.evidence[0]
    assert f"({sgd[45]} a month × 12)" in case.evidence[1]


def test_money_per_account_against_a_yearly_price() -> None:
    cat = shop({"ledger": [{"driver": "cost_avoided", "amount": 1_000_000, "per": "account", "period": "month",
                            "what": "an outside bookkeeper"}]})  # fmt: skip
    case = best(cat, "ledger").case
    assert case.yearly_value and case.yearly_value.amount == 12_000_000
    assert case.roi == 2.0 and case.payback_months == 6.0  # 6M a year / 1M of value a month
    assert case.evidence[0] == "Rp 1.000.000/month × 12 = Rp 12.000.000 a year (an outside bookkeeper)"


def test_a_subscription_whose_value_does_not_cover_its_price_promises_no_payback() -> None:
    cat = shop({"cloud": [{"driver": "cost_avoided", "amount": 200_000, "per": "account", "period": "month",
                           "what": "printing reports"}]})  # fmt: skip
    case = best(cat, "cloud").case
    assert case.roi == 0.4 and case.payback_months is None
    assert any("does not yet cover the price" in a for a in case.ask)


def test_without_drivers_or_numbers_nothing_is_invented_and_the_case_says_what_to_ask() -> None:
    none = best(shop({}), "pro", locations=4).case
    assert none.yearly_value is None and none.roi is None and none.evidence == ()
    assert "ask what Pro would change for them" in none.ask[0]
    unknown = best(shop({"pro": [HOURS_PER_OUTLET | {"what": "reports"}]}), "ledger").case
    assert unknown.ask  # the ledger has no drivers: ask
    no_rate = best(shop({"pro": [HOURS_PER_OUTLET | {"what": "reports"}]}), "pro", country="VN",
                   currency="VND", locations=4).case  # fmt: skip
    assert no_rate.roi is None and "what a staff hour costs them" in no_rate.ask[0]


def test_a_money_driver_without_an_amount_in_the_accounts_currency_asks_for_it() -> None:
    cat = shop({"cloud": [{"driver": "cost_avoided", "amount": 300_000, "per": "account", "period": "month",
                           "what": "report fixes"}]})  # fmt: skip
    case = best(cat, "cloud", country="SG", currency="SGD").case
    assert case.yearly_value is None and "what report fixes costs them a month, in SGD" in case.ask[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"nope": []}, "value.nope: unknown offering code"),
        ({"pro": [{"driver": "fun", "amount": 1, "per": "account", "period": "week", "what": "x"}]},
         "value.pro[0].driver: must be one of hours_saved, cost_avoided, revenue_uplift"),
        ({"pro": [{"driver": "hours_saved", "amount": 1, "per": "outlet", "period": "week", "what": "x"}]},
         "value.pro[0].per: must be one of location, active_user, account"),
        ({"pro": [{"driver": "hours_saved", "amount": -1, "per": "account", "period": "week", "what": "x"}]},
         "value.pro[0].amount: must be a number ≥ 0"),
        ({"pro": [{"driver": "hours_saved", "amount": 1, "per": "account", "period": "week"}]},
         "value.pro[0].what: required"),
    ],
)  # fmt: skip
def test_a_bad_value_driver_is_refused_with_its_place(value: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        shop(value)


def test_roi_sentences_pass_the_grounding_check_and_an_invented_roi_is_refused() -> None:
    cat = shop({"pro": [HOURS_PER_OUTLET | {"unit": "outlet", "what": "consolidating outlet reports"}]})
    d = data(account(plan="basic", locations=4), usage=usage([12, 12, 12, 12]))
    f = Facts(assess(d, cat, TODAY), d, cat)
    assert f.best is not None and f.best.offering == "pro"
    g = f.grounds()
    told = "On your own numbers it is worth about Rp 78.000.000 a year, an ROI of 17.3× in the first year."
    assert grounding.check(told, g) == []
    assert grounding.check("Investasinya kembali dalam sekitar 0,7 bulan.", g) == []
    assert grounding.check("It pays back in about 2 months, an ROI of 20× a year.", g) == [
        "ROI not in the facts: 20×",
        "payback not in the facts: 2 months",
    ]
    assert grounding.check("Worth about Rp 90.000.000 a year to you.", g) == [
        "amount not in the facts: Rp 90.000.000"
    ]


def kopi(cat: Catalog, language: str = "en", channel: str = "email") -> Facts:
    """Four outlets on Tier 1 asking for consolidated reports: the Tier 2 upsell."""
    d = data(account(plan="basic", locations=4), usage=usage([12, 12, 12, 12], power=4, adoption=0.95))
    return Facts(assess(d, cat, TODAY), d, cat, language=language, channel=channel)


WITH_CASE = {"pro": [HOURS_PER_OUTLET | {"unit": "outlet", "what": "consolidating outlet reports"}]}
VALUE_WORDS = {"en": "worth about {} a year", "id": "sekitar {} per tahun", "ms": "kira-kira {} setahun"}
ASK_WORDS = {"en": r"How much time does your team spend|what this costs your team today in hours",
             "id": "Berapa jam per minggu", "ms": "Berapa jam seminggu"}  # fmt: skip


@pytest.mark.parametrize("channel", ["email", "whatsapp"])
@pytest.mark.parametrize("language", ["en", "id", "ms"])
def test_every_proposal_and_budget_answer_carries_the_case_before_the_price(
    language: str, channel: str
) -> None:
    f = kopi(shop(WITH_CASE), language, channel)
    worth = VALUE_WORDS[language].format(f.money(Money(78_000_000, "IDR")))  # in the language's own format
    body = write_draft(f).body
    assert worth in body
    assert body.index(worth) < body.index(f.money(f.best.price))  # the value, then the price
    budget = write_objection(f, "budget")
    assert worth in budget.evidence[0] and re.search(r"ROI (of )?17[.,]3×", budget.evidence[0])
    for text in (body, budget.message):
        assert grounding.check(text, f.grounds()) == []


@pytest.mark.parametrize("language", ["en", "id", "ms"])
def test_without_value_drivers_the_texts_ask_instead_of_inventing(language: str) -> None:
    f = kopi(shop({}), language)
    body = write_draft(f).body
    assert re.search(ASK_WORDS[language], body) and "ROI" not in body
    assert re.search(ASK_WORDS[language], " ".join(write_objection(f, "budget").diagnose))
    brief = write_brief(kopi(shop({})))
    assert any(p.startswith("Business case missing: ask what Pro would change") for p in brief.value_points)


def test_the_brief_shows_each_figure_with_its_formula() -> None:
    points = write_brief(kopi(shop(WITH_CASE))).value_points
    assert "Business case: 5 h/week × 4 outlets × 52 × Rp 75.000 = Rp 78.000.000 a year" in " ".join(points)
    assert any("= 17.3×" in p for p in points) and any("= 0.7 months" in p for p in points)
