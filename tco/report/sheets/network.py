"""Network: per pool, the scale-out fabric bought, tier by tier.

Switch, NIC and link counts are the plan's decisions (the cells BOM
quantities refer to); switches, optics and cables follow from them by the
registry (`registry.switches` and the optic and cable lines' units).
"""

from __future__ import annotations

from tco.costs import registry
from tco.costs.formula import Formula
from tco.report.book import Sheet
from tco.report.cells import COUNT, RATIO, Column, Table, call
from tco.report.layout import Layout
from tco.report.sheets.pools import total_row

TABLE = Table(
    "Network",
    (
        Column("workload", "Workload", width=18),
        Column("fabric", "Fabric", width=18),
        Column("technology", "Technology", width=12),
        Column("port_gbps", "Port [Gbit/s]", COUNT, 9),
        Column("oversubscription", "Leaf over-subscription [down:up]", RATIO, 12),
        Column("tiers", "Tiers", COUNT, 6),
        Column("endpoints", "Endpoints [NIC ports]", COUNT, 10),
        Column("leaf_switches", "Leaf switches", COUNT, 9, quantity=True),
        Column("spine_switches", "Spine switches", COUNT, 9, quantity=True),
        Column("core_switches", "Core switches", COUNT, 9, quantity=True),
        Column("switches", "Switches", COUNT, 9),
        Column("nics", "NICs", COUNT, 9, quantity=True),
        Column("links", "Links", COUNT, 9, quantity=True),
        Column("optics", "Optics [transceivers]", COUNT, 11),
        Column("cables", "Cables", COUNT, 9),
        Column("bisection_tbps", "Bisection bandwidth [Tbit/s]", "#,##0.00", 12),
    ),
)

_TIERS = ("leaf_switches", "spine_switches", "core_switches")
#: Registry lines whose units this sheet shows per pool, by column.
_LINE_COLUMNS = {"optics": "optic", "cables": "cable"}
_TOTALS = ("endpoints", *_TIERS, "switches", "nics", "links", *_LINE_COLUMNS)
GBPS_PER_TBPS = 1000.0


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    for i, p in enumerate(layout.pools):
        r = layout.pool_row(i)
        fabric = layout.inputs.fabrics[p.fabric]
        prices = layout.prices(p)

        def here(key: str, row: int = r) -> Formula:
            return TABLE.local(key, row)

        sheet.put(r, "workload", p.workload)
        sheet.put(r, "fabric", p.fabric)
        sheet.put(r, "technology", fabric.technology)
        sheet.formula(r, "port_gbps", prices("Fabrics", "port_gbps"), fabric.port_gbps)
        sheet.formula(
            r, "oversubscription", prices("Fabrics", "oversubscription"), fabric.oversubscription
        )
        sheet.put(r, "tiers", p.network.tiers)
        sheet.put(r, "endpoints", p.network.endpoints)
        counts: dict[str, int] = dict(zip(_TIERS, p.switches_bought, strict=True))
        counts |= {"nics": p.nics, "links": p.links_bought}
        for key, count in counts.items():
            sheet.put(r, key, count)
        switches = registry.switches(layout.decisions(i, TABLE))
        sheet.formula(r, "switches", switches, sum(p.switches_bought))
        local = layout.quantities(i, TABLE)
        for key, line_key in _LINE_COLUMNS.items():
            line = registry.LINES_BY_KEY[line_key]
            sheet.formula(r, key, line.units(local), line.units(counts))
        oversub = 1.0 if p.network.tiers <= 1 else float(fabric.oversubscription)
        bisection = p.network.endpoints * float(fabric.port_gbps) / (2 * oversub) / GBPS_PER_TBPS
        e, port, o = here("endpoints"), here("port_gbps"), here("oversubscription")
        one_tier = Formula(f"{here('tiers').text}<=1")
        gbps = call("IF", one_tier, e * port / 2, e * port / (2 * o))
        sheet.formula(r, "bisection_tbps", gbps / GBPS_PER_TBPS, bisection)
    total_row(sheet, TABLE, layout, _TOTALS)
    sheet.note(
        layout.pool_total_row + 2,
        "Switch and link counts are what the plan buys (at least the minimum folded Clos). "
        "Bisection = endpoints x port speed / 2, divided by the leaf over-subscription "
        "for 2-3 tiers. Every link is one cable and two optics.",
    )
