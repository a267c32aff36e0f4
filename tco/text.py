"""Message text shared by every stage: capped lists, wrapped lines, close names.

A message that lists what failed must stay readable when the workbook is
large: a list is cut after `MAX_LISTED` entries with "and N more", and the CLI
wraps what it prints at `WIDTH` characters.
"""

from __future__ import annotations

import difflib
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
