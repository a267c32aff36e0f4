"""`tco risk`: samples, the robust plan, the tornado and switching prices, in four stages.

1. samples: every sample's fixed nominal plan and re-optimised plan;
2. robust: each candidate plan (`statistics.candidates`) fixed, on every sample done;
3. tornado: each Uncertainty row at its low and at its high end alone, re-optimised;
4. switching: per workload, the card price of its chosen chip at which it flips.

Stages run as batches on one backend; a stop (Ctrl-C, the time limit) ends the
stage running and skips the rest, and the result says it is partial and how
many samples it holds. Every statistic is over the samples done.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tco.model.fleet import mixing
from tco.model.years import is_fleet
from tco.plan.extract import Plan
from tco.risk import statistics
from tco.risk.backends import DaskCluster, InProcess, LocalPool, Outcome
from tco.risk.evaluate import FixedOutcome, Optimum, Purchase, SampleResult
from tco.risk.sampling import Uncertain, draw, overrides_of, uncertain_rows
from tco.risk.tasks import SWITCH_MAX_FACTOR, Payload, Switch, Task, pack
from tco.schema.inputs import PlanningInputs

#: Progress callback: (stage, done, total).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TornadoRow:
    row: Uncertain
    tco_low: float | None
    tco_high: float | None
    changes_decision: bool
    #: The decisions at the low and at the high end when they differ from the nominal.
    choice_low: tuple[tuple[str, str, str, str], ...] = ()
    choice_high: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def swing(self) -> float:
        if self.tco_low is None or self.tco_high is None:
            return 0.0
        return abs(self.tco_high - self.tco_low)


@dataclass
class RiskResult:
    """Everything `tco risk` reports; statistics are over `results` (the samples done)."""

    samples_requested: int
    seed: int
    criterion: str
    reliability: float
    rows: tuple[Uncertain, ...]
    values: np.ndarray
    nominal: Purchase
    nominal_tco: float
    results: list[SampleResult]
    scored: list[statistics.Scored] = field(default_factory=list)
    robust: statistics.Scored | None = None
    robust_reliable: bool = True
    tornado: list[TornadoRow] = field(default_factory=list)
    switching: list[Switch] = field(default_factory=list)
    partial: bool = False
    stopped: str | None = None
    notes: list[str] = field(default_factory=list)
    backend: str = ""
    seconds: float = 0.0

    @property
    def samples(self) -> int:
        return len(self.results)

    def nominal_outcomes(self) -> list[FixedOutcome]:
        return [r.nominal for r in self.results]

    def optimal_tcos(self) -> list[float]:
        return [r.optimum.tco for r in self.results if r.optimum.tco is not None]


def _batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    """Tasks in batches: about eight per worker, none larger than 16 tasks."""
    if not tasks:
        return []
    size = max(1, min(16, len(tasks) // (8 * max(1, workers)) or 1))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def risk_unsupported(inputs: PlanningInputs) -> str | None:
    """Why `tco risk` cannot sample these inputs, or None.

    A sample's fixed plan is one purchase of one pool per workload: plans bought in
    yearly tranches (a Demand sheet, growth, lifetimes, late chips or price changes) and
    workloads split over several pools are not evaluated sample by sample yet.
    """
    if is_fleet(inputs):
        return (
            "tco risk samples single-purchase plans; this workbook plans a fleet over years "
            "(a Demand sheet, demand growth, lifetimes, availability years or price changes): "
            "run tco optimize for it, or tco risk on a copy without them"
        )
    if mixing(inputs):
        return (
            "tco risk samples plans with one pool per workload; Site max_options_per_workload "
            f"is {inputs.site.max_options_per_workload}: set it to 1 for tco risk"
        )
    return None


def run_risk(
    inputs: PlanningInputs,
    plan: Plan,
    samples: int,
    seed: int,
    *,
    workers: int = 1,
    pool: bool = True,
    scheduler: str | None = None,
    client: Any = None,
    criterion: str = "p90",
    reliability: float = 0.95,
    mip_gap: float | None = None,
    solve_limit_s: float | None = None,
    stopped: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    tornado: bool = True,
    switching: bool = True,
    method: str = "sobol",
) -> RiskResult:
    """Run every stage for the nominal `plan` of `inputs` (module docstring).

    Batches run on a Dask cluster (`scheduler` address or `client`), else on a local
    pool of `workers` processes, else (one worker, `pool` False) in this process.
    """
    started = time.perf_counter()
    if criterion not in statistics.CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; choose one of {statistics.CRITERIA}")
    rows = uncertain_rows(inputs)
    values = draw(rows, samples, seed, method)
    nominal = Purchase.of(plan)
    payload = Payload(
        uuid.uuid4().hex,
        pack(inputs),
        nominal,
        float(inputs.site.mip_gap if mip_gap is None else mip_gap),
        float(inputs.site.time_limit_s if solve_limit_s is None else solve_limit_s),
    )
    backend: InProcess | LocalPool | DaskCluster
    if scheduler is not None or client is not None:
        backend = DaskCluster(scheduler, client)
    elif workers <= 1 and not pool:
        backend = InProcess()
    else:
        backend = LocalPool(workers)
    result = RiskResult(
        samples,
        seed,
        criterion,
        reliability,
        rows,
        values,
        nominal,
        plan.tco,
        [],
        backend=backend.name,
    )
    report = progress or (lambda *_: None)

    def stage(name: str, tasks: list[Task]) -> list[tuple[Task, Any]]:
        pairs: list[tuple[Task, Any]] = []
        report(name, 0, len(tasks))

        def done(batch: list[tuple[Task, Any]]) -> None:
            pairs.extend(batch)
            report(name, len(pairs), len(tasks))

        outcome: Outcome = backend.run(payload, _batches(tasks, workers), done, stopped)
        result.notes += outcome.notes
        if not outcome.finished:
            result.partial = True
            result.stopped = outcome.message or result.stopped or "stopped"
        return pairs

    try:
        _stages(result, inputs, stage, tornado, switching)
    except BaseException:
        backend.close(now=True)  # an interrupt or an error: no worker keeps running
        raise
    backend.close()
    result.seconds = time.perf_counter() - started
    return result


def _stages(
    result: RiskResult,
    inputs: PlanningInputs,
    stage: Callable[[str, list[Task]], list[tuple[Task, Any]]],
    tornado: bool,
    switching: bool,
) -> None:
    rows, values, nominal = result.rows, result.values, result.nominal
    criterion, reliability = result.criterion, result.reliability
    sample_tasks: list[Task] = [
        ("sample", i, overrides_of(rows, values[i])) for i in range(result.samples_requested)
    ]
    pairs = stage("samples", sample_tasks)
    result.results = sorted((r for _, r in pairs), key=lambda r: r.index)
    done_ids = [r.index for r in result.results]

    if not result.partial and result.results:
        pool = statistics.candidates(nominal, result.results)
        others = pool[1:]
        fixed: dict[int, list[FixedOutcome]] = {}
        if others:
            tasks: list[Task] = [
                ("fixed", i, overrides_of(rows, values[i]), tuple(others)) for i in done_ids
            ]
            fixed = {task[1]: out for task, out in stage("robust", tasks)}
        if not result.partial:
            optima = [r.optimum.tco for r in result.results]
            columns = [[r.nominal for r in result.results]]
            for k in range(len(others)):
                columns.append([fixed[i][k] for i in done_ids])
            result.scored = [
                statistics.score(p, col, optima, criterion)
                for p, col in zip(pool, columns, strict=True)
            ]
            result.robust, result.robust_reliable = statistics.robust(result.scored, reliability)

    if tornado and not result.partial:
        tasks = []
        for j, row in enumerate(rows):
            tasks.append(("optimum", (j, "low"), (row.override(row.low),)))
            tasks.append(("optimum", (j, "high"), (row.override(row.high),)))
        found: dict[tuple[int, str], Optimum] = {t[1]: o for t, o in stage("tornado", tasks)}
        if not result.partial:
            result.tornado = _tornado(rows, found, nominal)

    if switching and not result.partial:
        tasks = []
        for p in nominal.pools:
            price = float(inputs.chips[p.chip].card_price)
            high = max(price, 1.0) * SWITCH_MAX_FACTOR
            tasks.append(("switch", p.workload, (), p.workload, p.chip, price, high))
        switches = {t[1]: s for t, s in stage("switching", tasks)}
        result.switching = [switches[p.workload] for p in nominal.pools if p.workload in switches]


def _tornado(
    rows: tuple[Uncertain, ...], found: dict[tuple[int, str], Optimum], nominal: Purchase
) -> list[TornadoRow]:
    out = []
    for j, row in enumerate(rows):
        low, high = found[(j, "low")], found[(j, "high")]
        changed_low = low.choice != nominal.choice
        changed_high = high.choice != nominal.choice
        out.append(
            TornadoRow(
                row,
                low.tco,
                high.tco,
                changed_low or changed_high,
                low.choice if changed_low else (),
                high.choice if changed_high else (),
            )
        )
    return sorted(out, key=lambda t: -t.swing)
