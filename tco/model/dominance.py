"""Presolve: drop options another option of the same workload and chip beats on every count.

In the strict model every resource and cost is nondecreasing in a pool's
size, so an option is best used at its smallest size meeting the target:
training at n_t nodes, inference at ceil(target / tokens per replica)
replicas. At that size an option is a fixed footprint: capex, opex per year,
facility kW, racks and cards. Option A dominates B (same workload, same chip,
so same supply cap, origin and software stack) when A is no worse on every
footprint entry; removing B then cannot change the optimum. Cards count as
"worse when more" if the chip is supply-capped or imported under a domestic
share, "worse when fewer" if it is domestic under a domestic share, and must
be equal when both hold. Domestic groups under a share whose pools may hold
more cards than their smallest size (spare slots, or grown for the share) are
kept whole; the elastic model is never pruned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tco.costs import registry
from tco.costs.clos import size_clos
from tco.model.options import Option, OptionKey, smallest_size
from tco.schema.inputs import PlanningInputs

_TOL = 1e-9


@dataclass(frozen=True)
class Footprint:
    """An option at its smallest size meeting the target."""

    nodes: int
    cards: int
    capex: float
    opex_per_year: float
    facility_kw: float
    racks: int


def footprint(inputs: PlanningInputs, o: Option) -> Footprint:
    chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
    cooling = inputs.coolings[o.cooling]
    nodes, cards, _ = smallest_size(o)
    nics = nodes * o.nics_per_node
    clos = size_clos(nics, fabric.switch_radix, fabric.oversubscription)
    racks = math.ceil(nodes / o.nodes_per_rack)
    q = registry.PoolQuantities(
        cards,
        nodes,
        nics,
        clos.leaf_switches,
        clos.spine_switches,
        clos.core_switches,
        clos.links,
        racks,
    )
    cost = registry.price_pool(q, registry.row_lookup(chip, fabric, cooling, inputs.site))
    return Footprint(nodes, cards, cost.capex, cost.opex_per_year, cost.facility_kw, racks)


def _may_grow(o: Option) -> bool:
    """Whether option o may hold more cards than its smallest pool meeting the target."""
    nodes, _, replicas = smallest_size(o)
    return o.max_nodes > nodes or (replicas is not None and o.max_replicas > replicas)


def _no_worse(a: float, b: float) -> bool:
    return a <= b + _TOL * max(1.0, abs(b))


def _dominates(a: Footprint, b: Footprint, more_cards_hurt: bool, fewer_cards_hurt: bool) -> bool:
    if more_cards_hurt and a.cards > b.cards:
        return False
    if fewer_cards_hurt and a.cards < b.cards:
        return False
    return all(
        _no_worse(x, y)
        for x, y in (
            (a.capex, b.capex),
            (a.opex_per_year, b.opex_per_year),
            (a.facility_kw, b.facility_kw),
            (a.racks, b.racks),
        )
    )


def prune_dominated(
    inputs: PlanningInputs,
    options: list[Option],
    prints: Mapping[OptionKey, Footprint] | None = None,
    within: tuple[str, ...] = (),
) -> list[Option]:
    """The options no other option of the same (workload, chip) dominates, in order.

    `prints` may hold footprints computed already (keys of `options` at least).
    `within` names dimensions ("fabric", "cooling") whose id compared options
    must also share, so the survivors stay valid when those dimensions are later
    forced to any id (a dominator on another fabric would be gone then).
    """
    share = inputs.site.min_domestic_share
    if prints is None:
        prints = {o.key: footprint(inputs, o) for o in options}
    groups: dict[tuple[str, ...], list[Option]] = {}
    for o in options:
        extra = tuple(getattr(o, dimension) for dimension in within)
        groups.setdefault((o.workload, o.chip, *extra), []).append(o)
    survivors: set[tuple[str, str, str, str]] = set()
    for (_, chip_id, *_rest), group in groups.items():
        chip = inputs.chips[chip_id]
        domestic = chip.origin == "domestic"
        more_hurt = chip.max_cards is not None or (share > 0 and not domestic)
        fewer_hurt = share > 0 and domestic
        if fewer_hurt and any(_may_grow(o) for o in group):
            # More domestic cards help the share: pools that may hold more than their
            # smallest size (spare slots, or grown for the share) are compared at one
            # size only by their footprint, so keep them all.
            survivors.update(o.key for o in group)
            continue
        for i, b in enumerate(group):
            beaten = any(
                _dominates(prints[a.key], prints[b.key], more_hurt, fewer_hurt)
                and (prints[a.key] != prints[b.key] or j < i)
                for j, a in enumerate(group)
                if j != i
            )
            if not beaten:
                survivors.add(b.key)
    kept = [o for o in options if o.key in survivors]
    return kept
