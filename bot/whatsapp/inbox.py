"""Where the webhook leaves messages to be answered: a few threads, one sender at a time, in arrival order.

A small bounded pool keeps the web server's event loop responsive (every CPU-bound command competes with
it for the GIL), and a per-sender queue means a rep's `prep X` is answered, and remembered, before the
`draft` typed right after it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("expansion_bot.whatsapp")

WORKERS = 4


class Inbox:
    """Runs jobs on a bounded pool; jobs with the same key run one after another, in submission order."""

    def __init__(self, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(workers or WORKERS, thread_name_prefix="whatsapp-inbox")
        self._queues: dict[str, deque[Callable[[], None]]] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding = 0

    def submit(self, key: str, job: Callable[[], None]) -> None:
        """Queue `job` behind the jobs already waiting for `key`; returns at once."""
        with self._lock:
            self._outstanding += 1
            queue = self._queues.get(key)
            if queue is not None:  # a worker is draining this key: it will get to this job
                queue.append(job)
                return
            self._queues[key] = deque([job])
        self._pool.submit(self._drain, key)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                job = queue.popleft()
            try:
                job()
            except Exception:  # a job should not raise; if one does, the next ones still run
                log.exception("whatsapp inbox job failed key=%s", key)
            finally:
                with self._lock:
                    self._outstanding -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every submitted job has run (tests, bench, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._outstanding:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def close(self, timeout: float = 30.0) -> None:
        """Finish the messages already accepted, then stop the threads: Twilio will not send them again."""
        self.wait_idle(timeout)
        self._pool.shutdown(wait=False, cancel_futures=False)
