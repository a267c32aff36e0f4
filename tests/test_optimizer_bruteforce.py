"""Brute-force cross-check: enumerate every plan of a small instance, compare to the MILP.

Hypothesis draws small sites (1-2 workloads, 2-3 chips, 1-2 fabrics, 1-2
coolings, random limits). For each, every assignment of one option per
workload (`build_options`) and every node and replica count inside the
option's bounds is enumerated; throughput uses the MILP's semantics
(training: min over the option's cuts; inference: replicas x tokens per
replica), quantities and costs come from `tco.costs.clos.size_clos` and
`tco.costs.registry`, and every site limit is checked in plain arithmetic. The
cheapest feasible plan must match `optimize(..., mip_gap=0)` with and without
the dominance presolve: same verdict, same TCO to 1e-6 relative.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tco.costs import registry as costing
from tco.costs.clos import size_clos
from tco.errors import InputError
from tco.model.options import Option, build_options
from tco.perf.training import training_curve
from tco.scenario.optimize import optimize
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
        rows.append(
            dict(
                CHIP,
                chip_id="x3",
                name="X3",
                origin=draw(st.sampled_from(["import", "domestic"])),
                bf16_tflops=float(draw(st.integers(150, 1200))),
                fp8_tflops=None,
                memory_gb=float(draw(st.sampled_from([48, 64, 96, 141]))),
                memory_bw_gbs=float(draw(st.integers(1000, 5000))),
                cards_per_node=draw(st.sampled_from([4, 8])),
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
                switch_radix=draw(st.sampled_from([8, 8, 16])),
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


@dataclass(frozen=True)
class Pool:
    """One option at one node/replica count, fully costed."""

    option: Option
    nodes: int
    replicas: int | None
    cards: int
    capex: float
    opex_per_year: float
    facility_kw: float
    racks: int


def milp_throughput(o: Option, nodes: int, replicas: int | None) -> float:
    """What the MILP sees: the cuts' minimum (training), replicas x rate (inference)."""
    if o.kind == "training":
        return min(a * nodes + b for a, b in o.cuts)
    assert replicas is not None
    return replicas * o.tokens_per_replica


def cost_pool(inputs: PlanningInputs, o: Option, nodes: int, replicas: int | None) -> Pool:
    chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
    cooling, site = inputs.coolings[o.cooling], inputs.site
    cards = nodes * o.cards_per_node if replicas is None else replicas * o.replica_cards
    nics = nodes * o.nics_per_node
    clos = size_clos(nics, fabric.switch_radix, fabric.oversubscription)
    racks = math.ceil(nodes / o.nodes_per_rack)
    q = costing.PoolQuantities(
        cards,
        nodes,
        nics,
        clos.leaf_switches,
        clos.spine_switches,
        clos.core_switches,
        clos.links,
        racks,
    )
    cost = costing.price_pool(q, costing.row_lookup(chip, fabric, cooling, site))
    return Pool(o, nodes, replicas, cards, cost.capex, cost.opex_per_year, cost.facility_kw, racks)


def sizes(o: Option) -> list[tuple[int, int | None]]:
    """Every (nodes, replicas) the MILP may pick for option `o`."""
    if o.kind == "training":
        return [(n, None) for n in range(o.min_nodes, o.max_nodes + 1)]
    out: list[tuple[int, int | None]] = []
    for r in range(1, o.max_replicas + 1):
        least = max(o.min_nodes, math.ceil(r * o.replica_cards / o.cards_per_node))
        out += [(n, r) for n in range(least, o.max_nodes + 1)]
    return out


def candidate_pools(inputs: PlanningInputs, options: list[Option]) -> dict[str, list[Pool]]:
    """Per workload, every pool that meets its target under the MILP's throughput rule."""
    pools: dict[str, list[Pool]] = {w: [] for w in inputs.workloads}
    for o in options:
        for nodes, replicas in sizes(o):
            served = milp_throughput(o, nodes, replicas)
            if served >= o.target_tokens_per_s * (1 - 1e-12):
                pools[o.workload].append(cost_pool(inputs, o, nodes, replicas))
    return pools


def check_cuts_match_curve(inputs: PlanningInputs, o: Option) -> None:
    """The cuts meet the target at exactly the node counts the true curve does."""
    w = inputs.workloads[o.workload]
    curve = training_curve(
        w, inputs.models[w.model_id], inputs.chips[o.chip], inputs.fabrics[o.fabric], inputs.site
    )
    # T(n) need not be exactly concave (fabric tiers, parallelism steps), so a cut may
    # over-estimate T below n_t; what matters is the same feasible node counts.
    for n in range(o.min_nodes, o.max_nodes + 1):
        by_cuts = min(a * n + b for a, b in o.cuts)
        true = curve.tokens_per_s(n)
        assert (by_cuts >= o.target_tokens_per_s) == (true >= o.target_tokens_per_s), (o.key, n)
    n_t = o.max_nodes
    exact = min(a * n_t + b for a, b in o.cuts)
    assert abs(exact - curve.tokens_per_s(n_t)) <= 1e-9 * exact, (o.key, n_t)


