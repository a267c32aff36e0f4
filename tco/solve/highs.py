"""Solve the MILP with HiGHS in memory and classify the outcome.

Uses Pyomo's current solver interface (`pyomo.contrib.solver`, name
`highs`), which is persistent: `PersistentModel` translates a model to HiGHS
once and re-solves it after bound changes without translating again (the
scenario layer's re-solves). The thread count is fixed once per process:
HiGHS keeps a global task scheduler, and asking for a different count later
in the same process is refused by it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from tco.solve.interrupt import INTERRUPT

#: HiGHS threads for the whole process (the machines have 2 cores).
THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said, in the terms the CLI's exit codes need.

    status: optimal (proven within the gap), feasible (stopped on a limit
    with an incumbent), interrupted (the user pressed Ctrl-C; `objective` is
    set when there is an incumbent), infeasible, no_solution (stopped without
    an incumbent) or error (anything else, a bug or a solver failure).
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
        return self.status in ("optimal", "feasible") or (
            self.status == "interrupted" and self.objective is not None
        )


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(model: pyo.ConcreteModel, time_limit_s: float, mip_gap: float) -> SolveOutcome:
    """Translate and solve `model` once (see `PersistentModel` for re-solves)."""
    return PersistentModel(model).solve(time_limit_s, mip_gap)


class _BatchedHighs(Highs):
    """Pyomo's persistent HiGHS interface, adding every variable in one call.

    The base class adds the variables it meets constraint by constraint, one
    HiGHS call each (about a tenth of the translation of a large model).
    """

    def add_block(self, block: pyo.Block) -> None:
        self.add_variables(list(block.component_data_objects(pyo.Var, descend_into=True)))
        super().add_block(block)


class PersistentModel:
    """One Pyomo model held in one HiGHS instance across solves.

    Re-solves change variable bounds only (`set_upper_bounds`), which the
    persistent interface passes to HiGHS as column-bound updates; nothing is
    re-translated, so automatic change detection is switched off.
    """

    def __init__(self, model: pyo.ConcreteModel, options: dict[str, object] | None = None) -> None:
        self.model = model
        #: HiGHS options of this model on top of the defaults of `solve`.
        self.options = dict(options or {})
        self.translate_seconds = 0.0
        self._solver: Any = _BatchedHighs()
        updates = self._solver.config.auto_updates
        for name in (
            "check_for_new_or_removed_constraints",
            "check_for_new_or_removed_vars",
            "check_for_new_or_removed_params",
            "check_for_new_objective",
            "update_constraints",
            "update_vars",
            "update_parameters",
            "update_named_expressions",
            "update_objective",
        ):
            setattr(updates, name, False)
        self._translated = False

    @property
    def translated(self) -> bool:
        return self._translated

    def translate(self) -> float:
        """Pass the model to HiGHS (once); returns the seconds it took."""
        if not self._translated:
            started = time.perf_counter()
            self._solver.set_instance(self.model)
            self.translate_seconds = time.perf_counter() - started
            self._translated = True
        return self.translate_seconds

    def set_upper_bounds(self, bounds: Iterable[tuple[Any, float | None]]) -> None:
        """Change variables' upper bounds in the model and, once translated, in HiGHS."""
        changed = []
        for var, upper in bounds:
            if var.ub != upper:
                var.setub(upper)
                changed.append(var)
        if changed and self._translated:
            self._solver.update_variables(changed)

    def solve(
        self,
        time_limit_s: float,
        mip_gap: float,
        on_incumbent: Callable[[float, float | None], None] | None = None,
    ) -> SolveOutcome:
        """Solve in place; loads the incumbent into the model's variables when there is one.

        `on_incumbent(objective, gap)` hears of every improving solution HiGHS finds
        (objective in model units, gap relative, None when HiGHS has no bound yet).
        """
        started = time.perf_counter()
        if INTERRUPT.requested:
            return _interrupted(None, 0.0)
        self.translate()
        left = max(0.01, float(time_limit_s) - (time.perf_counter() - started))
        options: dict[str, object] = {
            "output_flag": False,
            # Presolve removes about half of the rows: the floors and big-M ties of
            # options it can fix. Set explicitly so a change of HiGHS's default
            # ("choose") cannot silently change solve times.
            "presolve": "on",
            # HiGHS's default heuristic effort. With the share's valid inequalities
            # the root bound is within 0.5% of the optimum and the sub-MIP heuristic
            # finds the plan; more effort measured slower (80 chips x 16 workloads,
            # 30% share: 55 s at 0.05, 65 s at 0.2).
            "mip_heuristic_effort": 0.05,
            # The relative gap decides; an absolute gap of 1e-9 (money in millions)
            # keeps HiGHS's default absolute gap from ending tiny instances early.
            "mip_abs_gap": 1e-9,
            **self.options,
        }
        highs = self._solver._solver_model
        with INTERRUPT.running(highs), _reporting(highs, on_incumbent):
            results = self._solver.solve(
                self.model,
                time_limit=left,
                rel_gap=float(mip_gap),
                threads=THREADS,
                load_solutions=False,
                raise_exception_on_nonoptimal_result=False,
                solver_options=options,
            )
        outcome = _outcome(results, time.perf_counter() - started)
        if INTERRUPT.requested:
            # Whatever HiGHS reports after a cancel (often "unknown"), this solve did
            # not finish: its incumbent, if any, is not proven optimal.
            return _interrupted(outcome, outcome.seconds)
        return outcome


