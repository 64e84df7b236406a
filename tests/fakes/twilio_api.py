"""A local stand-in for Twilio's Messages API, for tests and the bench: it records what would be sent.

Point TWILIO_API_URL at `FakeTwilio().start()`. Queue failures with `fail_next(500, 500)` or make it
`down = True`; `answer_delay` makes it accept a message, then answer late (as a slow Twilio does, past the
client's timeout); `wait_for(n)` blocks until n messages were accepted. GET Messages.json lists them,
newest first, filtered by To and From, like Twilio's message list.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from . import serve_in_background

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass(frozen=True)
class Sent:
    """One message Twilio accepted, with when it arrived (monotonic clock) for the bench."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    at: float
    created: datetime  # Twilio's date_created


class FakeTwilio:
    """Answers POST /2010-04-01/Accounts/AC…/Messages.json like Twilio does, on 127.0.0.1."""

    def __init__(self) -> None:
        self.messages: list[Sent] = []
        self.attempts = 0  # every POST, failed ones included
        self.down = False  # answer every request with 500
        self.latency = 0.0  # seconds to wait before answering, as a real API would
        self.answer_delay = 0.0  # seconds to wait after accepting a message, before saying so
        self.lookups = 0  # GETs of the message list
        self._failures: list[int] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> str:
        """Serve on a free port in a daemon thread; returns the base URL for TWILIO_API_URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
                if fake.latency:
                    time.sleep(fake.latency)
                status, payload = fake._answer(self.path, form)
                if status == 201 and fake.answer_delay:
                    time.sleep(fake.answer_delay)
                self._reply(status, payload)

            def do_GET(self) -> None:
                self._reply(*fake._list(self.path))

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout): Twilio keeps the message anyway
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the records
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve_in_background(self._server)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these HTTP statuses, one each, before accepting again."""
        with self._changed:
            self._failures.extend(statuses)

    def wait_for(self, count: int, timeout: float = 5.0, *, to: str | None = None) -> list[Sent]:
        """The accepted messages (to `to`, if given) once there are at least `count`, or at the timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self.messages if to is None or m.to == to]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._changed.wait(left)

    def bodies(self, to: str | None = None) -> list[str]:
        return [m.body for m in self.messages if to is None or m.to == to]

    def _answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        match = _MESSAGES.match(path.split("?")[0])
        with self._changed:
            self.attempts += 1
            if match is None:
                return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
            failure = 500 if self.down else (self._failures.pop(0) if self._failures else 0)
            if failure:
                return failure, {
                    "code": 20500 if failure >= 500 else 20429,
                    "message": "fake failure",
                    "status": failure,
                }
            if not form.get("To") or not form.get("Body"):
                return 400, {"code": 21604, "message": "A 'To' and a 'Body' are required", "status": 400}
            sent = Sent(
                sid="SM" + uuid.uuid4().hex,
                account_sid=match.group(1),
                to=form["To"],
                from_=form.get("From", ""),
                body=form["Body"],
                at=time.monotonic(),
                created=datetime.now(UTC),
            )
            self.messages.append(sent)
            self._changed.notify_all()
        return 201, _resource(sent)

    def _list(self, path: str) -> tuple[int, dict[str, Any]]:
        url, _, query = path.partition("?")
        if _MESSAGES.match(url) is None:
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        wanted = {k: v[0] for k, v in parse_qs(query).items()}
        size = int(wanted.get("PageSize", "50"))
        with self._changed:
            self.lookups += 1
            if self.down:
                return 500, {"code": 20500, "message": "fake failure", "status": 500}
            found = [
                m
                for m in reversed(self.messages)
                if m.to == wanted.get("To", m.to) and m.from_ == wanted.get("From", m.from_)
            ][:size]
        return 200, {
            "messages": [_resource(m) for m in found],
            "end": max(len(found) - 1, 0),
            "first_page_uri": url,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": path,
        }


def _resource(sent: Sent) -> dict[str, Any]:
    """A message as Twilio's API shows it."""
    return {
        "sid": sent.sid,
        "account_sid": sent.account_sid,
        "to": sent.to,
        "from": sent.from_,
        "body": sent.body,
        "status": "queued",
        "num_segments": "1",
        "direction": "outbound-api",
        "date_created": format_datetime(sent.created),
    }


def inbound_form(
    body: str, sender: str, *, to: str, account_sid: str, message_sid: str = ""
) -> dict[str, str]:
    """The form Twilio posts to the webhook for an incoming WhatsApp message."""
    sid = message_sid or "SM" + uuid.uuid4().hex
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Rep",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": sender.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def sign(auth_token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it for this public URL and form."""
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(auth_token).compute_signature(url, form))
