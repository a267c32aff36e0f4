"""The minimum domestic share on its basis, and how far domestic pools may grow to meet it.

Basis. A pool's amount is W = w_card x cards + w_node x nodes on
`Site.domestic_share_basis` (`tco.costs.registry.share_amount`: cards,
compute = cards x bf16_tflops, spend = card and host purchase). The share
s = `min_domestic_share` asks sum_domestic W >= s x sum_all W, a linear row
without products.

Spare capacity. Every cost and resource grows with a pool's size, so an
optimal plan holds each pool at its smallest size meeting the target, with one
exception: more domestic amount helps the share. Domestic pools may therefore
hold more cards than their target needs (more nodes for training, more
replicas for inference), inside the single MILP. How many more is bounded as
follows; the bound is valid, i.e. some optimal plan respects it.

Take an optimal plan. (1) Shrink every import pool to its smallest size: no
cost or limit gets worse and the share only gets easier. (2) While some
domestic pool j is above its smallest size and removing one growth step of it
(one system: pools are bought in whole systems, for training, and for
inference a system freed of replicas, replicas moved into the other systems
first) keeps D >= N, remove it; again nothing gets worse.
Here D is the domestic amount and N = s / (1 - s) x I the domestic amount the
import amount I requires. When this stops, every pool j still above its
smallest size has D - delta_j < N, delta_j <= the amount of one step with its
nodes. Pool j serves its workload w, so w holds no import pool and
I <= I_max(w) = sum over the other workloads of their largest import option's
amount at its smallest size. So pool j's own amount is at most

    W_j <= N_max(w) + delta_j - D_others,   N_max(w) = s / (1 - s) x I_max(w),

D_others the least amount the other workloads must hold domestically (those
whose every option is domestic, at their cheapest smallest size). With
W_j >= (w_card + w_node / cards_per_node) x cards_j (w_node including the
node's share of its system), that bounds cards_j, and whole systems of it.
It is also capped by what the pool may physically be: a 3-tier fabric, the
chip's supply cap, the power budget at the node's peak kW x PUE, and the
racks. The reduced plan is optimal and inside these bounds, so the MILP over
the grown options keeps the optimum. The bound depends on no price, so it
holds for every scenario of the same specs; it is computed over every option,
so it holds for every forced chip, fabric or cooling too.

Without a share strictly between 0 and 1 no pool grows: a share of 0 asks
nothing, a share of 1 forbids import cards altogether.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from tco.costs import registry
from tco.costs.clos import tier_capacity
from tco.model.options import Option, OptionSet, smallest_size
from tco.perf.hardware import nodes_per_system
from tco.schema.inputs import PlanningInputs


def spare_capacity_helps(inputs: PlanningInputs) -> bool:
    """Whether a domestic pool may gain from holding more than its target needs."""
    return 0.0 < inputs.site.min_domestic_share < 1.0


def weights(inputs: PlanningInputs, chip_id: str) -> tuple[float, float]:
    """(per card, per node) amount of a chip's pools on the Site's share basis.

    A node carries its share of its system (systems = nodes / nodes_per_system).
    """
    basis, chip = inputs.site.domestic_share_basis, inputs.chips[chip_id]
    return (
        float(registry.share_amount(basis, chip, 1.0, 0.0, 0.0)),
        float(registry.share_amount(basis, chip, 0.0, 1.0, 1.0 / nodes_per_system(chip))),
    )


def amount(inputs: PlanningInputs, chip_id: str, cards: float, nodes: float) -> float:
    """A pool's amount on the share basis [cards, TFLOPS or currency]."""
    per_card, per_node = weights(inputs, chip_id)
    return per_card * cards + per_node * nodes


def is_domestic(inputs: PlanningInputs, o: Option) -> bool:
    return inputs.chips[o.chip].origin == "domestic"


def _smallest_amount(inputs: PlanningInputs, o: Option) -> float:
    nodes, cards, _ = smallest_size(o)
    return amount(inputs, o.chip, cards, nodes)


def _step(o: Option) -> tuple[int, int]:
    """(cards, nodes) one growth step adds at most: a system, for a node count or a replica
    (pools are bought in whole systems, and a replica never spans two)."""
    return o.system_cards, o.nodes_per_system


def grown(inputs: PlanningInputs, options: OptionSet) -> OptionSet:
    """`options` with `grow` applied, exclusions kept."""
    return OptionSet(grow(inputs, options.options), options.exclusions)


def grow(inputs: PlanningInputs, options: Iterable[Option]) -> list[Option]:
    """The options with domestic pools allowed to grow as far as the module docstring proves.

    Import options and every option without a share keep their smallest size as
    their largest; only `max_nodes` and `max_replicas` change. An elastic option
    that cannot reach its target keeps the largest size it was built with, and
    only options that reach it count in the bound.
    """
    options = list(options)
    if not spare_capacity_helps(inputs):
        return options
    share = inputs.site.min_domestic_share
    by_workload: dict[str, list[Option]] = {}
    for o in options:
        if not o.short:
            by_workload.setdefault(o.workload, []).append(o)
    import_max = {
        w: max(
            (_smallest_amount(inputs, o) for o in group if not is_domestic(inputs, o)),
            default=0.0,
        )
        for w, group in by_workload.items()
    }
    domestic_only = {
        w: min(_smallest_amount(inputs, o) for o in group)
        for w, group in by_workload.items()
        if all(is_domestic(inputs, o) for o in group)
    }
    ratio = share / (1.0 - share)

    def room(w: str) -> float:
        """N_max - D_others for a domestic pool of w (w itself then holds no import)."""
        others_import = sum(v for x, v in import_max.items() if x != w)
        others_domestic = sum(v for x, v in domestic_only.items() if x != w)
        return ratio * others_import - others_domestic

    return [
        _grown(inputs, o, room(o.workload)) if is_domestic(inputs, o) and not o.short else o
        for o in options
    ]


def _grown(inputs: PlanningInputs, o: Option, room: float) -> Option:
    """Option o with room for `room` + one step of share amount of its own (see module)."""
    per_card, per_node = weights(inputs, o.chip)
    step_cards, step_nodes = _step(o)
    own = room + per_card * step_cards + per_node * step_nodes
    per_card_at_least = per_card + per_node / o.cards_per_node
    if per_card_at_least <= 0:
        return o
    cards = math.floor(own / per_card_at_least + 1e-9)
    cards = min(cards, _physical_cards(inputs, o))
    nodes, smallest_cards, replicas = smallest_size(o)
    if cards <= smallest_cards:
        return o
    systems = cards // o.system_cards
    max_nodes = max(nodes, systems * o.nodes_per_system)
    if replicas is None:
        return dataclasses.replace(o, max_nodes=max_nodes)
    max_replicas = max(replicas, systems * o.replicas_per_system)
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
