"""Numbers and counts in the words the planner reads: "1 rack", "2 racks", "25,812,278".

Every sentence the CLI prints or the report writes as text takes its counts
from here, so no message says "1 racks" and no number of five or more digits
appears without thousands separators.
"""

from __future__ import annotations

import math

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
