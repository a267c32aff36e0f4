"""A first fleet plan over a few options per workload: the full model's start.

The full fleet model of a large instance can spend its whole time limit before HiGHS
holds any plan (the large bench instance's 3-year ramp: 3,271 options, 228,120 rows
after presolve, 90-140 s for the root LP alone), so a run ended by its limit came
back with no plan at all. The same model restricted to a few options per workload is
small (the example's 5-year ramp: 10 of 215 options, built and solved to 0.1% in 2.7 s,
its plan 0.001% above the full model's optimum; the large instance's: 60 of 3,271 in
6.6 s) and its optimum is a plan of the full model: every option outside the
restriction simply stays unused. It serves twice:

- as the full model's first incumbent (`PersistentModel.set_start`): HiGHS then prunes
  against it from its root on;
- as the answer when the full model ends on its limit (or the user's Ctrl-C) without a
  plan of its own: a feasible plan, its gap unknown, said so in the outcome.

Which options: per workload, ranked by the standalone cost of serving the peak target
alone, capex + annuity x opex per year (`tco.model.dominance.footprint`), the
`START_OPTIONS` cheapest, the cheapest on sale in year 1 (a chip arriving later leaves
the first years to another), and under a domestic share the cheapest domestic and the
cheapest import option (the share may need one, the price the other). A restriction
that meets no plan (supply caps, the share over several workloads) gives no start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from tco.costs import registry
from tco.model.dominance import footprint
from tco.model.options import Option
from tco.model.years import CurveCache, FleetContext, Schedule, build_fleet_model
from tco.schema.inputs import PlanningInputs
from tco.solve.highs import PersistentModel, SolveOutcome

#: Cheapest options per workload, by standalone cost at the peak target, in the start's
#: restriction (before the year-1 and domestic/import picks). Four, not two: the standalone
#: cost ranks an option alone at the peak, and a ramp's best plan may use one ranked third
#: or fourth (the example's ramp: its inference pool's fabric is the third).
START_OPTIONS = 4

#: Share of the time left the start may take, and its relative gap: a start need only
#: be good, the full model proves; but HiGHS prunes against the start from its root, and
#: solving the small model to 0.1% takes seconds (2.7 s on the example's ramp).
START_TIME_SHARE = 0.2
START_GAP = 1e-3


@dataclass
class FleetStart:
    """The restricted model, solved: its plan and its values by variable name."""

    model: pyo.ConcreteModel
    context: FleetContext
    outcome: SolveOutcome
    options: int

    def values_in(self, full: pyo.ConcreteModel) -> ComponentMap:
        """The start's values on the full model's variables: the twin of a variable is
        the one in the same block, component and index (both models are
        `build_fleet_model` of the same inputs, the restricted one on fewer options, so
        its indices are the full model's). Found by structure, not by name: the large
        instance's full model has some 300,000 variables."""
        values = ComponentMap()
        for v in self.model.component_data_objects(pyo.Var, descend_into=True):
            if v.value is None:
                continue
            component = v.parent_component()
            block = component.parent_block()
            home = full if block is self.model else full.find_component(block.name)
            twin = home.component(component.local_name)
            if twin is not None and v.index() in twin:
                values[twin[v.index()]] = float(v.value)
        return values


def start_options(inputs: PlanningInputs, options: list[Option]) -> list[Option]:
    """The restriction: per workload the cheapest few options, as the module says."""
    annuity = registry.annuity(inputs.site)
    share = inputs.site.min_domestic_share > 0.0
    chosen: list[Option] = []
    for workload in inputs.workloads:
        ranked = sorted(
            (o for o in options if o.workload == workload),
            key=lambda o: _standalone_cost(inputs, o, annuity),
        )
        picks = ranked[:START_OPTIONS]
        picks += [o for o in ranked if inputs.chips[o.chip].available_from_year <= 1][:1]
        if share:
            for origin in ("domestic", "import"):
                picks += [o for o in ranked if inputs.chips[o.chip].origin == origin][:1]
        chosen += list({o.key: o for o in picks}.values())
    return chosen


def _standalone_cost(inputs: PlanningInputs, o: Option, annuity: float) -> float:
    """capex + annuity x opex per year of option o alone at its smallest peak-target size."""
    f = footprint(inputs, o)
    return f.capex + annuity * f.opex_per_year


def solve_start(
    inputs: PlanningInputs,
    options: list[Option],
    plan: Schedule,
    cache: CurveCache,
    time_limit_s: float,
    highs_options: dict[str, object],
    progress: Callable[[str], None],
) -> FleetStart | None:
    """The restricted fleet model solved within `time_limit_s`; None without a plan."""
    restricted = start_options(inputs, options)
    if len(restricted) >= len(options):
        return None  # the restriction would be the full model
    progress(f"a first plan over {len(restricted)} of {len(options)} options")
    m, fc = build_fleet_model(inputs, restricted, plan, cache)
    outcome = PersistentModel(m, highs_options).solve(time_limit_s, START_GAP)
    if not outcome.has_solution or outcome.objective is None:
        return None
    return FleetStart(m, fc, outcome, len(restricted))
