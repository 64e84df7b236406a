"""One Settings object from the environment and `.env`; what is configured switches channels on."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = {"changeme", "change-me", "xxx", "your-token-here", "todo", "..."}


class SettingsError(ValueError):
    """A configuration problem, worded for the engineer who runs the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = "sqlite:///expansion_bot.db"
    host: str = "0.0.0.0"
    port: int = 3000
    run_scheduler: bool = True  # false on extra web workers; delivery records keep digests single anyway
    log_level: str = "INFO"
    today: str = ""  # YYYY-MM-DD: pins "today" (demos, reproducible reports); empty = the real date

    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = 20.0
    langsmith_tracing: bool = False
    langsmith_api_key: str = ""
    langsmith_project: str = ""

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    slack_team_id: str = ""  # workspaces served, comma-separated; empty: the bot token's own (auth.test)

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_url: str = ""
    public_base_url: str = ""

    digest_days: str = Field(default="mon-fri", description="APScheduler day_of_week for digests")
    digest_cap: int | None = None  # None: the cap of playbooks/thresholds.yaml
    digest_misfire_grace_minutes: int = 60

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = []
        for name in ("openai_api_key", "slack_bot_token", "slack_signing_secret", "twilio_auth_token"):
            if getattr(self, name).lower() in PLACEHOLDERS:
                problems.append(f"{name.upper()} is a placeholder; set the real value or leave it empty")
        if self.langsmith_tracing and not self.langsmith_api_key:
            problems.append("LANGSMITH_TRACING is on but LANGSMITH_API_KEY is not set")
        if self.slack_signing_secret and not self.slack_bot_token:
            problems.append("SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not")
        if self.slack_bot_token and not self.slack_signing_secret and not self.slack_app_token:
            problems.append(
                "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) "
                "nor SLACK_APP_TOKEN (Socket Mode) is"
            )
        if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        twilio = [self.twilio_account_sid, self.twilio_auth_token, self.twilio_whatsapp_from]
        if any(twilio) and not all(twilio):
            missing = [
                n
                for n, v in zip(
                    ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM"), twilio, strict=True
                )
                if not v
            ]
            problems.append(f"Twilio is partly configured: {', '.join(missing)} missing")
        if all(twilio) and not self.public_base_url:
            problems.append("TWILIO_* is set but PUBLIC_BASE_URL is not (needed to check X-Twilio-Signature)")
        if self.twilio_whatsapp_from and not self.twilio_whatsapp_from.startswith("whatsapp:+"):
            problems.append("TWILIO_WHATSAPP_FROM must look like whatsapp:+6281234567890")
        if self.today:
            from datetime import date

            try:
                date.fromisoformat(self.today)
            except ValueError:
                problems.append(f"TODAY must be YYYY-MM-DD, not {self.today!r}")
        if problems:
            raise SettingsError("; ".join(problems))
        return self

    @cached_property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @cached_property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from)

    @cached_property
    def model_enabled(self) -> bool:
        return bool(self.openai_api_key)


def load_settings() -> Settings:
    """Settings from the environment; a pydantic error becomes one readable message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]).upper()
            msg = str(err["msg"]).removeprefix("Value error, ")
            msgs.append(f"{loc}: {msg}" if loc else msg)
        raise SettingsError("; ".join(msgs)) from None
