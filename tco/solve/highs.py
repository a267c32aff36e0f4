"""Solve the MILP with HiGHS in memory and classify the outcome.

The model is built in Pyomo and compiled to a sparse matrix by Pyomo's
standard-form compiler; `PersistentModel` passes it to one in-memory HiGHS
instance (highspy) once and re-solves it after bound changes without
translating again (the scenario layer's re-solves). Outcomes are read in the
terms of Pyomo's solver results (`TerminationCondition`), mapped from HiGHS's
model status as Pyomo's own HiGHS interface maps them. The thread count is fixed once per process:
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
from types import SimpleNamespace
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

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
    """|objective - bound| / |objective|; None (unknown) without both, or when HiGHS
    stopped before any bound (-inf: a JSON summary cannot hold an infinite gap)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(model: pyo.ConcreteModel, time_limit_s: float, mip_gap: float) -> SolveOutcome:
    """Translate and solve `model` once (see `PersistentModel` for re-solves)."""
    return PersistentModel(model).solve(time_limit_s, mip_gap)


def _new_highs() -> Any:
    """A silent highspy instance. The first one of a process prints HiGHS's banner on
    the C stdout, which `--json -` owns: that construction runs with it captured."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        highs = highspy.Highs()
    else:
        with capture_output(capture_fd=True):
            highs = highspy.Highs()
        _BANNER_SHOWN = True
    highs.setOptionValue("output_flag", False)
    # highspy then runs the solve in a thread and waits for it, so Python's signal
    # handlers (`tco.solve.interrupt`) run during a solve, as with Pyomo's interface.
    highs.HandleKeyboardInterrupt = True
    return highs


_BANNER_SHOWN = False

#: HiGHS model status -> the termination condition of Pyomo's results, as Pyomo's
#: HiGHS interface maps it, and kInterrupt (which Pyomo leaves unmapped) as interrupted
#: (`_outcome` reads the Pyomo names).
_TERMINATION = {
    highspy.HighsModelStatus.kNotset: TerminationCondition.unknown,
    highspy.HighsModelStatus.kLoadError: TerminationCondition.error,
    highspy.HighsModelStatus.kModelError: TerminationCondition.error,
    highspy.HighsModelStatus.kPresolveError: TerminationCondition.error,
    highspy.HighsModelStatus.kSolveError: TerminationCondition.error,
    highspy.HighsModelStatus.kPostsolveError: TerminationCondition.error,
    highspy.HighsModelStatus.kModelEmpty: TerminationCondition.unknown,
    highspy.HighsModelStatus.kOptimal: TerminationCondition.convergenceCriteriaSatisfied,
    highspy.HighsModelStatus.kInfeasible: TerminationCondition.provenInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: TerminationCondition.infeasibleOrUnbounded,
    highspy.HighsModelStatus.kUnbounded: TerminationCondition.unbounded,
    highspy.HighsModelStatus.kObjectiveBound: TerminationCondition.objectiveLimit,
    highspy.HighsModelStatus.kObjectiveTarget: TerminationCondition.objectiveLimit,
    highspy.HighsModelStatus.kTimeLimit: TerminationCondition.maxTimeLimit,
    highspy.HighsModelStatus.kIterationLimit: TerminationCondition.iterationLimit,
    highspy.HighsModelStatus.kSolutionLimit: TerminationCondition.iterationLimit,
    highspy.HighsModelStatus.kInterrupt: TerminationCondition.interrupted,
    highspy.HighsModelStatus.kUnknown: TerminationCondition.unknown,
}


class PersistentModel:
    """One Pyomo model held in one HiGHS instance across solves.

    Translation is Pyomo's linear standard-form compiler
    (`pyomo.repn.plugins.standard_form`, the matrix walker of its LP and NL
    writers): A, the row bounds, the column bounds and integrality go to HiGHS in
    one `passModel` call. Pyomo's persistent interface (`pyomo.contrib.solver`)
    adds the model constraint by constraint and took three times as long (the
    example's 438 options: 279 ms against 87 ms), a third of each risk sample's
    time. Re-solves change variable upper bounds only (`set_upper_bounds`), passed
    to HiGHS as column-bound changes; nothing is translated again. A variable in
    no row and not in the objective is not a HiGHS column; after a solve it is given
    the value in its bounds closest to 0 (it changes neither a row nor the cost).
    """

    def __init__(self, model: pyo.ConcreteModel, options: dict[str, object] | None = None) -> None:
        self.model = model
        #: HiGHS options of this model on top of the defaults of `solve`.
        self.options = dict(options or {})
        self.translate_seconds = 0.0
        self._highs: Any = None
        self._columns: list[Any] = []
        self._column_of: dict[int, int] = {}
        self._absent: list[Any] = []
        self._col_lower = np.empty(0)
        self._col_upper = np.empty(0)
        #: Set when a constraint without variables cannot hold (the compiler's check).
        self._trivially_infeasible = ""
        self._translated = False

    @property
    def translated(self) -> bool:
        return self._translated

    def translate(self) -> float:
        """Pass the model to HiGHS (once); returns the seconds it took."""
        if self._translated:
            return self.translate_seconds
        started = time.perf_counter()
        self._highs = _new_highs()
        try:
            form = LinearStandardFormCompiler().write(self.model, mixed_form=True)
        except InfeasibleConstraintException as error:
            self._trivially_infeasible = str(error)
        else:
            self._pass(form)
        self.translate_seconds = time.perf_counter() - started
        self._translated = True
        return self.translate_seconds

    def _pass(self, form: Any) -> None:
        """Load the compiled standard form into HiGHS."""
        objectives = form.objectives
        if len(objectives) != 1 or objectives[0].sense != pyo.minimize:
            raise ValueError("the model must have one objective, minimised")
        columns = form.columns
        self._columns = columns
        self._column_of = {id(v): j for j, v in enumerate(columns)}
        used = set(self._column_of)
        self._absent = [
            v
            for v in self.model.component_data_objects(pyo.Var, descend_into=True)
            if id(v) not in used and not v.fixed
        ]
        rhs = np.asarray(form.rhs, dtype=np.float64)
        sense = np.fromiter((multiplier for _, multiplier in form.rows), np.int8, len(rhs))
        row_lower = np.where(sense == 1, -highspy.kHighsInf, rhs)
        row_upper = np.where(sense == -1, highspy.kHighsInf, rhs)
        col_lower = np.empty(len(columns))
        col_upper = np.empty(len(columns))
        integrality = np.empty(len(columns), dtype=np.int32)
        for j, v in enumerate(columns):
            lower, upper = v.bounds
            col_lower[j] = -highspy.kHighsInf if lower is None else lower
            col_upper[j] = highspy.kHighsInf if upper is None else upper
            integrality[j] = 1 if v.is_integer() else 0
        self._col_lower, self._col_upper = col_lower, col_upper
        cost = form.c.toarray()[0]  # one objective: row 0
        a = form.A.tocsc()
        status = self._highs.passModel(
            len(columns),
            len(rhs),
            int(a.nnz),
            1,  # column-wise
            1,  # minimise
            float(form.c_offset[0]),
            cost,
            col_lower,
            col_upper,
            row_lower,
            row_upper,
            a.indptr.astype(np.int32),
            a.indices.astype(np.int32),
            a.data.astype(np.float64),
            integrality,
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused the compiled model (a bug)")

    def set_upper_bounds(self, bounds: Iterable[tuple[Any, float | None]]) -> None:
        """Change variables' upper bounds in the model and, once translated, in HiGHS."""
        changed = []
        for var, upper in bounds:
            if var.ub != upper:
                var.setub(upper)
                changed.append(var)
        if not (changed and self._translated and self._columns):
            return
        indices, lower, upper_ = [], [], []
        for var in changed:
            j = self._column_of.get(id(var))
            if j is None:
                continue  # in no row: its value is set from its bounds after a solve
            lo, up = var.bounds
            indices.append(j)
            lower.append(-highspy.kHighsInf if lo is None else lo)
            upper_.append(highspy.kHighsInf if up is None else up)
        if indices:
            self._highs.changeColsBounds(
                len(indices),
                np.array(indices, dtype=np.int32),
                np.array(lower, dtype=np.float64),
                np.array(upper_, dtype=np.float64),
            )

    def set_start(self, values: ComponentMap) -> None:
        """Give HiGHS a first incumbent: `values` maps the model's variables to values;
        a variable not in it starts at 0, and every value is clipped to its bounds. HiGHS
        checks the start before it uses it and ignores one that breaks a row, so a start
        can only help."""
        self.translate()
        if self._trivially_infeasible or not self._columns:
            return
        start = np.zeros(len(self._columns))
        for var, x in values.items():
            j = self._column_of.get(id(var))
            if j is not None:
                start[j] = x
        solution = highspy.HighsSolution()
        solution.col_value = np.clip(start, self._col_lower, self._col_upper).tolist()
        solution.value_valid = True
        self._highs.setSolution(solution)

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
        if self._trivially_infeasible:
            return SolveOutcome(
                "infeasible",
                TerminationCondition.provenInfeasible.name,
                None,
                None,
                None,
                time.perf_counter() - started,
                self._trivially_infeasible,
            )
        left = max(0.01, float(time_limit_s) - (time.perf_counter() - started))
        options: dict[str, object] = {
            "threads": THREADS,
            "time_limit": left,
            "mip_rel_gap": float(mip_gap),
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
        highs = self._highs
        for key, value in options.items():
            highs.setOptionValue(key, value)
        with INTERRUPT.running(highs), _reporting(highs, on_incumbent):
            highs.run()
        outcome = _outcome(self._results(), time.perf_counter() - started)
        if INTERRUPT.requested:
            # Whatever HiGHS reports after a cancel (often "unknown"), this solve did
            # not finish: its incumbent, if any, is not proven optimal.
            return _interrupted(outcome, outcome.seconds)
        return outcome

    def _results(self) -> SimpleNamespace:
        """HiGHS's answer in the fields of Pyomo's results object that `_outcome` reads
        (as Pyomo's HiGHS interface fills them)."""
        highs = self._highs
        status = highs.getModelStatus()
        info = highs.getInfo()
        feasible = info.primal_solution_status == 2
        term = _TERMINATION.get(status, TerminationCondition.unknown)
        if status == highspy.HighsModelStatus.kOptimal:
            solution = SolutionStatus.optimal
        elif feasible:
            solution = SolutionStatus.feasible
        else:
            solution = SolutionStatus.noSolution
        objective = info.objective_function_value if feasible else None
        if info.mip_node_count == -1:  # an LP: no MIP bound
            converged = term == TerminationCondition.convergenceCriteriaSatisfied
            bound = objective if feasible and converged else None
        else:
            bound = info.mip_dual_bound
        return SimpleNamespace(
            termination_condition=term,
            solution_status=solution,
            incumbent_objective=objective,
            objective_bound=bound,
            solution_loader=SimpleNamespace(load_vars=self._load),
        )

    def _load(self) -> None:
        """Put HiGHS's primal values into the model's variables."""
        values = self._highs.getSolution().col_value
        for v, x in zip(self._columns, values, strict=True):
            v.set_value(x, skip_validation=True)
        for v in self._absent:
            lower, upper = v.bounds
            nearest_zero = 0.0 if lower is None else max(0.0, lower)
            v.set_value(
                nearest_zero if upper is None else min(nearest_zero, upper), skip_validation=True
            )


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
