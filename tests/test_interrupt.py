"""Ctrl-C and solver endings are never reported as an optimal plan (issue 12, item 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from tco.scenario.optimize import optimize
from tco.solve.highs import _outcome
from tco.solve.interrupt import INTERRUPT

from factory import CHIP, INFERENCE, make_inputs

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT.parent / "shared" / "fixtures" / "audit"


def results(term: TerminationCondition, incumbent: bool) -> SimpleNamespace:
    """A stand-in for Pyomo's results object, as `_outcome` reads it."""
    status = SolutionStatus.feasible if incumbent else SolutionStatus.noSolution
    loader = SimpleNamespace(load_vars=lambda: None)
    return SimpleNamespace(
        termination_condition=term,
        solution_status=status,
        incumbent_objective=1.0 if incumbent else None,
        objective_bound=0.9,
        solution_loader=loader,
    )


@pytest.mark.parametrize("term", list(TerminationCondition))
@pytest.mark.parametrize("incumbent", [True, False])
def test_only_a_converged_solve_with_an_incumbent_is_optimal(
    term: TerminationCondition, incumbent: bool
) -> None:
    outcome = _outcome(results(term, incumbent), 1.0)
    optimal = term == TerminationCondition.convergenceCriteriaSatisfied and incumbent
    assert (outcome.status == "optimal") == optimal, (term, incumbent, outcome)
    if term == TerminationCondition.interrupted:
        assert outcome.status == "interrupted"
    if term in (TerminationCondition.unknown, TerminationCondition.error):
        assert outcome.status == "error"


def test_a_run_interrupted_before_its_solve_has_no_plan() -> None:
    inputs = make_inputs(Chips=[CHIP], Workloads=[dict(INFERENCE, target_tokens_per_s=500.0)])
    INTERRUPT.request()
    try:
        result = optimize(inputs)
    finally:
        INTERRUPT.reset()
    assert result.status == "interrupted" and result.plan is None
    assert optimize(inputs).status == "optimal"


def test_ctrl_c_during_optimize_never_exits_0(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    workbook = AUDIT / "share-60x12.xlsx"
    if not workbook.is_file():
        # The same instance, written by the benchmark generator.
        workbook = tmp_path / "large.xlsx"
        subprocess.run(
            [sys.executable, "-m", "bench.instances", str(workbook)], cwd=ROOT, env=env, check=True
        )
    report, summary = tmp_path / "r.xlsx", tmp_path / "s.json"
    command = [sys.executable, "-m", "tco", "optimize", str(workbook), "-o", str(report)]
    command += ["--json", str(summary), "--no-alternatives"]
    run = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(8.0)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode in (4, 130), (run.returncode, stderr[-2000:])
    payload = json.loads(summary.read_text())
    assert payload["interrupted"] is True and payload["status"] == "feasible"
    assert "INTERRUPTED" in stderr
    assert report.exists() == (run.returncode == 4) == payload["plan_found"]


def test_a_limit_spent_in_the_performance_model_stops_it_there() -> None:
    from tco.scenario.optimize import make_engine

    inputs = make_inputs(Chips=[CHIP], Workloads=[dict(INFERENCE, target_tokens_per_s=500.0)])
    engine = make_engine(inputs, time_limit_s=1e-9)
    result = engine.solve()
    assert result.status == "no_solution" and result.plan is None
    assert engine.models_built == 0 and "build" not in engine.timings
    assert "time limit was spent before a solve could start" in result.outcome.message
