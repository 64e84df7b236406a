"""A local stand-in for Slack: the Web API methods the bot calls, response_url endpoints, and signed
requests as Slack sends them. Tests and bench/ drive the real app against it, with no network."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from . import serve_in_background

TEAM_ID = "T0OURTEAM"
BOT_USER = "U0BOT00001"


@dataclass
class Call:
    kind: str  # api | respond | upload (a file's bytes, posted to the upload_url)
    name: str  # the Web API method, or the response_url's last path part
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    failed: bool = False  # answered with an error (a 429, a 5xx, or ok: false)


class FakeSlack:
    """Answers like Slack and records every request; `fail(method, 429)` makes the next call fail."""

    def __init__(self, team_id: str = TEAM_ID, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.team_id = team_id
        self.users: dict[str, dict[str, Any]] = users or {}
        self.calls: list[Call] = []
        self.history_error = ""  # e.g. "missing_scope": conversations.history refuses
        self.posts: list[
            dict[str, Any]
        ] = []  # what chat.postMessage accepted, each with its ts: the channels
        self.streams: dict[str, list[str]] = {}  # a streamed message's ts: its markdown parts
        self._failures: dict[str, list[tuple[int, dict[str, str], str]]] = {}
        self._slow: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ts = 0
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve_in_background(self._server)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/respond/{name}"

    # --- what tests ask --------------------------------------------------------
    def fail(
        self, name: str, status: int = 429, *, times: int = 1, retry_after: int = 1, error: str = ""
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        with self._lock:
            self._failures.setdefault(name, []).extend([(status, headers, error)] * times)

    def slow(self, name: str, seconds: float) -> None:
        """Answer calls to `name` only after `seconds`, as a congested Slack would."""
        with self._lock:
            self._slow[name] = seconds

    def recover(self) -> None:
        """Forget the failures still queued: Slack is back."""
        with self._lock:
            self._failures.clear()

    def count(self, name: str) -> int:
        """Calls to `name`, failed ones included."""
        with self._lock:
            return sum(c.name == name for c in self.calls)

    def received(self, name: str | None = None, *, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if (name is None or c.name == name) and not (ok_only and c.failed)]

    def wait_for(self, name: str | None = None, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The first `count` successful calls to `name` (any name if None), polling with a bounded wait."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received(name)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} {name or 'call'}(s), got {[c.name for c in self.calls]}")

    def everything(self) -> str:
        """All that reached Slack, as one string: what any user could possibly have seen."""
        with self._lock:
            return json.dumps([c.body for c in self.calls], ensure_ascii=False)

    def streamed(self, ts: str) -> str:
        """The markdown of one streamed message (chat.startStream, appendStream, stopStream), in order."""
        with self._lock:
            return "".join(self.streams.get(ts, []))

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # --- serving ---------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/"):  # files_upload_v2's second step: the bytes themselves
            with self._lock:
                self.calls.append(Call("upload", url.path.rsplit("/", 1)[-1], {"content": raw}))
            self._send(req, 200, "OK")
            return
        body: dict[str, Any] = dict(parse_qsl(url.query))
        if raw:
            if "json" in (req.headers.get("Content-Type") or ""):
                body.update(json.loads(raw))
            else:
                body.update(parse_qsl(raw.decode()))
        for key in ("blocks", "view", "files"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        kind = "respond" if url.path.startswith("/respond/") else "api"
        name = url.path.rsplit("/", 1)[-1]
        with self._lock:
            queued = self._failures.get(name) or []
            failure = queued.pop(0) if queued else None
            self.calls.append(Call(kind, name, body, failed=failure is not None))
            delay = self._slow.get(name, 0.0)
        if delay:
            time.sleep(delay)
        if failure:
            status, headers, error = failure
            payload = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
            self._send(req, status, payload if kind == "api" else error or "error", headers)
            return
        self._send(req, 200, self._answer(name, body) if kind == "api" else "ok")

    def _send(
        self, req: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict | None = None
    ) -> None:
        data = (json.dumps(payload) if isinstance(payload, dict) else str(payload)).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json" if isinstance(payload, dict) else "text/plain")
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = ""
        if method in {"chat.postMessage", "chat.postEphemeral", "chat.startStream"}:
            with self._lock:
                self._ts += 1
                ts = f"1790000000.{self._ts:06d}"  # 1790000000.000001 for the first message
        channel = str(body.get("channel", ""))
        if channel.startswith("U"):
            channel = "D" + channel[1:]  # a user id posts to the DM with the bot
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.team_id,
                "team": "Demo",
                "user_id": BOT_USER,
                "bot_id": "B0BOT",
            }
        if method == "users.info":
            user = self.users.get(str(body.get("user", "")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.history":
            if self.history_error:
                return {"ok": False, "error": self.history_error}
            with self._lock:
                messages = [p for p in reversed(self.posts) if p["channel"] == body.get("channel")]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "chat.postMessage":
            with self._lock:
                self.posts.append({**body, "ts": ts, "type": "message"})
        if method in {"chat.postMessage", "chat.update"}:
            return {
                "ok": True,
                "channel": channel,
                "ts": body.get("ts") or ts,
                "message": {"text": body.get("text")},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in {"chat.startStream", "chat.appendStream", "chat.stopStream"}:  # a streamed answer
            stream_ts = str(body.get("ts") or ts)
            chunks = [c.get("text", "") for c in body.get("chunks") or [] if c.get("type") == "markdown_text"]
            with self._lock:
                self.streams.setdefault(stream_ts, []).extend([body.get("markdown_text") or "", *chunks])
            return {"ok": True, "channel": channel, "ts": stream_ts}
        if method == "files.getUploadURLExternal":
            with self._lock:
                self._ts += 1
                file_id = f"F{self._ts:08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            return {
                "ok": True,
                "files": [{"id": f["id"], "title": f.get("title")} for f in body.get("files", [])],
            }
        if method in {"chat.delete", "views.publish"}:
            return {"ok": True, "channel": channel, "ts": body.get("ts", ""), "view": body.get("view", {})}
        return {"ok": False, "error": "unknown_method"}


# --- requests as Slack sends them -------------------------------------------------
def signed(secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with this body; pass an old timestamp to test stale requests."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    kind = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)),
        "Content-Type": kind,
    }


def slash_body(
    command: str, text: str, *, user: str, response_url: str, team: str = TEAM_ID, channel: str = "C0GENERAL"
) -> str:
    return urlencode(
        {
            "command": command,
            "text": text,
            "user_id": user,
            "team_id": team,
            "channel_id": channel,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0APP",
            "token": "legacy",
        }
    )


def action_body(
    action_id: str,
    value: str,
    *,
    user: str,
    response_url: str = "",
    team: str = TEAM_ID,
    channel: str = "C0GENERAL",
    home: bool = False,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": "demo"},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "actions:0"}],
    }
    if home:
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = {"type": "home", "id": "V0HOME"}
    else:
        payload["container"] = {"type": "message", "channel_id": channel, "is_ephemeral": True}
        payload["channel"] = {"id": channel}
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, team: str = TEAM_ID) -> str:
    """An Events API callback (JSON body)."""
    return json.dumps(
        {"type": "event_callback", "team_id": team, "api_app_id": "A0APP", "event": event, "event_id": "Ev1"}
    )
