"""The comparison workbook: the KPIs side by side, the differences in words, charts.

Sheets:
- `Compare`: one column per plan (`tco.compare.figures` rows), then one
  column per later plan with its relative difference to the first as a live
  formula (=D5/C5-1); "Capex without migration" and "Opex, present value" are
  formulas over the rows above, so the sheet stays consistent when a figure
  is edited (for a fleet plan, bought in tranches, the discounted opex is the
  sum of its years' discounted opex, written as a value). Under the table, the
  differences (`tco.compare.sentences`) and two charts: the TCO split per plan and
  the cost per million tokens of each workload per plan.
- `Pools`: one row per plan and pool: what each workload runs on, what it
  delivers and costs, and the per-card figures of its chip.

Written with the report's `Book` (text is never a formula or a link; formulas
only from cell references) and replaced atomically (`tco.io.atomic`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from tco.compare.entry import Entry
from tco.compare.figures import FIGURES, Figure, workload_figures, workloads
from tco.compare.sentences import differences
from tco.costs.formula import Formula
from tco.io.atomic import write_atomically
from tco.report.book import Book, Sheet
from tco.report.cells import COUNT, DELTA_PERCENT, MILLIONS, MONEY, PER_MTOK, Column, Table

COMPARE_SHEET, POOLS_SHEET = "Compare", "Pools"
SHEETS = (COMPARE_SHEET, POOLS_SHEET)

#: Rows of the Compare sheet: title, note, blank, then the header of the KPI table.
_HEADER_ROW = 3
_LABEL, _UNIT, _FIRST_VALUE = 0, 1, 2

POOLS = Table(
    POOLS_SHEET,
    (
        Column("plan", "Plan", width=22),
        Column("workload", "Workload", width=18),
        Column("kind", "Kind", width=10),
        Column("chip", "Chip id", width=16),
        Column("chip_name", "Chip", width=30),
        Column("origin", "Origin", width=9),
        Column("fabric", "Fabric", width=18),
        Column("cooling", "Cooling", width=11),
        Column("nodes", "Nodes", COUNT, 8),
        Column("cards", "Cards", COUNT, 8),
        Column("capacity", "Capacity [tokens/s]", COUNT, 13),
        Column("target", "Target [tokens/s]", COUNT, 13),
        Column("per_card", "Target tokens/s per card", COUNT, 11),
        Column("tco", "Pool TCO [{cur}]", MONEY, 14),
        Column("per_mtok", "Cost per million tokens [{cur}/Mtok]", PER_MTOK, 13),
        Column("memory_gb", "Memory per card [GB]", COUNT, 9),
        Column("memory_bw", "Memory bandwidth per card [GB/s]", COUNT, 11),
        Column("scaleup", "Scale-up bandwidth per card [GB/s]", COUNT, 11),
    ),
)


def write_comparison(path: Path, entries: Sequence[Entry]) -> None:
    """Build the workbook in memory, then replace `path` atomically."""
    data = comparison_bytes(entries)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    write_atomically(path, write)


def comparison_bytes(entries: Sequence[Entry]) -> bytes:
    currency = next((e.currency for e in entries if e.currency), "")
    book = Book(SHEETS)
    rows = _compare(book.sheets[COMPARE_SHEET], entries, currency)
    _pools(book.sheets[POOLS_SHEET], entries, currency)
    _charts(book.sheets[COMPARE_SHEET], entries, currency, rows)
    return book.close()


def _cell(row: int, col: int) -> Formula:
    return Formula(xl_rowcol_to_cell(row, col))


def _compare(sheet: Sheet, entries: Sequence[Entry], currency: str) -> dict[str, int]:
    """The KPI table and the differences; the row of each figure by key."""
    n = len(entries)
    widths = [44, 11] + [18] * n + [13] * (n - 1)
    sheet.fixed_columns(Table(COMPARE_SHEET, ()), widths)
    sheet.landscape = True
    last_col = len(widths) - 1
    sheet.put(0, _LABEL, f"Comparison of {n} plans", styles=("title",))
    sheet.paragraph(
        1,
        "One column per file: an input workbook solved by tco compare (the minimum-TCO plan, "
        "without the forced alternatives of tco optimize) or a tco report read back. "
        f"Money in {currency}. The 'vs' columns are each plan's relative difference to the "
        "first; costs per million tokens are levelized (discounted cost over discounted "
        "tokens at the target rate); per-card figures are averaged over the plan's cards.",
        last_col,
        ("note",),
    )
    header = ("Key figure", "Unit", *(e.name for e in entries))
    header += tuple(f"{e.name} vs {entries[0].name}" for e in entries[1:])
    for c, text in enumerate(header):
        sheet.put(_HEADER_ROW, c, text, styles=("header",))
    sheet.ws.set_row(_HEADER_ROW, 46)  # three lines: long file names and "A vs B" wrap
    sheet.ws.freeze_panes(_HEADER_ROW + 1, _FIRST_VALUE)
    figures = (*FIGURES, *workload_figures(workloads(entries)))
    rows: dict[str, int] = {}
    r = _HEADER_ROW
    for figure in figures:
        r += 1
        rows[figure.key] = r
        _figure_row(sheet, r, figure, entries, currency, rows)
    r += 2
    sheet.put(r, _LABEL, "Differences", styles=("section",))
    for line in differences(entries):
        r += 1
        sheet.paragraph(r, line, last_col)
    rows["_end"] = r
    return rows


def _figure_row(
    sheet: Sheet,
    r: int,
    figure: Figure,
    entries: Sequence[Entry],
    currency: str,
    rows: dict[str, int],
) -> None:
    # Top-aligned, as the wrapped text of the rows naming chips is.
    bold = ("bold", "top") if figure.key == "tco" else ("top",)
    sheet.put(r, _LABEL, figure.label, styles=bold)
    sheet.put(r, _UNIT, figure.unit.replace("{cur}", currency), styles=("top",))
    values = [figure.value(e) for e in entries]
    for i, value in enumerate(values):
        c = _FIRST_VALUE + i
        # A fleet plan's figures are not related by the single-purchase identity (its
        # capex is paid over years): its value is written as it is.
        if figure.formula is not None and value is not None and not entries[i].is_fleet:
            left, right = (_cell(rows[key], c) for key in figure.formula)
            sheet.formula(r, c, left - right, float(value), figure.fmt, styles=bold)
        elif figure.fmt is None:
            sheet.wrapped(r, c, "" if value is None else str(value))
        else:
            sheet.put(r, c, value, figure.fmt, styles=bold)
    if not figure.relative or figure.fmt is None:
        return
    first = values[0]
    for i, value in enumerate(values[1:], start=1):
        if first is None or value is None or float(first) == 0:
            continue
        ratio = _cell(r, _FIRST_VALUE + i) / _cell(r, _FIRST_VALUE) - 1
        sheet.formula(
            r,
            _FIRST_VALUE + len(entries) - 1 + i,
            ratio,
            float(value) / float(first) - 1,
            DELTA_PERCENT,
        )


def _pools(sheet: Sheet, entries: Sequence[Entry], currency: str) -> None:
    sheet.header(POOLS, currency)
    r = 0
    for e in entries:
        for p in e.pools:
            r += 1
            chip = e.chips.get(p["chip"])
            cards, target = int(p["cards"]), float(p["target_tokens_per_s"] or 0.0)
            values: dict[str, Any] = {
                "plan": e.name,
                "workload": p["workload"],
                "kind": p.get("kind"),
                "chip": p["chip"],
                "chip_name": chip.name if chip else None,
                "origin": chip.origin if chip else None,
                "fabric": p["fabric"],
                "cooling": p["cooling"],
                "nodes": p["nodes"],
                "cards": cards,
                "capacity": p["throughput_tokens_per_s"],
                "target": target,
                "tco": p.get("tco"),
                "per_mtok": p.get("cost_per_million_tokens"),
                "memory_gb": chip.memory_gb if chip else None,
                "memory_bw": chip.memory_bw_gbs if chip else None,
                "scaleup": chip.scaleup_bw_gbs if chip else None,
            }
            for key, value in values.items():
                sheet.put(r, key, value)
            if cards > 0:
                per_card = POOLS.local("target", r) / POOLS.local("cards", r)
                sheet.formula(r, "per_card", per_card, target / cards)


def _charts(sheet: Sheet, entries: Sequence[Entry], currency: str, rows: dict[str, int]) -> None:
    """TCO split per plan (stacked) and cost per million tokens per workload."""
    planned = [i for i, e in enumerate(entries) if e.has_plan]
    if not planned:
        return
    first, last = _FIRST_VALUE, _FIRST_VALUE + len(entries) - 1
    categories = [COMPARE_SHEET, _HEADER_ROW, first, _HEADER_ROW, last]
    split = sheet.book.chart({"type": "column", "subtype": "stacked"}, "TCO split per plan")
    for key in ("capex_hardware", "migration", "opex_pv"):
        r = rows[key]
        split.add_series(
            {
                "name": [COMPARE_SHEET, r, _LABEL],
                "categories": categories,
                "values": [COMPARE_SHEET, r, first, r, last],
            }
        )
    split.set_y_axis({"name": currency, "num_format": MILLIONS})
    split.set_size({"width": 620, "height": 320})
    anchor = rows["_end"] + 2
    sheet.insert_chart(anchor, split)
    per_token = sheet.book.chart({"type": "column"}, "Cost per million tokens per workload")
    for w in workloads(entries):
        r = rows[f"per_mtok:{w}"]
        per_token.add_series(
            {
                # The label cell, not the workload id: a chart never takes user text as-is.
                "name": [COMPARE_SHEET, r, _LABEL],
                "categories": categories,
                "values": [COMPARE_SHEET, r, first, r, last],
            }
        )
    per_token.set_y_axis({"name": f"{currency}/Mtok", "num_format": "#,##0.00"})
    per_token.set_size({"width": 620, "height": 320})
    sheet.insert_chart(anchor + 17, per_token)
