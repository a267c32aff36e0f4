"""Site and business limits: power budget, racks, capex budget, supply caps, domestic share.

In the elastic model (infeasibility diagnosis) each limit gets a penalised
non-negative slack in its own unit; the plan then says by how much each limit
falls short of the cheapest plan that meets every target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from tco.model.context import ModelContext
from tco.model.options import Option, smallest_size
from tco.model.share import Parts
from tco.model.share import parts as share_parts
from tco.model.share import weights as share_weights


def _slack(m: pyo.ConcreteModel, ctx: ModelContext, name: str, scale: float) -> Any:
    """A penalised slack (elastic model) or 0; weight 1 per 100% of the limit."""
    if not ctx.elastic:
        return 0.0
    var = pyo.Var(within=pyo.NonNegativeReals)
    m.add_component(f"v_slack_{name}", var)
    ctx.penalties[name] = (var, 1.0 / max(scale, 1e-9))
    return var


def add_to(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    site = ctx.inputs.site
    chips = ctx.inputs.chips
    options = ctx.options

    if site.power_budget_kw is not None:
        slack = _slack(m, ctx, "power", site.power_budget_kw)

        def power_rule(m: pyo.ConcreteModel) -> Any:
            """sum_o IT kW x PUE <= power_budget_kw [kW]."""
            return sum(m.e_facility_kw[o.key] for o in options) <= site.power_budget_kw + slack

        m.power_budget_constraint = pyo.Constraint(rule=power_rule)

    if site.max_racks is not None:
        slack = _slack(m, ctx, "racks", max(site.max_racks, 1))

        def racks_rule(m: pyo.ConcreteModel) -> Any:
            """sum_o racks <= max_racks [racks]."""
            return sum(m.v_racks[o.key] for o in options) <= site.max_racks + slack

        m.max_racks_constraint = pyo.Constraint(rule=racks_rule)

    caps = {o.chip: cap for o in options if (cap := chips[o.chip].max_cards) is not None}
    capped = sorted(caps)
    m.CAPPED_CHIPS = pyo.Set(initialize=capped, ordered=True)
    supply_slack = {c: _slack(m, ctx, f"supply:{c}", max(caps[c], 1)) for c in capped}

    def supply_constraint(m: pyo.ConcreteModel, c: str) -> Any:
        """sum of cards of chip c over pools <= max_cards [cards]."""
        cards = sum(m.e_cards[o.key] for o in options if o.chip == c)
        return cards <= caps[c] + supply_slack[c]

    m.supply_constraint = pyo.Constraint(m.CAPPED_CHIPS, rule=supply_constraint)

    if site.min_domestic_share > 0:
        share_rule(m, ctx)

    if site.capex_budget is not None:
        slack = _slack(m, ctx, "capex", site.capex_budget)

        def capex_rule(m: pyo.ConcreteModel) -> Any:
            """capex (hardware, facility, migration) <= capex_budget [currency]."""
            return m.e_capex_total <= site.capex_budget + slack

        m.capex_budget_constraint = pyo.Constraint(rule=capex_rule)


def share_rule(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """domestic W (+ slack) >= min_domestic_share x all W, W on the Site's basis.

    W = w_card x cards + w_node x nodes per pool, plus its network as bought when the
    Site counts it, split into its domestic and import parts (`tco.model.share.parts`:
    the chip's origin, and the fabric's for the network), divided by the largest
    per-card weight so the row's coefficients stay near 1 whatever the basis' unit
    (cards, TFLOPS or currency). The elastic slack is in those scaled units;
    `tco.solve.diagnose` converts it back.
    """
    inputs, options = ctx.inputs, ctx.options
    share = inputs.site.min_domestic_share
    chips = {o.chip for o in options}
    ctx.share_scale = max((share_weights(inputs, c)[0] for c in chips), default=1.0) or 1.0
    split = {o.key: share_parts(inputs, o) for o in options}

    def least(o: Option) -> float:
        nodes, cards, _ = smallest_size(o)
        domestic, imported = split[o.key].amounts(np.array([cards]), np.array([nodes]))
        return float(domestic[0] + imported[0]) / ctx.share_scale

    smallest = sum(
        min((least(o) for o in options if o.workload == w), default=0.0) for w in inputs.workloads
    )
    slack = _slack(m, ctx, "domestic", max(1.0 / ctx.share_scale, share * smallest))

    def domestic_share_constraint(m: pyo.ConcreteModel) -> Any:
        """sum domestic W + slack >= share x sum all W [scaled share units]."""
        domestic = sum(_scaled(ctx, split[o.key], m, o.key, domestic=True) for o in options)
        every = sum(_scaled(ctx, split[o.key], m, o.key, domestic=False) for o in options)
        return domestic + slack >= share * every

    m.domestic_share_constraint = pyo.Constraint(rule=domestic_share_constraint)

    def some_domestic_pool_constraint(m: pyo.ConcreteModel) -> Any:
        """sum of use over options with a domestic amount >= 1: a share > 0 needs one.

        Every pool holds cards, so the total is positive and the domestic amount
        must be too. Implied at integer points; in the LP relaxation it makes
        the share pay for a whole domestic pool, not a sliver of several.
        """
        return sum(m.v_use[o.key] for o in domestic_options) >= 1

    # Options holding any domestic amount: a domestic chip, or a domestic fabric whose
    # network the share counts.
    domestic_options = [o for o in options if _holds_domestic(split[o.key])]
    if ctx.elastic or not domestic_options:
        # Elastic: the share may fall short. No domestic option: the share row alone
        # is infeasible already (every pool holds cards).
        return
    m.some_domestic_pool_constraint = pyo.Constraint(rule=some_domestic_pool_constraint)
    domestic_stacks = sorted({inputs.chips[o.chip].software_stack for o in domestic_options})

    def some_domestic_stack_constraint(m: pyo.ConcreteModel) -> Any:
        """sum of stack over the stacks of those options >= 1: its migration is paid."""
        return sum(m.v_stack[s] for s in domestic_stacks) >= 1

    m.some_domestic_stack_constraint = pyo.Constraint(rule=some_domestic_stack_constraint)


def _holds_domestic(part: Parts) -> bool:
    """Whether a pool of these parts has a domestic amount: its chip's, or its network's."""
    network = part.network is not None and part.network.domestic
    return bool(part.domestic_per_card or part.domestic_per_node or network)


def _scaled(ctx: ModelContext, part: Parts, m: pyo.ConcreteModel, k: Any, domestic: bool) -> Any:
    """Option k's domestic (or whole) share amount, over the model's share scale.

    A counted network enters as bought: its NIC cards (per node) and its integer switch
    and link counts (`tco.model.network`) at their prices, domestic by the fabric.
    """
    if domestic:
        per_card, per_node = part.domestic_per_card, part.domestic_per_node
    else:
        per_card = part.domestic_per_card + part.import_per_card
        per_node = part.domestic_per_node + part.import_per_node
    amount = 0.0
    if per_card:
        amount += per_card / ctx.share_scale * m.e_cards[k].expr
    if per_node:
        amount += per_node / ctx.share_scale * m.v_nodes[k]
    net = part.network
    if net is not None and (net.domestic or not domestic):
        nic, leaf, spine, core, link = (price / ctx.share_scale for price in net.prices)
        counted = zip(
            (nic * net.nic_cards_per_node, leaf, spine, core, link),
            (m.v_nodes[k], m.v_leaf[k], m.v_spine[k], m.v_core[k], m.v_links[k]),
            strict=True,
        )
        amount += sum(price * count for price, count in counted if price)
    return amount
