"""The plan in words: one sentence per pool, and the runner-up of each choice.

The CLI summary and the report's Summary sheet must tell the planner the
same thing, so both take their sentences and runner-ups from here.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        f"{p.workload}: {p.cards:,} x {chip.name} ({size}) on "
        f"{p.fabric} ({fabric.technology} {fabric.port_gbps:g}G, {p.network.tiers}-tier, "
        f"{plural(p.network.switches, 'switch')}), "
        f"{cooling.technology} cooling (PUE "
        f"{cooling.pue:g}); {p.throughput_tokens_per_s:,.0f} tokens/s for a target of "
        f"{p.target_tokens_per_s:,.0f}; {p.cost_per_million_tokens:,.3f} {cur} per "
        f"million tokens{_run_clause(p, cur)}"
    )


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


def why_lines(inputs: PlanningInputs, plan: Plan, alternatives: Sequence[Alternative]) -> list[str]:
    """Why this chip, fabric and cooling won: what the runner-up of each would cost more."""
    cur = inputs.site.currency
    return [
        f"why this {dimension}: the best plan with {dimension} {best.forced_id} everywhere "
        f"costs {best.delta:+,.0f} {cur} ({best.delta_pct:+.1%})"
        for dimension, best in runners_up(plan, alternatives).items()
        if best is not None
    ]
