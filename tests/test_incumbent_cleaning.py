"""A time-limited incumbent is cleaned and written, never discarded (issue 13, item 2).

The solver may stop on an incumbent that buys more than its pools need (a spare
switch, links, a rack). `extract_plan` must then write the cleaned plan, priced
from the input rows, with its gap against the solver's bound; a proven optimum
that disagrees with its re-costing is still a bug.
"""

from __future__ import annotations

import dataclasses

import pytest

from tco.model.build import Decisions, decisions
from tco.model.context import MONEY_SCALE
from tco.plan.extract import PlanCheckError, extract_plan
from tco.scenario.optimize import make_engine

from factory import CHIP, FABRIC, INFERENCE, make_inputs


def solved() -> tuple[object, Decisions, object]:
    inputs = make_inputs(Chips=[CHIP], Workloads=[dict(INFERENCE, target_tokens_per_s=1_000.0)])
    engine = make_engine(inputs, time_limit_s=30, mip_gap=0.0)
    result = engine.solve(explain=False)
    assert result.status == "optimal" and result.plan is not None
    view = engine._view(())
    return inputs, decisions(view.model.model, view.ctx), result


def padded(decided: Decisions) -> Decisions:
    """The same pools with one more leaf switch and one more rack each."""
    fabrics = {
        k: dataclasses.replace(f, leaf_switches=f.leaf_switches + 1, links=f.links + 3)
        for k, f in decided.fabrics.items()
    }
    racks = {k: r + 1 for k, r in decided.racks.items()}
    return Decisions(decided.pools, fabrics, racks, decided.stacks)


def test_a_padded_incumbent_is_written_cleaned_with_its_gap() -> None:
    inputs, decided, result = solved()
    tco = result.plan.tco
    spare = FABRIC["switch_price"] + 3 * (2 * FABRIC["optic_price"] + FABRIC["cable_price"])
    # What the solver would report for the padded incumbent (at least the spare
    # switch, links and rack more), stopped with a bound 2% below the optimum.
    objective = (tco + spare) * MONEY_SCALE
    bound = 0.98 * tco * MONEY_SCALE
    stopped = dataclasses.replace(
        result.outcome, status="feasible", objective=objective, bound=bound, gap=0.5
    )
    plan = extract_plan(inputs, padded(decided), stopped)
    assert plan.status == "feasible"
    assert plan.tco == pytest.approx(tco, rel=1e-9)
    assert plan.mip_gap == pytest.approx(0.02, rel=1e-6)
    (pool,) = plan.pools
    assert pool.switches_bought == (
        pool.network.leaf_switches,
        pool.network.spine_switches,
        pool.network.core_switches,
    )


def test_an_incumbent_dearer_than_its_objective_is_still_a_bug() -> None:
    inputs, decided, result = solved()
    stopped = dataclasses.replace(
        result.outcome, status="feasible", objective=0.5 * result.outcome.objective
    )
    with pytest.raises(PlanCheckError, match="re-costed TCO"):
        extract_plan(inputs, decided, stopped)


def test_a_proven_optimum_is_not_cleaned() -> None:
    # An "optimal" outcome whose counts are padded disagrees with its objective: a bug.
    inputs, decided, result = solved()
    with pytest.raises(PlanCheckError, match="re-costed TCO"):
        extract_plan(inputs, padded(decided), result.outcome)
