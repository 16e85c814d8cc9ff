"""Tests for caller phone-number normalising and masking.

Only Ofcom's drama range (07700 900000-900999) is used for real-looking
numbers; the other values are Twilio's withheld-caller placeholders.
"""

from __future__ import annotations

import pytest

from helpline.phone import mask_number, normalise_number

E164 = "+447700900123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("07700 900123", E164, id="uk-national-spaced"),
        pytest.param("07700900123", E164, id="uk-national"),
        pytest.param("+44 7700 900123", E164, id="international-spaced"),
        pytest.param("+447700900123", E164, id="already-e164"),
        pytest.param("447700900123", E164, id="bare-44-prefix"),
        pytest.param("00447700900123", E164, id="00-international-prefix"),
        pytest.param("+44 (0)7700 900123", E164, id="bracketed-trunk-zero"),
        pytest.param("07700-900-123", E164, id="dashes"),
        pytest.param("  07700 900123\n", E164, id="whitespace"),
        pytest.param("tel:+447700900123", E164, id="tel-uri"),
        pytest.param("+447700900000", "+447700900000", id="drama-range-start"),
        pytest.param("07700 900999", "+447700900999", id="drama-range-end"),
        # Withheld / anonymous / not a number.
        pytest.param("anonymous", None, id="anonymous"),
        pytest.param("Anonymous", None, id="anonymous-capital"),
        pytest.param("restricted", None, id="restricted"),
        pytest.param("unknown", None, id="unknown"),
        pytest.param("private", None, id="private"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param("+266696687", None, id="twilio-anonymous-placeholder"),
        pytest.param("+7378742833", None, id="twilio-restricted-placeholder"),
        pytest.param("+2562533", None, id="twilio-blocked-placeholder"),
        pytest.param("+8656696", None, id="twilio-unknown-placeholder"),
        pytest.param("+86282452253", None, id="twilio-unavailable-placeholder"),
        pytest.param("client:alice", None, id="twilio-client"),
        pytest.param("sip:alice@example.com", None, id="sip-uri"),
        pytest.param("HELPLINE", None, id="alphanumeric-sender"),
        pytest.param("07700 9001", None, id="too-short"),
        pytest.param("07700 900123 45", None, id="too-long"),
        pytest.param("+", None, id="plus-only"),
        pytest.param("12345", None, id="short-code"),
    ],
)
def test_normalise_number(raw: str, expected: str | None) -> None:
    assert normalise_number(raw) == expected


def test_international_form_ignores_region() -> None:
    assert normalise_number("+44 7700 900123", region="US") == E164


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param(E164, "+44*******123", id="uk-mobile"),
        pytest.param("+447700900000", "+44*******000", id="drama-range-start"),
        pytest.param("07700900123", "********123", id="not-e164-masks-all-but-last-3"),
        pytest.param("+44123", "+44***", id="too-short-masks-everything"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_number(number: str, expected: str) -> None:
    assert mask_number(number) == expected


def test_mask_never_contains_middle_digits() -> None:
    masked = mask_number(E164)
    assert "7700900" not in masked
    assert len(masked) == len(E164)
