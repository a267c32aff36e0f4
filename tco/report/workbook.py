"""Plan -> the procurement report workbook (DESIGN 3.5).

The writer formats a `Plan`; it never prices anything itself. Cost cells are
live Excel formulas over the counts the optimiser chose and the input values
on `Assumptions`, so a buyer can change a unit price or the electricity price
and see every total move:

- BOM: quantity refers to the count on Pools/Network/Power, unit price to the
  input value on Assumptions, extended = quantity x unit price, total = SUM;
- Power: IT kW = (cards x tdp_w + nodes x node_power_w + NICs x nic_power_w
  + switches x switch_power_w) / 1000, facility kW = IT kW x PUE;
- CashFlow: energy = SUMPRODUCT(IT kW, PUE) x utilization x 8760 h x price,
  maintenance = maintenance_rate x SUMIF(BOM category compute, network),
  discount factor = (1 + rate)^-year;
- Pools and Summary: sums and references to the sheets above.

openpyxl writes formulas without results, so a reader that does not
recalculate (previewers, pandas, many viewers) would show empty cells. Every
formula is therefore registered with the engine's value from the `Plan`, and
after saving, each formula cell's empty `<v/>` in the sheet XML is filled with
that value (`_insert_cached_values`). The LibreOffice recalculation test
checks that the formulas reproduce those values to 1e-6 relative.

Every string from the input goes through `tco.io.cells.put` (inline text,
never a formula); formulas are built only from cell references and this
module's constants, and `_SAFE_FORMULA` refuses anything else.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from tco.costs.registry import HARDWARE_CATEGORIES, HOURS_PER_YEAR
from tco.errors import InputError
from tco.io.atomic import write_atomically
from tco.io.cells import put
from tco.plan.extract import SECONDS_PER_YEAR, BomLine, Plan, PoolPlan
from tco.scenario.alternatives import DIMENSIONS, Alternative
from tco.schema.fields import CHIPS, COOLING, FABRICS, SITE
from tco.schema.inputs import PlanningInputs
from tco.schema.rows import UncertaintyRow

SHEETS = (
    "Summary",
    "Pools",
    "BOM",
    "CashFlow",
    "Power",
    "Network",
    "Alternatives",
    "Assumptions",
)

MONEY = "#,##0"
MONEY_CENTS = "#,##0.00"
DELTA_MONEY = "+#,##0;-#,##0;0"
COUNT = "#,##0"
KW = "#,##0.0"
PERCENT = "0.0%"
DELTA_PERCENT = "+0.0%;-0.0%;0.0%"
FACTOR = "0.0000"
PER_MTOK = "#,##0.0000"
MILLIONS = '#,##0.0,,"M"'

#: Formulas hold only cell references, numbers, operators, functions and our
#: own quoted category names: never text that came from the input.
_SAFE_FORMULA = re.compile(r'=[A-Za-z0-9_$!:.,()*/+\-^<>= "]*\Z')
_QUOTED = re.compile(r'"([^"]*)"')
_CATEGORIES = frozenset({"compute", "network", "facility", "migration"})

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
_SECTION_FONT = Font(bold=True, size=11, color="1F4E78")
_BOLD = Font(bold=True)
_WARN_FONT = Font(color="9C0006")
_TOTAL_BORDER = Border(top=Side(style="thin"))
_WRAP = Alignment(wrap_text=True, vertical="top")

#: Lock files Excel and LibreOffice leave next to an open workbook.
_LOCK_NAMES = ("~${}", ".~lock.{}#")


def write_report(
    path: Path, inputs: PlanningInputs, plan: Plan, alternatives: Sequence[Alternative]
) -> None:
    """Write the report atomically; `InputError` when `path` cannot be written.

    The workbook is built in memory first, so a failure while building it never
    touches the disk; the previous report stays as it was on any failure.
    """
    path = Path(path)
    _check_writable(path)
    data = report_bytes(inputs, plan, alternatives)
    try:
        write_atomically(path, lambda tmp: _write_file(tmp, data))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError.single(
            f"{path}: cannot write the report ({reason}); close it if it is open, "
            "or choose another -o"
        ) from exc


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError.single(f"{path}: is a folder, not a report file")
    for pattern in _LOCK_NAMES:
        lock = folder / pattern.format(path.name)
        if lock.exists():
            raise InputError.single(
                f"{path}: the report is open in Excel or LibreOffice (lock file {lock.name}); "
                "close it, or delete the lock file if it is stale, or choose another -o"
            )
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError.single(f"{path}: the existing report is read-only; choose another -o")


def report_bytes(inputs: PlanningInputs, plan: Plan, alternatives: Sequence[Alternative]) -> bytes:
    """The finished .xlsx (with cached formula values) as bytes."""
    book = _Book()
    _Report(book, inputs, plan, list(alternatives)).build()
    buffer = io.BytesIO()
    book.wb.save(buffer)
    return _insert_cached_values(buffer.getvalue(), book.cached)


# --------------------------------------------------------------------------- cells


def ref(sheet: str, row: int, col: int, absolute: bool = True) -> str:
    """`Sheet!$C$5` (sheet names here never need quoting)."""
    letter = get_column_letter(col)
    cell = f"${letter}${row}" if absolute else f"{letter}{row}"
    return f"{sheet}!{cell}" if sheet else cell


def col_range(sheet: str, col: int, first: int, last: int) -> str:
    letter = get_column_letter(col)
    cells = f"${letter}${first}:${letter}${last}"
    return f"{sheet}!{cells}" if sheet else cells


class _Book:
    """The workbook plus the engine value of every formula cell, by sheet and cell."""

    def __init__(self) -> None:
        self.wb = Workbook()
        self.wb.remove(self.wb.active)  # type: ignore[arg-type]
        self.sheets = {title: self.wb.create_sheet(title) for title in SHEETS}
        self.cached: dict[str, dict[str, float]] = {title: {} for title in SHEETS}

    def formula(
        self, ws: Worksheet, row: int, col: int, text: str, value: float, fmt: str | None = None
    ) -> Cell:
        if not _SAFE_FORMULA.match(text) or not set(_QUOTED.findall(text)) <= _CATEGORIES:
            raise ValueError(f"refusing to write formula {text!r}")
        if not math.isfinite(value):
            raise ValueError(f"formula {text} at {ws.title}!{row},{col} has no finite value")
        cell: Any = ws.cell(row, col)
        cell.value = text
        if cell.data_type != "f":
            raise ValueError(f"{text!r} was not taken as a formula")
        self.cached[ws.title][cell.coordinate] = float(value)
        if fmt:
            cell.number_format = fmt
        return cell

    def value(self, ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> Cell:
        cell = put(ws.cell(row, col), value)
        if fmt and isinstance(value, int | float):
            cell.number_format = fmt
        return cell


@dataclass(frozen=True)
class _Col:
    header: str
    fmt: str | None = None
    width: float = 12


def _table_header(book: _Book, ws: Worksheet, cols: Sequence[_Col], row: int = 1) -> None:
    for c, col in enumerate(cols, start=1):
        cell = book.value(ws, row, c, col.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.freeze_panes = ws.cell(row + 1, 2).coordinate
    ws.print_title_rows = f"{row}:{row}"


def _page_setup(ws: Worksheet, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _note(ws: Worksheet, row: int, text: str, ncols: int) -> None:
    """An explanatory paragraph under a table, wrapped across the table's width."""
    cell = put(ws.cell(row, 1), text)
    cell.font = Font(italic=True, color="595959")
    cell.alignment = _WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 10 for c in range(1, ncols + 1))
    ws.row_dimensions[row].height = 14 * max(1, math.ceil(1.1 * len(text) / width))


