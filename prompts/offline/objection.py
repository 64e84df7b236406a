"""Offline objection answers: acknowledge, diagnose, own evidence, catalog-only options, a next step."""

from __future__ import annotations

from typing import Any

from prompts.facts import Facts
from prompts.offline.draft import CHAT_LIMIT, _closing, _greeting
from prompts.offline.text import bank, cap_chars, fill, say, tone
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
    options = _options(f, o["options"], v, kind)
    pace = "patient" if f.patient else ("team" if t["register"] == "team" else "direct")
    next_step = say(o["next_step"][pace], key, v)
    if kind == "think":
        next_step += " " + say(o["respect_no"], key, v)
    chat = f.channel != "email"
    lines = [
        _greeting(f, b, v, t, chat=True),
        acknowledge,
        "\n".join([say(o["evidence_intro"], key, v)] + [f"• {p}" for p in proof]) if proof else "",
        "\n".join([say(o["options_intro"], key, v)] + [f"• {x}" for x in options]) if options else "",
        diagnose[0],
        next_step,
        *_closing(f, b, v, t, chat=chat or True),
    ]
    message = cap_chars(lines, [2, 4], CHAT_LIMIT["whatsapp"])
    return ObjectionAnswer(
        acknowledge=acknowledge,
        diagnose=diagnose,
        evidence=proof,
        options=options,
        next_step=next_step,
        message=message,
    )


def _options(f: Facts, bank_options: dict[str, str], v: dict[str, Any], kind: str) -> list[str]:
    """Only non-price levers and the catalog's standing offers, never an invented discount."""
    best = f.best
    out = []
    for name in OPTIONS[kind] if f.mode == "proposal" else NOT_NOW:
        if name == "smaller" and best:
            if best.type == "seats" and f.smaller_seats < best.seats_to_add:
                out.append(fill(bank_options["smaller_seats"], v))
            elif best.period == "month":
                out.append(fill(bank_options["monthly"], v))
            else:
                out.append(fill(bank_options["smaller"], v))
        elif name in ("terms", "later") and best:
            out.append(fill(bank_options[name], v))
        elif name == "trial" and best and best.type != "seats":
            out.append(fill(bank_options["trial"], v))
        elif name == "discounts":
            for d in f.discounts():
                if d.months_free:
                    out.append(fill(bank_options["months_free"], {"name": d.name, "months": d.months_free}))
                elif d.price is not None:
                    out.append(fill(bank_options["price"], {"name": d.name, "price": f.money(d.price)}))
                elif d.percent is not None:
                    out.append(fill(bank_options["percent"], {"name": d.name, "percent": f"{d.percent:g}"}))
        elif name in ("demo", "roi", "check_back", "help"):
            out.append(fill(bank_options[name], v))
    return out
