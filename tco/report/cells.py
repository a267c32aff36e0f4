"""Named columns and cell references: each sheet declares its columns once, by key.

A sheet module holds one `Table` (its columns in order, each with key, header,
number format and widest width); everything that writes or refers to a cell
names the column by key, so a column can move without hunting numbers. Rows
are zero-based worksheet rows, as XlsxWriter counts them; references come
back as `Formula` atoms, ready for the cost-line registry's arithmetic.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from tco.costs.formula import Formula

#: The header is row 0 of every table sheet; data starts below it.
HEADER_ROW = 0
FIRST_ROW = 1

MONEY = "#,##0"
MONEY_CENTS = "#,##0.00"
DELTA_MONEY = "+#,##0;-#,##0;0"
COUNT = "#,##0"
KW = "#,##0.0"
MW = "#,##0.000"
RATIO = "0.00"
PERCENT = "0.0%"
DELTA_PERCENT = "+0.0%;-0.0%;0.0%"
FACTOR = "0.0000"
PER_MTOK = "#,##0.0000"
MILLIONS = '#,##0.0,,"M"'
#: An input value as entered, without trailing zeros.
INPUT_NUMBER = "#,##0.########"


@dataclass(frozen=True)
class Column:
    key: str
    #: Header text; "{cur}" stands for the workbook's currency.
    header: str
    #: Number format of the column's numbers (None: General).
    fmt: str | None = None
    #: Widest the column grows to fit its content [characters].
    width: float = 12
    #: The column is where each pool's count of the registry quantity named by `key`
    #: is shown (`tco.costs.registry.derived`): the cell BOM quantities refer to.
    quantity: bool = False


class Table:
    """The columns of one sheet, in order, looked up by key."""

    def __init__(self, sheet: str, columns: Sequence[Column]) -> None:
        self.sheet = sheet
        self.columns = tuple(columns)
        self._index = {c.key: i for i, c in enumerate(self.columns)}
        if len(self._index) != len(self.columns):
            raise ValueError(f"{sheet}: duplicate column keys")

    def col(self, key: str) -> int:
        """Zero-based column of `key`."""
        return self._index[key]

    def column(self, key: str) -> Column:
        return self.columns[self._index[key]]

    def ref(self, key: str, row: int) -> Formula:
        """`Sheet!$C$5`: the cell from another sheet."""
        return Formula(f"{self.sheet}!{xl_rowcol_to_cell(row, self.col(key), True, True)}")

    def local(self, key: str, row: int) -> Formula:
        """`C5`: the cell from a formula on the same sheet."""
        return Formula(xl_rowcol_to_cell(row, self.col(key)))

    def anchored(self, key: str, row: int) -> Formula:
        """`$C$5`: the same cell from every formula on this sheet."""
        return Formula(xl_rowcol_to_cell(row, self.col(key), True, True))

    def span(self, key: str, first: int, last: int) -> Formula:
        """`Sheet!$C$2:$C$9`: rows `first`..`last` of the column, from another sheet."""
        letter = xl_col_to_name(self.col(key))
        return Formula(f"{self.sheet}!${letter}${first + 1}:${letter}${last + 1}")

    def local_span(self, key: str, first: int, last: int) -> Formula:
        """`C2:C9`: rows `first`..`last` of the column, from the same sheet."""
        letter = xl_col_to_name(self.col(key))
        return Formula(f"{letter}{first + 1}:{letter}{last + 1}")

    def local_across(self, first_key: str, last_key: str, row: int) -> Formula:
        """`B2:D2`: columns `first_key`..`last_key` of one row, from the same sheet."""
        first, last = self.local(first_key, row), self.local(last_key, row)
        return Formula(f"{first.text}:{last.text}")


def plus(terms: Iterable[Formula]) -> Formula:
    """a+b+c: the sum of at least one term."""
    return functools.reduce(operator.add, terms)


def call(function: str, *arguments: Formula) -> Formula:
    """`SUM(a,b)`: a worksheet function over references (only our own function names)."""
    return Formula(f"{function}({','.join(a.text for a in arguments)})")
