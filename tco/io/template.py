"""Field table -> input workbook (the blank template and the bundled examples).

Every sheet, header, unit line, dropdown and numeric range check is generated
from `tco.schema.fields`, so the template cannot drift from the validator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from tco.io.atomic import write_atomically
from tco.io.cells import put
from tco.schema.fields import FIRST_DATA_ROW, SHEETS, SITE, SITE_COLUMNS, Field, Sheet

#: Rows that carry dropdowns and range checks below the header.
VALIDATED_ROWS = 500
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_UNIT_FONT = Font(italic=True, color="595959")
_UNIT_FILL = PatternFill("solid", fgColor="DDEBF7")

WORKFLOW = (
    "tco input workbook",
    "",
    "Workflow: fill the sheets below, run `tco validate <this file>` until it reports no "
    "problems, then `tco optimize <this file>` to get the procurement report.",
    "Layout of every table sheet: row 1 holds the column keys (do not rename them), row 2 "
    "the unit and a one-line description, data starts on row 3. Empty rows are skipped, text "
    "is trimmed, ids are case-sensitive. Columns whose key starts with 'note' or '#' are "
    "yours and are ignored.",
    "Site is a key/value sheet: one assumption per row (key, value, unit, description).",
    "Ranges: many published specs are ranges, not points (Ascend 910B FP16 280-320 TFLOPS, "
    "910C 'about 800', Blackwell details incomplete). Keep the nominal value in its own "
    "sheet and put the range in Uncertainty (sheet, row_id, field, low, high, distribution). "
    "A nominal outside [low, high], such as a real quote, is accepted: `tco validate` warns "
    "naming the cell and the range is widened to include it.",
    "Export control: Site region = cn (the default) makes every chip of export_class = "
    "restricted-cn (the parts the US does not export to China without a licence) "
    "unavailable, and `tco estimate` and the report's Alternatives say 'restricted for "
    "export to China (Site region cn)'. With stock "
    "or a licence, write available = yes on that chip's row and set Site allow_restricted = "
    "yes. For a site outside China set Site region = global.",
    "Units: power in W per card/node and kW per site; bandwidth in GB/s (bytes) except port "
    "speeds in Gbit/s; TFLOP/s are dense, not sparse (the H100 '1,979 TFLOPS' often quoted is "
    "the sparse figure; dense is 989.5).",
    "Currency: Site currency is the reporting currency; the Site money values (electricity "
    "price, facility capex, capex budget) are in it. Each Chips, Fabrics and Cooling row is "
    "priced in its own currency column (ISO code; blank = USD, the currency of the default "
    "catalog), so a CNY quote can sit next to a USD list price. Rows in a currency other than "
    "the Site's are converted once, when the workbook is read, with the rates on the FX sheet: "
    "one row per currency with units_per_usd (e.g. CNY 7.2) and its source; USD is always 1 and "
    "need not be listed. Converting currency C to the Site currency S needs the rates of both "
    "(value / rate of C x rate of S); a missing rate is an input error. The report lists the "
    "rates it used.",
    "Placeholders: no public price exists for most Chinese accelerators. Those card and node "
    "prices are placeholders with price_confidence = low; the report flags every "
    "low-confidence price a plan relies on. Replace them with your quotes. Where the public "
    "record has figures (news reports, tender and order values, listings, analyst "
    "estimates), the price's Uncertainty range covers them; the section on the default "
    "catalog's prices below says which rest on such figures and which remain guesses.",
)


def _style_header(ws: Worksheet, widths: Sequence[int]) -> None:
    for col, width in enumerate(widths, start=1):
        for row, font, fill in ((1, _HEADER_FONT, _HEADER_FILL), (2, _UNIT_FONT, _UNIT_FILL)):
            cell = ws.cell(row, col)
            cell.font = font
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[2].height = 60
    ws.freeze_panes = "B3"


def _validation_for(field: Field, id_ranges: Mapping[str, str]) -> DataValidation | None:
    """Dropdown for enumerations, bools and single id references; bounds for numbers."""
    prompt = f"{field.description} [{field.unit}]"
    if field.type == "bool":
        dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    elif field.type == "enum":
        dv = DataValidation(
            type="list", formula1='"' + ",".join(field.choices) + '"', allow_blank=True
        )
    elif field.type == "str" and field.ref is not None:
        dv = DataValidation(type="list", formula1=id_ranges[field.ref], allow_blank=True)
    elif field.is_numeric:
        low = field.ge if field.ge is not None else field.gt
        high = field.le if field.le is not None else field.lt
        kind: Any = "whole" if field.type == "int" else "decimal"
        if low is not None and high is not None:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=f"{low:g}",
                formula2=f"{high:g}",
                allow_blank=True,
            )
        elif low is not None:
            operator: Any = "greaterThanOrEqual" if field.ge is not None else "greaterThan"
            dv = DataValidation(type=kind, operator=operator, formula1=f"{low:g}", allow_blank=True)
        else:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1="-1E+300",
                formula2="1E+300",
                allow_blank=True,
            )
    else:
        return None
    dv.error = f"{field.key}: {field.range_text() or field.type}"[:255]
    dv.errorTitle = "tco input check"
    dv.prompt = prompt[:255]
    dv.promptTitle = field.key[:32]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    return dv


def _id_ranges() -> dict[str, str]:
    """Absolute ranges of each table's id column, the targets of reference dropdowns."""
    last = FIRST_DATA_ROW + VALIDATED_ROWS - 1
    ranges = {}
    for sheet in SHEETS:
        if sheet.id_key is not None:
            letter = get_column_letter(sheet.keys.index(sheet.id_key) + 1)
            ranges[sheet.name] = f"'{sheet.name}'!${letter}${FIRST_DATA_ROW}:${letter}${last}"
    return ranges


