"""The account's facts as the words a phrase bank fills in: names, numbers, money and dates, per language."""

from __future__ import annotations

from typing import Any

from playbooks.model import Signal
from prompts.checks import safe_label
from prompts.facts import Facts
from prompts.offline.text import fill, join, pick


def feature_words(codes: list[str] | tuple[str, ...], bank: dict[str, Any]) -> str:
    names = bank.get("features", {})
    return join([names.get(c.strip(), c.strip().replace("_", " ")) for c in codes if c.strip()], bank["and"])


def values(f: Facts, bank: dict[str, Any]) -> dict[str, Any]:
    """Every value a phrase may name, formatted for the account's locale and the bank's language."""
    acct, a = f.account, f.assessment
    contact, sponsor = f.contact, f.sponsor
    v: dict[str, Any] = {
        "account": acct.name,
        "salutation": contact.salutation if contact else fill(bank["no_contact"], {"account": acct.name}),
        "given": contact.given if contact else acct.name,
        "role": contact.role if contact else "",
        "sponsor": sponsor.salutation if sponsor else "",
        "you": _you(contact.salutation if contact else "", bank),
        "sender": f.sender or bank["team_signature"],
        "active": f.active_users,
        "seats": acct.seats_purchased or 0,
        "locations": acct.locations or 0,
        "follow_up": f.date(f.follow_up, year=False),
        "trial_months": 1,
        "smaller_seats": f.smaller_seats,
    }
    if f.latest:
        v["adoption"] = f.pct(f.latest.feature_adoption)
        v["power"] = f.latest.power_users
    t = a.trajectory
    if "users_from" in t:
        v |= {"ufrom": int(t["users_from"]), "uto": int(t["users_to"])}
        v |= {"afrom": int(t["actions_from"]), "ato": int(t["actions_to"])}
        v["months"] = max(round(t["days"] / 30), 1)
        v["projected"] = round(t.get("users_next_quarter", 0))
    if acct.renewal_date:
        v["renewal"] = f.date(acct.renewal_date)
    achieved = sorted((g for g in f.data.goals if g.status == "achieved" and g.achieved_on), key=_when)
    if achieved:
        v |= {"goal": achieved[-1].goal if safe_label(achieved[-1].goal, f) else "the goal your team set", "goal_date": f.date(achieved[-1].achieved_on)}  # type: ignore[arg-type]
    open_goals = [g for g in f.data.goals if g.status != "achieved"]
    if open_goals:
        v["open_goal"] = open_goals[0].goal if safe_label(open_goals[0].goal, f) else "the goal your team set"
    best = f.best
    if best:
        v |= {
            "offering": best.offering_name,
            "price": f.money(best.price),
            "period": bank["period"][best.period],
            "est_value": f.money(best.est_value),
            "seats_to_add": best.seats_to_add,
            "seats_after": (acct.seats_purchased or 0) + best.seats_to_add,
        }
        if best.type == "seats":
            v["offering"] = fill(bank["seats_offering"], v)
        if f.per_user:
            v["per_user"] = f.money(f.per_user)
        target = f.catalog.offering(best.offering)
        current = f.catalog.plan(acct.plan)
        if current:
            v["current_plan"] = current.name
        if target:
            new = [x for x in target.features if not current or x not in current.features]
            v["target_features"] = feature_words(new[:3] if best.type == "upsell" else target.features, bank)
        tools, needs = f.matched_needs(best.offering)
        v["tools"], v["needs"] = join(tools, bank["and"]), join(needs[:2], bank["and"])
    return v


def _you(salutation: str, bank: dict[str, Any]) -> str:
    """How to say "you" politely: the form of address alone (Bapak, Ibu, Puan), else the bank's word."""
    form = salutation.split(" ")[0] if salutation else ""
    if form in {"Bapak", "Ibu", "Bapak/Ibu", "Encik", "Puan", "Encik/Puan"} and bank.get("you") != "you":
        return form
    return str(bank.get("you", "you"))


def _when(goal: Any) -> Any:
    return goal.achieved_on


def evidence(f: Facts, bank: dict[str, Any], v: dict[str, Any], limit: int, slot: str = "") -> list[str]:
    """The best opportunity's signals as sentences in the bank's language, strongest first."""
    if f.best is None:
        return recap(f, bank, v, limit)
    out: list[str] = []
    for s in f.best.signals:
        sentence = _signal(s, f, bank, v, f"{f.account.account_id}:{slot}:{s.name}")
        if sentence and sentence not in out:
            out.append(sentence)
    return out[:limit]


def _signal(s: Signal, f: Facts, bank: dict[str, Any], v: dict[str, Any], key: str) -> str:
    p = bank["pattern"]
    d = s.data
    if s.name == "power_users":
        return fill(pick(p["power_users"], key), v | {"power": d["power_users"], "active": d["active_users"]})
    if s.name == "seat_utilization":
        w = v | {"active": d["active_users"], "seats": d["seats"], "util": f.pct(float(d["utilization"]))}
        text = fill(pick(p["seat_utilization"], key), w)
        if int(d.get("new_users", 0)) > 0:
            which = "seat_new_one" if int(d["new_users"]) == 1 else "seat_new"
            text = text[:-1] + fill(p[which], w | {"new_users": d["new_users"]})
        return text
    if s.name == "usage_growth" and "ufrom" in v:
        text = fill(pick(p["usage_growth"], key), v)
        return text + (" " + fill(p["projection"], v) if v.get("projected") else "")
    if s.name == "feature_limit":
        w = v | {"requests": d["requests"], "features": feature_words(str(d["features"]).split(","), bank)}
        return fill(pick(p["feature_limit_many" if int(d["requests"]) > 1 else "feature_limit_one"], key), w)
    if s.name == "catalog_rule" and v["locations"] >= 2:
        return fill(pick(p["locations"], key), v)
    if s.name == "goal_achieved" and "goal" in v:
        return fill(pick(p["goal_achieved"], key), v)
    if s.name == "cross_sell":
        if v.get("needs"):
            return fill(pick(p["needs"], key), v)
        if v.get("tools"):
            return fill(pick(p["tools"], key), v)
    return ""


def recap(f: Facts, bank: dict[str, Any], v: dict[str, Any], limit: int) -> list[str]:
    """What the account has achieved so far, without any offer: for check-ins and value calls."""
    c = bank["recap"]
    key = f.account.account_id
    out = []
    if "goal" in v:
        out.append(fill(pick(c["goal"], key), v))
    if v["active"] and "adoption" in v:
        out.append(fill(pick(c["usage"], key), v))
    if "open_goal" in v:
        out.append(fill(pick(c["open_goal"], key), v))
    return out[:limit]
