"""What a handler needs to answer one command: the database, the day, who asks, and the writer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from handlers.reply import Reply

MEMORY_TTL = timedelta(hours=4)  # how long the account a user last talked about is remembered


@dataclass(frozen=True)
class AfterCommit:
    """The rest of a handler that calls a model: dispatch runs `finish` once the handler's session is
    committed and closed, so no transaction (nor SQLite's one write lock) waits on the model."""

    finish: Callable[[], Reply]


@dataclass
class Context:
    engine: Engine
    today: date
    caller_email: str = ""  # the registered CSM asking; "" on the operator's own console
    user_key: str = ""  # who to remember the last account for: "slack:U1", "whatsapp:+62…"
    channel: str = "console"  # console | slack | whatsapp
    writer_factory: Callable[[], Any] | None = None  # builds the writer on first use (imports are slow)
    digest_cap: int | None = None  # DIGEST_CAP; None: the playbooks' default
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # ties log lines to a command
    _writer: Any = field(default=None, repr=False)

    @property
    def writer(self) -> Any:
        """The configured writer, every output of which passes the one final review."""
        if self._writer is None:
            from prompts.checks import Reviewed

            if self.writer_factory is None:
                from prompts.offline import OfflineWriter

                self._writer = Reviewed(OfflineWriter())
            else:
                self._writer = Reviewed(self.writer_factory())
        return self._writer
