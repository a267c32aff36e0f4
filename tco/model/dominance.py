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

Pools under a share may grow past their smallest size (`tco.model.share`).
Within such a group A dominates B only at every size: A
can take every size B can (same chip, so the same cards, nodes and share
amount at each size) and is no worse on every footprint entry at each of
them. A plan using B at some size is then matched by the same plan using A at
that size. The elastic model is never pruned.

Workloads of a mixed fleet that may be split into parts (`Site.max_options_per_workload`
> 1: inference, and training with `allow_mixed`) hold at most one part per chip
(`tco.model.fleet`), and a part may be any size from one replica (training: its memory
floor) up. Within such a (workload, chip) group A dominates B only at every size
from there, as under a share: a plan using B at some size is matched by the same plan
using A at that size, and since the group has at most one part, A is not already in
the plan. Inference throughput depends on the chip alone, so equal replicas deliver
equal tokens/s; a training curve depends on the fabric too, so training parts are
compared only on the same fabric.
Fleet plans over years (`tco.model.years`) are not pruned: a footprint at one size
says nothing about purchases that grow and retire at different lifetimes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tco.costs import coefficients
from tco.costs.clos import clos_counts, size_clos
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


def footprint(inputs: PlanningInputs, o: Option, matrix: np.ndarray | None = None) -> Footprint:
    """Option o at its smallest size; `matrix` = `cost_matrix(inputs, o)` if known."""
    fabric = inputs.fabrics[o.fabric]
    nodes, cards, _ = smallest_size(o)
    nics = nodes * o.nic_cards_per_node
    clos = _clos_counts(nodes * o.nics_per_node, fabric.switch_radix, fabric.oversubscription)
    racks = math.ceil(nodes / o.nodes_per_rack)
    if matrix is None:
        matrix = cost_matrix(inputs, o)
    counts = np.array([cards, nodes, o.systems(nodes), nics, *clos, racks])
    capex, opex, kw = (float(v) for v in matrix @ counts)
    return Footprint(nodes, cards, capex, opex, kw, racks)


def cost_matrix(inputs: PlanningInputs, o: Option) -> np.ndarray:
    """(capex, opex per year, facility kW) x decision coefficients of option o's rows.

    The registry's equations are linear without a constant (`registry.coefficients`),
    so a pool's footprint is this matrix times its decision counts. Read-only: the
    matrix is memoised on the rows' values (`tco.costs.coefficients`).
    """
    return coefficients.of_rows(*_rows(inputs, o)).matrix


def _rows(inputs: PlanningInputs, o: Option) -> tuple[Any, Any, Any, Any]:
    """The (chip, fabric, cooling, Site) rows that price option o's pool."""
    return (
        inputs.chips[o.chip],
        inputs.fabrics[o.fabric],
        inputs.coolings[o.cooling],
        inputs.site,
    )


def _in_parts(inputs: PlanningInputs, workload_id: str) -> bool:
    """Whether the workload may be served by several parts (`tco.model.fleet`)."""
    workload = inputs.workloads[workload_id]
    splits = workload.kind == "inference" or bool(workload.allow_mixed)
    return int(inputs.site.max_options_per_workload) > 1 and splits


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
    profiles: Profiles | None = None,
) -> list[Option]:
    """The options no other option of the same (workload, chip) dominates, in order.

    `prints` may hold footprints computed already (keys of `options` at least);
    `profiles` caches the every-size footprints across calls (one per engine).
    `within` names dimensions ("fabric", "cooling") whose id compared options
    must also share, so the survivors stay valid when those dimensions are later
    forced to any id (a dominator on another fabric would be gone then).
    """
    share = inputs.site.min_domestic_share
    if inputs.site.domestic_share_includes_network and "fabric" not in within:
        # The fabric's origin and network purchase enter the share: only options on
        # the same fabric have the same share amounts at every size.
        within = (*within, "fabric")
    if prints is None:
        prints = {o.key: footprint(inputs, o) for o in options}
    if profiles is None:
        profiles = Profiles(inputs)
    groups: dict[tuple[str, ...], list[Option]] = {}
    for o in options:
        dims = within
        if o.kind == "training" and _in_parts(inputs, o.workload) and "fabric" not in dims:
            dims = (*dims, "fabric")
        extra = tuple(getattr(o, dimension) for dimension in dims)
        groups.setdefault((o.workload, o.chip, *extra), []).append(o)
    survivors: set[tuple[str, str, str, str]] = set()
    for (workload_id, chip_id, *_rest), group in groups.items():
        if _in_parts(inputs, workload_id):
            survivors.update(_undominated_at_every_size(group, [profiles.of(o) for o in group]))
            continue
        chip = inputs.chips[chip_id]
        domestic = chip.origin == "domestic"
        more_hurt = chip.max_cards is not None or (share > 0 and not domestic)
        fewer_hurt = share > 0 and domestic
        if share > 0 and any(_may_grow(o) for o in group):
            survivors.update(_undominated_at_every_size(group, [profiles.of(o) for o in group]))
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


