"""The minimum domestic share on its basis, and how far pools may grow to meet it.

Basis. A pool's amount on `Site.domestic_share_basis` is linear in its cards
and nodes (`tco.costs.registry.share_amount`: cards, compute = cards x
bf16_tflops, spend = card, host and system purchase), and domestic when its
chip is. With `domestic_share_includes_network` (spend basis only) a pool's
network purchase counts too, domestic when its fabric is: the NICs, switches,
optics and cables of its smallest size per node, times its nodes
(`network_per_node`), so it stays linear and spare switches buy no share. So a
pool's domestic amount D_o and import amount I_o are linear in (cards, nodes)
(`Parts`), and the share s = `min_domestic_share` asks sum D >= s x sum (D + I),
a linear row without products.

Spare capacity. Write f_o = (1 - s) x D_o - s x I_o; the share holds iff
F = sum over pools f_o >= 0. Every cost and resource grows with a pool's size,
so an optimal plan holds each pool at its smallest size meeting the target,
except where more size raises F. Pools are ordered in whole systems, so a
growth step is one system (nodes for training, a system freed of replicas for
inference), and f grows by the same delta_o = (1 - s) x D_step - s x I_step at
every step: f_o is linear in the number of steps. How far a pool may grow is
bounded as follows; the bound is valid, i.e. some optimal plan respects it.

Take an optimal plan. (1) Shrink every pool with delta_o <= 0 to its smallest
size: no cost or limit gets worse and F does not fall. (2) While some pool j
above its smallest size has F - delta_j >= 0, take one step off it; again
nothing gets worse. When this stops, every pool j above its smallest size has
F < delta_j, and every other pool k is at its smallest size or above it with
delta_k > 0, so f_k >= f_k(smallest) >= m(w_k), m(w) the least f at its
smallest size over workload w's options. Pool j serves its workload w, so

    f_j(smallest) + steps_j x delta_j = f_j < delta_j - sum_{w' != w} m(w'),

which bounds steps_j. It is also capped by what the pool may physically be: a
3-tier fabric, the chip's supply cap, the power budget at the node's peak kW x
PUE, and the racks. The reduced plan is optimal and inside these bounds, so the
MILP over the grown options keeps the optimum. The bound is computed over every
option, so it holds for every forced chip, fabric or cooling; on the cards and
compute bases it depends on no price.

Without the network, a domestic pool has delta = (1 - s) x W_step > 0, an
import pool delta < 0, and m(w) is -s x the largest import option's amount of w
if it has one, else (1 - s) x its least domestic amount: the bound reads
W_j <= s / (1 - s) x I_max(w) + W_step - D_others. Without a share strictly
between 0 and 1 no pool grows: a share of 0 asks nothing, a share of 1 forbids
import amounts altogether.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tco.costs import registry
from tco.costs.clos import size_clos, tier_capacity
from tco.model.options import Option, OptionKey, OptionSet, smallest_size
from tco.perf.hardware import nodes_per_system
from tco.schema.inputs import PlanningInputs


def spare_capacity_helps(inputs: PlanningInputs) -> bool:
    """Whether a domestic pool may gain from holding more than its target needs."""
    return 0.0 < inputs.site.min_domestic_share < 1.0


def weights(inputs: PlanningInputs, chip_id: str) -> tuple[float, float]:
    """(per card, per node) amount of a chip's cards and hosts on the Site's share basis.

    A node carries its share of its system (systems = nodes / nodes_per_system).
    """
    basis, chip = inputs.site.domestic_share_basis, inputs.chips[chip_id]
    return (
        float(registry.share_amount(basis, chip, 1.0, 0.0, 0.0)),
        float(registry.share_amount(basis, chip, 0.0, 1.0, 1.0 / nodes_per_system(chip))),
    )


def network_per_node(inputs: PlanningInputs, o: Option) -> float:
    """Network purchase per node of option o [currency/node], when the share counts it.

    The network-category lines of the registry (NICs, switches, optics, cables) at
    the option's smallest size, with its smallest Clos, over its nodes: exact at that
    size, pro rata beyond it. Zero unless `domestic_share_includes_network`.
    """
    if not inputs.site.domestic_share_includes_network:
        return 0.0
    nodes, _, _ = smallest_size(o)
    if nodes <= 0:
        return 0.0
    fabric = inputs.fabrics[o.fabric]
    clos = size_clos(nodes * o.nics_per_node, fabric.switch_radix, fabric.oversubscription)
    counts = registry.PoolQuantities(
        cards=0,
        nodes=0,
        systems=0,
        nics=nodes * o.nic_cards_per_node,
        leaf_switches=clos.leaf_switches,
        spine_switches=clos.spine_switches,
        core_switches=clos.core_switches,
        links=clos.links,
        racks=0,
    )
    lookup = registry.row_lookup(
        inputs.chips[o.chip], fabric, inputs.coolings[o.cooling], inputs.site
    )
    cost = registry.price_pool(counts, lookup)
    return float(cost.spend("network")) / nodes


@dataclass(frozen=True)
class Parts:
    """A pool's domestic and import amounts per card and per node on the share basis."""

    domestic_per_card: float
    domestic_per_node: float
    import_per_card: float
    import_per_node: float

    def domestic(self, cards: Any, nodes: Any) -> Any:
        return self.domestic_per_card * cards + self.domestic_per_node * nodes

    def total(self, cards: Any, nodes: Any) -> Any:
        per_card = self.domestic_per_card + self.import_per_card
        per_node = self.domestic_per_node + self.import_per_node
        return per_card * cards + per_node * nodes


