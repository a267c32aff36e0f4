"""Power: per pool, IT and facility power, racks and rack density, energy per year.

IT kW, facility kW and the yearly energy are the registry's equations over
the plan's counts (Pools, Network, the racks here) and the Assumptions names.
"""

from __future__ import annotations

from tco.costs import registry
from tco.report.book import Sheet
from tco.report.cells import COUNT, KW, RATIO, Column, Table
from tco.report.layout import Layout
from tco.report.sheets.pools import total_row

TABLE = Table(
    "Power",
    (
        Column("workload", "Workload", width=18),
        Column("chip", "Chip", width=14),
        Column("cooling", "Cooling", width=11),
        Column("cards", "Cards", COUNT, 8),
        Column("nodes", "Nodes", COUNT, 8),
        Column("node_kw", "Node [kW]", KW, 8),
        Column("it_kw", "IT [kW]", KW, 10, quantity=True),
        Column("pue", "PUE", RATIO, 6),
        Column("facility_kw", "Facility [kW]", KW, 10, quantity=True),
        Column("racks", "Racks", COUNT, 7, quantity=True),
        Column("nodes_per_rack", "Nodes per rack", COUNT, 8),
        Column("peak_rack_kw", "Peak rack [kW]", KW, 8),
        Column("max_rack_kw", "Rack limit of the cooling [kW]", KW, 10),
        Column("average_rack_kw", "Average rack [kW]", KW, 9),
        Column("energy_mwh", "Energy [MWh/yr]", COUNT, 11),
    ),
)

_TOTALS = ("cards", "nodes", "it_kw", "facility_kw", "racks", "energy_mwh")
KWH_PER_MWH = 1000.0


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    pools = layout.tables["Pools"]
    for i, p in enumerate(layout.pools):
        r = layout.pool_row(i)
        cooling = layout.inputs.coolings[p.cooling]
        prices, numbers = layout.prices(p), layout.numbers(p)
        here = {c.key: TABLE.local(c.key, r) for c in TABLE.columns}
        sheet.put(r, "workload", p.workload)
        sheet.put(r, "chip", p.chip)
        sheet.put(r, "cooling", p.cooling)
        sheet.formula(r, "cards", pools.ref("cards", r), p.cards)
        sheet.formula(r, "nodes", pools.ref("nodes", r), p.nodes)
        sheet.put(r, "node_kw", p.node_kw)
        copies = {"cards": here["cards"], "nodes": here["nodes"]}
        it_kw = registry.it_kw(layout.decisions(i, TABLE, copies), prices)
        sheet.formula(r, "it_kw", it_kw, p.it_kw)
        sheet.formula(r, "pue", prices("Cooling", "pue"), cooling.pue)
        sheet.formula(r, "facility_kw", registry.facility_kw(here["it_kw"], prices), p.facility_kw)
        sheet.put(r, "racks", p.racks)
        sheet.put(r, "nodes_per_rack", p.nodes_per_rack)
        sheet.formula(
            r,
            "peak_rack_kw",
            here["node_kw"] * here["nodes_per_rack"],
            p.node_kw * p.nodes_per_rack,
        )
        sheet.formula(r, "max_rack_kw", prices("Cooling", "max_rack_kw"), cooling.max_rack_kw)
        if p.racks > 0:
            sheet.formula(r, "average_rack_kw", here["it_kw"] / here["racks"], p.it_kw / p.racks)
        mwh = registry.energy_kwh_per_year(here["it_kw"], prices) / KWH_PER_MWH
        mwh_value = registry.energy_kwh_per_year(p.it_kw, numbers) / KWH_PER_MWH
        sheet.formula(r, "energy_mwh", mwh, mwh_value)
    total_row(sheet, TABLE, layout, _TOTALS)
    t = layout.pool_total_row
    if layout.pools and sheet.shown(t, "it_kw") > 0:
        pue = TABLE.local("facility_kw", t) / TABLE.local("it_kw", t)
        value = sheet.shown(t, "facility_kw") / sheet.shown(t, "it_kw")
        sheet.formula(t, "pue", pue, value, styles=("total",))
    sheet.note(
        t + 2,
        "IT kW = (cards x tdp_w + nodes x node_power_w + NICs x nic_power_w + switches x "
        "switch_power_w) / 1000 at peak; facility kW = IT kW x PUE; energy = facility kW x "
        "utilization x 8,760 h. Peak rack kW (nodes per rack x node kW) must stay within "
        "the cooling's rack limit.",
    )
