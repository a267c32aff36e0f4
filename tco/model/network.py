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
from fractions import Fraction
from typing import Any

import pyomo.environ as pyo

from tco.costs.clos import size_clos, tier_capacity, tier_coefficients
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
    pool to the Clos `size_clos` gives its ports, so no spare switch or tier buys share.

    Fewest tiers: e_t >= (floor(capacity_{t-1}) + 1) x z_t for t >= 2, a tier only for
    ports the tier below cannot connect (never dearer: every count grows with the tier).
    Whole counts, not more: count <= sum_t (c_t x e_t + (q_t - 1) / q_t x z_t) with the
    per-endpoint coefficient c_t = p_t / q_t in lowest terms; at integer ports e, c_t x e
    is a multiple of 1 / q_t, so this is count <= ceil(c_t x e). A coefficient with no
    small denominator (an odd oversubscription) keeps only its lower row.
    """

    def fewest_tiers_constraint(m: pyo.ConcreteModel, *kt: Any) -> Any:
        """e_t >= (floor(capacity of t - 1 tiers) + 1) x z_t [endpoints]."""
        fab = fabric_of(kt[:4])
        below = math.floor(tier_capacity(kt[4] - 1, fab.switch_radix, fab.oversubscription))
        return m.v_tier_endpoints[kt] >= (below + 1) * m.v_tier[kt]

    m.fewest_tiers_constraint = pyo.Constraint(
        [kt for kt in m.TIERS if kt[4] >= 2], rule=fewest_tiers_constraint
    )

    def rounding(c: float) -> float | None:
        """(q - 1) / q for c = p / q in lowest terms, or None without a small q."""
        exact = Fraction(c).limit_denominator(_MAX_DENOMINATOR)
        if abs(float(exact) - c) > 1e-12 * max(1.0, c):
            return None
        return (exact.denominator - 1) / exact.denominator

    def terms(index: int, k: tuple[str, ...]) -> list[tuple[int, float, float]] | None:
        """(tier, c_t, (q_t - 1) / q_t) of count `index` over k's tiers, or None."""
        fab = fabric_of(k)
        out = []
        for t in tiers_of(k):
            c = tier_coefficients(t, fab.switch_radix, fab.oversubscription)[index]
            r = rounding(c)
            if r is None:
                return None
            out.append((t, c, r))
        return out

    ceilings = {
        (*o.key, i): found
        for o in ctx.options
        for i in range(len(_COUNTS))
        if (found := terms(i, o.key)) is not None
    }

    def whole_count_constraint(m: pyo.ConcreteModel, *ki: Any) -> Any:
        """count <= sum_t (c_t x e_t + (q_t - 1) / q_t x z_t): count = ceil(c_t x e_t)."""
        k, i = ki[:4], ki[4]
        return getattr(m, _COUNTS[i])[k] <= sum(
            c * m.v_tier_endpoints[(*k, t)] + r * m.v_tier[(*k, t)] for t, c, r in ceilings[ki]
        )

    m.whole_count_constraint = pyo.Constraint(list(ceilings), rule=whole_count_constraint)


#: Largest denominator a per-endpoint coefficient may have for its count's ceiling row:
#: (q - 1) / q then stays 1 / 4096 below 1, far above HiGHS's feasibility tolerance.
_MAX_DENOMINATOR = 1 << 12


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
