"""The cost-line registry: the only place a bill-of-materials line or cost equation is defined.

Each `CostLine` names its key, category, the quantity it is counted in (a
decision of the model or a quantity derived from the decisions), how many
units one of that quantity buys, and the input field that prices it. From
that one declaration come, with the same arithmetic:

- the Pyomo expression of the objective (quantities are Pyomo variables or
  expressions, fields are numbers),
- the number on a solved `Plan`'s BOM and the independent re-costing
  (quantities and fields are numbers),
- the Excel formula of the report (quantities and fields are `Formula` cell
  references, see `tco.costs.formula`).

Equations per pool, money in the workbook's currency, one year = 8,760 h:

- switches = leaf + spine + core
- IT power [kW] = (cards x tdp_w + nodes x node_power_w + systems x system_power_w
  + NICs x nic_power_w + switches x switch_power_w) / 1000
- facility power [kW] = IT kW x PUE
- capex = sum over `LINES` of units x unit price (optics = 2 per link:
  a transceiver at each end; cooling plant per IT kW; data hall per facility kW)
- energy [kWh/yr] = IT kW x utilization x PUE x 8760 h;
  energy per year = energy kWh x price per kWh
- maintenance per year = maintenance_rate x hardware capex (compute and network lines)
- opex per year = energy + maintenance
- a stack's one-off migration is split over its pools by cards (evenly if none has cards)
- TCO (discounted) = capex + migration + annuity x (energy + maintenance),
  annuity = sum_{y=1..H} (1 + rate)^-y; TCO (nominal) uses annuity = H.
- cost per million tokens = TCO / (target tokens/s x seconds per year x annuity / 1e6)
- training run over its deadline D [days], one year = 365 days:
  run opex = opex per year x D / 365;
  run cost = (capex + migration) x D / (365 x H) + run opex (the run's share: the
  upfront spend amortised straight-line over the horizon, plus the opex it burns);
  dedicated run cost = capex + migration + run opex (the cluster bought for one job)

Everything is linear in the quantities with no constant term, so a pool's
cost is a coefficient per decision (`coefficients`): the objective and the
dominance presolve's cost matrices use that instead of restating the equations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from tco.costs.linear import Linear

HOURS_PER_YEAR = 8760.0
SECONDS_PER_YEAR = HOURS_PER_YEAR * 3600.0
DAYS_PER_YEAR = HOURS_PER_YEAR / 24.0

#: Categories whose capex counts as hardware for maintenance.
HARDWARE_CATEGORIES = ("compute", "network")


@dataclass(frozen=True)
class PoolQuantities:
    """The counts a pool is bought in: numbers for a plan, Pyomo terms inside the model.

    These are the model's decisions (cards follow nodes or replicas); every
    other quantity derives from them (`derived`).
    """

    cards: Any
    nodes: Any
    #: Orderable systems (an NVL72 rack, a CloudMatrix 384; one server when the chip
    #: has no larger system): nodes = nodes_per_system x systems.
    systems: Any
    nics: Any
    leaf_switches: Any
    spine_switches: Any
    core_switches: Any
    links: Any
    racks: Any


#: Decision quantities, in `PoolQuantities` order.
DECISIONS: tuple[str, ...] = tuple(f.name for f in fields(PoolQuantities))

#: (sheet, field) -> value: numbers, Pyomo parameters or `Formula` references.
FieldLookup = Callable[[str, str], Any]


def switches(q: PoolQuantities) -> Any:
    """Switches of every tier [switches]."""
    return q.leaf_switches + q.spine_switches + q.core_switches


def it_kw(q: PoolQuantities, f: FieldLookup) -> Any:
    """IT power of a pool at peak [kW] = (cards x tdp + hosts + systems + NICs + switches)
    W / 1000."""
    watts = (
        q.cards * f("Chips", "tdp_w")
        + q.nodes * f("Chips", "node_power_w")
        + q.systems * f("Chips", "system_power_w")
        + q.nics * f("Fabrics", "nic_power_w")
        + switches(q) * f("Fabrics", "switch_power_w")
    )
    return watts / 1000.0


def facility_kw(it: Any, f: FieldLookup) -> Any:
    """Facility power [kW] = IT kW x PUE of the pool's cooling."""
    return it * f("Cooling", "pue")


def derived(q: PoolQuantities, f: FieldLookup) -> dict[str, Any]:
    """Every quantity a cost line may be counted in: the decisions plus kW and switches."""
    out = {name: getattr(q, name) for name in DECISIONS}
    out["switches"] = switches(q)
    out["it_kw"] = it_kw(q, f)
    out["facility_kw"] = facility_kw(out["it_kw"], f)
    return out


