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

from prompts.checks import review, ungrounded
from prompts.facts import Facts
from prompts.offline import OfflineWriter
from prompts.prompting import messages, repair_messages
from prompts.schema import Brief, Draft, ObjectionAnswer, Written

log = logging.getLogger("expansion_bot")
T = TypeVar("T", Brief, Draft, ObjectionAnswer)
# Builds the structured step for a schema; returns the runnable and whether the prompt must ask for JSON.
Structured = Callable[[BaseChatModel, type[BaseModel]], tuple[Runnable[Any, Any], bool]]
FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


class AnswerFormatError(ValueError):
    """The model answered, but not with the output the schema asks for."""


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
        return model.with_structured_output(schema, method="function_calling", include_raw=True), False
    except NotImplementedError:
        return model | PydanticOutputParser(pydantic_object=schema), True


def reason_for(exc: BaseException) -> str:
    """Why the model did not answer, in words a CSM can read (no stack traces)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return "the model timed out"
    if status == 429 or "RateLimit" in name:
        return "the model is rate-limited (HTTP 429)"
    if status:
        return f"the model returned an error (HTTP {status})"
    if "Connection" in name:
        return "the model could not be reached"
    if isinstance(exc, ValueError | TypeError | KeyError) or any(w in name for w in ("Pars", "Validation")):
        return "the model's answer did not fit the expected format"
    return f"the model failed ({name})"


def as_output(answer: Any, schema: type[T]) -> T:
    """The schema's output from whatever the structured step returned: the parsed tool call, a dict,
    or JSON written as plain text by a server that ignores tool calling."""
    if isinstance(answer, dict) and {"raw", "parsed"} <= answer.keys():
        if answer["parsed"] is not None:
            return as_output(answer["parsed"], schema)
        try:
            return as_output(answer["raw"], schema)
        except AnswerFormatError:
            if answer.get("parsing_error"):
                raise answer["parsing_error"] from None
            raise
    if isinstance(answer, schema):
        return answer
    if isinstance(answer, dict):
        return schema.model_validate(answer)
    content = getattr(answer, "content", None)
    if isinstance(content, str) and content.strip():
        text = FENCE.sub("", content.strip())
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            try:
                return schema.model_validate_json(text[start : end + 1])
            except ValueError:
                pass
    raise AnswerFormatError(f"expected {schema.__name__}, got {type(answer).__name__}")


class LLMWriter:
    """Writes with a chat model; any failure or ungrounded answer falls back to the offline writer.

    An answer wrong only in form (length, form of address, language) is sent back once with its
    problems listed; an ungrounded one (an amount, a discount, a date the facts do not hold) is not."""

    name = "llm"

    def __init__(self, model: BaseChatModel, *, structured: Structured | None = None) -> None:
        self.model = model
        self.structured = structured or structured_step
        self.offline = OfflineWriter()

    def brief(self, facts: Facts) -> Written[Brief]:
        return self._run("brief", Brief, facts, lambda: self.offline.brief(facts).output)

    def draft(self, facts: Facts) -> Written[Draft]:
        return self._run("draft", Draft, facts, lambda: self.offline.draft(facts).output)

    def objection(self, facts: Facts, kind: str) -> Written[ObjectionAnswer]:
        return self._run(
            "objection",
            ObjectionAnswer,
            facts,
            lambda: self.offline.objection(facts, kind).output,
            kind=kind,
        )

    def _run(
        self,
        task: str,
        schema: type[T],
        facts: Facts,
        offline: Callable[[], T],
        kind: str = "",
    ) -> Written[T]:
        try:
            step, hint = self.structured(self.model, schema)
            asked = messages(task, facts, schema, kind=kind, hint=hint)
            out = as_output(step.invoke(asked), schema)
        except Exception as exc:  # any model failure: the user still gets an answer
            log.warning("model writer failed task=%s account=%s: %r", task, facts.account.account_id, exc)
            return Written(offline(), "offline", reason_for(exc))
        problems = review(task, out, facts)
        if problems and not ungrounded(task, out, facts):  # only its form is wrong: one more call to fix it
            log.info("model output repaired task=%s id=%s: %s", task, facts.account.account_id, problems)
            try:
                out = as_output(step.invoke(repair_messages(asked, out, problems)), schema)
                problems = review(task, out, facts)
            except Exception as exc:
                log.warning("model repair failed task=%s id=%s: %r", task, facts.account.account_id, exc)
        if problems:
            log.warning("model output rejected task=%s id=%s: %s", task, facts.account.account_id, problems)
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return Written(offline(), "offline", f"the model's text was rejected: {problems[0]}{more}")
        if isinstance(out, Brief) and len(out.questions) != 5:  # the playbook's five, tied to the signals
            own = offline()
            extra = [q for q in own.questions if q not in out.questions] if isinstance(own, Brief) else []
            out.questions[:] = (out.questions + extra)[:5]
        return Written(out, self.name)
