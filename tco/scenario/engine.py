"""Solve many scenarios of one set of inputs without rebuilding: cached options, persistent models.

What does not change between the solves of a run is computed once: the
options with their performance curves, their footprints, and one built model
per *view*. A view is the set of options a family of scenarios may need:

- the default view serves the optimum and every forced-chip alternative: the
  options that no option of the same (workload, chip) dominates;
- the fabric (cooling) view serves the forced-fabric (forced-cooling)
  alternatives: dominance only within the same (workload, chip, fabric) or
  (workload, chip, cooling), since a dominator on another fabric would be
  forced out.

A solve only changes variable bounds in the view's HiGHS instance (`PersistentModel`):
`v_use <= 0` for the options a scenario excludes or its presolve dropped.
Under a domestic share the options' domestic pools may grow
(`tco.model.share`), so spare capacity is part of the one model: there is one
solve per scenario.

Every stage draws on one `Budget`, Pyomo translation included.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from tco.costs import registry
from tco.model.build import build_model, decisions
from tco.model.context import ModelContext
from tco.model.dominance import Footprint, Profiles, prune_dominated
from tco.model.fleet import mixing, part_options
from tco.model.options import Option, OptionKey, OptionSet, OutOfTime, build_options
from tco.model.share import grown, growth_unchanged, margin_floor, spare_capacity_helps
from tco.model.years import is_fleet
from tco.plan.extract import extract_plan
from tco.scenario.budget import Budget
from tco.scenario.fleet import solve_fleet
from tco.scenario.result import SOLVER_STAGES, OptimizeResult
from tco.schema.inputs import PlanningInputs
from tco.solve.diagnose import diagnose, elastic_options
from tco.solve.highs import PersistentModel, SolveOutcome
from tco.solve.interrupt import INTERRUPT
from tco.text import capped, plural

#: Relative slack of the `upper` bound test, far below any MIP gap.
_BOUND_TOL = 1e-7


@dataclass
class _View:
    """One built model over a view's options."""

    model: PersistentModel
    ctx: ModelContext
    options: dict[OptionKey, Option]


def _within(forced: Mapping[str, str]) -> tuple[str, ...]:
    """The view a scenario needs: pruning must not rely on a dimension it pins."""
    return tuple(d for d in ("fabric", "cooling") if d in forced)