@dataclass(frozen=True)
class CostLine:
    """One BOM line of a pool: units = per_quantity x quantity, priced by one input field."""

    key: str
    category: str
    #: The decision or derived quantity (a key of `derived`) the line is counted in.
    quantity: str
    #: Units bought per unit of the quantity (2 transceivers per link).
    per_quantity: float
    unit: str
    price_sheet: str
    price_field: str
    #: Display text from the pool's chip, fabric and cooling rows; never used to match.
    label: Callable[[Any, Any, Any], str]

    def units(self, quantities: Mapping[str, Any]) -> Any:
        """Units bought [unit]."""
        amount = quantities[self.quantity]
        return amount if self.per_quantity == 1 else self.per_quantity * amount

    def unit_price(self, f: FieldLookup) -> Any:
        """Price of one unit [currency/unit]."""
        return f(self.price_sheet, self.price_field)

    def extended(self, quantities: Mapping[str, Any], f: FieldLookup) -> Any:
        """units x unit price [currency]."""
        return extended_price(self.units(quantities), self.unit_price(f))


def extended_price(units: Any, unit_price: Any) -> Any:
    """Price of a BOM line [currency] = units x unit price."""
    return units * unit_price


LINES: tuple[CostLine, ...] = (
    CostLine(
        "card",
        "compute",
        "cards",
        1,
        "card",
        "Chips",
        "card_price",
        lambda c, _f, _k: f"{c.name} card",
    ),
    CostLine(
        "host",
        "compute",
        "nodes",
        1,
        "node",
        "Chips",
        "node_price",
        lambda c, _f, _k: f"Host server for {c.name} ({c.cards_per_node} slots)",
    ),
    CostLine(
        "system",
        "compute",
        "systems",
        1,
        "system",
        "Chips",
        "system_price",
        lambda c, _f, _k: (
            f"System for {c.name}: {c.system_cards or c.cards_per_node} cards on "
            f"{c.scaleup_link} (scale-up fabric, rack and power shelves)"
        ),
    ),
    CostLine(
        "nic",
        "network",
        "nics",
        1,
        "NIC",
        "Fabrics",
        "nic_price",
        lambda _c, f, _k: f"{f.fabric_id} NIC port",
    ),
    CostLine(
        "leaf_switch",
        "network",
        "leaf_switches",
        1,
        "switch",
        "Fabrics",
        "switch_price",
        lambda _c, f, _k: f"{f.fabric_id} leaf switch",
    ),
    CostLine(
        "spine_switch",
        "network",
        "spine_switches",
        1,
        "switch",
        "Fabrics",
        "switch_price",
        lambda _c, f, _k: f"{f.fabric_id} spine switch",
    ),
    CostLine(
        "core_switch",
        "network",
        "core_switches",
        1,
        "switch",
        "Fabrics",
        "switch_price",
        lambda _c, f, _k: f"{f.fabric_id} core switch",
    ),
    CostLine(
        "optic",
        "network",
        "links",
        2,
        "transceiver",
        "Fabrics",
        "optic_price",
        lambda _c, f, _k: f"{f.fabric_id} optical transceiver",
    ),
    CostLine(
        "cable",
        "network",
        "links",
        1,
        "cable",
        "Fabrics",
        "cable_price",
        lambda _c, f, _k: f"{f.fabric_id} cable",
    ),
    CostLine(
        "rack",
        "facility",
        "racks",
        1,
        "rack",
        "Cooling",
        "rack_price",
        lambda _c, _f, k: f"Rack ({k.technology})",
    ),
    CostLine(
        "cooling_plant",
        "facility",
        "it_kw",
        1,
        "kW IT",
        "Cooling",
        "capex_per_kw",
        lambda _c, _f, k: f"Cooling plant ({k.technology})",
    ),
    CostLine(
        "data_hall",
        "facility",
        "facility_kw",
        1,
        "kW facility",
        "Site",
        "facility_capex_per_kw",
        lambda _c, _f, _k: "Data-hall build (per facility kW)",
    ),
)

LINES_BY_KEY: Mapping[str, CostLine] = {line.key: line for line in LINES}

#: The one-off line paid once per software stack a plan adopts, priced by the
#: `MIGRATION_PRICE_FIELD` of the chip row `stack_migration_costs` names.
MIGRATION_KEY = "migration"
MIGRATION_CATEGORY = "migration"
MIGRATION_UNIT = "one-off"
MIGRATION_PRICE_FIELD = "migration_cost"