def _fit_widths(book: _Book, ws: Worksheet, cols: Sequence[_Col], last_row: int) -> None:
    """Column widths from the content (capped at the column's width), header wrapped."""
    lines = 1
    for c, col in enumerate(cols, start=1):
        longest = 0
        for r in range(2, last_row + 1):
            cell = ws.cell(r, c)
            value = book.cached[ws.title].get(cell.coordinate, cell.value)
            if isinstance(value, int | float):
                longest = max(
                    longest, len(f"{value:,.2f}") if abs(value) < 10 else len(f"{value:,.0f}")
                )
            elif value is not None:
                longest = max(longest, len(str(value)))
        word = max((len(w) for w in col.header.split()), default=4)
        width = min(col.width, max(1.2 * word + 2, longest + 2, 6))
        ws.column_dimensions[get_column_letter(c)].width = width
        lines = max(lines, math.ceil(len(col.header) * 1.15 / max(width - 1, 1)))
    ws.row_dimensions[1].height = 14 * max(2, lines) + 4


def _total_row(ws: Worksheet, row: int, ncols: int) -> None:
    for c in range(1, ncols + 1):
        cell = ws.cell(row, c)
        cell.font = _BOLD
        cell.border = _TOTAL_BORDER


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Assumption:
    sheet: str
    row_id: str
    key: str
    value: Any
    unit: str
    input_row: int | None
    source: str
    confidence: str


#: BOM unit -> the input field its unit price is.
_PRICE_FIELD = {
    "card": "card_price",
    "node": "node_price",
    "NIC": "nic_price",
    "switch": "switch_price",
    "transceiver": "optic_price",
    "cable": "cable_price",
    "rack": "rack_price",
    "kW IT": "capex_per_kw",
    "kW facility": "facility_capex_per_kw",
    "one-off": "migration_cost",
}

# Column numbers (1-based) the formulas refer to.
P_NODES, P_CARDS, P_CAPACITY, P_TARGET = 7, 8, 11, 12
P_CAPEX, P_MIGRATION, P_ENERGY, P_MAINT, P_OPEX_PV, P_TCO, P_PER_MTOK = 14, 15, 16, 17, 18, 19, 20
N_PORT, N_OVERSUB, N_TIERS, N_ENDPOINTS = 4, 5, 6, 7
N_LEAF, N_SPINE, N_CORE, N_SWITCHES, N_NICS, N_LINKS, N_OPTICS, N_CABLES = (
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
)
W_CARDS, W_NODES, W_NODE_KW, W_IT_KW, W_PUE, W_FACILITY_KW, W_RACKS = 4, 5, 6, 7, 8, 9, 10
B_CATEGORY, B_QTY, B_PRICE, B_EXTENDED = 3, 4, 6, 7
C_YEAR, C_CAPEX, C_ENERGY, C_MAINT, C_TOTAL, C_FACTOR, C_DISCOUNTED, C_CUMULATIVE = range(1, 9)
A_VALUE = 4
FIRST = 2  # first data row of every table sheet


