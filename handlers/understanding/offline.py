"""The deterministic understanding step: a sentence and the conversation so far to a command, a
question about an account, a clarifying question, or "not understood". No model, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from handlers.accounts import MATCH_SCORE, mention
from handlers.commands import Command, options_of
from handlers.understanding.words import (
    LANGUAGES,
    Hit,
    find,
    language_words,
    outcome_table,
    table,
    tokens,
    word_set,
)
from handlers.workflow import COMMANDS as WORKFLOW  # strict verbs: free text keeps their options
from storage.memory import Recent

Kind = Literal["command", "question", "clarify", "unknown"]
ACCOUNT_INTENTS = ("prep", "expansion", "draft", "objection", "outcome", "question", *WORKFLOW)
# Equal evidence goes to the more specific reading: "they said no budget" is an objection, not a "no".
PRIORITY = (
    "objection",
    "outcome",
    "question",
    "draft",
    "prep",
    "expansion",
    "digest",
    "pipeline",
    "mine",
    "help",
)
FOLLOW_UP_COMMANDS = ("prep", "draft", "objection", "expansion", "question")
LANGUAGE_OPTIONS = {"prep", "draft", "objection"}  # the commands that write in a language
TYPO_SCORE = 85  # "prepp" is prep, "drat" is draft; "pre" is too short to tell
_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")


@dataclass(frozen=True)
class Understanding:
    kind: Kind
    command: Command | None = None  # a command, or Command("question", options={"topic": …})
    language: str = "en"  # the asker's language: questions and clarifications answer in it
    language_told: bool = True  # False: Indonesian or Malay, the words alone do not say which
    account_id: str = ""  # the account the sentence is about, when known for sure
    from_memory: bool = False  # the account came from the conversation, not the sentence
    candidates: tuple[tuple[str, str], ...] = ()  # clarify: (account_id, name) to choose from
    typed: str = ""  # the words that named an account we could not find or decide
    not_understood: tuple[str, ...] = ()  # words of a strict command that meant nothing
    source: str = "offline"  # offline | model


def understand(
    text: str, accounts: list[tuple[str, str]], recent: Recent | None, hint: Command | None = None
) -> Understanding:
    """Read `text` (with the last command of this conversation, and a strict verb when it had one)."""
    words = tokens(text)
    originals = _WORD.findall(text)
    if len(originals) != len(words):
        originals = list(words)  # "akunnya" splits in two: keep folded words as the originals
    hits = _hits(words)
    taken = {i for hs in hits.values() for h in hs for i in range(h.start, h.end)}
    filler = word_set("filler")
    free = frozenset(i for i, w in enumerate(words) if i not in taken and w not in filler)
    found = mention(words, accounts, free=free, company=word_set("company_words"))
    named = found.account_id is not None or bool(found.suggestions and found.score >= MATCH_SCORE)
    span = range(*found.span) if named else range(0)
    if span:
        hits = {
            k: [h for h in hs if not (h.start < span.stop and span.start < h.end)] for k, hs in hits.items()
        }
    language, told = _asker_language(words, span)
    intent, topic = _intent(hits, hint, "?" in text, named)
    options = _options(hits, intent)
    if hint is not None:
        options = options | options_of(hint) | ({"reason": hint.reason} if hint.reason else {})
    leftover = [i for i in sorted(free) if i not in span and not _in_hits(i, hits)]
    not_understood = tuple(originals[i] for i in leftover) if hint is not None else ()

    if intent is None and 0 in leftover:
        intent = _misspelt_verb(words[0])
        if intent is not None:
            leftover.remove(0)
    if intent is None and (options or hits["pronouns"]) and recent is not None and not named:
        intent = _follow_up_intent(recent, options)
        topic = recent.options.get("topic", "") if intent == "question" else ""
    if intent is None and named and ("?" in text or hits["question_words"]):
        intent = "question"  # about an account (or which of two), but not what we can answer: say what we can
    if intent is None:
        return Understanding("unknown", language=language, account_id=found.account_id or "")
    if intent not in ACCOUNT_INTENTS:
        return Understanding("command", Command(intent), language=language)

    # the account: named in the sentence, or the one we talked about, never a guess
    account_id, from_memory, typed = found.account_id or "", False, ""
    if found.account_id is None and named:
        return Understanding(
            "clarify",
            _command(intent, "", topic, options, language),
            language=language,
            candidates=found.suggestions,
            typed=" ".join(originals[found.span[0] : found.span[1]]),
        )
    if not account_id:
        if leftover and not hits["pronouns"]:
            typed = " ".join(originals[i] for i in _first_run(leftover))
            not_understood = tuple(w for w in not_understood if w not in typed.split())
        elif recent is not None:
            account_id, from_memory = recent.account_id, True
    if recent is not None and account_id == recent.account_id and hint is None:
        options = _carried(intent, recent, options)
    command = _command(intent, account_id or typed, topic, options, language)
    return Understanding(
        "question" if intent == "question" else "command",
        command,
        language=language,
        language_told=told,
        account_id=account_id,
        from_memory=from_memory,
        candidates=found.suggestions if typed else (),
        typed=typed,
        not_understood=not_understood,
    )


def _hits(words: tuple[str, ...]) -> dict[str, list[Hit]]:
    hits = {
        name: find(words, table(name))
        for name in ("intents", "questions", "objections", "channels", "languages", "pronouns", "follow_ups")
    }
    hits["question_words"] = find(words, table("question_words"))
    objection_places = {i for h in hits["objections"] for i in range(h.start, h.end)}
    hits["outcomes"] = [
        h for h in find(words, outcome_table()) if not objection_places & set(range(h.start, h.end))
    ]
    return hits


def _in_hits(i: int, hits: dict[str, list[Hit]]) -> bool:
    return any(h.start <= i < h.end for hs in hits.values() for h in hs)


def _intent(
    hits: dict[str, list[Hit]], hint: Command | None, asked: bool, named: bool
) -> tuple[str | None, str]:
    """The command (or "question") the words argue for most, and the question's topic. "Help" asks for
    the help only when no account is named: "can you help me get ready for Orchard Fitness" is a prep."""
    votes: dict[str, float] = {}

    def vote(intent: str, weight: float) -> None:
        votes[intent] = max(votes.get(intent, 0.0), weight)

    for h in hits["intents"]:
        if not (named and h.key == "help"):
            vote(h.key, h.size + (0.5 if h.start == 0 else 0))
    for h in hits["objections"]:
        vote("objection", h.size + 0.5)
    for h in hits["outcomes"]:
        vote("outcome", h.size + (1 if any(i.key == "outcome" for i in hits["intents"]) else 0))
    topic = max(hits["questions"], key=lambda h: h.size).key if hits["questions"] else ""
    if topic:
        vote(
            "question", max(h.size for h in hits["questions"]) + (1 if asked or hits["question_words"] else 0)
        )
    if hits["channels"]:
        vote("draft", 0.5)
    if "objection" in votes and "outcome" in votes and not hits["objections"]:
        del votes["objection"]  # "they said no": a recorded answer, not an objection to handle
    if "objection" in votes and not hits["objections"]:
        votes["objection"] = min(votes["objection"], 0.9)  # "they said …" alone names no objection
    if hint is not None and hint.name not in {"help", "mine"}:
        return hint.name, ""
    if not votes:
        return (hint.name if hint else None), ""
    best = max(votes.items(), key=lambda kv: (kv[1], -PRIORITY.index(kv[0])))[0]
    return best, topic if best == "question" else ""


def _misspelt_verb(word: str) -> str | None:
    """ "prepp Kedai Kopi Damai": a first word one typo away from a one-word intent phrase."""
    if len(word) < 4:
        return None
    verbs = {k[0]: v[0] for k, v in table("intents").items() if len(k) == 1 and len(k[0]) >= 4}
    found = process.extractOne(word, verbs.keys(), scorer=fuzz.ratio, score_cutoff=TYPO_SCORE)
    return verbs[found[0]] if found else None


def _options(hits: dict[str, list[Hit]], intent: str | None) -> dict[str, str]:
    options = {
        "channel": hits["channels"][0].key if hits["channels"] else "",
        "language": hits["languages"][-1].key if hits["languages"] else "",
        "objection": max(hits["objections"], key=lambda h: h.size).key if hits["objections"] else "",
        "outcome": hits["outcomes"][0].key if hits["outcomes"] and intent == "outcome" else "",
    }
    return {k: v for k, v in options.items() if v}


def _follow_up_intent(recent: Recent, options: dict[str, str]) -> str | None:
    """A bare follow-up ("and in Thai please", "make it WhatsApp") continues the last command."""
    if options.get("objection"):
        return "objection"
    if options.get("channel"):
        return "draft"
    return recent.command if recent.command in FOLLOW_UP_COMMANDS else None


def _carried(intent: str, recent: Recent, options: dict[str, str]) -> dict[str, str]:
    """Within one conversation about one account: the same command keeps its options, and a written
    answer keeps the language asked for last."""
    carried: dict[str, str] = {}
    if intent == recent.command:
        carried = {k: v for k, v in recent.options.items() if k in {"channel", "language", "objection"}}
    elif intent in LANGUAGE_OPTIONS and recent.command in LANGUAGE_OPTIONS and recent.options.get("language"):
        carried = {"language": recent.options["language"]}
    return carried | options


def _command(intent: str, account: str, topic: str, options: dict[str, str], language: str) -> Command:
    if intent == "question":
        return Command("question", account=account, language=language, options={"topic": topic})
    if intent in WORKFLOW:  # "snooze Kopi Nusantara 14": the offer, days or signal the parser read
        kept = {k: v for k, v in options.items() if k in {"offer", "days", "signal"}}
        return Command(intent, account=account, options=kept)
    return Command(
        intent,
        account=account,
        channel=options.get("channel", "") if intent == "draft" else "",
        language=options.get("language", "") if intent in LANGUAGE_OPTIONS else "",
        objection=options.get("objection", "") if intent == "objection" else "",
        outcome=options.get("outcome", "") if intent == "outcome" else "",
        reason=options.get("reason", "") if intent == "outcome" else "",
    )


def _asker_language(words: tuple[str, ...], span: range) -> tuple[str, bool]:
    """en, id or ms: the language whose words the sentence uses most, a local one on a tie (code-mixed
    text is answered locally); Indonesian and Malay are told apart by the words only one of them has
    (False when none of those is there: "siapa champion di …?" could be either)."""
    said = [w for i, w in enumerate(words) if i not in span]
    score = {lang: sum(1 for w in said if w in language_words(lang)) for lang in LANGUAGES}
    only = {
        lang: sum(1 for w in said if w in language_words(lang) - language_words(other))
        for lang, other in (("id", "ms"), ("ms", "id"))
    }
    local = "ms" if only["ms"] > only["id"] else "id"
    if score[local] and score[local] >= score["en"]:
        return local, only["ms"] != only["id"]
    return "en", True


def _first_run(positions: list[int]) -> list[int]:
    run = positions[:1]
    for i in positions[1:]:
        if i != run[-1] + 1:
            break
        run.append(i)
    return run
