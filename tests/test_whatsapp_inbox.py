"""The inbox: one sender's messages are answered in arrival order; senders do not wait for each other."""

from __future__ import annotations

import threading
import time

from bot.whatsapp.inbox import Inbox


def test_jobs_of_one_key_run_in_order_one_at_a_time() -> None:
    inbox = Inbox(workers=4)
    seen: list[int] = []
    running = 0
    overlap = False
    lock = threading.Lock()

    def job(i: int) -> None:
        nonlocal running, overlap
        with lock:
            running += 1
            overlap |= running > 1
        time.sleep(0.002)
        seen.append(i)
        with lock:
            running -= 1

    for i in range(30):
        inbox.submit("whatsapp:+6281211110001", lambda i=i: job(i))
    assert inbox.wait_idle(5)
    assert seen == list(range(30)) and not overlap
    inbox.close()


def test_a_slow_sender_does_not_hold_up_another() -> None:
    inbox = Inbox(workers=2)
    release = threading.Event()
    done = threading.Event()
    inbox.submit("slow", lambda: release.wait(5))
    inbox.submit("fast", done.set)
    assert done.wait(2)
    release.set()
    assert inbox.wait_idle(5)
    inbox.close()


def test_a_failing_job_does_not_stop_the_next(caplog) -> None:  # type: ignore[no-untyped-def]
    inbox = Inbox(workers=1)
    ran = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    inbox.submit("k", boom)
    inbox.submit("k", ran.set)
    assert inbox.wait_idle(5) and ran.is_set()
    assert "inbox job failed" in caplog.text
    inbox.close()


def test_wait_idle_times_out_while_a_job_runs() -> None:
    inbox = Inbox(workers=1)
    release = threading.Event()
    inbox.submit("k", lambda: release.wait(5))
    assert not inbox.wait_idle(0.05)
    release.set()
    assert inbox.wait_idle(5)
    inbox.close()
