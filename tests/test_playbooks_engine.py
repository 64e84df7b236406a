"""The engine's rules, one behaviour at a time, on hand-built accounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from builders import TODAY, account, catalog, data, days, goal, outcome, ticket, usage

from playbooks.assess import assess
from playbooks.model import Contact
from playbooks.scoring import composite, priority
from playbooks.signals import seats_to_add


def names(a) -> set[str]:
    return {s.name for s in a.signals}


def opp(a, type_):
    return next(o for o in a.opportunities if o.type == type_)


def test_quiet_healthy_account_has_no_opportunity():
    a = assess(data(), catalog(), TODAY)
    assert a.signals == () and a.opportunities == ()
    assert a.timing.ok


def test_power_users_point_at_the_next_tier_with_their_numbers():
    a = assess(data(usage=usage([10, 10, 10, 10], power=3, adoption=0.95)), catalog(), TODAY)
    sig = next(s for s in a.signals if s.name == "power_users")
    assert "3 of 10 active users" in sig.evidence and "95%" in sig.evidence
    up = opp(a, "upsell")
    assert up.offering == "tier2"
    assert up.est_value.amount == 4_500_000 and up.est_value.currency == "IDR"  # Rp 9M - Rp 4.5M


def test_adoption_below_90_percent_is_not_a_power_user_signal():
    a = assess(data(usage=usage([10, 10, 10, 10], power=3, adoption=0.85)), catalog(), TODAY)
    assert "power_users" not in names(a)


def test_two_requests_for_a_higher_tier_feature_are_strong_and_explicit_is_strongest():
    one = data(tickets=(ticket(20, "Outlets", feature="multi_location"),))
    two = data(
        tickets=(
            ticket(20, "Outlets", feature="multi_location"),
            ticket(10, "Again", feature="consolidated_reports"),
        )
    )
    asked = data(tickets=(ticket(20, "Outlets", kind="feature_request", feature="multi_location"),))
    strength = {
        k: next(s.strength for s in assess(d, catalog(), TODAY).signals if s.name == "feature_limit")
        for k, d in {"one": one, "two": two, "asked": asked}.items()
    }
    assert strength == {"one": 7, "two": 8, "asked": 9}


def test_feature_requests_older_than_90_days_do_not_count():
    a = assess(data(tickets=(ticket(120, "Outlets", feature="multi_location"),)), catalog(), TODAY)
    assert "feature_limit" not in names(a)


def test_feature_already_in_the_plan_is_not_a_limit():
    a = assess(data(tickets=(ticket(10, "Dash", feature="dashboard"),)), catalog(), TODAY)
    assert "feature_limit" not in names(a)


def test_seat_utilisation_over_80_percent_proposes_20_to_50_percent_more_seats():
    a = assess(data(usage=usage([14, 15, 15, 18])), catalog(), TODAY)
    sig = next(s for s in a.signals if s.name == "seat_utilization")
    assert "18 of 20 seats" in sig.evidence and "+3 users" in sig.evidence
    seats = opp(a, "seats")
    assert 4 <= seats.seats_to_add <= 10
    assert seats.est_value.amount == seats.seats_to_add * 300_000


def test_seats_cover_the_trajectory_within_bounds():
    assert seats_to_add(20, 19) == 5  # at least 20%, rounded to a tidy 5
    assert seats_to_add(20, 27) == 10  # enough for the projected 27 users
    assert seats_to_add(20, 80) == 10  # never more than 50%


def test_80_percent_exactly_does_not_fire():
    a = assess(data(usage=usage([16, 16, 16, 16])), catalog(), TODAY)
    assert "seat_utilization" not in names(a)


def test_usage_growth_projects_the_next_quarter():
    a = assess(
        data(
            account(seats_purchased=None), usage=usage([9, 10, 11, 12, 14], actions=[480, 500, 560, 630, 700])
        ),
        catalog(),
        TODAY,
    )
    sig = next(s for s in a.signals if s.name == "usage_growth")
    assert "active users 10→14" in sig.evidence and "actions 500→700" in sig.evidence
    assert sig.data["projected_users"] == 20  # 10→14 in three months ⇒ ~20 next quarter


def test_goal_achieved_recently_is_a_signal_and_a_milestone_moment():
    a = assess(data(goals=(goal("Cut reporting time in half", ago=10),)), catalog(), TODAY)
    assert "goal_achieved" in names(a)
    assert "post_milestone" in a.timing.moments
    assert opp(a, "upsell").scores.timing >= 9


def test_old_goal_is_not_a_signal():
    a = assess(data(goals=(goal("Old win", ago=200),)), catalog(), TODAY)
    assert "goal_achieved" not in names(a)


def test_catalog_rule_three_outlets_moves_tier1_to_tier2():
    a = assess(data(account(locations=3)), catalog(), TODAY)
    sig = next(s for s in a.signals if s.name == "catalog_rule")
    assert "3 locations" in sig.evidence and sig.offering == "tier2"
    assert "catalog_rule" not in names(assess(data(account(locations=2)), catalog(), TODAY))


def test_tools_in_use_make_an_add_on_and_ticket_words_a_cross_sell():
    a = assess(
        data(account(tools=("Jurnal",)), tickets=(ticket(5, "Need a custom metric"),)), catalog(), TODAY
    )
    assert opp(a, "add_on").offering == "accounting"
    support = opp(a, "cross_sell")
    assert support.offering == "support"
    assert support.est_value.amount == 12 * 500_000  # first-year value of a monthly product
    assert support.price.amount == 500_000 and support.period == "month"


def test_local_prices_are_used_for_an_account_in_another_currency():
    a = assess(data(account(country="SG", currency="SGD", locations=3)), catalog(), TODAY)
    up = opp(a, "upsell")
    assert up.est_value.currency == "SGD" and up.est_value.amount == 390  # S$780 - S$390


def test_composite_is_weighted_and_banded():
    assert composite(10, 9, 10) == 9.5
    assert [priority(x) for x in (8.0, 7.9, 6.0, 5.9, 4.0, 3.9)] == [
        "high",
        "medium",
        "medium",
        "low",
        "low",
        "do_not_pursue",
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"acct": account(health_score=55)}, "at risk"),
        ({"acct": account(start_date=TODAY - timedelta(days=30))}, "too new"),
        ({"outcomes": (outcome("no", 40, "no budget this year"),)}, "said no"),
        ({"tickets": (ticket(10, "Plans", "There is a budget freeze until March"),)}, "budget freeze"),
        ({"usage": usage([20, 20, 20, 20, 16, 12])}, "declining engagement"),
    ],
)
def test_timing_guard_blocks_with_the_reason(change, reason):
    acct = change.pop("acct", account(locations=3))
    a = assess(data(acct, **change), catalog(), TODAY)
    assert not a.timing.ok
    assert any(r.startswith(reason) for r in a.timing.reasons), a.timing.reasons
    assert a.timing.first  # says what must happen first
    assert all(o.priority == "do_not_pursue" for o in a.opportunities)


def test_at_risk_timing_score_is_one_or_two():
    a = assess(data(account(health_score=45, locations=3)), catalog(), TODAY)
    assert opp(a, "upsell").scores.timing == 1


def test_a_no_is_revisited_after_six_months():
    a = assess(data(account(locations=3), outcomes=(outcome("no", 200),)), catalog(), TODAY)
    assert a.timing.ok
    blocked = assess(data(account(locations=3), outcomes=(outcome("no", 100),)), catalog(), TODAY)
    assert blocked.timing.revisit_on == days(100) + timedelta(days=182)


def test_a_maybe_offers_a_trial_and_does_not_block():
    a = assess(data(account(locations=3), outcomes=(outcome("maybe", 10),)), catalog(), TODAY)
    assert a.timing.ok and a.timing.trial_offered


def test_renewal_in_60_to_90_days_is_a_good_moment():
    a = assess(data(account(renewal_date=TODAY + timedelta(days=75), locations=3)), catalog(), TODAY)
    assert "pre_renewal" in a.timing.moments
    assert opp(a, "upsell").scores.timing == 8


def test_champion_gone_lowers_timing_and_readiness_names_it():
    contacts = (Contact("Niran", "Director", is_champion=True, since=days(600), left_on=days(30)),)
    a = assess(data(account(locations=3), contacts=contacts), catalog(), TODAY)
    assert opp(a, "upsell").scores.timing == 4
    assert not a.readiness.ready and any("champion" in f for f in a.readiness.first)


def test_low_adoption_is_not_ready_and_says_what_first():
    a = assess(data(usage=usage([10, 10, 10, 10], adoption=0.45)), catalog(), TODAY)
    assert not a.readiness.ready
    assert "adoption to 70%+ (now 45%)" in a.readiness.first


def test_consensus_country_engages_several_stakeholders():
    contacts = (
        Contact("Andi", "Finance Manager", is_champion=True, since=days(300)),
        Contact("Sari", "Owner", is_decision_maker=True, since=days(400)),
    )
    a = assess(data(account(locations=3), contacts=contacts), catalog(), TODAY)
    assert "Andi" in a.approach.who and "Sari" in a.approach.who
    sg = assess(data(account(country="SG", currency="SGD", locations=3), contacts=contacts), catalog(), TODAY)
    assert "Sari" not in sg.approach.who


def test_won_offering_is_not_offered_again():
    from playbooks.model import PastOutcome

    won = (PastOutcome("won", days(100), "", "accounting"),)
    a = assess(data(account(tools=("Accurate",)), outcomes=won), catalog(), TODAY)
    assert not any(o.offering == "accounting" for o in a.opportunities)


def with_revenue(points, revenue):
    """The same snapshots with the customer's own revenue per period (usage column `revenue`)."""
    return tuple(replace(p, revenue=r) for p, r in zip(points, revenue, strict=True))


