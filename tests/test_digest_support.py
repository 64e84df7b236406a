"""A local stand-in for Slack's Web API (chat.postMessage, conversations.history) for the digest tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from bot.settings import Settings


class FakeSlack:
    """Counts posts; `fail` is a queue of failures (500, 429, or a Slack error name) for the next calls."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.fail: list[int | str] = []
        self.history_error = ""  # e.g. "missing_scope": conversations.history refuses
        self.post_delay = 0.0  # seconds each successful post takes: widens races in tests
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw or url.query).items()}
                status, headers, payload = fake.handle(url.path.strip("/"), body)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(payload, str) else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def handle(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.calls.append(method)
            if method == "conversations.history":
                if self.history_error:
                    return 200, {}, {"ok": False, "error": self.history_error}
                messages = [p for p in reversed(self.posts) if p["channel"] == body.get("channel")]
                return 200, {}, {"ok": True, "messages": messages, "has_more": False}
            if method != "chat.postMessage":
                return 200, {}, {"ok": False, "error": "unknown_method"}
            failure = self.fail.pop(0) if self.fail else None
        if failure == 500:
            return 500, {}, "upstream connect error"
        if failure == 429:
            return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
        if isinstance(failure, str):
            return 200, {}, {"ok": False, "error": failure}
        time.sleep(self.post_delay)
        with self._lock:
            ts = f"{1795000000 + len(self.posts)}.000100"
            self.posts.append({**body, "ts": ts, "type": "message"})
        return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": ts}

    def count(self, method: str) -> int:
        return self.calls.count(method)


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def slack_settings(database_url: str, slack_url: str, **overrides: Any) -> Settings:
    """Settings with Slack configured against the fake; nothing read from the environment matters."""
    return Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        slack_api_url=slack_url,
        **overrides,
    )
