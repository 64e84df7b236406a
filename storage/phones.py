"""Phone numbers in one form, E.164, for both the importer (csms.csv) and the WhatsApp webhook."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import or_, select
from sqlmodel import Session, col

from storage.models import Csm


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


def csm_with_number(session: Session, *, number: str) -> Csm | None:
    """The CSM whose WhatsApp number is `number` (E.164). The importer stores E.164, so this is one
    indexed lookup; rows written by hand another way (`+62 812-…`) are compared once normalised."""
    if not number:
        return None
    csm = session.scalars(select(Csm).where(col(Csm.whatsapp) == number)).first()
    if csm is not None:
        return csm
    by_hand = col(Csm.whatsapp)
    written_otherwise = or_(by_hand.contains(" "), by_hand.contains("-"), by_hand.contains("("),
                            by_hand.contains("."), by_hand.not_like("+%"))  # fmt: skip
    others = session.scalars(select(Csm).where(by_hand.is_not(None), by_hand != "", written_otherwise))
    return next((c for c in others if e164(c.whatsapp or "") == number), None)
