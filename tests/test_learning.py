"""Learning from outcomes: a signal's strength moves toward what it converts, only with enough outcomes."""

from __future__ import annotations

from builders import TODAY, account, catalog, data, days, ticket, usage
from sqlalchemy import Engine, select

from playbooks.assess import assess
from playbooks.learning import Decided, Learned, adjusted_strength, observe
from playbooks.model import Signal
from storage import models as db
from storage.db import session_scope
from storage.tracking import learned


def history(signal: str, type_: str, country: str, won: int, lost: int) -> list[Decided]:
    return [Decided((signal,), type_, country, True)] * won + [
        Decided((signal,), type_, country, False)
    ] * lost


def asking_for_tier2():
    """An ID account on Tier 1 asking twice for a Tier 2 feature: a feature-limit upsell."""
    return data(
        account(country="ID"),
        usage=usage([10, 11, 12, 12], adoption=0.8),
        tickets=(
            ticket(10, "Consolidated reports?", feature="consolidated_reports"),
            ticket(40, "Multi-outlet view", feature="multi_location"),
        ),
    )


def test_a_signal_that_converts_far_better_is_raised_and_one_that_converts_badly_is_lowered() -> None:
    taught = observe(
        history("feature_limit", "upsell", "ID", 12, 2) + history("usage_growth", "upsell", "ID", 1, 13)
    )
    strong = Signal("feature_limit", 7, "2 requests")
    weak = Signal("usage_growth", 5, "users up")
    # shrunk toward the playbook's 40%: (12 + 10·0.4) / (14 + 10) = 0.667 → +3 points (capped at 3)
    assert adjusted_strength(strong, "upsell", "ID", taught) == (
        10,
        "feature limit signals converted 12 of 14 in ID (upsell, playbook ~40%): strength 7→10",
    )
    # (1 + 4) / 24 = 0.208 → −2 points
    assert adjusted_strength(weak, "upsell", "ID", taught)[0] == 3
    # another country, or another offer type, has learned nothing
    assert adjusted_strength(strong, "upsell", "SG", taught) == (7, "")
    assert adjusted_strength(strong, "seats", "ID", taught) == (7, "")


def test_a_handful_of_outcomes_moves_nothing_and_just_enough_moves_little() -> None:
    few = observe(history("feature_limit", "upsell", "ID", 7, 0))  # below the threshold of 8
    assert adjusted_strength(Signal("feature_limit", 7, ""), "upsell", "ID", few) == (7, "")
    enough = observe(history("feature_limit", "upsell", "ID", 8, 0))  # 8 of 8: (8 + 4) / 18 = 0.667
    strength, why = adjusted_strength(Signal("feature_limit", 7, ""), "upsell", "ID", enough)
    assert strength == 10 and "8 of 8" in why


def test_with_no_outcomes_the_scores_are_exactly_todays() -> None:
    d = asking_for_tier2()
    assert assess(d, catalog(), TODAY, Learned({})) == assess(d, catalog(), TODAY)
    assert assess(d, catalog(), TODAY, observe([])) == assess(d, catalog(), TODAY, None)


def test_the_engine_reranks_with_the_learned_strength_and_says_why() -> None:
    d = asking_for_tier2()
    before = assess(d, catalog(), TODAY)
    tier2 = next(o for o in before.opportunities if o.offering == "tier2")
    taught = observe(history("feature_limit", "upsell", "ID", 1, 13))
    after = assess(d, catalog(), TODAY, taught)
    learned_tier2 = next(o for o in after.opportunities if o.offering == "tier2")
    assert learned_tier2.scores.composite < tier2.scores.composite
    assert learned_tier2.scores.evidence[-1].startswith(
        "learned: feature limit signals converted 1 of 14 in ID"
    )


def test_learning_reads_the_decided_opportunities_from_the_database(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(
            db.Account(
                account_id="A1", name="A", country="ID", plan="tier1", currency="IDR", arr=1, start_date=days(400),
                health_score=80, csm_email="x@example.com", team="t",
            )
        )  # fmt: skip
        for i, status in enumerate(["closed_won", "closed_lost", "closed_won", "identified"]):
            s.add(
                db.Opportunity(
                    account_id="A1", type="upsell", offering=f"o{i}", status=status, owner_email="x@example.com",
                    signals=["feature_limit", "power_users"], created_on=days(90),
                )
            )  # fmt: skip
    with session_scope(engine) as s:
        taught = learned(s)
        assert taught.counts == {
            ("feature_limit", "upsell", "ID"): (2, 3),
            ("power_users", "upsell", "ID"): (2, 3),
        }
        assert len(list(s.scalars(select(db.Opportunity)))) == 4  # recomputed, nothing stored


def test_the_demo_history_visibly_adjusts_a_score_with_its_evidence(engine: Engine) -> None:
    from conftest import TODAY as DEMO_DAY

    from handlers.commands import Command
    from handlers.context import Context
    from handlers.dispatch import handle
    from storage.demo import load_demo

    load_demo(engine, DEMO_DAY, history=False)
    plain = handle(Command("expansion", account="ID-003"), Context(engine=engine, today=DEMO_DAY))
    load_demo(engine, DEMO_DAY)  # the same portfolio with its twelve months of outcomes
    taught = handle(Command("expansion", account="ID-003"), Context(engine=engine, today=DEMO_DAY))
    before, after = plain.data["opportunities"][0], taught.data["opportunities"][0]
    assert before["offering"] == after["offering"] == "accounting"
    assert after["scores"]["composite"] < before["scores"]["composite"]  # accounting converts 2 of 8 in ID
    assert "learned: cross sell signals converted 2 of 8 in ID" in taught.text