class Profiles:
    """Footprints of options (smallest and every size) on cost matrices cached per
    (chip, fabric, cooling): computed once per set of inputs."""

    def __init__(self, inputs: PlanningInputs) -> None:
        self.inputs = inputs
        self._profiles: dict[OptionKey, Profile] = {}
        self._coefficients: dict[tuple[str, str, str], np.ndarray] = {}

    def of(self, o: Option) -> Profile:
        if o.key not in self._profiles:
            self._profiles[o.key] = profile(self.inputs, o, self._matrix(o))
        return self._profiles[o.key]

    def footprint(self, o: Option) -> Footprint:
        return footprint(self.inputs, o, self._matrix(o))

    def prepare(self, options: Iterable[Option]) -> None:
        """Cost matrices of every option's rows, the ones not cached yet in one batch."""
        todo = list(dict.fromkeys((o.chip, o.fabric, o.cooling) for o in options))
        todo = [rows for rows in todo if rows not in self._coefficients]
        inputs = self.inputs
        batch = [
            (inputs.chips[c], inputs.fabrics[f], inputs.coolings[k], inputs.site)
            for c, f, k in todo
        ]
        for rows, found in zip(todo, coefficients.many(batch), strict=True):
            self._coefficients[rows] = found.matrix

    def _matrix(self, o: Option) -> np.ndarray:
        rows = (o.chip, o.fabric, o.cooling)
        if rows not in self._coefficients:
            self._coefficients[rows] = cost_matrix(self.inputs, o)
        return self._coefficients[rows]


def profile(inputs: PlanningInputs, o: Option, coefficients: np.ndarray) -> Profile:
    """Footprint of option o at each size from its smallest to its largest (a part's
    smallest is one replica, or its memory floor for training).

    `coefficients` is the (capex, opex per year, facility kW) x decision matrix of
    the registry's linear cost equations for o's rows (`Profiles`).
    """
    fabric = inputs.fabrics[o.fabric]
    smallest_nodes, _, smallest_replicas = smallest_size(o)
    part = _in_parts(inputs, o.workload)
    if smallest_replicas is None:
        first = o.min_nodes if part else smallest_nodes
        nodes = np.arange(first, o.max_nodes + 1)
        cards = nodes * o.cards_per_node
    else:
        # A part may hold one replica; a whole pool at least its target's.
        first, floor = (1, 0) if part else (smallest_replicas, o.min_nodes)
        replicas = np.arange(first, max(o.max_replicas, first) + 1)
        span = o.systems_per_replica
        nodes = np.maximum(floor, -(-replicas * span // o.replicas_per_system) * o.nodes_per_system)
        cards = nodes * o.cards_per_node
    nics = nodes * o.nic_cards_per_node
    ports = nodes * o.nics_per_node
    clos = clos_counts(ports, fabric.switch_radix, fabric.oversubscription)
    racks = -(-nodes // o.nodes_per_rack)
    systems = nodes // o.nodes_per_system
    quantities = np.column_stack([cards, nodes, systems, nics, clos, racks]).astype(float)
    metrics = np.column_stack([quantities @ coefficients.T, racks])
    return Profile(first, metrics)


@functools.lru_cache(maxsize=65_536)
def _clos_counts(endpoints: int, radix: int, oversubscription: float) -> tuple[int, ...]:
    clos = size_clos(endpoints, radix, oversubscription)
    return clos.leaf_switches, clos.spine_switches, clos.core_switches, clos.links


def _undominated_at_every_size(group: list[Option], profiles: list[Profile]) -> list[OptionKey]:
    """Keys of the group's options no other dominates at every size (first of equals kept).

    On a common size axis each profile is +inf outside its own sizes, so "A is
    no worse than B at every size of B, and has every size of B" is one
    elementwise comparison: A <= B wherever B is finite, and A is finite there.
    """
    first = min(p.first for p in profiles)
    length = max(p.last for p in profiles) - first + 1
    padded = np.full((len(profiles), length, 4), np.inf)
    for i, p in enumerate(profiles):
        padded[i, p.first - first : p.last - first + 1] = p.metrics
    slack = np.where(np.isfinite(padded), _TOL * np.maximum(1.0, np.abs(padded)), 0.0)
    loose = padded + slack
    # A subset of the sizes first (a necessary condition, cheap), then every size for the
    # pairs that pass it: the same answer without comparing every pair at every size.
    sample = np.unique(np.linspace(0, length - 1, min(length, 32)).astype(int))
    covers = np.all(padded[:, None, sample] <= loose[None, :, sample], axis=(2, 3))
    for a, b in zip(*np.nonzero(covers), strict=True):
        covers[a, b] = bool(np.all(padded[a] <= loose[b]))
    equal = covers & covers.T
    index = np.arange(len(profiles))
    # B (column) is beaten by A (row) if A covers B and is strictly better, or equal and first.
    beaten = covers & (~equal | (index[:, None] < index[None, :]))
    np.fill_diagonal(beaten, False)
    return [o.key for o, lost in zip(group, beaten.any(axis=0), strict=True) if not lost]
