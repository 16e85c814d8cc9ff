"""Tests for normalising caller text and matching it to menu options."""

from __future__ import annotations

import pytest

from helpline.engine.words import NUMBER_WORDS, _normalise_unicode, match_option, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Help!", "help", id="exclamation"),
        pytest.param(" help. ", "help", id="padding-full-stop"),
        pytest.param("HELP", "help", id="capitals"),
        pytest.param("don\u2019t", "dont", id="curly-apostrophe"),
        pytest.param("don't", "dont", id="straight-apostrophe"),
        pytest.param("\u201cYoung   person\u201d", "young person", id="curly-quotes-and-spaces"),
        pytest.param("young-person", "young person", id="hyphen-splits"),
        pytest.param("2)", "2", id="bracketed-number"),
        pytest.param("line one\nline two\t", "line one line two", id="newlines-tabs"),
        pytest.param("yes \U0001f44d", "yes", id="emoji"),
        pytest.param("\uff12", "2", id="fullwidth-digit"),
        pytest.param("", "", id="empty"),
        pytest.param("?!...", "", id="only-punctuation"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("code", range(128))
def test_ascii_text_is_normalised_as_any_other_text(code: int) -> None:
    """ASCII text takes a shortcut (one translation table); it must end the same
    as through Unicode normalisation and categories, for every character, at
    the start, inside and at the end of a word."""
    for text in (f"{chr(code)}Ab", f"Ab{chr(code)}Cd", f"Ab{chr(code)}", f"{chr(code) * 3} x"):
        assert normalise(text) == _normalise_unicode(text), repr(text)


def test_number_words_cover_one_to_ten() -> None:
    assert sorted(NUMBER_WORDS.values()) == sorted(list(range(1, 11)) * 2)
    assert NUMBER_WORDS["two"] == NUMBER_WORDS["second"] == 2
    assert NUMBER_WORDS["ten"] == NUMBER_WORDS["tenth"] == 10


MENU = [
    ["assessment", "ehc needs assessment"],  # 1
    ["plan", "ehcp"],  # 2
    ["plan contents", "wording"],  # 3
    ["young person", "over 16"],  # 4
    ["school", "placement"],  # 5
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Numbers and number words, whole message only.
        pytest.param("2", 2, id="digit"),
        pytest.param(" 2. ", 2, id="digit-padded-full-stop"),
        pytest.param("2)", 2, id="digit-bracket"),
        pytest.param("02", 2, id="leading-zero"),
        pytest.param("two", 2, id="number-word"),
        pytest.param("Two", 2, id="number-word-capital"),
        pytest.param("Second", 2, id="ordinal-word"),
        pytest.param("5", 5, id="last-option"),
        pytest.param("0", None, id="zero-out-of-range"),
        pytest.param("6", None, id="digit-out-of-range"),
        pytest.param("six", None, id="word-out-of-range"),
        pytest.param("99", None, id="big-number"),
        pytest.param("my son is 2", None, id="number-inside-sentence-ignored"),
        # Keywords and phrases as whole words.
        pytest.param("assessment", 1, id="keyword"),
        pytest.param("they refused the assessment", 1, id="keyword-in-sentence"),
        pytest.param("ASSESSMENT!!", 1, id="keyword-shouted"),
        pytest.param("Young person", 4, id="phrase"),
        pytest.param("young-person", 4, id="phrase-hyphenated"),
        pytest.param("he is over 16 now", 4, id="phrase-with-digits"),
        pytest.param("reassessment", None, id="not-whole-word"),
        pytest.param("young", None, id="part-of-phrase-only"),
        pytest.param("EHC needs assessment refused", 1, id="same-option-overlapping"),
        # Phrase-beats-contained-word rule.
        pytest.param("the plan contents are wrong", 3, id="phrase-contains-word"),
        pytest.param("the plan", 2, id="word-alone"),
        pytest.param("the plan and the plan contents", None, id="word-also-stands-alone"),
        # Ambiguity and no match.
        pytest.param("the school refused the assessment", None, id="two-options-ambiguous"),
        pytest.param("the plan wording", None, id="plan-and-wording-ambiguous"),
        pytest.param("hello", None, id="no-match"),
        pytest.param("", None, id="empty"),
        pytest.param("!!!", None, id="only-punctuation"),
    ],
)
def test_match_option(text: str, expected: int | None) -> None:
    assert match_option(text, MENU) == expected


def test_keywords_are_normalised_too() -> None:
    options = [["don't know"], ["yes"]]
    assert match_option("I don\u2019t know", options) == 1


def test_no_options() -> None:
    assert match_option("1", []) is None
    assert match_option("anything", []) is None
