"""The model writer: one LangChain call per output into the shared schema, grounded, with offline fallback.

The only module that imports LangChain (slow to import), and only when a model is configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from prompts import grounding
from prompts.facts import Facts
from prompts.offline import OfflineWriter
from prompts.prompting import messages
from prompts.schema import Brief, Draft, ObjectionAnswer, Written

log = logging.getLogger("expansion_bot")
T = TypeVar("T", Brief, Draft, ObjectionAnswer)
# Builds the structured step for a schema; returns the runnable and whether the prompt must ask for JSON.
Structured = Callable[[BaseChatModel, type[BaseModel]], tuple[Runnable[Any, Any], bool]]
EMAIL_WORDS = (170, 345)  # 200-300 asked for, with some slack before the model's draft is refused
CHAT_CHARS = {"whatsapp": 1000, "slack": 1500}
MALAY_WORDS = ("yang", "dan", "kami", "untuk", "dengan")  # common to Bahasa Indonesia and Melayu
LOCAL_WORDS = {"id": MALAY_WORDS, "ms": MALAY_WORDS}
ADDRESS_FORMS = {"ID": ("Bapak", "Ibu", "Pak", "Bu"), "MY": ("Encik", "Puan", "Cik", "Tuan")}
ADDRESS_FORMS |= {"TH": ("Khun", "คุณ", "Dr"), "VN": ("Anh", "Chị", "Chi")}


def build_model(api_key: str, base_url: str | None, model: str, timeout: float) -> BaseChatModel:
    """The one place a chat model is built: no retries (the offline writer is the retry), a hard timeout."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        api_key=api_key,  # type: ignore[arg-type]
        base_url=base_url,
        timeout=timeout,
        max_retries=0,
        temperature=0.3,
    )


def structured_step(model: BaseChatModel, schema: type[BaseModel]) -> tuple[Runnable[Any, Any], bool]:
    """Tool calling when the model has it; otherwise ask for JSON and parse it into the same schema."""
    try:
        return model.with_structured_output(schema, method="function_calling"), False
    except NotImplementedError:
        return model | PydanticOutputParser(pydantic_object=schema), True


def reason_for(exc: BaseException) -> str:
    """Why the model did not answer, in words a CSM can read (no stack traces)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return "the model timed out"
    if status == 429 or "RateLimit" in name:
        return "the model is rate-limited (429)"
    if status:
        return f"the model returned an error (HTTP {status})"
    if "Connection" in name:
        return "the model could not be reached"
    if any(w in name for w in ("Pars", "Validation", "JSONDecode")):
        return "the model's answer did not fit the expected format"
    return f"the model failed ({name})"


def text_of(output: BaseModel) -> str:
    """Every string in an output, for the grounding check."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(output.model_dump())
    return "\n".join(parts)


class LLMWriter:
    """Writes with a chat model; any failure or ungrounded answer falls back to the offline writer."""

    name = "llm"

    def __init__(self, model: BaseChatModel, *, structured: Structured | None = None) -> None:
        self.model = model
        self.structured = structured or structured_step
        self.offline = OfflineWriter()

    def brief(self, facts: Facts) -> Written[Brief]:
        return self._run("brief", Brief, facts, lambda: self.offline.brief(facts).output, _brief_checks)

    def draft(self, facts: Facts) -> Written[Draft]:
        return self._run("draft", Draft, facts, lambda: self.offline.draft(facts).output, _draft_checks)

    def objection(self, facts: Facts, kind: str) -> Written[ObjectionAnswer]:
        return self._run(
            "objection",
            ObjectionAnswer,
            facts,
            lambda: self.offline.objection(facts, kind).output,
            _objection_checks,
            kind=kind,
        )

    def _run(
        self,
        task: str,
        schema: type[T],
        facts: Facts,
        offline: Callable[[], T],
        checks: Callable[[T, Facts], list[str]],
        kind: str = "",
    ) -> Written[T]:
        try:
            step, hint = self.structured(self.model, schema)
            out = step.invoke(messages(task, facts, schema, kind=kind, hint=hint))
            if isinstance(out, dict):
                out = schema.model_validate(out)
            if not isinstance(out, schema):
                raise TypeError(f"expected {schema.__name__}, got {type(out).__name__}")
        except Exception as exc:  # any model failure: the user still gets an answer
            log.warning("model writer failed task=%s account=%s: %r", task, facts.account.account_id, exc)
            return Written(offline(), "offline", reason_for(exc))
        offer = facts.mode == "proposal" or task != "draft"
        problems = grounding.check(text_of(out), facts.grounds(offer=offer)) + checks(out, facts)
        if problems:
            log.warning("model output rejected task=%s id=%s: %s", task, facts.account.account_id, problems)
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return Written(offline(), "offline", f"the model's text was rejected: {problems[0]}{more}")
        return Written(out, self.name)


def _language(text: str, facts: Facts) -> list[str]:
    words = LOCAL_WORDS.get(facts.language)
    if words and not any(re.search(rf"\b{w}\b", text, re.IGNORECASE) for w in words):
        return [f"not written in the requested language ({facts.language})"]
    return []


def _address(text: str, facts: Facts) -> list[str]:
    forms = ADDRESS_FORMS.get(facts.account.country.upper())
    if forms and facts.contact and not any(f in text for f in forms):
        return [f"does not address the contact as {facts.contact.salutation}"]
    return []


def _draft_checks(out: Draft, facts: Facts) -> list[str]:
    problems = _language(out.body, facts) + _address(out.body, facts)
    if facts.channel == "email":
        n = len(out.body.split())
        if not EMAIL_WORDS[0] <= n <= EMAIL_WORDS[1] and facts.mode == "proposal":
            problems.append(f"email is {n} words (200-300 wanted)")
        if not out.subject.strip() or "upgrade" in out.subject.casefold():
            problems.append("subject line is empty or says 'upgrade'")
    else:
        if len(out.body) > CHAT_CHARS.get(facts.channel, 1000):
            problems.append(f"{facts.channel} message is {len(out.body)} characters")
        if re.search(r"^\s*#", out.body, re.MULTILINE):
            problems.append("chat message has headings")
    return problems


def _objection_checks(out: ObjectionAnswer, facts: Facts) -> list[str]:
    problems = _language(out.message, facts)
    if len(out.message) > CHAT_CHARS["whatsapp"]:
        problems.append(f"message is {len(out.message)} characters")
    if not out.options or not out.next_step.strip():
        problems.append("answer has no options or no next step")
    return problems


def _brief_checks(out: Brief, facts: Facts) -> list[str]:
    if not 3 <= len(out.questions) <= 6:
        return [f"brief has {len(out.questions)} discovery questions (5 wanted)"]
    out.questions[:] = out.questions[:5]
    return []
