"""`python -m bench.run risk`: the example's Monte Carlo on 1 and 2 workers and on Dask.

Targets (issue "tco risk"): 1,000 samples of the example end to end within
120 s on 2 cores with 2 workers; the speed-up from 1 to 2 workers (aim 1.7x);
a Dask LocalCluster of 2 worker processes within 15% of the local pool.

The worker comparison times the samples stage alone (the stage the workers
share; tornado and switching are a fixed amount of work on top), each on a
fresh pool, so process start-up is counted. CPU seconds (this process and the
workers it waited for) are printed beside the wall times: on a machine shared
with other jobs they are the figure that does not depend on the load.
`RISK_BENCH_SAMPLES` sets the sample count (default 1,000).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tco.io.reader import read_workbook
from tco.risk.analysis import run_risk
from tco.scenario.optimize import make_engine
from tco.schema.inputs import validate_workbook

EXAMPLE = Path("inputs/example.xlsx")


def _cpu() -> float:
    """CPU seconds of this process and of every child (and grandchild) waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _samples_stage(
    inputs: Any, plan: Any, samples: int, **backend: Any
) -> tuple[float, float, int]:
    """(wall s, CPU s of the bench and its workers, samples done) of the samples stage."""
    started, cpu = time.perf_counter(), _cpu()
    result = run_risk(inputs, plan, samples, 1, tornado=False, switching=False, **backend)
    return time.perf_counter() - started, _cpu() - cpu, result.samples


def main() -> None:
    samples = int(os.environ.get("RISK_BENCH_SAMPLES", "1000"))
    with tempfile.TemporaryDirectory() as folder:
        cli = [
            sys.executable,
            "-m",
            "tco",
            "risk",
            str(EXAMPLE),
            "-n",
            str(samples),
            "--workers",
            "2",
            "-o",
            str(Path(folder) / "risk.xlsx"),
        ]
        started, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(cli, capture_output=True, text=True)
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
    print(
        f"risk: tco risk example -n {samples} --workers 2 end to end (nominal solve, "
        f"alternatives, samples, robust, tornado, switching, report): {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU in all its processes, exit {done.returncode}"
    )
    inputs = validate_workbook(read_workbook(EXAMPLE))
    plan = make_engine(inputs).solve(explain=False).plan
    assert plan is not None
    one, cpu1, n1 = _samples_stage(inputs, plan, samples, workers=1, pool=True)
    two, cpu2, n2 = _samples_stage(inputs, plan, samples, workers=2, pool=True)
    print(
        f"risk: samples stage, {samples} samples: 1 worker {one:.1f} s ({cpu1:.1f} s CPU, "
        f"{n1} done), 2 workers {two:.1f} s ({cpu2:.1f} s CPU, {n2} done), speed-up "
        f"{one / two:.2f}x"
    )
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dask, _, n3 = _samples_stage(inputs, plan, samples, client=client)
    print(
        f"risk: samples stage on a Dask LocalCluster of 2 worker processes {dask:.1f} s "
        f"({n3} done), {dask / two - 1:+.0%} vs the local pool"
    )
