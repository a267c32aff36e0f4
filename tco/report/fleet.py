"""The report of a fleet plan over years: Summary, Timeline, Tranches, CashFlow, BOM,
Pools, Power, Network and Assumptions.

A fleet is bought in tranches, so the single-purchase sheets (whose capex is one
BOM sum per pool) do not apply. Here the BOM lists every tranche line grouped by
the operating year it is bought for, each unit price a live formula on the
Assumptions value that prices it (card, host and system prices x (1 +
price_change_per_year)^(year - 1)) and each extended price quantity x unit price,
with the last year the line is installed, whether it is maintained and its share
left after the horizon. CashFlow is live in every cell (`_write_cash`): each year's
capex the SUM of that year's BOM block (paid at the end of the year before), the
residual, the maintenance of the lines still installed, the energy of Power's rows
and the discount factors, so a buyer who changes a unit price or the discount rate
sees every total move; Summary's TCO, capex and opex read CashFlow. Timeline shows,
per year, the installed, bought and retired cards per chip, IT and facility kW,
racks, capex, opex and throughput against target, with a stacked chart of the
installed cards by chip; Tranches what each option buys for each year. Pools lists
each year's serving pools, each part of a mixed workload on its own row; Power and
Network give each of them its IT and facility kW, racks, rack density and energy,
and its fabric tier by tier. Assumptions lists every input value of the rows any
year uses, with its source. The alternatives are not re-solved for a fleet plan, so
there is no Alternatives sheet.
"""

from __future__ import annotations

import math

from tco.costs import registry
from tco.costs.formula import Formula
from tco.plan.extract import BomLine, Plan, PoolPlan
from tco.report.book import Book, Sheet
from tco.report.cells import (
    COUNT,
    FACTOR,
    FIRST_ROW,
    KW,
    MONEY,
    MONEY_CENTS,
    MW,
    PER_MTOK,
    PERCENT,
    RATIO,
    Column,
    Table,
    call,
)
from tco.report.explain import pool_sentence, split_sentences, tranche_sentences
from tco.report.names import Names
from tco.report.sheets import assumptions
from tco.report.sheets.summary import SHARE_LABELS, solver_section
from tco.schema.inputs import PlanningInputs
from tco.text import plural

KW_PER_MW = 1000.0

SHEETS = (
    "Summary",
    "Timeline",
    "Tranches",
    "CashFlow",
    "BOM",
    "Pools",
    "Power",
    "Network",
    "Assumptions",
)

BOM = Table(
    "BOM",
    (
        Column("year", "Bought for year", COUNT, 10),
        Column("pool", "Pool", None, 28),
        Column("item", "Item", None, 44),
        Column("category", "Category", None, 12),
        Column("quantity", "Quantity", MONEY_CENTS, 12),
        Column("unit", "Unit", None, 12),
        Column("unit_price", "Unit price ({cur})", MONEY_CENTS, 14),
        Column("extended", "Extended ({cur})", MONEY, 16),
        Column("source", "Source row", None, 22),
        Column("in_service_to", "Installed through year", COUNT, 10),
        Column("maintained", "Maintained (1 = hardware)", COUNT, 10),
        Column("residual_share", "Share left after the horizon", FACTOR, 10),
    ),
)

CASH = Table(
    "CashFlow",
    (
        Column("year", "End of year", COUNT, 10),
        Column("capex", "Capex: tranche for the next year ({cur})", MONEY, 18),
        Column("residual", "Residual value credited ({cur})", MONEY, 18),
        Column("energy", "Energy ({cur})", MONEY, 16),
        Column("maintenance", "Maintenance ({cur})", MONEY, 16),
        Column("total", "Total ({cur})", MONEY, 16),
        Column("factor", "Discount factor", FACTOR, 10),
        Column("discounted", "Discounted ({cur})", MONEY, 16),
    ),
)


