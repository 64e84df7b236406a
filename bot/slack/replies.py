"""Getting a Reply in front of the user: response_url, chat.postMessage/update or postEphemeral, with
retries on 429/5xx and a text-only second try, so an answer is degraded rather than lost.

A response_url post that Slack is slow to answer was received: it is left to finish on its own thread
(the listener thread moves on to the next answer) and never followed by a second copy."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler  # not re-exported by the package
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import blocks_for, escape, fallback_text
from handlers.reply import Reply, apology

log = logging.getLogger("expansion_bot.slack")

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_S = 15
RESPOND_WAIT_S = 1.0  # a listener waits this long for a response_url's answer, then assumes it landed
RESPOND_THREADS = 16  # response_url posts Slack is slow to answer, finishing in the background
# slack_sdk logs each retry with the full URL at INFO; a response_url lets its holder post as the bot for
# 30 minutes, so the webhook client logs only warnings and errors (which carry no URL).
SDK_LOG = logging.getLogger("expansion_bot.slack.sdk")
SDK_LOG.setLevel(logging.WARNING)
# Errors where blocks were the problem: the same answer as plain text still gets through.
BLOCK_ERRORS = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "too_many_attachments"}


def retry_handlers() -> list[RetryHandler]:
    """429s wait Retry-After; 5xx and dropped connections are retried twice."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def web_client(token: str, api_url: str = "", *, retries: bool = True) -> WebClient:
    """The one WebClient: SLACK_API_URL (proxies, tests) and the retry handlers (unless the caller keeps
    its own count, as the digest's exactly-once post does)."""
    base = (api_url or DEFAULT_API_URL).rstrip("/") + "/"
    handlers = retry_handlers() if retries else []
    return WebClient(token=token, base_url=base, timeout=TIMEOUT_S, retry_handlers=handlers, logger=SDK_LOG)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _posts() -> ThreadPoolExecutor:
    """The process's threads for response_url posts (made on first use, so importing starts nothing)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(RESPOND_THREADS, thread_name_prefix="slack-respond")
        return _pool


def drain() -> None:
    """At shutdown: wait for the response_url posts still in flight, so no answer is cut off."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)


def message(reply: Reply, *, max_blocks: int = 50) -> dict[str, Any]:
    return {"text": fallback_text(reply), "blocks": blocks_for(reply, max_blocks=max_blocks)}


def _with(body: dict[str, Any], after: list[Any] | None) -> dict[str, Any]:
    """The message with more blocks at its end (the agent's feedback buttons)."""
    return {**body, "blocks": body["blocks"] + list(after or [])}


def oops(ref: str = "") -> tuple[str, str]:
    """A reference id and the friendly line that shows it; the log line carries the same id."""
    ref = ref or uuid.uuid4().hex[:12]
    return ref, apology(ref)


class ReplyPoster:
    """Sends replies; every method reports success instead of raising, and logs what failed."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def respond(self, url: str, reply: Reply, *, public: bool = False, replace: bool = False) -> bool:
        """Post through a response_url (valid 30 minutes, 5 uses): works in any channel and in DMs."""
        body: dict[str, Any] = {
            "response_type": "in_channel" if public else "ephemeral",
            "replace_original": replace,
            **message(reply),
        }
        error = self._respond(url, body)
        if error in BLOCK_ERRORS or error.startswith("400"):
            log.warning("response_url rejected the blocks (%s); sending text only", error)
            body.pop("blocks")
            error = self._respond(url, body)
        return not error

    def respond_text(self, url: str, text: str, *, replace: bool = False) -> bool:
        body = {"response_type": "ephemeral", "replace_original": replace, "text": escape(text)}
        return not self._respond(url, body)

    def _respond(self, url: str, body: dict[str, Any]) -> str:
        """_webhook, waited for at most RESPOND_WAIT_S: a slow Slack has the post, so "" (delivered)."""
        future = _posts().submit(self._webhook, url, body)
        try:
            return future.result(timeout=RESPOND_WAIT_S)
        except WaitedTooLong:
            log.info("response_url slow to answer: the post finishes in the background, no second copy")
            return ""

    def ephemeral(
        self, channel: str, user: str, reply: Reply, *, thread_ts: str = "", after: list[Any] | None = None
    ) -> bool:
        body = _with(message(reply, max_blocks=50 - len(after or [])), after)
        return (
            self._call("chat_postEphemeral", channel=channel, user=user, thread_ts=thread_ts or None, **body)
            is not None
        )

    def post(self, channel: str, reply: Reply, *, thread_ts: str = "", after: list[Any] | None = None) -> str:
        """chat.postMessage (in a thread, with blocks `after` the reply's, when given); the message ts, or ""
        when it could not be posted."""
        body = _with(message(reply, max_blocks=50 - len(after or [])), after)
        resp = self._call("chat_postMessage", channel=channel, thread_ts=thread_ts or None, **body)
        return str(resp.get("ts", "")) if resp else ""

    def post_text(self, channel: str, text: str) -> tuple[str, str]:
        """A placeholder: (channel id, ts) as Slack reports them (a user id becomes the DM's id)."""
        resp = self._call("chat_postMessage", channel=channel, text=escape(text))
        return (str(resp.get("channel", channel)), str(resp.get("ts", ""))) if resp else ("", "")

    def update(self, channel: str, ts: str, reply: Reply) -> bool:
        return self._call("chat_update", channel=channel, ts=ts, **message(reply)) is not None

    def upload(self, channel: str, reply: Reply) -> bool:
        """The reply's attachments (the pipeline chart) into the conversation, under the message."""
        sent = [
            self._call(
                "files_upload_v2",
                text_only=False,
                channel=channel,
                content=f.content,
                filename=f.name,
                title=f.title,
            )
            for f in reply.files
        ]
        return all(r is not None for r in sent)

    def delete(self, channel: str, ts: str) -> bool:
        return self._call("chat_delete", channel=channel, ts=ts, text_only=False) is not None

    def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        return self._call("views_publish", user_id=user_id, view=view, text_only=False) is not None

    def _call(self, method: str, *, text_only: bool = True, **kwargs: Any) -> dict[str, Any] | None:
        """One Web API call; on a blocks error, once more as plain text."""
        try:
            return dict(getattr(self.client, method)(**kwargs).data)  # type: ignore[arg-type]
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if text_only and error in BLOCK_ERRORS and "blocks" in kwargs:
                log.warning("%s rejected the blocks (%s); sending text only", method, error)
                kwargs.pop("blocks")
                return self._call(method, text_only=False, **kwargs)
            log.warning("%s failed: %s", method, error or exc)
        except (SlackClientError, OSError) as exc:
            log.warning("%s failed: %s", method, exc)
        return None

    def _webhook(self, url: str, body: dict[str, Any]) -> str:
        """ "" when Slack took it; otherwise the error Slack gave ("invalid_blocks", "404 expired_url")."""
        try:
            client = WebhookClient(url, timeout=TIMEOUT_S, retry_handlers=retry_handlers(), logger=SDK_LOG)
            resp = client.send_dict(body)
        except TimeoutError:  # sent, and Slack did not say: a second copy would likely be a duplicate
            log.warning("response_url post timed out after %ss; not sent again", TIMEOUT_S)
            return ""
        except (SlackClientError, OSError) as exc:
            log.warning("response_url post failed: %s", exc)
            return f"connection {exc}"
        if resp.status_code == 200:
            return ""
        log.warning("response_url post answered %s: %s", resp.status_code, (resp.body or "")[:200])
        text = (resp.body or "").strip()
        return text if text in BLOCK_ERRORS else f"{resp.status_code} {text}"
