"""Valid inequalities of the fleet model over years (`tco.model.years`).

A year's inference parts meet the target through a chain of rows: throughput share
t <= tokens_per_replica / target x replicas, replicas x systems_per_replica <=
replicas_per_system x systems, systems <= installed systems = the purchases within
their lifetime. Summed over a workload's options, the chain implies

    sum_o c[o,y] x installed systems[o,y] >= 1,
    c[o,y] = tokens_per_replica x replicas_per_system / (systems_per_replica x target_y)

(the share of year y's target one installed system can serve). Every plan meets it, so
adding it cuts off no plan; it adds nothing to the LP relaxation either, but it puts
the year's cover on the integer purchases in one row, where the solver's knapsack
cover and mixed-integer rounding cuts can see that parts come in whole systems (its
cut separation aggregates only a few rows, and this chain is five long per option).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

if TYPE_CHECKING:
    from tco.model.years import FleetContext


def add_capacity_cover(m: pyo.ConcreteModel, fc: FleetContext) -> None:
    """The cover row of the module docstring per (inference workload, year)."""
    rows: dict[tuple[str, int], list[tuple[float, list[Any]]]] = {}
    for year, (b, ctx) in fc.years.items():
        for o in ctx.options:
            if o.kind != "inference" or b.v_use[o.key].ub == 0:
                continue
            share = (
                o.tokens_per_replica
                * o.replicas_per_system
                / (o.systems_per_replica * o.target_tokens_per_s)
            )
            life = fc.lifetimes[(o.key, "systems")]
            bought = range(max(1, year - life + 1), year + 1)
            terms = rows.setdefault((o.workload, year), [])
            terms.append((share, [m.v_buy[(*o.key, "systems", y)] for y in bought]))

    def capacity_cover_constraint(m: pyo.ConcreteModel, w: str, year: int) -> Any:
        """sum_o c[o,y] x installed systems[o,y] >= 1 [share of year y's target]."""
        return sum(share * sum(buys) for share, buys in rows[(w, year)]) >= 1.0

    m.capacity_cover_constraint = pyo.Constraint(list(rows), rule=capacity_cover_constraint)
