"""Caller identity: one canonical form for a phone number, and a safe mask.

A family may text from "07700 900123" and later call from "+447700900123";
keeping one E.164 form lets us find their case either way. Callers who
withhold their number must not all collapse into one shared "anonymous"
case, so every withheld/placeholder value maps to None.

Numbers identify families in a sensitive dispute, so logs and operator
listings only ever show :func:`mask_number` output.

Pure functions: no I/O.
"""

from __future__ import annotations

from functools import lru_cache

import re
from typing import Final

import phonenumbers

__all__ = ["mask_number", "normalise_number"]

# Words Twilio (and other carriers) put in From when there is no usable number.
_WITHHELD_WORDS: Final = frozenset(
    {"anonymous", "restricted", "unknown", "private", "unavailable", "withheld", "blocked"}
)
# Twilio's numeric placeholders for withheld caller ID; they spell the reason
# on a keypad (ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE). Some
# of them would otherwise parse as plausible foreign numbers.
_TWILIO_PLACEHOLDERS: Final = frozenset(
    {"266696687", "7378742833", "2562533", "8656696", "86282452253"}
)
# Only digits, one leading "+", and the spacing people type. Anything else
# (client:alice, sip:..., alphanumeric sender IDs, extensions) is not a
# caller we can text back.
_PHONE_CHARS: Final = re.compile(r"\+?[0-9 ().\-]+", re.ASCII)
_BARE_UK_INTERNATIONAL: Final = re.compile(r"44[0-9]{10}", re.ASCII)
# Ofcom's drama range, 07700 900000-900999: reserved, never issued, and
# marked invalid by libphonenumber. Accepted so tests, the bench and demos can
# use fictional numbers; a real caller can never present one.
_DRAMA_MOBILE: Final = re.compile(r"7700900[0-9]{3}", re.ASCII)


def _is_drama_mobile(number: phonenumbers.PhoneNumber) -> bool:
    """True for a +44 7700 900xxx number (see _DRAMA_MOBILE)."""
    if number.country_code != 44 or number.italian_leading_zero:
        return False
    return _DRAMA_MOBILE.fullmatch(str(number.national_number)) is not None


@lru_cache(maxsize=4096)  # every webhook asks, and a caller texts several times; bounded memory
def normalise_number(raw: str, region: str = "GB") -> str | None:
    """Return the caller's number in E.164 ("+447700900123"), or None.

    None means "no usable number": withheld/anonymous values, Twilio's
    placeholders, client/SIP identities and text that is not a phone number.
    National numbers are read in ``region``; a bare 12-digit "44..." string
    is taken as a UK number missing its "+".

    The number must be valid per libphonenumber's range metadata (a length
    check alone lets malformed UK strings through), except that Ofcom's
    fictional drama range 07700 900xxx is also accepted for tests and demos.
    """
    text = raw.strip()
    if text.lower().startswith("tel:"):
        text = text[4:].strip()
    if not text or text.lower() in _WITHHELD_WORDS or not _PHONE_CHARS.fullmatch(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if digits in _TWILIO_PLACEHOLDERS:
        return None
    if not text.startswith("+") and _BARE_UK_INTERNATIONAL.fullmatch(digits):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not (phonenumbers.is_valid_number(number) or _is_drama_mobile(number)):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)  # it parses the number, and every log line of a send asks
def mask_number(e164: str) -> str:
    """Hide a number for logs and operator listings: "+44*******123".

    Keeps the country code (where the caller is) and the last three digits
    (enough for an operator to tell two callers apart) and nothing else.
    Input that is not E.164 is masked entirely except its last three digits,
    so a bad value can never leak a whole number into a log.
    """
    digits = re.sub(r"[^0-9]", "", e164)
    country = ""
    if e164.startswith("+"):
        try:
            country = str(phonenumbers.parse(e164, None).country_code)
        except phonenumbers.NumberParseException:
            country = ""
    rest = digits[len(country) :] if country and digits.startswith(country) else digits
    if len(rest) <= 3:
        return ("+" + country if country else "") + "*" * len(rest)
    return ("+" + country if country else "") + "*" * (len(rest) - 3) + rest[-3:]
