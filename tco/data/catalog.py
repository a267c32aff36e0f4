"""Default catalog: the rows the template and the example scenario start from.

The values are data, not code: one CSV per catalog sheet next to this module
(`chips.csv`, `fabrics.csv`, `cooling.csv`, `models.csv`, `uncertainty.csv`),
row 1 the column keys of `tco.schema.fields`, one row per line after it, a
blank cell for a blank value. Where the figures come from and the conventions
they follow are in `tco/data/README.md`; each row's `source` cell names its own.

The files are read through `importlib.resources`, so they load the same from a
checkout and from an installed package, and every cell goes through the field
table and the cross-sheet checks a planner's workbook gets
(`tco.schema.inputs.validate_catalog`): the tool never ships a catalog it would
refuse as input. A bad cell stops the import with its file, line and column.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from openpyxl.utils import get_column_letter

from tco.errors import InputError, InputIssue
from tco.io.raw import RawRow, RawTable, RawWorkbook
from tco.schema.fields import Sheet
from tco.schema.inputs import CATALOG_SHEETS, validate_catalog

#: Sheet name -> rows, each a dict of its non-blank cells by column key.
Catalog = dict[str, list[dict[str, object]]]

#: The CSV file holding each catalog sheet.
FILE_NAMES = {sheet.name: f"{sheet.name.lower()}.csv" for sheet in CATALOG_SHEETS}


class CatalogError(ValueError):
    """A catalog file breaks the field table; each line of the message names file, line, column."""


def load_catalog(folder: Traversable | None = None) -> Catalog:
    """Read and validate the catalog CSVs in `folder` (default: those shipped in `tco.data`).

    Values are the validated cell values a workbook row would hold: numbers,
    yes/no as bools, enumerations in their canonical spelling, id lists as
    their comma-separated text (the form the template writes back).
    """
    root = folder if folder is not None else files("tco.data")
    raw = RawWorkbook(source_name=str(root))
    problems: list[str] = []
    for sheet in CATALOG_SHEETS:
        raw.tables[sheet.name] = _read_csv(root / FILE_NAMES[sheet.name], sheet, problems)
    if problems:
        raise CatalogError("\n".join(problems))
    try:
        typed = validate_catalog(raw)
    except InputError as error:
        raise CatalogError("\n".join(_located(root, issue) for issue in error.issues)) from None
    return {
        sheet.name: [_cells(sheet, row) for row in typed[sheet.name]] for sheet in CATALOG_SHEETS
    }


#: Columns a catalog file may leave out (every cell blank): the fleet-plan columns,
#: whose blanks mean "today, at today's price, for the whole horizon".
MAY_LEAVE_OUT = frozenset(("available_from_year", "price_change_per_year", "lifetime_years"))


def _read_csv(path: Traversable, sheet: Sheet, problems: list[str]) -> RawTable:
    """One CSV as a raw sheet: row numbers are file lines, blank cells and lines are skipped."""
    table = RawTable(name=sheet.name)
    # csv wants newline="" (quoted cells may hold line breaks); utf-8-sig accepts the
    # byte-order mark Excel writes when it saves "CSV UTF-8".
    with (
        path.open("rb") as binary,
        io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as handle,
    ):
        reader = csv.reader(handle)
        header = next(reader, [])
        wanted = [k for k in sheet.keys if k in header or k not in MAY_LEAVE_OUT]
        table.columns = {key: get_column_letter(i + 1) for i, key in enumerate(header)}
        if header != wanted:
            missing = [k for k in sheet.keys if k not in header and k not in MAY_LEAVE_OUT]
            unknown = [k for k in header if k not in sheet.keys]
            problems.append(
                f"{path}, line 1: the header must be the {sheet.name} keys of the field "
                f"table in order ({', '.join(sheet.keys)}); missing: {missing or 'none'}, "
                f"unknown: {unknown or 'none'}"
            )
            return table
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) != len(header):
                    problems.append(
                        f"{path}, line {line}: {len(cells)} cells, the header has {len(header)}"
                    )
                else:
                    values = {k: v.strip() for k, v in zip(header, cells, strict=True)}
                    table.rows.append(
                        RawRow(row=line, values={k: v for k, v in values.items() if v})
                    )
            line = reader.line_num + 1  # a quoted cell may span lines
    return table


def _located(root: Traversable, issue: InputIssue) -> str:
    """A validation issue placed in its file: sheet -> file, row -> line."""
    place = [str(root / FILE_NAMES[issue.sheet])] if issue.sheet in FILE_NAMES else []
    if issue.row is not None:
        place.append(f"line {issue.row}")
    if issue.column is not None:
        place.append(f"column {issue.column} ({issue.key})")
    elif issue.key is not None:
        place.append(f"({issue.key})")
    return f"{', '.join(place)}: {issue.message}" if place else issue.message


def _cells(sheet: Sheet, row: Any) -> dict[str, object]:
    """A validated row back as its non-blank cells (defaults stay blank, as in the file)."""
    cells: dict[str, object] = {}
    for key in sheet.keys:
        if key in row.model_fields_set:
            value = getattr(row, key)
            cells[key] = ",".join(value) if isinstance(value, tuple) else value
    return cells


#: The default catalog, one list of row dicts per sheet (keys = `tco.schema.fields`).
DEFAULT_CATALOG: Catalog = load_catalog()
