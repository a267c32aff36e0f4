"""The scenario layer: re-solves on one built model agree with fresh solves, in any order."""

from __future__ import annotations

import pytest

from tco.errors import InputError
from tco.scenario.budget import Budget
from tco.scenario.engine import Engine
from tco.scenario.optimize import solve_scenario
from tco.scenario.scenario import Override, Scenario
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, FABRIC, INFERENCE, TRAINING, make_inputs

LIQUID = dict(
    COOLING, cooling_id="liquid", technology="cold-plate liquid", pue=1.15, max_rack_kw=100
)
ROCE = dict(
    FABRIC,
    fabric_id="roce",
    technology="RoCEv2",
    switch_price=45000,
    nic_price=2500,
    efficiency=0.7,
)
CHEAP_DOMESTIC = dict(DOMESTIC, chip_id="cheap", name="Cheap", card_price=9000, migration_cost=0)


def three_dimension_inputs(share: float = 0.0) -> PlanningInputs:
    return make_inputs(
        site={"min_domestic_share": share, "mip_gap": 1e-9},
        Chips=[CHIP, DOMESTIC, CHEAP_DOMESTIC],
        Fabrics=[FABRIC, ROCE],
        Cooling=[COOLING, LIQUID],
        Workloads=[INFERENCE, dict(INFERENCE, workload_id="small", target_tokens_per_s=900)],
    )


def fresh(inputs: PlanningInputs, forced: dict[str, str] | None = None) -> float | None:
    result = Engine(inputs, Budget(60), 1e-9).solve(forced, explain=False)
    return result.plan.tco if result.plan else None


SCENARIOS: list[dict[str, str]] = [
    {},
    {"chip": "h100"},
    {"chip": "ascend"},
    {"chip": "cheap"},
    {"fabric": "roce"},
    {"fabric": "ib"},
    {"cooling": "liquid"},
    {"cooling": "air"},
    {"chip": "ascend", "fabric": "roce"},
    {"fabric": "roce", "cooling": "liquid"},
]


@pytest.mark.parametrize("share", [0.0, 0.6])
def test_re_solves_in_any_order_match_fresh_solves(share: float) -> None:
    """Bounds set for one scenario never leak into the next one."""
    inputs = three_dimension_inputs(share)
    expected = [fresh(inputs, s) for s in SCENARIOS]
    assert expected[0] is not None
    for order in (SCENARIOS, SCENARIOS[::-1], SCENARIOS[3:] + SCENARIOS[:3]):
        engine = Engine(inputs, Budget(120), 1e-9)
        for scenario in order:
            result = engine.solve(scenario, explain=False)
            got = result.plan.tco if result.plan else None
            want = expected[SCENARIOS.index(scenario)]
            if want is None:
                assert got is None, scenario
            else:
                assert got == pytest.approx(want, rel=1e-9), scenario


def test_forced_ids_are_honoured_by_every_pool() -> None:
    inputs = three_dimension_inputs()
    engine = Engine(inputs, Budget(60), 1e-9)
    for scenario in SCENARIOS[1:]:
        plan = engine.solve(scenario, explain=False).plan
        assert plan is not None, scenario
        for pool in plan.pools:
            for dimension, wanted in scenario.items():
                assert getattr(pool, dimension) == wanted, (scenario, pool)


def test_forced_chip_re_solves_build_no_new_model() -> None:
    inputs = three_dimension_inputs()
    engine = Engine(inputs, Budget(60), 1e-9)
    engine.solve(explain=False)
    builds = engine.models_built
    for chip in inputs.chips:
        engine.solve({"chip": chip}, explain=False)
    assert engine.models_built == builds == 1
    engine.solve({"fabric": "roce"}, explain=False)
    engine.solve({"fabric": "ib"}, explain=False)
    assert engine.models_built == 2  # one fabric view serves every forced fabric


