"""Scale-out fabric per pool: a folded Clos with integer switch counts.

Endpoints e = nics_per_node x nodes. The tier is chosen by binaries z_t with
e split into e_t <= capacity_t x z_t (sum_t z_t = use), so leaf/spine/core
counts and links are exact linear functions of the active e_t (see
`tco.costs.clos` for the per-endpoint coefficients).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from tco.costs.clos import (
    NOISE,
    clos_counts,
    first_endpoints,
    size_clos,
    tier_capacity,
    tier_coefficients,
)
from tco.model.context import ModelContext, count_of
from tco.model.options import Option, OptionKey, max_endpoint_tiers
from tco.model.share import counts_network
from tco.schema.rows import FabricRow


def add_to(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    fabrics = ctx.inputs.fabrics

    def fabric_of(k: Any) -> FabricRow:
        """The fabric row of option key k (a Pyomo index tuple)."""
        return fabrics[ctx.option(k).fabric]

    tiers = []
    for o in ctx.options:
        fab = fabrics[o.fabric]
        top = max_endpoint_tiers(o, fab.switch_radix, fab.oversubscription)
        tiers += [(*o.key, t) for t in range(1, top + 1)]
    m.TIERS = pyo.Set(dimen=5, ordered=True, initialize=tiers)
    m.v_tier = pyo.Var(m.TIERS, within=pyo.Binary)
    m.v_tier_endpoints = pyo.Var(m.TIERS, within=pyo.NonNegativeReals)

    def tiers_of(k: tuple[str, ...]) -> list[int]:
        return [t for t in range(1, 4) if (*k, t) in m.TIERS]

    most = {o.key: _most_bought(o, fabrics[o.fabric], tiers_of(o.key)) for o in ctx.options}
    for index, name in enumerate(_COUNTS):
        setattr(
            m,
            name,
            pyo.Var(
                m.OPTIONS,
                within=pyo.NonNegativeIntegers,
                bounds=lambda _, *k, i=index: (0, most[k][i]),
            ),
        )

    def fabric_use_constraint(m: pyo.ConcreteModel, *ki: Any) -> Any:
        """count <= most x use for leaf, spine, core and links: nothing on an unused option.

        `most` is the option's own largest pool at its most expensive tier count, a
        tight big-M; without it an incumbent the solver stopped on may carry
        switches or links on options it does not use.
        """
        k, i = ki[:4], ki[4]
        return getattr(m, _COUNTS[i])[k] <= most[k][i] * m.v_use[k]

    m.fabric_use_constraint = pyo.Constraint(
        [(*o.key, i) for o in ctx.options for i in range(len(_COUNTS)) if most[o.key][i] > 0],
        rule=fabric_use_constraint,
    )

    def least_bought(k: OptionKey) -> tuple[int, ...]:
        o, fab = ctx.option(k), fabrics[ctx.option(k).fabric]
        clos = size_clos(
            ctx.least_nodes(k) * o.nics_per_node, fab.switch_radix, fab.oversubscription
        )
        return clos.leaf_switches, clos.spine_switches, clos.core_switches, clos.links

    least = {o.key: least_bought(o.key) for o in ctx.options}

    def fabric_floor_constraint(m: pyo.ConcreteModel, *ki: Any) -> Any:
        """count >= least x use: a used pool needs at least its smallest pool's fabric.

        least = the smallest Clos over the pool's fewest NIC ports; every count
        grows with the endpoints and with the tier count, so it is valid for every
        size and tier. The throughput rows imply it at integer points; in the LP
        relaxation it charges a fractional use for whole switches.
        """
        k, i = ki[:4], ki[4]
        return getattr(m, _COUNTS[i])[k] >= least[k][i] * m.v_use[k]

    m.fabric_floor_constraint = pyo.Constraint(
        [(*o.key, i) for o in ctx.options for i in range(len(_COUNTS)) if least[o.key][i] > 0],
        rule=fabric_floor_constraint,
    )

    def e_nics(m: pyo.ConcreteModel, *k: Any) -> Any:
        """NIC ports (endpoints) of a pool = nics_per_node x nodes."""
        return ctx.option(k).nics_per_node * m.v_nodes[k]

    m.e_nics = pyo.Expression(m.OPTIONS, rule=e_nics)

    def tier_choice_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """sum_t z_t = use: a used pool has exactly one tier count."""
        return sum(m.v_tier[(*k, t)] for t in tiers_of(k)) == m.v_use[k]

    m.tier_choice_constraint = pyo.Constraint(m.OPTIONS, rule=tier_choice_constraint)

    def endpoint_split_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """sum_t e_t = e [endpoints]."""
        return sum(m.v_tier_endpoints[(*k, t)] for t in tiers_of(k)) == m.e_nics[k]

    m.endpoint_split_constraint = pyo.Constraint(m.OPTIONS, rule=endpoint_split_constraint)

    def tier_capacity_constraint(m: pyo.ConcreteModel, *kt: Any) -> Any:
        """e_t <= min(capacity_t, max endpoints) x z_t [endpoints]; capacity r, r*d, r*d*r/2."""
        # The tier's capacity, but never more than this pool can have (a tight big-M).
        cap = _tier_cap(ctx.option(kt[:4]), fabric_of(kt[:4]), kt[4])
        return m.v_tier_endpoints[kt] <= cap * m.v_tier[kt]

    m.tier_capacity_constraint = pyo.Constraint(m.TIERS, rule=tier_capacity_constraint)

    def sized(index: int, m: pyo.ConcreteModel, k: tuple[str, ...]) -> Any:
        """sum_t coefficient_t[index] x e_t: (leaf, spine, core, links)[index] of the pool."""
        fab = fabric_of(k)
        return sum(
            tier_coefficients(t, fab.switch_radix, fab.oversubscription)[index]
            * m.v_tier_endpoints[(*k, t)]
            for t in tiers_of(k)
        )

    def leaf_switch_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """leaf >= sum_t leaf_per_endpoint_t x e_t [switches]."""
        return m.v_leaf[k] >= sized(0, m, k)

    m.leaf_switch_constraint = pyo.Constraint(m.OPTIONS, rule=leaf_switch_constraint)

    def spine_switch_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """spine >= sum_t spine_per_endpoint_t x e_t [switches]."""
        return m.v_spine[k] >= sized(1, m, k)

    m.spine_switch_constraint = pyo.Constraint(m.OPTIONS, rule=spine_switch_constraint)

    def core_switch_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """core >= sum_t core_per_endpoint_t x e_t [switches]."""
        return m.v_core[k] >= sized(2, m, k)

    m.core_switch_constraint = pyo.Constraint(m.OPTIONS, rule=core_switch_constraint)

    def link_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """links >= sum_t links_per_endpoint_t x e_t [links]; optics = 2 x links."""
        return m.v_links[k] >= sized(3, m, k)

    m.link_constraint = pyo.Constraint(m.OPTIONS, rule=link_constraint)

    if counts_network(ctx.inputs):
        _as_bought(m, ctx, tiers_of, fabric_of)


def _as_bought(
    m: pyo.ConcreteModel,
    ctx: ModelContext,
    tiers_of: Callable[[tuple[str, ...]], list[int]],
    fabric_of: Callable[[Any], FabricRow],
) -> None:
    """When the domestic share counts the network as bought (`tco.model.limits`), hold each
    pool on a domestic fabric to the Clos `size_clos` gives its ports, so no spare switch
    or tier buys share. (On an imported fabric a spare switch or tier only costs more and
    lowers the share: no plan takes one, and those pools get no rows.)

    Fewest tiers: e_t >= first_endpoints(t) x z_t for t >= 2, a tier only for ports the
    tier below cannot connect (`tco.costs.clos.first_endpoints`, the same float tolerance
    as `tiers_needed`; never dearer: every count grows with the tier).
    Whole counts, not more: count <= sum_t (c_t x e_t + r_t x z_t), with c_t the count's
    per-endpoint coefficient and r_t = max over the tier's port counts e (whole nodes up
    to the pool's largest) of size_clos(e) - c_t x e, so the row is count <= size_clos(e)
    at every e. The slack r_t - (size_clos(e) - c_t x e) stays below 1 (the spread of
    ceilings' gaps over the tier's port counts); a count whose spread comes within
    `_CLEAR` of 1 keeps only its lower row.
    """
    fabrics = ctx.inputs.fabrics
    domestic = [o for o in ctx.options if fabrics[o.fabric].origin == "domestic"]
    keys = {o.key for o in domestic}

    def fewest_tiers_constraint(m: pyo.ConcreteModel, *kt: Any) -> Any:
        """e_t >= first_endpoints(t) x z_t [endpoints]."""
        fab = fabric_of(kt[:4])
        first = first_endpoints(kt[4], fab.switch_radix, fab.oversubscription)
        return m.v_tier_endpoints[kt] >= first * m.v_tier[kt]

    m.fewest_tiers_constraint = pyo.Constraint(
        [kt for kt in m.TIERS if kt[4] >= 2 and kt[:4] in keys], rule=fewest_tiers_constraint
    )

    def roundings(o: Option, t: int) -> np.ndarray | None:
        """r_t of each count (leaf, spine, core, links) at tier t, NaN where the spread is
        too wide; None when no whole node's ports use the tier."""
        fab = fabrics[o.fabric]
        radix, over = fab.switch_radix, fab.oversubscription
        ports = o.nics_per_node
        first = -(-first_endpoints(t, radix, over) // ports) * ports
        last = min(o.max_nodes * ports, math.floor(tier_capacity(t, radix, over) + NOISE))
        if last < first:
            return None
        e = np.arange(first, last + 1, ports, dtype=np.int64)
        gaps = clos_counts(e, radix, over) - np.outer(e, tier_coefficients(t, radix, over))
        spread = gaps.max(axis=0) - gaps.min(axis=0)
        r: np.ndarray = np.where(spread < 1.0 - _CLEAR, gaps.max(axis=0), np.nan)
        return r

    ceilings: dict[tuple[Any, ...], list[tuple[int, float, float]]] = {}
    for o in domestic:
        fab = fabrics[o.fabric]
        per_tier = {t: roundings(o, t) for t in tiers_of(o.key)}
        for i in range(len(_COUNTS)):
            terms = [
                (t, tier_coefficients(t, fab.switch_radix, fab.oversubscription)[i], float(r[i]))
                for t, r in per_tier.items()
                if r is not None
            ]
            if terms and not any(math.isnan(r) for _, _, r in terms):
                ceilings[(*o.key, i)] = terms

    def whole_count_constraint(m: pyo.ConcreteModel, *ki: Any) -> Any:
        """count <= sum_t (c_t x e_t + r_t x z_t): size_clos(e)'s count at whole nodes."""
        k, i = ki[:4], ki[4]
        return getattr(m, _COUNTS[i])[k] <= sum(
            c * m.v_tier_endpoints[(*k, t)] + r * m.v_tier[(*k, t)] for t, c, r in ceilings[ki]
        )

    m.whole_count_constraint = pyo.Constraint(list(ceilings), rule=whole_count_constraint)


#: How far below 1 a count's rounding spread must stay for its ceiling row: far above
#: HiGHS's feasibility tolerance, so the row never admits one switch more.
_CLEAR = 1e-5


#: The integer counts of a pool's fabric, in `tier_coefficients` order.
_COUNTS = ("v_leaf", "v_spine", "v_core", "v_links")


def _most_bought(o: Option, fabric: FabricRow, tiers: list[int]) -> tuple[int, ...]:
    """Largest (leaf, spine, core, links) any tier count of the option's largest pool needs."""
    per_tier = [
        [
            math.ceil(c * _tier_cap(o, fabric, t) - 1e-9)
            for c in tier_coefficients(t, fabric.switch_radix, fabric.oversubscription)
        ]
        for t in tiers
    ]
    return tuple(max(column) for column in zip(*per_tier, strict=True))


def _tier_cap(o: Option, fabric: FabricRow, tiers: int) -> float:
    """min(capacity of `tiers` tiers, NIC ports of the option's largest pool) [endpoints]."""
    capacity = tier_capacity(tiers, fabric.switch_radix, fabric.oversubscription)
    return min(capacity, o.max_nodes * o.nics_per_node)


@dataclass(frozen=True)
class FabricDecision:
    """Switches per tier and links the solution buys for one pool."""

    leaf_switches: int
    spine_switches: int
    core_switches: int
    links: int


def decisions(m: pyo.ConcreteModel, keys: tuple[OptionKey, ...]) -> dict[OptionKey, FabricDecision]:
    """The fabric bought for each pool in `keys`."""
    return {
        k: FabricDecision(
            count_of(m.v_leaf[k]),
            count_of(m.v_spine[k]),
            count_of(m.v_core[k]),
            count_of(m.v_links[k]),
        )
        for k in keys
    }
