"""Plan -> the procurement report workbook (DESIGN 3.5), written atomically.

The writer formats a `Plan`; it never prices anything itself. Cost cells are
live Excel formulas built by the cost-line registry (`tco.costs.registry`)
over the counts the optimiser chose and the input values on Assumptions, so
a buyer can change a unit price or the electricity price and see every
total move; each formula carries the engine's number as its cached value,
and the LibreOffice recalculation test checks that the two agree.

One module per sheet (`tco.report.sheets`) declares its columns and writes
its rows; `tco.report.layout` places every row first, so the sheets can
refer to each other in any order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tco.errors import InputError
from tco.io.atomic import write_atomically
from tco.plan.extract import Plan
from tco.report.book import Book
from tco.report.fleet import fleet_report_bytes
from tco.report.layout import Layout
from tco.report.sheets import alternatives as alternatives_sheet
from tco.report.sheets import assumptions, bom, cashflow, network, pools, power, summary
from tco.scenario.alternatives import Alternative
from tco.schema.inputs import PlanningInputs

if TYPE_CHECKING:
    from tco.risk.analysis import RiskResult

#: Sheet modules in workbook order.
_SHEETS = (summary, pools, bom, cashflow, power, network, alternatives_sheet, assumptions)
SHEETS = tuple(module.TABLE.sheet for module in _SHEETS)

#: Lock files Excel and LibreOffice leave next to an open workbook.
_LOCK_NAMES = ("~${}", ".~lock.{}#")


def write_report(
    path: Path,
    inputs: PlanningInputs,
    plan: Plan,
    alternatives: Sequence[Alternative],
    risk: RiskResult | None = None,
) -> None:
    """Write the report atomically; `InputError` when `path` cannot be written.

    The workbook is built in memory first, so a failure while building it never
    touches the disk; the previous report stays as it was on any failure.
    """
    path = Path(path)
    _check_writable(path)
    data = report_bytes(inputs, plan, alternatives, risk)
    try:
        write_atomically(path, lambda tmp: _write_file(tmp, data))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError.single(
            f"{path}: cannot write the report ({reason}); close it if it is open, "
            "or choose another -o"
        ) from exc


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError.single(f"{path}: is a folder, not a report file")
    for pattern in _LOCK_NAMES:
        lock = folder / pattern.format(path.name)
        if lock.exists():
            raise InputError.single(
                f"{path}: the report is open in Excel or LibreOffice (lock file {lock.name}); "
                "close it, or delete the lock file if it is stale, or choose another -o"
            )
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError.single(f"{path}: the existing report is read-only; choose another -o")


def report_bytes(
    inputs: PlanningInputs,
    plan: Plan,
    alternatives: Sequence[Alternative],
    risk: RiskResult | None = None,
) -> bytes:
    """The finished .xlsx, formulas with their cached values, as bytes.

    A fleet plan (tranches over years) has its own workbook (`tco.report.fleet`). With a
    `tco risk` result the workbook gains the Risk sheet after Summary, and Summary
    states the risk answers.
    """
    if plan.fleet is not None:
        return fleet_report_bytes(inputs, plan)
    rows = assumptions.assumptions(inputs, plan)
    tables = {module.TABLE.sheet: module.TABLE for module in _SHEETS}
    layout = Layout(inputs, plan, alternatives, tables, [a.key for a in rows])
    names = list(SHEETS)
    if risk is not None:
        from tco.report.sheets import risk as risk_sheet
        from tco.risk.answers import sentences

        names.insert(1, risk_sheet.TABLE.sheet)
        layout.risk_lines = tuple(sentences(inputs, risk))
    book = Book(names)
    sheets = book.sheets
    assumptions.write(sheets["Assumptions"], inputs, layout.names, rows)
    for module in (summary, pools, bom, cashflow, power, network, alternatives_sheet):
        module.write(sheets[module.TABLE.sheet], layout)
    if risk is not None:
        risk_sheet.write(sheets[risk_sheet.TABLE.sheet], inputs, risk)
    return book.close()
