"""`make bench`: wall times of the example end to end and of generated instances, by stage.

Prints figures; asserts nothing (speed goals are read, not tested). Targets:

- issue "One definition per cost line ...": the example end to end with all
  alternatives within 2.5 s and 3x the bare import time; on the large instance a
  model build within 1.5 s, a forced-chip re-solve within a tenth of a full
  build-and-solve, and `--time-limit 1` back within 2 s;
- issue "The optimizer is exact under a domestic share ...": with a 30% share
  (domestic and import chips interleaved) 20 x 4 optimal within 5 s, 40 x 8
  optimal within 20 s, 60 x 12 within 1% gap in 60 s, 80 x 16 a plan with its
  gap within 120 s.

- issue 10 (fleets): the example with a 5-year demand ramp and
  max_options_per_workload = 3 solved to 0.1% gap within 10 s; the large instance
  with 3 years within 60 s to 1% gap, its gap printed (`fleets`).
- issue "tco risk": 1,000 samples of the example within 120 s on 2 workers, the
  1 -> 2 worker speed-up (aim 1.7x), a Dask LocalCluster within 15% of the pool
  (`bench.risk`).

`python -m bench.run share` (or `example`, `large`, `fleets`, `risk`, `calibration`)
runs one part.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.instances import LARGE_SITE, large_instance, large_sheets
from tco.cli import load_inputs
from tco.model.years import base_target
from tco.report.explain import tranche_sentences
from tco.scenario.optimize import make_engine
from tco.schema.inputs import PlanningInputs, inputs_from_dicts
from tco.schema.rows import DemandRow

EXAMPLE = Path("inputs/example.xlsx")

#: What `tco optimize` imports before it does any work.
_IMPORTS = (
    "import tco.cli, tco.scenario.engine, tco.scenario.alternatives, "
    "tco.report.workbook, tco.io.reader, pyomo.environ, highspy"
)


def _wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def _example() -> None:
    imports = min(_wall([sys.executable, "-c", _IMPORTS]) for _ in range(2))
    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "r.xlsx")
        cli = [sys.executable, "-m", "tco", "optimize", str(EXAMPLE), "-o", report]
        full = _wall(cli)
        bare = _wall([*cli, "--no-alternatives"])
    print(
        f"example: bare import {imports:.2f} s; tco optimize end to end with alternatives "
        f"{full:.2f} s ({full / imports:.1f}x import), without alternatives {bare:.2f} s"
    )


def _stages(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())


def _large() -> None:
    for share in (0.0, 0.3):
        inputs = large_instance(min_domestic_share=share)
        started = time.perf_counter()
        engine = make_engine(inputs, time_limit_s=60.0, mip_gap=1e-3)
        result = engine.solve(explain=False)
        full = time.perf_counter() - started
        outcome = result.outcome
        gap = f"{outcome.gap:.4%}" if outcome and outcome.gap is not None else "n/a"
        print(
            f"large (60 chips x 8 fabrics x 3 coolings x 12 workloads, domestic share "
            f"{share:.0%}): first solve {full:.2f} s ({_stages(result.timings_s)}); "
            f"{result.options} options, {result.candidates} after presolve; "
            f"status {result.status}, gap {gap}"
        )
        if result.plan is None:
            continue
        chips = [c for c in inputs.chips if c not in {p.chip for p in result.plan.pools}]
        started = time.perf_counter()
        alt = engine.solve({"chip": chips[0]}, explain=False, limit_s=60.0)
        resolve = time.perf_counter() - started
        print(
            f"  re-solve with chip {chips[0]} forced: {resolve:.2f} s "
            f"({resolve / full:.2f} of the first build-and-solve), status {alt.status}"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.xlsx"
        subprocess.run(
            [sys.executable, "-m", "bench.instances", str(path)], check=True, capture_output=True
        )
        for limit in ("1", "5"):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tco",
                    "optimize",
                    str(path),
                    "-o",
                    str(Path(folder) / "r.xlsx"),
                    "--time-limit",
                    limit,
                    "--no-alternatives",
                ],
                capture_output=True,
            )
            print(
                f"large: tco optimize --time-limit {limit}: {time.perf_counter() - started:.2f} s "
                f"wall, exit {done.returncode}"
            )


#: (chips, workloads, time limit [s], target) of the domestic-share table.
SHARE_CASES = (
    (20, 4, 60.0, "optimal within 5 s"),
    (40, 8, 60.0, "optimal within 20 s"),
    (60, 12, 60.0, "gap within 1% in 60 s"),
    (80, 16, 120.0, "a plan with its gap within 120 s"),
)


def _share() -> None:
    """Instances with a 30% domestic share, at the Site's default gap, end to end in-process."""
    for chips, workloads, limit, target in SHARE_CASES:
        sheets = large_sheets(chips=chips, workloads=workloads, interleave=True)
        inputs = inputs_from_dicts(sheets, LARGE_SITE | {"min_domestic_share": 0.3}, "share")
        started = time.perf_counter()
        result = make_engine(inputs, time_limit_s=limit).solve(explain=False)
        wall = time.perf_counter() - started
        outcome = result.outcome
        gap = f"{outcome.gap:.3%}" if outcome and outcome.gap is not None else "n/a"
        tco = f"{result.plan.tco:,.0f}" if result.plan else "none"
        print(
            f"share 30% of {inputs.site.domestic_share_basis}, {chips} chips x {workloads} "
            f"workloads (target: {target}): "
            f"{wall:.1f} s, status {result.status}, gap {gap}, TCO {tco}; "
            f"{result.options} options, {result.candidates} after presolve "
            f"({_stages(result.timings_s)})"
        )


