"""The fleet presolve's weighted-total rule (`tco.model.stock_dominance`), checked against
the MILP without presolve and against the solved TCO of a single-option fleet."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_fleets import SERVE, _demand
from test_optimizer_bruteforce import SMALL_MODEL

from tco.model import stock_dominance
from tco.model.years import peak_inputs, schedule
from tco.scenario.fleet import fleet_options
from tco.scenario.optimize import make_engine, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, FABRIC, make_inputs

REL = 1e-6

LIQUID: dict[str, Any] = dict(
    COOLING,
    cooling_id="liquid",
    technology="cold-plate liquid",
    pue=1.15,
    capex_per_kw=2500,
    rack_price=9000,
    max_rack_kw=80,
    nodes_per_rack_max=8,
)
ROCE: dict[str, Any] = dict(
    FABRIC,
    fabric_id="roce",
    technology="RoCEv2",
    switch_price=25000,
    nic_price=1500,
    efficiency=0.85,
)


def test_purchase_weights_price_a_single_option_fleet() -> None:
    """sum_y sum_s w[y,s] x need_s(running max of nodes) is the fleet's TCO when one option
    serves every year and energy and migration are free (maintenance and residual count)."""
    inputs = make_inputs(
        {
            "horizon_years": 4,
            "discount_rate": 0.1,
            "maintenance_rate": 0.05,
            "electricity_price_per_kwh": 0.0,
        },
        Chips=[dict(CHIP, price_change_per_year=-0.1, migration_cost=0)],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([40_000, 150_000, 150_000, 400_000]),
    )
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    plan = result.plan
    assert plan.fleet is not None
    (option,) = fleet_options(make_engine(inputs, mip_gap=0.0)).options
    weights = stock_dominance._purchase_weights(inputs, option)
    assert weights is not None and np.all(weights >= 0)
    nodes = [sum(p.nodes for p in fy.serving.pools) for fy in plan.fleet.years]
    assert len(set(nodes)) > 2  # the fleet grows: the weights of several years count
    needs = stock_dominance._needs(inputs, option, np.maximum.accumulate(np.array(nodes)))
    stocks = len(stock_dominance.STOCKS)
    priced = float(np.sum(weights * needs[:, :stocks]))
    assert priced == pytest.approx(plan.tco, rel=REL)


def test_purchase_weights_are_refused_when_tranches_retire_or_a_budget_binds() -> None:
    """Lifetimes shorter than the horizon or a yearly capex budget: no weighted total."""
    base: dict[str, Any] = {"horizon_years": 3}
    for site, chip in (
        (base, dict(CHIP, lifetime_years=2)),
        (base | {"capex_budget": 1e9}, CHIP),
    ):
        inputs = make_inputs(
            site,
            Chips=[chip],
            Models=[SMALL_MODEL],
            Workloads=[SERVE],
            Demand=_demand([10_000, 20_000, 30_000]),
        )
        (option,) = fleet_options(make_engine(inputs)).options
        assert stock_dominance._purchase_weights(inputs, option) is None


def _two_coolings(max_options: int, rack_price: float, electricity: float) -> PlanningInputs:
    return make_inputs(
        {
            "horizon_years": 3,
            "max_options_per_workload": max_options,
            "electricity_price_per_kwh": electricity,
            "maintenance_rate": 0.04,
        },
        Chips=[dict(CHIP, price_change_per_year=-0.1), dict(DOMESTIC, migration_cost=50_000)],
        Fabrics=[FABRIC, ROCE],
        Cooling=[COOLING, dict(LIQUID, rack_price=rack_price)],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([20_000, 60_000, 110_000]),
    )


@pytest.mark.parametrize(
    "max_options, rack_price, electricity",
    [(1, 9000, 0.1), (2, 9000, 0.1), (2, 30_000, 0.02), (1, 12_000, 0.05)],
)
def test_weighted_total_rule_keeps_the_optimum_and_prunes_more(
    monkeypatch: pytest.MonkeyPatch, max_options: int, rack_price: float, electricity: float
) -> None:
    """Air against liquid cooling trades racks and cooling plant for energy: the stock rule
    keeps both, the weighted total drops one, and the optimum is the unpruned model's."""
    inputs = _two_coolings(max_options, rack_price, electricity)
    plan = schedule(inputs)
    peak = peak_inputs(inputs, plan)
    every = fleet_options(make_engine(inputs, prune=False)).options
    with_totals = stock_dominance.prune_for_years(peak, every, plan)
    with monkeypatch.context() as patch:
        patch.setattr(stock_dominance, "_purchase_weights", lambda *_: None)
        by_stock = stock_dominance.prune_for_years(peak, every, plan)
    assert {o.key for o in with_totals} < {o.key for o in by_stock}
    pruned = optimize(inputs, mip_gap=0.0, explain=False)
    full = optimize(inputs, mip_gap=0.0, explain=False, prune=False)
    assert pruned.status == full.status == "optimal"
    assert pruned.plan is not None and full.plan is not None
    assert pruned.plan.tco == pytest.approx(full.plan.tco, rel=REL)
