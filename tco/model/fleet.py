"""Mixed fleets: a workload served by up to `Site.max_options_per_workload` pools at once.

With the default of 1 a workload has exactly one homogeneous pool (`pools.py`).
Above 1 each used option is a *part*: parts' throughputs, each a share of the
target, add up to at least 1 (`pools.target_constraint`), and

    1 <= sum_o use[w,o] <= max_options_per_workload            (per workload w)
    sum_{o on chip c} use[w,o] <= 1                            (per workload w, chip c)

An inference part is a set of replicas like any pool, and the parts run on different
chips (Melange's observation: a mix of types can serve a workload more cheaply than
any one type). A training workload is one job unless it says `allow_mixed = yes`: a
job does not span different accelerators, or two fabrics, well, so it keeps exactly
one pool (sum_o use[w,o] = 1). With `allow_mixed` the workload is several independent
jobs, one per part, their tokens/s adding up (T is concave, so several smaller jobs
deliver more tokens/s per card than one large one: only a workload that really is
several runs may say so).

A part need not meet the target alone, so the rows that assume it does are
relaxed (`context.least_nodes`, `pools.min_replicas_constraint`,
`costs.workload_stack_constraint`), and a training part's throughput uses the
curve's chords alone (`part_cuts`): they under-estimate T(n) at every n, exact at
their breakpoints, where the single-pool cuts are only exact about whether n
meets the one target (their local chord may over-estimate T below it).
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from tco.model.context import ModelContext
from tco.model.options import Option, OptionSet, with_cuts
from tco.schema.inputs import PlanningInputs


def mixing(inputs: PlanningInputs) -> bool:
    """Whether a workload may be served by several pools at once."""
    return int(inputs.site.max_options_per_workload) > 1


def one_pool(inputs: PlanningInputs, workload_id: str) -> bool:
    """Whether the workload is one job on one pool (training, not allow_mixed)."""
    workload = inputs.workloads[workload_id]
    return workload.kind == "training" and not workload.allow_mixed


def part_cuts(o: Option) -> Option:
    """A training option whose cuts hold at every size (chords of T), for a part."""
    if o.kind != "training" or o.curve is None:
        return o
    return with_cuts(o, o.curve.cuts(o.max_nodes))


def part_options(inputs: PlanningInputs, options: OptionSet) -> OptionSet:
    """`options` ready to be parts when the Site mixes; unchanged otherwise."""
    if not mixing(inputs):
        return options
    return OptionSet(
        [o if one_pool(inputs, o.workload) else part_cuts(o) for o in options.options],
        options.exclusions,
    )


def add_mix(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """The rows of the module docstring: 1 to max_options parts, one pool per training job."""
    options = ctx.options

    def parts_constraint(m: pyo.ConcreteModel, w: str) -> Any:
        """1 <= sum_o use[w,o] <= most [pools]; most = 1 for a training job."""
        used = sum(m.v_use[o.key] for o in options if o.workload == w)
        if one_pool(ctx.inputs, w):
            return used == 1
        return pyo.inequality(1, used, ctx.max_options)

    m.parts_constraint = pyo.Constraint(m.WORKLOADS, rule=parts_constraint)
    per_chip = sorted(
        {(o.workload, o.chip) for o in options if not one_pool(ctx.inputs, o.workload)}
    )

    def part_per_chip_constraint(m: pyo.ConcreteModel, w: str, c: str) -> Any:
        """sum of use over w's options on chip c <= 1: a mix is of chip types.

        Two parts on one chip (different fabrics or coolings) would rarely pay; ruling
        them out keeps the dominance presolve valid for parts (`tco.model.dominance`).
        """
        return sum(m.v_use[o.key] for o in options if o.workload == w and o.chip == c) <= 1

    m.part_per_chip_constraint = pyo.Constraint(per_chip, rule=part_per_chip_constraint)
