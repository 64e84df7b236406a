"""The business case in a phrase bank's language: its value and payback, its ROI, or what to ask."""

from __future__ import annotations

from typing import Any

from prompts.facts import Facts
from prompts.offline.text import extend, fill, say


def case_values(f: Facts, bank: dict[str, Any]) -> dict[str, str]:
    """{case_value, roi, payback} for the best opportunity's case; empty when it has no figures."""
    case = f.case
    if case is None or not case.yearly_value or not case.roi:
        return {}
    out = {"case_value": f.money(case.yearly_value), "roi": _decimal(case.roi, bank)}
    if case.payback_months:
        out["payback"] = _decimal(case.payback_months, bank)
    return out


def business_case(f: Facts, bank: dict[str, Any], v: dict[str, Any], key: str, slot: str) -> str:
    """The value and payback (slot `worth`, a proposal's value paragraph) or the ROI (`objection`), or
    the question that would give the value a figure when the catalog and the account do not."""
    c = bank["business_case"]
    w = v | case_values(f, bank)
    if "case_value" not in w:
        return say(c["ask"], key, w)
    soon = "payback" in w and f.case is not None and (f.case.payback_months or 0) < 1
    tail = c[f"{slot}_payback_soon"] if soon else c[f"{slot}_payback"] if "payback" in w else ""
    return extend(say(c[slot], key, w), fill(tail, w))  # Thai sentences have no final full stop


def _decimal(x: float, bank: dict[str, Any]) -> str:
    """17.3, or 17,3 where the language writes a decimal comma."""
    return f"{x:g}".replace(".", bank["business_case"]["decimal"])
