"""Alternatives: the best plan with each chip, fabric and cooling forced everywhere.

Each row shows the forced plan's TCO and its delta to this plan's TCO (a
live reference to CashFlow), or why there is no such plan.
"""

from __future__ import annotations

from tco.report.book import Sheet
from tco.report.cells import DELTA_MONEY, DELTA_PERCENT, MILLIONS, MONEY, Column, Table
from tco.report.layout import Layout
from tco.scenario.alternatives import Alternative

TABLE = Table(
    "Alternatives",
    (
        Column("dimension", "Forced", width=9),
        Column("forced_id", "Id", width=20),
        Column("name", "Name", width=26),
        Column("status", "Status", width=11),
        Column("tco", "TCO [{cur}]", MONEY, 15),
        Column("delta", "Delta vs optimum [{cur}]", DELTA_MONEY, 14),
        Column("delta_pct", "Delta vs optimum [%]", DELTA_PERCENT, 10),
        Column("in_plan", "In the plan", width=8),
        Column("reason", "Why (binding reason when there is no plan)", width=80),
    ),
)


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    plan = layout.plan
    o = layout.optimum_row
    bold = ("bold",)
    for c in range(len(TABLE.columns)):
        sheet.put(o, c, None, styles=bold)
    sheet.put(o, "dimension", "optimum", styles=bold)
    sheet.put(o, "forced_id", "(this plan)", styles=bold)
    sheet.put(o, "status", plan.status, styles=bold)
    tco = layout.tables["CashFlow"].ref("discounted", layout.cash_total_row)
    sheet.formula(o, "tco", tco, plan.tco, styles=bold)
    if not layout.alternatives:
        sheet.put(
            o + 2,
            0,
            "Alternatives were not computed for this report (run tco optimize without "
            "--no-alternatives).",
        )
        return
    optimum = TABLE.anchored("tco", o)
    for a in layout.alternatives:
        r = layout.alternative_row(a)
        styles = ("top",) if a.tco is not None else ("top", "muted")
        sheet.put(r, "dimension", a.dimension, styles=styles)
        sheet.put(r, "forced_id", a.forced_id, styles=styles)
        sheet.put(r, "name", _name(layout, a), styles=styles)
        sheet.put(r, "status", a.status, styles=styles)
        sheet.put(r, "in_plan", "yes" if a.in_plan else "", styles=styles)
        sheet.wrapped(r, "reason", a.reason or "", styles=styles)
        if a.tco is None:
            for key in ("tco", "delta", "delta_pct"):
                sheet.put(r, key, None, styles=styles)
            continue
        sheet.put(r, "tco", a.tco, styles=styles)
        delta = a.tco - plan.tco  # what the formula computes for this plan
        sheet.formula(r, "delta", TABLE.local("tco", r) - optimum, delta, styles=styles)
        if plan.tco:
            pct = TABLE.local("delta", r) / optimum
            sheet.formula(r, "delta_pct", pct, delta / plan.tco, styles=styles)
    _chart(sheet, layout)


def _name(layout: Layout, a: Alternative) -> str:
    inputs = layout.inputs
    if a.dimension == "chip" and a.forced_id in inputs.chips:
        return str(inputs.chips[a.forced_id].name)
    if a.dimension == "fabric" and a.forced_id in inputs.fabrics:
        return str(inputs.fabrics[a.forced_id].technology)
    if a.dimension == "cooling" and a.forced_id in inputs.coolings:
        return str(inputs.coolings[a.forced_id].technology)
    return ""


def _chart(sheet: Sheet, layout: Layout) -> None:
    """TCO by forced chip, cheapest on top as in the table."""
    priced = [
        layout.alternative_row(a)
        for a in layout.alternatives
        if a.dimension == "chip" and a.tco is not None
    ]
    if not priced:
        return
    first, last = priced[0], priced[-1]
    tco, forced = TABLE.col("tco"), TABLE.col("forced_id")
    chart = sheet.book.chart({"type": "bar"}, "TCO by chip (best plan with the chip in every pool)")
    chart.add_series(
        {
            "categories": [TABLE.sheet, first, forced, last, forced],
            "values": [TABLE.sheet, first, tco, last, tco],
        }
    )
    chart.set_x_axis({"name": layout.currency, "num_format": MILLIONS})
    # Bar charts list categories bottom-up: reverse them, value axis stays at the bottom.
    chart.set_y_axis({"reverse": True, "crossing": "max"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 680, "height": max(227, int(30 * len(priced) + 113))})
    sheet.insert_chart(layout.alternative_row(layout.alternatives[-1]) + 2, chart)
