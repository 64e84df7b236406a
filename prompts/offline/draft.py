"""Offline drafts: a proposal by type × moment × country tone, or a check-in when the timing says not now."""

from __future__ import annotations

from typing import Any

from prompts.facts import Facts
from prompts.offline.case import business_case
from prompts.offline.season import season_line
from prompts.offline.text import bank, cap_chars, extend, fill, fit, paragraphs, pick, say, spelled, tone
from prompts.offline.values import evidence, licences, licensed, recap, values
from prompts.schema import Draft

EMAIL_WORDS = {"proposal": (200, 300), "check_in": (110, 250)}
CHAT_LIMIT = {"whatsapp": 1000, "slack": 1500}


def write_draft(f: Facts) -> Draft:
    """The draft for these facts, in the facts' language and channel."""
    b = bank(f.language)
    v = values(f, b)
    t = tone(f.account.country)
    if f.channel == "email":
        body = _email(f, b, v, t)
        subject = _subject(f, b, v)
    else:
        body, subject = _chat(f, b, v, t), ""
    return Draft(subject=spelled(subject, f.account.country), body=spelled(body, f.account.country))


def _key(f: Facts, slot: str) -> str:
    return f"{f.account.account_id}:{f.language}:{slot}"


def _subject(f: Facts, b: dict[str, Any], v: dict[str, Any]) -> str:
    if f.mode == "check_in":
        return say(b["checkin"]["subject"][f.reason_keys[0]], _key(f, "subject"), v)
    assert f.best is not None
    moment = _moment(f, v)
    node = b["subject"]["moment"].get(moment) if moment != "none" else None
    if node is None:
        node = licensed(b["subject"]["type"][_value_key(f.best.type, v)], licences(f))
    return say(node, _key(f, "subject"), v)


def greeting(f: Facts, b: dict[str, Any], v: dict[str, Any], chat: bool) -> str:
    """The first line: the contact's form and name, or the account's team when there is no contact."""
    if f.contact is None:
        return fill(b["no_contact"]["chat" if chat else "email"], v)
    style = tone(f.account.country)["greeting"]
    return say(b["greeting"]["chat" if chat else "email"][style], _key(f, "greeting"), v)


def closing(f: Facts, b: dict[str, Any], v: dict[str, Any], chat: bool) -> list[str]:
    """Chat ends with thanks and the name, email with the country's letter closing and the name."""
    if chat:
        return [say(b["signoff"]["chat"], _key(f, "signoff"), v)]
    register = tone(f.account.country)["register"]
    return [say(b["signoff"]["email"][register], _key(f, "signoff"), v) + "\n" + v["sender"]]


def _email(f: Facts, b: dict[str, Any], v: dict[str, Any], t: dict[str, Any]) -> str:
    lo, hi = EMAIL_WORDS[f.mode]
    head = [greeting(f, b, v, chat=False)]
    opening: list[str] = [line] if (line := season_line(f, b, v)) else []
    if t["thanks_first"]:
        opening.append(say(licensed(b["thanks_first"], licences(f)), _key(f, "thanks"), v))
    if f.mode == "check_in":
        blocks, extras = _check_in_blocks(f, b, v, t, opening)
    else:
        blocks, extras = _proposal_blocks(f, b, v, t, opening)
    tail = closing(f, b, v, chat=False)

    def render(body: list[list[str]]) -> str:
        return "\n\n".join([*head, paragraphs(body), *tail])

    return fit(blocks, extras, lo, hi, render)


def _proposal_blocks(
    f: Facts, b: dict[str, Any], v: dict[str, Any], t: dict[str, Any], opening: list[str]
) -> tuple[list[list[str]], list[tuple[int, str]]]:
    best = f.best
    assert best is not None
    kind, reg = best.type, t["register"]
    held = licences(f)
    opening.append(say(b["opening"][_moment(f, v)], _key(f, "opening"), v))
    facts = evidence(f, b, v, 4, "email")
    more = [s for s in recap(f, b, v, 2) if s not in facts]
    if any(str(v.get("adoption")) in s for s in facts):  # usage already told by a signal
        more = [s for s in more if str(v.get("adoption")) not in s]
    if _moment(f, v) == "post_milestone":  # the opening already celebrates the goal
        facts, more = [s for s in facts if v["goal"] not in s], [s for s in more if v["goal"] not in s]
    pattern = [say(b["pattern_intro"], _key(f, "intro"), v), *facts[:2]]
    meaning = [say(licensed(b["meaning"][kind], held), _key(f, "meaning"), v)]
    meaning.append(say(licensed(b["offer"][kind], held), _key(f, "offer"), v))
    value = [say(licensed(b["value"][_value_key(kind, v)], held), _key(f, "value"), v)]
    value.append(business_case(f, b, v, _key(f, "case"), "worth"))  # the value before the price
    value.append(say(b["investment"][best.period], _key(f, "invest"), v))
    if "per_user" in v and kind != "seats":
        value[-1] = extend(value[-1], fill(b["per_user"], v))
    if f.assessment.timing.trial_offered:
        value.append(say(b["trial"], _key(f, "trial"), v))
    step = [say(b["next_step"][reg], _key(f, "step"), v)]
    if t["sponsor"] and v["sponsor"]:
        step.append(say(b["sponsor_clause"], _key(f, "sponsor"), v))
    step.append(say(b["closing"][reg], _key(f, "closing"), v))
    blocks = [opening, pattern, meaning, value, step]
    extras = [(1, s) for s in facts[2:] + more]
    extras += [(2, say(b["detail"][kind], _key(f, "detail"), v))]
    extras += [(2, say(b["extra"][kind], _key(f, "extra"), v))]
    extras += [(4, say(b["reassure"][reg], _key(f, "re"), v))]
    extras += [(0, say(b["extra_moment"][_moment(f, v)], _key(f, "xm"), v))]
    extras += [(3, say(licensed(b["value_more"][kind], held), _key(f, "vm"), v))]
    extras += [(4, say(b["close_more"], _key(f, "cm"), v))]
    extras += [(int(i), fill(text, v)) for i, text in b["filler"]]
    return blocks, extras


