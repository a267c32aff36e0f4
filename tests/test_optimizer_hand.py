"""Hand-solvable instances: one inference workload, two chips, the optimum worked out here.

The options are written by hand (replica sizes and tokens/s per replica), so
every quantity and cost below is plain arithmetic on the factory rows.
"""

from __future__ import annotations

import dataclasses

import pytest

from tco.costs import registry
from tco.model.build import build_model, decisions
from tco.model.context import MONEY_SCALE
from tco.model.options import Option
from tco.plan.extract import PlanCheckError, extract_plan
from tco.solve.highs import solve

from factory import INFERENCE, make_inputs

ANNUITY_5Y_8PCT = sum(1.08**-y for y in range(1, 6))  # 3.99271...


def option(
    chip: str, replica_cards: int, tokens_per_replica: float, node_kw: float, per_rack: int
) -> Option:
    return Option(
        workload="chat",
        chip=chip,
        fabric="ib",
        cooling="air",
        kind="inference",
        target_tokens_per_s=2000.0,
        cards_per_node=8,
        nics_per_node=8,
        min_nodes=1,
        max_nodes=8,
        nodes_per_rack=per_rack,
        node_kw=node_kw,
        replica_cards=replica_cards,
        tokens_per_replica=tokens_per_replica,
        max_replicas=16,
    )


# h100: node 8 x 700 W + 4,600 W + 8 NICs x 25 W = 10.4 kW -> 3 nodes per 40 kW rack.
H100 = option("h100", 8, 1000.0, 10.4, 3)
# ascend: 8 x 400 + 3,000 + 8 x 25 = 6.4 kW -> min(4 slots, 6) = 4 per rack.
ASCEND = option("ascend", 4, 300.0, 6.4, 4)


def h100_tco() -> float:
    # 2 replicas x 8 cards = 16 cards on 2 nodes; 16 NIC ports -> 1 tier, 1 switch, 16 links.
    capex = 16 * 25_000 + 2 * 50_000 + 16 * 2_000 + 1 * 40_000 + 32 * 700 + 16 * 100 + 1 * 5_000
    it_kw = (16 * 700 + 2 * 4_600 + 16 * 25 + 1 * 1_500) / 1000  # 22.3 kW
    capex += it_kw * 1_500  # cooling plant
    hardware = 16 * 25_000 + 2 * 50_000 + 16 * 2_000 + 40_000 + 32 * 700 + 16 * 100
    energy = it_kw * 0.8 * 1.4 * 8760 * 0.1
    return capex + ANNUITY_5Y_8PCT * (energy + 0.03 * hardware)


def ascend_tco() -> float:
    # ceil(2000 / 300) = 7 replicas x 4 = 28 cards on ceil(28 / 8) = 4 nodes; 32 NIC ports.
    capex = 28 * 15_000 + 4 * 35_000 + 32 * 2_000 + 40_000 + 64 * 700 + 32 * 100 + 1 * 5_000
    it_kw = (28 * 400 + 4 * 3_000 + 32 * 25 + 1_500) / 1000  # 25.5 kW
    capex += it_kw * 1_500 + 1_500_000  # cooling plant, CANN migration
    hardware = 28 * 15_000 + 4 * 35_000 + 32 * 2_000 + 40_000 + 64 * 700 + 32 * 100
    energy = it_kw * 0.8 * 1.4 * 8760 * 0.1
    return capex + ANNUITY_5Y_8PCT * (energy + 0.03 * hardware)


def solve_by_hand_options(**site):
    inputs = make_inputs(site=site, Workloads=[dict(INFERENCE, target_tokens_per_s=2000)])
    model, ctx = build_model(inputs, [H100, ASCEND])
    outcome = solve(model, 30, 0.0)
    return inputs, decisions(model, ctx), outcome


def test_annuity_matches_the_hand_value() -> None:
    inputs = make_inputs()
    assert registry.annuity(inputs.site) == pytest.approx(3.992710037, rel=1e-9)


def test_cheapest_chip_wins_without_limits() -> None:
    inputs, model, outcome = solve_by_hand_options()
    assert outcome.status == "optimal"
    plan = extract_plan(inputs, model, outcome)
    (pool,) = plan.pools
    assert (pool.chip, pool.replicas, pool.cards, pool.nodes) == ("h100", 2, 16, 2)
    assert (pool.network.tiers, pool.network.switches, pool.racks) == (1, 1, 1)
    assert plan.tco == pytest.approx(h100_tco(), rel=1e-9)
    assert plan.tco < ascend_tco()


def test_domestic_share_forces_the_domestic_chip() -> None:
    inputs, model, outcome = solve_by_hand_options(min_domestic_share=0.5)
    plan = extract_plan(inputs, model, outcome)
    (pool,) = plan.pools
    assert (pool.chip, pool.replicas, pool.cards, pool.nodes) == ("ascend", 7, 28, 4)
    assert plan.tco == pytest.approx(ascend_tco(), rel=1e-9)
    assert plan.migration == 1_500_000


def test_power_budget_between_the_two_plans_picks_the_one_that_fits() -> None:
    # h100 plan: 22.3 kW x 1.4 = 31.22 kW facility; ascend: 25.5 x 1.4 = 35.7 kW.
    inputs, model, outcome = solve_by_hand_options(power_budget_kw=32)
    assert extract_plan(inputs, model, outcome).pools[0].chip == "h100"
    inputs, model, outcome = solve_by_hand_options(power_budget_kw=31)
    assert outcome.status == "infeasible"


def test_recosting_catches_a_corrupted_objective() -> None:
    inputs, model, outcome = solve_by_hand_options()
    corrupted = dataclasses.replace(outcome, objective=outcome.objective * (1 + 1e-5))
    with pytest.raises(PlanCheckError, match="differs from the solver's objective"):
        extract_plan(inputs, model, corrupted)


def test_recosting_catches_a_broken_constraint() -> None:
    inputs, model, outcome = solve_by_hand_options()
    model = dataclasses.replace(model, racks={H100.key: 0})  # no rack, and 5,000 cheaper
    cheaper = dataclasses.replace(outcome, objective=outcome.objective - 5_000 * MONEY_SCALE)
    with pytest.raises(PlanCheckError, match="0 racks bought, 1 needed"):
        extract_plan(inputs, model, cheaper)
