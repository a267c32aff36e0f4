"""Raw rows read from a workbook, with their provenance, before validation.

The reader produces these; `tco.schema.inputs` validates them. Keeping them free of
openpyxl lets tests and the example builder create inputs from plain dicts
through exactly the same validation path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from tco.errors import InputIssue


@dataclass(frozen=True)
class RawRow:
    """One data row: its 1-based sheet row number and the cell value per column key."""

    row: int
    values: dict[str, Any]


@dataclass
class RawTable:
    """One sheet: column letter per key (from row 1) and its non-blank data rows."""

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    rows: list[RawRow] = field(default_factory=list)

    def column_of(self, key: str) -> str | None:
        return self.columns.get(key)


@dataclass
class RawWorkbook:
    """Every input sheet that was found, by sheet name."""

    source_name: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    #: What the reader accepted but the planner should know (rows hidden in Excel).
    warnings: list[InputIssue] = field(default_factory=list)


def table_from_dicts(name: str, keys: list[str], rows: list[dict[str, Any]]) -> RawTable:
    """Lay plain dicts out as a sheet would be: keys in row 1, data from row 3."""
    columns = {key: get_column_letter(i + 1) for i, key in enumerate(keys)}
    raw_rows = [RawRow(row=3 + i, values=dict(values)) for i, values in enumerate(rows)]
    return RawTable(name=name, columns=columns, rows=raw_rows)
