"""Let domestic pools grow past their target size when the domestic share may need it.

Options are sized for throughput: the smallest pool meeting the target is
always the cheapest way to serve a workload, except for one rule that more
cards can help: the minimum domestic share D >= share x (D + I), i.e.
D >= share / (1 - share) x I. Buying spare domestic cards next to an import
pool can be the cheapest way to meet it, so domestic options may grow. Import
pools never gain from growing.

How far a domestic option o of workload w may grow, in nodes:

- structurally, by at most share / (1 - share) x I_max cards, I_max the sum
  over workloads of the largest import pool that could be in a cheaper plan,
  within its fabric and supply cap;
- and, given the TCO C of a known feasible plan (the incumbent), by at most
  (C - sum_{w' != w} L_w' - L_o) / p_o nodes, where L is the cheapest
  smallest-size TCO of a workload's options (L_o of o itself) and p_o is a
  lower bound on what one more node costs over the horizon: its cards and
  host with their maintenance, the cooling plant and data hall for its kW,
  and its energy (switches, optics and racks only add to it). A plan growing o
  further costs more than the incumbent.

The second bound is what keeps the grown model small enough to solve fast;
before it is solved at all, `spare_bound_model` checks cheaply whether any plan
that needs spare cards could beat the incumbent.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from tco.costs import registry
from tco.costs.clos import tier_capacity
from tco.model.context import MONEY_SCALE
from tco.model.dominance import Footprint, footprint
from tco.model.options import Option, OptionKey, smallest_size
from tco.schema.inputs import PlanningInputs


@dataclass(frozen=True)
class Footprints:
    """Each option's TCO and counts at its smallest size, and the cheapest spare card."""

    cost: dict[OptionKey, float]
    sizes: dict[OptionKey, Footprint]
    cheapest: dict[str, float]
    card_floor: float


def footprints(inputs: PlanningInputs, options: list[Option]) -> Footprints:
    factor = registry.annuity(inputs.site)
    sizes = {o.key: footprint(inputs, o) for o in options}
    cost = {
        k: registry.discounted_tco(
            fp.capex, 0.0, registry.opex_present_value(fp.opex_per_year, factor)
        )
        for k, fp in sizes.items()
    }
    cheapest = {
        w: min((cost[o.key] for o in options if o.workload == w), default=0.0)
        for w in inputs.workloads
    }
    card_floor = min(
        (
            _card_cost_floor(inputs, o, factor)
            for o in options
            if inputs.chips[o.chip].origin == "domestic"
        ),
        default=math.inf,
    )
    return Footprints(cost, sizes, cheapest, card_floor)


def spare_bound_model(
    inputs: PlanningInputs, options: list[Option], fp: Footprints
) -> pyo.ConcreteModel:
    """A small MILP whose optimum bounds from below every plan that needs spare cards.

    One binary per option at its smallest size (exact footprint TCO), migration
    per stack, and z spare domestic cards at the cheapest cost per card:
    z >= share / (1 - share) x import cards - domestic cards and z >= 1 (a plan
    that needs growth needs at least one more card). Power, racks, supply and
    capex limits hold at smallest sizes, since growing only adds to them. If
    this model is infeasible or costs at least the incumbent, no plan with spare
    domestic cards can beat the incumbent.
    """
    site, chips = inputs.site, inputs.chips
    share = site.min_domestic_share
    stacks = registry.stack_migration_costs(chips)
    m = pyo.ConcreteModel(name="spare_bound")
    keys = [o.key for o in options]
    m.OPTIONS = pyo.Set(initialize=keys, dimen=4, ordered=True)
    used = sorted({chips[o.chip].software_stack for o in options})
    m.STACKS = pyo.Set(initialize=used, ordered=True)
    m.v_use = pyo.Var(m.OPTIONS, within=pyo.Binary)
    m.v_stack = pyo.Var(m.STACKS, within=pyo.Binary)
    m.v_spare_cards = pyo.Var(within=pyo.NonNegativeReals, bounds=(1.0, None))
    m.one_option_constraint = pyo.Constraint(
        list(inputs.workloads),
        rule=lambda m, w: sum(m.v_use[o.key] for o in options if o.workload == w) == 1,
    )
    m.stack_constraint = pyo.Constraint(
        m.OPTIONS,
        rule=lambda m, *k: m.v_stack[chips[k[1]].software_stack] >= m.v_use[k],
    )

    def cards(domestic: bool) -> Any:
        return sum(
            fp.sizes[o.key].cards * m.v_use[o.key]
            for o in options
            if (chips[o.chip].origin == "domestic") == domestic
        )

    m.spare_constraint = pyo.Constraint(
        expr=m.v_spare_cards >= share / (1 - share) * cards(False) - cards(True)
    )
    if site.power_budget_kw is not None:
        m.power_constraint = pyo.Constraint(
            expr=sum(fp.sizes[k].facility_kw * m.v_use[k] for k in keys) <= site.power_budget_kw
        )
    if site.max_racks is not None:
        m.racks_constraint = pyo.Constraint(
            expr=sum(fp.sizes[k].racks * m.v_use[k] for k in keys) <= site.max_racks
        )
    capped = sorted({o.chip for o in options if chips[o.chip].max_cards is not None})
    m.supply_constraint = pyo.Constraint(
        capped,
        rule=lambda m, c: (
            sum(fp.sizes[o.key].cards * m.v_use[o.key] for o in options if o.chip == c)
            <= chips[c].max_cards
        ),
    )
    migration = sum(stacks[s][0] * m.v_stack[s] for s in used)
    if site.capex_budget is not None:
        m.capex_constraint = pyo.Constraint(
            expr=sum(fp.sizes[k].capex * m.v_use[k] for k in keys) + migration <= site.capex_budget
        )
    card_floor = fp.card_floor
    if not math.isfinite(card_floor):
        # No domestic option: no plan can buy a spare domestic card, so the model is
        # infeasible by construction (an infinite price would be a solver error instead).
        m.no_domestic_option_constraint = pyo.Constraint(expr=m.v_spare_cards <= 0)
        card_floor = 0.0
    m.objective = pyo.Objective(
        expr=MONEY_SCALE
        * (sum(fp.cost[k] * m.v_use[k] for k in keys) + migration + card_floor * m.v_spare_cards),
        sense=pyo.minimize,
    )
    return m