def test_a_forced_fabric_is_not_lost_to_pruning_on_another_fabric() -> None:
    """RoCE loses to IB on every count; forced onto RoCE the plan must still exist."""
    inputs = three_dimension_inputs()
    engine = Engine(inputs, Budget(60), 1e-9)
    best = engine.solve(explain=False).plan
    assert best is not None and all(p.fabric == "ib" for p in best.pools)
    roce = engine.solve({"fabric": "roce"}, explain=False).plan
    assert roce is not None and roce.tco >= best.tco


def test_price_override_changes_the_decision_and_cost() -> None:
    inputs = three_dimension_inputs()
    base = Scenario(inputs)
    plan = Engine(base.inputs(), Budget(60), 1e-9).solve(explain=False).plan
    assert plan is not None
    chosen = plan.pools[0].chip
    dearer = base.with_override(Override("Chips", chosen, "card_price", 1e6))
    assert dearer.inputs().chips[chosen].card_price == 1e6
    assert inputs.chips[chosen].card_price != 1e6  # the base inputs are untouched
    after = Engine(dearer.inputs(), Budget(60), 1e-9).solve(explain=False).plan
    assert after is not None and after.tco > plan.tco


def test_overrides_are_validated_like_input() -> None:
    inputs = three_dimension_inputs()
    bad = Scenario(inputs).with_override(Override("Chips", "h100", "card_price", -5))
    unknown_row = Scenario(inputs).with_override(Override("Chips", "nope", "card_price", 5))
    unknown_field = Scenario(inputs).with_override(Override("Site", "no_such_key", "value", 5))
    for scenario, words in (
        (bad, "Chips[h100].card_price"),
        (unknown_row, "no such row"),
        (unknown_field, "no such field"),
    ):
        with pytest.raises(InputError) as caught:
            scenario.inputs()
        assert words in str(caught.value), str(caught.value)


def test_site_override_applies() -> None:
    inputs = three_dimension_inputs()
    scenario = Scenario(inputs).with_override(
        Override("Site", "electricity_price_per_kwh", "value", 0.3)
    )
    assert scenario.inputs().site.electricity_price_per_kwh == 0.3
    cheap = fresh(inputs)
    dear = fresh(scenario.inputs())
    assert cheap is not None and dear is not None and dear > cheap


def test_a_spent_budget_never_labels_an_unchecked_share_plan_optimal() -> None:
    """With a domestic share the spare-card round is what proves a plan optimal."""
    inputs = make_inputs(
        site={"min_domestic_share": 0.3},
        Chips=[CHEAP_DOMESTIC, CHIP],
        Workloads=[INFERENCE, TRAINING],
    )
    result = Engine(inputs, Budget(0.0), 1e-6).solve(explain=False)
    assert result.status != "optimal"
    if result.plan is not None:
        assert result.plan.status == "feasible"
        assert any("NOT PROVEN OPTIMAL" in w for w in result.plan.warnings)


def test_scenario_dimensions_are_checked() -> None:
    with pytest.raises(ValueError, match="cannot force"):
        Scenario(three_dimension_inputs()).with_forced("vendor", "x")
    pinned = Scenario(three_dimension_inputs()).with_forced("chip", "h100")
    assert pinned.with_forced("fabric", "ib").forced == {"chip": "h100", "fabric": "ib"}


def test_a_target_override_and_a_forced_chip_in_one_scenario() -> None:
    inputs = three_dimension_inputs()
    base = solve_scenario(Scenario(inputs), 60, 1e-9).plan
    more = Scenario(inputs).with_override(
        Override("Workloads", "chat", "target_tokens_per_s", 30_000)
    )
    bigger = solve_scenario(more, 60, 1e-9).plan
    assert base is not None and bigger is not None
    assert bigger.tco > base.tco  # a higher target never costs less
    chat = next(p for p in bigger.pools if p.workload == "chat")
    assert chat.throughput_tokens_per_s >= 30_000
    pinned = solve_scenario(more.with_forced("chip", "ascend"), 60, 1e-9).plan
    assert pinned is not None and {p.chip for p in pinned.pools} == {"ascend"}
    assert pinned.tco >= bigger.tco
