"""POST /whatsapp end to end: signed form posts to the web app, replies recorded by a stand-in Twilio API."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TODAY
from fakes.twilio_api import FakeTwilio, inbound_form, sign
from sqlalchemy import Engine, func, select, update
from starlette.testclient import TestClient

from bot.settings import Settings
from bot.web import create_web_app
from bot.whatsapp import sender, webhook
from bot.whatsapp.inbox import Inbox
from bot.whatsapp.render import MAX_CHARS, size
from bot.whatsapp.webhook import WhatsAppRoute
from handlers import dispatch
from handlers.commands import Command
from handlers.dispatch import NOT_REGISTERED
from handlers.reply import Reply, Section
from storage import models as db
from storage.db import session_scope

ACCOUNT_SID = "AC" + "0" * 32
TOKEN = "whatsapp-test-auth-token"
BOT = "whatsapp:+14155238886"
PUBLIC_URL = "https://expansion.example.com/whatsapp"
DEWI = "whatsapp:+6281211110001"  # Dewi Lestari, CSM of Kopi Nusantara (ID-001) in the demo
BUDI = "whatsapp:+6281211110002"
STRANGER = "whatsapp:+6289900001111"
PART = re.compile(r"^\((\d+)/(\d+)\) ")


@pytest.fixture
def portfolio(demo_engine: Engine) -> Engine:
    return demo_engine


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sender, "IMMEDIATE_RETRY_DELAYS", (0.01, 0.01))


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(twilio: FakeTwilio, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        today=TODAY.isoformat(),
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TOKEN,
        twilio_whatsapp_from=BOT,
        twilio_api_url=twilio.url,
        public_base_url="https://expansion.example.com/",
    )


@pytest.fixture
def client(settings: Settings, portfolio: Engine) -> Iterator[TestClient]:
    with TestClient(create_web_app(settings, portfolio)) as test_client:
        yield test_client
    inbox(test_client).close()


def inbox(client: TestClient) -> Inbox:
    return next(r.inbox for r in client.app.routes if isinstance(r, WhatsAppRoute))  # type: ignore[attr-defined]


def post(client: TestClient, form: dict[str, str], *, token: str = TOKEN, url: str = PUBLIC_URL) -> Any:
    """A signed post, then the wait for its reply to be produced and sent (the webhook answers first)."""
    response = client.post("/whatsapp", data=form, headers={"X-Twilio-Signature": sign(token, url, form)})
    assert inbox(client).wait_idle()
    return response


def say(client: TestClient, text: str, sender_: str = DEWI, sid: str = "") -> Any:
    form = inbound_form(text, sender_, to=BOT, account_sid=ACCOUNT_SID, message_sid=sid)
    response = post(client, form)
    assert response.status_code == 200
    return response


def count(engine: Engine, table: Any) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def memory(engine: Engine, key: str = DEWI) -> str:
    with session_scope(engine) as session:
        row = session.get(db.ChatMemory, key)
        return row.account_id if row else ""


def test_valid_message_gets_empty_twiml_at_once_and_the_reply_after(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    response = say(client, "help")
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    (sent,) = twilio.wait_for(1)
    assert (sent.to, sent.from_, sent.account_sid) == (DEWI, BOT, ACCOUNT_SID)
    assert "prep ACCOUNT" in sent.body and sent.body.startswith("*")
    with session_scope(portfolio) as session:
        (row,) = session.scalars(select(db.OutboundMessage))
        assert (row.status, row.provider_id, row.to) == ("sent", sent.sid, DEWI)


@pytest.mark.parametrize(
    "how",
    ["wrong token", "missing", "internal url", "http not https", "tampered body", "garbage"],
)
def test_forged_or_missing_signature_is_403_and_nothing_else(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine, how: str
) -> None:
    form = inbound_form("prep Kopi Nusantara", DEWI, to=BOT, account_sid=ACCOUNT_SID)
    headers = {"X-Twilio-Signature": sign(TOKEN, PUBLIC_URL, form)}
    if how == "wrong token":
        headers["X-Twilio-Signature"] = sign("not-the-token", PUBLIC_URL, form)
    elif how == "missing":
        headers = {}
    elif how == "internal url":  # what the app sees behind the proxy, not what Twilio called
        headers["X-Twilio-Signature"] = sign(TOKEN, "http://testserver/whatsapp", form)
    elif how == "http not https":
        headers["X-Twilio-Signature"] = sign(TOKEN, PUBLIC_URL.replace("https", "http"), form)
    elif how == "tampered body":
        form = {**form, "Body": "prep Batik Sentosa"}
    else:
        headers["X-Twilio-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    response = client.post("/whatsapp", data=form, headers=headers)
    assert inbox(client).wait_idle()
    assert response.status_code == 403
    assert response.content == b""
    assert twilio.attempts == 0
    assert count(portfolio, db.InboundMessage) == count(portfolio, db.OutboundMessage) == 0
    assert memory(portfolio) == ""


def test_unknown_sender_gets_the_refusal_line_only(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    say(client, "prep Kopi Nusantara", STRANGER)
    say(client, "hello?", STRANGER)  # not a command either: still no help text, and told once an hour
    (sent,) = twilio.wait_for(1)
    assert sent.to == STRANGER and sent.body == NOT_REGISTERED
    assert "\n" not in sent.body
    with session_scope(portfolio) as session:
        names = list(session.scalars(select(db.Account.name)))
    assert not any(name.casefold() in sent.body.casefold() for name in names)
    assert "Kopi" not in sent.body and "prep" not in sent.body
    assert twilio.bodies() == [NOT_REGISTERED]
    assert memory(portfolio, STRANGER) == ""


def test_the_sender_is_matched_however_the_csm_number_was_written(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    with session_scope(portfolio) as session:
        session.execute(
            update(db.Csm).where(db.Csm.email == "dewi@example.com").values(whatsapp="+62 812-1111-0001")
        )
    say(client, "help")
    assert "prep ACCOUNT" in twilio.wait_for(1)[0].body


def test_a_long_brief_arrives_as_ordered_parts_within_the_limit(
    client: TestClient, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    def long_prep(command: Command, ctx: Any, session: Any, account_id: str | None) -> Reply:
        sections = [
            Section(f"Point {i}", lines=(f"{account_id} detail {i}: " + "kopi " * 60,)) for i in range(20)
        ]
        return Reply(command="prep", title="Call prep — Kopi Nusantara", sections=sections,
                     forward="Halo Pak Andi,\n\nSalam,\nDewi")  # fmt: skip

    monkeypatch.setitem(dispatch.HANDLERS, "prep", long_prep)
    say(client, "prep Kopi Nusantara")
    messages = twilio.wait_for(5)
    *parts, draft = [m.body for m in messages]
    assert len(parts) >= 3 and all(size(p) <= MAX_CHARS for p in parts)
    assert [PART.match(p).groups() for p in parts] == [  # type: ignore[union-attr]
        (str(i), str(len(parts))) for i in range(1, len(parts) + 1)
    ]
    text = "\n\n".join(PART.sub("", p) for p in parts)
    assert [int(n) for n in re.findall(r"\*Point (\d+)\*", text)] == list(range(20))
    assert draft == "Halo Pak Andi,\n\nSalam,\nDewi"


def test_the_real_prep_brief_fits_whatsapp(client: TestClient, twilio: FakeTwilio) -> None:
    say(client, "prep Kopi Nusantara")
    bodies = [m.body for m in twilio.wait_for(1)]
    assert bodies and all(size(b) <= MAX_CHARS for b in bodies)
    numbered = [b for b in bodies if PART.match(b)]
    assert [PART.match(b).group(1) for b in numbered] == [  # type: ignore[union-attr]
        str(i) for i in range(1, len(numbered) + 1)
    ]
    assert "#" not in bodies[0] and "|" not in bodies[0].replace("won|lost|no|maybe", "")


@pytest.mark.parametrize(
    "text",
    ["siapkan Kopi Nusantara", "draf Kopi Nusantara", "keberatan Kopi Nusantara tidak ada budget",
     "ekspansi kopi nusantara"],
)  # fmt: skip
def test_bahasa_commands(client: TestClient, twilio: FakeTwilio, portfolio: Engine, text: str) -> None:
    say(client, text)
    (reply, *_) = [m.body for m in twilio.wait_for(1)]
    assert "I don't know the command" not in reply and "Which objection" not in reply
    assert "couldn't find" not in reply and "Which account" not in reply
    assert memory(portfolio) == "ID-001"


def test_draft_language_follows_the_account_unless_the_rep_names_one(
    client: TestClient, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Command] = []
    real = dispatch.HANDLERS["draft"]

    def spy(command: Command, ctx: Any, session: Any, account_id: str | None) -> Reply:
        seen.append(command)
        assert ctx.channel == "whatsapp" and ctx.caller_email == "dewi@example.com"
        return real(command, ctx, session, account_id)

    monkeypatch.setitem(dispatch.HANDLERS, "draft", spy)
    say(client, "draf Kopi Nusantara")
    say(client, "draft Kopi Nusantara en")
    say(client, "draft id")
    assert [c.language for c in seen] == ["", "en", "id"]
    replies = twilio.wait_for(3)
    assert len(replies) >= 3


def test_follow_up_applies_to_the_account_just_discussed(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    say(client, "draft", BUDI)  # Budi has talked about nothing yet
    assert "Which account?" in twilio.wait_for(1)[0].body
    say(client, "prep Kopi Nusantara")
    seen = len(twilio.wait_for(2))
    for follow_up in ("draft", "objection budget", "keberatan tidak ada budget"):
        say(client, follow_up)
        messages = twilio.wait_for(seen + 1)
        assert all("Which account?" not in m.body for m in messages[seen:])
        seen = len(messages)
    assert memory(portfolio) == "ID-001" and memory(portfolio, BUDI) == ""


def test_the_same_message_sid_is_answered_once(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    form = inbound_form("help", DEWI, to=BOT, account_sid=ACCOUNT_SID)
    for _ in range(3):
        response = post(client, form)
        assert response.status_code == 200 and "<Response />" in response.text
    assert len(twilio.wait_for(2, timeout=0.5)) == 1
    assert count(portfolio, db.InboundMessage) == 1


def test_concurrent_duplicate_deliveries_are_answered_once(
    settings: Settings, portfolio: Engine, twilio: FakeTwilio
) -> None:
    message = webhook.Inbound(message_sid="SM" + "d" * 32, sender=DEWI, body="help")
    assert webhook.accept(portfolio, message) and not webhook.accept(portfolio, message)
    start = threading.Barrier(6)

    def deliver() -> None:
        start.wait()
        webhook.process(settings, portfolio, message.message_sid)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(twilio.wait_for(2, timeout=0.5)) == 1


def test_twilio_500_then_200_delivers_once_after_a_retry(client: TestClient, twilio: FakeTwilio) -> None:
    twilio.fail_next(500)
    say(client, "help")
    assert len(twilio.wait_for(1)) == 1
    assert twilio.attempts == 2


def test_twilio_down_keeps_the_reply_pending_and_a_later_retry_sends_it(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine, settings: Settings
) -> None:
    twilio.down = True
    say(client, "help")
    assert twilio.messages == [] and twilio.attempts == 3
    with session_scope(portfolio) as session:
        (row,) = session.scalars(select(db.OutboundMessage))
        assert row.status == "pending" and "500" in row.last_error
        session.execute(update(db.OutboundMessage).values(next_attempt_at=row.created_at))
    twilio.down = False
    assert sender.retry_pending(settings, portfolio) == 1
    (sent,) = twilio.messages
    assert sent.to == DEWI and "prep ACCOUNT" in sent.body


def test_a_signed_post_that_is_not_a_message_is_acknowledged_and_ignored(
    client: TestClient, twilio: FakeTwilio, portfolio: Engine
) -> None:
    status = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID,
              "From": BOT, "To": DEWI}  # fmt: skip
    response = post(client, status)
    assert response.status_code == 200
    assert twilio.attempts == 0 and count(portfolio, db.InboundMessage) == 0


def test_the_webhook_answers_before_the_reply_is_made(
    client: TestClient, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = dispatch.HANDLERS["help"]

    def slow_help(*args: Any) -> Reply:
        release.wait(5)
        return real(*args)

    monkeypatch.setitem(dispatch.HANDLERS, "help", slow_help)
    form = inbound_form("help", DEWI, to=BOT, account_sid=ACCOUNT_SID)
    response = client.post(
        "/whatsapp", data=form, headers={"X-Twilio-Signature": sign(TOKEN, PUBLIC_URL, form)}
    )
    assert response.status_code == 200 and twilio.messages == []  # answered while the command still runs
    release.set()
    assert len(twilio.wait_for(1)) == 1


def test_an_oversized_body_is_refused_unread(client: TestClient, twilio: FakeTwilio) -> None:
    form = inbound_form("x" * 70_000, DEWI, to=BOT, account_sid=ACCOUNT_SID)
    assert post(client, form).status_code == 413
    assert twilio.attempts == 0


def test_only_post(client: TestClient) -> None:
    assert client.get("/whatsapp").status_code == 405


def test_a_body_without_a_length_is_cut_off_at_the_limit(client: TestClient, twilio: FakeTwilio) -> None:
    """Chunked, with no Content-Length to refuse it by: counted as it streams in, never held whole."""

    def endless() -> Iterator[bytes]:
        for _ in range(1024):
            yield b"Body=" + b"x" * 1024

    headers = {
        "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert client.post("/whatsapp", content=endless(), headers=headers).status_code == 413
    assert twilio.attempts == 0


def test_a_body_that_is_not_utf8_is_a_clean_400(client: TestClient, twilio: FakeTwilio) -> None:
    headers = {
        "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    assert client.post("/whatsapp", content=b"Body=\xff\xfe&From=x", headers=headers).status_code == 400
