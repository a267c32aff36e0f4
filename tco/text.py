"""Message text shared by every stage: counts in words, capped lists, wrapped lines.

Counts: every sentence the CLI prints or the report writes as text takes its
counts from here, so no message says "1 racks" and no number of five or more
digits appears without thousands separators. Lists: a message that lists what
failed stays readable when the workbook is large: a list is cut after
`MAX_LISTED` entries with "and N more", and the CLI wraps what it prints at
`WIDTH` characters.
"""

from __future__ import annotations

import difflib
import math
import textwrap
from collections.abc import Iterable, Sequence

#: Entries of a list a message shows before "and N more".
MAX_LISTED = 8
#: Characters per printed line.
WIDTH = 100


def capped(items: Iterable[str], limit: int = MAX_LISTED) -> list[str]:
    """The first `limit` items, then "and N more" for the rest (none when all fit)."""
    entries = list(items)
    if len(entries) <= limit:
        return entries
    return [*entries[:limit], f"and {len(entries) - limit} more"]


def listing(items: Iterable[str], limit: int = MAX_LISTED) -> str:
    """Items joined with commas, capped: 'a, b, c, and 5 more'."""
    return ", ".join(capped(items, limit))


def wrapped(text: str, first: str = "", rest: str | None = None, width: int = WIDTH) -> list[str]:
    """`text` as lines of at most `width` characters (a single word longer stays whole).

    `first` prefixes the first line, `rest` (default: spaces as wide as `first`) the others.
    """
    if rest is None:
        rest = " " * len(first)
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def close_match(name: str, known: Sequence[str]) -> str | None:
    """The known name `name` most likely means: equal ignoring case and spaces first
    ('chips', 'Chips '), else the closest spelling (`difflib`), else None."""
    folded = "".join(name.split()).casefold()
    for candidate in known:
        if "".join(candidate.split()).casefold() == folded:
            return candidate
    hint = difflib.get_close_matches(name.strip(), list(known), n=1)
    if hint:
        return hint[0]
    lowered = {k.casefold(): k for k in known}
    hint = difflib.get_close_matches(name.strip().casefold(), list(lowered), n=1)
    return lowered[hint[0]] if hint else None


_ES_ENDINGS = ("s", "x", "z", "ch", "sh")


def number(value: float, digits: int = 0) -> str:
    """`value` with thousands separators and `digits` decimals: 25812278 -> '25,812,278'."""
    return f"{value:,.{digits}f}"


def plural(n: float | str, noun: str, plural_form: str | None = None) -> str:
    """'1 rack', '2 racks', '1,024 cards', '1 switch', '3 switches'.

    `n` is a count (shown with thousands separators; a float shows its decimals
    only when it has any) or text already formatted by the caller. The noun is
    singular only when the number reads as exactly 1.
    """
    if isinstance(n, str):
        text = n
    elif isinstance(n, float) and not (math.isfinite(n) and n.is_integer()):
        text = f"{n:,.2f}".rstrip("0").rstrip(".") if math.isfinite(n) else str(n)
    else:
        text = f"{int(n):,}"
    return f"{text} {noun if text == '1' else plural_form or plural_noun(noun)}"


def plural_noun(noun: str) -> str:
    """The regular English plural of `noun`: rack -> racks, switch -> switches."""
    if noun.endswith(_ES_ENDINGS):
        return noun + "es"
    if len(noun) > 1 and noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"
