"""CashFlow: per year capex, energy, maintenance, total, discount factor, discounted.

Capex is the BOM total in year 0; energy and maintenance in years 1..H are
the pools' totals (the registry's equations, on Pools); the discount factor
is the registry's (1 + rate)^-year over the discount-rate name. TCO is the
sum of the discounted column, the annuity factor the sum of the factors.
"""

from __future__ import annotations

import math

from tco.costs import registry
from tco.report.book import Sheet
from tco.report.cells import FACTOR, MILLIONS, MONEY, Column, Table, call
from tco.report.layout import Layout

TABLE = Table(
    "CashFlow",
    (
        Column("year", "Year", "0", 7),
        Column("capex", "Capex [{cur}]", MONEY, 15),
        Column("energy", "Energy [{cur}]", MONEY, 13),
        Column("maintenance", "Maintenance [{cur}]", MONEY, 13),
        Column("total", "Total [{cur}]", MONEY, 15),
        Column("discount_factor", "Discount factor", FACTOR, 10),
        Column("discounted", "Discounted [{cur}]", MONEY, 15),
        Column("cumulative", "Cumulative discounted [{cur}]", MONEY, 16),
    ),
)

#: Chart size [pixels].
_CHART = {"width": 605, "height": 302}


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    plan = layout.plan
    bom, pools = layout.tables["BOM"], layout.tables["Pools"]
    rate = layout.names.formula("Site", "", "discount_rate")
    pool_total = layout.pool_total_row
    flows = plan.cash_flow
    for k, y in enumerate(flows):
        r = layout.year_row(k)
        sheet.put(r, "year", y.year)
        if y.year == 0:
            sheet.formula(r, "capex", bom.ref("extended", layout.bom_total_row), y.capex)
            sheet.put(r, "energy", y.energy)
            sheet.put(r, "maintenance", y.maintenance)
        else:
            sheet.put(r, "capex", y.capex)
            sheet.formula(r, "energy", pools.ref("energy", pool_total), y.energy)
            sheet.formula(r, "maintenance", pools.ref("maintenance", pool_total), y.maintenance)
        parts = TABLE.local_across("capex", "maintenance", r)
        sheet.formula(r, "total", call("SUM", parts), y.total)
        factor = registry.discount_factor_at(rate, y.year)
        sheet.formula(r, "discount_factor", factor, y.discount_factor)
        discounted = TABLE.local("total", r) * TABLE.local("discount_factor", r)
        sheet.formula(r, "discounted", discounted, y.discounted)
        cumulative = TABLE.local("discounted", r)
        if k > 0:
            cumulative = TABLE.local("cumulative", r - 1) + cumulative
        sheet.formula(r, "cumulative", cumulative, y.cumulative_discounted)
    t = layout.cash_total_row
    first, last = layout.year_row(0), t - 1
    sums = {
        "capex": math.fsum(y.capex for y in flows),
        "energy": math.fsum(y.energy for y in flows),
        "maintenance": math.fsum(y.maintenance for y in flows),
        "total": plan.tco_nominal,
        "discounted": plan.tco,
    }
    for c, column in enumerate(TABLE.columns):
        if column.key == "year":
            sheet.put(t, c, "Total", styles=("total",))
        elif column.key in sums:
            total = call("SUM", TABLE.local_span(column.key, first, last))
            sheet.formula(t, c, total, sums[column.key], column.fmt, styles=("total",))
        else:
            sheet.put(t, c, None, styles=("total",))
    a = layout.annuity_row
    sheet.put(a, "year", "Annuity factor (sum of discount factors, years 1 to horizon)")
    factors = call("SUM", TABLE.local_span("discount_factor", first + 1, last))
    sheet.formula(
        a, "discount_factor", factors, math.fsum(y.discount_factor for y in flows if y.year > 0)
    )
    sheet.note(
        a + 1,
        "Capex is paid in year 0, energy and maintenance at the end of years 1 to "
        "horizon; TCO = sum of the discounted column.",
    )
    if len(flows) > 1:
        _chart(sheet, layout, a + 3)


def _chart(sheet: Sheet, layout: Layout, row: int) -> None:
    chart = sheet.book.chart({"type": "line"}, "Cumulative discounted cash flow")
    first, last = layout.year_row(0), layout.cash_total_row - 1
    cumulative, year = TABLE.col("cumulative"), TABLE.col("year")
    chart.add_series(
        {
            "name": [TABLE.sheet, 0, cumulative],
            "categories": [TABLE.sheet, first, year, last, year],
            "values": [TABLE.sheet, first, cumulative, last, cumulative],
        }
    )
    chart.set_x_axis({"name": "Year"})
    chart.set_y_axis({"name": layout.currency, "num_format": MILLIONS})
    chart.set_legend({"none": True})
    chart.set_size(_CHART)
    sheet.insert_chart(row, chart)
