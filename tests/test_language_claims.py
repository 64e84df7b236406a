"""Every sentence true for this account (issue 17): a qualitative claim is a fact too.

Each phrase a writer may use to claim something about the account is keyed in its phrase bank by the
licence that allows it (prompts.offline.values.LICENCES: a signal, a recorded business review, a goal
achieved within the window, more users than seats…). Over every demo account and the generated
portfolio, in every language and channel, every licensed sentence found in a draft or an objection
answer must have its licence hold for that account; an account without the fact never gets it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from test_language_suite import Out
from test_writers_support import LANGUAGES

from playbooks.outcomes import TRIAL_WORDS
from prompts.facts import Facts
from prompts.offline import OfflineWriter
from prompts.offline.text import bank, load
from prompts.offline.values import LICENCES, MOMENT_LICENCES, licences

pytest_plugins = ["test_writers_support", "test_language_suite"]  # demo_facts, outs
# The moment a sentence celebrates is a licence as well: post_milestone needs a recent goal.
ALIASES = {**MOMENT_LICENCES, "post_milestone": "recent_goal"}
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def licensed_phrases(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(phrase, licence) for every phrase under a key that names a licence (the innermost one wins)."""
    if isinstance(node, dict):
        return [pair for key, value in node.items() for pair in licensed_phrases(value, (*path, str(key)))]
    if isinstance(node, list):
        return [pair for value in node for pair in licensed_phrases(value, path)]
    if not isinstance(node, str):
        return []
    keys = [ALIASES.get(k, k) for k in path if ALIASES.get(k, k) in LICENCES]
    return [(node, keys[-1])] if keys and keys[-1] != "any" else []


def pattern(phrase: str) -> re.Pattern[str] | None:
    """The phrase as a pattern over filled text; None when its own words are too few to recognise it."""
    literal = PLACEHOLDER.sub("", phrase)
    if len(literal.strip(" .,;:!?")) < 18:
        return None
    parts = [re.escape(" ".join(p.split())) for p in PLACEHOLDER.split(phrase)]
    body = ".+?".join(parts).strip()
    return re.compile(body.rstrip("\\.") if body.endswith("\\.") else body, re.IGNORECASE)


@pytest.fixture(scope="module")
def claims() -> dict[str, list[tuple[re.Pattern[str], str, str]]]:
    """Per language: (pattern, licence, phrase) for every licensed phrase of its bank."""
    out = {}
    for language in LANGUAGES:
        found = []
        for phrase, licence in licensed_phrases(bank(language)):
            if (p := pattern(phrase)) is not None:
                found.append((p, licence, phrase))
        out[language] = found
    return out


def test_banks_key_their_claims_by_licences_that_exist(claims: dict[str, list[Any]]) -> None:
    """Every language has licensed claims, and every licence a bank names is one the writer knows."""
    for language in LANGUAGES:
        assert len(claims[language]) >= 40, language
    for name in ("en", "id", "ms", "th", "vi", "fil"):
        used = {licence for _, licence in licensed_phrases(bank(name))}
        assert used <= set(LICENCES), used - set(LICENCES)
    assert {"power_users", "seats_over", "recent_goal", "qbr", "new_customer", "long_customer"} <= {
        licence for _, licence in licensed_phrases(load("en"))
    }


def test_every_claim_in_every_output_has_a_fact_that_holds(
    outs: list[Out], claims: dict[str, list[Any]]
) -> None:
    problems, used = [], Counter()
    held: dict[str, frozenset[str]] = {}
    for o in outs:
        f = o.facts
        key = f"{f.account.account_id}:{f.language}"
        if key not in held:
            held[key] = licences(f)
        for p, licence, phrase in claims[f.language]:
            if p.search(o.text):
                used[licence] += 1
                if licence not in held[key]:
                    problems.append(f"{o.where}: “{phrase}” needs {licence}, which does not hold")
    assert not problems, "\n".join(problems[:30])
    assert len(used) >= 8, used  # the check is not vacuous: claims of many kinds were found and checked


def test_the_issues_examples_no_longer_claim_what_their_facts_do_not_hold(
    demo_facts: dict[str, Facts],
) -> None:
    writer = OfflineWriter()

    def texts(account_id: str) -> str:
        base = demo_facts[account_id]
        out = []
        for channel in ("email", "whatsapp"):
            d = writer.draft(replace(base, language="en", channel=channel)).output
            out += [d.subject, d.body]
        f = replace(base, language="en", channel="whatsapp")
        out += [writer.objection(f, kind).output.message for kind in ("budget", "happy", "think")]
        return "\n".join(out)

    f = demo_facts["TH-001"]  # 27 of 30 seats in use: close to full, not beyond
    assert f.active_users <= (f.account.seats_purchased or 0)
    assert "moved ahead of the seats" not in texts("TH-001")
    assert "priorities we agreed" not in texts("SG-001")  # no business review recorded any priority
    for account_id, base in demo_facts.items():
        text = texts(account_id)
        if "recent_goal" not in licences(base):  # a goal reached long ago is not news
            assert not re.search(r"Congratulations|Well done on|a result to be proud of", text), account_id
        if "power_users" not in licences(base):
            assert "this intensively" not in text and "power users get" not in text, account_id
        if "qbr" not in licences(base):
            assert not re.search(r"business review|our review", text), account_id


def test_the_brief_always_has_five_discovery_questions_tied_to_the_accounts_signals(
    demo_facts: dict[str, Facts],
) -> None:
    writer = OfflineWriter()
    generic = set(load("brief")["generic_questions"])
    for account_id, f in demo_facts.items():
        brief = writer.brief(f).output
        assert len(brief.questions) == 5, (account_id, brief.questions)
        assert len(set(brief.questions)) == 5, account_id
        if f.mode == "proposal" and f.best and f.best.signals:
            assert brief.questions[0] not in generic, (account_id, brief.questions)


def test_a_trial_is_offered_in_the_shape_of_the_opportunity(demo_facts: dict[str, Facts]) -> None:
    """A maybe gets a trial of what was offered: an add-on trial for an add-on, never a tier trial."""
    writer = OfflineWriter()
    offered = 0
    for account_id, base in demo_facts.items():
        best = base.best
        if best is None or base.mode != "proposal":
            continue
        f = replace(
            base,
            assessment=replace(base.assessment, timing=replace(base.assessment.timing, trial_offered=True)),
        )
        points = " ".join(writer.brief(f).output.value_points)
        shape = TRIAL_WORDS[best.type].format(name=best.offering_name)
        assert shape in points, (account_id, shape, points)
        if best.type == "add_on":
            assert "add-on" in shape and not re.search(
                r"\btier\b", points.replace(best.offering_name, ""), re.I
            )
        offered += 1
    assert offered >= 10
