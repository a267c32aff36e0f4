"""BOM: every line item with quantity, unit price, extended price and source row.

A pool line names its registry line by key: the quantity is that line's
units over the cells where the pool's counts are shown, the unit price its
price field's workbook name; nothing is matched on display text. The
extended price is units x unit price; the total and the category subtotals
are sums of the extended column.
"""

from __future__ import annotations

import math
from itertools import groupby

from tco.costs import registry
from tco.report.book import Sheet
from tco.report.cells import COUNT, KW, MONEY, MONEY_CENTS, Column, Table, call
from tco.report.layout import Layout

TABLE = Table(
    "BOM",
    (
        Column("pool", "Pool", width=16),
        Column("item", "Item", width=44),
        Column("category", "Category", width=10),
        Column("quantity", "Quantity", None, 10),
        Column("unit", "Unit", width=11),
        Column("unit_price", "Unit price [{cur}]", MONEY_CENTS, 13),
        Column("extended", "Extended price [{cur}]", MONEY, 15),
        Column("source_sheet", "Source sheet", width=10),
        Column("source_id", "Source id", width=18),
        Column("source_row", "Source row", width=8),
        Column("confidence", "Confidence", width=11),
    ),
)


def _categories(layout: Layout) -> list[str]:
    """The plan's categories in registry order, then any other (migration)."""
    present = [row.line.category for row in layout.bom]
    ordered = dict.fromkeys([*(line.category for line in registry.LINES), *present])
    return [category for category in ordered if category in present]


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    names = layout.names
    for k, row in enumerate(layout.bom):
        r, line = layout.bom_row(k), row.line
        quantity_format = COUNT if float(line.quantity).is_integer() else KW
        if row.pool is not None:
            cost_line = registry.LINES_BY_KEY[line.key]
            units = cost_line.units(layout.quantities(row.pool))
            sheet.formula(r, "quantity", units, line.quantity, quantity_format)
            price = cost_line.unit_price(layout.prices(layout.pools[row.pool]))
        elif line.key == registry.MIGRATION_KEY:  # per stack: one unit at the chip row's cost
            sheet.put(r, "quantity", line.quantity, quantity_format)
            price = names.formula(line.source_sheet, line.source_id, registry.MIGRATION_PRICE_FIELD)
        else:
            raise ValueError(f"BOM line {line.key!r} belongs to no pool and is no migration")
        sheet.formula(r, "unit_price", price, line.unit_price)
        extended = registry.extended_price(TABLE.local("quantity", r), TABLE.local("unit_price", r))
        sheet.formula(r, "extended", extended, line.extended)
        sheet.put(r, "pool", line.pool)
        sheet.put(r, "item", line.item)
        sheet.put(r, "category", line.category)
        sheet.put(r, "unit", line.unit)
        sheet.put(r, "source_sheet", line.source_sheet)
        sheet.put(r, "source_id", line.source_id)
        sheet.put(r, "source_row", line.source_row)
        low = line.confidence == "low"
        sheet.put(r, "confidence", line.confidence, styles=("warn",) if low else ())
    _totals(sheet, layout)
    last_col = len(TABLE.columns) - 1
    sheet.ws.autofilter(0, 0, max(layout.bom_total_row - 1, 1), last_col)


def _totals(sheet: Sheet, layout: Layout) -> None:
    t = layout.bom_total_row
    for c in range(len(TABLE.columns)):
        sheet.put(t, c, "Total capex" if c == TABLE.col("item") else None, styles=("total",))
    first, last = layout.bom_row(0), t - 1
    extended = TABLE.local_span("extended", first, last)
    sheet.formula(t, "extended", call("SUM", extended), layout.plan.capex, styles=("total",))
    for j, category in enumerate(_categories(layout)):
        r = t + 1 + j
        mine = [k for k, row in enumerate(layout.bom) if row.line.category == category]
        sheet.put(r, "item", f"of which {category}")
        sheet.put(r, "category", category)
        rows = [layout.bom_row(k) for k in mine]
        ranges = [TABLE.local_span("extended", run[0], run[-1]) for run in _runs(rows)]
        value = math.fsum(layout.bom[k].line.extended for k in mine)
        sheet.formula(r, "extended", call("SUM", *ranges), value)


def _runs(rows: list[int]) -> list[list[int]]:
    """Consecutive rows grouped: [2, 3, 13, 14] -> [[2, 3], [13, 14]]."""
    return [[r for _, r in run] for _, run in groupby(enumerate(rows), lambda x: x[1] - x[0])]