def energy_kwh_per_year(it: Any, f: FieldLookup) -> Any:
    """IT kW x utilization x PUE x 8760 h [kWh/yr]."""
    return it * f("Site", "utilization") * f("Cooling", "pue") * HOURS_PER_YEAR


def energy_per_year(it: Any, f: FieldLookup) -> Any:
    """Energy kWh x price per kWh [currency/yr]."""
    return energy_kwh_per_year(it, f) * f("Site", "electricity_price_per_kwh")


def hardware_capex(extended: Iterable[tuple[CostLine, Any]]) -> Any:
    """Capex of the compute and network lines [currency]: what maintenance is a share of."""
    return sum((amount for line, amount in extended if line.category in HARDWARE_CATEGORIES), 0.0)


def maintenance_per_year(hardware_capex: Any, f: FieldLookup) -> Any:
    """maintenance_rate x hardware capex [currency/yr]."""
    return f("Site", "maintenance_rate") * hardware_capex


def yearly_opex(energy_per_year: Any, maintenance_per_year: Any) -> Any:
    """Opex [currency/yr] = energy + maintenance."""
    return energy_per_year + maintenance_per_year


def opex_present_value(opex_per_year: Any, annuity_factor: Any) -> Any:
    """Opex over the horizon, discounted [currency] = annuity x opex per year."""
    return annuity_factor * opex_per_year


def migration_share(stack_cost: Any, weight: Any, total_weight: Any) -> Any:
    """A pool's part of its stack's one-off migration [currency].

    The weights are the cards of the stack's pools, or 1 each when none has
    cards; a formula cannot branch, so the caller picks the weights.
    """
    return stack_cost * weight / total_weight


def discounted_tco(capex: Any, migration: Any, discounted_opex: Any) -> Any:
    """Cost over the horizon [currency] = capex + migration + discounted opex."""
    return capex + migration + discounted_opex


def cost_per_million_tokens(tco: Any, target_tokens_per_s: Any, annuity_factor: Any) -> Any:
    """Levelized [currency/Mtok] = TCO / (target tokens/s x s per year x annuity / 1e6).

    Discounted cost over the discounted tokens delivered at the target rate.
    """
    return tco / (target_tokens_per_s * SECONDS_PER_YEAR * annuity_factor / 1e6)


def run_opex(opex_per_year: Any, deadline_days: Any) -> Any:
    """Opex a training run burns [currency] = opex per year x deadline_days / 365.

    Not discounted: a run lasts days to months and starts when the cluster is built.
    """
    return opex_per_year * deadline_days / DAYS_PER_YEAR


def run_cost(
    capex: Any, migration: Any, opex_per_year: Any, deadline_days: Any, horizon_years: Any
) -> Any:
    """A training run's share of its pool's cost [currency].

    run cost = (capex + migration) x deadline_days / (365 x horizon_years)
    + opex per year x deadline_days / 365: the upfront spend amortised
    straight-line (no interest) over the horizon the cluster serves, plus the
    energy and maintenance of the run's days. What the job costs when the
    cluster goes on to other work after it.
    """
    upfront = capex + migration
    return upfront * deadline_days / (DAYS_PER_YEAR * horizon_years) + run_opex(
        opex_per_year, deadline_days
    )


def dedicated_run_cost(capex: Any, migration: Any, opex_per_year: Any, deadline_days: Any) -> Any:
    """A training run on a cluster bought for it alone [currency].

    dedicated run cost = capex + migration + opex per year x deadline_days / 365:
    the whole upfront spend is the job's, with the opex of the run's days only.
    """
    return capex + migration + run_opex(opex_per_year, deadline_days)


@dataclass(frozen=True)
class PricedLine:
    line: CostLine
    units: Any
    unit_price: Any

    @property
    def extended(self) -> Any:
        return extended_price(self.units, self.unit_price)


@dataclass(frozen=True)
class PoolCost:
    """A pool priced line by line; numbers or Pyomo expressions alike."""

    lines: tuple[PricedLine, ...]
    it_kw: Any
    facility_kw: Any

    energy_per_year: Any
    maintenance_per_year: Any

    @property
    def capex(self) -> Any:
        return sum((p.extended for p in self.lines), 0.0)

    @property
    def opex_per_year(self) -> Any:
        return yearly_opex(self.energy_per_year, self.maintenance_per_year)

    def spend(self, category: str) -> Any:
        """Capex of the lines of one category ("network": NICs, switches, optics, cables)."""
        return sum((p.extended for p in self.lines if p.line.category == category), 0.0)


