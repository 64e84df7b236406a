"""The account's facts as the words a phrase bank fills in: names, numbers, money and dates, per language;
and the licences: which qualitative claims this account's facts allow a sentence to make."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from playbooks.config import thresholds
from playbooks.model import Signal
from prompts.checks import safe_label
from prompts.facts import Facts
from prompts.offline.text import extend, fill, join, load, pick
from prompts.people import gender_of

LOCATION_FEATURES = ("multi_location", "consolidated_reports", "single_location")
NEW_CUSTOMER_DAYS = 180  # welcomed, not thanked "as always"
LONG_CUSTOMER_DAYS = 365  # thanked for the partnership over time
GOAL_ON_RECORD_DAYS = 365  # an older goal is no longer news: not named at all
# Every licence a phrase bank may key a sentence by, and the fact that grants it.
LICENCES = {
    "any": "always: the sentence claims nothing about the account",
    "power_users": "the power_users signal fired (near-daily users with high adoption)",
    "feature_limit": "the feature_limit signal fired (requests for features of a higher plan or module)",
    "seat_utilization": "the seat_utilization signal fired (active users above 80% of seats)",
    "seats_over": "more active users than purchased seats",
    "new_users": "the seat_utilization signal counts new users in the last month",
    "usage_growth": "the usage_growth signal fired, with a measured trajectory",
    "locations": "the account runs 3 or more sites (the catalog rule's threshold)",
    "recent_goal": "a goal achieved within the goal_achieved signal's window (60 days)",
    "goal_on_record": "a goal achieved within the last year",
    "open_goal": "a goal still open or in progress",
    "qbr": "a business review recorded in the last 30 days (the after_qbr moment)",
    "renewal_soon": "the renewal is 60-90 days away (the pre_renewal moment)",
    "new_stakeholder": "a champion who joined in the last 60 days",
    "new_customer": f"a customer for fewer than {NEW_CUSTOMER_DAYS} days",
    "long_customer": f"a customer for {LONG_CUSTOMER_DAYS} days or more",
    "needs": "recent tickets use the catalog's need words for the offering",
    "tools": "the account uses a tool the offering connects to",
    "maybe": "the customer said maybe: the playbook's 1-month trial",
}
MOMENT_LICENCES = {"after_qbr": "qbr", "pre_renewal": "renewal_soon", "new_stakeholder": "new_stakeholder"}
# Words that mark a goal written in English, which a Bahasa draft does not quote.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "by",
        "for",
        "to",
        "of",
        "and",
        "every",
        "each",
        "per",
        "with",
        "in",
        "on",
        "report",
        "reports",
        "time",
        "cut",
    ]
)


def licences(f: Facts) -> frozenset[str]:
    """The licences that hold for this account today: a sentence keyed by any other is never used."""
    a, acct, today = f.assessment, f.account, f.assessment.today
    names = {s.name for s in a.signals}
    held = {"any"} | (names & set(LICENCES))
    seats = next((s for s in a.signals if s.name == "seat_utilization"), None)
    if seats and int(seats.data.get("new_users", 0)) > 0:
        held.add("new_users")
    if acct.seats_purchased and f.active_users > acct.seats_purchased:
        held.add("seats_over")
    if "usage_growth" in names and "users_from" not in a.trajectory:
        held.discard("usage_growth")
    if (acct.locations or 0) >= 3:
        held.add("locations")
    window = thresholds()["signals"]["goal_achieved_window_days"]
    for g in f.data.goals:
        if g.status == "achieved" and g.achieved_on and g.achieved_on <= today:
            age = (today - g.achieved_on).days
            held |= {"recent_goal", "goal_on_record"} if age <= window else set()
            held |= {"goal_on_record"} if age <= GOAL_ON_RECORD_DAYS else set()
        elif g.status != "achieved":
            held.add("open_goal")
    moments = set(a.timing.moments)
    held |= {lic for m, lic in MOMENT_LICENCES.items() if m in moments}
    tenure = (today - acct.start_date).days
    if tenure < NEW_CUSTOMER_DAYS:
        held.add("new_customer")
    if tenure >= LONG_CUSTOMER_DAYS:
        held.add("long_customer")
    if f.best:
        tools, needs = f.matched_needs(f.best.offering)
        held |= {"tools"} if tools else set()
        held |= {"needs"} if needs else set()
    if a.timing.trial_offered:
        held.add("maybe")
    return frozenset(held)


def licensed(node: Any, held: Iterable[str]) -> Any:
    """The first variant list of a licence-keyed node whose licence holds (`any` always does)."""
    if not isinstance(node, dict):
        return node
    held = set(held)
    for licence, options in node.items():
        if licence in held or licence == "any":
            return options
    raise KeyError(f"no licence of {sorted(node)} holds and there is no `any`")


def site_kind(industry: str) -> str:
    """outlets | clinics | branches | warehouses | farms | sites, from the account's industry."""
    folded = industry.casefold()
    for kind, words in load("industries").items():
        if any(re.search(rf"(?<!\w){re.escape(w)}s?(?!\w)", folded) for w in words):
            return str(kind)
    return "sites"  # "hospitality" is not a hospital: whole words only


