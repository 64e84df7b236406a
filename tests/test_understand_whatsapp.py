"""Free text on WhatsApp, through the signed webhook and the stand-in Twilio API: a question in Bahasa
is answered in Bahasa, and a follow-up without the account name stays on the account."""

from __future__ import annotations

from fakes.twilio_api import FakeTwilio
from starlette.testclient import TestClient
from test_whatsapp_webhook import client, portfolio, quick_retries, say, settings, twilio

__all__ = ["client", "portfolio", "quick_retries", "settings", "twilio"]  # the webhook's fixtures


def test_a_bahasa_question_and_its_follow_up_on_whatsapp(client: TestClient, twilio: FakeTwilio) -> None:
    say(client, "kapan Kopi Nusantara perpanjang?", sid="SM" + "1" * 32)
    say(client, "siapa championnya?", sid="SM" + "2" * 32)
    say(client, "draft WA untuk mereka", sid="SM" + "3" * 32)
    renewal, people, *draft = twilio.wait_for(3)  # a draft comes as its answer and the text to forward
    assert "Kopi Nusantara diperpanjang pada" in renewal.body
    assert "Champion: Andi Pratama (Finance Manager)" in people.body
    assert "Draft for Kopi Nusantara — whatsapp" in draft[0].body
