"""Valid inequalities of the fleet model over years (`tco.model.years`).

A year's inference parts meet the target through a chain of rows: throughput share
t <= tokens_per_replica / target x replicas, replicas x systems_per_replica <=
replicas_per_system x systems, systems serving <= installed systems = the purchases
within their lifetime. Summed over a workload's options, the chain implies, per year y,

    sum_o c[o,y] x serving systems[o,y]   >= 1,
    sum_o c[o,y] x installed systems[o,y] >= 1,
    c[o,y] = tokens_per_replica x replicas_per_system / (systems_per_replica x target_y)

(the share of year y's target one system can serve). Every plan meets them, so adding
them cuts off no plan; they add nothing to the LP relaxation either, but they put the
year's cover on integer systems in one row each, where the solver's knapsack cover and
mixed-integer rounding cuts can see that parts come in whole systems (its cut
separation aggregates only a few rows, and the chain is four and five long per
option). On the example's 5-year ramp with 3 parts per workload they raise HiGHS's
root bound from 52.305 to 52.404 M (the best plan found is 52.509 M).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from tco.model.options import OptionKey

if TYPE_CHECKING:
    from tco.model.years import FleetContext


def add_capacity_cover(m: pyo.ConcreteModel, fc: FleetContext) -> None:
    """The two cover rows of the module docstring per (inference workload, year)."""
    parts: dict[tuple[str, int], list[tuple[float, OptionKey]]] = {}
    for year, (b, ctx) in fc.years.items():
        for o in ctx.options:
            if o.kind != "inference" or b.v_use[o.key].ub == 0:
                continue  # a closed option serves nothing that year
            share = (
                o.tokens_per_replica
                * o.replicas_per_system
                / (o.systems_per_replica * o.target_tokens_per_s)
            )
            parts.setdefault((o.workload, year), []).append((share, o.key))

    def installed(k: OptionKey, year: int) -> Any:
        life = fc.lifetimes[(k, "systems")]
        return sum(m.v_buy[(*k, "systems", y)] for y in range(max(1, year - life + 1), year + 1))

    def serving_cover_constraint(m: pyo.ConcreteModel, w: str, year: int) -> Any:
        """sum_o c[o,y] x serving systems[o,y] >= 1 [share of year y's target]."""
        b = fc.years[year][0]
        return sum(share * b.e_systems[k] for share, k in parts[(w, year)]) >= 1.0

    def installed_cover_constraint(m: pyo.ConcreteModel, w: str, year: int) -> Any:
        """sum_o c[o,y] x installed systems[o,y] >= 1 [share of year y's target]."""
        return sum(share * installed(k, year) for share, k in parts[(w, year)]) >= 1.0

    m.serving_cover_constraint = pyo.Constraint(list(parts), rule=serving_cover_constraint)
    m.installed_cover_constraint = pyo.Constraint(list(parts), rule=installed_cover_constraint)
