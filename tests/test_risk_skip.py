"""tco risk: the (chip, fabric) pairs a sample skips change neither the model nor its optimum.

On the example (a 50% domestic share, so `tco.model.share.grow` is in play) a few
samples are re-optimised with and without the skip: the skipped pairs' options are
the ones the engine's own bound drops, the views hold the same options at the same
sizes, and the optima are equal.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tco.io.reader import read_workbook
from tco.model.dominance import footprint
from tco.model.share import grow, growth_unchanged, least_margins
from tco.risk.evaluate import (
    Evaluator,
    Purchase,
    fixed_outcome,
    least_nodes,
    lower_bounds,
    skipped_fabrics,
    surviving_chips,
)
from tco.risk.sampling import draw, overrides_of, uncertain_rows
from tco.scenario.budget import Budget
from tco.scenario.engine import Engine
from tco.scenario.optimize import make_engine
from tco.schema.inputs import validate_workbook

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


@pytest.fixture(scope="module")
def example():
    inputs = validate_workbook(read_workbook(EXAMPLE))
    plan = make_engine(inputs).solve(explain=False).plan
    assert plan is not None
    rows = uncertain_rows(inputs)
    nominal = Purchase.of(plan)
    values = draw(rows, 40, seed=1)
    # The skip needs the nominal plan's TCO as the bound, so only samples in which the
    # nominal plan still meets every target are used (most lower the serving pool's
    # throughput below its target): the first three of 40.
    evaluator = Evaluator(inputs, nominal, 1e-4, 60)
    feasible = [
        v
        for v in values
        if fixed_outcome(evaluator.inputs_of(overrides_of(rows, v)), nominal).feasible
    ]
    assert len(feasible) >= 3
    return inputs, nominal, rows, feasible[:3]


def _view(engine: Engine) -> dict[tuple[str, ...], tuple[int, int]]:
    view = engine._view(())
    return {k: (o.max_nodes, o.max_replicas) for k, o in view.options.items()}


@pytest.mark.parametrize("index", [0, 1, 2])
def test_skipped_pairs_leave_the_view_and_the_optimum_alone(example, index: int) -> None:
    base, nominal, rows, values = example
    inputs = Evaluator(base, nominal, 1e-4, 60).inputs_of(overrides_of(rows, values[index]))
    fixed = fixed_outcome(inputs, nominal)
    assert fixed.feasible  # so its TCO bounds the optimum, as in `Evaluator.sample`
    upper = fixed.tco
    bounds = lower_bounds(inputs)
    kept = surviving_chips(inputs, bounds, upper)
    skip = skipped_fabrics(inputs, bounds, kept, upper)
    assert skip, "the example's bound skips some fabrics on these samples"
    full = Engine(inputs, Budget(60), 1e-4, only=kept, upper=upper)
    fast = Engine(inputs, Budget(60), 1e-4, only=kept, upper=upper, skip=skip)
    # Every skipped pair's options: dropped by the engine's own bound, and costing at
    # least what the skip assumed.
    survivors = {o.key for o in full._bounded(full.options.options, ())}
    for o in full.options.options:
        pairs = skip.get(o.workload, {})
        if (o.chip, o.fabric) in pairs:
            assert o.key not in survivors, o.key
            assert least_nodes(inputs, o.workload, o.chip) <= o.target_nodes
            assert math.isfinite(footprint(inputs, o).capex)
    assert not any((o.chip, o.fabric) in skip.get(o.workload, {}) for o in fast.options.options)
    assert len(fast.options.options) < len(full.options.options)
    assert _view(fast) == _view(full)
    a, b = full.solve(explain=False), fast.solve(explain=False)
    assert a.plan is not None and b.plan is not None
    assert a.plan.tco == b.plan.tco
    assert Purchase.of(a.plan) == Purchase.of(b.plan)


def test_growth_check_is_sound_and_refuses_a_margin_that_may_fall(example) -> None:
    """Leave out each training chip's options in turn, with their true least margin as
    the floor: whenever the check passes, grow sizes the rest exactly as with them."""
    base, *_ = example
    options = make_engine(base).options.options  # grown already; grown again alike
    sized = {o.key: (o.max_nodes, o.max_replicas) for o in grow(base, options)}
    passed = 0
    for chip in sorted({o.chip for o in options if o.workload == "pretrain-70b"}):
        dropped = [o for o in options if o.workload == "pretrain-70b" and o.chip == chip]
        left = [o for o in options if o not in dropped]
        floor = least_margins(base, dropped)["pretrain-70b"]
        if growth_unchanged(base, left, {"pretrain-70b": floor}):
            passed += 1
            regrown = {o.key: (o.max_nodes, o.max_replicas) for o in grow(base, left)}
            assert regrown == {o.key: sized[o.key] for o in left}, chip
    assert passed
    left = [o for o in options if o.workload != "pretrain-70b" or o.chip != "h800"]
    # A margin that may fall far enough to let the other workload's pools grow: refused.
    assert not growth_unchanged(base, left, {"pretrain-70b": -1e15})
    assert not growth_unchanged(base, left, {"pretrain-70b": None})