def _timeline(chips: list[str], workloads: list[str]) -> Table:
    columns = [Column("year", "Operating year", COUNT, 10)]
    columns += [Column(f"installed:{c}", f"Installed {c} cards", COUNT, 12) for c in chips]
    columns += [Column(f"bought:{c}", f"Bought {c} cards", COUNT, 12) for c in chips]
    columns += [Column(f"retired:{c}", f"Retired {c} cards", COUNT, 12) for c in chips]
    columns += [
        Column("it_kw", "IT kW (serving)", KW, 12),
        Column("facility_kw", "Facility kW (serving)", KW, 12),
        Column("racks", "Racks installed", COUNT, 10),
        Column("capex", "Capex of the year's tranche ({cur})", MONEY, 16),
        Column("opex", "Opex ({cur})", MONEY, 16),
    ]
    for w in workloads:
        columns += [
            Column(f"throughput:{w}", f"{w} tokens/s", MONEY, 14),
            Column(f"target:{w}", f"{w} target", MONEY, 14),
            Column(f"served:{w}", f"{w} served / target", PERCENT, 10),
        ]
    return Table("Timeline", columns)


POOLS = Table(
    "Pools",
    (
        Column("year", "Operating year", COUNT, 10),
        Column("pool", "Pool", None, 28),
        Column("workload", "Workload", None, 18),
        Column("kind", "Kind", None, 10),
        Column("chip", "Chip", None, 16),
        Column("fabric", "Fabric", None, 14),
        Column("cooling", "Cooling", None, 12),
        Column("systems", "Systems", COUNT, 8),
        Column("nodes", "Nodes", COUNT, 8),
        Column("cards", "Cards", COUNT, 8),
        Column("replicas", "Replicas", COUNT, 8),
        Column("layout", "Layout", None, 30),
        Column("throughput", "Tokens/s", MONEY, 14),
        Column("target", "Target share (tokens/s)", MONEY, 14),
        Column("it_kw", "IT kW", KW, 10),
    ),
)

TRANCHES = Table(
    "Tranches",
    (
        Column("year", "Bought for year", COUNT, 10),
        Column("workload", "Workload", None, 22),
        Column("chip", "Chip", None, 16),
        Column("fabric", "Fabric", None, 18),
        Column("cooling", "Cooling", None, 12),
        Column("systems", "Systems", COUNT, 8),
        Column("nodes", "Nodes", COUNT, 8),
        Column("cards", "Cards", COUNT, 8),
        Column("capex", "Capex ({cur})", MONEY, 16),
    ),
)

POWER = Table(
    "Power",
    (
        Column("year", "Operating year", COUNT, 10),
        Column("pool", "Pool", None, 28),
        Column("chip", "Chip", None, 16),
        Column("cooling", "Cooling", None, 12),
        Column("cards", "Cards", COUNT, 8),
        Column("nodes", "Nodes", COUNT, 8),
        Column("node_kw", "Node [kW]", KW, 8),
        Column("it_kw", "IT [kW]", KW, 10),
        Column("pue", "PUE", RATIO, 6),
        Column("facility_kw", "Facility [kW]", KW, 10),
        Column("racks", "Racks", COUNT, 7),
        Column("nodes_per_rack", "Nodes per rack", COUNT, 8),
        Column("peak_rack_kw", "Peak rack [kW]", KW, 8),
        Column("max_rack_kw", "Rack limit of the cooling [kW]", KW, 10),
        Column("energy", "Energy ({cur}/yr)", MONEY, 14),
    ),
)

NETWORK = Table(
    "Network",
    (
        Column("year", "Operating year", COUNT, 10),
        Column("pool", "Pool", None, 28),
        Column("fabric", "Fabric", None, 18),
        Column("technology", "Technology", None, 12),
        Column("port_gbps", "Port [Gbit/s]", COUNT, 9),
        Column("tiers", "Tiers", COUNT, 6),
        Column("endpoints", "Endpoints [NIC ports]", COUNT, 10),
        Column("leaf_switches", "Leaf switches", COUNT, 9),
        Column("spine_switches", "Spine switches", COUNT, 9),
        Column("core_switches", "Core switches", COUNT, 9),
        Column("nics", "NICs", COUNT, 9),
        Column("links", "Links", COUNT, 9),
        Column("optics", "Optics [transceivers]", COUNT, 11),
        Column("cables", "Cables", COUNT, 9),
    ),
)

