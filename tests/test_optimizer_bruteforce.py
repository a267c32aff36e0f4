"""Brute-force cross-check: enumerate every plan of a small instance, compare to the MILP.

Hypothesis draws small sites (1-2 workloads, 2-3 chips, 1-2 fabrics, 1-2
coolings, random limits). For each, `tests/oracle.py` enumerates every
compatible chip x fabric x cooling per workload and every pool size meeting
the target (training: T(nodes) of the performance model; inference: whole
replicas; domestic pools grown as far as a domestic share can need), prices
each plan from the input rows alone and checks every site limit. The cheapest
feasible plan must match `optimize(..., mip_gap=0)` with and without the
dominance presolve: same verdict, same TCO to 1e-6 relative, and the plan the
optimizer reports must cost, by the oracle, what it says it costs.

Nothing here prices with the code under test: a wrong cost line, Clos
coefficient, rack rule or limit in `tco` makes the two disagree.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import oracle
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tco.errors import InputError
from tco.scenario.optimize import OptimizeResult, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, FABRIC, INFERENCE, MODEL, TRAINING, make_inputs

REL = 1e-6
#: Enumerated plans per instance beyond which the instance is skipped.
MAX_COMBINATIONS = 20_000

SMALL_MODEL: dict[str, Any] = dict(
    MODEL,
    model_id="m7",
    params_b=7,
    active_params_b=7,
    layers=32,
    hidden=4096,
    heads=32,
    kv_heads=8,
    head_dim=128,
)


def _money(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Prices rounded to whole units: exact ties between options stay unlikely but possible."""
    return st.integers(int(lo), int(hi)).map(float)


@st.composite
def chip_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    h100 = dict(
        CHIP,
        origin=draw(st.sampled_from(["import", "import", "domestic"])),
        card_price=draw(_money(12_000, 40_000)),
        node_price=draw(_money(20_000, 80_000)),
        tdp_w=float(draw(st.integers(400, 1000))),
        max_cards=draw(st.sampled_from([None, None, 8, 16, 24, 40])),
        cooling_required=draw(st.sampled_from(["any", "any", "liquid"])),
        # More ports per node than cards reach 2- and 3-tier fabrics on small pools.
        nics_per_node=draw(st.sampled_from([None, None, 4, 16])),
    )
    ascend = dict(
        DOMESTIC,
        origin=draw(st.sampled_from(["domestic", "domestic", "import"])),
        card_price=draw(_money(6_000, 25_000)),
        node_price=draw(_money(15_000, 60_000)),
        tdp_w=float(draw(st.integers(300, 700))),
        max_cards=draw(st.sampled_from([None, None, 8, 16, 32])),
        migration_cost=draw(_money(0, 3_000_000)),
    )
    rows = [h100, ascend]
    if draw(st.booleans()):
        # x3 may be sold in systems of several servers (NVL72- or CloudMatrix-like): a
        # scale-up domain across them and a price and power of the system's own.
        per_node = draw(st.sampled_from([4, 8]))
        servers = draw(st.sampled_from([1, 1, 2, 4]))
        rows.append(
            dict(
                CHIP,
                cards_per_node=per_node,
                scaleup_domain=per_node * servers,
                system_cards=per_node * servers if servers > 1 else None,
                system_price=draw(_money(0, 200_000)) if servers > 1 else 0.0,
                system_power_w=float(draw(st.integers(0, 3_000))) if servers > 1 else 0.0,
                chip_id="x3",
                name="X3",
                origin=draw(st.sampled_from(["import", "domestic"])),
                bf16_tflops=float(draw(st.integers(150, 1200))),
                fp8_tflops=None,
                memory_gb=float(draw(st.sampled_from([48, 64, 96, 141]))),
                memory_bw_gbs=float(draw(st.integers(1000, 5000))),
                tdp_w=float(draw(st.integers(300, 1000))),
                card_price=draw(_money(5_000, 40_000)),
                node_price=draw(_money(15_000, 70_000)),
                max_cards=draw(st.sampled_from([None, 8, 16])),
                software_stack=draw(st.sampled_from(["CUDA", "CANN", "Neuware"])),
                migration_cost=draw(_money(0, 2_000_000)),
                cooling_required=draw(st.sampled_from(["any", "liquid"])),
            )
        )
    return rows


