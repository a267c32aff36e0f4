"""A solved fleet model -> a Plan with its tranches, re-costed year by year.

Each operating year's serving pools go through `extract_plan` (true throughput
from the performance model, the least fabric and racks they need, every target and
limit of that year checked). The purchases are priced again from the input rows
(`tco.model.years.stock_lines`, the registry's lines) into capex per year at that
year's prices, maintenance on the installed tranches, energy of the serving pools
and the straight-line residual value, discounted as `tco.model.years` states; the
total must equal the solver's objective to 1e-6 relative (a proven optimum) or be
no more than it (an incumbent the solver stopped on). Otherwise `PlanCheckError`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field

from tco.costs import registry
from tco.model.context import MONEY_SCALE
from tco.model.options import Option, OptionKey
from tco.model.years import (
    FleetContext,
    FleetDecisions,
    Schedule,
    stock_lines,
    tranche_factor,
    year_inputs,
)
from tco.plan.extract import (
    RECOST_TOLERANCE,
    BomLine,
    CashFlowYear,
    Plan,
    PlanCheckError,
    PoolPlan,
    extract_plan,
)
from tco.schema.inputs import PlanningInputs, usable_chips
from tco.solve.highs import SolveOutcome, relative_gap


@dataclass(frozen=True)
class Tranche:
    """What one option bought for the start of one year: its systems (0 when it buys only
    racks, cooling plant, data hall or network, as when those retire before the cards) and
    the rest of its BOM, all in `capex`."""

    year: int
    workload: str
    chip: str
    fabric: str
    cooling: str
    systems: int
    nodes: int
    cards: int
    capex: float


@dataclass(frozen=True)
class FleetYear:
    """One operating year: what is installed, bought, retired, serving, and paid."""

    year: int
    #: Cards installed (bought and not retired), bought for this year and retired at its
    #: start, per chip.
    installed_cards: dict[str, int]
    bought_cards: dict[str, int]
    retired_cards: dict[str, int]
    #: Racks installed, idle or not.
    racks: int
    #: The serving pools' power [kW].
    it_kw: float
    facility_kw: float
    #: Purchases for this year and migration first paid in it, at this year's prices,
    #: paid at the end of year - 1 [currency].
    capex: float
    migration: float
    energy: float
    maintenance: float
    #: Straight-line value left after the horizon, credited in the last year [currency].
    residual: float
    throughput: dict[str, float]
    target: dict[str, float]
    #: The year's serving fleet as a single-period plan (pools, power, share).
    serving: Plan

    @property
    def opex(self) -> float:
        return float(registry.yearly_opex(self.energy, self.maintenance))


@dataclass(frozen=True)
class FleetPlan:
    years: tuple[FleetYear, ...]
    tranches: tuple[Tranche, ...]
    tco: float
    tco_nominal: float
    residual: float


def _tranche_lines(
    inputs: PlanningInputs,
    o: Option,
    stock: str,
    year: int,
    units: float,
    life: int | None = None,
) -> list[BomLine]:
    """The BOM lines of `units` of one stock bought for `year` at that year's prices; with
    the stock's `life`, each says through which year it is installed and what share of
    it the residual credits (`BomLine.in_service_to`, `residual_share`)."""
    horizon = int(inputs.site.horizon_years)
    in_service_to = None if life is None else min(horizon, year + life - 1)
    share = 0.0 if life is None else tranche_factor(inputs, year, life)
    chip, fabric, cooling = (
        inputs.chips[o.chip],
        inputs.fabrics[o.fabric],
        inputs.coolings[o.cooling],
    )
    out = []
    for sl in stock_lines(inputs, o)[stock]:
        quantity = sl.units * units
        if quantity <= 0:
            continue
        unit_price = sl.price(year)
        source_id = registry.row_id(sl.line, chip, fabric, cooling)
        out.append(
            BomLine(
                f"{o.workload} on {o.chip}, {o.fabric}, {o.cooling}",
                sl.line.key,
                sl.line.label(chip, fabric, cooling),
                sl.line.category,
                float(quantity),
                sl.line.unit,
                float(unit_price),
                float(registry.extended_price(quantity, unit_price)),
                sl.line.price_sheet,
                source_id,
                inputs.source_rows.get((sl.line.price_sheet, source_id)),
                registry.confidence(sl.line, chip, fabric, cooling),
                year,
                in_service_to,
                share,
            )
        )
    return out


def extract_fleet(
    inputs: PlanningInputs,
    fc: FleetContext,
    decided: FleetDecisions,
    outcome: SolveOutcome,
) -> Plan:
    """The fleet's Plan: the last year's pools, every tranche on the BOM, yearly cash flow."""
    plan: Schedule = fc.plan
    horizon, rate = plan.horizon, inputs.site.discount_rate
    serving = {}
    for y, d in decided.years.items():
        try:
            serving[y] = extract_plan(year_inputs(inputs, plan, y), d, outcome, recost=False)
        except PlanCheckError as error:
            raise PlanCheckError(f"year {y}: {error}") from error
    lines_by_year: dict[int, list[BomLine]] = defaultdict(list)
    systems_bought: dict[tuple[int, OptionKey], int] = defaultdict(int)
    residual = 0.0
    hardware_by_year: dict[int, float] = defaultdict(float)
    own = _OptionCosts()
    for p in decided.purchases:
        life = fc.lifetimes[(p.option.key, p.stock)]
        lines = _tranche_lines(inputs, p.option, p.stock, p.year, p.units, life)
        lines_by_year[p.year] += lines
        left = tranche_factor(inputs, p.year, life)
        spent = sum(line.extended for line in lines)
        residual += left * spent
        hardware = sum(
            line.extended for line in lines if line.category in registry.HARDWARE_CATEGORIES
        )
        own.capex[(p.option.key, p.year)] += spent
        own.residual[p.option.key] += left * spent
        for alive in range(p.year, min(horizon, p.year + life - 1) + 1):
            hardware_by_year[alive] += hardware
            own.hardware[(p.option.key, alive)] += hardware
        # Every option's purchases of a year are a tranche, systems or not: a rack, the
        # cooling plant or the network bought again when its own lifetime ends is capex too.
        systems_bought[(p.year, p.option.key)] += round(p.units) if p.stock == "systems" else 0
    stacks = registry.stack_migration_costs(usable_chips(inputs))
    # A stack is adopted when the solver pays its migration; one that costs nothing the
    # solver may mark adopted in any year, so it is dated by its first serving pool
    # instead (and not listed when no pool ever runs on it).
    adoption: dict[str, int] = {}
    for y in range(1, horizon + 1):
        for s in decided.adopted.get(y, ()):
            if stacks[s][0] > 0:
                adoption.setdefault(s, y)
        for s in serving[y].stacks:
            adoption.setdefault(s, y)
    migration_by_year: dict[int, float] = defaultdict(float)
    seen: set[str] = set()
    for y in range(1, horizon + 1):
        for s in sorted(s for s, first in adoption.items() if first == y):
            seen.add(s)
            cost, chip_id = stacks[s]
            migration_by_year[y] += cost
            lines_by_year[y].append(
                BomLine(
                    "site",
                    registry.MIGRATION_KEY,
                    f"Software migration to {s}",
                    registry.MIGRATION_CATEGORY,
                    1.0,
                    registry.MIGRATION_UNIT,
                    cost,
                    cost,
                    "Chips",
                    chip_id,
                    inputs.source_rows.get(("Chips", chip_id)),
                    "low",
                    y,
                )
            )
    for y, sp in serving.items():
        missing = set(sp.stacks) - seen
        if missing:
            raise PlanCheckError(f"year {y} serves on {sorted(missing)} without paying its port")
    installed: dict[int, dict[str, int]] = {}
    bought: dict[int, dict[str, int]] = {}
    retired: dict[int, dict[str, int]] = {}
    racks: dict[int, int] = {}
    for y in range(1, horizon + 1):
        installed[y], bought[y], retired[y] = defaultdict(int), defaultdict(int), defaultdict(int)
        racks[y] = 0
    for (year, key), systems in systems_bought.items():
        if not systems:
            continue  # a tranche without cards
        o = fc.options[key]
        life = fc.lifetimes[(key, "systems")]
        cards = systems * o.system_cards
        bought[year][o.chip] += cards
        for alive in range(year, min(horizon, year + life - 1) + 1):
            installed[alive][o.chip] += cards
        if year + life <= horizon:
            retired[year + life][o.chip] += cards
    for p in decided.purchases:
        if p.stock == "racks":
            life = fc.lifetimes[(p.option.key, "racks")]
            for alive in range(p.year, min(horizon, p.year + life - 1) + 1):
                racks[alive] += round(p.units)
    years = []
    tco = tco_nominal = 0.0
    for y in range(1, horizon + 1):
        sp = serving[y]
        capex = sum(line.extended for line in lines_by_year[y])
        maintenance = inputs.site.maintenance_rate * hardware_by_year[y]
        left = residual if y == horizon else 0.0
        energy = sp.energy_per_year
        tco += (1 + rate) ** -(y - 1) * capex + (1 + rate) ** -y * (energy + maintenance - left)
        tco_nominal += capex + energy + maintenance - left
        throughput: dict[str, float] = defaultdict(float)
        for pool in sp.pools:
            throughput[pool.workload] += pool.throughput_tokens_per_s
        for chip, cards in _serving_cards(sp).items():
            if cards > installed[y].get(chip, 0):
                raise PlanCheckError(
                    f"year {y}: {cards:,} {chip} cards serve but {installed[y].get(chip, 0):,} "
                    "are installed"
                )
        years.append(
            FleetYear(
                year=y,
                installed_cards=dict(installed[y]),
                bought_cards=dict(bought[y]),
                retired_cards=dict(retired[y]),
                racks=racks[y],
                it_kw=sp.it_kw,
                facility_kw=sp.facility_kw,
                capex=capex,
                migration=migration_by_year[y],
                energy=energy,
                maintenance=maintenance,
                residual=left,
                throughput=dict(throughput),
                target={w: plan.target(w, y) for w in inputs.workloads},
                serving=sp,
            )
        )
    objective = (outcome.objective or 0.0) / MONEY_SCALE
    if outcome.status != "optimal" and tco < objective:
        objective = tco
        outcome = dataclasses.replace(
            outcome, objective=tco * MONEY_SCALE, gap=relative_gap(tco * MONEY_SCALE, outcome.bound)
        )
    if abs(tco - objective) > RECOST_TOLERANCE * max(abs(tco), 1.0):
        raise PlanCheckError(
            f"re-costed fleet TCO {tco:,.2f} differs from the solver's objective {objective:,.2f}"
        )
    tranches = []
    for (year, key), systems in sorted(systems_bought.items()):
        o = fc.options[key]
        tranches.append(
            Tranche(
                year,
                o.workload,
                o.chip,
                o.fabric,
                o.cooling,
                systems,
                systems * o.nodes_per_system,
                systems * o.system_cards,
                _tranche_capex(inputs, decided, year, key),
            )
        )
    fleet = FleetPlan(tuple(years), tuple(tranches), tco, tco_nominal, residual)
    last = serving[horizon]
    pools = tuple(own.priced(inputs, p, serving) for p in last.pools)
    bom = tuple(line for y in sorted(lines_by_year) for line in lines_by_year[y])
    capex_total = sum(fy.capex for fy in years)
    return dataclasses.replace(
        last,
        pools=pools,
        status=outcome.status,
        mip_gap=outcome.gap,
        solve_seconds=outcome.seconds,
        bom=bom,
        stacks=tuple(sorted(seen)),
        capex=capex_total,
        migration=sum(migration_by_year.values()),
        energy_per_year=years[-1].energy,
        maintenance_per_year=years[-1].maintenance,
        tco=tco,
        tco_nominal=tco_nominal,
        objective=objective,
        cash_flow=fleet_cash_flow(inputs, years),
        fleet=fleet,
        warnings=_fleet_warnings(serving, outcome),
    )


@dataclass
class _OptionCosts:
    """What each option bought, year by year, to price its pool over the whole fleet."""

    capex: dict[tuple[OptionKey, int], float] = field(default_factory=lambda: defaultdict(float))
    hardware: dict[tuple[OptionKey, int], float] = field(default_factory=lambda: defaultdict(float))
    residual: dict[OptionKey, float] = field(default_factory=lambda: defaultdict(float))

    def priced(self, inputs: PlanningInputs, pool: PoolPlan, serving: dict[int, Plan]) -> PoolPlan:
        """The last year's pool with the fleet's figures for its option:

          capex = sum_y capex[o,y]                                     [currency, nominal]
          tco   = sum_y (1+r)^-(y-1) capex[o,y] + (1+r)^-y (energy[o,y] + m x hardware[o,y])
                  - (1+r)^-H residual[o]                                          [currency]
          cost per Mtok = tco / (sum_y (1+r)^-y x target[o,y] x s a year / 1e6)

        with energy[o,y] and target[o,y] those of the option's serving pool in year y (none
        when it does not serve) and m = maintenance_rate; migration stays the site's (in
        the fleet's TCO, not a pool's), so the pools' TCOs add up to the fleet's less
        migration and the options not serving in the last year.
        """
        site = inputs.site
        rate, horizon = site.discount_rate, int(site.horizon_years)
        key = (pool.workload, pool.chip, pool.fabric, pool.cooling)
        capex = tco = tokens = 0.0
        for y in range(1, horizon + 1):
            spent = self.capex.get((key, y), 0.0)
            same = [q for q in serving[y].pools if (q.workload, q.chip, q.fabric, q.cooling) == key]
            energy = sum(q.energy_per_year for q in same)
            upkeep = site.maintenance_rate * self.hardware.get((key, y), 0.0)
            capex += spent
            tco += (1 + rate) ** -(y - 1) * spent + (1 + rate) ** -y * (energy + upkeep)
            tokens += (1 + rate) ** -y * sum(q.target_tokens_per_s for q in same)
        tco -= (1 + rate) ** -horizon * self.residual.get(key, 0.0)
        per_million = tco / (tokens * registry.SECONDS_PER_YEAR / 1e6) if tokens else 0.0
        return dataclasses.replace(pool, capex=capex, tco=tco, cost_per_million_tokens=per_million)


def _tranche_capex(
    inputs: PlanningInputs, decided: FleetDecisions, year: int, key: OptionKey
) -> float:
    """Capex of everything option `key` bought for `year` (every stock) [currency]."""
    total = 0.0
    for p in decided.purchases:
        if p.year == year and p.option.key == key:
            total += sum(
                line.extended for line in _tranche_lines(inputs, p.option, p.stock, year, p.units)
            )
    return total


def _serving_cards(plan: Plan) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for pool in plan.pools:
        out[pool.chip] += pool.cards
    return out


def fleet_cash_flow(inputs: PlanningInputs, years: list[FleetYear]) -> tuple[CashFlowYear, ...]:
    """Cash-flow years 0..H: the purchases for year y + 1 at the end of year y, the opex of
    year y at its end, the residual (negative capex) at the end of year H."""
    horizon = int(inputs.site.horizon_years)
    rows, cumulative = [], 0.0
    by_year = {fy.year: fy for fy in years}
    for t in range(0, horizon + 1):
        capex = by_year[t + 1].capex if t + 1 in by_year else 0.0
        energy = by_year[t].energy if t in by_year else 0.0
        maintenance = by_year[t].maintenance if t in by_year else 0.0
        if t == horizon:
            capex -= by_year[t].residual
        total = capex + energy + maintenance
        factor = registry.discount_factor(inputs.site, t)
        cumulative += total * factor
        rows.append(
            CashFlowYear(t, capex, energy, maintenance, total, factor, total * factor, cumulative)
        )
    return tuple(rows)


def _fleet_warnings(serving: dict[int, Plan], outcome: SolveOutcome) -> tuple[str, ...]:
    out: list[str] = []
    for sp in serving.values():
        out += [w for w in sp.warnings if w not in out and not w.startswith("NOT PROVEN")]
    if outcome.status != "optimal":
        gap = f"{outcome.gap:.2%}" if outcome.gap is not None else "unknown"
        out.insert(
            0, f"NOT PROVEN OPTIMAL: the solver stopped ({outcome.termination}) with gap {gap}"
        )
    return tuple(out)
