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
from tco.io.reader import read_workbook
from tco.scenario.optimize import optimize
from tco.schema.inputs import validate_workbook

EXAMPLE = Path("inputs/example.xlsx")


def _example() -> None:
    from tco.report.workbook import write_report

    t0 = time.perf_counter()
    inputs = validate_workbook(read_workbook(EXAMPLE))
    t1 = time.perf_counter()
    result = optimize(inputs)
    t2 = time.perf_counter()
    assert result.plan is not None
    with tempfile.TemporaryDirectory() as folder:
        write_report(Path(folder) / "r.xlsx", inputs, result.plan, [])
    t3 = time.perf_counter()
    parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings_s.items())
    print(
        f"example: read+validate {t1 - t0:.2f} s, optimize {t2 - t1:.2f} s ({parts}; "
        f"{result.status}), write report without alternatives {t3 - t2:.2f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        for extra, label in (([], "with alternatives"), (["--no-alternatives"], "without")):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tco",
                    "optimize",
                    str(EXAMPLE),
                    "-o",
                    str(Path(folder) / "r.xlsx"),
                    *extra,
                ],
                check=True,
                capture_output=True,
            )
            print(f"example: tco optimize end to end ({label}) {time.perf_counter() - t0:.2f} s")


def _large() -> None:
    for share in (0.0, 0.3):
        t0 = time.perf_counter()
        inputs = large_instance(min_domestic_share=share)
        t1 = time.perf_counter()
        result = optimize(inputs, time_limit_s=20.0, mip_gap=1e-3)
        t2 = time.perf_counter()
        outcome = result.outcome
        gap = f"{outcome.gap:.4%}" if outcome and outcome.gap is not None else "n/a"
        parts = ", ".join(f"{name} {sec:.2f} s" for name, sec in result.timings_s.items())
        print(
            f"large (60 chips x 8 fabrics x 3 coolings x 12 workloads, domestic share "
            f"{share:.0%}, 20 s limit per solve): validate {t1 - t0:.2f} s, optimize "
            f"{t2 - t1:.2f} s ({parts}); {result.options} options, {result.candidates} after "
            f"presolve; status {result.status}, gap {gap}"
        )


if __name__ == "__main__":
    _large()
    _example()
