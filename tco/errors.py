"""Input problems located by sheet, row and column, collected and raised together.

Every stage that reads or checks user input appends `InputIssue`s to a list
and raises one `InputError` at the end, so a planner sees every problem in
one run (DESIGN 3.2), formatted exactly as
`Sheet 'Chips', row 7, column E (tdp_w): must be > 0, got -300`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class InputIssue:
    """One problem with the input; `sheet`, `row`, `column` and `key` narrow its place."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        place = []
        if self.sheet is not None:
            place.append(f"Sheet '{self.sheet}'")
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.key is not None:
                col += f" ({self.key})"
            place.append(col)
        elif self.key is not None:
            place.append(f"({self.key})")
        if not place:
            return self.message
        return f"{', '.join(place)}: {self.message}"


def in_reading_order(issues: list[InputIssue]) -> list[InputIssue]:
    """The issues sheet by sheet (in the order each sheet first has one), then by row and
    column, as a planner reads the workbook; a check that runs later (a cross-sheet
    reference after the cell types) no longer puts its row after the sheet's later rows.
    Issues without a sheet keep their place after those with one.
    """
    sheets = list(dict.fromkeys(i.sheet for i in issues if i.sheet is not None))

    def key(item: tuple[int, InputIssue]) -> tuple[int, int, int, int]:
        k, issue = item
        if issue.sheet is None:
            return (len(sheets), 0, 0, k)
        return (sheets.index(issue.sheet), issue.row or 0, _column_number(issue.column), k)

    return [issue for _, issue in sorted(enumerate(issues), key=key)]


def _column_number(column: str | None) -> int:
    """Spreadsheet column letters as a number (A = 1, AA = 27); 0 for none."""
    number = 0
    for letter in (column or "").upper():
        if not "A" <= letter <= "Z":
            return 0
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


class InputError(Exception):
    """The input cannot be used; carries every issue found (exit code 2)."""

    def __init__(self, issues: list[InputIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues
        #: A JSON summary file (`--json PATH`) that reports the issues: the one file the
        #: run wrote, so the closing line must not say nothing was.
        self.summary_path: str | None = None

    @classmethod
    def single(cls, message: str) -> InputError:
        return cls([InputIssue(message)])


class OutputError(InputError):
    """An output path that cannot be written: found before any work, exit code 2.

    An input problem for the exit code (DESIGN 3.2: "output path refused"), but
    named for what it is, so a planner does not look for a fault in the workbook.
    """


def show_value(value: object) -> str:
    """Render a user value for an error message: -300.0 -> '-300', 25000000 ->
    '25,000,000', text quoted."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,g}"
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)
