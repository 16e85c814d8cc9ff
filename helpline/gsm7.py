"""GSM-7: the alphabet every phone can show, and how many SMS segments a text costs.

One non-GSM character (a curly quote, a long dash) turns a whole message into
UCS-2, which fits 70 characters a segment instead of 160: a 3-segment summary
becomes 7. So prompts are checked against this alphabet.
"""

from __future__ import annotations

# 3GPP TS 23.038, the default alphabet and its extension table.
BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")

SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153  # 7 septets of each part carry the concatenation header


def non_gsm_characters(text: str) -> list[str]:
    """The characters that would force the message out of GSM-7, in order, once each."""
    seen: list[str] = []
    for char in text:
        if char not in BASIC and char not in EXTENSION and char not in seen:
            seen.append(char)
    return seen


def septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters take two."""
    return sum(2 if char in EXTENSION else 1 for char in text)


def segments(text: str) -> int:
    """How many SMS segments Twilio bills for a GSM-7 text."""
    length = septets(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return -(-length // MULTI_SEGMENT)