#: The example's 5-year demand ramp: each workload's target x these factors.
EXAMPLE_RAMP = (1.0, 1.4, 1.9, 2.5, 3.2)


def ramped(inputs: PlanningInputs, factors: tuple[float, ...], **site: Any) -> PlanningInputs:
    """`inputs` with a Demand sheet: every workload's target x factors[year - 1]."""
    rows = tuple(
        DemandRow(workload_id=wid, year=y, target_tokens_per_s=base_target(inputs, wid) * f)
        for wid in inputs.workloads
        for y, f in enumerate(factors, start=1)
    )
    updated = {"horizon_years": len(factors), **site}
    return dataclasses.replace(inputs, demand=rows, site=inputs.site.model_copy(update=updated))


def _fleet_case(name: str, inputs: PlanningInputs, limit: float, gap: float, target: str) -> None:
    started = time.perf_counter()
    result = make_engine(inputs, time_limit_s=limit, mip_gap=gap).solve(explain=False)
    wall = time.perf_counter() - started
    plan = result.plan
    shown = f"{plan.mip_gap:.3%}" if plan and plan.mip_gap is not None else "n/a"
    print(
        f"{name} (target: {target}): {wall:.1f} s, status {result.status}, gap {shown}, "
        f"TCO {plan.tco:,.0f}; {result.options} options ({_stages(result.timings_s)})"
        if plan
        else f"{name} (target: {target}): {wall:.1f} s, status {result.status}, no plan "
        f"({_stages(result.timings_s)}; {result.options} options): "
        + (result.outcome.message if result.outcome else "")
    )
    if plan is not None:
        for line in tranche_sentences(inputs, plan):
            print(f"  {line}")


def _fleets() -> None:
    """Fleet plans over years: the example with a ramp and mixing, the large instance."""
    example = ramped(load_inputs(EXAMPLE), EXAMPLE_RAMP, max_options_per_workload=3)
    _fleet_case(
        "fleets: example, 5-year ramp x"
        + "/".join(f"{f:g}" for f in EXAMPLE_RAMP)
        + ", max_options_per_workload 3, gap 0.1%",
        example,
        120.0,
        1e-3,
        "0.1% gap within 10 s",
    )
    large = ramped(large_instance(min_domestic_share=0.3), (1.0, 1.5, 2.0))
    _fleet_case(
        "fleets: large instance (30% share), 3-year ramp x1/1.5/2, gap 1%",
        large,
        60.0,
        1e-2,
        "1% gap within 60 s",
    )


def _calibration() -> None:
    """The performance model against `tco/data/measurements.csv`, per fit/test split."""
    from bench.calibration import evaluate_all, report

    print(report(evaluate_all()))


def _risk() -> None:
    from bench.risk import main

    main()


PARTS = {
    "example": _example,
    "large": _large,
    "share": _share,
    "fleets": _fleets,
    "calibration": _calibration,
    "risk": _risk,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(PARTS):
        PARTS[name]()
