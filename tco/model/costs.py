"""Register every cost term and build the objective from the registry.

Capex and opex per pool come from `tco.costs.registry.price_pool` applied to
the pool's Pyomo quantities; migration is paid once per software stack adopted
(binary v_stack >= use of any pool on that stack). The objective is

    min  MONEY_SCALE x (capex + migration + annuity x opex_per_year)
         + sum of elastic penalties (elastic model only)
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from tco.costs import coefficients, registry
from tco.model.context import MONEY_SCALE, ModelContext, value_of
from tco.model.facility import quantities
from tco.schema.inputs import usable_chips

#: Weight of one unit of normalised elastic slack (a 100% shortfall) against
#: one million of money: large enough that no affordable plan trades it.
PENALTY_WEIGHT = 1e6


def add_to(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    inputs = ctx.inputs
    stacks = registry.stack_migration_costs(usable_chips(inputs))
    used_stacks = sorted({inputs.chips[o.chip].software_stack for o in ctx.options})
    m.STACKS = pyo.Set(initialize=used_stacks, ordered=True)
    m.v_stack = pyo.Var(m.STACKS, within=pyo.Binary)

    def stack_adoption_constraint(m: pyo.ConcreteModel, *k: Any) -> Any:
        """stack[s] >= use[o] for the pool's stack: migration is paid once if any pool uses it.

        One row per option, deliberately: summing a workload's options into one row
        per (workload, stack) is as tight in theory but made HiGHS about ten times
        slower on the example (its implications between binaries are what it uses).
        """
        return m.v_stack[inputs.chips[ctx.option(k).chip].software_stack] >= m.v_use[k]

    m.stack_adoption_constraint = pyo.Constraint(m.OPTIONS, rule=stack_adoption_constraint)

    workload_stacks = sorted(
        {(o.workload, inputs.chips[o.chip].software_stack) for o in ctx.options}
    )

    def workload_stack_constraint(m: pyo.ConcreteModel, w: str, s: str) -> Any:
        """stack[s] >= sum of use over w's pools on s: valid as w uses one pool.

        Added to the per-option rows, not instead of them: in the LP relaxation it
        stops a workload from spreading over many options of one stack, each
        under a fraction of its migration.
        """
        return m.v_stack[s] >= sum(
            m.v_use[o.key]
            for o in ctx.options
            if o.workload == w and inputs.chips[o.chip].software_stack == s
        )

    if not ctx.mixed:  # a mixed workload may use several pools on one stack
        m.workload_stack_constraint = pyo.Constraint(
            workload_stacks, rule=workload_stack_constraint
        )

    def stack_use_constraint(m: pyo.ConcreteModel, s: str) -> Any:
        """stack[s] <= sum of use over pools on s: no migration for a stack nobody uses.

        Cost alone keeps an unused stack at 0 at the optimum; this also holds it
        there in an incumbent the solver stopped on, so re-costing agrees.
        """
        return m.v_stack[s] <= sum(
            m.v_use[o.key] for o in ctx.options if inputs.chips[o.chip].software_stack == s
        )

    m.stack_use_constraint = pyo.Constraint(m.STACKS, rule=stack_use_constraint)

    for o in ctx.options:
        q = quantities(m, o)
        cost = coefficients.of_rows(*ctx.rows(o.key))
        name = "/".join(o.key)
        ctx.costs.add_capex(f"pool:{name}", _flat(cost.capex, q))
        ctx.costs.add_opex(f"energy:{name}", _flat(cost.energy_per_year, q))
        ctx.costs.add_opex(f"maintenance:{name}", _flat(cost.maintenance_per_year, q))
    for stack in used_stacks:
        ctx.costs.add_capex(f"migration:{stack}", stacks[stack][0] * m.v_stack[stack])

    m.e_capex_total = pyo.Expression(expr=sum(ctx.costs.capex.values()))
    m.e_opex_per_year = pyo.Expression(expr=sum(ctx.costs.opex_per_year.values()))


def _flat(form: tuple[float, ...], q: registry.PoolQuantities) -> Any:
    """sum_d coefficient_d x decision_d of the pool (`form` in `registry.DECISIONS`
    order, from `tco.costs.coefficients`): the registry's equation, flat."""
    terms = zip(form, (getattr(q, d) for d in registry.DECISIONS), strict=True)
    return sum(c * x for c, x in terms if c)


def add_objective(m: pyo.ConcreteModel, ctx: ModelContext) -> None:
    """Discounted TCO in millions, plus elastic penalties when present."""
    factor = registry.annuity(ctx.inputs.site)
    tco = registry.discounted_tco(
        m.e_capex_total, 0.0, registry.opex_present_value(m.e_opex_per_year, factor)
    )
    expr = MONEY_SCALE * tco
    if ctx.elastic:
        expr += PENALTY_WEIGHT * sum(var * weight for var, weight in ctx.penalties.values())
    m.objective = pyo.Objective(expr=expr, sense=pyo.minimize)


def decisions(m: pyo.ConcreteModel) -> tuple[str, ...]:
    """The software stacks whose migration the solution pays."""
    return tuple(s for s in m.STACKS if value_of(m.v_stack[s]) > 0.5)
