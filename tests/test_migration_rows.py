"""A stack's migration is priced only by chips a plan could buy (issue 12, item 2).

An unavailable Ascend 910B3 row with a large porting estimate used to make every
plan on the CANN stack pay it, though no plan can contain that chip.
"""

from __future__ import annotations

from typing import Any

import pytest

from tco.scenario.optimize import optimize

from factory import DOMESTIC, INFERENCE, make_inputs

CHEAP_PORT, DEAR_PORT = 100_000.0, 5_000_000.0


def plan_migration(extra: dict[str, Any], workload: dict[str, Any] | None = None) -> float:
    ascend = dict(DOMESTIC, migration_cost=CHEAP_PORT)
    b3 = dict(DOMESTIC, chip_id="ascend-b3", name="Ascend 910B3", migration_cost=DEAR_PORT, **extra)
    inputs = make_inputs(
        Chips=[ascend, b3],
        Workloads=[dict(INFERENCE, target_tokens_per_s=500.0, **(workload or {}))],
    )
    result = optimize(inputs, explain=False)
    assert result.plan is not None
    assert {p.chip for p in result.plan.pools} == {"ascend"}
    return result.plan.migration


def test_an_unavailable_row_does_not_price_the_stack() -> None:
    # Dearer card: never chosen even when available, so only its migration row matters.
    assert plan_migration({"available": False, "card_price": 90_000}) == pytest.approx(CHEAP_PORT)


def test_a_row_no_workload_allows_does_not_price_the_stack() -> None:
    migration = plan_migration({"card_price": 90_000}, {"allowed_chips": "ascend"})
    assert migration == pytest.approx(CHEAP_PORT)


def test_an_available_allowed_row_still_counts() -> None:
    # The porting effort of a stack is the largest among the chips a plan may buy.
    assert plan_migration({"card_price": 90_000}) == pytest.approx(DEAR_PORT)