SUMMARY = Table(
    "Summary",
    (
        Column("label", "", None, 60),
        Column("value", "", MONEY, 18),
        Column("unit", "", None, 26),
    ),
)


def fleet_report_bytes(inputs: PlanningInputs, plan: Plan) -> bytes:
    """The fleet workbook as .xlsx bytes."""
    fleet = plan.fleet
    assert fleet is not None, "a fleet report needs a fleet plan"
    cur = inputs.site.currency
    book = Book(SHEETS)
    sheets = book.sheets
    serving = [p for fy in fleet.years for p in fy.serving.pools]
    rows = assumptions.assumptions(inputs, plan, serving)
    names = Names([a.key for a in rows])
    assumptions.write(sheets["Assumptions"], inputs, names, rows, "Unit prices on BOM")
    year_rows = _write_bom(sheets["BOM"], inputs, plan, names, cur)
    cash_total = _write_cash(sheets["CashFlow"], inputs, plan, names, year_rows, cur)
    _write_timeline(book, sheets["Timeline"], inputs, plan, cur)
    _write_tranches(sheets["Tranches"], plan, cur)
    _write_pools(sheets["Pools"], plan, cur)
    _write_power(sheets["Power"], inputs, plan, names, cur)
    _write_network(sheets["Network"], inputs, plan, cur)
    _write_summary(sheets["Summary"], inputs, plan, cash_total)
    return book.close()


def _unit_price(line: BomLine, names: Names) -> Formula:
    """A tranche line's unit price on the Assumptions value that prices it [currency/unit].

    price(y) = price x (1 + Chips.price_change_per_year)^(y - 1) for the lines the Chips
    sheet prices (cards, hosts, systems: `tco.model.years.StockLine.price`), the value
    itself for every other line and for a stack's migration.
    """
    if line.key == registry.MIGRATION_KEY:
        return names.formula("Chips", line.source_id, registry.MIGRATION_PRICE_FIELD)
    cost_line = registry.LINES_BY_KEY[line.key]
    row = "" if cost_line.price_sheet == "Site" else line.source_id
    price = names.formula(cost_line.price_sheet, row, cost_line.price_field)
    year = line.year or 1
    if cost_line.price_sheet != "Chips" or year == 1:
        return price
    change = names.formula("Chips", line.source_id, "price_change_per_year")
    return price * (1 + change) ** (year - 1)


def _write_bom(
    sheet: Sheet, inputs: PlanningInputs, plan: Plan, names: Names, cur: str
) -> dict[int, tuple[int, int]]:
    """Tranche lines by purchase year, each year closed by its subtotal row."""
    sheet.header(BOM, cur)
    r = FIRST_ROW
    spans: dict[int, tuple[int, int]] = {}
    years = sorted({line.year for line in plan.bom if line.year is not None})
    for year in years:
        first = r
        for line in (x for x in plan.bom if x.year == year):
            sheet.put(r, "year", year)
            sheet.put(r, "pool", line.pool)
            sheet.put(r, "item", line.item)
            sheet.put(r, "category", line.category)
            sheet.put(r, "quantity", line.quantity)
            sheet.put(r, "unit", line.unit)
            sheet.formula(r, "unit_price", _unit_price(line, names), line.unit_price)
            extended = BOM.local("quantity", r) * BOM.local("unit_price", r)
            sheet.formula(r, "extended", extended, line.extended)
            where = f"{line.source_sheet} {line.source_id}"
            if line.source_row is not None:
                where += f" (row {line.source_row})"
            sheet.put(r, "source", where)
            sheet.put(r, "in_service_to", line.in_service_to)
            sheet.put(r, "maintained", int(line.category in registry.HARDWARE_CATEGORIES))
            sheet.put(r, "residual_share", line.residual_share)
            r += 1
        spans[year] = (first, r - 1)
        total = sum(x.extended for x in plan.bom if x.year == year)
        sheet.put(r, "item", f"Tranche for year {year}", styles=("bold",))
        sheet.formula(
            r,
            "extended",
            call("SUM", BOM.local_span("extended", first, r - 1)),
            total,
            styles=("bold",),
        )
        r += 2
    sheet.note(
        r,
        "Each tranche is bought at the start of its operating year (paid at the end of the "
        "year before) at that year's prices: card, host and system prices change by the "
        "chip's price_change_per_year.",
    )
    return spans


