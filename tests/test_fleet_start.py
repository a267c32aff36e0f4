"""The fleet model's first plan over a few options (`tco.scenario.fleet_start`).

A run whose limit ends the full fleet model before HiGHS holds a plan gets the
restricted model's plan, labelled feasible with its gap unknown, never optimal; the
restricted plan is priced by the oracle's own code; the start is HiGHS's first
incumbent.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo
import pytest
from pyomo.common.collections import ComponentMap
from test_fleets import _demand, oracle_fleet_tco
from test_optimizer_bruteforce import SMALL_MODEL

from tco.model.options import build_options
from tco.model.years import CurveCache, build_fleet_model, peak_inputs, schedule
from tco.scenario import fleet_start
from tco.scenario.fleet import fleet_options, solve_fleet
from tco.scenario.fleet_start import solve_start, start_options
from tco.scenario.optimize import make_engine
from tco.schema.inputs import PlanningInputs
from tco.solve.highs import PersistentModel, SolveOutcome

from factory import CHIP, DOMESTIC, INFERENCE, make_inputs

SERVE: dict[str, Any] = dict(INFERENCE, model_id="m7")


@pytest.fixture(autouse=True)
def _two_cheapest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cheapest options a workload in the restriction: the instances here have five
    options (one per chip), and under a share the default four with the domestic pick are
    all of them, the full model, for which no start is solved."""
    monkeypatch.setattr(fleet_start, "START_OPTIONS", 2)


def _chips() -> list[dict[str, Any]]:
    """Five chips: three imports at rising prices, a late cheap one, and a domestic one."""
    return [
        dict(CHIP, chip_id="h100-a", card_price=20_000),
        dict(CHIP, chip_id="h100-b", card_price=24_000),
        dict(CHIP, chip_id="h100-c", card_price=28_000),
        dict(CHIP, chip_id="h100-late", card_price=8_000, available_from_year=2),
        dict(DOMESTIC, migration_cost=50_000),
    ]


def _inputs(**site: Any) -> PlanningInputs:
    return make_inputs(
        {"horizon_years": 3, "max_options_per_workload": 2, **site},
        Chips=_chips(),
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([20_000, 40_000, 60_000]),
    )


def _chips_of(inputs: PlanningInputs) -> list[str]:
    peak = peak_inputs(inputs, schedule(inputs))
    return [o.chip for o in start_options(inputs, build_options(peak).options)]


def test_the_restriction_takes_the_cheapest_a_year_one_chip_and_both_origins() -> None:
    """The late chip is cheapest; year 1 needs another; a share adds the domestic one."""
    no_share = _chips_of(_inputs())
    assert no_share[0] == "h100-late"  # the cheapest standalone
    assert len(no_share) == 2  # h100-late, h100-a (also the year-1 pick)
    assert "h100-a" in no_share and "ascend" not in no_share
    shared = _chips_of(_inputs(min_domestic_share=0.3, domestic_share_basis="cards"))
    assert {"h100-late", "h100-a", "ascend"} <= set(shared)
    assert "h100-c" not in shared


