"""Solve the MILP with HiGHS in memory and classify the outcome.

Uses Pyomo's current solver interface (`pyomo.contrib.solver`, name
`highs`). The thread count is fixed once per process: HiGHS keeps a global
task scheduler, and asking for a different count later in the same process
is refused by it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

#: HiGHS threads for the whole process (the machines have 2 cores).
THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said, in the terms the CLI's exit codes need.

    status: optimal (proven within the gap), feasible (stopped with an
    incumbent), infeasible, no_solution (stopped without an incumbent) or
    error (anything else, a bug or a solver failure).
    """

    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(
    model: pyo.ConcreteModel, time_limit_s: float, mip_gap: float, cutoff: float | None = None
) -> SolveOutcome:
    """Solve in place; loads the incumbent into the model's variables when there is one.

    `cutoff` (objective units) discards every solution worse than it; with no
    better solution the outcome is "infeasible".
    """
    options: dict[str, object] = {"output_flag": False, "mip_abs_gap": 1e-9}
    if cutoff is not None:
        options["objective_bound"] = float(cutoff)
    solver: Any = SolverFactory("highs")
    started = time.perf_counter()
    results = solver.solve(
        model,
        time_limit=float(time_limit_s),
        rel_gap=float(mip_gap),
        threads=THREADS,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options=options,
    )
    seconds = time.perf_counter() - started
    term = results.termination_condition
    has_incumbent = results.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    objective = results.incumbent_objective if has_incumbent else None
    bound = results.objective_bound
    gap = relative_gap(objective, bound)
    if has_incumbent:
        results.solution_loader.load_vars()
    name = getattr(term, "name", str(term))
    if term == TerminationCondition.convergenceCriteriaSatisfied and has_incumbent:
        return SolveOutcome("optimal", name, objective, bound, gap, seconds)
    if term in (
        TerminationCondition.provenInfeasible,
        TerminationCondition.locallyInfeasible,
        TerminationCondition.infeasibleOrUnbounded,
    ):
        return SolveOutcome("infeasible", name, None, None, None, seconds)
    if term in (
        TerminationCondition.maxTimeLimit,
        TerminationCondition.iterationLimit,
        TerminationCondition.interrupted,
        TerminationCondition.objectiveLimit,
    ):
        status = "feasible" if has_incumbent else "no_solution"
        return SolveOutcome(
            status,
            name,
            objective,
            bound,
            gap,
            seconds,
            f"solver stopped ({name}) after {seconds:.1f} s",
        )
    return SolveOutcome("error", name, objective, bound, gap, seconds, f"solver ended with {name}")
