"""Cooling, racks and power per pool.

Racks: racks >= nodes / nodes_per_rack, where nodes_per_rack =
min(nodes_per_rack_max, floor(max_rack_kw / node peak kW)) of the chosen
cooling. Liquid-only chips never get an air option (see `options`). IT and
facility power are the cost-line registry's linear expressions of the pool's
quantities, so the power limit and the energy cost use the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

import pyomo.environ as pyo

from tco.costs import registry
from tco.model.context import ModelContext, count_of
from tco.model.options import Option, OptionKey


def quantities(m: pyo.ConcreteModel, o: Option) -> registry.PoolQuantities:
    """The pool's counts as Pyomo expressions, for the cost-line registry.

    NICs are the NIC cards bought (none for ports on the chip); the fabric's
    endpoints are the ports (`network.e_nics`).
    """
    k = o.key
    # The expression behind e_cards: flat terms for the translation.
    return registry.PoolQuantities(
        cards=m.e_cards[k].expr,
        nodes=m.v_nodes[k],
        systems=m.e_systems[k].expr,
        nics=o.nic_cards_per_node * m.v_nodes[k],
        leaf_switches=m.v_leaf[k],
        spine_switches=m.v_spine[k],
        core_switches=m.v_core[k],
        links=m.v_links[k],
        racks=m.v_racks[k],
    )


def add_to(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    def most_racks(k: Any) -> int:
        o = ctx.option(k)
        return math.ceil(o.max_nodes / o.nodes_per_rack)

    m.v_racks = pyo.Var(
        m.OPTIONS, within=pyo.NonNegativeIntegers, bounds=lambda _, *k: (0, most_racks(k))
    )

    def rack_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """racks x nodes_per_rack >= nodes [racks]: slots and the rack kW limit."""
        return m.v_racks[k] * ctx.option(k).nodes_per_rack >= m.v_nodes[k]

    m.rack_constraint = pyo.Constraint(m.OPTIONS, rule=rack_constraint)

    def rack_use_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """racks <= ceil(max_nodes / nodes_per_rack) x use [racks]: none on an unused option."""
        return m.v_racks[k] <= most_racks(k) * m.v_use[k]

    m.rack_use_constraint = pyo.Constraint(m.OPTIONS, rule=rack_use_constraint)

    def rack_floor_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """racks >= ceil(least nodes / nodes_per_rack) x use [racks]: whole racks in the LP too."""
        least = math.ceil(ctx.least_nodes(k) / ctx.option(k).nodes_per_rack)
        return m.v_racks[k] >= least * m.v_use[k]

    m.rack_floor_constraint = pyo.Constraint(m.OPTIONS, rule=rack_floor_constraint)

    def e_it_kw(m: pyo.ConcreteModel, *k: Any) -> Any:
        """IT kW of a pool (cards, hosts, NICs, switches) at peak."""
        return registry.it_kw(quantities(m, ctx.option(k)), ctx.lookup(k))

    m.e_it_kw = pyo.Expression(m.OPTIONS, rule=e_it_kw)

    def e_facility_kw(m: pyo.ConcreteModel, *k: Any) -> Any:
        """Facility kW = IT kW x PUE of the pool's cooling."""
        return registry.facility_kw(m.e_it_kw[k], ctx.lookup(k))

    m.e_facility_kw = pyo.Expression(m.OPTIONS, rule=e_facility_kw)


def decisions(m: pyo.ConcreteModel, keys: tuple[OptionKey, ...]) -> dict[OptionKey, int]:
    """Racks the solution buys for each pool in `keys`."""
    return {k: count_of(m.v_racks[k]) for k in keys}
