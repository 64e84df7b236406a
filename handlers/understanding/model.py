"""The same understanding step with a chat model choosing (structured output over the commands): one call
per message at most, its choice validated (a known command, a real account id, known options), and the
offline reading whenever the model fails, is slow, answers garbage or contradicts an account the message
names. Imported only when a model is configured: LangChain is slow to import."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel
from rapidfuzz import fuzz, process

from handlers.commands import Command, vocabulary
from handlers.questions import TOPICS
from handlers.understanding.offline import ACCOUNT_INTENTS, Understanding
from prompts.llm import reason_for, structured_step
from prompts.prompting import json_hint, template
from storage.memory import Recent

log = logging.getLogger("expansion_bot")
WAIT_S = 8.0  # longer than this and the offline reading answers (the call finishes unheard)
MAX_ACCOUNTS = 12  # the candidates shown to the model: what the message could mean, not the portfolio
_calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="understand")


class Reading(BaseModel):
    """What the model reads in a message: the shape of a command."""

    command: Literal[
        "prep",
        "expansion",
        "draft",
        "objection",
        "outcome",
        "question",
        "digest",
        "pipeline",
        "mine",
        "help",
        "unknown",
    ]
    account_id: str = ""
    channel: str = ""
    language: str = ""
    objection: str = ""
    outcome: str = ""
    topic: str = ""


def choose(
    model: Any, text: str, accounts: list[tuple[str, str]], recent: Recent | None, offline: Understanding
) -> Understanding:
    """The model's reading when it is valid, else `offline` (with the reason logged)."""
    shown = candidates(text, accounts, recent, offline)
    try:
        reading = _calls.submit(_ask, model, text, shown, recent).result(timeout=WAIT_S)
        return validated(reading, dict(accounts), offline)
    except WaitedTooLong:
        why = "the model was too slow"
    except Exception as exc:  # any failure of the model is a reason to answer offline, never an error
        why = reason_for(exc)
    log.info("understanding offline: %s", why)
    return offline


def candidates(
    text: str, accounts: list[tuple[str, str]], recent: Recent | None, offline: Understanding
) -> list[tuple[str, str]]:
    """The accounts the message may mean: what offline found, the one talked about, and close names."""
    names = dict(accounts)
    ids = [offline.account_id, *(i for i, _ in offline.candidates), recent.account_id if recent else ""]
    close = process.extract(text, names, scorer=fuzz.partial_token_set_ratio, limit=MAX_ACCOUNTS)
    ids += [key for _, score, key in close if score >= 60]
    return [(i, names[i]) for i in dict.fromkeys(ids) if i in names][:MAX_ACCOUNTS]


def _ask(model: Any, text: str, shown: list[tuple[str, str]], recent: Recent | None) -> Reading:
    step, wants_json = structured_step(model, Reading)
    prompt = template("understand").format(
        accounts="\n".join(f"{i}: {n}" for i, n in shown) or "(none)",
        recent=f"{recent.command} about {recent.account_id} {recent.options}" if recent else "nothing yet",
        message=text.replace("<", "‹").replace(">", "›"),
        format=json_hint(Reading) if wants_json else "",
    )
    answer = step.invoke([("system", template("system")), ("human", prompt)])
    return _reading(answer)


def _reading(answer: Any) -> Reading:
    if isinstance(answer, dict) and "parsed" in answer:
        if answer.get("parsing_error") is not None:
            raise answer["parsing_error"]
        answer = answer["parsed"]
    return answer if isinstance(answer, Reading) else Reading.model_validate(answer)


def validated(r: Reading, names: dict[str, str], offline: Understanding) -> Understanding:
    """The reading as an Understanding, or ValueError: an unknown account or option, or another account
    than the one the message names."""
    if r.command == "unknown":
        return offline
    if r.account_id and r.account_id not in names:
        raise ValueError(f"the model named an account that does not exist: {r.account_id[:40]!r}")
    if offline.account_id and not offline.from_memory and r.account_id != offline.account_id:
        raise ValueError("the model chose another account than the one the message names")
    allowed = {
        "channel": set(vocabulary()["channels"]),
        "language": set(vocabulary()["languages"]),
        "objection": set(vocabulary()["objections"]),
        "outcome": set(vocabulary()["outcomes"]),
        "topic": set(TOPICS),
    }
    for key, values in allowed.items():
        if getattr(r, key) and getattr(r, key) not in values:
            raise ValueError(f"the model gave an unknown {key}: {getattr(r, key)[:40]!r}")
    if r.command in ACCOUNT_INTENTS and not r.account_id:
        return offline  # no account: offline asks which (or says it could not find it)
    if (r.command == "objection" and not r.objection) or (r.command == "outcome" and not r.outcome):
        return offline
    if r.command == "question":
        command = Command(
            "question", account=r.account_id, language=offline.language, options={"topic": r.topic}
        )
    else:
        command = Command(
            r.command,
            account=r.account_id,
            channel=r.channel,
            language=r.language,
            objection=r.objection,
            outcome=r.outcome,
        )
    kind: Literal["command", "question"] = "question" if r.command == "question" else "command"
    return replace(
        offline,
        kind=kind,
        command=command,
        account_id=r.account_id,
        from_memory=bool(offline.from_memory and r.account_id == offline.account_id),
        candidates=(),
        typed="",
        source="model",
    )