def _write_cash(
    sheet: Sheet,
    inputs: PlanningInputs,
    plan: Plan,
    names: Names,
    spans: dict[int, tuple[int, int]],
    cur: str,
) -> int:
    """Years 0..H, every cell live; returns the row of the totals.

    capex[t]    = SUM of the BOM block of year t + 1 (paid at the end of year t)
    residual[H] = SUMPRODUCT(BOM share left after the horizon, BOM extended)
    energy[t]   = SUM of Power's energy of the pools serving year t
    maint[t]    = maintenance_rate x SUMPRODUCT((bought for <= t) x (installed through
                  >= t) x maintained x extended) over the BOM lines
    factor[t]   = (1 + discount_rate)^-t
    """
    fleet = plan.fleet
    assert fleet is not None
    sheet.header(CASH, cur)
    horizon = int(inputs.site.horizon_years)
    rate = names.formula("Site", "", "discount_rate")
    upkeep = names.formula("Site", "", "maintenance_rate")
    power_rows = _rows_by_year(plan)
    bom_first = min(first for first, _ in spans.values())
    bom_last = max(last for _, last in spans.values())

    def column(key: str) -> Formula:
        return BOM.span(key, bom_first, bom_last)

    first = FIRST_ROW
    for i, row in enumerate(plan.cash_flow):
        r = first + i
        t = row.year
        sheet.put(r, "year", t)
        span = spans.get(t + 1)
        capex = row.capex + (fleet.residual if t == horizon else 0.0)
        if span is not None:
            sheet.formula(r, "capex", call("SUM", BOM.span("extended", *span)), capex)
        else:
            sheet.put(r, "capex", 0.0)
        if t == horizon:
            left = call("SUMPRODUCT", column("residual_share"), column("extended"))
            sheet.formula(r, "residual", left, fleet.residual)
        else:
            sheet.put(r, "residual", 0.0)
        serving = power_rows.get(t)
        if serving is not None:
            energy = call("SUM", POWER.span("energy", *serving))
            sheet.formula(r, "energy", energy, row.energy)
        else:
            sheet.put(r, "energy", row.energy)
        if t >= 1:
            year = CASH.local("year", r)
            alive = Formula(
                f"({column('year').text}<={year.text})*({column('in_service_to').text}"
                f">={year.text})*{column('maintained').text}*{column('extended').text}"
            )
            sheet.formula(r, "maintenance", upkeep * call("SUMPRODUCT", alive), row.maintenance)
        else:
            sheet.put(r, "maintenance", row.maintenance)
        total = (
            CASH.local("capex", r)
            - CASH.local("residual", r)
            + CASH.local("energy", r)
            + CASH.local("maintenance", r)
        )
        sheet.formula(r, "total", total, row.total)
        factor = registry.discount_factor_at(rate, t)
        sheet.formula(r, "factor", factor, row.discount_factor)
        sheet.formula(
            r, "discounted", CASH.local("total", r) * CASH.local("factor", r), row.discounted
        )
    last = first + len(plan.cash_flow) - 1
    r = last + 1
    sums = {
        "capex": plan.capex,
        "residual": fleet.residual,
        "energy": math.fsum(y.energy for y in plan.cash_flow),
        "maintenance": math.fsum(y.maintenance for y in plan.cash_flow),
        "total": plan.tco_nominal,
        "discounted": plan.tco,
    }
    for key, value in sums.items():
        sheet.formula(
            r, key, call("SUM", CASH.local_span(key, first, last)), value, styles=("bold",)
        )
    sheet.put(r, "year", None)
    sheet.put(r, "factor", None)
    sheet.note(
        r + 2,
        f"TCO = sum of the discounted column: purchases for year y are paid at the end of "
        f"year y - 1, opex at the end of its year, and the value the tranches keep after "
        f"year {horizon} (straight-line over each one's lifetime) is credited at the end. "
        "Every cell is live: capex and the residual on the BOM, energy on Power, "
        "maintenance on the BOM lines still installed, the discount factor on the Site's "
        "rate.",
    )
    return r