def parts(inputs: PlanningInputs, o: Option) -> Parts:
    """Option o's amounts: its cards and hosts by the chip's origin, its network (when
    counted) by the fabric's."""
    per_card, per_node = weights(inputs, o.chip)
    network = network_per_node(inputs, o)
    chip_domestic = inputs.chips[o.chip].origin == "domestic"
    fabric_domestic = inputs.fabrics[o.fabric].origin == "domestic"
    return Parts(
        domestic_per_card=per_card if chip_domestic else 0.0,
        domestic_per_node=(per_node if chip_domestic else 0.0)
        + (network if fabric_domestic else 0.0),
        import_per_card=0.0 if chip_domestic else per_card,
        import_per_node=(0.0 if chip_domestic else per_node)
        + (0.0 if fabric_domestic else network),
    )


def grown(inputs: PlanningInputs, options: OptionSet, bounded: bool = True) -> OptionSet:
    """`options` with `grow` applied, exclusions kept."""
    return OptionSet(grow(inputs, options.options, bounded), options.exclusions)


def grow(inputs: PlanningInputs, options: Iterable[Option], bounded: bool = True) -> list[Option]:
    """The options with pools allowed to grow as far as the module docstring proves.

    Options with delta <= 0 (import pools, without the network) and every option
    without a share keep their smallest size as their largest; only `max_nodes` and
    `max_replicas` change. An elastic option that cannot reach its target keeps the
    largest size it was built with, and only options that reach it count in the bound.

    `bounded=False` (mixed fleets, fleet plans over years) lets every pool with
    delta > 0 grow to what it may physically be: the proof above assumes one pool per
    workload at its smallest size meeting one target, which parts of a mixed workload
    and the pools of years with smaller targets are not.
    """
    options = list(options)
    if not spare_capacity_helps(inputs):
        return options
    if not bounded:
        out = []
        for o in options:
            share = inputs.site.min_domestic_share
            delta = _f(parts(inputs, o), share, o.system_cards, o.nodes_per_system)
            huge = _physical_cards(inputs, o) // max(o.system_cards, 1) + 1
            out.append(o if o.short or delta <= 0 else _grown(inputs, o, huge))
        return out
    share = inputs.site.min_domestic_share
    shares: dict[OptionKey, tuple[float, float]] = {}
    least: dict[str, float] = {}
    for o in options:
        if o.short:
            continue
        nodes, cards, _ = smallest_size(o)
        part = parts(inputs, o)
        small = _f(part, share, cards, nodes)
        shares[o.key] = (small, _f(part, share, o.system_cards, o.nodes_per_system))
        least[o.workload] = min(least.get(o.workload, small), small)
    total_least = sum(least.values())

    def room(o: Option) -> int | None:
        """Most steps option o may grow (None: it never grows)."""
        small, delta = shares[o.key]
        if delta <= 0:
            return None
        others = total_least - least[o.workload]
        return math.floor((delta - others - small) / delta + 1e-9)

    out = []
    for o in options:
        steps = None if o.short else room(o)
        out.append(o if steps is None or steps <= 0 else _grown(inputs, o, steps))
    return out


def _f(part: Parts, share: float, cards: float, nodes: float) -> float:
    """f = (1 - s) x domestic - s x import amount of (cards, nodes)."""
    domestic = part.domestic(cards, nodes)
    return float((1.0 - share) * domestic - share * (part.total(cards, nodes) - domestic))


