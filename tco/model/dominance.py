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
be equal when both hold.

Domestic pools under a share may grow past their smallest size
(`tco.model.share`). Within such a group A dominates B only at every size: A
can take every size B can (same chip, so the same cards, nodes and share
amount at each size) and is no worse on every footprint entry at each of
them. A plan using B at some size is then matched by the same plan using A at
that size. The elastic model is never pruned.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

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
            survivors.update(_undominated_at_every_size(inputs, group))
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


@dataclass(frozen=True)
class Profile:
    """An option's footprint at every size it may take.

    Sizes are nodes (training) or replicas (inference), from `first` on; row i of
    `metrics` is (capex, opex per year, facility kW, racks) at size first + i.
    """

    first: int
    metrics: np.ndarray

    @property
    def last(self) -> int:
        return self.first + int(self.metrics.shape[0]) - 1


def profile(inputs: PlanningInputs, o: Option) -> Profile:
    """Footprint of option o at each size from its smallest to its largest."""
    chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
    cooling = inputs.coolings[o.cooling]
    smallest_nodes, _, smallest_replicas = smallest_size(o)
    if smallest_replicas is None:
        first = smallest_nodes
        nodes = np.arange(first, o.max_nodes + 1)
        cards = nodes * o.cards_per_node
    else:
        first = smallest_replicas
        replicas = np.arange(first, max(o.max_replicas, first) + 1)
        cards = replicas * o.replica_cards
        nodes = np.maximum(o.min_nodes, -(-cards // o.cards_per_node))
    nics = nodes * o.nics_per_node
    clos = np.array(
        [_clos_counts(int(e), fabric.switch_radix, fabric.oversubscription) for e in nics]
    ).reshape(-1, 4)
    racks = -(-nodes // o.nodes_per_rack)
    quantities = np.column_stack([cards, nodes, nics, clos, racks]).astype(float)
    cost = registry.coefficients(registry.row_lookup(chip, fabric, cooling, inputs.site))
    forms = (cost.capex, cost.opex_per_year, cost.facility_kw)
    coefficients = np.array([[form.coefficient(d) for d in registry.DECISIONS] for form in forms])
    metrics = np.column_stack([quantities @ coefficients.T, racks])
    return Profile(first, metrics)


@functools.lru_cache(maxsize=65_536)
def _clos_counts(endpoints: int, radix: int, oversubscription: float) -> tuple[int, ...]:
    clos = size_clos(endpoints, radix, oversubscription)
    return clos.leaf_switches, clos.spine_switches, clos.core_switches, clos.links


def _covers(a: Profile, b: Profile) -> bool:
    """Whether A can take every size B can and is no worse on every entry at each."""
    if a.first > b.first or a.last < b.last:
        return False
    start = b.first - a.first
    mine = a.metrics[start : start + b.metrics.shape[0]]
    return bool(np.all(mine <= b.metrics + _TOL * np.maximum(1.0, np.abs(b.metrics))))


def _undominated_at_every_size(inputs: PlanningInputs, group: list[Option]) -> list[OptionKey]:
    """Keys of the group's options no other option dominates at every size (first of equals)."""
    profiles = [profile(inputs, o) for o in group]
    kept = []
    for i, b in enumerate(profiles):
        beaten = any(
            _covers(a, b) and (j < i or not _covers(b, a)) for j, a in enumerate(profiles) if j != i
        )
        if not beaten:
            kept.append(group[i].key)
    return kept