@st.composite
def fabric_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    ib = dict(
        FABRIC,
        switch_radix=draw(st.sampled_from([8, 16, 64])),
        switch_price=draw(_money(10_000, 50_000)),
        nic_price=draw(_money(500, 3_000)),
        optic_price=draw(_money(200, 1_000)),
        cable_price=draw(_money(20, 200)),
    )
    rows = [ib]
    if draw(st.booleans()):
        rows.append(
            dict(
                FABRIC,
                fabric_id="roce",
                technology="RoCEv2",
                port_gbps=float(draw(st.sampled_from([100, 200, 400]))),
                switch_radix=draw(st.sampled_from([4, 8, 8, 16])),
                switch_price=draw(_money(3_000, 30_000)),
                switch_power_w=float(draw(st.integers(300, 1500))),
                nic_price=draw(_money(200, 2_000)),
                optic_price=draw(_money(100, 800)),
                cable_price=draw(_money(10, 150)),
                efficiency=draw(st.sampled_from([0.6, 0.75, 0.9])),
                oversubscription=draw(st.sampled_from([1.0, 1.0, 2.0, 3.0])),
            )
        )
    return rows


@st.composite
def cooling_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    air = dict(
        COOLING,
        pue=draw(st.sampled_from([1.3, 1.4, 1.5])),
        max_rack_kw=float(draw(st.integers(12, 45))),
        capex_per_kw=draw(_money(500, 2_500)),
        rack_price=draw(_money(2_000, 8_000)),
        nodes_per_rack_max=draw(st.integers(2, 4)),
    )
    rows = [air]
    if draw(st.booleans()):
        rows.append(
            dict(
                COOLING,
                cooling_id="liquid",
                technology="cold-plate liquid",
                pue=draw(st.sampled_from([1.05, 1.1, 1.15, 1.2])),
                max_rack_kw=float(draw(st.integers(50, 130))),
                capex_per_kw=draw(_money(300, 4_000)),
                rack_price=draw(_money(2_000, 15_000)),
                nodes_per_rack_max=draw(st.integers(4, 8)),
            )
        )
    return rows


@st.composite
def workload_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, 2))):
        big = draw(st.booleans())
        if draw(st.booleans()):
            rows.append(
                dict(
                    INFERENCE,
                    workload_id=f"w{i}",
                    model_id="llama-2-70b" if big else "m7",
                    target_tokens_per_s=float(
                        draw(st.integers(500, 12_000) if big else st.integers(1_000, 40_000))
                    ),
                    max_tpot_ms=float(draw(st.sampled_from([30, 50, 100]))),
                )
            )
        else:
            rows.append(
                dict(
                    TRAINING,
                    workload_id=f"w{i}",
                    model_id="llama-2-70b" if big else "m7",
                    train_tokens_b=float(draw(st.integers(1, 8) if big else st.integers(2, 60))),
                    deadline_days=float(draw(st.integers(10, 40))),
                )
            )
    return rows


@st.composite
def site_row(draw: st.DrawFn) -> dict[str, Any]:
    site: dict[str, Any] = dict(
        electricity_price_per_kwh=draw(st.sampled_from([0.04, 0.08, 0.1, 0.15])),
        facility_capex_per_kw=draw(_money(0, 8_000)),
        discount_rate=draw(st.sampled_from([0.0, 0.05, 0.08, 0.12])),
        horizon_years=draw(st.integers(1, 7)),
        maintenance_rate=draw(st.sampled_from([0.0, 0.03, 0.08])),
        min_domestic_share=draw(st.sampled_from([0.0, 0.0, 0.25, 0.5, 1.0])),
    )
    if draw(st.booleans()):
        site["power_budget_kw"] = round(draw(st.floats(5.0, 250.0)), 3)
    if draw(st.booleans()):
        site["max_racks"] = draw(st.integers(1, 10))
    if draw(st.booleans()):
        site["capex_budget"] = float(draw(st.integers(200_000, 6_000_000)))
    return site


Sheets = dict[str, list[dict[str, Any]]]


@st.composite
def raw_instances(draw: st.DrawFn) -> tuple[Sheets, dict[str, Any]]:
    """(sheets, site) as plain dicts that validate, so tests can vary them further."""
    sheets: Sheets = dict(
        Chips=draw(chip_rows()),
        Fabrics=draw(fabric_rows()),
        Cooling=draw(cooling_rows()),
        Models=[MODEL, SMALL_MODEL],
        Workloads=draw(workload_rows()),
    )
    site = draw(site_row())
    for chip in sheets["Chips"]:
        # Ascend 910B/910C carry their scale-out ports: no NIC cards, no NIC power.
        # Drawn last, so the instances drawn before it stay as they were.
        chip["integrated_nic"] = chip["chip_id"] == "ascend" and draw(st.booleans())
    try:
        make_inputs(site=site, **sheets)
    except InputError:
        assume(False)
    return sheets, site