def test_revenue_up_half_is_a_business_growth_signal_that_feeds_the_tier_offer():
    points = with_revenue(usage([10, 10, 10, 10]), [50_000_000, 60_000_000, 70_000_000, 80_000_000])
    a = assess(data(usage=points), catalog(), TODAY)
    sig = next(s for s in a.signals if s.name == "business_growth")
    assert sig.strength == 7 and sig.offering == "tier2"
    assert sig.evidence == "their own revenue up 60% in 3 months (Rp 50.000.000→Rp 80.000.000 a period)"
    assert "business_growth" in {s.name for s in opp(a, "upsell").signals}


def test_revenue_up_less_than_half_is_no_growth_signal():
    points = with_revenue(usage([10, 10, 10, 10]), [50_000_000, 55_000_000, 60_000_000, 70_000_000])
    assert "business_growth" not in names(assess(data(usage=points), catalog(), TODAY))


def test_growth_they_only_mention_is_weaker_and_feeds_the_seat_offer():
    said = ticket(20, "Kabar baik", "Omzet naik sejak pakai dashboard.", kind="conversation")
    a = assess(data(usage=usage([12, 14, 15, 18]), tickets=(said,)), catalog(), TODAY)
    sig = next(s for s in a.signals if s.name == "business_growth")
    assert sig.strength == 6  # revenue_growth_keyword_strength
    assert "“Omzet naik sejak pakai dashboard”" in sig.evidence
    assert "business_growth" in {s.name for s in opp(a, "seats").signals}
    old = ticket(120, "Kabar baik", "Omzet naik sejak pakai dashboard.", kind="conversation")
    assert "business_growth" not in names(assess(data(tickets=(old,)), catalog(), TODAY))