def _grown(inputs: PlanningInputs, o: Option, steps: int) -> Option:
    """Option o allowed `steps` systems beyond its smallest size, within physical limits."""
    nodes, _, replicas = smallest_size(o)
    physical = _physical_cards(inputs, o) // o.system_cards * o.nodes_per_system
    max_nodes = min(nodes + steps * o.nodes_per_system, max(nodes, physical))
    if max_nodes <= nodes:
        return o
    if replicas is None:
        return dataclasses.replace(o, max_nodes=max_nodes)
    max_replicas = max(replicas, o.replica_capacity(o.systems(max_nodes)))
    return dataclasses.replace(o, max_nodes=max_nodes, max_replicas=max_replicas)


def _physical_cards(inputs: PlanningInputs, o: Option) -> int:
    """Most cards a pool of option o can hold: fabric, supply cap, power budget, racks."""
    site = inputs.site
    chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
    nodes = int(tier_capacity(3, fabric.switch_radix, fabric.oversubscription) // o.nics_per_node)
    if site.power_budget_kw is not None:
        pue = inputs.coolings[o.cooling].pue
        nodes = min(nodes, math.floor(site.power_budget_kw / (o.node_kw * pue) + 1e-9))
    if site.max_racks is not None:
        nodes = min(nodes, site.max_racks * o.nodes_per_rack)
    cards = nodes * o.cards_per_node
    if chip.max_cards is not None:
        cards = min(cards, chip.max_cards)
    return cards


def least_margins(inputs: PlanningInputs, options: Iterable[Option]) -> dict[str, float]:
    """m(w) per workload: the least f = (1 - s) x D - s x I of its options at their
    smallest size, over the options that reach their target (what `grow` bounds with)."""
    share = inputs.site.min_domestic_share
    least: dict[str, float] = {}
    for o in options:
        if o.short:
            continue
        nodes, cards, _ = smallest_size(o)
        small = _f(parts(inputs, o), share, cards, nodes)
        least[o.workload] = min(least.get(o.workload, small), small)
    return least


def margin_floor(inputs: PlanningInputs, chip_id: str, nodes: int) -> float | None:
    """A lower bound on f at the smallest size of any option of the chip with at least
    `nodes` nodes there, or None when there is none to give.

    A domestic chip's pool without the network in the share has D = per card x cards +
    per node x nodes (weights >= 0) and I = 0, so f = (1 - s) x D grows with its size;
    an import chip's f falls with it, and a counted network may be imported.
    """
    chip = inputs.chips[chip_id]
    if chip.origin != "domestic" or inputs.site.domestic_share_includes_network:
        return None
    per_card, per_node = weights(inputs, chip_id)
    share = inputs.site.min_domestic_share
    cards = nodes * chip.cards_per_node
    return float((1.0 - share) * (per_card * cards + per_node * nodes))


def growth_unchanged(
    inputs: PlanningInputs, options: list[Option], floors: Mapping[str, float | None]
) -> bool:
    """Whether `grow` sizes `options` as it would with more options of the workloads in
    `floors`, every one of which has a margin f at its smallest size >= floors[w] (None:
    no bound known).

    The extra options enter `grow` only through m(w) = min f, which they can lower to
    L(w) = min(m(w) over `options`, floors[w]) at most; an option o grows by
    floor((delta - sum_{w' != w_o} m(w') - f_o) / delta + 1e-9) steps when that is > 0,
    which only rises as the m(w') fall. So o is sized alike either way when none of its
    other workloads' m can fall, or when it does not grow even at the L's (with a margin
    far above float noise, so the order of the sum cannot matter).
    """
    share = inputs.site.min_domestic_share
    least = least_margins(inputs, options)
    low: dict[str, float] = {}
    for w, floor in floors.items():
        if w not in least or floor is None:
            return False
        low[w] = min(least[w], floor)
    falls = {w for w in floors if low[w] < least[w]}
    if not falls:
        return True
    for o in options:
        if o.short or not falls - {o.workload}:
            continue
        nodes, cards, _ = smallest_size(o)
        part = parts(inputs, o)
        delta = _f(part, share, o.system_cards, o.nodes_per_system)
        if delta <= 0:
            continue
        others = sum(low.get(w, m) for w, m in least.items() if w != o.workload)
        if (delta - others - _f(part, share, cards, nodes)) / delta >= 1.0 - 1e-6:
            return False
    return True
