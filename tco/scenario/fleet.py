"""Solve a fleet plan over years (`tco.model.years`) inside an `Engine`'s budget.

The options are built once per engine at the workloads' peak targets (their sizes then
cover every year) and made ready to be parts when the Site mixes; each year's copy
may grow under a domestic share as `tco.model.years` says. Options another beats stock
by stock are dropped (`tco.model.stock_dominance`). Each scenario (the optimum, a
forced chip, fabric or cooling) builds its own model: a fleet model is solved a
handful of times per run, not thousands. A first plan over a few options per workload
(`tco.scenario.fleet_start`) is solved before each model is built: HiGHS starts from it,
and it is the answer when the limit ends the full model before a plan of its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from tco.model.fleet import part_options
from tco.model.options import OptionSet, OutOfTime, build_options
from tco.model.stock_dominance import prune_for_years
from tco.model.years import (
    CurveCache,
    FleetContext,
    FleetDecisions,
    Schedule,
    build_fleet_model,
    fleet_decisions,
    peak_inputs,
    schedule,
    year_inputs,
)
from tco.plan.fleet import extract_fleet
from tco.scenario.fleet_start import START_TIME_SHARE, FleetStart, solve_start
from tco.scenario.result import OptimizeResult
from tco.schema.inputs import usable_chips
from tco.solve.diagnose import NO_SINGLE_LIMIT, diagnose
from tco.solve.highs import PersistentModel, SolveOutcome
from tco.solve.interrupt import INTERRUPT
from tco.text import capped, plural

if TYPE_CHECKING:
    from tco.scenario.engine import Engine

#: HiGHS's probing (presolve rule 15) spent 46 s on the example's 5-year fleet model and
#: ran out of time before the root; without it the root LP is within 0.02% of the
#: optimum and the plan is proven there. More heuristic effort than the single-period
#: model's 0.05: on the example's ramp with 3 parts per workload the incumbent at 120 s
#: went from 54,134,715 (gap 0.51%, above the 1-part optimum) to 54,058,789 (gap 0.32%).
FLEET_HIGHS_OPTIONS: dict[str, object] = {"presolve_rule_off": 32768, "mip_heuristic_effort": 0.3}


def fleet_options(engine: Engine) -> OptionSet:
    """Every option at the peak targets, built once per engine."""
    cached: OptionSet | None = getattr(engine, "_fleet_options", None)
    if cached is None:
        started = time.perf_counter()
        engine.progress("performance model at the peak year's targets")
        try:
            plan = schedule(engine.inputs)
            peak = peak_inputs(engine.inputs, plan)
            built = part_options(peak, build_options(peak, expired=engine._stopped))
            if engine.prune:
                pruned = prune_for_years(peak, built.options, plan, _curves(engine))
                built = OptionSet(pruned, built.exclusions)
            cached = built
        finally:
            engine.timings["perf"] += time.perf_counter() - started
        engine._fleet_options = cached  # type: ignore[attr-defined]
    return cached


def _curves(engine: Engine) -> CurveCache:
    """The engine's chords, node counts and yearly sizes, shared by presolve and models."""
    cached: CurveCache | None = getattr(engine, "_fleet_curves", None)
    if cached is None:
        cached = CurveCache()
        engine._fleet_curves = cached  # type: ignore[attr-defined]
    return cached


def solve_fleet(
    engine: Engine, forced: Mapping[str, str], limit_s: float | None, stage: str
) -> OptimizeResult:
    """The minimum-TCO fleet plan with `forced` ids pinned."""
    inputs = engine.inputs
    try:
        options = fleet_options(engine).restricted(forced)
    except OutOfTime:
        status = "interrupted" if INTERRUPT.requested else "no_solution"
        outcome = _no_time(engine)
        return OptimizeResult(status, None, outcome, [], dict(engine.timings))
    empty = [w for w in inputs.workloads if not options.for_workload(w)]
    if empty:
        lines = [
            f"workload {w} has no workable option at its peak target"
            + (": " + "; ".join(capped(options.causes(w))) if options.causes(w) else "")
            for w in empty
        ]
        return OptimizeResult(
            "infeasible", None, None, lines, dict(engine.timings), options.excluded
        )
    if engine.budget.expired:
        return OptimizeResult(
            "no_solution",
            None,
            _no_time(engine),
            [],
            dict(engine.timings),
            options.excluded,
            len(options.options),
            len(options.options),
        )
    plan = schedule(inputs)
    left = engine.budget.left() if limit_s is None else min(limit_s, engine.budget.left())
    started = time.perf_counter()
    start = solve_start(
        inputs,
        options.options,
        plan,
        _curves(engine),
        START_TIME_SHARE * left,
        FLEET_HIGHS_OPTIONS,
        engine.progress,
    )
    engine.timings[stage] += time.perf_counter() - started
    if INTERRUPT.requested:
        stopped = SolveOutcome(
            "interrupted", "interrupted", None, None, None, 0.0, "interrupted before a plan"
        )
        return _start_result(engine, options, start, stopped)
    started = time.perf_counter()
    engine.progress(
        f"building the fleet model: {plural(len(options.options), 'option')} x "
        f"{plural(plan.horizon, 'year')}"
    )
    m, fc = build_fleet_model(inputs, options.options, plan, _curves(engine))
    engine.timings["build"] += time.perf_counter() - started
    if engine.budget.expired:
        # Translating and solving would only run past the user's limit.
        spent = _no_time(engine, "the performance model, then building the fleet model")
        return _start_result(engine, options, start, spent)
    model = PersistentModel(m, FLEET_HIGHS_OPTIONS)
    if start is not None:
        model.set_start(start.values_in(m))
    left = engine.budget.left() if limit_s is None else min(limit_s, engine.budget.left())
    started = time.perf_counter()

    def incumbent(tco_millions: float, gap: float | None) -> None:
        shown = f", gap {gap:.2%}" if gap is not None else ""
        engine.progress(f"solving the fleet: best plan so far {tco_millions:,.3f} M{shown}")

    outcome = model.solve(left, engine.mip_gap, incumbent)
    engine.timings["translate"] += model.translate_seconds
    engine.timings[stage] += time.perf_counter() - started - model.translate_seconds
    if not outcome.has_solution and outcome.status in ("no_solution", "interrupted"):
        return _start_result(engine, options, start, outcome)
    result = _result(engine, options, outcome)
    if outcome.status == "infeasible":
        result.diagnosis = diagnose_years(engine, plan)
    if outcome.has_solution:
        _extract(engine, result, fc, fleet_decisions(m, fc), outcome)
    result.timings_s = dict(engine.timings)
    return result


