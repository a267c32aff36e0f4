"""The XlsxWriter workbook and the rules every cell of the report is written by.

- Text is data, never a formula or a link: the workbook is opened with
  `strings_to_formulas`, `strings_to_urls` and `strings_to_numbers` off, and
  every string goes through `write_string`, so an id such as
  `=HYPERLINK(...)` or `+cmd|' /C calc'!A0` stays inert text.
- Formulas come only from `Formula` arithmetic (the cost-line registry and
  `cells`): cell references, workbook names, numbers, operators and our own
  function names. `_SAFE_FORMULA` refuses anything else, quotes included.
- Every formula is written with the engine's number as its cached result, so
  a reader that does not recalculate (previewers, pandas) shows the plan.
- Column widths follow the content of each table column, up to the column's
  declared width; the header row wraps.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from tco.costs.formula import Formula
from tco.report.cells import FIRST_ROW, HEADER_ROW, Table

#: References, names, numbers, operators, commas and parentheses; no text literals.
_SAFE_FORMULA = re.compile(r"[A-Za-z0-9_$!:.,()*/+\-^<>= ]*")

_BLUE, _RED, _GREY, _DARK_GREY = "#1F4E78", "#9C0006", "#808080", "#595959"

#: Cell styles by name; a cell's format is its number format plus some of these.
STYLES: dict[str, dict[str, Any]] = {
    "header": {
        "bold": True,
        "font_color": "#FFFFFF",
        "bg_color": _BLUE,
        "text_wrap": True,
        "valign": "vcenter",
    },
    "title": {"bold": True, "font_size": 14, "font_color": _BLUE},
    "section": {"bold": True, "font_color": _BLUE},
    "bold": {"bold": True},
    "italic": {"italic": True},
    "total": {"bold": True, "top": 1},
    "warn": {"font_color": _RED},
    "muted": {"font_color": _GREY},
    "note": {"italic": True, "font_color": _DARK_GREY},
    "top": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "right": {"align": "right"},
}

#: Row height per line of wrapped text [points]; Excel's default column width [characters].
_LINE_PT = 14
_DEFAULT_WIDTH = 8.43


class Book:
    """One report workbook in memory: its sheets, cell formats and names."""

    def __init__(self, sheet_names: Iterable[str]) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._formats: dict[tuple[str | None, tuple[str, ...]], Format] = {}
        self.sheets = {name: Sheet(self, self.workbook.add_worksheet(name)) for name in sheet_names}

    def format(self, num_format: str | None, styles: Iterable[str] = ()) -> Format | None:
        """The (shared) format of a number format plus styles; None for a plain cell."""
        key = (num_format, tuple(sorted(set(styles))))
        if key == (None, ()):
            return None
        if key not in self._formats:
            properties: dict[str, Any] = {}
            for style in key[1]:
                properties.update(STYLES[style])
            if num_format:
                properties["num_format"] = num_format
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def define_name(self, name: str, target: Formula) -> None:
        if self.workbook.define_name(name, target.cell()) != 0:
            raise ValueError(f"{name!r} is not a valid workbook name")

    def chart(self, options: dict[str, Any], title: str) -> Chart:
        chart = self.workbook.add_chart(options)
        if chart is None:
            raise ValueError(f"unknown chart {options}")
        chart.set_title({"name": title, "name_font": {"size": 12, "color": _BLUE}})
        return chart

    def close(self) -> bytes:
        """Finish every sheet and return the .xlsx bytes."""
        for sheet in self.sheets.values():
            sheet.finish()
        self.workbook.close()
        return self._buffer.getvalue()


class Sheet:
    """One worksheet: typed cell writes, the table header, widths and notes."""

    def __init__(self, book: Book, ws: Worksheet) -> None:
        self.book = book
        self.ws = ws
        self.name = ws.get_name()
        self.table: Table | None = None
        self.landscape = True
        #: Longest content written below the header, per column [characters].
        self._longest: dict[int, int] = {}
        #: The number each numeric or formula cell shows, by (row, column).
        self._numbers: dict[tuple[int, int], float] = {}
        #: Wrapped text (row, first column, last column, text) whose row `finish` sizes.
        self._wrapped: list[tuple[int, int, int, str]] = []
        self._headers: list[str] = []
        #: Widths set by hand, per column [characters].
        self._widths: dict[int, float] = {}

    # ------------------------------------------------------------ cells
    def _at(self, col: str | int) -> int:
        if isinstance(col, int):
            return col
        assert self.table is not None, f"{self.name}: no table to look {col!r} up in"
        return self.table.col(col)

    def _default_format(self, col: str | int) -> str | None:
        if isinstance(col, str) and self.table is not None:
            return self.table.column(col).fmt
        return None

    def put(
        self,
        row: int,
        col: str | int,
        value: Any,
        fmt: str | None = None,
        styles: Iterable[str] = (),
    ) -> None:
        """Write data: numbers as numbers, bools as yes/no, everything else as text."""
        c = self._at(col)
        styles = tuple(styles)
        if value is None or value == "":
            if styles:
                self.ws.write_blank(row, c, None, self.book.format(None, styles))
            return
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, tuple | list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError(f"{self.name}: non-finite number {value} at row {row + 1}")
            number_format = fmt or self._default_format(col)
            self.ws.write_number(row, c, value, self.book.format(number_format, styles))
            self._numbers[(row, c)] = float(value)
            self._measure(row, c, value)
            return
        text = str(value)
        if self.ws.write_string(row, c, text, self.book.format(None, styles)) == -1:
            raise ValueError(f"{self.name}: row {row + 1} is outside the sheet")
        self._measure(row, c, text)

    def formula(
        self,
        row: int,
        col: str | int,
        formula: Formula,
        value: float,
        fmt: str | None = None,
        styles: Iterable[str] = (),
    ) -> None:
        """A live formula with the engine's `value` as its cached result."""
        c = self._at(col)
        if not _SAFE_FORMULA.fullmatch(formula.text):
            raise ValueError(f"refusing to write formula {formula.text!r}")
        if not math.isfinite(value):
            raise ValueError(f"{self.name}: formula {formula.text} has no finite value")
        number_format = fmt or self._default_format(col)
        cell_format = self.book.format(number_format, styles)
        cached = int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)
        if self.ws.write_formula(row, c, formula.cell(), cell_format, cached) != 0:
            raise ValueError(f"{self.name}: cannot write {formula.text} at row {row + 1}")
        self._numbers[(row, c)] = float(value)
        self._measure(row, c, float(value))

    def shown(self, row: int, col: str | int) -> float:
        """The number a cell written earlier shows (a formula's engine value)."""
        return self._numbers[(row, self._at(col))]

    def _measure(self, row: int, col: int, value: str | float) -> None:
        if row <= HEADER_ROW:
            return
        if isinstance(value, str):
            length = len(value)
        else:
            length = len(f"{value:,.2f}") if abs(value) < 10 else len(f"{value:,.0f}")
        self._longest[col] = max(self._longest.get(col, 0), length)

    # ------------------------------------------------------------ layout
    def header(self, table: Table, currency: str) -> None:
        """The table's header row; panes frozen below it and right of the first column,
        and the header repeated on every printed page."""
        self.table = table
        self._headers = [column.header.replace("{cur}", currency) for column in table.columns]
        for c, header in enumerate(self._headers):
            self.ws.write_string(HEADER_ROW, c, header, self.book.format(None, ("header",)))
        self.ws.freeze_panes(FIRST_ROW, 1)
        self.ws.repeat_rows(HEADER_ROW)

    def fixed_columns(self, table: Table, extra: Sequence[float] = ()) -> None:
        """Columns of a sheet without a header row: the table's widths, then `extra` ones."""
        self.table = table
        for c, width in enumerate((*(column.width for column in table.columns), *extra)):
            self._widths[c] = width

    def paragraph(self, row: int, text: str, last_col: int, styles: Iterable[str] = ()) -> None:
        """Text wrapped across columns 0..`last_col`, its row as tall as it needs."""
        cell_format = self.book.format(None, ("wrap", *styles))
        self.ws.merge_range(row, 0, row, last_col, "", cell_format)
        self.ws.write_string(row, 0, text, cell_format)
        self._wrapped.append((row, 0, last_col, text))

    def wrapped(self, row: int, col: str | int, text: str, styles: Iterable[str] = ()) -> None:
        """Text wrapped inside its cell, its row as tall as it needs."""
        if not text:
            self.put(row, col, None, styles=("wrap", *styles))
            return
        c = self._at(col)
        self.ws.write_string(row, c, text, self.book.format(None, ("wrap", *styles)))
        self._measure(row, c, text)
        self._wrapped.append((row, c, c, text))

    def note(self, row: int, text: str) -> None:
        """An explanatory paragraph under the table, across the table's width."""
        assert self.table is not None
        self.paragraph(row, text, len(self.table.columns) - 1, ("note",))

    def insert_chart(self, row: int, chart: Chart) -> None:
        self.ws.insert_chart(row, 0, chart)

    def finish(self) -> None:
        """Column widths, row heights of wrapped text, and the print setup."""
        widths = dict(self._widths)
        if self.table is not None and self._headers:
            lines = 1
            columns = zip(self.table.columns, self._headers, strict=True)
            for c, (column, header) in enumerate(columns):
                word = max((len(w) for w in header.split()), default=4)
                fitted = max(1.2 * word + 2, self._longest.get(c, 0) + 2, 6)
                widths.setdefault(c, min(column.width, fitted))
                lines = max(lines, math.ceil(len(header) * 1.15 / max(widths[c] - 1, 1)))
            self.ws.set_row(HEADER_ROW, _LINE_PT * max(2, lines) + 4)
        for c, width in widths.items():
            self.ws.set_column(c, c, width)
        heights: dict[int, int] = {}
        for row, first, last, text in self._wrapped:
            span = sum(widths.get(c, _DEFAULT_WIDTH) for c in range(first, last + 1))
            lines = sum(max(1, math.ceil(1.1 * len(part) / span)) for part in text.split("\n"))
            heights[row] = max(heights.get(row, 0), _LINE_PT * lines + 2)
        for row, height in heights.items():
            self.ws.set_row(row, height)
        if self.landscape:
            self.ws.set_landscape()
        else:
            self.ws.set_portrait()
        self.ws.set_paper(9)  # A4
        self.ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
        self.ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