def _write_timeline(book: Book, sheet: Sheet, inputs: PlanningInputs, plan: Plan, cur: str) -> None:
    fleet = plan.fleet
    assert fleet is not None
    chips = sorted({c for fy in fleet.years for c, n in fy.installed_cards.items() if n})
    workloads = list(inputs.workloads)
    table = _timeline(chips, workloads)
    sheet.header(table, cur)
    for i, fy in enumerate(fleet.years):
        r = FIRST_ROW + i
        sheet.put(r, "year", fy.year)
        for c in chips:
            sheet.put(r, f"installed:{c}", fy.installed_cards.get(c, 0))
            sheet.put(r, f"bought:{c}", fy.bought_cards.get(c, 0))
            sheet.put(r, f"retired:{c}", fy.retired_cards.get(c, 0))
        sheet.put(r, "it_kw", fy.it_kw)
        sheet.put(r, "facility_kw", fy.facility_kw)
        sheet.put(r, "racks", fy.racks)
        sheet.put(r, "capex", fy.capex)
        sheet.put(r, "opex", fy.opex)
        for w in workloads:
            sheet.put(r, f"throughput:{w}", fy.throughput.get(w, 0.0))
            sheet.put(r, f"target:{w}", fy.target[w])
            served = table.local(f"throughput:{w}", r) / table.local(f"target:{w}", r)
            sheet.formula(r, f"served:{w}", served, fy.throughput.get(w, 0.0) / fy.target[w])
    last = FIRST_ROW + len(fleet.years) - 1
    chart = book.chart({"type": "column", "subtype": "stacked"}, "Installed cards by chip")
    for c in chips:
        col = table.col(f"installed:{c}")
        chart.add_series(
            {
                "name": c,
                "categories": ["Timeline", FIRST_ROW, 0, last, 0],
                "values": ["Timeline", FIRST_ROW, col, last, col],
            }
        )
    chart.set_x_axis({"name": "Operating year"})
    chart.set_y_axis({"name": "Cards installed"})
    sheet.insert_chart(last + 3, chart)


def _write_pools(sheet: Sheet, plan: Plan, cur: str) -> None:
    fleet = plan.fleet
    assert fleet is not None
    sheet.header(POOLS, cur)
    r = FIRST_ROW
    for fy in fleet.years:
        for p in fy.serving.pools:
            sheet.put(r, "year", fy.year)
            sheet.put(r, "pool", p.name)
            sheet.put(r, "workload", p.workload)
            sheet.put(r, "kind", p.kind)
            sheet.put(r, "chip", p.chip)
            sheet.put(r, "fabric", p.fabric)
            sheet.put(r, "cooling", p.cooling)
            sheet.put(r, "systems", p.systems)
            sheet.put(r, "nodes", p.nodes)
            sheet.put(r, "cards", p.cards)
            sheet.put(r, "replicas", p.replicas)
            sheet.put(r, "layout", p.layout)
            sheet.put(r, "throughput", p.throughput_tokens_per_s)
            sheet.put(r, "target", p.target_tokens_per_s)
            sheet.put(r, "it_kw", p.it_kw)
            r += 1