def build(raw: tuple[Sheets, dict[str, Any]]) -> PlanningInputs:
    sheets, site = raw
    return make_inputs(site=site, **sheets)


def instances() -> st.SearchStrategy[PlanningInputs]:
    return raw_instances().map(build)


@st.composite
def multi_tier_instances(draw: st.DrawFn) -> PlanningInputs:
    """Sites whose pools need 2- and 3-tier fabrics: 16 ports per node on radix-8 switches.

    With o = 1 a radix-8 Clos connects 8 / 32 / 128 ports in 1 / 2 / 3 tiers, so
    pools of 1-2 nodes need 2 tiers and 3-8 nodes 3 tiers; o = 2 or 3 move the limits.
    """
    sheets, site = draw(raw_instances())
    for chip in sheets["Chips"]:
        chip.update(nics_per_node=16, max_cards=None)
    sheets["Fabrics"] = [
        dict(
            FABRIC,
            switch_radix=8,
            oversubscription=draw(st.sampled_from([1.0, 2.0, 3.0])),
            switch_price=draw(_money(5_000, 40_000)),
            switch_power_w=float(draw(st.integers(200, 1500))),
            nic_price=draw(_money(300, 3_000)),
            optic_price=draw(_money(100, 1_000)),
            cable_price=draw(_money(10, 200)),
        )
    ]
    sheets["Workloads"] = [
        dict(
            INFERENCE,
            workload_id=f"w{i}",
            model_id="m7",
            target_tokens_per_s=float(draw(st.sampled_from([40_000, 150_000, 250_000, 400_000]))),
            max_tpot_ms=float(draw(st.sampled_from([50, 100]))),
        )
        for i in range(draw(st.integers(1, 2)))
    ]
    for key in ("power_budget_kw", "capex_budget", "max_racks"):
        site.pop(key, None)
    site["min_domestic_share"] = draw(st.sampled_from([0.0, 0.0, 0.25, 0.5]))
    try:
        return build((sheets, site))
    except InputError:
        assume(False)
        raise


def brute_force(inputs: PlanningInputs, bounded: bool = True) -> oracle.PlanCost | None:
    """The oracle's cheapest feasible plan, or None.

    `bounded` skips (Hypothesis `assume`) instances with too many plans to enumerate.
    """
    pools = oracle.candidate_pools(inputs)
    if bounded:
        assume(oracle.plan_count(pools) <= MAX_COMBINATIONS)
    best = oracle.cheapest_plan(inputs, pools)
    return best[0] if best is not None else None


def assert_plan_priced_right(inputs: PlanningInputs, result: OptimizeResult) -> None:
    """The reported pools, priced by the oracle, are feasible and cost the reported TCO."""
    plan = result.plan
    assert plan is not None
    priced = oracle.price_reported_plan(inputs, plan)
    assert priced.feasible, priced.violations
    assert plan.tco == pytest.approx(priced.tco, rel=REL)
    assert sum(line.extended for line in plan.bom) == pytest.approx(priced.capex, rel=REL)


COUNTS: Counter[str] = Counter()


#: Hypothesis settings of the brute-force comparisons (each example is several solves).
BRUTE_FORCE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@BRUTE_FORCE_SETTINGS
@given(instances())
def check_against_milp(inputs: PlanningInputs) -> None:
    compare(inputs)


def compare(inputs: PlanningInputs) -> OptimizeResult:
    """The oracle's optimum and the optimizer's agree (and are counted in COUNTS).

    Returns the presolved optimizer's result, for callers that check more of it.
    """
    best = brute_force(inputs)
    pruned: OptimizeResult | None = None
    for prune in (True, False):
        result = optimize(inputs, mip_gap=0.0, prune=prune, explain=False)
        if prune:
            pruned = result
        if best is None:
            assert result.status == "infeasible", (prune, result.status, result.plan)
            continue
        assert result.status == "optimal", (prune, result.status, best)
        assert result.plan is not None
        assert abs(result.plan.tco - best.tco) <= REL * best.tco, (prune, result.plan.tco, best)
        assert_plan_priced_right(inputs, result)
        if prune:
            COUNTS.update(f"{p.network.tiers}-tier" for p in result.plan.pools)
            COUNTS["in multi-server systems"] += sum(
                p.system_cards > inputs.chips[p.chip].cards_per_node for p in result.plan.pools
            )
    COUNTS["feasible" if best is not None else "infeasible"] += 1
    assert pruned is not None
    return pruned