def _result(engine: Engine, options: OptionSet, outcome: SolveOutcome) -> OptimizeResult:
    return OptimizeResult(
        outcome.status,
        None,
        outcome,
        [],
        dict(engine.timings),
        options.excluded,
        len(options.options),
        len(options.options),
    )


def _extract(
    engine: Engine,
    result: OptimizeResult,
    fc: FleetContext,
    decided: FleetDecisions,
    outcome: SolveOutcome,
) -> None:
    """Re-cost the incumbent into `result.plan` and state its outcome from the plan."""
    started = time.perf_counter()
    result.plan = extract_fleet(engine.inputs, fc, decided, outcome)
    result.outcome = SolveOutcome(
        result.plan.status,
        outcome.termination,
        result.plan.tco * 1e-6,
        outcome.bound,
        result.plan.mip_gap,
        outcome.seconds,
        outcome.message,
    )
    engine.timings["plan"] += time.perf_counter() - started


def _start_result(
    engine: Engine, options: OptionSet, start: FleetStart | None, ended: SolveOutcome
) -> OptimizeResult:
    """The run ended (`ended`: a limit or Ctrl-C) before the full model had a plan: the
    start's plan, feasible (or interrupted) with its gap unknown; `ended` itself, no plan,
    when there is no start either."""
    if start is None:
        return _result(engine, options, ended)
    status = ended.status
    why = "the time limit" if status == "no_solution" else "an interrupt"
    outcome = SolveOutcome(
        "feasible" if status == "no_solution" else "interrupted",
        ended.termination,
        start.outcome.objective,
        None,
        None,
        start.outcome.seconds,
        f"{why} ended the fleet model before its own first plan: this plan is the best over "
        f"{start.options} of {len(options.options)} options (the cheapest per workload), "
        "not proven optimal, its gap unknown",
    )
    result = _result(engine, options, outcome)
    _extract(engine, result, start.context, fleet_decisions(start.model, start.context), outcome)
    result.timings_s = dict(engine.timings)
    return result


def _no_time(engine: Engine, stages: str = "the performance model") -> SolveOutcome:
    budget = engine.budget
    return SolveOutcome(
        "no_solution",
        "maxTimeLimit",
        None,
        None,
        None,
        0.0,
        f"the {budget.seconds:,g} s time limit was spent before the fleet model could be "
        f"solved ({budget.elapsed():,.1f} s on reading the inputs and {stages})",
    )


def diagnose_years(engine: Engine, plan: Schedule) -> list[str]:
    """Why no fleet plan exists: each year on its own, as the single-period diagnosis says.

    Year y alone is the single-period model on year y's targets with its limits (power
    budget, racks, supply caps, domestic share) and only the chips on sale by then; a year
    that fails alone is named with the limit it misses and by how much. The capex budget
    bounds each year's purchases, which earlier years may have made ahead, so it is left
    to the whole fleet: when every year can be met alone, the sentence says what only
    the years together can break (the capex budget, lifetimes, arrivals).
    """
    inputs = engine.inputs
    usable = usable_chips(inputs)
    lines: list[str] = []
    for year in range(1, plan.horizon + 1):
        if engine.budget.expired:
            break
        alone = year_inputs(inputs, plan, year)
        on_sale = {c: row for c, row in alone.chips.items() if row.available_from_year <= year}
        alone = dataclasses.replace(alone, chips=MappingProxyType(on_sale))
        share = engine.budget.left() / max(1, plan.horizon - year + 1)
        found = diagnose(alone, share)
        if found and not found[0].startswith(NO_SINGLE_LIMIT):
            later = [
                f"{row.name} from year {row.available_from_year}"
                for c, row in inputs.chips.items()
                if c not in on_sale and c in usable
            ]
            suffix = f" (on sale only later: {', '.join(later)})" if later else ""
            lines += [f"year {year}{suffix}: {line}" for line in found]
    if lines:
        return lines
    budget = inputs.site.capex_budget
    cap = (
        f"the capex budget of {budget:,.0f} {inputs.site.currency} a year, "
        if budget is not None
        else ""
    )
    return [
        "every year's targets and limits can be met on its own, but no fleet plan meets "
        f"them all: check {cap}the chips' lifetime_years (what retires must be bought "
        "again) and their available_from_year against the Demand ramp"
    ]