def label(code: str, f: Facts, bank: dict[str, Any]) -> str:
    """A plan, feature or module in the draft's language: the catalog's label, the bank's, else Title Case."""
    own = f.catalog.labels.get(code, {}).get(f.language)
    if own:
        return own
    named = bank.get("features", {}).get(code)
    if named:
        return str(named)
    offering = f.catalog.offering(code)
    if offering is not None:
        return offering.name
    return code.replace("_", " ").strip().title()


def feature_words(codes: Iterable[str], f: Facts, bank: dict[str, Any]) -> str:
    return join(
        [label(c.strip(), f, bank) for c in codes if c.strip()], bank["and"], bank.get("list_sep", ", ")
    )


def sender_words(f: Facts, bank: dict[str, Any]) -> dict[str, str]:
    """Thai particles and self-reference by the sender's gender (csms.csv `gender`, else the name)."""
    gender = f.sender_gender or (gender_of(f.sender, f.account.country) if f.sender else "")
    forms = bank.get("sender", {}).get(gender or "unknown", {})
    return {k: str(v) for k, v in forms.items()}


def values(f: Facts, bank: dict[str, Any]) -> dict[str, Any]:
    """Every value a phrase may name, formatted for the account's locale and the bank's language."""
    acct, a = f.account, f.assessment
    contact, sponsor = f.contact, f.sponsor
    team = str(bank["team_name"]).format(account=acct.name)
    v: dict[str, Any] = {
        "account": acct.name,
        "salutation": contact.salutation if contact else team,
        "chat_name": (contact.chat or contact.salutation) if contact else team,
        "given": contact.given if contact else acct.name,
        "role": contact.role if contact else "",
        "sponsor": sponsor.salutation if sponsor else "",
        "you": contact.you if contact else bank.get("you_team", bank.get("you", "you")),
        "sender": f.sender or bank["team_signature"],
        "active": f.active_users,
        "seats": acct.seats_purchased or 0,
        "locations": acct.locations or 0,
        "sites": bank["sites"][site_kind(acct.industry)],
        "follow_up": f.date(f.follow_up, year=False),
        "trial_months": 1,
        "smaller_seats": f.smaller_seats,
    }
    v["You"] = v["you"][:1].upper() + v["you"][1:]
    v |= sender_words(f, bank)
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
    oldest = a.today - timedelta(days=GOAL_ON_RECORD_DAYS)
    achieved = sorted(
        (g for g in f.data.goals if g.status == "achieved" and g.achieved_on and oldest <= g.achieved_on),
        key=_when,
    )
    if achieved:
        v |= {"goal": _goal(achieved[-1].goal, f, bank), "goal_date": f.date(achieved[-1].achieved_on)}  # type: ignore[arg-type]
    open_goals = [g for g in f.data.goals if g.status != "achieved"]
    if open_goals:
        v["open_goal"] = _goal(open_goals[0].goal, f, bank)
    best = f.best
    if best:
        v |= {
            "offering": label(best.offering, f, bank),
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
            v["current_plan"] = label(current.code, f, bank)
        v["target_features"] = _target_features(f, bank, best, target, current)
        tools, needs = f.matched_needs(best.offering)
        v["tools"] = join(tools, bank["and"], bank.get("list_sep", ", "))
        # ticket words are never pasted: the catalog's word for what they were about
        v["needs"] = _target_features(f, bank, best, target, current, limit=1) if needs else ""
    return v


def _target_features(
    f: Facts, bank: dict[str, Any], best: Any, target: Any, current: Any, limit: int = 3
) -> str:
    """What the offer adds, in words; location features only where there are sites to compare or a request
    for them; never empty (the bank's words for "what your team asked for" stand in)."""
    if target is None:
        return str(bank["what_it_adds"])
    requested = {
        str(x).strip()
        for s in best.signals
        if s.name == "feature_limit"
        for x in str(s.data.get("features", "")).split(",")
    }
    new = (
        [x for x in target.features if not current or x not in current.features]
        if best.type == "upsell"
        else list(target.features)
    )
    if (f.account.locations or 0) < 3:
        new = [x for x in new if x not in LOCATION_FEATURES or x in requested]
    words = feature_words(new[:limit], f, bank)
    return words or str(bank["what_it_adds"])


def _goal(goal: str, f: Facts, bank: dict[str, Any]) -> str:
    """A goal as the customer recorded it, when it is in the draft's language; else the bank's words.

    Goals are free text, usually English: a draft in another language speaks of "the goal the team set"
    in its own words rather than quoting English inside it; a goal that is not a safe label
    (checks.safe_label) is never quoted in any language."""
    if not safe_label(goal, f):  # customer text that could carry a link, a number or an instruction
        return str(bank["goal_words"])
    english = goal.isascii() and bool(ENGLISH_WORDS & set(goal.casefold().split()))
    in_thai = any("\u0e00" <= ch <= "\u0e7f" for ch in goal)
    if f.language in ("en", "fil") or (f.language == "th" and in_thai):
        return f"“{goal}”"
    if f.language in ("id", "ms", "vi") and not english and not in_thai:
        return f"“{goal}”"
    return str(bank["goal_words"])


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
    held = licences(f)
    if s.name == "power_users":
        return fill(pick(p["power_users"], key), v | {"power": d["power_users"], "active": d["active_users"]})
    if s.name == "seat_utilization":
        w = v | {"active": d["active_users"], "seats": d["seats"], "util": f.pct(float(d["utilization"]))}
        text = fill(pick(p["seat_utilization"], key), w)
        if int(d.get("new_users", 0)) > 0:
            which = "seat_new_one" if int(d["new_users"]) == 1 else "seat_new"
            text = extend(text, fill(p[which], w | {"new_users": d["new_users"]}))
        return text
    if s.name == "usage_growth" and "ufrom" in v:
        text = fill(pick(p["usage_growth"], key), v)
        return text + (" " + fill(pick(p["projection"], key), v) if v.get("projected") else "")
    if s.name == "feature_limit":
        features = feature_words(str(d["features"]).split(","), f, bank) or str(bank["what_it_adds"])
        w = v | {"requests": d["requests"], "features": features}
        return fill(pick(p["feature_limit_many" if int(d["requests"]) > 1 else "feature_limit_one"], key), w)
    if s.name == "catalog_rule" and "locations" in held:
        return fill(pick(p["locations"], key), v)
    if s.name == "goal_achieved" and "recent_goal" in held and "goal" in v:
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
    held = licences(f)
    out = []
    if "goal" in v:
        out.append(fill(pick(licensed(c["goal"], held), key), v))
    if v["active"] and "adoption" in v:
        out.append(fill(pick(c["usage"], key), v))
    if "open_goal" in v:
        out.append(fill(pick(c["open_goal"], key), v))
    return out[:limit]
