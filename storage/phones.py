"""Phone numbers in one form, E.164, for both the importer (csms.csv) and the WhatsApp webhook."""

from __future__ import annotations

import phonenumbers


def e164(text: str) -> str:
    """+6281234567890 from `+62 812-3456-7890`, `whatsapp:+62…` or `6281…` (digits with their country
    code, as WhatsApp ids come); "" when it is not a valid number. A national `0812…` is not guessed."""
    raw = text.strip().removeprefix("whatsapp:").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw if raw.startswith("+") else f"+{raw}", None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
