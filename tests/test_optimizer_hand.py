"""Hand-solvable instances: one inference workload, the optimum worked out here.

The first tests write the options by hand (replica sizes and tokens/s per
replica), so every quantity and cost is plain arithmetic on the factory rows.
The multi-tier tests solve end to end through `optimize` on fabrics whose
radix and oversubscription force 2 or 3 tiers, and check the pool, the BOM
and the TCO against the counts and prices written out in each test.
"""

from __future__ import annotations

import dataclasses

import pytest
from test_optimizer_bruteforce import SMALL_MODEL

from tco.costs import registry
from tco.model.build import build_model, decisions
from tco.model.context import MONEY_SCALE
from tco.model.options import Option
from tco.perf.inference import inference_estimate
from tco.plan.extract import PlanCheckError, extract_plan
from tco.scenario.optimize import optimize
from tco.solve.highs import solve

from factory import CHIP, FABRIC, INFERENCE, MODEL, make_inputs

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
        nic_cards_per_node=8,
        min_nodes=1,
        max_nodes=8,
        nodes_per_rack=per_rack,
        node_kw=node_kw,
        replica_cards=replica_cards,
        replicas_per_system=8 // replica_cards,
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
    # ceil(2000 / 300) = 7 replicas of 4 cards, 2 per node: 4 whole nodes, 32 cards (the
    # eighth replica's slots come with the server); 32 NIC ports.
    capex = 32 * 15_000 + 4 * 35_000 + 32 * 2_000 + 40_000 + 64 * 700 + 32 * 100 + 1 * 5_000
    it_kw = (32 * 400 + 4 * 3_000 + 32 * 25 + 1_500) / 1000  # 27.1 kW
    capex += it_kw * 1_500 + 1_500_000  # cooling plant, CANN migration
    hardware = 32 * 15_000 + 4 * 35_000 + 32 * 2_000 + 40_000 + 64 * 700 + 32 * 100
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
    assert (pool.chip, pool.cards, pool.nodes, pool.systems) == ("ascend", 32, 4, 4)
    assert pool.replicas == 8  # the eighth fits the bought slots and serves
    assert plan.tco == pytest.approx(ascend_tco(), rel=1e-9)
    assert plan.migration == 1_500_000


def test_power_budget_between_the_two_plans_picks_the_one_that_fits() -> None:
    # h100 plan: 22.3 kW x 1.4 = 31.22 kW facility; ascend: 27.1 x 1.4 = 37.94 kW.
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


# --- multi-tier fabrics, solved end to end through `optimize` -------------------------
#
# One chip (H100, 8 cards and 8 NIC ports per node), one cooling (air), m7 served
# at one card per replica, so the optimum is the smallest pool meeting the target
# and every count and price below follows by hand. Every unit price differs, so a
# BOM line is known by its price.

FACILITY_PER_KW = 1_000  # data hall, per facility kW


def m7_rate() -> float:
    """Output tokens/s of one H100 replica serving m7 (from the performance model)."""
    inputs = make_inputs(Models=[MODEL, SMALL_MODEL], Workloads=[dict(INFERENCE, model_id="m7")])
    w = inputs.workloads["chat"]
    est = inference_estimate(w, inputs.models["m7"], inputs.chips["h100"], inputs.site)
    assert est.replica_cards == 1
    return est.tokens_per_s


def multi_tier_plan(replicas: int, fabrics: list[dict]):
    """Optimal plan serving `replicas` - 0.5 replicas' worth of m7 on the given fabrics."""
    inputs = make_inputs(
        site={"facility_capex_per_kw": FACILITY_PER_KW},
        Chips=[CHIP],
        Fabrics=fabrics,
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(INFERENCE, model_id="m7", target_tokens_per_s=(replicas - 0.5) * m7_rate())
        ],
    )
    result = optimize(inputs, mip_gap=0.0, time_limit_s=30)
    assert result.status == "optimal" and result.plan is not None
    return result.plan


def bom_by_price(plan) -> dict[tuple[float, str], float]:
    """Quantity per (unit price, category) over the BOM lines that cost something."""
    out: dict[tuple[float, str], float] = {}
    for line in plan.bom:
        assert line.extended == pytest.approx(line.quantity * line.unit_price, rel=1e-12)
        if line.extended:
            key = (line.unit_price, line.category)
            out[key] = out.get(key, 0.0) + line.quantity
    return out


def hand_tco(capex: float, hardware: float, it_kw: float) -> float:
    energy = it_kw * 0.8 * 1.4 * 8760 * 0.1  # utilization, PUE, hours, price per kWh
    return capex + ANNUITY_5Y_8PCT * (energy + 0.03 * hardware)


