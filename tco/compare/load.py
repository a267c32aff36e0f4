"""Each compared file: an input workbook to solve, or a tco report to read back.

`open_all` reads every file before anything is solved, so one unreadable or
invalid file stops the run at once, naming the file (exit 2, nothing
written), instead of after minutes of solving the others. `solve` then
solves one input as `tco optimize` does, without the forced alternatives
(a comparison does not show them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tco.compare.entry import ChipFacts, Entry, SiteFacts
from tco.compare.report_reader import REPORT_SHEETS, read_fleet_report, read_report
from tco.errors import InputError, InputIssue
from tco.io.reader import load_checked, read_workbook
from tco.report.summary import json_summary
from tco.scenario.optimize import make_engine
from tco.scenario.result import OptimizeResult
from tco.schema.inputs import PlanningInputs, validate_workbook

#: The sheet every input workbook has and no report has.
INPUT_SHEET = "Chips"
#: The sheet of a comparison workbook (`tco.compare.workbook`).
COMPARE_SHEET = "Compare"

EXIT_OK, EXIT_INFEASIBLE, EXIT_NOT_OPTIMAL, EXIT_INTERRUPTED = 0, 3, 4, 130


@dataclass
class Opened:
    """A file ready to compare: validated inputs to solve, or the entry of a report."""

    path: Path
    inputs: PlanningInputs | None = None
    entry: Entry | None = None


def open_all(paths: Sequence[Path]) -> list[Opened]:
    """Read and check every file; one `InputError` with every file's problems, each
    line starting with the file's name."""
    opened: list[Opened] = []
    issues: list[InputIssue] = []
    names = [p.name for p in paths]
    for path in paths:
        if names.count(path.name) > 1:
            issues.append(
                InputIssue(
                    f"{path.name}: given more than once (or two files share the name); the "
                    "comparison names each column by its file name"
                )
            )
            continue
        try:
            opened.append(open_one(path))
        except InputError as exc:
            issues += [_named(path, issue) for issue in exc.issues]
    if issues:
        raise InputError(list(dict.fromkeys(issues)))
    currencies = {o.path.name: _currency(o) for o in opened}
    if len(set(currencies.values())) > 1:
        listed = ", ".join(f"{name} in {cur}" for name, cur in currencies.items())
        raise InputError.single(
            f"the files report in different currencies ({listed}); set the same Site "
            "currency in each input (the FX sheet converts prices) and compare again"
        )
    return opened


def _named(path: Path, issue: InputIssue) -> InputIssue:
    """The issue with the file's name in front, unless it already starts with it."""
    text = str(issue)
    return issue if text.startswith(f"{path.name}:") else InputIssue(f"{path.name}: {text}")


def _currency(opened: Opened) -> str:
    if opened.inputs is not None:
        return str(opened.inputs.site.currency)
    assert opened.entry is not None
    return opened.entry.currency


#: The sheet a fleet plan's report has and a single-purchase report has not.
FLEET_SHEET = "Timeline"


def open_one(path: Path) -> Opened:
    """An input workbook (it has a Chips sheet) validated, or a report read back."""
    book = load_checked(path, data_only=True)
    sheets = list(book.sheetnames)
    if INPUT_SHEET in sheets:
        inputs = validate_workbook(read_workbook(path))
        return Opened(path, inputs=inputs)
    # A fleet report has Power and Network too: tell it apart first.
    if FLEET_SHEET in sheets:
        return Opened(path, entry=read_fleet_report(path, book))
    if all(name in sheets for name in REPORT_SHEETS):
        return Opened(path, entry=read_report(path, book))
    if COMPARE_SHEET in sheets:
        raise InputError.single(
            f"{path.name}: this is a tco compare workbook; compare the input workbooks or "
            "reports it was made from"
        )
    raise InputError.single(
        f"{path.name}: neither a tco input workbook (no '{INPUT_SHEET}' sheet) nor a tco "
        f"report (no {', '.join(repr(s) for s in REPORT_SHEETS)} sheets); the workbook has: "
        f"{', '.join(sheets) or '(no sheets)'}"
    )


def solve(
    opened: Opened,
    time_limit_s: float | None,
    mip_gap: float | None,
    progress: Callable[[str], None] = lambda _: None,
) -> Entry:
    """Solve one input for its minimum-TCO plan; its entry, with the exit code
    `tco optimize` would give it."""
    inputs = opened.inputs
    assert inputs is not None, "reports are read, not solved"
    engine = make_engine(inputs, time_limit_s, mip_gap)
    engine.progress = progress
    result = engine.solve()
    result.timings_s = dict(engine.timings)
    return solved_entry(opened.path.name, inputs, result)


def solved_entry(name: str, inputs: PlanningInputs, result: OptimizeResult) -> Entry:
    summary = json_summary(inputs, result)
    used = {p["chip"] for p in summary["pools"]}
    chips = {
        chip_id: ChipFacts(
            chip_id,
            row.name,
            row.origin,
            row.memory_gb,
            row.memory_bw_gbs,
            row.scaleup_bw_gbs,
        )
        for chip_id, row in inputs.chips.items()
        if chip_id in used
    }
    site = inputs.site
    facts = SiteFacts(
        site.horizon_years, site.discount_rate, site.min_domestic_share, site.domestic_share_basis
    )
    return Entry(name, "input", summary, chips, facts, exit_code(result))


def exit_code(result: OptimizeResult) -> int:
    """What `tco optimize` exits with for this result (DESIGN 3.2)."""
    if result.status == "infeasible":
        return EXIT_INFEASIBLE
    if result.status == "interrupted" and result.plan is None:
        return EXIT_INTERRUPTED
    if result.plan is None or result.plan.status != "optimal":
        return EXIT_NOT_OPTIMAL
    return EXIT_OK


def name_uniquely(entries: Sequence[Entry]) -> None:
    """Entries whose short names collide (a.xlsx beside a-report.xlsx) keep their stems."""
    shorts = [e.short_name for e in entries]
    for e in entries:
        if shorts.count(e.short_name) > 1:
            e.title = e.stem


#: Exit codes from best to worst: a run's code is the worst of its inputs'.
SEVERITY = (EXIT_OK, EXIT_NOT_OPTIMAL, EXIT_INFEASIBLE, EXIT_INTERRUPTED)


def worst(codes: Sequence[int]) -> int:
    return max(codes, key=SEVERITY.index, default=EXIT_OK)
