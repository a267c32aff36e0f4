"""The optimize pipeline for one set of inputs: an engine, one budget, one solve."""

from __future__ import annotations

from collections.abc import Mapping

from tco.scenario.budget import Budget
from tco.scenario.engine import Engine
from tco.scenario.result import OptimizeResult
from tco.scenario.scenario import Scenario
from tco.schema.inputs import PlanningInputs

__all__ = ["OptimizeResult", "make_engine", "optimize", "solve_scenario"]


def make_engine(
    inputs: PlanningInputs,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    prune: bool = True,
    started: float | None = None,
) -> Engine:
    """An engine whose budget started at `started` (a perf_counter reading; default now).

    Defaults from the Site sheet. The CLI passes the moment the command began, so
    reading the workbook counts against `--time-limit` too.
    """
    limit = float(time_limit_s if time_limit_s is not None else inputs.site.time_limit_s)
    gap = float(mip_gap if mip_gap is not None else inputs.site.mip_gap)
    return Engine(inputs, Budget(limit, started), gap, prune=prune)


def optimize(
    inputs: PlanningInputs,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    forced: Mapping[str, str] | None = None,
    explain: bool = True,
    prune: bool = True,
) -> OptimizeResult:
    """Solve for the minimum-TCO plan; `forced` pins a chip, fabric or cooling id.

    The time limit covers the whole call (performance model, translation, every
    solve and the diagnosis). `prune=False` keeps dominated options (tests
    compare both ways).
    """
    engine = make_engine(inputs, time_limit_s, mip_gap, prune)
    return engine.solve(forced, explain=explain)


def solve_scenario(
    scenario: Scenario, time_limit_s: float | None = None, mip_gap: float | None = None
) -> OptimizeResult:
    """The best plan of one scenario: its overrides applied and validated, its ids forced.

    Performance evaluations are shared with every earlier engine of the process
    (`tco.model.performance`), so a scenario that changes prices costs a model
    build and a solve, not a new performance model.
    """
    inputs = scenario.inputs()
    engine = make_engine(inputs, time_limit_s, mip_gap)
    return engine.solve(scenario.forced, explain=not scenario.forced)