def test_two_tier_fabric_with_oversubscription() -> None:
    # Radix 16 at 3:1: leaves have d = 16 x 3 / 4 = 12 down ports; 1 tier holds 16
    # ports, 2 tiers 16 x 12 = 192. 21 replicas on ceil(21 / 8) = 3 whole nodes = 24
    # cards, 24 ports -> 2 tiers: ceil(24 / 12) = 2 leaves, ceil(24 / (3 x 16)) = 1 spine,
    # 24 x (1 + 1/3) = 32 links, 64 optics, 32 cables.
    plan = multi_tier_plan(21, [dict(FABRIC, switch_radix=16, oversubscription=3.0)])
    (pool,) = plan.pools
    assert (pool.chip, pool.fabric, pool.cooling) == ("h100", "ib", "air")
    assert (pool.nodes, pool.cards, pool.replicas) == (3, 24, 24)  # every slot serves
    assert (pool.switches_bought, pool.links_bought) == ((2, 1, 0), 32)
    # Node peak 8 x 700 + 4,600 + 8 x 25 = 10,400 W -> floor(40 / 10.4) = 3 per rack.
    assert pool.racks == 1
    it_kw = (24 * 700 + 3 * 4_600 + 24 * 25 + 3 * 1_500) / 1000  # 35.7 kW
    hardware = (
        24 * 25_000  # cards
        + 3 * 50_000  # hosts
        + 24 * 2_000  # NIC ports
        + 3 * 40_000  # 2 leaf + 1 spine switches
        + 64 * 700  # optics, 2 per link
        + 32 * 100  # cables
    )  # 966,000
    capex = hardware + 1 * 5_000 + it_kw * 1_500 + it_kw * 1.4 * FACILITY_PER_KW
    assert bom_by_price(plan) == {
        (25_000, "compute"): 24,
        (50_000, "compute"): 3,
        (2_000, "network"): 24,
        (40_000, "network"): 3,
        (700, "network"): 64,
        (100, "network"): 32,
        (5_000, "facility"): 1,
        (1_500, "facility"): pytest.approx(it_kw),
        (FACILITY_PER_KW, "facility"): pytest.approx(it_kw * 1.4),
    }
    assert plan.capex == pytest.approx(capex, rel=1e-9)
    assert plan.tco == pytest.approx(hand_tco(capex, hardware, it_kw), rel=1e-9)


def test_three_tier_fabric() -> None:
    # Radix 8 non-blocking: d = 4; 1 / 2 / 3 tiers hold 8 / 32 / 128 ports. 36
    # replicas on ceil(36 / 8) = 5 whole nodes = 40 cards, 40 ports -> 3 tiers: ceil(40 / 4) = 10
    # leaves, ceil(2 x 40 / 8) = 10 spines, ceil(40 / 8) = 5 cores ((2t - 1) e / r =
    # 25 switches), 40 x 3 = 120 links, 240 optics, 120 cables.
    plan = multi_tier_plan(36, [dict(FABRIC, switch_radix=8)])
    (pool,) = plan.pools
    assert (pool.nodes, pool.cards, pool.replicas) == (5, 40, 40)
    assert (pool.switches_bought, pool.links_bought) == ((10, 10, 5), 120)
    assert pool.racks == 2  # ceil(5 / 3)
    it_kw = (40 * 700 + 5 * 4_600 + 40 * 25 + 25 * 1_500) / 1000  # 89.5 kW
    hardware = (
        40 * 25_000 + 5 * 50_000 + 40 * 2_000 + 25 * 40_000 + 240 * 700 + 120 * 100
    )  # 2,510,000
    capex = hardware + 2 * 5_000 + it_kw * 1_500 + it_kw * 1.4 * FACILITY_PER_KW
    assert bom_by_price(plan) == {
        (25_000, "compute"): 40,
        (50_000, "compute"): 5,
        (2_000, "network"): 40,
        (40_000, "network"): 25,
        (700, "network"): 240,
        (100, "network"): 120,
        (5_000, "facility"): 2,
        (1_500, "facility"): pytest.approx(it_kw),
        (FACILITY_PER_KW, "facility"): pytest.approx(it_kw * 1.4),
    }
    assert plan.capex == pytest.approx(capex, rel=1e-9)
    assert plan.tco == pytest.approx(hand_tco(capex, hardware, it_kw), rel=1e-9)


def test_a_high_radix_fabric_beats_three_tiers_of_cheap_switches() -> None:
    # The same 5 nodes: "ib" of radix 8 needs the 3-tier fabric above (25 switches at
    # 40,000, 120 links); "big" of radix 64 connects the 40 ports with one 90,000
    # switch and 40 links, so it wins although its switch is dearer.
    big = dict(FABRIC, fabric_id="big", switch_radix=64, switch_price=90_000)
    plan = multi_tier_plan(36, [dict(FABRIC, switch_radix=8), big])
    (pool,) = plan.pools
    assert pool.fabric == "big"
    assert (pool.switches_bought, pool.links_bought) == ((1, 0, 0), 40)
    it_kw = (40 * 700 + 5 * 4_600 + 40 * 25 + 1 * 1_500) / 1000  # 53.5 kW
    hardware = 40 * 25_000 + 5 * 50_000 + 40 * 2_000 + 90_000 + 80 * 700 + 40 * 100
    capex = hardware + 2 * 5_000 + it_kw * 1_500 + it_kw * 1.4 * FACILITY_PER_KW
    assert plan.tco == pytest.approx(hand_tco(capex, hardware, it_kw), rel=1e-9)


def test_a_chip_with_integrated_nics_buys_no_nic_cards() -> None:
    # The 2-tier instance above: 24 ports at 2,000 each, plus their maintenance.
    # On-package ports are Ethernet: the same fabric as RoCE (an InfiniBand one is refused).
    roce = dict(FABRIC, technology="RoCEv2", switch_radix=16, oversubscription=3.0)
    regular = multi_tier_plan(21, [roce])
    inputs = make_inputs(
        site={"facility_capex_per_kw": FACILITY_PER_KW},
        Chips=[dict(CHIP, integrated_nic=True)],
        Fabrics=[roce],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=20.5 * m7_rate())],
    )
    result = optimize(inputs, mip_gap=0.0, time_limit_s=30)
    assert result.plan is not None
    assert bom_by_price(result.plan).get((2_000, "network"), 0) == 0
    nic_cards = 24 * 2_000 * (1 + 0.03 * ANNUITY_5Y_8PCT)
    assert result.plan.tco <= regular.tco - nic_cards * (1 - 1e-9)
