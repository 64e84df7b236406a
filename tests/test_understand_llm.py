"""Understanding with a model, over real HTTP against the local OpenAI-compatible stand-in: a valid
choice is used; an unknown account or command, another account than the one named, an error or a
timeout each leave the answer to the offline step; one model call per message; offline, no LangChain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY
from sqlalchemy import Engine
from test_writers_llm import Answer, FakeOpenAI, completion, fake_openai, settings_for

from bot.wiring import writer_factory
from handlers.context import Context
from handlers.dispatch import handle_text
from handlers.reply import Reply

__all__ = ["fake_openai"]  # the stand-in's fixture, used by the tests below
DEWI = "dewi@example.com"
ROOT = Path(__file__).parents[1]


def reads(fake: FakeOpenAI, **choice: str) -> None:
    """The model answers every request with this reading, as a tool call under the name it was asked for."""
    fake.respond = lambda request: completion(
        tool=request["tools"][0]["function"]["name"], arguments=json.dumps(choice)
    )


def ask(engine: Engine, fake: FakeOpenAI, text: str, timeout: float = 2.0) -> Reply:
    ctx = Context(
        engine,
        TODAY,
        caller_email=DEWI,
        user_key="console:llm",
        writer_factory=writer_factory(settings_for(fake, timeout)),
    )
    return handle_text(text, ctx)


def understood(reply: Reply) -> dict[str, Any]:
    return dict(reply.data["understood"])


def test_a_valid_choice_of_the_model_is_used(demo_engine: Engine, fake_openai: FakeOpenAI) -> None:
    reads(fake_openai, command="question", account_id="ID-001", topic="renewal")
    reply = ask(demo_engine, fake_openai, "when do the kopi people in Jakarta renew?")
    assert reply.ok and reply.data["account"]["id"] == "ID-001" and reply.data["topic"] == "renewal"
    assert understood(reply)["source"] == "model"
    assert len(fake_openai.requests) == 1  # one call for understanding, none for a fact
    prompt = json.dumps(fake_openai.requests[0]["messages"], ensure_ascii=False)
    assert "ID-001: Kopi Nusantara" in prompt  # the candidates are shown by id and name


def test_what_offline_is_sure_of_needs_no_model(demo_engine: Engine, fake_openai: FakeOpenAI) -> None:
    """A strict command, or free text naming its command and account, is not sent to the model."""
    reads(fake_openai, command="question", account_id="ID-002", topic="renewal")
    assert ask(demo_engine, fake_openai, "expansion Kopi Nusantara").data["account"]["id"] == "ID-001"
    reply = ask(demo_engine, fake_openai, "when does Kopi Nusantara renew?")
    assert reply.data["account"]["id"] == "ID-001" and understood(reply)["source"] == "offline"
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    "choice",
    [
        {"command": "question", "account_id": "XX-999", "topic": "renewal"},
        {"command": "delete_everything", "account_id": "ID-001"},
        {"command": "draft", "account_id": "ID-001", "channel": "fax"},
    ],
    ids=["unknown-account", "unknown-command", "unknown-option"],
)
def test_an_invalid_choice_is_refused_and_the_offline_step_answers(
    demo_engine: Engine, fake_openai: FakeOpenAI, choice: dict[str, str]
) -> None:
    reads(fake_openai, **choice)
    reply = ask(demo_engine, fake_openai, "when do the kopi people renew?")
    assert not reply.ok and reply.title == "Which “kopi” do you mean?"  # offline asks back
    assert {"ID-001", "MY-001"} <= {s["id"] for s in reply.data["suggestions"]}
    assert len(fake_openai.requests) == 1


def test_the_model_may_not_answer_about_another_account_than_the_one_named(
    demo_engine: Engine, fake_openai: FakeOpenAI
) -> None:
    reads(fake_openai, command="question", account_id="ID-001", topic="renewal")
    reply = ask(demo_engine, fake_openai, "Batik Sentosa hmm")
    assert reply.title == "What would you like for Batik Sentosa?" and len(fake_openai.requests) == 1
    assert "Kopi" not in reply.text


@pytest.mark.parametrize(
    ("failure", "timeout"),
    [
        (Answer(500, b'{"error": {"message": "boom"}}'), 2.0),
        (completion(tool="", content="I think it is Batik?"), 2.0),
        (Answer(200, b"{}", delay=5.0), 0.5),
    ],
    ids=["http-500", "garbage", "slow"],
)
def test_a_failing_model_leaves_the_answer_to_the_offline_step(
    demo_engine: Engine, fake_openai: FakeOpenAI, failure: Answer, timeout: float
) -> None:
    fake_openai.respond = lambda request: failure
    reply = ask(demo_engine, fake_openai, "kapan orang kopi itu perpanjang?", timeout=timeout)
    assert not reply.ok and reply.title == "“kopi” yang mana?"  # offline, in the asker's language
    assert len(fake_openai.requests) == 1


def test_free_text_offline_imports_no_langchain(env_db: str) -> None:
    code = (
        "import sys\n"
        "from bot.cli import app\n"
        "from typer.testing import CliRunner\n"
        "assert CliRunner().invoke(app, ['demo']).exit_code == 0\n"
        "r = CliRunner().invoke(app, ['ask', 'when does Kopi Nusantara renew?', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('langchain')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
