"""The spare-card bounds of `tco.model.growth`, checked by enumeration with tests/oracle.py.

Under a minimum domestic share strictly between 0 and 1, a plan may buy spare
domestic cards (a domestic pool past its smallest size meeting the target).
Two promises let the optimizer skip or shrink the search for such plans:

- the optimum of `spare_bound_model` is at most the TCO of every feasible plan
  with spare domestic cards (and the model is infeasible when there is none);
- `second_round_options`, given the TCO of a feasible plan, keeps every option
  of every cheaper plan, and the cheapest plan fits the grown node bounds.
"""

from __future__ import annotations

import itertools
from collections import Counter

import oracle
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from test_optimizer_bruteforce import MAX_COMBINATIONS, SMALL_MODEL, build, raw_instances

from tco.model.context import MONEY_SCALE
from tco.model.growth import footprints, second_round_options, spare_bound_model
from tco.model.options import Option, build_options
from tco.scenario.optimize import optimize
from tco.schema.inputs import PlanningInputs
from tco.solve.highs import solve

from factory import CHIP, DOMESTIC, INFERENCE, MODEL, make_inputs

GROWTH_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def shared_instances(draw: st.DrawFn) -> PlanningInputs:
    """Brute-force instances under a domestic share of 25-75% with one chip of each origin."""
    sheets, site = draw(raw_instances())
    site["min_domestic_share"] = draw(st.sampled_from([0.25, 0.5, 0.75]))
    origins = {c["origin"] for c in sheets["Chips"]}
    assume(origins == {"import", "domestic"})
    return build((sheets, site))


def spare_or_fixed(h100_card_price: float) -> PlanningInputs:
    """a: 60,000 tokens/s of m7 on H100 (10 cards) or Ascend (34 cards on 5 nodes); b:
    2,000 tokens/s on Ascend only (1 replica, 2 cards on 1 node). Under a 50% share a
    plan with a on H100 needs 10 domestic cards: b grown to a second node."""
    return make_inputs(
        site={"min_domestic_share": 0.5},
        Chips=[dict(CHIP, card_price=h100_card_price), dict(DOMESTIC, migration_cost=0)],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(INFERENCE, workload_id="a", model_id="m7", target_tokens_per_s=60_000),
            dict(
                INFERENCE,
                workload_id="b",
                model_id="m7",
                target_tokens_per_s=2_000,
                allowed_chips="ascend",
            ),
        ],
    )


class Enumerated:
    """Every feasible plan of an instance (domestic pools grown), priced by the oracle."""

    def __init__(self, inputs: PlanningInputs) -> None:
        sizer = oracle.Sizer(inputs)
        pools = oracle.candidate_pools(inputs, sizer=sizer)
        assume(all(pools.values()) and oracle.plan_count(pools) <= MAX_COMBINATIONS)
        self.plans: list[tuple[oracle.PlanCost, tuple[oracle.PoolCost, ...]]] = []
        for combo in itertools.product(*(pools[w] for w in inputs.workloads)):
            cost = oracle.price_plan(inputs, combo)
            if cost.feasible:
                self.plans.append((cost, combo))
        smallest = {}
        for pool_list in pools.values():
            for p in pool_list:
                if p.choice not in smallest:
                    size = sizer.smallest(p.choice)
                    assert size is not None
                    smallest[p.choice] = size.cards
        self.smallest_cards = smallest
        self.inputs = inputs

    def spare(self, combo: tuple[oracle.PoolCost, ...]) -> bool:
        """Whether some domestic pool holds more cards than its smallest size."""
        chips = self.inputs.chips
        return any(
            chips[p.choice.chip].origin == "domestic" and p.cards > self.smallest_cards[p.choice]
            for p in combo
        )


def options_of(inputs: PlanningInputs) -> list[Option]:
    """The instance's options; instances without a domestic one are skipped (see below)."""
    options = build_options(inputs).options
    assume(all(any(o.workload == w for o in options) for w in inputs.workloads))
    assume(any(inputs.chips[o.chip].origin == "domestic" for o in options))
    return options


COUNTS: Counter[str] = Counter()


@GROWTH_SETTINGS
@given(shared_instances())
@example(spare_or_fixed(2_000.0))
@example(spare_or_fixed(20_000.0))
def check_spare_bound(inputs: PlanningInputs) -> None:
    options = options_of(inputs)
    plans = Enumerated(inputs)
    spare = [cost.tco for cost, combo in plans.plans if plans.spare(combo)]
    bound = solve(spare_bound_model(inputs, options, footprints(inputs, options)), 30, 0.0)
    if bound.status == "infeasible":
        assert not spare, min(spare)
        COUNTS["infeasible"] += 1
        return
    assert bound.status == "optimal" and bound.objective is not None
    lowest = bound.objective / MONEY_SCALE
    for tco in spare:
        assert tco >= lowest * (1 - 1e-9), (tco, lowest)
    COUNTS["bounded" if spare else "no spare plan"] += 1


