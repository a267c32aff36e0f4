"""Safe workbook reader: .xlsx -> raw rows with sheet/row/column provenance.

A planner's workbook is untrusted input. Before openpyxl parses anything we
check the container (zip magic, entry count, declared sizes, compression
ratio) and refuse to run without defusedxml, which openpyxl uses to reject
entity bombs and external entities. Rows and columns read are bounded. Cells
that cannot be trusted as values (formulas without a cached result, Excel
error values, merged ranges in the data) are reported, never read as blank.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tco.errors import InputError, InputIssue, show_value
from tco.io.raw import RawRow, RawTable, RawWorkbook
from tco.schema.fields import FIRST_DATA_ROW, SHEETS, SHEETS_BY_NAME, SITE_COLUMNS, Sheet
from tco.text import close_match, listing

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_ENTRY_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
#: xlsx sheet XML compresses well, but not this well; bombs do.
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 20_000
MAX_COLUMNS = 256
#: Sheets a workbook may leave out: Uncertainty (no ranges), FX (no row priced in a
#: currency other than the Site's) and Demand (the targets hold every year).
OPTIONAL_SHEETS = ("Uncertainty", "FX", "Demand")
#: Sheets that must be present.
REQUIRED_SHEETS = tuple(s.name for s in SHEETS if s.name not in OPTIONAL_SHEETS)
#: Extra columns whose key starts with one of these are the planner's notes.
NOTE_PREFIXES = ("#", "note")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _fail(message: str) -> InputError:
    return InputError([InputIssue(message)])


def check_container(path: Path) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx zip."""
    name = path.name
    if not path.exists():
        raise _fail(f"{name}: file not found")
    if not path.is_file():
        raise _fail(f"{name}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise _fail(f"{name}: the file is empty (0 bytes), not an Excel workbook")
    if size > MAX_FILE_BYTES:
        raise _fail(f"{name}: the file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
    with path.open("rb") as handle:
        head = handle.read(8)
        if head == _OLE_MAGIC:
            body = head + handle.read(min(size, 4 * 1024 * 1024))
            if _ENCRYPTION_STREAM in body:
                raise _fail(
                    f"{name}: the workbook is password-protected (encrypted); save an "
                    "unencrypted copy and use that"
                )
            raise _fail(
                f"{name}: this is a legacy Excel 97-2003 .xls file; save it as .xlsx "
                "(Excel Workbook) and use that"
            )
    if head[:4] != _ZIP_MAGIC:
        raise _fail(
            f"{name}: not an Excel .xlsx workbook (it is not a zip archive; a CSV or "
            "text file renamed to .xlsx?)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _fail(f"{name}: the workbook is corrupt or truncated ({exc})") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _fail(
            f"{name}: the archive holds {len(entries):,} entries, over the "
            f"{MAX_ZIP_ENTRIES:,} limit"
        )
    total = 0
    names = set()
    for entry in entries:
        names.add(entry.filename)
        total += entry.file_size
        if entry.file_size > MAX_ENTRY_BYTES:
            raise _fail(
                f"{name}: entry {entry.filename} declares {entry.file_size:,} bytes "
                f"uncompressed, over the {MAX_ENTRY_BYTES:,}-byte limit (zip bomb?)"
            )
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise _fail(
                f"{name}: entry {entry.filename} expands {ratio:,.0f}x, over the "
                f"{MAX_COMPRESSION_RATIO}x limit (zip bomb?)"
            )
    if total > MAX_TOTAL_BYTES:
        raise _fail(
            f"{name}: the archive expands to {total:,} bytes, over the "
            f"{MAX_TOTAL_BYTES:,}-byte limit (zip bomb?)"
        )
    if "xl/workbook.bin" in names:
        raise _fail(
            f"{name}: this is a binary .xlsb workbook; save it as .xlsx (Excel "
            "Workbook) and use that"
        )
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _fail(
            f"{name}: not a valid .xlsx workbook (the zip lacks [Content_Types].xml "
            "or xl/workbook.xml)"
        )


def _require_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise RuntimeError(
            "defusedxml is not active in openpyxl; refusing to parse untrusted "
            "workbooks (install defusedxml)"
        )


def _load(path: Path, data_only: bool) -> Any:
    try:
        return openpyxl.load_workbook(
            path, data_only=data_only, read_only=False, keep_links=False, keep_vba=False
        )
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many types for broken parts
        if any(isinstance(e, DefusedXmlException) for e in _exception_chain(exc)):
            raise _fail(
                f"{path.name}: refused: the workbook XML declares entities or a DTD "
                "(XML bomb or external-entity attack?)"
            ) from None
        raise _fail(
            f"{path.name}: the workbook is corrupt and cannot be read "
            f"({type(exc).__name__}: {_one_line(str(exc), path)})"
        ) from None


def load_checked(path: Path, data_only: bool) -> Any:
    """The openpyxl workbook at `path`, after the same container and XML checks as
    `read_workbook` (for readers of other tco workbooks, such as reports)."""
    _require_defusedxml()
    check_container(path)
    return _load(path, data_only)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes: openpyxl wraps defusedxml's refusals in ValueError."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _one_line(text: str, path: Path) -> str:
    """A library message as one short line, without this machine's paths."""
    for name in (str(path.resolve()), str(path)):
        text = text.replace(name, path.name)
    text = " ".join(text.split())
    return text[:160] + ("..." if len(text) > 160 else "")


def read_workbook(path: Path) -> RawWorkbook:
    """Read every input sheet of `path`, or raise `InputError` with every problem found."""
    _require_defusedxml()
    check_container(path)
    formulas = _load(path, data_only=False)
    values = _load(path, data_only=True)
    issues: list[InputIssue] = []
    present = list(values.sheetnames)
    issues += _sheet_name_issues(present)
    raw = RawWorkbook(source_name=path.name)
    for sheet in SHEETS:
        if sheet.name not in present:
            continue
        if not isinstance(values[sheet.name], Worksheet):
            issues.append(
                InputIssue(
                    f"Sheet '{sheet.name}' is a chart sheet, not a table; replace it with a "
                    "worksheet"
                )
            )
            continue
        raw.tables[sheet.name] = _read_sheet(
            sheet, formulas[sheet.name], values[sheet.name], issues
        )
        raw.warnings += _hidden_rows(raw.tables[sheet.name], values[sheet.name])
    if issues:
        raise InputError(issues)
    raw.warnings += _open_elsewhere(path)
    return raw


#: Lock files an office suite keeps beside a workbook it has open: LibreOffice's
#: `.~lock.NAME#` and Excel's `~$NAME`.
_LOCK_NAMES = (".~lock.{}#", "~${}")


def _open_elsewhere(path: Path) -> list[InputIssue]:
    """A warning when the workbook looks open in an office suite: what is read is the
    file as last saved, not the edits on screen."""
    locks = [name.format(path.name) for name in _LOCK_NAMES]
    found = [lock for lock in locks if (path.parent / lock).exists()]
    if not found:
        return []
    return [
        InputIssue(
            f"{path.name} looks open in an office suite ({found[0]} beside it): tco reads "
            "the file as last saved; save it first if it has unsaved edits"
        )
    ]


def _sheet_name_issues(present: list[str]) -> list[InputIssue]:
    """Input sheets the workbook lacks, each with the sheet it probably meant.

    A sheet named like an input sheet but for case or spaces ('chips', 'Chips ')
    is an error even for an optional sheet: read as absent, its rows would be
    silently ignored. Only a required sheet also gets a near spelling suggested
    ('Chip'), since any other sheet may be the planner's own.
    """
    issues = []
    others = [name for name in present if name not in SHEETS_BY_NAME]
    for sheet in SHEETS:
        name = sheet.name
        if name in present:
            continue
        required = name in REQUIRED_SHEETS
        near = close_match(name, others) if required else _same_name(name, others)
        if near is not None:
            issues.append(
                InputIssue(
                    f"Sheet '{name}' is missing, but the workbook has a sheet named "
                    f"{near!r}: did you mean '{name}'? (sheet names must match exactly; "
                    "rename it)"
                )
            )
        elif required:
            issues.append(
                InputIssue(
                    f"Sheet '{name}' is missing; the workbook has: "
                    f"{', '.join(present) or '(no sheets)'}"
                )
            )
    return issues


def _same_name(name: str, candidates: list[str]) -> str | None:
    """The candidate equal to `name` but for case and spaces."""
    folded = "".join(name.split()).casefold()
    return next((c for c in candidates if "".join(c.split()).casefold() == folded), None)


def _hidden_rows(table: RawTable, ws: Worksheet) -> list[InputIssue]:
    """A warning for data rows hidden in Excel (or filtered out): they are read and used,
    but a planner looking at the sheet does not see them."""
    dimensions = ws.row_dimensions
    hidden = [r.row for r in table.rows if r.row in dimensions and dimensions[r.row].hidden]
    if not hidden:
        return []
    rows = listing(str(r) for r in hidden)
    if len(hidden) == 1:
        message = f"row {rows} is hidden in Excel; it is used (unhide it to check it)"
    else:
        message = f"rows {rows} are hidden in Excel; they are used (unhide them to check them)"
    return [InputIssue(message, table.name)]


def _cell_value(
    formula_cell: Any,
    value_cell: Any,
    sheet: str,
    row: int,
    column: str,
    key: str,
    issues: list[InputIssue],
) -> Any:
    """The trusted value of a cell, or None after recording why it cannot be trusted."""
    where: dict[str, Any] = {"sheet": sheet, "row": row, "column": column, "key": key}
    if value_cell.data_type == "e" or formula_cell.data_type == "e":
        issues.append(
            InputIssue(
                f"Excel error {value_cell.value or formula_cell.value} in the cell; fix the value",
                **where,
            )
        )
        return None
    if formula_cell.data_type == "f" and value_cell.value is None:
        text = formula_cell.value if isinstance(formula_cell.value, str) else "array formula"
        issues.append(
            InputIssue(
                f"formula {show_value(text)} has no cached value; open "
                "and save the workbook in Excel or type the value",
                **where,
            )
        )
        return None
    value = value_cell.value
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _bounds_issues(sheet: str, ws: Worksheet) -> list[InputIssue]:
    """Report values outside the readable area instead of reading a million rows."""
    if ws.max_row <= MAX_ROWS and ws.max_column <= MAX_COLUMNS:
        return []
    stray = sorted(
        (r, c)
        for (r, c), cell in ws._cells.items()
        if (r > MAX_ROWS or c > MAX_COLUMNS) and cell.value is not None
    )
    return [
        InputIssue(
            f"value {show_value(ws.cell(r, c).value)} lies outside the readable area "
            f"({MAX_ROWS:,} rows x {MAX_COLUMNS} columns); delete it",
            sheet,
            r,
            get_column_letter(c),
        )
        for r, c in stray[:5]
    ]


def _read_sheet(
    sheet: Sheet, f_ws: Worksheet, v_ws: Worksheet, issues: list[InputIssue]
) -> RawTable:
    name = sheet.name
    issues.extend(_bounds_issues(name, v_ws))
    for merged in v_ws.merged_cells.ranges:
        issues.append(
            InputIssue(
                f"merged cells {merged.coord} are not allowed in an input sheet; unmerge them",
                name,
                merged.min_row,
                get_column_letter(merged.min_col),
            )
        )
    max_row = min(v_ws.max_row, MAX_ROWS)
    max_col = min(v_ws.max_column, MAX_COLUMNS)
    expected = SITE_COLUMNS if sheet.id_key is None and name == "Site" else sheet.keys
    table = RawTable(name=name)
    headers: dict[int, str] = {}
    for col in range(1, max_col + 1):
        header = v_ws.cell(1, col).value
        if header is None or (isinstance(header, str) and not header.strip()):
            continue
        key = str(header).strip()
        letter = get_column_letter(col)
        if key in table.columns:
            issues.append(
                InputIssue(
                    f"duplicate column key {show_value(key)}, also in column {table.columns[key]}",
                    name,
                    1,
                    letter,
                )
            )
            continue
        if key not in expected:
            if key.lower().startswith(NOTE_PREFIXES):
                continue
            hint = close_match(key, expected)
            suggestion = f" (did you mean {hint!r}?)" if hint else ""
            issues.append(
                InputIssue(
                    f"unknown column key {show_value(key)}{suggestion}; "
                    "columns starting with 'note' or '#' are ignored",
                    name,
                    1,
                    letter,
                )
            )
            continue
        table.columns[key] = letter
        headers[col] = key
    required = [
        k
        for k in expected
        if (name == "Site" and k in ("key", "value"))
        or (name != "Site" and sheet.field(k).required)
    ]
    for key in required:
        if key not in table.columns:
            issues.append(InputIssue(f"required column {key!r} is missing from row 1", name, 1))
    merged = {
        (r, c)
        for rng in v_ws.merged_cells.ranges
        for r in range(rng.min_row, rng.max_row + 1)
        for c in range(rng.min_col, rng.max_col + 1)
    }
    for row in _rows_with_content(f_ws, v_ws, max_row):
        cells: dict[str, Any] = {}
        for col, key in headers.items():
            if (row, col) in merged:
                continue  # reported above as a merged range
            value = _cell_value(
                f_ws.cell(row, col),
                v_ws.cell(row, col),
                name,
                row,
                get_column_letter(col),
                key,
                issues,
            )
            if value is not None:
                cells[key] = value
        if cells:
            table.rows.append(RawRow(row=row, values=cells))
    return table


def _rows_with_content(f_ws: Worksheet, v_ws: Worksheet, max_row: int) -> list[int]:
    """Data rows (3..max_row) holding a value or a formula, from the sheets' cell maps.

    Reading only these rows keeps a sheet with one stray far-away cell, or
    formatting applied to whole columns, from costing 20,000 row scans.
    """
    rows = {
        r
        for ws in (f_ws, v_ws)
        for (r, _), cell in ws._cells.items()
        if FIRST_DATA_ROW <= r <= max_row and cell.value is not None
    }
    return sorted(rows)
