"""Conversation memory (storage/memory.py): a user's last account and options are kept for the window
and forgotten after it, per user; a newer command starts the window again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from storage.db import session_scope
from storage.memory import Recent, recall, recall_recent, remember

WINDOW = timedelta(hours=4)
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_the_memory_lasts_its_window_per_user(engine):
    with time_machine.travel(T0, tick=False) as clock:
        with session_scope(engine) as s:
            remember(s, "slack:U1", "ID-001", "draft", {"channel": "whatsapp", "language": "id", "topic": ""})
        clock.move_to(T0 + WINDOW - timedelta(minutes=1))
        with session_scope(engine) as s:
            assert recall_recent(s, "slack:U1", WINDOW) == Recent(
                "ID-001", "draft", {"channel": "whatsapp", "language": "id"}
            )
            assert recall(s, "slack:U2", WINDOW) == ""  # another user remembers nothing of it
            assert recall(s, "", WINDOW) == ""  # nor does a caller without a key
        clock.move_to(T0 + WINDOW + timedelta(minutes=1))
        with session_scope(engine) as s:
            assert recall_recent(s, "slack:U1", WINDOW) is None
            remember(s, "slack:U1", "SG-001", "prep")  # a new command: a new window, the old options gone
        clock.move_to(T0 + 2 * WINDOW)
        with session_scope(engine) as s:
            assert recall_recent(s, "slack:U1", WINDOW) == Recent("SG-001", "prep", {})
