"""The optimize pipeline: options -> model -> solve -> plan, with timings."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from tco.model.build import build_model, decisions
from tco.model.context import MONEY_SCALE
from tco.model.dominance import prune_dominated
from tco.model.growth import Footprints, footprints, second_round_options, spare_bound_model
from tco.model.options import Option, build_options
from tco.plan.extract import Plan, extract_plan
from tco.schema.inputs import PlanningInputs
from tco.solve.diagnose import diagnose
from tco.solve.highs import SolveOutcome, relative_gap, solve


@dataclass
class OptimizeResult:
    """status: optimal | feasible | infeasible | no_solution | error."""

    status: str
    plan: Plan | None
    outcome: SolveOutcome | None
    diagnosis: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    options: int = 0
    #: Options left for the MILP after dominated ones were dropped.
    candidates: int = 0


def _spare_plan_bound(
    inputs: PlanningInputs, options: list[Option], fp: Footprints, limit: float
) -> float | None:
    """A lower bound (objective units) on every plan that buys spare domestic cards.

    From the small bound model of `tco.model.growth`; None when no plan needs
    spare cards at all.
    """
    bound = solve(spare_bound_model(inputs, options, fp), limit, 1e-6)
    if bound.status == "infeasible":
        return None
    return bound.bound if bound.bound is not None and math.isfinite(bound.bound) else -math.inf


def _unproven(first: SolveOutcome, second: SolveOutcome, spare_bound: float) -> SolveOutcome:
    """The incumbent stands, but the second round stopped before proving it optimal.

    Every plan is either fixed-size (bounded by the first round) or buys spare
    cards (bounded by the better of the bound model and the second round).
    """
    grown = max(spare_bound, second.bound if second.bound is not None else -math.inf)
    lowest = min(first.bound if first.bound is not None else -math.inf, grown)
    bound = lowest if math.isfinite(lowest) else None
    status = "feasible" if first.has_solution else "no_solution"
    return dataclasses.replace(
        first,
        status=status,
        bound=bound,
        gap=relative_gap(first.objective, bound),
        termination=second.termination,
        message="the search for plans with spare domestic cards stopped: " + second.message,
    )


def optimize(
    inputs: PlanningInputs,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    forced: Mapping[str, str] | None = None,
    explain: bool = True,
    prune: bool = True,
) -> OptimizeResult:
    """Solve for the minimum-TCO plan; `forced` pins a chip, fabric or cooling id.

    The time limit covers every solve of the run together (model, spare-card
    bound and round, diagnosis), each getting what is left.

    `prune=False` keeps dominated options (tests compare both ways).
    """
    limit = float(time_limit_s if time_limit_s is not None else inputs.site.time_limit_s)
    deadline = time.perf_counter() + limit

    def left() -> float:
        """Solver seconds left of the run's time limit (every solve shares it)."""
        return max(0.1, deadline - time.perf_counter())

    gap = float(mip_gap if mip_gap is not None else inputs.site.mip_gap)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    options = build_options(inputs, forced=forced)
    timings["perf"] = time.perf_counter() - started
    share = inputs.site.min_domestic_share
    # Footprints serve both the dominance presolve and the spare-card bounds.
    fp = footprints(inputs, options.options) if 0 < share < 1 else None
    prints = fp.sizes if fp is not None else None
    candidates = prune_dominated(inputs, options.options, prints) if prune else options.options
    empty = [w for w in inputs.workloads if not options.for_workload(w)]
    if empty:
        lines = [
            f"workload {w} has no workable option"
            + (": " + "; ".join(options.excluded.get(w, [])) if options.excluded.get(w) else "")
            for w in empty
        ]
        if explain and forced is None:
            lines = diagnose(inputs, left())
        return OptimizeResult("infeasible", None, None, lines, timings, options.excluded)
    started = time.perf_counter()
    m, ctx = build_model(inputs, candidates)
    timings["build"] = time.perf_counter() - started
    outcome = solve(m, left(), gap)
    timings["solve"] = outcome.seconds
    scaled = outcome.objective if outcome.has_solution else None
    incumbent = scaled / MONEY_SCALE if scaled is not None else None
    started = time.perf_counter()
    spare_bound = _spare_plan_bound(inputs, options.options, fp, left()) if fp else None
    if fp is not None:
        timings["spare_bound"] = time.perf_counter() - started
    if (
        fp is not None
        and spare_bound is not None
        and (scaled is None or spare_bound < scaled * (1 - 1e-9))
    ):
        # Second round: may spare domestic cards beat the incumbent? Solutions worse
        # than it are cut off, so "infeasible" here means the incumbent stands.
        started = time.perf_counter()
        grown = second_round_options(inputs, options.options, fp, incumbent)
        if grown is not None:
            grown_candidates = prune_dominated(inputs, grown, prints) if prune else grown
            m2, ctx2 = build_model(inputs, grown_candidates)
            cutoff = None if scaled is None else scaled * (1 + 1e-7)
            second = solve(m2, left(), gap, cutoff=cutoff)
            if second.objective is not None and (scaled is None or second.objective < scaled):
                m, ctx, candidates, outcome = m2, ctx2, grown_candidates, second
            elif second.status in ("feasible", "no_solution"):
                outcome = _unproven(outcome, second, spare_bound)
            elif not outcome.has_solution and second.status != "infeasible":
                outcome = second
        timings["solve_grown"] = time.perf_counter() - started
    result = OptimizeResult(
        outcome.status,
        None,
        outcome,
        [],
        timings,
        options.excluded,
        len(options.options),
        len(candidates),
    )
    if outcome.status == "infeasible" and explain:
        started = time.perf_counter()
        result.diagnosis = diagnose(inputs, left())
        timings["diagnose"] = time.perf_counter() - started
    if outcome.has_solution:
        started = time.perf_counter()
        result.plan = extract_plan(inputs, decisions(m, ctx), outcome)
        timings["plan"] = time.perf_counter() - started
    return result
