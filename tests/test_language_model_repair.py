"""The model path repairs before it discards, over real HTTP against the local OpenAI-compatible stand-in.

A draft wrong only in form (here: it does not address the contact) is sent back once with its problems
listed and the second answer is used; one that is still wrong, or that invents an amount, falls back to
the offline writer. Never more than one extra call."""

from __future__ import annotations

import json
import re
from typing import Any

from test_writers_llm import DRAFT, PREP, FakeOpenAI, Task, ask_model, completion
from test_writers_support import all_facts, variant

from prompts.schema import Draft

pytest_plugins = ["test_writers_support", "test_writers_llm"]  # demo_engine, fake_openai

FORMS = re.compile(r"\b(?:Bapak|Ibu|Pak|Bu)\b")
UNADDRESSED = (
    "Selamat siang. Kami ingin berbagi catatan singkat tentang penggunaan dashboard di Kopi Nusantara "
    "dan langkah berikutnya untuk tim ini."
)


def answers(fake: FakeOpenAI, *outputs: Draft) -> None:
    """Answer the n-th request with the n-th output (the last one again after that)."""

    def respond(request: dict[str, Any]) -> Any:
        out = outputs[min(len(fake.requests), len(outputs)) - 1]
        return completion(tool=request["tools"][0]["function"]["name"], arguments=out.model_dump_json())

    fake.respond = respond


def offline_draft(engine: Any) -> Draft:
    return DRAFT.offline(DRAFT.facts(engine))


def test_a_draft_that_fails_only_on_address_is_repaired_by_the_second_answer(
    demo_engine, fake_openai
) -> None:
    good = offline_draft(demo_engine)
    body = UNADDRESSED + "\n\n" + good.body.partition("\n\n")[2]
    bad = good.model_copy(update={"body": FORMS.sub("Anda", body)})
    answers(fake_openai, bad, good)
    reply = ask_model(demo_engine, fake_openai, DRAFT.command)
    assert reply.data["writer"] == "llm", reply.data.get("writer_reason")
    assert reply.forward == good.body
    assert len(fake_openai.requests) == 2  # one extra call, no more
    second = fake_openai.requests[1]["messages"]
    said = json.dumps(second, ensure_ascii=False)
    assert "does not address the contact" in said  # the problems are listed for the model
    assert any(m["role"] == "assistant" for m in second)  # with its own first answer


def test_a_draft_still_wrong_after_the_repair_is_answered_offline(demo_engine, fake_openai) -> None:
    good = offline_draft(demo_engine)
    bad = good.model_copy(update={"body": UNADDRESSED})
    answers(fake_openai, bad, bad)
    reply = ask_model(demo_engine, fake_openai, DRAFT.command)
    assert reply.data["writer"] == "offline"
    assert "rejected" in reply.data["writer_reason"]
    assert len(fake_openai.requests) == 2
    assert reply.forward.startswith("Yth. Bapak Andi")  # the offline draft, addressed properly


def test_a_draft_that_invents_an_amount_is_discarded_without_a_second_call(demo_engine, fake_openai) -> None:
    f = DRAFT.facts(demo_engine)
    assert f.best is not None
    invented = f.money(f.best.price.amount * 1.5)
    good = offline_draft(demo_engine)
    bad = good.model_copy(update={"body": f"{UNADDRESSED} Investasinya hanya {invented}.\n\n{good.body}"})
    answers(fake_openai, bad, good)
    reply = ask_model(demo_engine, fake_openai, DRAFT.command)
    assert reply.data["writer"] == "offline"
    assert invented in reply.data["writer_reason"]
    assert len(fake_openai.requests) == 1  # an ungrounded number is never negotiated with the model


def test_a_model_brief_with_three_questions_gets_the_playbooks_five(demo_engine, fake_openai) -> None:
    """The playbook's prep has five discovery questions: a model's three are kept, topped up from the
    questions tied to this account's signals."""
    brief = PREP.offline(PREP.facts(demo_engine))
    own = brief.questions
    short = brief.model_copy(update={"questions": ["What does the team find slowest today?", *own[3:5]]})
    fake_openai.tool_answer(short)
    reply = ask_model(demo_engine, fake_openai, PREP.command)
    assert reply.data["writer"] == "llm", reply.data.get("writer_reason")
    questions = reply.data["brief"]["questions"]
    assert len(questions) == 5 and questions[0] == "What does the team find slowest today?"
    assert own[0] in questions  # the first signal's question came back
    assert len(fake_openai.requests) == 1


def test_a_model_draft_in_english_for_a_thai_account_is_not_sent(demo_engine, fake_openai) -> None:
    """The review knows Thai and Vietnamese by their script: an English body under a Thai greeting is sent
    back once, then answered by the offline writer in Thai."""
    thai = Task("draft TH-001 whatsapp th", Draft, "th", "whatsapp")
    good = thai.offline(variant(all_facts(demo_engine)["TH-001"], "th", "whatsapp"))
    assert isinstance(good, Draft)
    english = good.model_copy(
        update={"body": good.body.split()[0] + " Thank you for your time last week, here is a short note."}
    )
    answers(fake_openai, english, english)
    reply = ask_model(demo_engine, fake_openai, thai.command)
    assert reply.data["writer"] == "offline"
    assert "requested language (th)" in reply.data["writer_reason"]
    assert len(fake_openai.requests) == 2
    letters = [c for c in reply.forward if c.isalpha()]
    assert sum("\u0e00" <= c <= "\u0e7f" for c in letters) / len(letters) > 0.5
