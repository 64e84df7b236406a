"""The offline call-prep brief: one page of research, objectives, questions, value, objections and culture."""

from __future__ import annotations

from typing import Any

from playbooks import quotes
from playbooks.model import Quote, Ticket
from playbooks.outcomes import TRIAL_WORDS
from prompts.facts import LANGUAGE_NAMES, Facts
from prompts.offline.draft import greeting
from prompts.offline.objection import write_objection
from prompts.offline.text import bank, fill, load
from prompts.offline.values import evidence, feature_words, values
from prompts.schema import Brief, ObjectionLine

MAX_RESEARCH = 7
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
        f"{t.date.isoformat()} {t.kind.replace('_', ' ')}: “{_short(t.subject)}”"
        + (f" — {_short(t.body, 90)}" if t.body.strip() else "")
        + f" ({sentiment(t.subject + ' ' + t.body)})"
        + _said(a.quotes, t)
        for t in recent
    ] or ["No recent tickets or conversations on record."]
    lines += [f"Wait: {w}." for w in a.timing.waits]  # not blockers, but what the customer said about timing
    r = a.readiness
    lines.append(
        f"Health {r.health}, adoption {round(r.adoption * 100)}%, relationship {r.relationship}, "
        f"stakeholders {r.stakeholders.replace('_', ' ')}."
    )
    lines.append(f"Engage: {a.approach.who}.")
    return lines[:MAX_RESEARCH]


def _said(said: tuple[Quote, ...], t: Ticket) -> str:
    """What the customer's words state (playbooks/quotes.py): a saving, time spent, a budget horizon…"""
    notes = [quotes.note(q) for q in said if q.said_on == t.date and q.text in f"{t.subject}. {t.body}"]
    return f"; pre-call: {'; '.join(dict.fromkeys(notes))}" if notes else ""


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
                    q["feature_limit"],
                    {
                        "features": feature_words(
                            str(d["features"]).split(","), f.with_language("en"), bank("en")
                        )
                    },
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
            points.append(f"Achieved: {v['goal']} on {v['goal_date']}.")
        if "open_goal" in v:
            points.append(f"Still open: {v['open_goal']}; help them reach it before any proposal.")
        return points + [f"Value already delivered: {ln.formula}." for ln in f.assessment.realised]
    points = list(v["evidence"])
    points += [f"Value already delivered: {ln.formula}." for ln in f.assessment.realised]
    points += [f"Business case: {line}." for line in best.case.evidence]
    points += [f"Business case missing: {line}." for line in best.case.ask]
    invest = f"Investment after value: {v['price']} {v['period']}"
    if "per_user" in v:
        invest += f", about {v['per_user']} per active user"
    points.append(invest + ".")
    if f.assessment.timing.trial_offered:
        trial = TRIAL_WORDS.get(best.type, TRIAL_WORDS["upsell"]).format(name=best.offering_name)
        points.append(f"They said maybe: offer {trial} (the shape of this offer), then follow up.")
    return points


def _objections(f: Facts, data: dict[str, Any]) -> list[ObjectionLine]:
    english = f.with_language("en") if f.language != "en" else f
    out = []
    for kind in ("budget", "happy", "think"):
        ans = write_objection(english, kind)
        parts = [ans.acknowledge, ans.diagnose[0]]
        if kind == "budget" and f.mode == "proposal":  # the ROI step: the case, or what to ask for it
            parts.append(ans.evidence[0] if f.case and f.case.roi else ans.diagnose[-1])
        if ans.options:
            parts.append(("Offer: " if f.mode == "proposal" else "Suggest: ") + ans.options[0])
        out.append(ObjectionLine(objection=data["objections"][kind], answer=" ".join(parts)))
    return out


def _culture(f: Facts) -> list[str]:
    """The country's style, and the same greeting the draft opens with, in the draft's language."""
    p = f.profile
    c = f.contact
    lines = [
        f"{p['name']}: {p['style']}; {p['decisions']}.",
        "Do: " + "; ".join(p["do"]) + ".",
        "Avoid: " + "; ".join(p["avoid"]) + ".",
    ]
    b = bank(f.language)
    opening = greeting(f, b, values(f, b), chat=True)
    lang = LANGUAGE_NAMES.get(f.language, f.language)
    who = f"{c.name} as {c.salutation}" if c else f"the {f.account.name} team"
    lines.append(f"Address {who}; write and speak in {lang}. Open with: “{opening}”")
    return lines