@contextmanager
def _reporting(
    highs: Any, on_incumbent: Callable[[float, float | None], None] | None
) -> Iterator[None]:
    """Subscribe `on_incumbent` to HiGHS's improving-solution callback for one solve."""
    if on_incumbent is None:
        yield
        return

    def improved(event: Any) -> None:
        data = event.data_out
        gap = float(data.mip_gap) if math.isfinite(data.mip_gap) else None
        on_incumbent(float(data.mip_primal_bound), gap)

    highs.cbMipImprovingSolution += improved
    try:
        yield
    finally:
        highs.cbMipImprovingSolution -= improved


def _interrupted(outcome: SolveOutcome | None, seconds: float) -> SolveOutcome:
    """The outcome of a solve the user interrupted (before it started: `outcome` None)."""
    if outcome is None or outcome.objective is None:
        return SolveOutcome(
            "interrupted", "interrupted", None, None, None, seconds, "interrupted before a plan"
        )
    return replace(
        outcome,
        status="interrupted",
        termination="interrupted",
        message=f"interrupted after {seconds:,.1f} s; the plan is the solver's incumbent",
    )


def _outcome(results: Any, seconds: float) -> SolveOutcome:
    """Map a Pyomo results object to a SolveOutcome, loading the incumbent if any."""
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
    if term in _INFEASIBLE:
        return SolveOutcome("infeasible", name, None, None, None, seconds)
    if term in _STOPPED:
        status = "feasible" if has_incumbent else "no_solution"
        return SolveOutcome(
            status,
            name,
            objective,
            bound,
            gap,
            seconds,
            f"the solver stopped on its {_LIMITS[term]} ({name}) after {seconds:,.1f} s",
        )
    if term == TerminationCondition.interrupted:
        return _interrupted(
            SolveOutcome("interrupted", name, objective, bound, gap, seconds), seconds
        )
    # Everything else is not optimal, incumbent or not: convergence without an
    # incumbent, unbounded (a model bug: every cost is bounded), minStepLength,
    # licensingProblems, emptyModel, error and unknown.
    return SolveOutcome("error", name, objective, bound, gap, seconds, f"solver ended with {name}")


_INFEASIBLE = (
    TerminationCondition.provenInfeasible,
    TerminationCondition.locallyInfeasible,
    TerminationCondition.infeasibleOrUnbounded,
)
#: Limits the run set: the incumbent, if any, is a plan with its gap.
#: What each stopping condition in `_STOPPED` is, in words.
_LIMITS = {
    TerminationCondition.maxTimeLimit: "time limit",
    TerminationCondition.iterationLimit: "iteration limit",
    TerminationCondition.objectiveLimit: "objective limit",
}

_STOPPED = tuple(_LIMITS)
