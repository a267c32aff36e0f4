"""Fleet plans over operating years: tranches bought as demand grows, retired with age.

Years are operating years y = 1..H (`Site.horizon_years`). Each year has its own
copy of the single-period model (a Pyomo block built by the same modules, `pools`
to `limits`) over the same options, whose pools are what *serves* that year: it
meets year y's targets (`schedule`) and every limit of the year (power budget,
racks, supply caps, domestic share), with the options of a chip not yet on sale
(`Chips.available_from_year` > y) closed. What serves year y must be installed:
for each option o and each stock s of its bill of materials

    installed[o,s,y] = sum_{y' = y - L_s + 1 .. y} buy[o,s,y']  >=  serving[o,s,y]

(the serving pool is the year block's; rack positions and supply caps bound what is
installed, idle or not), where the stocks are the systems (cards, hosts, system
parts and NICs come with them; lifetime L = `Chips.lifetime_years`), the leaf,
spine and core switches and the links (optics and cables; `Fabrics.lifetime_years`),
the racks and the cooling plant's kW (`Cooling.lifetime_years`), and the data hall's
facility kW (the building: it lasts the horizon). A blank lifetime is the horizon. A
stock bought and not retired is installed: it is paid and maintained whether or not it
serves (energy follows the serving pools: idle hardware draws no power).

What serves year y is bought at its start, paid (and discounted) at the end of year
y - 1, so year-1 purchases are today's capex:

    capex[y]  = sum_{o,s} price[o,s,y] x buy[o,s,y] + migration of stacks first used in y
    price[o,s,y] = sum of the stock's cost lines (`tco.costs.registry.LINES`), the card,
                   host and system lines x (1 + Chips.price_change_per_year)^(y - 1)
    energy[y] = the serving pools' energy (registry: IT kW x utilization x PUE x 8760 h x price)
    maint[y]  = maintenance_rate x sum of the hardware lines of the installed tranches,
                each at the price it was bought for
    residual  = sum_{o,s,y} price[o,s,y] x buy[o,s,y] x max(0, y + L_s - 1 - H) / L_s

The residual is straight-line: a tranche of lifetime L bought for year y serves
years y .. y + L - 1, and the share of those years past H is credited at the end
of the horizon. The objective is

    min  sum_y (1 + r)^-(y - 1) x capex[y] + sum_y (1 + r)^-y x (energy[y] + maint[y])
         - (1 + r)^-H x residual

A software stack's migration is paid once, in the first year a pool on it serves
(`v_adopt[s,y]` is monotone in y). `Site.capex_budget` bounds each year's capex.

With flat targets, lifetimes of the horizon and no price change, every year's serving
fleet is bought in year 1 and this is the single-period model (same plans and TCO):
capex once, opex x annuity, no residual. Without a Demand sheet, growth, lifetimes,
price changes or late chips (`is_fleet`), the engine solves that model directly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pyomo.environ as pyo

from tco.costs import registry
from tco.model import costs, facility, fleet_cuts, limits, network, pools
from tco.model.build import Decisions, decisions
from tco.model.context import MONEY_SCALE, ModelContext, count_of, value_of
from tco.model.options import Option, OptionKey, with_cuts
from tco.model.performance import TrainingPerformance
from tco.model.share import grow
from tco.perf.training import training_target_tokens_per_s
from tco.schema.inputs import PlanningInputs, usable_chips

#: The stocks a pool's bill of materials is bought in, each with its own lifetime.
STOCKS = ("systems", "leaf", "spine", "core", "links", "racks", "it_kw", "facility_kw")
#: Stocks bought in whole units (the kW of cooling plant and data hall are continuous).
INTEGER_STOCKS = frozenset(("systems", "leaf", "spine", "core", "links", "racks"))
#: The stock each registry quantity is bought with.
STOCK_OF = MappingProxyType(
    {
        "cards": "systems",
        "nodes": "systems",
        "systems": "systems",
        "nics": "systems",
        "leaf_switches": "leaf",
        "spine_switches": "spine",
        "core_switches": "core",
        "links": "links",
        "racks": "racks",
        "it_kw": "it_kw",
        "facility_kw": "facility_kw",
    }
)


@dataclass(frozen=True)
class Schedule:
    """Targets per workload and operating year (index 0 = year 1) [tokens/s]."""

    horizon: int
    targets: Mapping[str, tuple[float, ...]]

    def target(self, workload_id: str, year: int) -> float:
        return self.targets[workload_id][year - 1]

    def peak(self, workload_id: str) -> float:
        return max(self.targets[workload_id])


def base_target(inputs: PlanningInputs, workload_id: str) -> float:
    """The Workloads row's own target [tokens/s] (training: tokens over the deadline)."""
    workload = inputs.workloads[workload_id]
    if workload.kind == "training":
        return training_target_tokens_per_s(workload)
    return float(workload.target_tokens_per_s or 0.0)


