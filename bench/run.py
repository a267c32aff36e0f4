"""`make bench`: wall time of `tco optimize` on the example and of a large instance.

Prints figures; asserts nothing (speed goals are read, not tested).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.instances import large_instance
from tco.inputs import validate_workbook
from tco.io.reader import read_workbook
from tco.model.build import build_model
from tco.model.dominance import prune_dominated
from tco.model.options import build_options
from tco.plan import extract_plan
from tco.solve import solve

EXAMPLE = Path("inputs/example.xlsx")


def _example() -> None:
    from tco.io.report import write_report

    t0 = time.perf_counter()
    inputs = validate_workbook(read_workbook(EXAMPLE))
    t1 = time.perf_counter()
    options = prune_dominated(inputs, build_options(inputs).options)
    t2 = time.perf_counter()
    model, _ = build_model(inputs, options)
    t3 = time.perf_counter()
    outcome = solve(model, inputs.site.time_limit_s, inputs.site.mip_gap)
    t4 = time.perf_counter()
    plan = extract_plan(inputs, model, options, outcome)
    with tempfile.TemporaryDirectory() as folder:
        t5 = time.perf_counter()
        write_report(Path(folder) / "r.xlsx", inputs, plan, [])
        t6 = time.perf_counter()
    print(f"example: read+validate {t1 - t0:.2f} s, perf+options {t2 - t1:.2f} s, "
          f"build {t3 - t2:.2f} s, solve {t4 - t3:.2f} s ({outcome.status}), "
          f"write (no alternatives) {t6 - t5:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        for extra, label in (([], "with alternatives"), (["--no-alternatives"], "without")):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tco", "optimize", str(EXAMPLE), "-o",
                            str(Path(folder) / "r.xlsx"), *extra], check=True,
                           capture_output=True)
            print(f"example: tco optimize end to end ({label}) {time.perf_counter() - t0:.2f} s")


def _large() -> None:
    t0 = time.perf_counter()
    inputs = large_instance()
    t1 = time.perf_counter()
    every = build_options(inputs).options
    t2 = time.perf_counter()
    options = prune_dominated(inputs, every)
    t3 = time.perf_counter()
    model, _ = build_model(inputs, options)
    t4 = time.perf_counter()
    outcome = solve(model, 120.0, 1e-3)
    t5 = time.perf_counter()
    gap = f"{outcome.gap:.4%}" if outcome.gap is not None else "n/a"
    print(f"large (60 chips x 8 fabrics x 3 coolings x 12 workloads): validate {t1 - t0:.2f} s, "
          f"perf+options {t2 - t1:.2f} s ({len(every)} options), presolve {t3 - t2:.2f} s "
          f"({len(options)} kept), build {t4 - t3:.2f} s, solve {t5 - t4:.2f} s, "
          f"status {outcome.status}, gap {gap}")
    t0 = time.perf_counter()
    model, _ = build_model(inputs, every)
    t1 = time.perf_counter()
    outcome = solve(model, 120.0, 1e-3)
    gap = f"{outcome.gap:.4%}" if outcome.gap is not None else "n/a"
    print(f"large without presolve: build {t1 - t0:.2f} s, solve {outcome.seconds:.2f} s, "
          f"status {outcome.status}, gap {gap}")


if __name__ == "__main__":
    _large()
    _example()