def _write_tranches(sheet: Sheet, plan: Plan, cur: str) -> None:
    """What each option buys for each year: the order list (DESIGN 3.6 `purchases`)."""
    fleet = plan.fleet
    assert fleet is not None
    sheet.header(TRANCHES, cur)
    r = FIRST_ROW
    for t in fleet.tranches:
        sheet.put(r, "year", t.year)
        sheet.put(r, "workload", t.workload)
        sheet.put(r, "chip", t.chip)
        sheet.put(r, "fabric", t.fabric)
        sheet.put(r, "cooling", t.cooling)
        sheet.put(r, "systems", t.systems)
        sheet.put(r, "nodes", t.nodes)
        sheet.put(r, "cards", t.cards)
        sheet.put(r, "capex", t.capex)
        r += 1
    sheet.note(
        r + 1,
        "Everything one option (chip, fabric, cooling) buys for one operating year, at that "
        "year's prices: its systems and the network, racks, cooling plant and data hall "
        "they need (0 systems when only those are bought, as when they retire before the "
        "cards). The BOM lists each tranche line by line; software migration is not here.",
    )


def _serving(plan: Plan) -> list[tuple[int, PoolPlan]]:
    """(operating year, pool) of every year's serving pools, in year order."""
    fleet = plan.fleet
    assert fleet is not None
    return [(fy.year, p) for fy in fleet.years for p in fy.serving.pools]


def _rows_by_year(plan: Plan) -> dict[int, tuple[int, int]]:
    """Operating year -> its first and last row on Pools, Power and Network."""
    out: dict[int, tuple[int, int]] = {}
    for i, (year, _) in enumerate(_serving(plan)):
        r = FIRST_ROW + i
        out[year] = (out.get(year, (r, r))[0], r)
    return out


def _write_power(sheet: Sheet, inputs: PlanningInputs, plan: Plan, names: Names, cur: str) -> None:
    """Each year's serving pools: IT kW at peak, PUE, facility kW, racks, rack density and
    the year's energy, live on the counts (Power, Pools, Network) and Assumptions."""
    sheet.header(POWER, cur)
    r = FIRST_ROW
    for year, p in _serving(plan):
        here = {c.key: POWER.local(c.key, r) for c in POWER.columns}
        prices = _lookup(names, p)
        counts = registry.PoolQuantities(
            here["cards"],
            here["nodes"],
            POOLS.ref("systems", r),
            NETWORK.ref("nics", r),
            NETWORK.ref("leaf_switches", r),
            NETWORK.ref("spine_switches", r),
            NETWORK.ref("core_switches", r),
            NETWORK.ref("links", r),
            here["racks"],
        )
        sheet.put(r, "year", year)
        sheet.put(r, "pool", p.name)
        sheet.put(r, "chip", p.chip)
        sheet.put(r, "cooling", p.cooling)
        sheet.put(r, "cards", p.cards)
        sheet.put(r, "nodes", p.nodes)
        sheet.put(r, "node_kw", p.node_kw)
        sheet.formula(r, "it_kw", registry.it_kw(counts, prices), p.it_kw)
        sheet.formula(r, "pue", prices("Cooling", "pue"), p.pue)
        sheet.formula(r, "facility_kw", registry.facility_kw(here["it_kw"], prices), p.facility_kw)
        sheet.put(r, "racks", p.racks)
        sheet.put(r, "nodes_per_rack", p.nodes_per_rack)
        peak = here["node_kw"] * here["nodes_per_rack"]
        sheet.formula(r, "peak_rack_kw", peak, p.node_kw * p.nodes_per_rack)
        sheet.put(r, "max_rack_kw", inputs.coolings[p.cooling].max_rack_kw)
        sheet.formula(
            r, "energy", registry.energy_per_year(here["it_kw"], prices), p.energy_per_year
        )
        r += 1
    sheet.note(
        r + 1,
        "Per operating year, the pools that serve it: IT kW = (cards x tdp_w + nodes x "
        "node_power_w + systems x system_power_w + NICs x nic_power_w + switches x "
        "switch_power_w) / 1000 at peak; facility kW = IT kW x PUE; energy = IT kW x "
        "utilization x PUE x 8,760 h x electricity price, summed per year on CashFlow. "
        "Racks are the pool's; Timeline counts the racks installed, idle or not.",
    )


