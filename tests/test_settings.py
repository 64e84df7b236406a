"""Configuration as the engineer who runs the bot meets it: one clear message per problem at start."""

from __future__ import annotations

import os

import pytest

from bot.settings import SettingsError, load_settings
from bot.wiring import writer_factory


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"},
            "SLACK_APP_TOKEN must be an app-level token",
        ),
        ({"OPENAI_API_KEY": "changeme"}, "OPENAI_API_KEY is a placeholder"),
        (
            {"TWILIO_ACCOUNT_SID": "AC1"},
            "Twilio is partly configured: TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM missing",
        ),
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_WHATSAPP_FROM": "whatsapp:+1415"},
            "PUBLIC_BASE_URL is not",
        ),
        ({"TODAY": "24/11/2026"}, "TODAY must be YYYY-MM-DD"),
        ({"PORT": "http"}, "PORT: Input should be a valid integer"),
        ({"LANGSMITH_TRACING": "true"}, "LANGSMITH_TRACING is on but LANGSMITH_API_KEY is not set"),
    ],
)
def test_each_problem_has_its_own_message(monkeypatch: pytest.MonkeyPatch, env: dict, message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


def test_two_problems_are_both_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("TODAY", "tomorrow")
    with pytest.raises(SettingsError) as failed:
        load_settings()
    assert "SLACK_BOT_TOKEN is not" in str(failed.value) and "TODAY must be" in str(failed.value)


def test_langsmith_settings_reach_langchain(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value given only in .env never reaches os.environ by itself; LangChain reads it from there."""
    monkeypatch.setattr(os, "environ", os.environ.copy())  # what the code exports is undone after
    with open(".env", "w", encoding="utf-8") as env_file:
        env_file.write("OPENAI_API_KEY=sk-test\nLANGSMITH_TRACING=true\nLANGSMITH_API_KEY=ls-key\n")
        env_file.write("LANGSMITH_PROJECT=expansion\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    settings = load_settings()
    assert os.environ.get("LANGSMITH_TRACING") is None
    writer = writer_factory(settings)()
    assert writer.name == "llm"
    assert os.environ["LANGSMITH_TRACING"] == "true" and os.environ["LANGSMITH_API_KEY"] == "ls-key"
    assert os.environ["LANGSMITH_PROJECT"] == "expansion"


def test_slack_team_id_is_a_setting_like_the_others(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Read with the other settings (so `.env` works too), not from the process environment alone."""
    from bot.slack.runtime import team_ids_setting

    (tmp_path / ".env").write_text("SLACK_TEAM_ID=T0OURTEAM, T0SECOND\n")
    assert team_ids_setting(load_settings()) == {"T0OURTEAM", "T0SECOND"}
    monkeypatch.setenv("SLACK_TEAM_ID", "T0ENV")
    assert team_ids_setting(load_settings()) == {"T0ENV"}
