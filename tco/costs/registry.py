"""Every cost term, in one place (Switch-style cost components).

The same functions price the MILP's quantities (Pyomo expressions) and a
solved plan's quantities (numbers), so the objective, the BOM and the
independent re-costing cannot disagree about what a thing costs; they only
differ in how the quantities were obtained.

Money is in the workbook's currency. Equations (per pool, one year = 8,760 h):

- IT power [kW] = (cards x tdp_w + nodes x node_power_w + NICs x nic_power_w
  + switches x switch_power_w) / 1000
- facility power [kW] = IT kW x PUE
- capex = sum of quantity x unit price over the lines of `price_lines`, with
  cooling plant = IT kW x capex_per_kw and facility = facility kW x
  facility_capex_per_kw
- energy per year = IT kW x utilization x PUE x 8760 h x price per kWh
- maintenance per year = maintenance_rate x hardware capex (cards, hosts,
  NICs, switches, optics, cables)
- TCO (discounted) = capex + migration + annuity x (energy + maintenance),
  annuity = sum_{y=1..H} (1 + rate)^-y; TCO (nominal) uses annuity = H.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HOURS_PER_YEAR = 8760.0

#: Categories whose capex counts as hardware for maintenance.
HARDWARE_CATEGORIES = ("compute", "network")


@dataclass(frozen=True)
class PoolQuantities:
    """Counts for one pool; numbers for a plan, Pyomo expressions inside the model."""

    cards: Any
    nodes: Any
    nics: Any
    leaf_switches: Any
    spine_switches: Any
    core_switches: Any
    links: Any
    racks: Any


@dataclass(frozen=True)
class PriceLine:
    """One BOM line: quantity x unit price, with the input row the price came from."""

    item: str
    category: str
    quantity: Any
    unit: str
    unit_price: float
    source_sheet: str
    source_id: str
    confidence: str

    @property
    def extended(self) -> Any:
        return self.quantity * self.unit_price


def switches(q: PoolQuantities) -> Any:
    return q.leaf_switches + q.spine_switches + q.core_switches


def it_kw(q: PoolQuantities, chip: Any, fabric: Any) -> Any:
    """IT power of a pool at peak [kW]."""
    watts = (
        q.cards * chip.tdp_w
        + q.nodes * chip.node_power_w
        + q.nics * fabric.nic_power_w
        + switches(q) * fabric.switch_power_w
    )
    return watts / 1000.0


def price_lines(
    q: PoolQuantities, chip: Any, fabric: Any, cooling: Any, site: Any
) -> list[PriceLine]:
    """The capex lines of one pool (migration is per software stack, see `migration_cost`)."""
    chip_conf = chip.price_confidence or "low"
    fab_conf = fabric.confidence or "medium"
    cool_conf = cooling.confidence or "medium"
    power_kw = it_kw(q, chip, fabric)
    fid, cid, kid = fabric.fabric_id, chip.chip_id, cooling.cooling_id
    return [
        PriceLine(
            f"{chip.name} card",
            "compute",
            q.cards,
            "card",
            chip.card_price,
            "Chips",
            cid,
            chip_conf,
        ),
        PriceLine(
            f"Host server for {chip.name} ({chip.cards_per_node} slots)",
            "compute",
            q.nodes,
            "node",
            chip.node_price,
            "Chips",
            cid,
            chip_conf,
        ),
        PriceLine(
            f"{fid} NIC port", "network", q.nics, "NIC", fabric.nic_price, "Fabrics", fid, fab_conf
        ),
        PriceLine(
            f"{fid} leaf switch",
            "network",
            q.leaf_switches,
            "switch",
            fabric.switch_price,
            "Fabrics",
            fid,
            fab_conf,
        ),
        PriceLine(
            f"{fid} spine switch",
            "network",
            q.spine_switches,
            "switch",
            fabric.switch_price,
            "Fabrics",
            fid,
            fab_conf,
        ),
        PriceLine(
            f"{fid} core switch",
            "network",
            q.core_switches,
            "switch",
            fabric.switch_price,
            "Fabrics",
            fid,
            fab_conf,
        ),
        PriceLine(
            f"{fid} optical transceiver",
            "network",
            2 * q.links,
            "transceiver",
            fabric.optic_price,
            "Fabrics",
            fid,
            fab_conf,
        ),
        PriceLine(
            f"{fid} cable",
            "network",
            q.links,
            "cable",
            fabric.cable_price,
            "Fabrics",
            fid,
            fab_conf,
        ),
        PriceLine(
            f"Rack ({cooling.technology})",
            "facility",
            q.racks,
            "rack",
            cooling.rack_price,
            "Cooling",
            kid,
            cool_conf,
        ),
        PriceLine(
            f"Cooling plant ({cooling.technology})",
            "facility",
            power_kw,
            "kW IT",
            cooling.capex_per_kw,
            "Cooling",
            kid,
            cool_conf,
        ),
        PriceLine(
            "Data-hall build (per facility kW)",
            "facility",
            power_kw * cooling.pue,
            "kW facility",
            site.facility_capex_per_kw,
            "Site",
            "facility_capex_per_kw",
            "medium",
        ),
    ]


def capex(lines: list[PriceLine]) -> Any:
    return sum((line.extended for line in lines), 0.0)


def hardware_capex(lines: list[PriceLine]) -> Any:
    return sum((line.extended for line in lines if line.category in HARDWARE_CATEGORIES), 0.0)


def energy_per_year(q: PoolQuantities, chip: Any, fabric: Any, cooling: Any, site: Any) -> Any:
    """IT kW x utilization x PUE x 8760 h x price [currency/yr]."""
    return (
        it_kw(q, chip, fabric)
        * site.utilization
        * cooling.pue
        * HOURS_PER_YEAR
        * site.electricity_price_per_kwh
    )


def maintenance_per_year(lines: list[PriceLine], site: Any) -> Any:
    return site.maintenance_rate * hardware_capex(lines)


def annuity(site: Any, discounted: bool = True) -> float:
    """Present value of 1 per year paid at the end of years 1..H."""
    years = int(site.horizon_years)
    if not discounted:
        return float(years)
    return sum((1.0 + site.discount_rate) ** -y for y in range(1, years + 1))


def discount_factor(site: Any, year: int) -> float:
    return (1.0 + site.discount_rate) ** -year


def stack_migration_costs(chips: Mapping[str, Any]) -> dict[str, tuple[float, str]]:
    """One-off migration cost per software stack and the chip row it comes from.

    Chips on one stack share one porting effort; where their rows disagree the
    largest figure is used, so the plan never under-counts the effort.
    """
    out: dict[str, tuple[float, str]] = {}
    for chip_id, chip in chips.items():
        cost = float(chip.migration_cost or 0.0)
        if chip.software_stack not in out or cost > out[chip.software_stack][0]:
            out[chip.software_stack] = (cost, chip_id)
    return out