def test_spare_bound_is_below_every_plan_with_spare_domestic_cards() -> None:
    COUNTS.clear()
    check_spare_bound()
    print(f"\nspare-card bound: {dict(COUNTS)}")
    assert COUNTS["bounded"] >= 5


def within(o: Option, pool: oracle.PoolCost) -> bool:
    return pool.nodes <= o.max_nodes and (pool.replicas is None or pool.replicas <= o.max_replicas)


@GROWTH_SETTINGS
@given(shared_instances())
@example(spare_or_fixed(2_000.0))
@example(spare_or_fixed(20_000.0))
def check_second_round(inputs: PlanningInputs) -> None:
    options = options_of(inputs)
    plans = Enumerated(inputs)
    assume(plans.plans)
    fp = footprints(inputs, options)
    fixed = [cost.tco for cost, combo in plans.plans if not plans.spare(combo)]
    best_cost, best_combo = min(plans.plans, key=lambda plan: plan[0].tco)
    ceilings = {
        "no incumbent": None,
        "best fixed-size plan": min(fixed, default=None),
        "optimum + 5%": best_cost.tco * 1.05,
        "optimum + 50%": best_cost.tco * 1.5,
    }
    for name, ceiling in ceilings.items():
        grown = second_round_options(inputs, options, fp, ceiling)
        cheaper = [
            combo
            for cost, combo in plans.plans
            if ceiling is None or cost.tco < ceiling * (1 - 1e-9)
        ]
        check_grown(plans, grown, cheaper, best_combo, name)


def key(p: oracle.PoolCost) -> tuple[str, str, str, str]:
    c = p.choice
    return (c.workload, c.chip, c.fabric, c.cooling)


def check_grown(
    plans: Enumerated,
    grown: list[Option] | None,
    cheaper: list[tuple[oracle.PoolCost, ...]],
    best_combo: tuple[oracle.PoolCost, ...],
    name: str,
) -> None:
    """Every option of a cheaper plan survives; the optimum, if cheaper, fits the bounds."""
    chips = plans.inputs.chips
    if grown is None:
        # No import option can be in a cheaper plan: none of them holds one.
        for combo in cheaper:
            assert all(chips[p.choice.chip].origin == "domestic" for p in combo), (name, combo)
        COUNTS["no second round"] += 1
        return
    by_key = {o.key: o for o in grown}
    for combo in cheaper:
        for p in combo:
            assert key(p) in by_key, (name, key(p))
    if best_combo in cheaper:
        for p in best_combo:
            assert within(by_key[key(p)], p), (name, key(p), p.nodes, p.replicas)
        COUNTS["cheaper optimum kept"] += 1
        if plans.spare(best_combo):
            COUNTS["cheaper optimum with spare cards kept"] += 1
    COUNTS["cheaper plans"] += len(cheaper)


def test_second_round_keeps_every_option_of_a_cheaper_plan() -> None:
    COUNTS.clear()
    check_second_round()
    print(f"\nsecond round: {dict(COUNTS)}")
    assert COUNTS["cheaper optimum kept"] >= 20
    assert COUNTS["cheaper optimum with spare cards kept"] >= 3


def test_bound_model_without_a_domestic_option_is_infeasible() -> None:
    inputs = make_inputs(
        site={"min_domestic_share": 0.5},
        Workloads=[dict(INFERENCE, target_tokens_per_s=2_000, allowed_chips="h100")],
    )
    options = build_options(inputs).options
    assert {inputs.chips[o.chip].origin for o in options} == {"import"}
    outcome = solve(spare_bound_model(inputs, options, footprints(inputs, options)), 30, 0.0)
    assert outcome.status == "infeasible"


def test_a_spare_card_plan_just_below_the_incumbent_is_found() -> None:
    # The all-Ascend plan (C) needs no growth, so it is the first round's incumbent.
    # The H100 card price is set so that the plan growing b costs 0.99 C: the growth
    # bounds must leave room for b's second node although little separates the two.
    fixed = oracle.cheapest_plan(
        spare_or_fixed(1e9), oracle.candidate_pools(spare_or_fixed(1e9), grow=False)
    )
    assert fixed is not None
    incumbent = fixed[0].tco
    free = oracle.cheapest_plan(spare_or_fixed(0), oracle.candidate_pools(spare_or_fixed(0)))
    assert free is not None
    h100_cards = free[0].cards["h100"]
    assert (h100_cards, free[0].cards["ascend"]) == (10, 10)
    per_card = 1 + 0.03 * oracle.annuity(spare_or_fixed(0).site)  # price + maintenance
    price = (0.99 * incumbent - free[0].tco) / (h100_cards * per_card)
    assert price > 0
    inputs = spare_or_fixed(price)
    best = oracle.cheapest_plan(inputs, oracle.candidate_pools(inputs))
    assert best is not None and best[0].tco == pytest.approx(0.99 * incumbent, rel=1e-9)
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    assert result.plan.tco == pytest.approx(best[0].tco, rel=1e-6)
    assert {(p.workload, p.chip, p.cards, p.nodes) for p in result.plan.pools} == {
        ("a", "h100", 10, 2),
        ("b", "ascend", 10, 2),
    }
