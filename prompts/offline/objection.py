"""Offline objection answers: acknowledge, diagnose, own evidence, catalog-only options, a next step."""

from __future__ import annotations

from typing import Any

from prompts.facts import Facts
from prompts.offline.case import business_case
from prompts.offline.draft import CHAT_LIMIT, closing, greeting
from prompts.offline.text import bank, cap_chars, fill, say, spelled, tone
from prompts.offline.values import evidence, values
from prompts.schema import ObjectionAnswer

OPTIONS = {
    "budget": ("smaller", "terms", "later", "trial", "discounts"),
    "happy": ("demo", "trial", "check_back"),
    "think": ("roi", "demo", "trial"),
}
NOT_NOW = ("help", "check_back")  # the timing says not now: help first, sell nothing, quote no price


def write_objection(f: Facts, kind: str) -> ObjectionAnswer:
    """An answer to budget | happy | think, in the facts' language, with a message ready to send."""
    b = bank(f.language)
    o = b["objection"]
    v = values(f, b)
    t = tone(f.account.country)
    key = f"{f.account.account_id}:{f.language}:{kind}"
    acknowledge = say(o[kind]["acknowledge"], key, v)
    diagnose = [fill(q, v) for q in o[kind]["diagnose"]]
    proof = evidence(f, b, v, 2, f"objection-{kind}")
    if kind == "budget" and f.mode == "proposal":  # unclear ROI: the value calculation and payback
        if f.case and f.case.roi:
            proof = [business_case(f, b, v, key, "objection"), *proof[:1]]
        else:
            diagnose.append(business_case(f, b, v, key, "objection"))
    options = _options(f, o["options"], v, kind, key)
    pace = "patient" if f.patient else ("team" if t["register"] == "team" else "direct")
    next_step = say(o["next_step"][pace], key, v)
    if kind == "think":
        next_step += " " + say(o["respect_no"], key, v)
    lines = [
        greeting(f, b, v, chat=True),
        acknowledge,
        "\n".join([say(o["evidence_intro"], key, v)] + [f"• {p}" for p in proof]) if proof else "",
        "\n".join([say(o["options_intro"], key, v)] + [f"• {x}" for x in options]) if options else "",
        diagnose[0],
        next_step,
        *closing(f, b, v, chat=True),  # the answer is sent as a chat message whatever the draft's channel
    ]
    message = spelled(cap_chars(lines, [2, 4], CHAT_LIMIT["whatsapp"]), f.account.country)
    return ObjectionAnswer(
        acknowledge=acknowledge,
        diagnose=diagnose,
        evidence=proof,
        options=options,
        next_step=next_step,
        message=message,
    )


def _options(f: Facts, bank_options: dict[str, Any], v: dict[str, Any], kind: str, key: str) -> list[str]:
    """Only non-price levers and the catalog's standing offers, never an invented discount."""
    best = f.best
    out = []

    def add(name: str, values: dict[str, Any]) -> None:
        out.append(say(bank_options[name], f"{key}:{name}", values))

    for name in OPTIONS[kind] if f.mode == "proposal" else NOT_NOW:
        if name == "smaller" and best:
            if best.type == "seats" and f.smaller_seats < best.seats_to_add:
                add("smaller_seats", v)
            else:
                add("monthly" if best.period == "month" else "smaller", v)
        elif name in ("terms", "later") and best:
            add(name, v)
        elif name == "trial" and best and best.type != "seats":
            add("trial", v)
        elif name == "discounts":
            for d in f.discounts():
                if d.months_free:
                    add("months_free", {"name": d.name, "months": d.months_free})
                elif d.price is not None:
                    add("price", {"name": d.name, "price": f.money(d.price)})
                elif d.percent is not None:
                    add("percent", {"name": d.name, "percent": f"{d.percent:g}"})
        elif name in ("demo", "roi", "check_back", "help"):
            add(name, v)
    return out
