"""The one rule for names that come from outside (players, defenders): every character visible and in line.

A name is refused when it holds a character of the Unicode categories

- ``Cc`` control: NUL, tab, newline, carriage return, escape (terminal sequences), DEL, ...;
- ``Cf`` format: bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069), zero-width
  spaces and joiners, the byte-order mark, ...;
- ``Co`` private use, ``Cs`` surrogates (what an undecodable byte becomes), ``Zl``/``Zp`` line and
  paragraph separators.

Such a character makes a name show as another one (an override reverses what follows it), splits
a one-line log or report line, or is invisible, so that two names that look equal are different
players. Refused, not removed: a value is stored exactly as given or not at all, and the
quarantine (or the API error) says why. Text is not NFC-normalised: a composed and a decomposed
"é" are both printable and both kept as written.

Every domain's ingest applies it through ``ColumnRule(..., is_name=True)``
(``core.frame_validation``); a provider's client through :func:`check_name`.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable

REFUSED_CATEGORIES: tuple[str, ...] = ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")
REFUSED = (
    "control, format (such as a bidirectional override), private-use, surrogate or line-separator "
    "characters (Unicode Cc, Cf, Co, Cs, Zl, Zp: they hide or reorder what a name shows)"
)
RULE = f"a name without {REFUSED}"


@functools.cache
def refused_characters() -> re.Pattern[str]:
    """A character class of every refused code point, built once from this Python's Unicode tables."""
    ranges: list[str] = []
    start = None
    for code in range(sys.maxunicode + 2):
        refused = code <= sys.maxunicode and unicodedata.category(chr(code)) in REFUSED_CATEGORIES
        if refused and start is None:
            start = code
        elif not refused and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start = None
    return re.compile(f"[{''.join(ranges)}]")


def name_problem(text: str) -> str | None:
    """None for an acceptable name; else which character is refused, e.g. 'U+202E (Cf) at character 4'."""
    found = None if text.isprintable() else refused_characters().search(text)
    if found is None:
        return None
    character = found.group()
    return f"U+{ord(character):04X} ({unicodedata.category(character)}) at character {found.start() + 1}"


def refused_names(values: Iterable[str]) -> set[str]:
    """The refused ones among ``values`` (give distinct values: a file repeats a few names many times)."""
    # str.isprintable is False for every refused category (and a few allowed spaces): a cheap first pass
    # that leaves the character class unbuilt for clean data.
    suspects = [value for value in values if not value.isprintable()]
    if not suspects:
        return set()
    pattern = refused_characters()
    return {value for value in suspects if pattern.search(value)}


def check_name(text: str) -> str:
    """``text`` if it is an acceptable name; else ValueError naming the character (for pydantic validators)."""
    problem = name_problem(text)
    if problem:
        raise ValueError(f"{problem} is not allowed: a name may not hold {REFUSED}")
    return text


def visible(text: str) -> str:
    """``text`` with every refused character written as an escape (``\\n``, ``\\u202e``), for one-line messages
    that quote something from outside (a header, a path, a value)."""
    if text.isprintable():
        return text
    return refused_characters().sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
