"""The minimum domestic share on its basis, and how far pools may grow to meet it.

Basis. A pool's amount on `Site.domestic_share_basis` is linear in its cards
and nodes (`tco.costs.registry.share_amount`: cards, compute = cards x
bf16_tflops, spend = card, host and system purchase), and domestic when its
chip is. With `domestic_share_includes_network` (spend basis only) a pool's
network purchase counts too, domestic when its fabric is, as bought: its NIC
cards and its integer leaf, spine and core switch and link counts at their
prices (`Network`), the same lines its bill of materials lists. The model holds
those counts to the Clos `size_clos` gives the pool's ports (`tco.model.network`:
fewest tiers, whole counts and no more), so no spare switch buys share and the
share a plan reports is the one it was solved under. So a pool's domestic
amount D_o and import amount I_o are linear in its decisions (`Parts`), and the
share s = `min_domestic_share` asks sum D >= s x sum (D + I), a linear row
without products.

Spare capacity. Write f_o = (1 - s) x D_o - s x I_o; the share holds iff
F = sum over pools f_o >= 0. Every cost and resource grows with a pool's size,
so an optimal plan holds each pool at its smallest size meeting the target,
except where more size raises F. Pools are ordered in whole systems, so a
growth step is one system (nodes for training, a system freed of replicas for
inference). Without a counted network f grows by the same delta_o = (1 - s) x
D_step - s x I_step at every step; a counted network rounds up to whole switches
and tiers, so each step adds its own delta (of either sign), and f is taken at
every size the pool may have (`Margin`). How far a pool may grow is bounded as
follows; the bound is valid, i.e. some optimal plan respects it.

Take an optimal plan. (1) Move every pool down to the smallest of its sizes
that holds the most f among the sizes up to its own: no cost or limit gets
worse and F does not fall. Each pool then sits at a size k whose f is above f
at every smaller size, so f >= f(smallest) for every pool. (2) While some pool
j can move down to the next smaller such size and keep F >= 0, move it. When
this stops, a pool j left k_j > 0 steps up has F < f_j(k_j) - max_{k < k_j}
f_j(k), and every other pool q has f_q >= m(w_q), m(w) the least f at its
smallest size over workload w's options. Pool j serves its workload w, so F >=
f_j(k_j) + sum_{w' != w} m(w') gives

    f_j(k) < -sum_{w' != w} m(w')   for every k < k_j,

so k_j is at most the first step at which f_j reaches -sum_{w' != w} m(w'). With
f linear (one delta_j > 0 a step) it reads f_j(smallest) + steps_j x delta_j <
delta_j - sum_{w' != w} m(w'). It is also capped by what the pool may physically
be: a 3-tier fabric, the chip's supply cap, the power budget at the node's peak
kW x PUE, and the racks. The reduced plan is optimal and inside
these bounds, so the MILP over the grown options keeps the optimum. The bound is
computed over every option, so it holds for every forced chip, fabric or
cooling; on the cards and compute bases it depends on no price.

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

import numpy as np

from tco.costs import registry
from tco.costs.clos import clos_counts, tier_capacity
from tco.model.options import Option, OptionSet, smallest_size
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


def counts_network(inputs: PlanningInputs) -> bool:
    """Whether the share row counts the pools' networks: a minimum share on the spend basis
    with `domestic_share_includes_network` (validation refuses it on other bases)."""
    site = inputs.site
    return site.min_domestic_share > 0 and site.domestic_share_includes_network


@dataclass(frozen=True)
class Network:
    """A pool's network purchase as the share counts it: exactly as bought.

    spend = nic x NIC cards + leaf x leaf switches + spine x spine switches + core x core
    switches + link x links [currency], the registry's network lines (`network_prices`);
    the counts are the Clos of the pool's NIC ports at the fewest tiers that connect
    them (`tco.costs.clos.size_clos`): the model's rows hold a pool on a domestic fabric
    to it (`tco.model.network`), and on an imported one a spare switch or tier only
    costs more and lowers the share.
    """

    domestic: bool
    #: Currency per (NIC card, leaf, spine, core switch, link).
    prices: tuple[float, float, float, float, float]
    nic_cards_per_node: int
    ports_per_node: int
    radix: int
    oversubscription: float

    def spend(self, nodes: np.ndarray) -> np.ndarray:
        """Network purchase of pools of `nodes` nodes [currency], one per entry."""
        nodes = np.asarray(nodes, dtype=np.int64)
        counts = clos_counts(nodes * self.ports_per_node, self.radix, self.oversubscription)
        nic, *per_count = self.prices
        out: np.ndarray = nic * self.nic_cards_per_node * nodes + counts @ np.array(per_count)
        return out


def network_prices(inputs: PlanningInputs, o: Option) -> tuple[float, float, float, float, float]:
    """Price of one NIC card, leaf, spine and core switch and link of option o's fabric, from
    the registry's network lines (a link: its two optics and its cable) [currency]."""
    lookup = registry.row_lookup(
        inputs.chips[o.chip], inputs.fabrics[o.fabric], inputs.coolings[o.cooling], inputs.site
    )
    prices = []
    for name in ("nics", "leaf_switches", "spine_switches", "core_switches", "links"):
        unit = dict.fromkeys(registry.DECISIONS, 0)
        unit[name] = 1
        cost = registry.price_pool(registry.PoolQuantities(**unit), lookup)
        prices.append(float(cost.spend("network")))
    nic, leaf, spine, core, link = prices
    return nic, leaf, spine, core, link


