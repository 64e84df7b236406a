"""One E.164 rule for the importer (csms.csv) and the WhatsApp webhook (Twilio's From)."""

from __future__ import annotations

import pytest

from storage.csv_schema import whatsapp
from storage.phones import e164


@pytest.mark.parametrize(
    "written", ["+6281211110001", "+62 812-1111-0001", "whatsapp:+6281211110001", " 6281211110001 "]
)
def test_every_way_of_writing_a_number_is_the_same_number(written: str) -> None:
    assert e164(written) == "+6281211110001"


@pytest.mark.parametrize("junk", ["", "whatsapp:", "+1", "+6200000", "hello", "081211110001"])
def test_what_is_not_a_valid_number_is_nothing(junk: str) -> None:
    assert e164(junk) == ""


def test_the_webhook_matches_exactly_the_numbers_the_importer_accepts() -> None:
    """A number the importer refuses (possible, not valid) matches no sender either."""
    possible_not_valid = "+62 999 1234 5678"
    with pytest.raises(ValueError, match="not a valid phone number"):
        whatsapp(possible_not_valid)
    assert e164(possible_not_valid) == ""
    assert whatsapp("+62 812-1111-0001") == e164("whatsapp:+6281211110001")
