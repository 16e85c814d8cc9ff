"""Matching what a caller texts to a numbered menu option.

Callers reply to an SMS menu in many ways: "2", "2)", "two", "Second", or a
word from the option ("assessment", "they refused the assessment"). We want
to accept all of those, but never guess between two options: a wrong branch
in a disagreement flow costs the family far more than being asked again.

Pure functions: no I/O.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

__all__ = ["NUMBER_WORDS", "match_option", "normalise"]

# fmt: off
NUMBER_WORDS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
        "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    }
)
# fmt: on
"""Spelled-out option numbers callers send instead of digits."""

# Apostrophes are deleted rather than spaced so "don't" and "don’t" both
# become "dont" (one word), which is how keywords are written.
_APOSTROPHES: Final = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc\u02b9`\u00b4\u2032"), None)


def normalise(text: str) -> str:
    """Reduce free text to lowercase words separated by single spaces.

    Phones insert curly quotes, capitals and stray punctuation ("Help!",
    " help. "); comparing on the normalised form makes all of those equal.
    Apostrophes are removed; any other punctuation, symbol (emoji) or control
    character becomes a word break. NFKC folds full-width digits to ASCII.
    """
    if text.isascii():  # nearly every text: one table does the same, without a look-up a character
        return " ".join(text.translate(_ASCII).split())
    return _normalise_unicode(text)


def _normalise_unicode(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    spaced = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in folded)
    return " ".join(spaced.split())


# What _normalise_unicode does to each ASCII character: NFKC leaves ASCII
# alone and casefolding lowers it; apostrophes go, letters and digits stay,
# and every other ASCII character is punctuation, a symbol, a space or a
# control character (tests/test_words.py checks all 128 against it).
_ASCII: Final = {
    code: _normalise_unicode(chr(code)) or ("" if code in _APOSTROPHES else " ") for code in range(128)
}


@functools.lru_cache(maxsize=1024)
def _phrase(keyword: str) -> list[str]:
    """A menu keyword as words to look for. Remembered: every answer to a menu
    looks for all its options' keywords, the same few hundred each time. A
    list, which no caller changes."""
    return normalise(keyword).split()


def _number_reply(word: str) -> int | None:
    """The option number a one-word reply names ("2", "02", "two", "second")."""
    if word.isascii() and word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def _find(words: list[str], phrase: list[str]) -> list[tuple[int, int]]:
    """Every (start, end) span where phrase occurs as whole words in words."""
    k = len(phrase)
    return [(s, s + k) for s in range(len(words) - k + 1) if words[s : s + k] == phrase]


def match_option(text: str, options: Sequence[Sequence[str]]) -> int | None:
    """Return the 1-based option the caller chose, or None to ask again.

    ``options[i]`` holds the keywords/phrases for option ``i + 1``.

    Rules, in order:

    1. A reply that is only a number or number word ("2", " 2. ", "2)",
       "two", "Second") picks that option; out of range gives None. A number
       inside a longer message is *not* read as a choice ("my son is 2").
    2. Otherwise each keyword is looked for as whole words (after
       :func:`normalise`) in the text. A keyword occurrence is ignored when
       it lies inside a longer matched phrase at the same place, so with
       options "plan contents" and "plan", the text "the plan contents are
       wrong" picks "plan contents" but "the plan and the plan contents" is
       ambiguous (the first "plan" stands on its own).
    3. If the remaining occurrences all belong to one option, that option is
       returned; if they belong to several, or there are none, None.
    """
    words = normalise(text).split()
    if not words:
        return None

    if len(words) == 1 and (number := _number_reply(words[0])) is not None:
        return number if 1 <= number <= len(options) else None

    found: list[tuple[int, int, int]] = []  # (start, end, option number)
    for number, keywords in enumerate(options, start=1):
        for keyword in keywords:
            phrase = _phrase(keyword)
            if phrase:
                found.extend((s, e, number) for s, e in _find(words, phrase))

    chosen = {
        number
        for s, e, number in found
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2, _ in found)
    }
    return chosen.pop() if len(chosen) == 1 else None