def network(inputs: PlanningInputs, o: Option) -> Network | None:
    """Option o's network as the share counts it, or None when the share does not."""
    if not counts_network(inputs):
        return None
    fabric = inputs.fabrics[o.fabric]
    return Network(
        fabric.origin == "domestic",
        network_prices(inputs, o),
        o.nic_cards_per_node,
        o.nics_per_node,
        fabric.switch_radix,
        fabric.oversubscription,
    )


@dataclass(frozen=True)
class Parts:
    """A pool's domestic and import amounts on the share basis: its cards and hosts per
    card and per node, and its network as bought when the share counts it."""

    domestic_per_card: float
    domestic_per_node: float
    import_per_card: float
    import_per_node: float
    network: Network | None = None

    def amounts(self, cards: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(domestic, import) amounts of pools of (cards, nodes), one per entry."""
        cards, nodes = np.asarray(cards, dtype=float), np.asarray(nodes, dtype=float)
        domestic = self.domestic_per_card * cards + self.domestic_per_node * nodes
        imported = self.import_per_card * cards + self.import_per_node * nodes
        if self.network is not None:
            spend = self.network.spend(nodes.astype(np.int64))
            if self.network.domestic:
                domestic = domestic + spend
            else:
                imported = imported + spend
        return domestic, imported


def parts(inputs: PlanningInputs, o: Option) -> Parts:
    """Option o's amounts: its cards and hosts by the chip's origin, its network (when
    counted) by the fabric's."""
    per_card, per_node = weights(inputs, o.chip)
    chip_domestic = inputs.chips[o.chip].origin == "domestic"
    return Parts(
        domestic_per_card=per_card if chip_domestic else 0.0,
        domestic_per_node=per_node if chip_domestic else 0.0,
        import_per_card=0.0 if chip_domestic else per_card,
        import_per_node=0.0 if chip_domestic else per_node,
        network=network(inputs, o),
    )


def grown(inputs: PlanningInputs, options: OptionSet, bounded: bool = True) -> OptionSet:
    """`options` with `grow` applied, exclusions kept."""
    return OptionSet(grow(inputs, options.options, bounded), options.exclusions)


def grow(inputs: PlanningInputs, options: Iterable[Option], bounded: bool = True) -> list[Option]:
    """The options with pools allowed to grow as far as the module docstring proves.

    Options no size of which holds more f than their smallest (import pools) and every
    option without a share keep their smallest size as their largest; only `max_nodes`
    and `max_replicas` change. An elastic option that cannot reach its target keeps the
    largest size it was built with, and only options that reach it count in the bound.

    `bounded=False` (mixed fleets, fleet plans over years) lets every pool some size of
    which raises f grow to what it may physically be: the proof above assumes one pool
    per workload at its smallest size meeting one target, which parts of a mixed workload
    and the pools of years with smaller targets are not.
    """
    options = list(options)
    if not spare_capacity_helps(inputs):
        return options
    share = inputs.site.min_domestic_share
    margins = {o.key: margin(inputs, o, share) for o in options if not o.short}
    if not bounded:
        out = []
        for o in options:
            huge = _physical_cards(inputs, o) // max(o.system_cards, 1) + 1
            helps = not o.short and margins[o.key].rises
            out.append(_grown(inputs, o, huge) if helps else o)
        return out
    least: dict[str, float] = {}
    for o in options:
        if not o.short:
            small = margins[o.key].small
            least[o.workload] = min(least.get(o.workload, small), small)
    total_least = sum(least.values())

    def room(o: Option) -> int | None:
        """Most steps option o may grow (None: it never grows)."""
        mg = margins[o.key]
        if not mg.rises:
            return None
        others = total_least - least[o.workload]
        if mg.sizes is None:
            return math.floor((mg.delta - others - mg.small) / mg.delta + 1e-9)
        # A pool left k steps up has f(k') < -others at every k' < k (module docstring):
        # k is at most the first step where f reaches -others.
        reached = mg.sizes >= -others - _TOLERANCE * max(1.0, abs(others))
        return int(np.argmax(reached)) if reached.any() else len(mg.sizes) - 1

    out = []
    for o in options:
        steps = None if o.short else room(o)
        out.append(o if steps is None or steps <= 0 else _grown(inputs, o, steps))
    return out


@dataclass(frozen=True)
class Margin:
    """f = (1 - s) x D - s x I of an option's pools: at its smallest size, and either its
    change per growth step (one system, `delta`: f linear in the steps) or f at every size
    (`sizes`, k steps beyond the smallest at index k)."""

    small: float
    delta: float
    sizes: np.ndarray | None

    @property
    def rises(self) -> bool:
        """Whether some larger size holds more f than the smallest: else it never grows."""
        if self.sizes is None:
            return self.delta > 0
        return len(self.sizes) > 1 and bool(self.sizes[1:].max() > self.small)


#: Relative slack on f(k) >= -others, so that float noise never cuts a valid step.
_TOLERANCE = 1e-9


def margin(inputs: PlanningInputs, o: Option, share: float) -> Margin:
    """Option o's `Margin` from its smallest size to the largest it may physically be.

    Without a counted network f is linear in the steps, each adding f of one system. A
    counted network is priced as bought, in whole switches at the fewest tiers, so each
    step adds its own amount: f is taken at every size.
    """
    part = parts(inputs, o)
    nodes, cards, _ = smallest_size(o)
    small = _f(part, share, cards, nodes)
    if part.network is None:
        return Margin(small, _f(part, share, o.system_cards, o.nodes_per_system), None)
    physical = _physical_cards(inputs, o) // o.system_cards * o.nodes_per_system
    sizes = np.arange(nodes, max(nodes, physical) + 1, o.nodes_per_system, dtype=np.int64)
    domestic, imported = part.amounts(sizes * o.cards_per_node, sizes)
    return Margin(small, math.nan, (1.0 - share) * domestic - share * imported)


def _f(part: Parts, share: float, cards: float, nodes: float) -> float:
    """f = (1 - s) x domestic - s x import amount of (cards, nodes)."""
    domestic, imported = part.amounts(np.array([cards]), np.array([nodes]))
    return float((1.0 - share) * domestic[0] - share * imported[0])


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
        small = margin(inputs, o, share).small
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
        mg = margin(inputs, o, share)
        delta = mg.delta  # linear: no counted network here (margin_floor is None)
        if delta <= 0:
            continue
        others = sum(low.get(w, m) for w, m in least.items() if w != o.workload)
        if (delta - others - mg.small) / delta >= 1.0 - 1e-6:
            return False
    return True