def test_milp_matches_brute_force() -> None:
    COUNTS.clear()
    check_against_milp()
    print(
        f"\nbrute force compared {COUNTS['feasible'] + COUNTS['infeasible']} instances: "
        f"{COUNTS['feasible']} feasible, {COUNTS['infeasible']} infeasible; optimal pools "
        f"on 1/2/3-tier fabrics: {COUNTS['1-tier']}/{COUNTS['2-tier']}/{COUNTS['3-tier']}, "
        f"{COUNTS['in multi-server systems']} in systems of several servers"
    )
    assert COUNTS["feasible"] >= 10
    assert COUNTS["infeasible"] >= 3


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(multi_tier_instances())
@example(
    # 150,000 tokens/s is 23 one-card H100 replicas on 3 nodes = 48 ports: 3 tiers.
    make_inputs(
        Chips=[dict(CHIP, nics_per_node=16), dict(DOMESTIC, nics_per_node=16)],
        Fabrics=[dict(FABRIC, switch_radix=8)],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=150_000)],
    )
)
def check_multi_tier_against_milp(inputs: PlanningInputs) -> None:
    compare(inputs)


def test_milp_matches_brute_force_on_multi_tier_fabrics() -> None:
    COUNTS.clear()
    check_multi_tier_against_milp()
    print(f"\nmulti-tier instances: {dict(COUNTS)}")
    assert COUNTS["2-tier"] >= 3 and COUNTS["3-tier"] >= 3, COUNTS


def test_domestic_share_may_need_a_larger_domestic_pool() -> None:
    # a: 100,000 tok/s of m7 on H100 only (import): 11 one-card replicas of 9,166 tok/s,
    # 2 servers. b: 2,000 tok/s of m7 on Ascend only, whose smallest pool is 1 replica in
    # 1 server. A 50% share needs as many domestic cards as import cards, so b must grow
    # well past its smallest pool.
    inputs = make_inputs(
        site={"min_domestic_share": 0.5, "domestic_share_basis": "cards"},
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(
                INFERENCE,
                workload_id="a",
                model_id="m7",
                target_tokens_per_s=100_000,
                allowed_chips="h100",
            ),
            dict(
                INFERENCE,
                workload_id="b",
                model_id="m7",
                target_tokens_per_s=2_000,
                allowed_chips="ascend",
            ),
        ],
    )
    best = brute_force(inputs, bounded=False)
    assert best is not None, "growing b meets the share"
    smallest = oracle.cheapest_plan(inputs, oracle.candidate_pools(inputs, grow=False))
    assert smallest is None, "at their smallest sizes no plan meets the share"
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal"
    assert result.plan is not None
    assert result.plan.tco == pytest.approx(best.tco, rel=REL)
    assert result.plan.domestic_cards * 2 >= result.plan.cards
    assert_plan_priced_right(inputs, result)


def test_servers_come_full_and_every_card_counts_for_the_share() -> None:
    # a: 80,000 tok/s of m7 on h100 or a fast but dear h200 (import); b: 2,000 tok/s on
    # Ascend, whose host costs 1,000,000. a needs 9 one-card replicas: 2 whole h100
    # servers, 16 cards (servers are bought full, the 7 spare slots serve too). b needs one
    # Ascend server, 8 cards; a 50% card share then needs 16 domestic cards, a second
    # Ascend server at 1,000,000 rather than a dearer h200 plan.
    chips = [
        CHIP,
        dict(DOMESTIC, node_price=1_000_000, migration_cost=0),
        dict(
            CHIP,
            chip_id="h200",
            name="H200",
            memory_bw_gbs=6700,
            bf16_tflops=1979,
            card_price=270_000,
        ),
    ]
    inputs = make_inputs(
        site={"min_domestic_share": 0.5, "domestic_share_basis": "cards"},
        Chips=chips,
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(
                INFERENCE,
                workload_id="a",
                model_id="m7",
                target_tokens_per_s=80_000,
                allowed_chips="h100,h200",
            ),
            dict(
                INFERENCE,
                workload_id="b",
                model_id="m7",
                target_tokens_per_s=2000,
                allowed_chips="ascend",
            ),
        ],
    )
    best = brute_force(inputs, bounded=False)
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None and best is not None
    assert result.plan.tco == pytest.approx(best.tco, rel=REL)
    assert {(p.chip, p.cards) for p in result.plan.pools} == {("h100", 16), ("ascend", 16)}
    assert_plan_priced_right(inputs, result)
