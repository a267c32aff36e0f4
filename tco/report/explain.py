"""The plan in words: one sentence per pool, and the runner-up of each choice.

The CLI summary and the report's Summary sheet must tell the planner the
same thing, so both take their sentences and runner-ups from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tco.costs import registry
from tco.plan.extract import Plan, PoolPlan
from tco.scenario.alternatives import DIMENSIONS, Alternative
from tco.schema.inputs import PlanningInputs
from tco.text import plural


def pool_sentence(inputs: PlanningInputs, p: PoolPlan) -> str:
    """What a pool buys, on what, what it delivers for what it costs per token and per run."""
    chip = inputs.chips[p.chip]
    cooling = inputs.coolings[p.cooling]
    fabric = inputs.fabrics[p.fabric]
    cur = inputs.site.currency
    nodes = f"{plural(p.nodes, 'node')} of {chip.cards_per_node:,}"
    if p.system_cards > chip.cards_per_node:  # ordered as systems of several servers
        nodes = f"{plural(p.systems, 'system')} of {p.system_cards:,} = {nodes}"
    # A tensor-parallel replica's layout is its card count again; say the others.
    layout = f", {p.layout}," if p.layout and not p.layout.startswith("TP") else ""
    size = (
        f"{plural(p.replicas, 'replica')} of {plural(p.replica_cards or 0, 'card')}{layout} "
        f"on {nodes}"
        if p.replicas is not None
        else f"{nodes}, {p.layout}"
    )
    return (
        f"{p.name}: {p.cards:,} x {chip.name} ({size}) on "
        f"{p.fabric} ({fabric.technology} {fabric.port_gbps:g}G, {p.network.tiers}-tier, "
        f"{plural(p.network.switches, 'switch')}), "
        f"{cooling.technology} cooling (PUE "
        f"{cooling.pue:g}); {p.throughput_tokens_per_s:,.0f} tokens/s for a target of "
        f"{p.target_tokens_per_s:,.0f}; {p.cost_per_million_tokens:,.3f} {cur} per "
        f"million tokens{_run_clause(p, cur)}"
    )


def split_sentences(inputs: PlanningInputs, plan: Plan) -> list[str]:
    """One sentence per mixed workload: how its tokens/s split over chips, and why.

    The reason is the first that holds on the plan: a chip at its supply cap, the
    domestic share at its minimum with domestic and import parts, the power budget or
    the racks, when the workload on any one of its chips alone would exceed them
    (`_alone`); for a fleet plan, a chip on sale only from a later year beside cards
    all bought before then (`_on_sale_later`); otherwise nothing binds and the mix is
    simply the cheapest (whole systems round every single-chip pool up; a second chip
    fills the remainder).
    """
    out = []
    for wid in inputs.workloads:
        parts = [p for p in plan.pools if p.workload == wid]
        total = sum(p.throughput_tokens_per_s for p in parts)
        if len(parts) < 2 or total <= 0:
            continue
        shares = ", ".join(
            f"{p.throughput_tokens_per_s / total:.0%} on {inputs.chips[p.chip].name}"
            for p in sorted(parts, key=lambda p: -p.throughput_tokens_per_s)
        )
        out.append(f"{wid}: {shares} of its tokens/s, because {_split_reason(inputs, plan, parts)}")
    return out


def tranche_sentences(inputs: PlanningInputs, plan: Plan) -> list[str]:
    """A fleet plan year by year: what is bought, what retires, what is installed."""
    fleet = plan.fleet
    if fleet is None:
        return []
    cur = inputs.site.currency
    names = {cid: c.name for cid, c in inputs.chips.items()}

    def cards(counts: dict[str, int]) -> str:
        shown = [f"{n:,} {names[c]}" for c, n in sorted(counts.items()) if n]
        return ", ".join(shown) if shown else "nothing"

    out = []
    for fy in fleet.years:
        retired = f"; retire {cards(fy.retired_cards)}" if any(fy.retired_cards.values()) else ""
        # Capex that buys no cards: named, so it is not read as the cards' price.
        other = sum(t.capex for t in fleet.tranches if t.year == fy.year and not t.cards)
        besides = [f"{fy.migration:,.0f} software migration"] if fy.migration > 0 else []
        if other > 0:
            besides.append(
                f"{other:,.0f} racks, cooling, data hall or network of pools whose cards "
                "come in other years"
            )
        detail = f", of it {' and '.join(besides)}" if besides else ""
        out.append(
            f"year {fy.year}: buy {cards(fy.bought_cards)} ({fy.capex:,.0f} {cur} capex"
            f"{detail}){retired}; installed {cards(fy.installed_cards)}; "
            f"opex {fy.opex:,.0f} {cur}"
        )
    if fleet.residual > 0:
        out.append(
            f"residual value after year {fleet.years[-1].year}: {fleet.residual:,.0f} {cur} "
            "(straight-line over each tranche's lifetime)"
        )
    return out


def _split_reason(inputs: PlanningInputs, plan: Plan, parts: Sequence[PoolPlan]) -> str:
    """The first reason that holds on the plan (each one checked, none assumed)."""
    site = inputs.site
    for p in parts:
        cap = inputs.chips[p.chip].max_cards
        used = sum(q.cards for q in plan.pools if q.chip == p.chip)
        if cap is not None and used >= cap:
            return f"{inputs.chips[p.chip].name} is at its supply cap of {cap:,} cards"
    origins = {inputs.chips[p.chip].origin for p in parts}
    share, basis = site.min_domestic_share, site.domestic_share_basis
    achieved = plan.domestic_share.get(basis, 0.0)
    if share > 0 and len(origins) == 2 and not _share_holds_without(inputs, plan, parts):
        return (
            f"the domestic-share rule binds: without this workload's domestic part the plan "
            f"would fall below {share:.0%} of {basis} (it holds {achieved:.1%})"
        )
    alone = [_alone(inputs, plan, parts, p) for p in parts]
    budget = site.power_budget_kw
    if budget is not None and all(kw > budget * (1 + 1e-9) for kw, _ in alone):
        return (
            f"the power budget of {budget:,.0f} kW: the workload on any one of these chips "
            f"alone would take the plan to {min(kw for kw, _ in alone):,.0f} kW or more"
        )
    racks = site.max_racks
    if racks is not None and all(r > racks for _, r in alone):
        return (
            f"the {racks:,} racks: the workload on any one of these chips alone would take "
            f"the plan to {min(r for _, r in alone):,} racks or more"
        )
    late = _on_sale_later(inputs, plan, parts)
    if late is not None:
        return late
    return (
        "the mix costs less than any one chip alone: whole systems round a single-chip "
        "pool up and the second chip serves the remainder more cheaply"
    )


def _on_sale_later(inputs: PlanningInputs, plan: Plan, parts: Sequence[PoolPlan]) -> str | None:
    """For a fleet plan: the reason when some parts' chips go on sale only in a later year
    and every card of the other parts was bought before then (so those keep serving
    beside the newcomer rather than being bought instead of it); None otherwise."""
    fleet = plan.fleet
    if fleet is None:
        return None
    chips = {p.chip for p in parts}
    late = {c for c in chips if inputs.chips[c].available_from_year > 1}
    early = chips - late
    if not late or not early:
        return None
    arrival = min(inputs.chips[c].available_from_year for c in late)
    bought = [t.year for t in fleet.tranches if t.chip in early and t.cards]
    if not bought or max(bought) >= arrival:
        return None
    names = [inputs.chips[c].name for c in sorted(late)]
    before = [inputs.chips[c].name for c in sorted(early)]
    return (
        f"{' and '.join(names)} {'goes' if len(names) == 1 else 'go'} on sale only from year "
        f"{arrival}: the {' and '.join(before)} cards bought before then keep serving "
        "beside it"
    )


def _alone(
    inputs: PlanningInputs, plan: Plan, parts: Sequence[PoolPlan], part: PoolPlan
) -> tuple[float, int]:
    """(facility kW, racks) of the plan with the workload's parts replaced by `part`'s
    chip serving the whole target: its pool scaled by target / the part's share, in whole
    systems, at the part's kW a node and nodes a rack (an estimate from the part, enough
    to tell whether a limit could have allowed one chip)."""
    if part.target_tokens_per_s <= 0 or part.nodes <= 0:
        return plan.facility_kw, plan.racks  # no share to scale from: no limit blamed
    target = sum(p.target_tokens_per_s for p in parts)
    per_system = part.nodes // max(part.systems, 1)
    systems = math.ceil(part.systems * target / part.target_tokens_per_s - 1e-9)
    nodes = systems * per_system
    kw = plan.facility_kw - sum(p.facility_kw for p in parts)
    kw += part.facility_kw * nodes / part.nodes
    racks = plan.racks - sum(p.racks for p in parts) + math.ceil(nodes / part.nodes_per_rack)
    return kw, racks


def _share_holds_without(inputs: PlanningInputs, plan: Plan, parts: Sequence[PoolPlan]) -> bool:
    """Whether the plan would meet its domestic share with `parts`' domestic pools removed
    (cards, hosts and systems on the Site's basis; the network is not counted)."""
    basis = inputs.site.domestic_share_basis
    dropped = {id(p) for p in parts if inputs.chips[p.chip].origin == "domestic"}
    domestic = total = 0.0
    for p in plan.pools:
        if id(p) in dropped:
            continue
        chip = inputs.chips[p.chip]
        amount = float(registry.share_amount(basis, chip, p.cards, p.nodes, p.systems))
        total += amount
        if chip.origin == "domestic":
            domestic += amount
    return total > 0 and domestic >= inputs.site.min_domestic_share * total


def _run_clause(p: PoolPlan, cur: str) -> str:
    """A training pool's run costs (`registry.run_cost`), empty for inference."""
    if p.kind != "training":
        return ""
    if p.deadline_days is None or p.run_cost is None or p.dedicated_run_cost is None:
        return "; run cost n/a (no deadline)"
    return (
        f"; the {p.deadline_days:,g}-day run costs {p.run_cost:,.0f} {cur} "
        f"({p.dedicated_run_cost:,.0f} {cur} on a cluster bought for it alone)"
    )


def runners_up(plan: Plan, alternatives: Sequence[Alternative]) -> dict[str, Alternative | None]:
    """Per dimension, the cheapest alternative with a plan whose forced id no pool uses."""
    out: dict[str, Alternative | None] = {}
    for dimension in DIMENSIONS:
        chosen = {getattr(p, dimension) for p in plan.pools}
        rivals = [
            a
            for a in alternatives
            if a.dimension == dimension and a.tco is not None and a.forced_id not in chosen
        ]
        out[dimension] = min(rivals, key=lambda a: a.tco or 0.0, default=None)
    return out


def no_runner_up(plan: Plan, alternatives: Sequence[Alternative], dimension: str) -> str:
    """Why a dimension has no runner-up: no rival in the workbook, rivals the time limit
    left unsolved (or stopped without a plan), or rivals without any plan."""
    chosen = {getattr(p, dimension) for p in plan.pools}
    rivals = [a for a in alternatives if a.dimension == dimension and a.forced_id not in chosen]
    if not rivals:
        return f"{dimension}: no other {dimension} to compare"
    if any(a.status == "no_solution" for a in rivals):
        return (
            f"{dimension}: no other {dimension} gave a plan before the time limit "
            "(see Alternatives)"
        )
    if any(a.status == "error" for a in rivals):
        return f"{dimension}: no other {dimension} could be priced (see Alternatives)"
    return f"{dimension}: no other {dimension} gives a plan"


def why_lines(inputs: PlanningInputs, plan: Plan, alternatives: Sequence[Alternative]) -> list[str]:
    """Why this chip, fabric and cooling won: what the runner-up of each would cost more."""
    cur = inputs.site.currency
    return [
        f"why this {dimension}: the best plan with {dimension} {best.forced_id} everywhere "
        f"costs {best.delta:+,.0f} {cur} ({best.delta_pct:+.1%})"
        for dimension, best in runners_up(plan, alternatives).items()
        if best is not None
    ]