def schedule(inputs: PlanningInputs) -> Schedule:
    """Each workload's target in every year: its Demand rows, carried forward.

    Before a workload's first Demand row (or without any) the target is the
    Workloads row's, grown by `demand_growth_per_year` when given:
    target x (1 + growth)^(y - 1). A year without a row after one keeps that row's
    target, grown likewise from it.
    """
    horizon = int(inputs.site.horizon_years)
    rows: dict[str, dict[int, float]] = {}
    for d in inputs.demand:
        rows.setdefault(d.workload_id, {})[d.year] = d.target_tokens_per_s
    targets = {}
    for wid, workload in inputs.workloads.items():
        growth = workload.demand_growth_per_year or 0.0
        given = rows.get(wid, {})
        level, since = base_target(inputs, wid), 1
        series = []
        for year in range(1, horizon + 1):
            if year in given:
                level, since = given[year], year
            series.append(level * (1.0 + growth) ** (year - since))
        targets[wid] = tuple(series)
    return Schedule(horizon, MappingProxyType(targets))


def is_fleet(inputs: PlanningInputs) -> bool:
    """Whether the plan needs years: demand that changes, chips that come late or
    change price, or assets that retire before (or outlive) the horizon."""
    horizon = int(inputs.site.horizon_years)
    if inputs.demand or any(w.demand_growth_per_year for w in inputs.workloads.values()):
        return True
    rows: list[Any] = [*inputs.chips.values(), *inputs.fabrics.values(), *inputs.coolings.values()]
    if any(row.lifetime_years not in (None, horizon) for row in rows):
        return True
    return any(
        c.available_from_year > 1 or c.price_change_per_year != 0 for c in inputs.chips.values()
    )


def peak_inputs(inputs: PlanningInputs, plan: Schedule) -> PlanningInputs:
    """The inputs with every workload at its peak target: the options' sizes cover every year."""
    workloads = {
        wid: w.model_copy(update={"target_tokens_per_s": plan.peak(wid)})
        for wid, w in inputs.workloads.items()
    }
    return dataclasses.replace(inputs, workloads=MappingProxyType(workloads))


def year_inputs(inputs: PlanningInputs, plan: Schedule, year: int) -> PlanningInputs:
    """The inputs of one operating year: its targets, and no capex budget (a fleet's budget
    bounds each year's purchases, `add_purchases`)."""
    workloads = {
        wid: w.model_copy(update={"target_tokens_per_s": plan.target(wid, year)})
        for wid, w in inputs.workloads.items()
    }
    site = inputs.site.model_copy(update={"capex_budget": None})
    return dataclasses.replace(inputs, workloads=MappingProxyType(workloads), site=site)


class CurveCache:
    """Chords and node counts per training curve, shared by the years and options of a
    fleet model (the chord walk is the costly part of a training option)."""

    def __init__(self) -> None:
        self._chords: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self._nodes: dict[tuple[int, float], int | None] = {}
        # Keyed by the option's id; the option is held so that id is not reused.
        self._sized: dict[tuple[int, float, bool], tuple[Option, Option | None]] = {}

    def chords(self, curve: Any, max_nodes: int) -> list[tuple[float, float]]:
        key = (id(curve), max_nodes)
        if key not in self._chords:
            self._chords[key] = list(curve.cuts(max_nodes))
        return self._chords[key]

    def nodes_for(self, curve: Any, target: float) -> int | None:
        key = (id(curve), target)
        if key not in self._nodes:
            self._nodes[key] = curve.nodes_for(target).nodes
        return self._nodes[key]

    def year_option(self, o: Option, target: float, part: bool) -> Option | None:
        """`year_option`, once per (option, target, part): the fleet presolve and the
        model of the same engine size the same options for the same years."""
        key = (id(o), target, part)
        if key not in self._sized:
            self._sized[key] = (o, year_option(o, target, part, self))
        return self._sized[key][1]