def _lookup(names: Names, pool: PoolPlan) -> registry.FieldLookup:
    """(sheet, field) -> the workbook name of the pool's input value."""
    ids = {"Chips": pool.chip, "Fabrics": pool.fabric, "Cooling": pool.cooling, "Site": ""}

    def lookup(sheet: str, field: str) -> Formula:
        return names.formula(sheet, ids[sheet], field)

    return lookup


def _write_network(sheet: Sheet, inputs: PlanningInputs, plan: Plan, cur: str) -> None:
    """Each year's serving pools: the fabric tier by tier, as the pool uses it."""
    sheet.header(NETWORK, cur)
    r = FIRST_ROW
    optic, cable = registry.LINES_BY_KEY["optic"], registry.LINES_BY_KEY["cable"]
    for year, p in _serving(plan):
        fabric = inputs.fabrics[p.fabric]
        leaf, spine, core = p.switches_bought
        counts = {"links": p.links_bought}
        sheet.put(r, "year", year)
        sheet.put(r, "pool", p.name)
        sheet.put(r, "fabric", p.fabric)
        sheet.put(r, "technology", fabric.technology)
        sheet.put(r, "port_gbps", fabric.port_gbps)
        sheet.put(r, "tiers", p.network.tiers)
        sheet.put(r, "endpoints", p.network.endpoints)
        sheet.put(r, "leaf_switches", leaf)
        sheet.put(r, "spine_switches", spine)
        sheet.put(r, "core_switches", core)
        sheet.put(r, "nics", p.nics)
        sheet.put(r, "links", p.links_bought)
        sheet.put(r, "optics", optic.units(counts))
        sheet.put(r, "cables", cable.units(counts))
        r += 1
    sheet.note(
        r + 1,
        "Per operating year, the fabric each serving pool uses (at least the minimum folded "
        "Clos of its ports). What a year buys is the BOM's, what is installed the purchases "
        "not retired: a pool that shrinks keeps its switches and links installed.",
    )


def _write_summary(sheet: Sheet, inputs: PlanningInputs, plan: Plan, cash_total: int) -> None:
    sheet.landscape = False
    sheet.fixed_columns(SUMMARY, ())
    sheet.put(0, "label", "AI cluster fleet plan over years (minimum TCO)", styles=("title",))
    sheet.put(1, "label", f"Input: {inputs.source_name}", styles=("italic",))
    r = 3
    sheet.put(r, "label", "Tranches, year by year", styles=("section",))
    for line in tranche_sentences(inputs, plan):
        r += 1
        sheet.paragraph(r, line, 2)
    r += 2
    sheet.put(r, "label", "Last year's fleet", styles=("section",))
    for p in plan.pools:
        r += 1
        sheet.paragraph(r, pool_sentence(inputs, p), 2)
    for line in split_sentences(inputs, plan):
        r += 1
        sheet.paragraph(r, line, 2)
    r = _key_figures(sheet, inputs, plan, cash_total, r + 2)
    r += 2
    r = solver_section(sheet, plan, r)
    r += 2
    sheet.put(r, "label", "Warnings", styles=("section",))
    for text in plan.warnings or ("none",):
        r += 1
        sheet.paragraph(r, text, 2, ("warn",) if plan.warnings else ())