def test_a_limit_before_the_fleet_models_first_plan_returns_the_start_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The full model's solve ends without a plan (as on the large instance): the answer is
    the restricted plan, feasible with no bound, priced as the oracle prices it, and no
    cheaper than the proven optimum."""
    inputs = _inputs(min_domestic_share=0.3, domestic_share_basis="cards")
    optimum = solve_fleet(make_engine(inputs, mip_gap=0.0), {}, None, "solve")
    assert optimum.status == "optimal" and optimum.plan is not None

    real = PersistentModel.solve
    calls: list[int] = []

    def limited(self: PersistentModel, *args: Any, **kwargs: Any) -> SolveOutcome:
        calls.append(len(calls))
        if len(calls) == 1:  # the restricted model: solved for real
            return real(self, *args, **kwargs)
        return SolveOutcome("no_solution", "maxTimeLimit", None, None, None, 1.0, "limit")

    monkeypatch.setattr(PersistentModel, "solve", limited)
    result = solve_fleet(make_engine(inputs, mip_gap=0.0), {}, None, "solve")
    assert len(calls) == 2
    assert result.status == "feasible"
    assert result.outcome is not None and result.outcome.bound is None
    assert result.outcome.gap is None and "not proven optimal" in result.outcome.message
    plan = result.plan
    assert plan is not None and plan.fleet is not None and plan.mip_gap is None
    for fy in plan.fleet.years:
        assert fy.throughput["chat"] >= fy.target["chat"] * (1 - 1e-9)
    assert plan.tco == pytest.approx(oracle_fleet_tco(inputs, plan), rel=1e-6)
    assert plan.tco >= optimum.plan.tco * (1 - 1e-9)
    every = fleet_options(make_engine(inputs)).options
    assert len(start_options(inputs, every)) < len(every)  # the start was a restriction


def _cover() -> pyo.ConcreteModel:
    """min 3x + 5y  s.t.  2x + 3y >= 13, x, y integer in [0, 10]: the LP optimum x = 6.5
    is fractional, the integer one 20 (x = 5, y = 1); x = 0, y = 5 costs 25."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.y = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.cover = pyo.Constraint(expr=2 * m.x + 3 * m.y >= 13)
    m.objective = pyo.Objective(expr=3 * m.x + 5 * m.y)
    return m


#: HiGHS stopped at its root with every primal heuristic off: it holds a plan only if
#: it was given one.
ROOT_ONLY: dict[str, object] = {
    "presolve": "off",
    "mip_max_nodes": 0,
    "mip_heuristic_effort": 0.0,
    **{
        f"mip_heuristic_run_{name}": False
        for name in (
            "feasibility_jump",
            "zi_round",
            "shifting",
            "root_reduced_cost",
            "rins",
            "rens",
        )
    },
}


@pytest.mark.parametrize(
    "start, objective",
    [(None, None), ({"x": 0.0, "y": 5.0}, 25.0), ({"x": 0.0, "y": 1.0}, None)],
)
def test_a_start_is_highs_incumbent_and_a_broken_one_is_ignored(
    start: dict[str, float] | None, objective: float | None
) -> None:
    """At the root without heuristics HiGHS has the start's plan (25) or none: a start
    that breaks the row (2 x 0 + 3 x 1 < 13) is not taken for a plan."""
    m = _cover()
    model = PersistentModel(m, ROOT_ONLY)
    if start is not None:
        model.set_start(ComponentMap((m.find_component(name), x) for name, x in start.items()))
    outcome = model.solve(10.0, 0.0)
    assert outcome.objective == (None if objective is None else pytest.approx(objective))
    assert outcome.status == ("no_solution" if objective is None else "feasible")


def test_the_start_is_a_plan_of_the_full_model_at_its_own_cost() -> None:
    """The restricted optimum, put on the full model's variables (every other one 0),
    meets every row of the full model and costs there what it cost restricted."""
    inputs = _inputs(min_domestic_share=0.3, domestic_share_basis="cards")
    engine = make_engine(inputs, mip_gap=0.0)
    options = fleet_options(engine).options
    plan = schedule(inputs)
    start = solve_start(inputs, options, plan, CurveCache(), 60.0, {}, lambda _: None)
    assert start is not None and start.options < len(options)
    full, _ = build_fleet_model(inputs, options, plan)
    values = start.values_in(full)
    named = sum(
        1
        for v in start.model.component_data_objects(pyo.Var, descend_into=True)
        if v.value is not None
    )
    assert len(values) == named
    for v in full.component_data_objects(pyo.Var, descend_into=True):
        v.set_value(values.get(v, 0.0), skip_validation=True)
    for row in full.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        body = pyo.value(row.body)
        scale = 1e-6 * max(1.0, abs(body))
        assert row.lower is None or body >= pyo.value(row.lower) - scale, row.name
        assert row.upper is None or body <= pyo.value(row.upper) + scale, row.name
    objective = next(full.component_data_objects(pyo.Objective, active=True))
    assert pyo.value(objective) == pytest.approx(start.outcome.objective, rel=1e-9)
