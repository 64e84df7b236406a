"""The playbook's score: signal, fit and timing 1–10, the weighted composite, the priority band."""

from __future__ import annotations

from playbooks.config import thresholds
from playbooks.model import Priority, Scores, Signal

# Signals that show the customer stating the pain themselves: the fit is "solves a stated pain".
STATED = {"feature_limit"}


def signal_score(signals: tuple[Signal, ...]) -> int:
    """The strongest signal, one point more when independent signals agree."""
    best = max(s.strength for s in signals)
    return min(10, best + (len({s.name for s in signals}) >= 2))


def fit_score(signals: tuple[Signal, ...]) -> tuple[int, str]:
    names = {s.name for s in signals}
    cross = [s for s in signals if s.name == "cross_sell"]
    seats = next((s for s in signals if s.name == "seat_utilization"), None)
    if names & STATED or any(int(s.data.get("mentions", 0)) > 0 for s in cross):
        return 9, "solves a pain the customer stated"
    if seats and float(seats.data.get("utilization", 0)) >= 0.9:
        return 9, "the need is obvious: seats nearly full"
    if names & {"power_users", "seat_utilization", "catalog_rule"}:
        return 8, "clear value from how they already work"
    if cross:
        return 7, "adjacent need: tools they already use"
    if names & {"usage_growth", "business_growth"}:
        return 6, "nice to have as they grow"
    return 5, "value not yet shown by usage"


def composite(signal: int, fit: int, timing: int) -> float:
    w = thresholds()["scoring"]["weights"]
    return round(w["signal"] * signal + w["fit"] * fit + w["timing"] * timing, 1)


def priority(score: float) -> Priority:
    bands = thresholds()["scoring"]["bands"]
    if score >= bands["high"]:
        return "high"
    if score >= bands["medium"]:
        return "medium"
    return "low" if score >= bands["low"] else "do_not_pursue"


def score(signals: tuple[Signal, ...], timing: int, timing_why: str) -> Scores:
    s = signal_score(signals)
    f, fit_why = fit_score(signals)
    return Scores(
        signal=s,
        fit=f,
        timing=timing,
        composite=composite(s, f, timing),
        evidence=(
            f"signal {s}: {signals[0].evidence}",
            f"fit {f}: {fit_why}",
            f"timing {timing}: {timing_why}",
        ),
    )