def plan_tco(inputs: PlanningInputs, combo: tuple[Pool, ...]) -> float | None:
    """Discounted TCO of a combination of pools, or None if it breaks a site limit."""
    site, chips = inputs.site, inputs.chips
    stacks = costing.stack_migration_costs(chips)
    migration = sum(stacks[s][0] for s in {chips[p.option.chip].software_stack for p in combo})
    capex = sum(p.capex for p in combo) + migration
    if site.capex_budget is not None and capex > site.capex_budget:
        return None
    power = sum(p.facility_kw for p in combo)
    if site.power_budget_kw is not None and power > site.power_budget_kw:
        return None
    if site.max_racks is not None and sum(p.racks for p in combo) > site.max_racks:
        return None
    cards = Counter[str]()
    for p in combo:
        cards[p.option.chip] += p.cards
    for chip_id, used in cards.items():
        cap = chips[chip_id].max_cards
        if cap is not None and used > cap:
            return None
    domestic = sum(n for c, n in cards.items() if chips[c].origin == "domestic")
    if domestic < site.min_domestic_share * sum(cards.values()) - 1e-9:
        return None
    return capex + costing.annuity(site) * sum(p.opex_per_year for p in combo)


def with_spare_domestic_room(inputs: PlanningInputs, options: list[Option]) -> list[Option]:
    """Domestic options widened so spare domestic cards can meet the domestic share.

    D >= share x (D + I) needs at most share / (1 - share) x I extra domestic cards,
    and I is at most the cards of every import option together (a generous bound).
    """
    share = inputs.site.min_domestic_share
    if not 0 < share < 1:
        return options
    chips = inputs.chips
    imports = sum(
        o.max_nodes * o.cards_per_node for o in options if chips[o.chip].origin != "domestic"
    )
    extra = math.ceil(share / (1 - share) * imports)
    return [
        dataclasses.replace(
            o,
            max_nodes=o.max_nodes + math.ceil(extra / o.cards_per_node),
            max_replicas=(o.max_nodes + math.ceil(extra / o.cards_per_node))
            * o.cards_per_node
            // max(o.replica_cards, 1),
        )
        if chips[o.chip].origin == "domestic" and extra
        else o
        for o in options
    ]


def brute_force(inputs: PlanningInputs, bounded: bool = True) -> tuple[float | None, int]:
    """(cheapest feasible TCO or None, plans enumerated).

    `bounded` skips (Hypothesis `assume`) instances with too many plans to enumerate.
    """
    options = build_options(inputs).options
    for o in options:
        if o.kind == "training":
            check_cuts_match_curve(inputs, o)
    pools = candidate_pools(inputs, with_spare_domestic_room(inputs, options))
    lists = [pools[w] for w in inputs.workloads]
    total = math.prod(len(x) for x in lists)
    if bounded:
        assume(total <= MAX_COMBINATIONS)
    best: float | None = None
    for combo in itertools.product(*lists):
        tco = plan_tco(inputs, combo)
        if tco is not None and (best is None or tco < best):
            best = tco
    return best, total


COUNTS: Counter[str] = Counter()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(instances())
def check_against_milp(inputs: PlanningInputs) -> None:
    best, _ = brute_force(inputs)
    for prune in (True, False):
        result = optimize(inputs, mip_gap=0.0, prune=prune, explain=False)
        if best is None:
            assert result.status == "infeasible", (prune, result.status, result.plan)
            continue
        assert result.status == "optimal", (prune, result.status, best)
        assert result.plan is not None
        assert abs(result.plan.tco - best) <= REL * best, (prune, result.plan.tco, best)
    COUNTS["feasible" if best is not None else "infeasible"] += 1


def test_milp_matches_brute_force() -> None:
    COUNTS.clear()
    check_against_milp()
    print(
        f"\nbrute force compared {sum(COUNTS.values())} instances: "
        f"{COUNTS['feasible']} feasible, {COUNTS['infeasible']} infeasible"
    )
    assert COUNTS["feasible"] >= 10
    assert COUNTS["infeasible"] >= 3


def _widened(o: Option, factor: int) -> Option:
    """The option with `factor` times its node and replica bounds."""
    return dataclasses.replace(
        o, max_nodes=o.max_nodes * factor, max_replicas=o.max_replicas * factor
    )


def test_domestic_share_may_need_a_larger_domestic_pool() -> None:
    # a: 60,000 tok/s of m7 on H100 only -> 10 replicas x 1 card on 2 nodes (import).
    # b: 2,000 tok/s of m7 on Ascend only -> 1 replica of 2 cards; the option allows at
    # most 1 node (8 cards). A 50% share needs >= 10 domestic cards: b on 2 nodes with
    # 5 replicas is a valid plan that serves every target and keeps every limit.
    inputs = make_inputs(
        site={"min_domestic_share": 0.5},
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(
                INFERENCE,
                workload_id="a",
                model_id="m7",
                target_tokens_per_s=60_000,
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
    widened = [_widened(o, 3) for o in build_options(inputs).options]
    pools = candidate_pools(inputs, widened)
    feasible = [
        tco
        for combo in itertools.product(*(pools[w] for w in inputs.workloads))
        if (tco := plan_tco(inputs, combo)) is not None
    ]
    assert feasible, "the hand-made plan above should be feasible"
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal"
    assert result.plan is not None
    assert result.plan.tco == pytest.approx(min(feasible), rel=REL)


def test_spare_domestic_cards_may_fill_free_slots() -> None:
    # a: 80,000 tok/s of m7 on h100 or a fast but dear h200 (import); b: 2,000 tok/s on
    # Ascend, whose host costs 1,000,000. Under a 50% share the cheapest plan puts 13 cheap
    # h100 cards next to 14 Ascend cards in 2 nodes: spare cards that only fill empty slots
    # (no new host), which a per-node cost floor for spare cards would wrongly rule out.
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
        site={"min_domestic_share": 0.5},
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
    best, _ = brute_force(inputs, bounded=False)
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None and best is not None
    assert result.plan.tco == pytest.approx(best, rel=REL)
    assert {(p.chip, p.cards) for p in result.plan.pools} == {("h100", 13), ("ascend", 14)}