#: Number formats of input cells: counts and money with thousands separators. Money keeps
#: up to four decimals (0.085 per kWh), so a typed value never displays rounded; other
#: numbers stay General, as "#,##0.##" would show 3350 as "3,350.".
COUNT_FORMAT = "#,##0"
MONEY_FORMAT = "#,##0.00##"


def input_format(field: Field) -> str | None:
    """The number format of `field`'s cells, or None for General."""
    if field.type == "int":
        return COUNT_FORMAT
    return MONEY_FORMAT if field.is_money else None


def _table_sheet(ws: Worksheet, sheet: Sheet, rows: Sequence[Mapping[str, Any]]) -> None:
    ranges = _id_ranges()
    last = FIRST_DATA_ROW + VALIDATED_ROWS - 1
    widths = []
    for col, field in enumerate(sheet.fields, start=1):
        put(ws.cell(1, col), field.key)
        requirement = "required" if field.required and field.default is None else "optional"
        allowed = field.range_text()
        unit_line = f"[{field.unit}] {field.description} ({requirement}"
        unit_line += f"; {allowed})" if allowed else ")"
        put(ws.cell(2, col), unit_line)
        letter = get_column_letter(col)
        dv = _validation_for(field, ranges)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        fmt = input_format(field)
        if fmt is not None:
            ws.column_dimensions[letter].number_format = fmt  # rows the planner adds
        longest = max([len(field.key)] + [len(str(r.get(field.key, ""))) for r in rows[:50]])
        widths.append(max(10, min(longest + 2, 40)))
    for offset, row in enumerate(rows):
        unknown = set(row) - set(sheet.keys)
        if unknown:
            raise ValueError(f"{sheet.name} row has unknown keys {sorted(unknown)}")
        for col, field in enumerate(sheet.fields, start=1):
            value = row.get(field.key)
            if value is not None:
                cell = put(ws.cell(FIRST_DATA_ROW + offset, col), value)
                fmt = input_format(field)
                if fmt is not None and not isinstance(value, str | bool):
                    cell.number_format = fmt
    _style_header(ws, widths)


