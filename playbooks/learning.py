"""Learning from outcomes: what each signal actually converts, per offer type and country.

Recomputed from the decided opportunities every time, never stored: a signal's strength moves toward
its observed conversion, shrunk toward the playbook's reported rate so that a handful of outcomes moves
it little. Below the threshold of outcomes nothing changes, so with no history scores are exactly the
playbook's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from playbooks.config import thresholds
from playbooks.model import Opportunity, Signal
from playbooks.scoring import priority, score

Key = tuple[str, str, str]  # signal, offer type, country


@dataclass(frozen=True)
class Decided:
    """One closed opportunity: the signals that raised it, what was offered, where, and whether it won."""

    signals: tuple[str, ...]
    type: str
    country: str
    won: bool


@dataclass(frozen=True)
class Conversion:
    signal: str
    type: str
    country: str
    won: int
    closed: int

    @property
    def rate(self) -> float:
        return self.won / self.closed if self.closed else 0.0


@dataclass(frozen=True)
class Learned:
    """Observed conversion per signal, offer type and country."""

    counts: dict[Key, tuple[int, int]]  # (won, closed)

    def table(self) -> list[Conversion]:
        return [Conversion(*k, *v) for k, v in sorted(self.counts.items())]


def observe(history: Iterable[Decided]) -> Learned:
    counts: dict[Key, tuple[int, int]] = {}
    for d in history:
        for name in set(d.signals):
            won, closed = counts.get((name, d.type, d.country), (0, 0))
            counts[(name, d.type, d.country)] = (won + d.won, closed + 1)
    return Learned(counts)


def adjusted_strength(signal: Signal, type_: str, country: str, learned: Learned) -> tuple[int, str]:
    """The signal's strength after what it converted, and the evidence ("" when unchanged)."""
    cfg = thresholds()["learning"]
    won, closed = learned.counts.get((signal.name, type_, country), (0, 0))
    if closed < cfg["min_outcomes"]:
        return signal.strength, ""
    prior = cfg["prior_conversion"][type_]
    weight = cfg["prior_weight"]
    shrunk = (won + weight * prior) / (closed + weight)
    step = round(cfg["points_per_rate"] * (shrunk - prior))
    step = max(-cfg["max_step"], min(cfg["max_step"], step))
    new = max(1, min(10, signal.strength + step))
    words = signal.name.replace("_", " ")
    evidence = (
        f"{words} signals converted {won} of {closed} in {country} ({type_.replace('_', '-')}, "
        f"playbook ~{round(prior * 100)}%)"
    )
    if new == signal.strength:
        return new, f"{evidence}: strength stays {new}"
    return new, f"{evidence}: strength {signal.strength}→{new}"


def apply(
    opportunities: tuple[Opportunity, ...], country: str, learned: Learned | None, timing: int, why: str
) -> tuple[Opportunity, ...]:
    """Each opportunity re-scored with its signals' learned strengths, best first again."""
    if not learned or not learned.counts:
        return opportunities
    out = []
    for o in opportunities:
        signals, notes = [], []
        for s in o.signals:
            strength, note = adjusted_strength(s, o.type, country, learned)
            signals.append(replace(s, strength=strength))
            if note:
                notes.append(f"learned: {note}")
        if not notes:
            out.append(o)
            continue
        scores = score(tuple(signals), timing, why)
        scores = replace(scores, evidence=scores.evidence + tuple(notes))
        out.append(replace(o, signals=tuple(signals), scores=scores, priority=priority(scores.composite)))
    return tuple(sorted(out, key=lambda o: (-o.scores.composite, -o.est_value.amount)))