def _moment(f: Facts, v: dict[str, Any]) -> str:
    """The good moment the draft opens with, when its facts are there to name."""
    if f.moment == "post_milestone" and ("goal" not in v or "recent_goal" not in licences(f)):
        return "none"
    if f.moment == "pre_renewal" and "renewal" not in v:
        return "none"
    return f.moment


def _value_key(kind: str, v: dict[str, Any]) -> str:
    if kind == "upsell" and v["locations"] >= 3:  # "all 2 outlets" reads oddly; the rule is 3+
        return "upsell_locations"
    if kind == "seats" and v.get("projected", 0) > v["seats"]:
        return "seats_projected"
    return kind


def _check_in_blocks(
    f: Facts, b: dict[str, Any], v: dict[str, Any], t: dict[str, Any], opening: list[str]
) -> tuple[list[list[str]], list[tuple[int, str]]]:
    c = b["checkin"]
    reason = f.reason_keys[0]
    opening.append(say(c["opening"][reason], _key(f, "c-open"), v))
    facts = recap(f, b, v, 3)
    help_ = [say(c["help"][reason], _key(f, "c-help"), v)]
    help_.append(say(c["next_step"][t["register"]], _key(f, "c-step"), v))
    blocks = [opening, facts[:2], help_]
    first = pick(c["extra"], _key(f, "c-extra"))  # both of the bank's lines, in an order of this account's
    extras = [(1, s) for s in facts[2:]] + [
        (2, fill(x, v)) for x in [first, *(x for x in c["extra"] if x != first)]
    ]
    extras.append((2, say(b["close_more"], _key(f, "cm"), v)))
    extras.append((2, fill(b["filler"][-1][1], v)))
    return blocks, extras


def _chat(f: Facts, b: dict[str, Any], v: dict[str, Any], t: dict[str, Any]) -> str:
    """WhatsApp and Slack: short, *bold* and _italic_, no headings."""
    w = b["chat"]
    lines = [greeting(f, b, v, chat=True)]
    optional: list[int] = []
    if line := season_line(f, b, v):  # Lebaran, Tết, Songkran near: greet the season first
        optional.append(len(lines))
        lines.append(line)
    if f.mode == "check_in":
        c = b["checkin"]
        lines.append(say(c["chat_opening"][f.reason_keys[0]], _key(f, "c-open"), v))
        optional.append(len(lines))
        lines.append(" ".join(recap(f, b, v, 2)))
        lines.append(say(c["chat_step"][t["register"]], _key(f, "c-step"), v))
    else:
        best = f.best
        assert best is not None
        if t["thanks_first"]:
            optional.append(len(lines))
            lines.append(say(licensed(w["thanks"], licences(f)), _key(f, "thanks"), v))
        lines.append(say(w["opening"][_moment(f, v)], _key(f, "opening"), v))
        optional.append(len(lines))
        lines.append("\n".join("• " + s for s in evidence(f, b, v, 2, "chat")))
        lines.append(say(licensed(w["offer"][best.type], licences(f)), _key(f, "offer"), v))
        lines.append(business_case(f, b, v, _key(f, "case"), "worth"))  # the value before the price
        invest = say(w["investment"][best.period], _key(f, "invest"), v)
        if f.assessment.timing.trial_offered:
            invest += " " + say(w["trial"], _key(f, "trial"), v)
        lines.append(invest)
        lines.append(say(w["next_step"][t["register"]], _key(f, "step"), v))
    lines += closing(f, b, v, chat=True)
    return cap_chars(lines, optional, CHAT_LIMIT.get(f.channel, 1000))