def _site_sheet(ws: Worksheet, site: Mapping[str, Any]) -> None:
    unknown = set(site) - set(SITE.keys)
    if unknown:
        raise ValueError(f"unknown Site keys {sorted(unknown)}")
    for col, key in enumerate(SITE_COLUMNS, start=1):
        put(ws.cell(1, col), key)
    for col, text in enumerate(
        (
            "[id] assumption",
            "[unit of the key] value (blank = default)",
            "[text] unit",
            "[text] what it means",
        ),
        start=1,
    ):
        put(ws.cell(2, col), text)
    for offset, field in enumerate(SITE.fields):
        row = FIRST_DATA_ROW + offset
        put(ws.cell(row, 1), field.key)
        value = site.get(field.key, field.default)
        fmt = input_format(field)
        if fmt is not None:
            ws.cell(row, 2).number_format = fmt
        if value is not None:
            put(ws.cell(row, 2), value)
        put(ws.cell(row, 3), field.unit)
        requirement = "required" if field.required and field.default is None else "optional"
        allowed = field.range_text()
        put(
            ws.cell(row, 4),
            f"{field.description} ({requirement}" + (f"; {allowed})" if allowed else ")"),
        )
        dv = _validation_for(field, _id_ranges())
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"B{row}")
    _style_header(ws, (26, 16, 14, 80))


#: README column width (characters): fits a landscape A4 or Letter page at 100 %.
README_WIDTH = 110


#: README heading above the account of the bundled catalog's prices.
PRICES_HEADING = "Prices of the default catalog: evidence and guesses"


def _readme_sheet(ws: Worksheet, scenario: Sequence[str], prices: Sequence[str]) -> None:
    lines = list(WORKFLOW)
    if scenario:
        lines += ["", "Scenario of this workbook", *scenario]
    if prices:
        lines += ["", PRICES_HEADING, *prices]
    lines += ["", "Sheets"]
    lines += [f"{sheet.name}: {sheet.description}" for sheet in SHEETS]
    lines += ["", "Fields (key | type | unit | required | allowed | description)"]
    for sheet in SHEETS:
        lines.append("")
        lines.append(sheet.name)
        for field in sheet.fields:
            requirement = "required" if field.required and field.default is None else "optional"
            default = f" (default {field.default})" if field.default not in (None, "") else ""
            ref = f" -> {field.ref}" if field.ref else ""
            lines.append(
                f"{field.key} | {field.type}{ref} | {field.unit} | {requirement}"
                f"{default} | {field.range_text() or '-'} | {field.description}"
            )
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, line in enumerate(lines, start=1):
        cell = put(ws.cell(row, 1), line)
        cell.alignment = wrap
        if (
            row == 1
            or line in ("Sheets", "Scenario of this workbook", PRICES_HEADING)
            or line in (s.name for s in SHEETS)
        ):
            cell.font = Font(bold=True)
    # Long lines wrap inside a column one landscape page wide, so nothing is cut in print.
    ws.column_dimensions["A"].width = README_WIDTH
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the text needs
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def build_workbook(
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
    site: Mapping[str, Any],
    scenario: Sequence[str] = (),
    prices: Sequence[str] = (),
) -> Workbook:
    """An input workbook holding `sheets` (rows as dicts by column key) and `site` values.

    `scenario` and `prices` are README sections: what the workbook's scenario is, and
    which of its prices rest on published figures (`tco.data.evidence.readme_lines`
    for workbooks built from the default catalog).
    """
    wb = Workbook()
    readme = wb.active
    assert readme is not None
    readme.title = "README"
    _readme_sheet(readme, scenario, prices)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet is SITE:
            _site_sheet(ws, site)
        else:
            _table_sheet(ws, sheet, sheets.get(sheet.name, ()))
    return wb


def write_workbook(
    path: Path,
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
    site: Mapping[str, Any],
    scenario: Sequence[str] = (),
    prices: Sequence[str] = (),
) -> None:
    """Write an input workbook atomically (README sections as in `build_workbook`)."""
    wb = build_workbook(sheets, site, scenario, prices)
    write_atomically(Path(path), lambda tmp: wb.save(tmp))
