"""Pools: one row per workload, what it runs on, what it delivers and what it costs.

Capex sums the pool's BOM lines; energy, maintenance, the migration share,
discounted opex, TCO, the cost per million tokens and a training run's costs
are the registry's equations over the Power, BOM and CashFlow cells and the
Assumptions names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tco.costs import registry
from tco.costs.formula import Formula
from tco.plan.extract import PoolPlan
from tco.report.book import Sheet
from tco.report.cells import (
    COUNT,
    INPUT_NUMBER,
    MONEY,
    PER_MTOK,
    PERCENT,
    Column,
    Table,
    call,
    plus,
)
from tco.report.layout import Layout

TABLE = Table(
    "Pools",
    (
        Column("workload", "Workload", width=18),
        Column("kind", "Kind", width=10),
        Column("chip_id", "Chip id", width=14),
        Column("chip", "Chip", width=34),
        Column("fabric", "Fabric", width=16),
        Column("cooling", "Cooling", width=11),
        Column("systems", "Systems ordered", COUNT, 9, quantity=True),
        Column("system_cards", "Cards per system", COUNT, 9),
        Column("nodes", "Nodes", COUNT, 8, quantity=True),
        Column("cards", "Cards", COUNT, 8, quantity=True),
        Column("replicas", "Replicas", COUNT, 9),
        Column("replica_cards", "Cards per replica", COUNT, 9),
        Column("layout", "Parallel layout", width=30),
        Column("capacity", "Capacity [tokens/s]", COUNT, 13),
        Column("target", "Target [tokens/s]", COUNT, 13),
        Column("utilisation", "Target / capacity (binding resource) [%]", PERCENT, 13),
        Column("capex", "Capex [{cur}]", MONEY, 14),
        Column("migration", "Migration share [{cur}]", MONEY, 13),
        Column("energy", "Energy [{cur}/yr]", MONEY, 13),
        Column("maintenance", "Maintenance [{cur}/yr]", MONEY, 13),
        Column("opex_pv", "Opex, present value [{cur}]", MONEY, 14),
        Column("tco", "TCO [{cur}]", MONEY, 14),
        Column("per_mtok", "Levelized cost per million tokens [{cur}/Mtok]", PER_MTOK, 14),
        Column("deadline", "Training run deadline [days]", INPUT_NUMBER, 10),
        Column(
            "run_cost",
            "Training run cost: capex + migration amortised over the horizon, plus opex "
            "over the deadline [{cur}]",
            MONEY,
            18,
        ),
        Column(
            "dedicated_run_cost",
            "Training run cost on a cluster dedicated to it: capex + migration + opex over "
            "the deadline [{cur}]",
            MONEY,
            18,
        ),
    ),
)

#: Columns summed on the total row.
_TOTALS = (
    "systems",
    "nodes",
    "cards",
    "capex",
    "migration",
    "energy",
    "maintenance",
    "opex_pv",
    "tco",
)


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.header(TABLE, layout.currency)
    inputs, pools = layout.inputs, layout.pools
    bom, power = layout.tables["BOM"], layout.tables["Power"]
    cash = layout.tables["CashFlow"]
    annuity = cash.ref("discount_factor", layout.annuity_row)
    annuity_value = registry.annuity(inputs.site)
    for i, p in enumerate(pools):
        r = layout.pool_row(i)

        def here(key: str, row: int = r) -> Formula:
            return TABLE.local(key, row)

        prices = layout.prices(p)
        sheet.put(r, "workload", p.name)
        sheet.put(r, "kind", p.kind)
        sheet.put(r, "chip_id", p.chip)
        sheet.put(r, "chip", inputs.chips[p.chip].name)
        sheet.put(r, "fabric", p.fabric)
        sheet.put(r, "cooling", p.cooling)
        sheet.put(r, "systems", p.systems)
        sheet.put(r, "system_cards", p.system_cards)
        sheet.put(r, "nodes", p.nodes)
        sheet.put(r, "cards", p.cards)
        sheet.put(r, "replicas", p.replicas)
        sheet.put(r, "replica_cards", p.replica_cards)
        sheet.put(r, "layout", p.layout)
        sheet.put(r, "capacity", p.throughput_tokens_per_s)
        sheet.put(r, "target", p.target_tokens_per_s)
        if p.throughput_tokens_per_s > 0:
            sheet.formula(r, "utilisation", here("target") / here("capacity"), p.target_utilisation)
        first, last = layout.pool_spans[i]
        sheet.formula(r, "capex", call("SUM", bom.span("extended", first, last)), p.capex)
        hardware = registry.hardware_capex(
            (registry.LINES_BY_KEY[row.line.key], bom.ref("extended", layout.bom_row(k)))
            for k, row in enumerate(layout.bom)
            if row.pool == i
        )
        maintenance = registry.maintenance_per_year(hardware, prices)
        sheet.formula(r, "maintenance", maintenance, p.maintenance_per_year)
        _migration_share(sheet, layout, i)
        energy = registry.energy_per_year(power.ref("it_kw", r), prices)
        sheet.formula(r, "energy", energy, p.energy_per_year)
        opex = registry.yearly_opex(here("energy"), here("maintenance"))
        opex_pv_value = registry.opex_present_value(
            registry.yearly_opex(p.energy_per_year, p.maintenance_per_year), annuity_value
        )
        sheet.formula(r, "opex_pv", registry.opex_present_value(opex, annuity), opex_pv_value)
        tco = registry.discounted_tco(here("capex"), here("migration"), here("opex_pv"))
        sheet.formula(r, "tco", tco, p.tco)
        if p.target_tokens_per_s > 0:
            per_mtok = registry.cost_per_million_tokens(here("tco"), here("target"), annuity)
            sheet.formula(r, "per_mtok", per_mtok, p.cost_per_million_tokens)
        _run_costs(sheet, layout, p, r)
    total_row(sheet, TABLE, layout, _TOTALS)


#: What the run-cost cells of a training workload without a deadline say.
NO_RUN = "n/a (no deadline)"


def _run_costs(sheet: Sheet, layout: Layout, p: PoolPlan, r: int) -> None:
    """A training pool's run costs (`registry.run_cost`, `registry.dedicated_run_cost`)
    over its deadline; "n/a" for a training target without one, blank for inference."""
    if p.kind != "training":
        return
    if p.deadline_days is None or p.run_cost is None or p.dedicated_run_cost is None:
        for key in ("deadline", "run_cost", "dedicated_run_cost"):
            sheet.put(r, key, NO_RUN)
        return

    def here(key: str) -> Formula:
        return TABLE.local(key, r)

    sheet.put(r, "deadline", p.deadline_days)
    opex = registry.yearly_opex(here("energy"), here("maintenance"))
    horizon = layout.names.formula("Site", "", "horizon_years")
    run = registry.run_cost(here("capex"), here("migration"), opex, here("deadline"), horizon)
    sheet.formula(r, "run_cost", run, p.run_cost)
    dedicated = registry.dedicated_run_cost(
        here("capex"), here("migration"), opex, here("deadline")
    )
    sheet.formula(r, "dedicated_run_cost", dedicated, p.dedicated_run_cost)


def _migration_share(sheet: Sheet, layout: Layout, i: int) -> None:
    """The pool's part of its stack's migration line, split by cards as the plan does."""
    chips, pools = layout.inputs.chips, layout.pools
    stack = chips[pools[i].chip].software_stack
    line_row = next(
        layout.bom_row(k)
        for k, row in enumerate(layout.bom)
        if row.line.key == registry.MIGRATION_KEY
        and chips[row.line.source_id].software_stack == stack
    )
    users = [j for j, q in enumerate(pools) if chips[q.chip].software_stack == stack]
    cards = [TABLE.local("cards", layout.pool_row(j)) for j in users]
    if sum(pools[j].cards for j in users) > 0:
        weight, total = TABLE.local("cards", layout.pool_row(i)), plus(cards)
    else:
        weight, total = Formula("1"), Formula(str(len(users)))
    share = registry.migration_share(layout.tables["BOM"].ref("extended", line_row), weight, total)
    sheet.formula(layout.pool_row(i), "migration", share, pools[i].migration_share)


def total_row(sheet: Sheet, table: Table, layout: Layout, totals: Sequence[str]) -> None:
    """The bold total row under the pools: SUM of each column in `totals`."""
    t = layout.pool_total_row
    first, last = layout.pool_row(0), t - 1
    for c, column in enumerate(table.columns):
        if c == 0:
            sheet.put(t, c, "Total", styles=("total",))
        elif column.key in totals and layout.pools:
            total = call("SUM", table.local_span(column.key, first, last))
            value = math.fsum(sheet.shown(r, c) for r in range(first, last + 1))
            sheet.formula(t, c, total, value, column.fmt, styles=("total",))
        else:
            sheet.put(t, c, None, styles=("total",))