def year_option(o: Option, target: float, part: bool, cache: CurveCache) -> Option | None:
    """Option o (built for the peak target) serving `target` tokens/s in one year.

    Inference: the year's target replicas. Training: the fewest whole systems
    meeting the year's target and the cuts of `TrainingPerformance.cuts` for it
    (exact at that size; a part's cuts are the curve's chords, `fleet.part_cuts`).
    None when the option cannot meet the year's target alone and is not a part.
    """
    if o.kind == "inference":
        replicas = math.ceil(target / o.tokens_per_replica - 1e-9)
        return dataclasses.replace(o, target_tokens_per_s=target, target_replicas=replicas)
    assert o.curve is not None, "training options carry their curve"
    need = cache.nodes_for(o.curve, target)
    if need is None:
        return None
    step = o.nodes_per_system
    nodes = max(o.min_nodes, -(-need // step) * step)
    if nodes > o.max_nodes:
        return None
    chords = cache.chords(o.curve, o.max_nodes)
    if part:
        return with_cuts(
            dataclasses.replace(o, target_tokens_per_s=target, target_nodes=nodes), chords
        )
    perf = TrainingPerformance(o.curve, target, o.min_nodes, nodes, o.max_nodes)
    return with_cuts(
        dataclasses.replace(o, target_tokens_per_s=target, target_nodes=nodes),
        perf.cuts(o.max_nodes, chords),
    )


def year_options(
    inputs: PlanningInputs,
    options: list[Option],
    plan: Schedule,
    year: int,
    cache: CurveCache,
) -> tuple[list[Option], set[OptionKey]]:
    """The options sized for one year, and the keys closed that year (see `year_option`).

    Under a domestic share a year's pools may hold spare domestic capacity
    (`tco.model.share.grow`): its bound is proven for one period, so it is applied per
    year on that year's targets (a pool that serves less in one year is, in that year,
    a single-period pool; what it bought for other years stays installed). Parts of a
    mixed workload grow to their physical size.
    """
    yearly = year_inputs(inputs, plan, year)
    probe = ModelContext(inputs=yearly, options=[])
    sized: list[Option] = []
    closed: set[OptionKey] = set()
    for o in options:
        target = plan.target(o.workload, year)
        fitted = cache.year_option(o, target, probe.is_part(o.workload))
        if fitted is None:
            closed.add(o.key)
            fitted = o
        sized.append(fitted)
    return grow(yearly, sized, bounded=not probe.mixed), closed


def lifetime(inputs: PlanningInputs, o: Option, stock: str) -> int:
    """Years a tranche of `stock` serves [years]; blank = the horizon."""
    horizon = int(inputs.site.horizon_years)
    if stock == "systems":
        years = inputs.chips[o.chip].lifetime_years
    elif stock in ("leaf", "spine", "core", "links"):
        years = inputs.fabrics[o.fabric].lifetime_years
    elif stock in ("racks", "it_kw"):
        years = inputs.coolings[o.cooling].lifetime_years
    else:
        years = None  # the data hall is a building
    return int(years or horizon)


@dataclass(frozen=True)
class StockLine:
    """One cost line bought with a stock: `units` per stock unit at a year-1 `unit_price`."""

    line: registry.CostLine
    units: float
    unit_price: float
    #: Price change per year (the chip's, for lines the Chips sheet prices).
    change_per_year: float

    def price(self, year: int) -> float:
        """Unit price of a year-`year` purchase [currency/unit]."""
        return self.unit_price * (1.0 + self.change_per_year) ** (year - 1)


def stock_lines(inputs: PlanningInputs, o: Option) -> dict[str, tuple[StockLine, ...]]:
    """Every cost line of option o's pool, by the stock it is bought with.

    A system brings cards_per_node x nodes_per_system cards, nodes_per_system hosts
    and NIC cards for each; every other line is one unit of its quantity per unit
    of stock (2 transceivers per link from the registry's `per_quantity`).
    """
    chip = inputs.chips[o.chip]
    lookup = registry.row_lookup(
        chip, inputs.fabrics[o.fabric], inputs.coolings[o.cooling], inputs.site
    )
    per_system = {
        "cards": o.cards_per_node * o.nodes_per_system,
        "nodes": o.nodes_per_system,
        "systems": 1,
        "nics": o.nic_cards_per_node * o.nodes_per_system,
    }
    out: dict[str, list[StockLine]] = {s: [] for s in STOCKS}
    for line in registry.LINES:
        stock = STOCK_OF[line.quantity]
        units = line.per_quantity * per_system.get(line.quantity, 1)
        change = chip.price_change_per_year if line.price_sheet == "Chips" else 0.0
        out[stock].append(StockLine(line, float(units), float(line.unit_price(lookup)), change))
    return {s: tuple(lines) for s, lines in out.items()}


def tranche_factor(inputs: PlanningInputs, year: int, life: int) -> float:
    """Share of a tranche bought for `year` with lifetime `life` left after the horizon."""
    horizon = int(inputs.site.horizon_years)
    return max(0, year + life - 1 - horizon) / life


@dataclass
class FleetContext:
    """The built fleet model's parts: the year blocks and what prices the purchases."""

    inputs: PlanningInputs
    plan: Schedule
    options: dict[OptionKey, Option]
    years: dict[int, tuple[pyo.Block, ModelContext]]
    lines: dict[OptionKey, dict[str, tuple[StockLine, ...]]]
    lifetimes: dict[tuple[OptionKey, str], int]


def _serving(b: pyo.Block, k: OptionKey, stock: str) -> Any:
    """The quantity of `stock` option k's pool uses in year block b."""
    if stock == "systems":
        return b.e_systems[k]
    if stock == "it_kw":
        return b.e_it_kw[k]
    if stock == "facility_kw":
        return b.e_facility_kw[k]
    name = {"leaf": "v_leaf", "spine": "v_spine", "core": "v_core", "links": "v_links"}
    return getattr(b, name.get(stock, "v_racks"))[k]


def _serving_ub(b: pyo.Block, k: OptionKey) -> float:
    """Most systems option k's pool may hold in year block b."""
    if k in b.SYSTEM_OPTIONS:
        return float(b.v_systems[k].ub)
    return float(b.v_nodes[k].ub)


def build_fleet_model(
    inputs: PlanningInputs,
    options: list[Option],
    plan: Schedule,
    cache: CurveCache | None = None,
) -> tuple[pyo.ConcreteModel, FleetContext]:
    """One block per year (the single-period modules), the purchases, and the objective.

    `options` are built for the peak targets (`peak_inputs`); an option that cannot
    meet some year's target alone is closed that year (a part never is). `cache` may
    hold the yearly sizes the fleet presolve computed already.
    """
    m = pyo.ConcreteModel(name="tco_fleet")
    horizon = plan.horizon
    years: dict[int, tuple[pyo.Block, ModelContext]] = {}
    cache = cache if cache is not None else CurveCache()
    for year in range(1, horizon + 1):
        yearly = year_inputs(inputs, plan, year)
        sized, closed = year_options(inputs, options, plan, year, cache)
        ctx = ModelContext(inputs=yearly, options=sized)
        b = pyo.Block()
        m.add_component(f"year_{year}", b)
        for module in (pools, network, facility, costs, limits):
            module.add_to(b, ctx)
        for o in sized:
            if o.key in closed or inputs.chips[o.chip].available_from_year > year:
                b.v_use[o.key].setub(0)
        years[year] = (b, ctx)
    fc = FleetContext(
        inputs,
        plan,
        {o.key: o for o in options},
        years,
        {o.key: stock_lines(inputs, o) for o in options},
        {(o.key, s): lifetime(inputs, o, s) for o in options for s in STOCKS},
    )
    add_purchases(m, fc)
    fleet_cuts.add_capacity_cover(m, fc)
    return m, fc


def add_purchases(m: pyo.ConcreteModel, fc: FleetContext) -> None:
    """Purchases, installed stock >= serving, yearly cash flows and the objective."""
    inputs, horizon = fc.inputs, fc.plan.horizon
    site = inputs.site
    index = [(*k, s) for k in fc.options for s in STOCKS]
    m.BUY = pyo.Set(initialize=[(*ks, y) for ks in index for y in range(1, horizon + 1)], dimen=6)

    def bounds(_: Any, *kst: Any) -> tuple[float, float | None]:
        k, stock, year = kst[:4], kst[4], kst[5]
        o = fc.options[k]
        if inputs.chips[o.chip].available_from_year > year:
            return (0.0, 0.0)
        if stock in ("it_kw", "facility_kw"):
            return (0.0, None)
        blocks = [b for b, _ in fc.years.values()]
        if stock == "systems":
            return (0.0, float(max(_serving_ub(b, k) for b in blocks)))
        return (0.0, max(_serving(b, k, stock).ub for b in blocks))

    def domain(_: Any, *kst: Any) -> Any:
        return pyo.NonNegativeIntegers if kst[4] in INTEGER_STOCKS else pyo.NonNegativeReals

    m.v_buy = pyo.Var(m.BUY, domain=domain, bounds=bounds)

    def installed(k: OptionKey, stock: str, year: int) -> Any:
        life = fc.lifetimes[(k, stock)]
        return sum(m.v_buy[(*k, stock, y)] for y in range(max(1, year - life + 1), year + 1))

    def stock_constraint(m: pyo.ConcreteModel, *kst: Any) -> Any:
        """installed[o,s,y] >= serving[o,s,y] [units of the stock]: what serves was bought
        within its lifetime."""
        k, stock, year = kst[:4], kst[4], kst[5]
        return installed(k, stock, year) >= _serving(fc.years[year][0], k, stock)

    m.stock_constraint = pyo.Constraint(m.BUY, rule=stock_constraint)

    if site.max_racks is not None:

        def installed_racks_constraint(m: pyo.ConcreteModel, y: int) -> Any:
            """sum_o installed racks[o,y] <= max_racks [racks]: idle racks hold positions too."""
            return sum(installed(k, "racks", y) for k in fc.options) <= site.max_racks

        m.installed_racks_constraint = pyo.Constraint(
            range(1, horizon + 1), rule=installed_racks_constraint
        )
    capped = sorted(
        {o.chip for o in fc.options.values() if inputs.chips[o.chip].max_cards is not None}
    )
    m.INSTALLED_CAPS = pyo.Set(
        initialize=[(c, y) for c in capped for y in range(1, horizon + 1)], dimen=2
    )

    def installed_cards_constraint(m: pyo.ConcreteModel, c: str, y: int) -> Any:
        """sum_o system_cards x installed systems[o,y] <= max_cards [cards], chip c."""
        cards = sum(
            o.system_cards * installed(k, "systems", y)
            for k, o in fc.options.items()
            if o.chip == c
        )
        return cards <= inputs.chips[c].max_cards

    m.installed_cards_constraint = pyo.Constraint(m.INSTALLED_CAPS, rule=installed_cards_constraint)

    def price(k: OptionKey, stock: str, year: int, hardware_only: bool = False) -> float:
        lines = fc.lines[k][stock]
        return sum(
            sl.units * sl.price(year)
            for sl in lines
            if not hardware_only or sl.line.category in registry.HARDWARE_CATEGORIES
        )

    stacks = registry.stack_migration_costs(usable_chips(inputs))
    used = sorted({s for b, _ in fc.years.values() for s in b.STACKS})
    m.ADOPT = pyo.Set(initialize=[(s, y) for s in used for y in range(1, horizon + 1)], dimen=2)
    m.v_adopt = pyo.Var(m.ADOPT, within=pyo.Binary)

    def adopt_constraint(m: pyo.ConcreteModel, s: str, y: int) -> Any:
        """adopt[s,y] >= stack[s] of year y: a stack serving in y has been ported."""
        return m.v_adopt[s, y] >= fc.years[y][0].v_stack[s]

    m.adopt_constraint = pyo.Constraint(m.ADOPT, rule=adopt_constraint)

    def adopt_once_constraint(m: pyo.ConcreteModel, s: str, y: int) -> Any:
        """adopt[s,y] >= adopt[s,y-1]: a port is done once and stays done."""
        if y == 1:
            return pyo.Constraint.Skip
        return m.v_adopt[s, y] >= m.v_adopt[s, y - 1]

    m.adopt_once_constraint = pyo.Constraint(m.ADOPT, rule=adopt_once_constraint)

    def migration(s: str, y: int) -> Any:
        previous = m.v_adopt[s, y - 1] if y > 1 else 0.0
        return stacks[s][0] * (m.v_adopt[s, y] - previous)

    capex = {
        y: sum(price(k, s, y) * m.v_buy[(*k, s, y)] for k in fc.options for s in STOCKS)
        + sum(migration(s, y) for s in used)
        for y in range(1, horizon + 1)
    }
    m.e_capex = pyo.Expression(range(1, horizon + 1), rule=lambda _, y: capex[y])
    energy = {
        y: sum(v for name, v in ctx.costs.opex_per_year.items() if name.startswith("energy:"))
        for y, (_, ctx) in fc.years.items()
    }
    m.e_energy = pyo.Expression(range(1, horizon + 1), rule=lambda _, y: energy[y])

    def maintenance(y: int) -> Any:
        terms = []
        for k in fc.options:
            for s in STOCKS:
                life = fc.lifetimes[(k, s)]
                for bought in range(max(1, y - life + 1), y + 1):
                    hw = price(k, s, bought, hardware_only=True)
                    if hw:
                        terms.append(hw * m.v_buy[(*k, s, bought)])
        return site.maintenance_rate * sum(terms)

    m.e_maintenance = pyo.Expression(range(1, horizon + 1), rule=lambda _, y: maintenance(y))
    m.e_residual = pyo.Expression(
        expr=sum(
            price(k, s, y) * tranche_factor(inputs, y, fc.lifetimes[(k, s)]) * m.v_buy[(*k, s, y)]
            for k in fc.options
            for s in STOCKS
            for y in range(1, horizon + 1)
            if tranche_factor(inputs, y, fc.lifetimes[(k, s)]) > 0
        )
    )
    if site.capex_budget is not None:

        def capex_budget_constraint(m: pyo.ConcreteModel, y: int) -> Any:
            """capex[y] (purchases and migration) <= capex_budget [currency]."""
            return m.e_capex[y] <= site.capex_budget

        m.capex_budget_constraint = pyo.Constraint(
            range(1, horizon + 1), rule=capex_budget_constraint
        )
    rate = site.discount_rate
    tco = (
        sum((1 + rate) ** -(y - 1) * m.e_capex[y] for y in range(1, horizon + 1))
        + sum(
            (1 + rate) ** -y * (m.e_energy[y] + m.e_maintenance[y]) for y in range(1, horizon + 1)
        )
        - (1 + rate) ** -horizon * m.e_residual
    )
    m.objective = pyo.Objective(expr=MONEY_SCALE * tco, sense=pyo.minimize)


@dataclass(frozen=True)
class Purchase:
    """Units of one stock of one option bought for the start of `year`."""

    option: Option
    stock: str
    year: int
    units: float


@dataclass(frozen=True)
class FleetDecisions:
    """What the solved fleet model decided: each year's serving pools and the purchases."""

    years: dict[int, Decisions]
    purchases: tuple[Purchase, ...]
    adopted: dict[int, tuple[str, ...]]


def fleet_decisions(m: pyo.ConcreteModel, fc: FleetContext) -> FleetDecisions:
    """Read the incumbent: per-year decisions through the modules, purchases by stock."""
    years = {y: decisions(b, ctx) for y, (b, ctx) in fc.years.items()}
    bought = []
    for kst in m.BUY:
        units = value_of(m.v_buy[kst])
        if kst[4] in INTEGER_STOCKS:
            units = float(count_of(m.v_buy[kst]))
        if units > 1e-9:
            bought.append(Purchase(fc.options[kst[:4]], kst[4], kst[5], units))
    adopted = {
        y: tuple(s for s, yy in m.ADOPT if yy == y and value_of(m.v_adopt[s, y]) > 0.5)
        for y in fc.years
    }
    return FleetDecisions(years, tuple(bought), adopted)