def _key_figures(sheet: Sheet, inputs: PlanningInputs, plan: Plan, cash_total: int, r: int) -> int:
    """The key figures under the labels a single-purchase Summary uses (so `tco compare`
    reads either back): the TCO, capex and opex live on CashFlow (`cash_total` its totals
    row), the rest the engine's numbers. Power, racks, cards and shares are the last
    operating year's serving fleet, as in the JSON."""
    cur = inputs.site.currency
    years = int(inputs.site.horizon_years)
    last = f"year {years}"
    sheet.put(r, "label", "Key figures", styles=("section",))
    sheet.put(r, "value", "Value", styles=("bold",))
    sheet.put(r, "unit", "Unit", styles=("bold",))
    final = cash_total - 1  # the CashFlow row of the last operating year
    energy, upkeep = CASH.ref("energy", final), CASH.ref("maintenance", final)
    live: list[tuple[str, Formula, float, str]] = [
        (
            f"TCO, discounted over {plural(years, 'year')}",
            CASH.ref("discounted", cash_total),
            plan.tco,
            cur,
        ),
        (
            f"TCO, nominal (undiscounted) over {plural(years, 'year')}",
            CASH.ref("total", cash_total),
            plan.tco_nominal,
            cur,
        ),
        (
            "Capex (every tranche, nominal, incl. software migration)",
            CASH.ref("capex", cash_total),
            plan.capex,
            cur,
        ),
    ]
    for k, (label, formula, value, unit) in enumerate(live):
        r += 1
        bold = ("bold",) if k == 0 else ()
        sheet.put(r, "label", label, styles=bold)
        sheet.formula(r, "value", formula, value, styles=bold)
        sheet.put(r, "unit", unit)
    r += 1
    sheet.put(r, "label", "of which software migration")
    sheet.put(r, "value", plan.migration)
    sheet.put(r, "unit", cur)
    opex = (
        ("Opex per year", registry.yearly_opex(energy, upkeep), plan.opex_per_year),
        ("of which energy", energy, plan.energy_per_year),
        ("of which maintenance", upkeep, plan.maintenance_per_year),
    )
    for label, formula, value in opex:
        r += 1
        sheet.put(r, "label", label)
        sheet.formula(r, "value", formula, value)
        sheet.put(r, "unit", f"{cur}/yr in {last}")
    rows: list[tuple[str, float, str | None, str]] = []
    for p in plan.pools:
        rows += [
            (
                f"Cost per million tokens, {p.name}",
                p.cost_per_million_tokens,
                PER_MTOK,
                f"{cur}/Mtok",
            ),
            (f"Pool capex, {p.name}", p.capex, None, f"{cur}, every tranche of its option"),
            (f"Pool TCO, {p.name}", p.tco, None, f"{cur}, discounted, every year"),
        ]
    share = plan.domestic_cards / plan.cards if plan.cards else 0.0
    rows += [
        ("IT power (peak)", plan.it_kw / KW_PER_MW, MW, f"MW serving in {last}"),
        ("Facility power (IT x PUE)", plan.facility_kw / KW_PER_MW, MW, f"MW serving in {last}"),
        ("Racks", plan.racks, COUNT, f"racks serving in {last}"),
        ("Accelerator cards", plan.cards, COUNT, f"cards serving in {last}"),
        ("Domestic cards", plan.domestic_cards, COUNT, f"cards ({share:.0%})"),
    ]
    basis = inputs.site.domestic_share_basis
    for name, achieved in plan.domestic_share.items():
        asked = f", at least {inputs.site.min_domestic_share:.0%} asked" if name == basis else ""
        label = SHARE_LABELS[name]
        if name == "spend" and inputs.site.domestic_share_includes_network:
            label += " and network"
        rows.append((f"Domestic share of {label}", achieved, PERCENT, f"fraction{asked}"))
    for label, value, fmt, unit in rows:
        r += 1
        sheet.put(r, "label", label)
        sheet.put(r, "value", value, fmt)
        sheet.put(r, "unit", unit)
    return r