class _Report:
    def __init__(
        self, book: _Book, inputs: PlanningInputs, plan: Plan, alternatives: list[Alternative]
    ) -> None:
        self.book = book
        self.inputs = inputs
        self.plan = plan
        self.alternatives = alternatives
        self.cur = str(inputs.site.currency)
        self.pools = list(plan.pools)
        self.n = len(self.pools)
        self.total_row = FIRST + self.n  # total row of Pools, Network and Power
        self.assumptions = self._assumptions()
        self.assumption_rows = {
            (a.sheet, a.row_id, a.key): FIRST + i for i, a in enumerate(self.assumptions)
        }
        self.bom, self.pool_bom_rows = self._bom_layout()
        self.bom_total_row = FIRST + len(self.bom)
        self.years = len(plan.cash_flow)
        self.cf_total_row = FIRST + self.years
        self.annuity_row = self.cf_total_row + 2
        self.summary_rows: dict[str, int] = {}
        self.bom_category_rows: dict[str, int] = {}
        self.alt_rows: dict[str, list[tuple[int, Alternative]]] = {}

    # ------------------------------------------------------------ helpers
    def ws(self, title: str) -> Worksheet:
        return self.book.sheets[title]

    def a_ref(self, sheet: str, row_id: str, key: str) -> str | None:
        row = self.assumption_rows.get((sheet, row_id, key))
        return ref("Assumptions", row, A_VALUE) if row else None

    def site_ref(self, key: str) -> str:
        found = self.a_ref("Site", "", key)
        assert found is not None
        return found

    def h(self, text: str) -> str:
        return text.replace("{cur}", self.cur)

    def build(self) -> None:
        self._assumptions_sheet()
        self._pools_sheet()
        self._network_sheet()
        self._power_sheet()
        self._bom_sheet()
        self._cashflow_sheet()
        self._alternatives_sheet()
        self._summary_sheet()
        for title in SHEETS:
            _page_setup(self.ws(title), landscape=title != "Summary")

    # ------------------------------------------------------------ layout
    def _assumptions(self) -> list[_Assumption]:
        inputs, site = self.inputs, self.inputs.site
        ranges: dict[tuple[str, str, str], UncertaintyRow] = {
            (u.sheet, u.row_id, u.field): u for u in inputs.uncertainty
        }
        self.ranges = ranges
        out = []
        for f in SITE.fields:
            value = getattr(site, f.key)
            out.append(
                _Assumption(
                    "Site",
                    "",
                    f.key,
                    "none" if value is None else value,
                    self._unit(f.unit),
                    None,
                    "Site sheet",
                    "-",
                )
            )
        out.append(
            _Assumption(
                "Constant", "", "hours_per_year", HOURS_PER_YEAR, "h/yr", None, "8,760 h", "-"
            )
        )
        out.append(
            _Assumption(
                "Constant",
                "",
                "seconds_per_year",
                SECONDS_PER_YEAR,
                "s/yr",
                None,
                "8,760 h x 3,600 s",
                "-",
            )
        )
        chips = list(dict.fromkeys(p.chip for p in self.pools))
        chips += [
            line.source_id
            for line in self.plan.bom
            if line.source_sheet == "Chips" and line.source_id not in chips
        ]
        used = (
            (CHIPS, inputs.chips, list(dict.fromkeys(chips))),
            (FABRICS, inputs.fabrics, list(dict.fromkeys(p.fabric for p in self.pools))),
            (COOLING, inputs.coolings, list(dict.fromkeys(p.cooling for p in self.pools))),
        )
        for sheet, rows, ids in used:
            for row_id in ids:
                row = rows[row_id]
                source = str(getattr(row, "source", None) or "")
                for f in sheet.fields:
                    if f.key in (sheet.id_key, "source", "confidence"):
                        continue
                    value = getattr(row, f.key)
                    if value is None:
                        continue
                    confidence = getattr(row, "confidence", None) or "-"
                    if f.key in ("card_price", "node_price", "migration_cost"):
                        confidence = getattr(row, "price_confidence", None) or "low"
                    out.append(
                        _Assumption(
                            sheet.name,
                            row_id,
                            f.key,
                            value,
                            self._unit(f.unit),
                            inputs.source_rows.get((sheet.name, row_id)),
                            source,
                            confidence,
                        )
                    )
        return out

    def _unit(self, unit: str) -> str:
        return unit.replace("currency", self.cur)

    def _bom_layout(self) -> tuple[list[tuple[int | None, BomLine]], list[tuple[int, int] | None]]:
        """BOM lines grouped by pool (contiguous, so a pool's capex is one SUM), site lines last."""
        lines: list[tuple[int | None, BomLine]] = []
        spans: list[tuple[int, int] | None] = []
        taken: set[int] = set()
        for i, p in enumerate(self.pools):
            start = FIRST + len(lines)
            for k, line in enumerate(self.plan.bom):
                if line.pool == p.workload and line.category != "migration" and k not in taken:
                    lines.append((i, line))
                    taken.add(k)
            end = FIRST + len(lines) - 1
            spans.append((start, end) if end >= start else None)
        lines += [(None, line) for k, line in enumerate(self.plan.bom) if k not in taken]
        return lines, spans

    # ------------------------------------------------------------ Assumptions
    def _assumptions_sheet(self) -> None:
        ws, book = self.ws("Assumptions"), self.book
        cols = [
            _Col("Input sheet", width=12),
            _Col("Row id", width=22),
            _Col("Field", width=26),
            _Col("Value", width=16),
            _Col("Unit", width=14),
            _Col("Input row", width=9),
            _Col("Range low", width=12),
            _Col("Range high", width=12),
            _Col("Source", width=60),
            _Col("Confidence", width=11),
        ]
        _table_header(book, ws, cols)
        for i, a in enumerate(self.assumptions):
            r = FIRST + i
            book.value(ws, r, 1, a.sheet)
            book.value(ws, r, 2, a.row_id)
            book.value(ws, r, 3, a.key)
            cell = book.value(ws, r, A_VALUE, a.value)
            if isinstance(a.value, int | float) and not isinstance(a.value, bool):
                cell.number_format = "#,##0.########"
                cell.alignment = Alignment(horizontal="right")
            book.value(ws, r, 5, a.unit)
            book.value(ws, r, 6, a.input_row)
            rng = self.ranges.get(
                (
                    a.sheet,
                    a.key if a.sheet == "Site" else a.row_id,
                    "value" if a.sheet == "Site" else a.key,
                )
            )
            if rng is not None:
                book.value(ws, r, 7, rng.low, "#,##0.########")
                book.value(ws, r, 8, rng.high, "#,##0.########")
            source = a.source
            if rng is not None and getattr(rng, "source", None):
                source = f"{source}; range: {rng.source}" if source else f"range: {rng.source}"
            book.value(ws, r, 9, source)
            conf = book.value(ws, r, 10, a.confidence)
            if a.confidence == "low":
                conf.font = _WARN_FONT
        note = FIRST + len(self.assumptions) + 1
        _fit_widths(book, ws, cols, note - 1)
        _note(
            ws,
            note,
            "Cost formulas on BOM, Power, CashFlow and Pools refer to the Value column: change a "
            "value here and they recalculate. Counts (nodes, cards, switches, racks) are the "
            "optimiser's decisions and do not re-optimise; horizon_years fixes the CashFlow "
            "rows. Input row = row of the input workbook sheet.",
            len(cols),
        )

    # ------------------------------------------------------------ Pools
    def _pools_sheet(self) -> None:
        ws, book, cur = self.ws("Pools"), self.book, self.cur
        cols = [
            _Col("Workload", width=18),
            _Col("Kind", width=10),
            _Col("Chip id", width=14),
            _Col("Chip", width=34),
            _Col("Fabric", width=16),
            _Col("Cooling", width=11),
            _Col("Nodes", COUNT, 8),
            _Col("Cards", COUNT, 8),
            _Col("Replicas", COUNT, 9),
            _Col("Cards per replica", COUNT, 9),
            _Col("Capacity [tokens/s]", COUNT, 13),
            _Col("Target [tokens/s]", COUNT, 13),
            _Col("Target / capacity (binding resource) [%]", PERCENT, 13),
            _Col(f"Capex [{cur}]", MONEY, 14),
            _Col(f"Migration share [{cur}]", MONEY, 13),
            _Col(f"Energy [{cur}/yr]", MONEY, 13),
            _Col(f"Maintenance [{cur}/yr]", MONEY, 13),
            _Col(f"Opex, present value [{cur}]", MONEY, 14),
            _Col(f"TCO [{cur}]", MONEY, 14),
            _Col(f"Levelized cost per million tokens [{cur}/Mtok]", PER_MTOK, 14),
        ]
        _table_header(book, ws, cols)
        price = self.site_ref("electricity_price_per_kwh")
        util = self.site_ref("utilization")
        hours = self.a_ref("Constant", "", "hours_per_year")
        seconds = self.a_ref("Constant", "", "seconds_per_year")
        rate = self.site_ref("maintenance_rate")
        annuity = ref("CashFlow", self.annuity_row, C_FACTOR)
        for i, p in enumerate(self.pools):
            r = FIRST + i
            chip = self.inputs.chips[p.chip]
            for c, text in enumerate((p.workload, p.kind, p.chip, chip.name, p.fabric, p.cooling)):
                book.value(ws, r, c + 1, text)
            book.value(ws, r, P_NODES, p.nodes, COUNT)
            book.value(ws, r, P_CARDS, p.cards, COUNT)
            book.value(ws, r, 9, p.replicas, COUNT)
            book.value(ws, r, 10, p.replica_cards, COUNT)
            book.value(ws, r, P_CAPACITY, p.throughput_tokens_per_s, COUNT)
            book.value(ws, r, P_TARGET, p.target_tokens_per_s, COUNT)
            if p.throughput_tokens_per_s > 0:
                book.formula(
                    ws,
                    r,
                    13,
                    f"={ref('', r, P_TARGET, False)}/{ref('', r, P_CAPACITY, False)}",
                    p.target_utilisation,
                    PERCENT,
                )
            span = self.pool_bom_rows[i]
            if span is None:
                book.value(ws, r, P_CAPEX, p.capex, MONEY)
                book.value(ws, r, P_MAINT, p.maintenance_per_year, MONEY)
            else:
                extended = col_range("BOM", B_EXTENDED, *span)
                category = col_range("BOM", B_CATEGORY, *span)
                book.formula(ws, r, P_CAPEX, f"=SUM({extended})", p.capex, MONEY)
                hardware = "+".join(
                    f'SUMIF({category},"{c}",{extended})' for c in HARDWARE_CATEGORIES
                )
                book.formula(ws, r, P_MAINT, f"={rate}*({hardware})", p.maintenance_per_year, MONEY)
            self._migration_share(ws, i, r, p)
            it_kw, pue = ref("Power", r, W_IT_KW), ref("Power", r, W_PUE)
            book.formula(
                ws,
                r,
                P_ENERGY,
                f"={it_kw}*{pue}*{util}*{hours}*{price}",
                p.energy_per_year,
                MONEY,
            )
            opex = ref("", r, P_ENERGY, False) + "+" + ref("", r, P_MAINT, False)
            book.formula(
                ws,
                r,
                P_OPEX_PV,
                f"={annuity}*({opex})",
                p.tco - p.capex - p.migration_share,
                MONEY,
            )
            parts = "+".join(ref("", r, c, False) for c in (P_CAPEX, P_MIGRATION, P_OPEX_PV))
            book.formula(ws, r, P_TCO, f"={parts}", p.tco, MONEY)
            if p.target_tokens_per_s > 0:
                book.formula(
                    ws,
                    r,
                    P_PER_MTOK,
                    f"={ref('', r, P_TCO, False)}/({ref('', r, P_TARGET, False)}*{seconds}"
                    f"*{annuity}/1000000)",
                    p.cost_per_million_tokens,
                    PER_MTOK,
                )
        t = self.total_row
        book.value(ws, t, 1, "Total")
        sums = {
            P_NODES: (sum(p.nodes for p in self.pools), COUNT),
            P_CARDS: (self.plan.cards, COUNT),
            P_CAPEX: (self.plan.capex - self.plan.migration, MONEY),
            P_MIGRATION: (sum(p.migration_share for p in self.pools), MONEY),
            P_ENERGY: (self.plan.energy_per_year, MONEY),
            P_MAINT: (self.plan.maintenance_per_year, MONEY),
            P_OPEX_PV: (sum(p.tco - p.capex - p.migration_share for p in self.pools), MONEY),
            P_TCO: (sum(p.tco for p in self.pools), MONEY),
        }
        for c, (value, fmt) in sums.items():
            self._sum(ws, t, c, value, fmt)
        _total_row(ws, t, len(cols))
        _fit_widths(self.book, ws, cols, t)

    def _sum(self, ws: Worksheet, row: int, col: int, value: float, fmt: str) -> None:
        if self.n:
            letter = get_column_letter(col)
            self.book.formula(ws, row, col, f"=SUM({letter}{FIRST}:{letter}{row - 1})", value, fmt)

    def _migration_share(self, ws: Worksheet, i: int, r: int, p: PoolPlan) -> None:
        """Migration of a stack split over its pools by cards, as in `tco.plan.extract`."""
        chips = self.inputs.chips
        stack = chips[p.chip].software_stack
        line_row = None
        for k, (pool, line) in enumerate(self.bom):
            if (
                pool is None
                and line.category == "migration"
                and line.source_sheet == "Chips"
                and line.source_id in chips
                and chips[line.source_id].software_stack == stack
            ):
                line_row = FIRST + k
        users = [j for j, q in enumerate(self.pools) if chips[q.chip].software_stack == stack]
        if line_row is None:
            self.book.value(ws, r, P_MIGRATION, p.migration_share, MONEY)
            return
        cost = ref("BOM", line_row, B_EXTENDED)
        if sum(self.pools[j].cards for j in users) > 0:
            cards = "+".join(ref("", FIRST + j, P_CARDS, False) for j in users)
            text = f"={cost}*{ref('', r, P_CARDS, False)}/({cards})"
        else:
            text = f"={cost}/{len(users)}"
        self.book.formula(ws, r, P_MIGRATION, text, p.migration_share, MONEY)

    # ------------------------------------------------------------ Network
    def _network_sheet(self) -> None:
        ws, book = self.ws("Network"), self.book
        cols = [
            _Col("Workload", width=18),
            _Col("Fabric", width=18),
            _Col("Technology", width=12),
            _Col("Port [Gbit/s]", COUNT, 9),
            _Col("Leaf over-subscription [down:up]", "0.00", 12),
            _Col("Tiers", COUNT, 6),
            _Col("Endpoints [NIC ports]", COUNT, 10),
            _Col("Leaf switches", COUNT, 9),
            _Col("Spine switches", COUNT, 9),
            _Col("Core switches", COUNT, 9),
            _Col("Switches", COUNT, 9),
            _Col("NICs", COUNT, 9),
            _Col("Links", COUNT, 9),
            _Col("Optics [transceivers]", COUNT, 11),
            _Col("Cables", COUNT, 9),
            _Col("Bisection bandwidth [Tbit/s]", "#,##0.00", 12),
        ]
        _table_header(book, ws, cols)
        for i, p in enumerate(self.pools):
            r = FIRST + i
            fabric = self.inputs.fabrics[p.fabric]
            book.value(ws, r, 1, p.workload)
            book.value(ws, r, 2, p.fabric)
            book.value(ws, r, 3, fabric.technology)
            self._assumed(ws, r, N_PORT, "Fabrics", p.fabric, "port_gbps", COUNT)
            self._assumed(ws, r, N_OVERSUB, "Fabrics", p.fabric, "oversubscription", "0.00")
            book.value(ws, r, N_TIERS, p.network.tiers, COUNT)
            book.value(ws, r, N_ENDPOINTS, p.network.endpoints, COUNT)
            for c, count in zip((N_LEAF, N_SPINE, N_CORE), p.switches_bought, strict=True):
                book.value(ws, r, c, count, COUNT)
            tiers = f"{ref('', r, N_LEAF, False)}:{ref('', r, N_CORE, False)}"
            book.formula(ws, r, N_SWITCHES, f"=SUM({tiers})", sum(p.switches_bought), COUNT)
            book.value(ws, r, N_NICS, p.nics, COUNT)
            book.value(ws, r, N_LINKS, p.links_bought, COUNT)
            links = ref("", r, N_LINKS, False)
            book.formula(ws, r, N_OPTICS, f"=2*{links}", 2 * p.links_bought, COUNT)
            book.formula(ws, r, N_CABLES, f"={links}", p.links_bought, COUNT)
            e, port = ref("", r, N_ENDPOINTS, False), ref("", r, N_PORT, False)
            o, tiers = ref("", r, N_OVERSUB, False), ref("", r, N_TIERS, False)
            oversub = 1.0 if p.network.tiers <= 1 else float(fabric.oversubscription)
            bisection = p.network.endpoints * float(fabric.port_gbps) / (2 * oversub) / 1000
            book.formula(
                ws,
                r,
                16,
                f"=IF({tiers}<=1,{e}*{port}/2,{e}*{port}/(2*{o}))/1000",
                bisection,
                "#,##0.00",
            )
        t = self.total_row
        book.value(ws, t, 1, "Total")
        totals = {
            N_ENDPOINTS: sum(p.network.endpoints for p in self.pools),
            N_LEAF: sum(p.switches_bought[0] for p in self.pools),
            N_SPINE: sum(p.switches_bought[1] for p in self.pools),
            N_CORE: sum(p.switches_bought[2] for p in self.pools),
            N_SWITCHES: sum(sum(p.switches_bought) for p in self.pools),
            N_NICS: sum(p.nics for p in self.pools),
            N_LINKS: sum(p.links_bought for p in self.pools),
            N_OPTICS: sum(2 * p.links_bought for p in self.pools),
            N_CABLES: sum(p.links_bought for p in self.pools),
        }
        for c, value in totals.items():
            self._sum(ws, t, c, value, COUNT)
        _total_row(ws, t, len(cols))
        _fit_widths(self.book, ws, cols, t)
        _note(
            ws,
            t + 2,
            "Switch and link counts are what the plan buys (at least the minimum folded Clos). "
            "Bisection = endpoints x port speed / 2, divided by the leaf over-subscription "
            "for 2-3 tiers. Every link is one cable and two optics.",
            len(cols),
        )

    def _assumed(
        self, ws: Worksheet, r: int, c: int, sheet: str, row_id: str, key: str, fmt: str
    ) -> None:
        """A cell that shows an input value: a reference to Assumptions."""
        row = getattr(
            {"Chips": self.inputs.chips, "Fabrics": self.inputs.fabrics}.get(
                sheet, self.inputs.coolings
            )[row_id],
            key,
        )
        target = self.a_ref(sheet, row_id, key)
        if target is None or not isinstance(row, int | float):
            self.book.value(ws, r, c, row, fmt)
        else:
            self.book.formula(ws, r, c, f"={target}", float(row), fmt)

    # ------------------------------------------------------------ Power
    def _power_sheet(self) -> None:
        ws, book = self.ws("Power"), self.book
        cols = [
            _Col("Workload", width=18),
            _Col("Chip", width=14),
            _Col("Cooling", width=11),
            _Col("Cards", COUNT, 8),
            _Col("Nodes", COUNT, 8),
            _Col("Node [kW]", KW, 8),
            _Col("IT [kW]", KW, 10),
            _Col("PUE", "0.00", 6),
            _Col("Facility [kW]", KW, 10),
            _Col("Racks", COUNT, 7),
            _Col("Nodes per rack", COUNT, 8),
            _Col("Peak rack [kW]", KW, 8),
            _Col("Rack limit of the cooling [kW]", KW, 10),
            _Col("Average rack [kW]", KW, 9),
            _Col("Energy [MWh/yr]", COUNT, 11),
        ]
        _table_header(book, ws, cols)
        util = self.site_ref("utilization")
        hours = self.a_ref("Constant", "", "hours_per_year")
        utilization = float(self.inputs.site.utilization)
        for i, p in enumerate(self.pools):
            r = FIRST + i
            book.value(ws, r, 1, p.workload)
            book.value(ws, r, 2, p.chip)
            book.value(ws, r, 3, p.cooling)
            book.formula(ws, r, W_CARDS, f"={ref('Pools', r, P_CARDS)}", p.cards, COUNT)
            book.formula(ws, r, W_NODES, f"={ref('Pools', r, P_NODES)}", p.nodes, COUNT)
            book.value(ws, r, W_NODE_KW, p.node_kw, KW)
            self._it_kw(ws, r, p)
            self._assumed(ws, r, W_PUE, "Cooling", p.cooling, "pue", "0.00")
            it_kw, pue = ref("", r, W_IT_KW, False), ref("", r, W_PUE, False)
            book.formula(ws, r, W_FACILITY_KW, f"={it_kw}*{pue}", p.facility_kw, KW)
            book.value(ws, r, W_RACKS, p.racks, COUNT)
            book.value(ws, r, 11, p.nodes_per_rack, COUNT)
            node_kw, per_rack = ref("", r, W_NODE_KW, False), ref("", r, 11, False)
            book.formula(ws, r, 12, f"={node_kw}*{per_rack}", p.node_kw * p.nodes_per_rack, KW)
            self._assumed(ws, r, 13, "Cooling", p.cooling, "max_rack_kw", KW)
            if p.racks > 0:
                racks = ref("", r, W_RACKS, False)
                book.formula(ws, r, 14, f"={it_kw}/{racks}", p.it_kw / p.racks, KW)
            book.formula(
                ws,
                r,
                15,
                f"={it_kw}*{pue}*{util}*{hours}/1000",
                p.facility_kw * utilization * HOURS_PER_YEAR / 1000,
                COUNT,
            )
        t = self.total_row
        book.value(ws, t, 1, "Total")
        self._sum(ws, t, W_CARDS, self.plan.cards, COUNT)
        self._sum(ws, t, W_NODES, sum(p.nodes for p in self.pools), COUNT)
        self._sum(ws, t, W_IT_KW, self.plan.it_kw, KW)
        self._sum(ws, t, W_FACILITY_KW, self.plan.facility_kw, KW)
        self._sum(ws, t, W_RACKS, self.plan.racks, COUNT)
        self._sum(ws, t, 15, self.plan.facility_kw * utilization * HOURS_PER_YEAR / 1000, COUNT)
        if self.plan.it_kw > 0:
            book.formula(
                ws,
                t,
                W_PUE,
                f"={ref('', t, W_FACILITY_KW, False)}/{ref('', t, W_IT_KW, False)}",
                self.plan.facility_kw / self.plan.it_kw,
                "0.00",
            )
        _total_row(ws, t, len(cols))
        _fit_widths(self.book, ws, cols, t)
        _note(
            ws,
            t + 2,
            "IT kW = (cards x tdp_w + nodes x node_power_w + NICs x nic_power_w + switches x "
            "switch_power_w) / 1000 at peak; facility kW = IT kW x PUE; energy = facility kW x "
            "utilization x 8,760 h. Peak rack kW (nodes per rack x node kW) must stay within "
            "the cooling's rack limit.",
            len(cols),
        )

    def _it_kw(self, ws: Worksheet, r: int, p: PoolPlan) -> None:
        refs = [
            self.a_ref("Chips", p.chip, "tdp_w"),
            self.a_ref("Chips", p.chip, "node_power_w"),
            self.a_ref("Fabrics", p.fabric, "nic_power_w"),
            self.a_ref("Fabrics", p.fabric, "switch_power_w"),
        ]
        if any(x is None for x in refs):
            self.book.value(ws, r, W_IT_KW, p.it_kw, KW)
            return
        tdp, node_w, nic_w, switch_w = refs
        text = (
            f"=({ref('', r, W_CARDS, False)}*{tdp}+{ref('', r, W_NODES, False)}*{node_w}"
            f"+{ref('Network', r, N_NICS)}*{nic_w}+{ref('Network', r, N_SWITCHES)}*{switch_w})"
            "/1000"
        )
        self.book.formula(ws, r, W_IT_KW, text, p.it_kw, KW)

    # ------------------------------------------------------------ BOM
    def _bom_sheet(self) -> None:
        ws, book, cur = self.ws("BOM"), self.book, self.cur
        cols = [
            _Col("Pool", width=16),
            _Col("Item", width=44),
            _Col("Category", width=10),
            _Col("Quantity", None, 10),
            _Col("Unit", width=11),
            _Col(f"Unit price [{cur}]", MONEY_CENTS, 13),
            _Col(f"Extended price [{cur}]", MONEY, 15),
            _Col("Source sheet", width=10),
            _Col("Source id", width=18),
            _Col("Source row", width=8),
            _Col("Confidence", width=11),
        ]
        _table_header(book, ws, cols)
        for k, (pool, line) in enumerate(self.bom):
            r = FIRST + k
            book.value(ws, r, 1, line.pool)
            book.value(ws, r, 2, line.item)
            book.value(ws, r, B_CATEGORY, line.category)
            qty_fmt = COUNT if float(line.quantity).is_integer() else KW
            self._bom_quantity(ws, r, pool, line, qty_fmt)
            book.value(ws, r, 5, line.unit)
            self._bom_price(ws, r, line)
            qty, price = ref("", r, B_QTY, False), ref("", r, B_PRICE, False)
            book.formula(ws, r, B_EXTENDED, f"={qty}*{price}", line.extended, MONEY)
            book.value(ws, r, 8, line.source_sheet)
            book.value(ws, r, 9, line.source_id)
            book.value(ws, r, 10, line.source_row)
            conf = book.value(ws, r, 11, line.confidence)
            if line.confidence == "low":
                conf.font = _WARN_FONT
        t = self.bom_total_row
        book.value(ws, t, 2, "Total capex")
        if self.bom:
            extended = col_range("", B_EXTENDED, FIRST, t - 1)
            book.formula(ws, t, B_EXTENDED, f"=SUM({extended})", self.plan.capex, MONEY)
            category = col_range("", B_CATEGORY, FIRST, t - 1)
            for j, name in enumerate(("compute", "network", "facility", "migration")):
                self.bom_category_rows[name] = t + 1 + j
                value = math.fsum(line.extended for line in self.plan.bom if line.category == name)
                book.value(ws, t + 1 + j, 2, f"of which {name}")
                book.value(ws, t + 1 + j, B_CATEGORY, name)
                book.formula(
                    ws,
                    t + 1 + j,
                    B_EXTENDED,
                    f'=SUMIF({category},"{name}",{extended})',
                    value,
                    MONEY,
                )
        _total_row(ws, t, len(cols))
        _fit_widths(self.book, ws, cols, t)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(t - 1, 1)}"

    def _bom_quantity(
        self, ws: Worksheet, r: int, pool: int | None, line: BomLine, fmt: str
    ) -> None:
        """Refer to the count the quantity is (so counts live in one place), else a value."""
        target = None
        if pool is not None:
            row = FIRST + pool
            by_unit = {
                "card": ("Pools", P_CARDS),
                "node": ("Pools", P_NODES),
                "NIC": ("Network", N_NICS),
                "transceiver": ("Network", N_OPTICS),
                "cable": ("Network", N_CABLES),
                "rack": ("Power", W_RACKS),
                "kW IT": ("Power", W_IT_KW),
                "kW facility": ("Power", W_FACILITY_KW),
            }
            if line.unit == "switch":
                for suffix, col in (
                    (" leaf switch", N_LEAF),
                    (" spine switch", N_SPINE),
                    (" core switch", N_CORE),
                ):
                    if line.item.endswith(suffix):
                        target = ("Network", col)
            else:
                target = by_unit.get(line.unit)
            if target is not None:
                shown = self._shown(target[0], row, target[1])
                if shown is None or not _close(shown, float(line.quantity)):
                    target = None
        if target is None or pool is None:
            self.book.value(ws, r, B_QTY, float(line.quantity), fmt)
        else:
            source = ref(target[0], FIRST + pool, target[1])
            self.book.formula(ws, r, B_QTY, f"={source}", line.quantity, fmt)

    def _shown(self, sheet: str, row: int, col: int) -> float | None:
        """The number a cell shows: its value, or the engine value of its formula."""
        cell = self.ws(sheet).cell(row, col)
        if cell.data_type == "f":
            return self.book.cached[sheet].get(cell.coordinate)
        value = cell.value
        return float(value) if isinstance(value, int | float) else None

    def _bom_price(self, ws: Worksheet, r: int, line: BomLine) -> None:
        key = _PRICE_FIELD.get(line.unit)
        row_id = "" if line.source_sheet == "Site" else line.source_id
        target = self.a_ref(line.source_sheet, row_id, key) if key else None
        if target is not None and key is not None:
            a = self.assumptions[self.assumption_rows[(line.source_sheet, row_id, key)] - FIRST]
            if isinstance(a.value, int | float) and _close(float(a.value), line.unit_price):
                self.book.formula(ws, r, B_PRICE, f"={target}", line.unit_price, MONEY_CENTS)
                return
        self.book.value(ws, r, B_PRICE, line.unit_price, MONEY_CENTS)

    # ------------------------------------------------------------ CashFlow
    def _cashflow_sheet(self) -> None:
        ws, book, cur = self.ws("CashFlow"), self.book, self.cur
        cols = [
            _Col("Year", "0", 7),
            _Col(f"Capex [{cur}]", MONEY, 15),
            _Col(f"Energy [{cur}]", MONEY, 13),
            _Col(f"Maintenance [{cur}]", MONEY, 13),
            _Col(f"Total [{cur}]", MONEY, 15),
            _Col("Discount factor", FACTOR, 10),
            _Col(f"Discounted [{cur}]", MONEY, 15),
            _Col(f"Cumulative discounted [{cur}]", MONEY, 16),
        ]
        _table_header(book, ws, cols)
        price = self.site_ref("electricity_price_per_kwh")
        util = self.site_ref("utilization")
        hours = self.a_ref("Constant", "", "hours_per_year")
        rate = self.site_ref("maintenance_rate")
        discount = self.site_ref("discount_rate")
        last_pool = FIRST + self.n - 1
        it_kw = col_range("Power", W_IT_KW, FIRST, last_pool)
        pue = col_range("Power", W_PUE, FIRST, last_pool)
        bom_last = self.bom_total_row - 1
        extended = col_range("BOM", B_EXTENDED, FIRST, bom_last)
        category = col_range("BOM", B_CATEGORY, FIRST, bom_last)
        hardware = "+".join(f'SUMIF({category},"{c}",{extended})' for c in HARDWARE_CATEGORIES)
        for k, y in enumerate(self.plan.cash_flow):
            r = FIRST + k
            book.value(ws, r, C_YEAR, y.year, "0")
            if y.year == 0 and self.bom:
                total = ref("BOM", self.bom_total_row, B_EXTENDED)
                book.formula(ws, r, C_CAPEX, f"={total}", y.capex, MONEY)
            else:
                book.value(ws, r, C_CAPEX, y.capex, MONEY)
            if y.year > 0 and self.n:
                book.formula(
                    ws,
                    r,
                    C_ENERGY,
                    f"=SUMPRODUCT({it_kw},{pue})*{util}*{hours}*{price}",
                    y.energy,
                    MONEY,
                )
                book.formula(ws, r, C_MAINT, f"={rate}*({hardware})", y.maintenance, MONEY)
            else:
                book.value(ws, r, C_ENERGY, y.energy, MONEY)
                book.value(ws, r, C_MAINT, y.maintenance, MONEY)
            parts = f"{ref('', r, C_CAPEX, False)}:{ref('', r, C_MAINT, False)}"
            book.formula(ws, r, C_TOTAL, f"=SUM({parts})", y.total, MONEY)
            year = ref("", r, C_YEAR, False)
            book.formula(ws, r, C_FACTOR, f"=(1+{discount})^(-{year})", y.discount_factor, FACTOR)
            total, factor = ref("", r, C_TOTAL, False), ref("", r, C_FACTOR, False)
            book.formula(ws, r, C_DISCOUNTED, f"={total}*{factor}", y.discounted, MONEY)
            here = ref("", r, C_DISCOUNTED, False)
            text = f"={here}" if k == 0 else f"={ref('', r - 1, C_CUMULATIVE, False)}+{here}"
            book.formula(ws, r, C_CUMULATIVE, text, y.cumulative_discounted, MONEY)
        t = self.cf_total_row
        book.value(ws, t, C_YEAR, "Total")
        flows = self.plan.cash_flow
        for c, value in (
            (C_CAPEX, math.fsum(y.capex for y in flows)),
            (C_ENERGY, math.fsum(y.energy for y in flows)),
            (C_MAINT, math.fsum(y.maintenance for y in flows)),
            (C_TOTAL, self.plan.tco_nominal),
            (C_DISCOUNTED, self.plan.tco),
        ):
            letter = get_column_letter(c)
            book.formula(ws, t, c, f"=SUM({letter}{FIRST}:{letter}{t - 1})", value, MONEY)
        _total_row(ws, t, len(cols))
        _fit_widths(self.book, ws, cols, t)
        a = self.annuity_row
        book.value(ws, a, C_YEAR, "Annuity factor (sum of discount factors, years 1 to horizon)")
        letter = get_column_letter(C_FACTOR)
        book.formula(
            ws,
            a,
            C_FACTOR,
            f"=SUM({letter}{FIRST + 1}:{letter}{t - 1})",
            math.fsum(y.discount_factor for y in flows if y.year > 0),
            FACTOR,
        )
        _note(
            ws,
            a + 1,
            "Capex is paid in year 0, energy and maintenance at the end of years 1 to "
            "horizon; TCO = sum of the discounted column.",
            len(cols),
        )
        if self.years > 1:
            chart = LineChart()
            chart.title = "Cumulative discounted cash flow"
            chart.y_axis.title = cur
            chart.y_axis.number_format = MILLIONS
            chart.x_axis.title = "Year"
            data = Reference(ws, min_col=C_CUMULATIVE, min_row=1, max_row=t - 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=C_YEAR, min_row=FIRST, max_row=t - 1))
            chart.legend = None
            chart.height, chart.width = 8, 16
            _show_axes(chart)
            ws.add_chart(chart, f"A{a + 3}")

    # ------------------------------------------------------------ Alternatives
    def _alternatives_sheet(self) -> None:
        ws, book, cur = self.ws("Alternatives"), self.book, self.cur
        cols = [
            _Col("Forced", width=9),
            _Col("Id", width=20),
            _Col("Name", width=26),
            _Col("Status", width=11),
            _Col(f"TCO [{cur}]", MONEY, 15),
            _Col(f"Delta vs optimum [{cur}]", DELTA_MONEY, 14),
            _Col("Delta vs optimum [%]", DELTA_PERCENT, 10),
            _Col("In the plan", width=8),
            _Col("Why (binding reason when there is no plan)", width=80),
        ]
        _table_header(book, ws, cols)
        best = ref("", FIRST, 5)
        book.value(ws, FIRST, 1, "optimum")
        book.value(ws, FIRST, 2, "(this plan)")
        book.value(ws, FIRST, 4, self.plan.status)
        self.optimum_cell = ref("Alternatives", FIRST, 5)
        book.formula(ws, FIRST, 5, f"={self._tco_ref()}", self.plan.tco, MONEY)
        for c in range(1, len(cols) + 1):
            ws.cell(FIRST, c).font = _BOLD
        if not self.alternatives:
            book.value(
                ws,
                FIRST + 2,
                1,
                "Alternatives were not computed for this report (run tco optimize without "
                "--no-alternatives).",
            )
            return
        r = FIRST + 1
        for dimension in DIMENSIONS:
            alts = [a for a in self.alternatives if a.dimension == dimension]
            alts.sort(key=lambda a: (a.tco is None, a.tco if a.tco is not None else 0.0))
            rows = self.alt_rows.setdefault(dimension, [])
            for a in alts:
                book.value(ws, r, 1, a.dimension)
                book.value(ws, r, 2, a.forced_id)
                book.value(ws, r, 3, self._name(a))
                book.value(ws, r, 4, a.status)
                if a.tco is not None:
                    book.value(ws, r, 5, a.tco, MONEY)
                    here = ref("", r, 5, False)
                    delta = a.tco - self.plan.tco  # what the formula computes for this plan
                    book.formula(ws, r, 6, f"={here}-{best}", delta, DELTA_MONEY)
                    if self.plan.tco:
                        pct = delta / self.plan.tco
                        book.formula(
                            ws, r, 7, f"={ref('', r, 6, False)}/{best}", pct, DELTA_PERCENT
                        )
                book.value(ws, r, 8, "yes" if a.in_plan else "")
                cell = book.value(ws, r, 9, a.reason or "")
                cell.alignment = _WRAP
                if a.tco is None:
                    for c in range(1, len(cols) + 1):
                        ws.cell(r, c).font = Font(color="808080")
                rows.append((r, a))
                r += 1
        _fit_widths(book, ws, cols, r - 1)
        reason_width = ws.column_dimensions[get_column_letter(9)].width or 80
        for row, a in (x for rows in self.alt_rows.values() for x in rows):
            lines = math.ceil(len(a.reason) / (1.1 * reason_width)) if a.reason else 1
            ws.row_dimensions[row].height = 13 * max(1, lines) + 2
            for c in range(1, len(cols) + 1):
                ws.cell(row, c).alignment = Alignment(vertical="top", wrap_text=c == 9)
        chips = [(row, a) for row, a in self.alt_rows.get("chip", []) if a.tco is not None]
        if chips:
            chart = BarChart()
            chart.type = "bar"
            chart.title = "TCO by chip (best plan with the chip in every pool)"
            chart.x_axis.title = None
            chart.y_axis.title = cur
            chart.y_axis.number_format = MILLIONS
            data = Reference(ws, min_col=5, min_row=chips[0][0], max_row=chips[-1][0])
            chart.add_data(data, titles_from_data=False)
            chart.set_categories(
                Reference(ws, min_col=2, min_row=chips[0][0], max_row=chips[-1][0])
            )
            chart.x_axis.scaling.orientation = "maxMin"  # cheapest on top, as in the table
            chart.y_axis.crosses = "max"  # keeps the value axis at the bottom
            chart.legend = None
            chart.height = max(6.0, 0.8 * len(chips) + 3)
            chart.width = 18
            _show_axes(chart)
            ws.add_chart(chart, f"A{r + 2}")

    def _name(self, a: Alternative) -> str:
        if a.dimension == "chip" and a.forced_id in self.inputs.chips:
            return str(self.inputs.chips[a.forced_id].name)
        if a.dimension == "fabric" and a.forced_id in self.inputs.fabrics:
            return str(self.inputs.fabrics[a.forced_id].technology)
        if a.dimension == "cooling" and a.forced_id in self.inputs.coolings:
            return str(self.inputs.coolings[a.forced_id].technology)
        return ""

    def _tco_ref(self) -> str:
        return ref("CashFlow", self.cf_total_row, C_DISCOUNTED)

    # ------------------------------------------------------------ Summary
    def _summary_sheet(self) -> None:
        ws, book, plan, cur = self.ws("Summary"), self.book, self.plan, self.cur
        site = self.inputs.site
        ws.column_dimensions["A"].width = 46
        ws.column_dimensions["B"].width = 18
        ws.column_dimensions["C"].width = 16
        for letter in "DEFGH":
            ws.column_dimensions[letter].width = 12
        book.value(ws, 1, 1, "AI cluster procurement plan (minimum TCO)").font = _TITLE_FONT
        book.value(ws, 2, 1, f"Input: {self.inputs.source_name}").font = Font(italic=True)
        r = 4
        book.value(ws, r, 1, "Decision").font = _SECTION_FONT
        for p in self.pools:
            r += 1
            sentence = self._sentence(p)
            cell = book.value(ws, r, 1, sentence)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
            cell.alignment = _WRAP
            ws.row_dimensions[r].height = 15 * max(2, math.ceil(len(sentence) / 120))
        r += 2
        book.value(ws, r, 1, "Key figures").font = _SECTION_FONT
        book.value(ws, r, 2, "Value").font = _BOLD
        book.value(ws, r, 3, "Unit").font = _BOLD
        power = self.total_row
        kpis: list[tuple[str, str, str | None, float, str, str]] = [
            (
                "tco",
                f"TCO, discounted over {site.horizon_years} years",
                self._tco_ref(),
                plan.tco,
                MONEY,
                cur,
            ),
            (
                "tco_nominal",
                f"TCO, nominal (undiscounted) over {site.horizon_years} years",
                ref("CashFlow", self.cf_total_row, C_TOTAL),
                plan.tco_nominal,
                MONEY,
                cur,
            ),
            (
                "capex",
                "Capex (year 0, incl. software migration)",
                ref("BOM", self.bom_total_row, B_EXTENDED) if self.bom else None,
                plan.capex,
                MONEY,
                cur,
            ),
            (
                "migration",
                "of which software migration",
                ref("BOM", self.bom_category_rows["migration"], B_EXTENDED) if self.bom else None,
                plan.migration,
                MONEY,
                cur,
            ),
            (
                "opex",
                "Opex per year",
                None,
                plan.opex_per_year,
                MONEY,
                f"{cur}/yr",
            ),
            (
                "energy",
                "of which energy",
                ref("CashFlow", FIRST + 1, C_ENERGY) if self.years > 1 else None,
                plan.energy_per_year,
                MONEY,
                f"{cur}/yr",
            ),
            (
                "maintenance",
                "of which maintenance",
                ref("CashFlow", FIRST + 1, C_MAINT) if self.years > 1 else None,
                plan.maintenance_per_year,
                MONEY,
                f"{cur}/yr",
            ),
        ]
        for p in self.pools:
            kpis.append(
                (
                    f"per_mtok:{p.workload}",
                    f"Cost per million tokens, {p.workload}",
                    ref("Pools", FIRST + self.pools.index(p), P_PER_MTOK),
                    p.cost_per_million_tokens,
                    PER_MTOK,
                    f"{cur}/Mtok",
                )
            )
        kpis += [
            (
                "it_mw",
                "IT power (peak)",
                ref("Power", power, W_IT_KW) if self.n else None,
                plan.it_kw / 1000,
                "#,##0.000",
                "MW",
            ),
            (
                "facility_mw",
                "Facility power (IT x PUE)",
                ref("Power", power, W_FACILITY_KW) if self.n else None,
                plan.facility_kw / 1000,
                "#,##0.000",
                "MW",
            ),
            (
                "racks",
                "Racks",
                ref("Power", power, W_RACKS) if self.n else None,
                plan.racks,
                COUNT,
                "racks",
            ),
            (
                "cards",
                "Accelerator cards",
                ref("Pools", power, P_CARDS) if self.n else None,
                plan.cards,
                COUNT,
                "cards",
            ),
        ]
        for key, label, source, value, fmt, unit in kpis:
            r += 1
            self.summary_rows[key] = r
            book.value(ws, r, 1, label)
            book.value(ws, r, 3, unit)
            if key == "opex":
                continue  # energy + maintenance, both on later rows
            if source is None:
                book.value(ws, r, 2, value, fmt)
            elif key in ("it_mw", "facility_mw"):
                book.formula(ws, r, 2, f"={source}/1000", value, fmt)
            else:
                book.formula(ws, r, 2, f"={source}", value, fmt)
        opex = self.summary_rows["opex"]
        e, m = self.summary_rows["energy"], self.summary_rows["maintenance"]
        book.formula(
            ws,
            opex,
            2,
            f"={ref('', e, 2, False)}+{ref('', m, 2, False)}",
            plan.opex_per_year,
            MONEY,
        )
        ws.cell(self.summary_rows["tco"], 1).font = _BOLD
        ws.cell(self.summary_rows["tco"], 2).font = _BOLD
        r += 1
        book.value(ws, r, 1, "Domestic cards")
        share = plan.domestic_cards / plan.cards if plan.cards else 0.0
        book.value(ws, r, 2, plan.domestic_cards, COUNT)
        book.value(ws, r, 3, f"cards ({share:.0%})")
        r += 2
        book.value(ws, r, 1, "Runner-up per choice").font = _SECTION_FONT
        book.value(ws, r, 2, f"Delta [{cur}]").font = _BOLD
        book.value(ws, r, 3, "Delta [%]").font = _BOLD
        r = self._runners_up(ws, r)
        r += 2
        book.value(ws, r, 1, "Solver").font = _SECTION_FONT
        gap = plan.mip_gap
        solver: tuple[tuple[str, Any, str | None], ...] = (
            ("Status", plan.status, None),
            ("MIP gap (relative)", gap if gap is not None else "n/a", "0.00%"),
            ("Solve time [s]", plan.solve_seconds, "0.0"),
        )
        for label, shown, shown_fmt in solver:
            r += 1
            book.value(ws, r, 1, label)
            cell = book.value(ws, r, 2, shown, shown_fmt)
            if label == "Status" and shown != "optimal":
                cell.font = _WARN_FONT
        r += 2
        book.value(ws, r, 1, "Warnings").font = _SECTION_FONT
        for text in plan.warnings or ("none",):
            r += 1
            cell = book.value(ws, r, 1, text)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
            cell.alignment = _WRAP
            cell.font = _WARN_FONT if plan.warnings else Font()
            ws.row_dimensions[r].height = 15 * max(1, math.ceil(len(text) / 120))
        r += 2
        note = book.value(
            ws,
            r,
            1,
            "Cost cells are live formulas over BOM, Power, CashFlow and Assumptions: change a "
            "unit price or an assumption and the totals recalculate. The counts are the "
            "optimiser's decisions and do not re-optimise; re-run tco optimize for that.",
        )
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
        note.alignment = _WRAP
        note.font = Font(italic=True)
        ws.row_dimensions[r].height = 30
        self._capex_opex_chart(ws, r + 2)

    def _runners_up(self, ws: Worksheet, r: int) -> int:
        rows = self.alt_rows
        chosen = {d: {getattr(p, d) for p in self.pools} for d in DIMENSIONS}
        for dimension in DIMENSIONS:
            rivals = [
                (row, a)
                for row, a in rows.get(dimension, [])
                if a.tco is not None and a.forced_id not in chosen[dimension]
            ]
            r += 1
            if not rivals:
                self.book.value(ws, r, 1, f"{dimension}: no other {dimension} gives a plan")
                continue
            row, a = rivals[0]
            self.book.value(ws, r, 1, f"{dimension}: {a.forced_id} everywhere")
            self.book.formula(
                ws,
                r,
                2,
                f"={ref('Alternatives', row, 6)}",
                self._shown("Alternatives", row, 6) or 0.0,
                DELTA_MONEY,
            )
            self.book.formula(
                ws,
                r,
                3,
                f"={ref('Alternatives', row, 7)}",
                self._shown("Alternatives", row, 7) or 0.0,
                DELTA_PERCENT,
            )
        return r

    def _sentence(self, p: PoolPlan) -> str:
        inputs, cur = self.inputs, self.cur
        chip = inputs.chips[p.chip]
        fabric = inputs.fabrics[p.fabric]
        cooling = inputs.coolings[p.cooling]
        serve = ""
        if p.replicas is not None:
            serve = f" as {p.replicas:,} replicas of {p.replica_cards} cards"
        return (
            f"{p.workload} ({p.kind}): {p.cards:,} x {chip.name} ({p.chip}) in {p.nodes:,} "
            f"nodes{serve}, on {p.fabric} ({fabric.technology}, {p.network.tiers}-tier, "
            f"{sum(p.switches_bought):,} switches), {p.cooling} cooling "
            f"({cooling.technology}, PUE {cooling.pue:g}) in {p.racks:,} racks; "
            f"{p.throughput_tokens_per_s:,.0f} tokens/s for a target of "
            f"{p.target_tokens_per_s:,.0f} ({p.target_utilisation:.0%} used); "
            f"TCO {p.tco:,.0f} {cur}, {p.cost_per_million_tokens:,.4f} {cur} per million tokens."
        )

    def _capex_opex_chart(self, ws: Worksheet, row: int) -> None:
        if not self.n:
            return
        pools = self.ws("Pools")
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "Capex vs opex (present value) per pool"
        chart.y_axis.title = self.cur
        chart.y_axis.number_format = MILLIONS
        for col in (P_CAPEX, P_MIGRATION, P_OPEX_PV):
            chart.add_data(
                Reference(pools, min_col=col, min_row=1, max_row=FIRST + self.n - 1),
                titles_from_data=True,
            )
        chart.set_categories(Reference(pools, min_col=1, min_row=FIRST, max_row=FIRST + self.n - 1))
        chart.height, chart.width = 8, 16
        _show_axes(chart)
        ws.add_chart(chart, f"A{row}")