class Engine:
    """The scenarios of one `PlanningInputs`, solved on cached options and models."""

    def __init__(
        self,
        inputs: PlanningInputs,
        budget: Budget,
        mip_gap: float,
        prune: bool = True,
        only: Mapping[str, Collection[str]] | None = None,
        upper: float | None = None,
        profiles: Profiles | None = None,
        skip: Mapping[str, Mapping[tuple[str, str], int]] | None = None,
    ) -> None:
        self.inputs = inputs
        #: Per workload, (chip, fabric) pairs whose performance is not evaluated: every
        #: option of theirs costs more at its smallest size than `upper` allows (the
        #: caller's proof), so `_bounded` would drop it. Each maps to a lower bound on the
        #: nodes of any of its options meeting the target; a domestic share's growth
        #: bound (`tco.model.share.grow`) takes the least margin of each workload over
        #: every option, so the pairs are evaluated after all unless that bound on them
        #: shows the least is among the options built (`_skipping_keeps_growth`).
        self.skip = skip
        if skip and upper is None:
            raise ValueError("skipped (chip, fabric) pairs need the upper bound that drops them")
        #: TCO of a plan known to be feasible for these inputs (the risk engine's bound):
        #: options that cannot be in a plan this cheap are left out of the default view.
        self.upper = upper
        #: Per workload, the chips its options may use (None: every chip); see
        #: `tco.model.options.build_options`.
        self.only = only
        self.budget = budget
        self.mip_gap = mip_gap
        self.prune = prune
        #: Told what the run is doing, one short line per stage and per new incumbent
        #: (the CLI shows it as a status line on a terminal); silent by default.
        self.progress: Callable[[str], None] = _silent
        #: Seconds per stage, summed over every scenario of the run.
        self.timings: dict[str, float] = defaultdict(float)
        self._options: OptionSet | None = None
        self._elastic: OptionSet | None = None
        self._prints: dict[OptionKey, Footprint] | None = None
        #: Cost coefficients per (chip, fabric, cooling); engines of the same inputs may
        #: share one (the risk engine's two solves of a sample).
        self._profiles = profiles if profiles is not None else Profiles(inputs)
        self._views: dict[tuple[str, ...], _View] = {}
        #: Models built so far: one per view used; every other solve only changes bounds.
        self.models_built = 0

    # ------------------------------------------------------------------ caches
    @property
    def options(self) -> OptionSet:
        """Every option of every workload, with its performance, built once.

        Raises `OutOfTime` when the run's time limit or a Ctrl-C stops the
        performance model (`solve` turns that into a run without a plan).

        Domestic pools may grow as far as a domestic share can need
        (`tco.model.share.grow`, valid for every forced id); so may the elastic ones.
        """
        if self._options is None:
            started = time.perf_counter()
            self.progress("performance model: every workload x chip x fabric")
            try:
                options = build_options(
                    self.inputs, expired=self._stopped, only=self.only, skip=self.skip
                )
                if self.skip and not self._skipping_keeps_growth(options):
                    options = build_options(self.inputs, expired=self._stopped, only=self.only)
                built = part_options(self.inputs, options)
                self._options = grown(self.inputs, built, bounded=not mixing(self.inputs))
            finally:
                self.timings["perf"] += time.perf_counter() - started
        return self._options

    def _skipping_keeps_growth(self, built: OptionSet) -> bool:
        """Whether `grow` sizes the options `built` without the skipped pairs as it would
        with them (`tco.model.share.growth_unchanged`, on `margin_floor` of each pair)."""
        inputs = self.inputs
        if not self.skip or not spare_capacity_helps(inputs) or mixing(inputs):
            return True
        floors: dict[str, float | None] = {}
        for w, pairs in self.skip.items():
            for (chip, _), nodes in pairs.items():
                floor = margin_floor(inputs, chip, nodes)
                known = floors.get(w, math.inf)
                floors[w] = None if floor is None or known is None else min(known, floor)
        return growth_unchanged(inputs, built.options, floors)

    def _stopped(self) -> bool:
        """Whether the run must stop: its time limit is spent or the user pressed Ctrl-C."""
        return self.budget.expired or INTERRUPT.requested

    def _prints_of(self) -> dict[OptionKey, Footprint]:
        if self._prints is None:
            started = time.perf_counter()
            self._profiles.prepare(self.options.options)
            self._prints = {o.key: self._profiles.footprint(o) for o in self.options.options}
            self.timings["presolve"] += time.perf_counter() - started
        return self._prints

    def _pruned(self, options: list[Option], within: tuple[str, ...] = ()) -> list[Option]:
        """The options no other of the same (workload, chip, *within ids) dominates."""
        if not self.prune:
            return options
        prints = self._prints_of()
        started = time.perf_counter()
        kept = prune_dominated(self.inputs, options, prints, within, self._profiles)
        self.timings["presolve"] += time.perf_counter() - started
        return kept

    def _bounded(self, options: list[Option], within: tuple[str, ...]) -> list[Option]:
        """The options that may be in a plan no dearer than `upper` (all when it is None).

        Every cost grows with a pool's size and a plan costs at least the sum of its
        pools, so option o of workload w is in no such plan when
        cost(o at its smallest size) + sum_{w' != w} min_o' cost(o' at its smallest size)
        > upper. Forced views keep every option: `upper` is a bound on the unforced optimum.
        """
        if self.upper is None or within:
            return options
        prints = self._prints_of()
        factor = registry.annuity(self.inputs.site)
        cost = {o.key: prints[o.key].capex + factor * prints[o.key].opex_per_year for o in options}
        least: dict[str, float] = {}
        for o in options:
            least[o.workload] = min(least.get(o.workload, math.inf), cost[o.key])
        total = sum(least.values())
        limit = self.upper * (1 + _BOUND_TOL)
        return [o for o in options if cost[o.key] + total - least[o.workload] <= limit]

    def _view(self, within: tuple[str, ...]) -> _View:
        """The first-round model of a view (see the module docstring), built on first use."""
        if within in self._views:
            return self._views[within]
        view_options = self._pruned(self._bounded(self.options.options, within), within)
        started = time.perf_counter()
        self.progress(f"building the model: {plural(len(view_options), 'option')} after presolve")
        m, ctx = build_model(self.inputs, view_options)
        self.timings["build"] += time.perf_counter() - started
        view = _View(PersistentModel(m), ctx, {o.key: o for o in view_options})
        self._views[within] = view
        self.models_built += 1
        return view

    def elastic_options(self) -> OptionSet:
        """Options of the elastic (diagnosis) model, where short pools are allowed."""
        if self._elastic is None:
            started = time.perf_counter()
            self._elastic = elastic_options(self.inputs, self.only)
            self.timings["perf"] += time.perf_counter() - started
        return self._elastic

    # ------------------------------------------------------------------ solves
    def _solve_view(
        self,
        view: _View,
        active: list[Option],
        limit_s: float | None,
        stage: str,
    ) -> SolveOutcome:
        """Solve the view with only `active` options usable (`v_use <= 0` for the rest).

        The view's model then holds the incumbent; the HiGHS seconds are booked
        under `stage`. Every scenario's options are in its view by construction
        (the same `Option` objects, pruned within the view's dimensions).
        """
        keys = {o.key for o in active}
        if not keys <= view.options.keys():
            raise RuntimeError("a scenario's options are missing from its view (a bug)")
        if self.budget.expired and not view.model.translated:
            # Translating a model the budget leaves no time to solve would only make
            # the user wait past the limit for the same "no plan".
            return _out_of_time(self.budget)
        m = view.model.model
        view.model.set_upper_bounds((m.v_use[k], 1.0 if k in keys else 0.0) for k in view.options)
        started = time.perf_counter()
        translate = view.model.translate_seconds
        left = self.budget.left() if limit_s is None else min(limit_s, self.budget.left())
        self.progress(f"solving: {plural(len(keys), 'option')}, up to {left:,.0f} s")

        def incumbent(tco_millions: float, gap: float | None) -> None:
            shown = f", gap {gap:.2%}" if gap is not None else ""
            self.progress(f"solving: best plan so far {tco_millions:,.3f} M{shown}")

        outcome = view.model.solve(left, self.mip_gap, incumbent)
        self.timings["translate"] += view.model.translate_seconds - translate
        self.timings[stage] += (
            time.perf_counter() - started - (view.model.translate_seconds - translate)
        )
        return outcome

    def solve(
        self,
        forced: Mapping[str, str] | None = None,
        explain: bool = True,
        limit_s: float | None = None,
        stage: str = "solve",
    ) -> OptimizeResult:
        """The minimum-TCO plan with `forced` ids pinned ('chip', 'fabric', 'cooling').

        `limit_s` caps this scenario's solve; the run's budget caps them all. The
        solver seconds are booked under `stage` of `timings` (one of
        `SOLVER_STAGES`: "solve" for the optimum, "alternatives" for its rivals).
        """
        forced = dict(forced or {})
        inputs = self.inputs
        if forced and self.skip:
            # A forced view keeps options `upper` drops, the skipped pairs' among them.
            raise ValueError("an engine with skipped (chip, fabric) pairs solves unforced only")
        if is_fleet(inputs):
            return solve_fleet(self, forced, limit_s, stage)
        try:
            all_options = self.options
        except OutOfTime:
            status = "interrupted" if INTERRUPT.requested else "no_solution"
            outcome = _out_of_time(self.budget)
            return OptimizeResult(status, None, outcome, [], dict(self.timings))
        options = all_options.restricted(forced)
        empty = [w for w in inputs.workloads if not options.for_workload(w)]
        if empty:
            lines = [
                f"workload {w} has no workable option"
                + (": " + "; ".join(capped(options.causes(w))) if options.causes(w) else "")
                for w in empty
            ]
            if explain and not forced:
                lines = self.diagnose()
            return OptimizeResult(
                "infeasible", None, None, lines, dict(self.timings), options.excluded
            )
        before = {stage: self.timings.get(stage, 0.0) for stage in SOLVER_STAGES}
        if self.budget.expired:
            outcome = _out_of_time(self.budget)
            timings = dict(self.timings)
            return OptimizeResult("no_solution", None, outcome, [], timings, options.excluded)
        view = self._view(_within(forced))
        # Unforced, the first round's candidates are the default view's options.
        candidates = self._pruned(options.options) if forced else list(view.options.values())
        outcome = self._solve_view(view, candidates, limit_s, stage)
        decided = decisions(view.model.model, view.ctx) if outcome.has_solution else None
        result = OptimizeResult(
            outcome.status,
            None,
            outcome,
            [],
            {},
            options.excluded,
            len(options.options),
            len(candidates),
        )
        if outcome.status == "infeasible" and explain and not INTERRUPT.requested:
            result.diagnosis = self.diagnose()
        if outcome.has_solution and decided is not None:
            # The plan reports every solver second this scenario cost, not the last round.
            spent = sum(self.timings.get(stage, 0.0) - before[stage] for stage in SOLVER_STAGES)
            outcome = dataclasses.replace(outcome, seconds=spent)
            result.outcome = outcome
            started = time.perf_counter()
            result.plan = extract_plan(inputs, decided, outcome)
            self.timings["plan"] += time.perf_counter() - started
        result.timings_s = dict(self.timings)
        return result

    def diagnose(self) -> list[str]:
        self.progress("explaining why no plan meets every target and limit")
        started = time.perf_counter()
        strict = self.options  # built: every caller has solved, or found a workload empty
        lines = diagnose(self.inputs, self.budget.left(), self.elastic_options(), strict)
        self.timings["diagnose"] += time.perf_counter() - started
        return lines


def _out_of_time(budget: Budget) -> SolveOutcome:
    """No plan: the run's time limit was spent before a model could be solved."""
    return SolveOutcome(
        "no_solution",
        "maxTimeLimit",
        None,
        None,
        None,
        0.0,
        f"the {budget.seconds:,g} s time limit was spent before a solve could start "
        f"({budget.elapsed():,.1f} s on reading the inputs, the performance model and "
        "the model build)",
    )


def _silent(_: str) -> None:
    """The default progress: say nothing."""