def price_pool(q: PoolQuantities, f: FieldLookup) -> PoolCost:
    """Every capex line and the yearly opex of one pool."""
    quantities = derived(q, f)
    priced = tuple(PricedLine(line, line.units(quantities), line.unit_price(f)) for line in LINES)
    hardware = hardware_capex((p.line, p.extended) for p in priced)
    return PoolCost(
        lines=priced,
        it_kw=quantities["it_kw"],
        facility_kw=quantities["facility_kw"],
        energy_per_year=energy_per_year(quantities["it_kw"], f),
        maintenance_per_year=maintenance_per_year(hardware, f),
    )


def coefficients(f: FieldLookup) -> PoolCost:
    """The pool's cost equations as coefficients of each decision (`Linear` forms).

    Every equation here is linear without a constant, so a pool's cost is
    sum_d coefficient_d x decision_d; the model's objective uses these numbers,
    a flat linear expression Pyomo translates quickly, instead of the nested
    expression `price_pool` builds on variables. `Linear` refuses a constant
    or a product of decisions, so an equation that stops being linear fails loudly.
    """
    units = PoolQuantities(*(Linear({d: 1.0}) for d in DECISIONS))
    return price_pool(units, f)


def row_lookup(chip: Any, fabric: Any, cooling: Any, site: Any) -> FieldLookup:
    """Field values of one pool's input rows, as numbers."""
    rows = {"Chips": chip, "Fabrics": fabric, "Cooling": cooling, "Site": site}

    def lookup(sheet: str, field: str) -> float:
        return float(getattr(rows[sheet], field))

    return lookup


def row_id(line: CostLine, chip: Any, fabric: Any, cooling: Any) -> str:
    """The id of the input row that prices `line` for a pool (Site rows by key)."""
    if line.price_sheet == "Chips":
        return str(chip.chip_id)
    if line.price_sheet == "Fabrics":
        return str(fabric.fabric_id)
    if line.price_sheet == "Cooling":
        return str(cooling.cooling_id)
    return line.price_field


def confidence(line: CostLine, chip: Any, fabric: Any, cooling: Any) -> str:
    """How sure the unit price is: the row's price confidence (chips default to low)."""
    if line.price_sheet == "Chips":
        return str(chip.price_confidence)
    if line.price_sheet == "Fabrics":
        return str(fabric.confidence)
    if line.price_sheet == "Cooling":
        return str(cooling.confidence)
    return "medium"


def annuity(site: Any, discounted: bool = True) -> float:
    """Present value of 1 per year paid at the end of years 1..H."""
    years = int(site.horizon_years)
    if not discounted:
        return float(years)
    return float(sum((1.0 + site.discount_rate) ** -y for y in range(1, years + 1)))


def discount_factor(site: Any, year: int) -> float:
    return float(discount_factor_at(site.discount_rate, year))


def discount_factor_at(rate: Any, year: int) -> Any:
    """Present value of 1 paid at the end of `year` = (1 + rate)^-year."""
    return (1.0 + rate) ** -year


def share_amount(basis: str, chip: Any, cards: Any, nodes: Any, systems: Any) -> Any:
    """A pool's amount on a domestic-share basis (Site `domestic_share_basis`).

    cards [cards] = cards; compute [TFLOPS] = cards x bf16_tflops; spend
    [currency] = cards x card_price + nodes x node_price + systems x system_price
    (the accelerator-system purchase). Linear in (cards, nodes, systems) without
    a constant, so it works on numbers and on Pyomo expressions alike.
    """
    if basis == "cards":
        return cards
    if basis == "compute":
        return float(chip.bf16_tflops) * cards
    if basis == "spend":
        card = float(getattr(chip, LINES_BY_KEY["card"].price_field))
        host = float(getattr(chip, LINES_BY_KEY["host"].price_field))
        system = float(getattr(chip, LINES_BY_KEY["system"].price_field))
        return card * cards + host * nodes + system * systems
    raise ValueError(f"unknown domestic share basis {basis!r}")


def stack_migration_costs(chips: Mapping[str, Any]) -> dict[str, tuple[float, str]]:
    """One-off migration cost per software stack and the chip row it comes from.

    Chips on one stack share one porting effort; where their rows disagree the
    largest figure is used, so the plan never under-counts the effort. Pass only
    the chips a plan may buy (`tco.schema.inputs.usable_chips`): an unavailable
    or disallowed row must not price a stack the plan adopts through another chip.
    """
    out: dict[str, tuple[float, str]] = {}
    for chip_id, chip in chips.items():
        cost = float(getattr(chip, MIGRATION_PRICE_FIELD) or 0.0)
        if chip.software_stack not in out or cost > out[chip.software_stack][0]:
            out[chip.software_stack] = (cost, chip_id)
    return out