def _show_axes(chart: BarChart | LineChart) -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


# --------------------------------------------------------------------------- cached values

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
#: A formula cell as openpyxl writes it: `<c r="B5" s="3"><f>...</f><v />`.
_FORMULA_CELL = re.compile(
    r'<c r="(?P<r>[A-Z]{1,3}[0-9]+)"(?P<attrs>(?: s="[0-9]+")?)><f>(?P<f>[^<]*)</f><v ?/>'
)


def _sheet_paths(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet title -> zip member, from workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
    }
    out = {}
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets[sheet.get(f"{{{_REL_NS}}}id")]
        out[sheet.get("name", "")] = (
            target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        )
    return out


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot cache a non-finite value {value}")
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _insert_cached_values(xlsx: bytes, cached: dict[str, dict[str, float]]) -> bytes:
    """Fill each formula cell's empty `<v/>` with its engine value.

    Every formula cell must be matched exactly once and every registered value
    used, else this raises: a report is never written half-cached.
    """
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin:
        infos = zin.infolist()
        parts = {info.filename: zin.read(info) for info in infos}
    paths = _sheet_paths(parts)
    for title, values in cached.items():
        if values:
            member = paths[title]
            parts[member] = _cache_sheet(title, parts[member].decode("utf-8"), values)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            zout.writestr(info, parts[info.filename])
    return out.getvalue()


def _cache_sheet(title: str, xml: str, values: dict[str, float]) -> bytes:
    seen: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        coord = match.group("r")
        if coord not in values:
            raise ValueError(f"{title}!{coord}: formula without an engine value")
        seen.add(coord)
        return (
            f'<c r="{coord}"{match.group("attrs")}><f>{match.group("f")}</f>'
            f"<v>{_number(values[coord])}</v>"
        )

    xml, count = _FORMULA_CELL.subn(fill, xml)
    if count != len(values) or seen != set(values) or xml.count("<f>") != count:
        missing = sorted(set(values) - seen)[:5]
        raise ValueError(f"{title}: could not cache every formula value (missing {missing})")
    ElementTree.fromstring(xml)  # still well-formed
    return xml.encode("utf-8")
