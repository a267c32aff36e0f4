"""Forced chip/fabric/cooling alternatives: costs, deltas and reasons."""

from __future__ import annotations

import pytest

from tco.plan.extract import Plan
from tco.scenario.alternatives import compute_alternatives
from tco.scenario.optimize import make_engine, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, DOMESTIC, FABRIC, INFERENCE, make_inputs


def solved(inputs: PlanningInputs) -> Plan:
    result = optimize(inputs)
    assert result.plan is not None and result.status == "optimal"
    return result.plan


def by_key(alts: list) -> dict:
    return {(a.dimension, a.forced_id): a for a in alts}


def test_forcing_the_chosen_chip_gives_the_optimum() -> None:
    inputs = make_inputs()
    plan = solved(inputs)
    chosen = plan.pools[0].chip
    alts = by_key(compute_alternatives(make_engine(inputs), plan, 10.0))
    assert alts[("chip", chosen)].tco == pytest.approx(plan.tco, rel=1e-9)
    assert alts[("chip", chosen)].delta == pytest.approx(0.0, abs=1e-6)
    assert alts[("chip", chosen)].in_plan
    # the shortcut's premise: re-solving with the chosen chip forced finds the same cost
    forced = optimize(inputs, forced={"chip": chosen}, explain=False)
    assert forced.plan is not None
    assert forced.plan.tco == pytest.approx(plan.tco, rel=inputs.site.mip_gap)


def test_every_alternative_costs_at_least_the_optimum() -> None:
    second = dict(FABRIC, fabric_id="roce", technology="RoCEv2", switch_price=30000)
    inputs = make_inputs(Fabrics=[FABRIC, second])
    plan = solved(inputs)
    alts = compute_alternatives(make_engine(inputs), plan, 10.0)
    assert {(a.dimension, a.forced_id) for a in alts} == {
        ("chip", "h100"),
        ("chip", "ascend"),
        ("fabric", "ib"),
        ("fabric", "roce"),
        ("cooling", "air"),
    }
    for a in alts:
        assert a.status == "optimal", a
        assert a.tco is not None and a.delta is not None and a.delta_pct is not None
        assert a.tco >= plan.tco * (1 - inputs.site.mip_gap)
        assert a.delta == pytest.approx(a.tco - plan.tco)
        assert a.delta_pct == pytest.approx(a.delta / plan.tco)
        assert a.in_plan == (getattr(plan.pools[0], a.dimension) == a.forced_id)


def test_chips_no_workload_may_use_are_skipped() -> None:
    spare = dict(CHIP, chip_id="spare", name="Spare")
    gone = dict(CHIP, chip_id="gone", name="Gone", available=False)
    inputs = make_inputs(
        Chips=[CHIP, DOMESTIC, spare, gone],
        Workloads=[dict(INFERENCE, allowed_chips="h100,ascend")],
    )
    alts = compute_alternatives(make_engine(inputs), solved(inputs), 10.0)
    assert [a.forced_id for a in alts if a.dimension == "chip"] == ["h100", "ascend"]


def test_infeasible_alternative_says_why() -> None:
    inputs = make_inputs(site={"min_domestic_share": 0.5})
    plan = solved(inputs)
    assert plan.pools[0].chip == "ascend"
    h100 = by_key(compute_alternatives(make_engine(inputs), plan, 10.0))[("chip", "h100")]
    assert h100.status == "infeasible"
    assert h100.tco is None and h100.delta is None and h100.delta_pct is None
    assert "domestic share of 50%" in h100.reason


def test_workload_without_options_is_named() -> None:
    # a tight latency limit only the H100 meets
    inputs = make_inputs(Workloads=[dict(INFERENCE, max_tpot_ms=20)])
    plan = solved(inputs)
    alts = by_key(compute_alternatives(make_engine(inputs), plan, 10.0))
    other = alts[("chip", "ascend")] if plan.pools[0].chip == "h100" else alts[("chip", "h100")]
    assert other.status == "infeasible"
    assert "workload chat has no workable option" in other.reason


def test_a_missing_runner_up_says_whether_the_time_limit_or_the_rivals_are_why() -> None:
    """The Summary's runner-up line: rivals left unsolved by the time limit are not
    rivals without a plan."""
    from dataclasses import replace

    from tco.report.explain import no_runner_up
    from tco.scenario.alternatives import Alternative

    inputs = make_inputs()
    plan = solved(inputs)
    chosen = plan.pools[0].chip
    other = ({CHIP["chip_id"], DOMESTIC["chip_id"]} - {chosen}).pop()
    unsolved = Alternative("chip", other, "no_solution", None, None, None, "not solved", False)
    line = no_runner_up(plan, [unsolved], "chip")
    assert line == "chip: no other chip gave a plan before the time limit (see Alternatives)"
    infeasible = replace(unsolved, status="infeasible")
    assert no_runner_up(plan, [infeasible], "chip") == "chip: no other chip gives a plan"
    assert no_runner_up(plan, [], "chip") == "chip: no other chip to compare"