def second_round_options(
    inputs: PlanningInputs, options: list[Option], fp: Footprints, incumbent_tco: float | None
) -> list[Option] | None:
    """Options for a second solve in which domestic pools may grow, or None if none can pay.

    With an incumbent of TCO C, an option o of workload w can only be part of
    a cheaper plan if L_o + sum_{w' != w} L_w' + S_o <= C (costs at smallest
    size are lower bounds; S_o is the least cost of the spare domestic cards an
    import pool forces: share / (1 - share) x its cards, less the most domestic
    cards the other workloads' pools hold, at the cheapest domestic cost per
    card); the others are dropped. If no import option survives, no plan needs
    spare domestic cards and there is no second round.
    """
    share = inputs.site.min_domestic_share
    factor = registry.annuity(inputs.site)
    cost, cheapest, card_floor = fp.cost, fp.cheapest, fp.card_floor
    total = sum(cheapest.values())

    def room(o: Option) -> float:
        """How much dearer than its cheapest rival plan option o may still get."""
        if incumbent_tco is None:
            return math.inf
        return incumbent_tco - (total - cheapest[o.workload] + cost[o.key])

    domestic = [o for o in options if inputs.chips[o.chip].origin == "domestic"]
    most_domestic = {
        w: max((smallest_size(o)[1] for o in domestic if o.workload == w), default=0)
        for w in inputs.workloads
    }

    def spare_cost(o: Option) -> float:
        """Least cost of the spare domestic cards an import pool o forces on any plan."""
        if inputs.chips[o.chip].origin == "domestic":
            return 0.0
        others = sum(v for w, v in most_domestic.items() if w != o.workload)
        needed = share / (1 - share) * smallest_size(o)[1] - others
        return needed * card_floor if needed > 0 else 0.0

    alive = [o for o in options if room(o) - spare_cost(o) >= 0]
    imports = [o for o in alive if inputs.chips[o.chip].origin != "domestic"]
    import_cards = sum(
        max((smallest_size(o)[1] for o in imports if o.workload == w), default=0)
        for w in inputs.workloads
    )
    extra_cards = math.ceil(share / (1 - share) * import_cards)
    if extra_cards == 0:
        return None
    grown = []
    for o in alive:
        chip = inputs.chips[o.chip]
        if chip.origin != "domestic":
            grown.append(o)
            continue
        fabric = inputs.fabrics[o.fabric]
        limit = int(
            tier_capacity(3, fabric.switch_radix, fabric.oversubscription) // o.nics_per_node
        )
        if chip.max_cards is not None:
            limit = min(limit, math.ceil(chip.max_cards / o.cards_per_node))
        extra_nodes = math.ceil(extra_cards / o.cards_per_node)
        if incumbent_tco is not None:
            per_node = _node_cost_floor(inputs, o, factor)
            if per_node > 0:
                extra_nodes = min(extra_nodes, math.floor(room(o) / per_node))
        nodes = max(o.max_nodes, min(limit, o.max_nodes + extra_nodes))
        if nodes == o.max_nodes:
            grown.append(o)
            continue
        replicas = (nodes * o.cards_per_node) // o.replica_cards if o.replica_cards else 0
        grown.append(dataclasses.replace(o, max_nodes=nodes, max_replicas=replicas))
    return grown


def _delta_cost(inputs: PlanningInputs, o: Option, annuity: float, cards: int, nodes: int) -> float:
    """Discounted cost of `cards` more cards and `nodes` more hosts in option o's pool.

    Priced by the cost-line registry, which is linear without a constant, so the
    cost of the delta is its marginal cost: the cards and hosts with their
    maintenance, the cooling plant and data hall for their kW, and their energy.
    NICs, switches, optics and racks are left at zero: a spare card may sit in a
    free slot of a node the pool already has, so no network or rack cost is certain.
    """
    chip, site = inputs.chips[o.chip], inputs.site
    lookup = registry.row_lookup(chip, inputs.fabrics[o.fabric], inputs.coolings[o.cooling], site)
    delta = registry.PoolQuantities(cards, nodes, 0, 0, 0, 0, 0, 0)
    return float(registry.lifetime_cost(registry.price_pool(delta, lookup), annuity))


def _node_cost_floor(inputs: PlanningInputs, o: Option, annuity: float) -> float:
    """Discounted cost of one more node of option o with its cards, without network and racks."""
    return _delta_cost(inputs, o, annuity, o.cards_per_node, 1)


def _card_cost_floor(inputs: PlanningInputs, o: Option, annuity: float) -> float:
    """Discounted cost of one more card of option o in a slot that is already paid for."""
    return _delta_cost(inputs, o, annuity, 1, 0)
