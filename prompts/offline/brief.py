"""The offline call-prep brief: one page of research, objectives, questions, value, objections and culture."""

from __future__ import annotations

from typing import Any

from prompts.facts import LANGUAGE_NAMES, Facts
from prompts.offline.objection import write_objection
from prompts.offline.text import bank, courtesy, fill, load
from prompts.offline.values import evidence, feature_words, values
from prompts.schema import Brief, ObjectionLine

MAX_RESEARCH = 5
CALLS = {"at_risk": "fix", "declining": "fix", "too_new": "onboarding"}  # else: value


def call_kind(f: Facts) -> str:
    """What a not-now call is for: fixing what is wrong, settling a new customer in, or staying close."""
    return CALLS.get(f.reason_keys[0], "value")


def sentiment(text: str) -> str:
    """positive | negative | neutral, from a small word list: a hint for the CSM, not a verdict."""
    lex = load("brief")["sentiment"]
    folded = text.casefold()
    score = sum(w in folded for w in lex["positive"]) - sum(w in folded for w in lex["negative"])
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def write_brief(f: Facts) -> Brief:
    """For the CSM, so in English; the opening line to say is in the customer's language."""
    en = bank("en")
    english = f.with_language("en") if f.language != "en" else f
    v = values(english, en)
    v["evidence"] = evidence(english, en, v, 3, "brief")
    data = load("brief")
    a, best = f.assessment, f.best
    mode = f.mode
    if mode == "check_in":
        summary = "Value and health call, not a pitch: " + "; ".join(f.why_check_in) + "."
    else:
        assert best is not None
        summary = (
            f"Discovery call about {best.offering_name} ({best.priority.replace('_', ' ')} priority, "
            f"score {best.scores.composite}); when: {a.approach.when}."
        )
    return Brief(
        summary=summary,
        research=_research(f, v),
        objectives=_objectives(f, data, v),
        questions=_questions(f, data, v),
        value_points=_value_points(f, v),
        objections=_objections(f, data),
        cultural_notes=_culture(f),
        success_criteria=[fill(s, v | {"who": a.approach.who}) for s in data["success"][mode]],
    )


def _research(f: Facts, v: dict[str, Any]) -> list[str]:
    a = f.assessment
    recent = sorted(f.data.tickets, key=lambda t: t.date, reverse=True)[:3]
    lines = [
        f"{t.date.isoformat()} {t.kind.replace('_', ' ')}: “{_short(t.subject)}” "
        f"({sentiment(t.subject + ' ' + t.body)})"
        for t in recent
    ] or ["No recent tickets or conversations on record."]
    r = a.readiness
    lines.append(
        f"Health {r.health}, adoption {round(r.adoption * 100)}%, relationship {r.relationship}, "
        f"stakeholders {r.stakeholders.replace('_', ' ')}."
    )
    lines.append(f"Engage: {a.approach.who}.")
    return lines[:MAX_RESEARCH]


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _objectives(f: Facts, data: dict[str, Any], v: dict[str, Any]) -> list[str]:
    if f.mode == "check_in":
        first = list(f.assessment.timing.first or f.assessment.readiness.first) or ["keep delivering value"]
        extra = {"reason": f.why_check_in[0], "first": first[0]}
        return [fill(o, v | extra) for o in data["objectives"][call_kind(f)]]
    assert f.best is not None
    signal = v["evidence"][0].rstrip(".") if v["evidence"] else f.best.offering_name
    return [fill(o, v | {"signal": signal}) for o in data["objectives"]["proposal"]]


def _questions(f: Facts, data: dict[str, Any], v: dict[str, Any]) -> list[str]:
    """Five discovery questions: one per signal first, then the playbook's general ones."""
    if f.mode == "check_in":
        return list(data["check_in_questions"][call_kind(f)])[:5]
    assert f.best is not None
    out: list[str] = []
    q = data["questions"]
    for s in f.best.signals:
        d = s.data
        if s.name == "power_users":
            out.append(fill(q["power_users"], v | {"power": d["power_users"]}))
        elif s.name == "feature_limit":
            out.append(
                fill(
                    q["feature_limit"], {"features": feature_words(str(d["features"]).split(","), bank("en"))}
                )
            )
        elif s.name == "seat_utilization":
            out.append(fill(q["seat_utilization"], v | {"active": d["active_users"], "seats": d["seats"]}))
        elif s.name == "usage_growth" and "ufrom" in v:
            out.append(fill(q["usage_growth"], v))
        elif s.name == "catalog_rule" and v["locations"] >= 2:
            out.append(fill(q["locations"], v))
        elif s.name == "goal_achieved" and "goal" in v:
            out.append(fill(q["goal_achieved"], v))
        elif s.name == "cross_sell" and (v.get("needs") or v.get("tools")):
            out.append(fill(q["needs" if v.get("needs") else "tools"], v))
    out = list(dict.fromkeys(out))[:3]
    return (out + [g for g in data["generic_questions"] if g not in out])[:5]


def _value_points(f: Facts, v: dict[str, Any]) -> list[str]:
    best = f.best
    if f.mode == "check_in" or best is None:
        adopted = f", {v['adoption']} of features adopted" if "adoption" in v else ""
        points = [f"Today: {v['active']} active users{adopted}."]
        if "goal" in v:
            points.append(f"Achieved: “{v['goal']}” on {v['goal_date']}.")
        if "open_goal" in v:
            points.append(f"Still open: “{v['open_goal']}”; help them reach it before any proposal.")
        return points
    points = list(v["evidence"])
    invest = f"Investment after value: {v['price']} {v['period']}; est. first-year value {v['est_value']}"
    if "per_user" in v:
        invest += f", about {v['per_user']} per active user"
    points.append(invest + ".")
    if f.assessment.timing.trial_offered:
        points.append(f"They said maybe: offer a 1-month trial of {best.offering_name} and follow up.")
    return points


def _objections(f: Facts, data: dict[str, Any]) -> list[ObjectionLine]:
    english = f.with_language("en") if f.language != "en" else f
    out = []
    for kind in ("budget", "happy", "think"):
        ans = write_objection(english, kind)
        parts = [ans.acknowledge, ans.diagnose[0]]
        if ans.options:
            parts.append(("Offer: " if f.mode == "proposal" else "Suggest: ") + ans.options[0])
        out.append(ObjectionLine(objection=data["objections"][kind], answer=" ".join(parts)))
    return out


def _culture(f: Facts) -> list[str]:
    p = f.profile
    c = f.contact
    lines = [
        f"{p['name']}: {p['style']}; {p['decisions']}.",
        "Do: " + "; ".join(p["do"]) + ".",
        "Avoid: " + "; ".join(p["avoid"]) + ".",
    ]
    greeting = fill(bank(f.language)["greeting"]["chat"]["formal"], {"salutation": c.salutation}) if c else ""
    lang = LANGUAGE_NAMES.get(f.language, f.language)
    if f.language in ("th", "vi", "fil"):
        local = courtesy(f.language) or {}
        salutation = c.salutation if c else ""
        local_name = "คุณ " + salutation[5:] if salutation.startswith("Khun ") else salutation
        names = {"salutation": salutation, "given": c.given if c else "", "salutation_local": local_name}
        greeting = fill(local.get("greeting_chat", ""), names)
    if c:
        lines.append(f"Address {c.name} as {c.salutation}; speak {lang}. Open with: “{greeting}”")
    return lines
