"""Workbook names for the Assumptions values: formulas say `Chips_h100_card_price`.

A buyer reading `=Pools!$H$2*Chips_h100_card_price` sees what is multiplied,
where `Assumptions!$D$32` says nothing. A name is the input sheet, the row id
(Chips, Fabrics, Cooling rows; none for Site values and constants) and the
field, with every character Excel does not allow in a name replaced by `_`.
Ids are user text, so two of them can clean up to the same name (Excel also
ignores case): later ones get `_2`, `_3`, ... in Assumptions order, which
keeps the names deterministic. The name always starts with the sheet name
and holds an underscore, so it can never read as a cell reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tco.costs.formula import Formula

#: (input sheet, row id or "", field) of one Assumptions value.
Key = tuple[str, str, str]

_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_]+")
#: Excel allows 255 characters; leave room for a `_NN` suffix.
_MAX_BASE = 240


def _base(key: Key) -> str:
    parts = [part for part in key if part]
    return _NOT_IN_A_NAME.sub("_", "_".join(parts))[:_MAX_BASE]


class Names:
    """Assumption key -> workbook name, unique ignoring case."""

    def __init__(self, keys: Iterable[Key]) -> None:
        self._names: dict[Key, str] = {}
        taken: set[str] = set()
        for key in keys:
            base = _base(key)
            name, n = base, 2
            while name.casefold() in taken:
                name, n = f"{base}_{n}", n + 1
            taken.add(name.casefold())
            self._names[key] = name

    def __getitem__(self, key: Key) -> str:
        return self._names[key]

    def formula(self, sheet: str, row_id: str, field: str) -> Formula:
        """The value as a formula operand (KeyError: the value is not on Assumptions)."""
        return Formula(self._names[(sheet, row_id, field)])
