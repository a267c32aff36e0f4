"""The `tco` command line (typer). No business logic: parse, call, print, exit.

Exit codes (DESIGN 3.2): 0 success; 2 input problem; 3 infeasible; 4 solver
stopped without a proven optimum; 1 unexpected internal error. No traceback
reaches the user for 2-4; set TCO_DEBUG=1 to see one for exit 1.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from tco.errors import InputError, InputIssue, OutputError
from tco.text import plural

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NOT_OPTIMAL = 4
#: Ctrl-C without a plan to write (the shell's 128 + SIGINT).
EXIT_INTERRUPTED = 130


class _Argument(TyperArgument):
    """An argument shown by its metavar alone (`INPUT`), not as `{path}` in the usage
    line and `<path>` beside its help."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or self.name or ""
        return name if self.required else f"[{name}]"


def _plain_help(params: list[Any]) -> None:
    """Arguments by their metavar; flags (and --help) without a `<bool>` type."""
    for param in params:
        if isinstance(param, TyperArgument):
            # typer builds its parameters itself (no class hook); the subclass only
            # changes how help shows the argument. The test of every --help guards it.
            param.__class__ = _Argument
        elif isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""


class _Command(TyperCommand):
    """A command whose --help reads as the README does: `tco optimize [OPTIONS] INPUT`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_help(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _plain_help([option])
        return option


class _Group(TyperGroup):
    """`tco --help` with the same plain --help line as every command."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _plain_help([option])
        return option


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    help="Plan AI accelerator clusters at minimum total cost of ownership.",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])
_INPUT = typer.Argument(metavar="INPUT", help="Input workbook (.xlsx)")
_JSON_SUMMARY = typer.Option(
    "--json", metavar="PATH", help="Write the JSON summary to PATH, or - for stdout"
)


def guarded(func: F) -> F:
    """Map known failures to exit codes; never show a traceback for input problems."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for issue in exc.issues:
                err.print(str(issue), markup=False, soft_wrap=True)
            kind = "output" if isinstance(exc, OutputError) else "input"
            problems = plural(len(exc.issues), f"{kind} problem")
            if exc.summary_path is None:
                err.print(f"{problems}; nothing was written.", markup=False)
            else:
                err.print(
                    f"{problems}; nothing was written but the JSON summary "
                    f"{exc.summary_path} (status input_error).",
                    markup=False,
                )
            raise typer.Exit(EXIT_INPUT) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            # A second Ctrl-C (or one outside `optimize`): atomic writes leave nothing half done.
            err.print("interrupted; nothing was written")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("TCO_DEBUG"):
                raise
            err.print(
                f"internal error: {type(exc).__name__}: {exc} (set TCO_DEBUG=1 for a "
                "traceback and report it)",
                markup=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _output_path_ok(
    path: Path, suffix: str = ".xlsx", input_path: Path | None = None, create: bool = False
) -> None:
    """Refuse, before any work, an output that cannot be written.

    Its folder is missing (unless `create`: the nearest existing parent must then
    be writable) or not writable, the path is a folder or a read-only file, it
    is of the wrong kind, or it is the input workbook (never overwritten). Found
    after a long solve, any of these would throw the work away.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir() and not create:
        raise OutputError.single(f"{path}: the folder {folder} does not exist")
    existing = folder
    while not existing.is_dir():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError.single(f"{path}: the folder {existing} is not writable")
    if path.suffix.lower() != suffix:
        raise OutputError.single(f"{path}: the output must be a {suffix} file")
    if path.is_dir():
        raise OutputError.single(f"{path}: is a folder, not a {suffix} file")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError.single(f"{path}: the file exists and is not writable")
    same = input_path is not None and path.exists() and input_path.exists()
    if same and path.resolve() == input_path.resolve():  # type: ignore[union-attr]
        raise OutputError.single(
            f"{path}: this is the input workbook; the input is never overwritten, "
            "choose another output path"
        )


@app.command(cls=_Command)
@guarded
def template(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Where to write the template")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file at PATH")
    ] = False,
) -> None:
    """Write the blank input template, prefilled with the default catalog."""
    from tco.data.examples import catalog_price_lines, template_sheets, template_site
    from tco.io.template import write_workbook

    _output_path_ok(path)
    if path.exists() and not force:
        # It may be a filled-in workbook: replacing it would lose the planner's work.
        raise OutputError.single(
            f"{path}: the file exists; pass --force to replace it with a blank template"
        )
    write_workbook(path, template_sheets(), template_site(), prices=catalog_price_lines())
    err.print(f"wrote {path}", markup=False)


def load_inputs(path: Path) -> Any:
    """Read and validate; the only way commands get `PlanningInputs`."""
    from tco.io.reader import read_workbook
    from tco.schema.inputs import validate_workbook

    return validate_workbook(read_workbook(path))


def _print_warnings(warnings: tuple[str, ...]) -> None:
    """Values accepted with a word (a quote outside its range, an implausible value)."""
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)


@app.command(cls=_Command)
@guarded
def validate(path: Annotated[Path, _INPUT]) -> None:
    """Read and validate an input workbook; print every problem and warning (exit 0 or 2).

    Values accepted with a word (a quote outside its range, a value that looks
    implausible) are printed as warnings; they do not change the exit code.
    """
    inputs = load_inputs(path)
    _print_warnings(inputs.warnings)
    # Rows per sheet, by sheet name: "24 Chips", "1 Workload".
    counts = ", ".join(
        plural(n, name.removesuffix("s"), name) for name, n in inputs.row_counts().items()
    )
    warned = f"; {plural(len(inputs.warnings), 'warning')}" if inputs.warnings else ""
    typer.echo(f"{path.name}: OK ({counts}){warned}")


@app.command(cls=_Command)
@guarded
def estimate(
    path: Annotated[Path, _INPUT],
    workload: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this workload id")
    ] = None,
    chip: Annotated[str | None, typer.Option(metavar="ID", help="Only this chip id")] = None,
    fabric: Annotated[str | None, typer.Option(metavar="ID", help="Only this fabric id")] = None,
    cards: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Evaluate every estimate at N cards")
    ] = None,
    json_path: Annotated[
        str | None,
        typer.Option("--json", metavar="PATH", help="Write JSON to PATH, or - for stdout"),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Every column (batch, TPOT, TTFT, step and comm time, power, memory)"
        ),
    ] = False,
) -> None:
    """Performance estimates per workload x chip x fabric, without optimising.

    The table fits an 80-column terminal; --wide shows every column (and is as
    wide as they need). Why an estimate is infeasible is noted under the table.
    A chip named with --chip that the site cannot buy, or filters that leave
    nothing to estimate, are refused with the reason (exit 2).
    """
    from tco.model.years import is_fleet, peak_inputs, schedule
    from tco.perf.estimate import estimate as run_estimate
    from tco.perf.estimate import render, unanswerable

    _json_path_ok(json_path, path)
    inputs = load_inputs(path)
    _print_warnings(inputs.warnings)
    peaks: list[str] = []
    if is_fleet(inputs):
        # Targets over years: estimate each workload at its peak year, as the plan sizes it.
        years = schedule(inputs)
        inputs = peak_inputs(inputs, years)
        peaks = [
            f"{wid} {w.target_tokens_per_s:,.0f} tokens/s"
            for wid, w in inputs.workloads.items()
            if workload in (None, wid)
        ]
    for kind, value, known in (
        ("workload", workload, inputs.workloads),
        ("chip", chip, inputs.chips),
        ("fabric", fabric, inputs.fabrics),
    ):
        if value is not None and value not in known:
            raise InputError.single(_unknown_id(kind, value, list(known)))
    results = run_estimate(
        inputs, workload_id=workload, chip_id=chip, fabric_id=fabric, cards=cards
    )
    refused = unanswerable(inputs, results, workload, chip, fabric)
    if refused:
        raise InputError([InputIssue(line) for line in refused])
    _write_json(json_path, [r.to_json() for r in results])
    console = Console(stderr=json_path == "-", highlight=False)
    if peaks:
        console.print(
            "Targets over years: each workload at its peak year's target, as the plan sizes "
            "its pools (" + "; ".join(peaks) + ").",
            markup=False,
        )
    shown = render(results, wide=wide)
    if wide:
        # As wide as the columns need: a number never folds, a narrow terminal scrolls.
        options = console.options.update(width=10_000)
        tables = [t for t in shown if not isinstance(t, str)]
        needed = max(Measurement.get(console, options, t).maximum for t in tables)
        console.width = max(console.width, needed)
    for item in shown:
        console.print(item, markup=False)


def _unknown_id(kind: str, value: str, known: list[str]) -> str:
    """'--chip 'h1000' is not in the workbook; did you mean h100? known: ...'."""
    close = [k for k in known if k.lower() == value.lower()] or difflib.get_close_matches(
        value, known, n=3, cutoff=0.6
    )
    guess = ""
    if close:
        guess = f"; did you mean {' or '.join(close) if len(close) < 3 else ', '.join(close)}?"
    return f"--{kind} {value!r} is not in the workbook{guess} known: {', '.join(known)}"


def _bullet(reason: str) -> list[str]:
    """One diagnosis reason as printed lines of at most `WIDTH` characters: its first
    line as a bullet, each further line (one chip's cause) indented below it."""
    from tco.text import wrapped

    first, *rest = reason.split("\n")
    lines = wrapped(first, "  - ", "    ")
    for part in rest:
        lines += wrapped(part, "      ", "        ")
    return lines


def _report_path(input_path: Path, output: Path | None, kind: str = "report") -> Path:
    """-o, or outputs/<input stem>-<kind>.xlsx (the folder is created when the report is)."""
    report = output if output is not None else Path("outputs") / f"{input_path.stem}-{kind}.xlsx"
    _output_path_ok(report, ".xlsx", input_path, create=output is None)
    return report


def _json_path_ok(json_path: str | None, input_path: Path) -> None:
    if json_path not in (None, "-"):
        _output_path_ok(Path(json_path), ".json", input_path)


def _write_json(json_path: str | None, payload: Any) -> None:
    from tco.io.atomic import write_atomically

    text = json.dumps(payload, indent=2) + "\n"
    if json_path == "-":
        sys.stdout.write(text)
    elif json_path is not None:
        write_atomically(Path(json_path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _input_error_json(json_path: str | None, exc: InputError) -> None:
    """The `input_error` summary of `exc`'s issues at `--json`, noted on `exc` when a file."""
    _write_json(json_path, {"status": "input_error", "diagnosis": [str(i) for i in exc.issues]})
    if json_path not in (None, "-"):
        exc.summary_path = json_path


@app.command(cls=_Command)
@guarded
def optimize(
    path: Annotated[Path, _INPUT],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="REPORT",
            help="Report path (.xlsx; default outputs/INPUT-report.xlsx)",
        ),
    ] = None,
    json_path: Annotated[str | None, _JSON_SUMMARY] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.01,
            metavar="SECONDS",
            help="Seconds for the whole run: performance model, model build, every solve and "
            "the alternatives (each at most 10 s of what is left)",
        ),
    ] = None,
    mip_gap: Annotated[
        float | None,
        typer.Option("--mip-gap", min=0.0, max=1.0, metavar="GAP", help="Relative optimality gap"),
    ] = None,
    no_alternatives: Annotated[
        bool,
        typer.Option(
            "--no-alternatives",
            help="Skip solving the forced chip, fabric and cooling alternatives (faster; "
            "the report then compares none)",
        ),
    ] = False,
) -> None:
    """Solve for the minimum-TCO plan and write the procurement report."""
    started = time.perf_counter()
    from tco.scenario.optimize import make_engine
    from tco.solve.interrupt import handle_sigint

    _json_path_ok(json_path, path)  # a refused JSON path gets no JSON written to it
    with handle_sigint(), _status_line() as progress:
        try:
            report = _report_path(path, output)
            progress(f"reading {path.name}")
            inputs = load_inputs(path)
        except InputError as exc:
            _input_error_json(json_path, exc)
            raise
        engine = make_engine(inputs, time_limit, mip_gap, started=started)
        engine.progress = progress
        _optimize(engine, inputs, report, json_path, time_limit, not no_alternatives)


@contextlib.contextmanager
def _status_line() -> Iterator[Callable[[str], None]]:
    """A live status line on stderr when it is a terminal (stage, incumbent and gap,
    alternatives k/n); nothing at all when stderr is piped or captured."""
    if not err.is_terminal:
        yield lambda _: None
        return
    started = time.perf_counter()
    with err.status("starting") as status:

        def show(text: str) -> None:
            status.update(f"{text}  [{time.perf_counter() - started:,.0f} s]")

        yield show


def _optimize(
    engine: Any,
    inputs: Any,
    report: Path,
    json_path: str | None,
    time_limit: float | None,
    alternatives: bool,
) -> None:
    """Solve, write, and exit with the code the outcome deserves (Ctrl-C handled)."""
    from tco.report.explain import why_lines
    from tco.report.summary import json_summary, no_plan_reason, text_summary
    from tco.report.workbook import write_report
    from tco.scenario.alternatives import compute_alternatives

    result = engine.solve()
    payload = json_summary(inputs, result)
    if result.plan is None:
        # Without a plan there is no summary to carry them (a plan's warnings start with them).
        _print_warnings(inputs.warnings)
    if result.status == "interrupted" and result.plan is None:
        err.print("INTERRUPTED before a plan was found; nothing was written", markup=False)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.status == "infeasible":
        err.print("INFEASIBLE: no plan meets every target and limit:", markup=False)
        for line in result.diagnosis:
            for text in _bullet(line):
                err.print(text, markup=False, soft_wrap=True)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_INFEASIBLE)
    if result.status == "no_solution":
        err.print(f"NO PLAN: {no_plan_reason(result)}", markup=False)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_NOT_OPTIMAL)
    if result.plan is None:
        raise RuntimeError(f"solver failed: {result.outcome.message if result.outcome else ''}")
    plan = result.plan
    limit = min(float(time_limit or inputs.site.time_limit_s), 10.0)
    # A fleet plan is one model per scenario over every year: its alternatives are not
    # re-solved (the report's Timeline and CashFlow take their place).
    alts = compute_alternatives(engine, plan, limit) if alternatives and plan.fleet is None else []
    # The summary covers the whole run, the alternatives' solves included.
    result.timings_s = dict(engine.timings)
    payload = json_summary(inputs, result)
    report.parent.mkdir(parents=True, exist_ok=True)
    engine.progress(f"writing {report.name}")
    write_report(report, inputs, plan, alts)
    for line in text_summary(inputs, result):
        err.print(line, markup=False, soft_wrap=True)
    for line in why_lines(inputs, plan, alts):
        err.print(line, markup=False, soft_wrap=True)
    err.print(f"report: {report}", markup=False)
    _write_json(json_path, payload)
    if plan.status != "optimal":
        gap = f"{plan.mip_gap:.2%}" if plan.mip_gap is not None else "unknown"
        why = "INTERRUPTED" if plan.status == "interrupted" else "NOT PROVEN OPTIMAL"
        err.print(f"{why}: gap {gap}; the report is marked as such", markup=False)
        raise typer.Exit(EXIT_NOT_OPTIMAL)


# ---------------------------------------------------------------- tco compare
@app.command(cls=_Command)
@guarded
def compare(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...", help="Input workbooks to solve, or tco reports to read back"
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="OUT",
            help="Comparison workbook (.xlsx; default outputs/compare.xlsx)",
        ),
    ] = None,
    json_path: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="PATH",
            help="Write the list of summaries (each with its input) to PATH, or - for stdout",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit", min=0.01, metavar="SECONDS", help="Seconds for each input's solve"
        ),
    ] = None,
    mip_gap: Annotated[
        float | None,
        typer.Option("--mip-gap", min=0.0, max=1.0, metavar="GAP", help="Relative optimality gap"),
    ] = None,
) -> None:
    """Compare plans side by side: inputs are solved, reports read back.

    Every file is read and checked before anything is solved: one that cannot
    be used stops the run (exit 2, nothing written). The exit code is the worst
    of the inputs' (as tco optimize would give each); the workbook is written
    whenever at least one plan was found.
    """
    from tco.compare.entry import json_entry
    from tco.compare.load import EXIT_INTERRUPTED, name_uniquely, open_all, solve, worst
    from tco.compare.screen import table
    from tco.compare.sentences import differences
    from tco.compare.workbook import write_comparison
    from tco.solve.interrupt import INTERRUPT, handle_sigint

    out = output if output is not None else Path("outputs") / "compare.xlsx"
    for path in paths:
        _output_path_ok(out, ".xlsx", path, create=output is None)
        _json_path_ok(json_path, path)
    opened = open_all(paths)
    entries = []
    with handle_sigint(), _status_line() as progress:
        for k, item in enumerate(opened, start=1):
            step = f"[{k}/{len(opened)}] {item.path.name}"
            started = time.perf_counter()
            if item.entry is not None:
                entry = item.entry
                err.print(f"{step}: read from the report", markup=False)
            else:
                err.print(f"{step}: solving", markup=False)
                entry = solve(item, time_limit, mip_gap, progress)
            if INTERRUPT.requested:
                err.print("INTERRUPTED; nothing was written", markup=False)
                raise typer.Exit(EXIT_INTERRUPTED)
            tco = entry.summary.get("tco")
            cost = f", TCO {tco:,.0f} {entry.currency}" if tco is not None else ""
            seconds = time.perf_counter() - started
            err.print(f"{step}: {entry.summary['status']}{cost} ({seconds:,.1f} s)", markup=False)
            entries.append(entry)
    name_uniquely(entries)
    payload = [json_entry(e) for e in entries]
    if any(e.has_plan for e in entries):
        out.parent.mkdir(parents=True, exist_ok=True)
        write_comparison(out, entries)
        Console(stderr=True, highlight=False, width=max(err.width, 100)).print(
            table(entries), markup=False
        )
        for line in differences(entries):
            for text in _bullet(line):
                err.print(text, markup=False, soft_wrap=True)
        err.print(f"comparison: {out}", markup=False)
    else:
        err.print("no input has a plan; no comparison was written", markup=False)
    _write_json(json_path, payload)
    code = worst([e.exit_code for e in entries])
    if code:
        raise typer.Exit(code)


@app.command(cls=_Command)
@guarded
def risk(
    path: Annotated[Path, _INPUT],
    samples: Annotated[
        int, typer.Option("-n", "--samples", min=1, metavar="N", help="Monte Carlo samples")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", metavar="S", help="Sampling seed")] = 1,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, metavar="K", help="Local worker processes (default: core count)"
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run the batches on a Dask distributed cluster (tcp://HOST:PORT)",
        ),
    ] = None,
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            metavar="mean|p90|cvar90|max-regret",
            help="What the robust plan minimises",
        ),
    ] = "p90",
    reliability: Annotated[
        float,
        typer.Option(
            "--reliability",
            min=0.0,
            max=1.0,
            metavar="R",
            help="Share of samples in which the robust plan must meet every target and limit",
        ),
    ] = 0.95,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="REPORT",
            help="Report path (.xlsx; default outputs/INPUT-risk.xlsx)",
        ),
    ] = None,
    json_path: Annotated[str | None, _JSON_SUMMARY] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.01,
            metavar="SECONDS",
            help="Seconds for the whole run; past it the samples done are written, marked partial",
        ),
    ] = None,
) -> None:
    """Carry the Uncertainty ranges into the decision: Monte Carlo samples, win
    probabilities, a robust plan, a tornado and switching card prices."""
    started = time.perf_counter()
    from tco.risk.analysis import risk_unsupported
    from tco.risk.statistics import CRITERIA
    from tco.scenario.optimize import make_engine
    from tco.solve.interrupt import handle_sigint

    if criterion not in CRITERIA:
        raise InputError.single(f"--criterion {criterion!r}: choose one of {', '.join(CRITERIA)}")
    _json_path_ok(json_path, path)
    with handle_sigint():
        try:
            report = _report_path(path, output, "risk")
            inputs = load_inputs(path)
        except InputError as exc:
            _input_error_json(json_path, exc)
            raise
        if not inputs.uncertainty:
            raise InputError.single(
                f"{path}: the Uncertainty sheet has no rows; tco risk needs ranges to sample"
            )
        unsupported = risk_unsupported(inputs)
        if unsupported is not None:
            raise InputError.single(f"{path}: {unsupported}")
        engine = make_engine(inputs, time_limit, None, started=started)
        _risk(
            engine,
            inputs,
            report,
            json_path,
            started,
            time_limit,
            dict(
                samples=samples,
                seed=seed,
                workers=workers or os.cpu_count() or 1,
                scheduler=scheduler,
                criterion=criterion,
                reliability=reliability,
            ),
        )


def _risk(
    engine: Any,
    inputs: Any,
    report: Path,
    json_path: str | None,
    started: float,
    time_limit: float | None,
    settings: dict[str, Any],
) -> None:
    """The nominal plan, the risk stages on the backend, the report; exit as `optimize`."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from tco.report.explain import why_lines
    from tco.report.summary import json_summary, no_plan_reason, text_summary
    from tco.report.workbook import write_report
    from tco.risk.analysis import run_risk
    from tco.risk.answers import risk_json, sentences
    from tco.scenario.alternatives import compute_alternatives
    from tco.solve.interrupt import INTERRUPT

    err.print("solving the nominal plan", markup=False)
    result = engine.solve()
    payload = json_summary(inputs, result)
    if result.status == "infeasible":
        err.print("INFEASIBLE: the nominal inputs have no plan; nothing to sample:", markup=False)
        for line in result.diagnosis:
            for text in _bullet(line):
                err.print(text, markup=False, soft_wrap=True)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_INFEASIBLE)
    if result.plan is None:
        err.print(f"NO PLAN: {no_plan_reason(result)}", markup=False)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_INTERRUPTED if result.status == "interrupted" else EXIT_NOT_OPTIMAL)
    plan = result.plan
    alts = compute_alternatives(engine, plan, min(float(inputs.site.time_limit_s), 10.0))
    deadline = None if time_limit is None else started + time_limit
    why: list[str] = []

    def stopped() -> bool:
        if INTERRUPT.requested:
            why[:] = ["interrupted (Ctrl-C)"]
            return True
        if deadline is not None and time.perf_counter() >= deadline:
            why[:] = [f"the {time_limit:,g} s time limit"]
            return True
        return False

    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    tasks: dict[str, Any] = {}
    began: dict[str, float] = {}
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, rate="")
                began[stage] = time.perf_counter()
            spent = time.perf_counter() - began[stage]
            rate = f"{done / spent:,.1f}/s" if spent > 0 and done else ""
            bar.update(tasks[stage], completed=done, rate=rate)
            if done == total and not err.is_terminal:
                err.print(f"{stage}: {done:,} done in {spent:,.1f} s", markup=False)

        outcome = run_risk(
            inputs,
            plan,
            settings["samples"],
            settings["seed"],
            workers=settings["workers"],
            pool=settings["workers"] > 1,
            scheduler=settings["scheduler"],
            criterion=settings["criterion"],
            reliability=settings["reliability"],
            stopped=stopped,
            progress=progress,
        )
    if outcome.partial and why and outcome.stopped in (None, "stopped"):
        outcome.stopped = why[0]
    result.timings_s = dict(engine.timings)
    payload = json_summary(inputs, result)
    payload["risk"] = risk_json(outcome)
    report.parent.mkdir(parents=True, exist_ok=True)
    write_report(report, inputs, plan, alts, outcome)
    for line in text_summary(inputs, result):
        err.print(line, markup=False, soft_wrap=True)
    for line in why_lines(inputs, plan, alts):
        err.print(line, markup=False, soft_wrap=True)
    err.print("risk:", markup=False)
    for line in sentences(inputs, outcome):
        err.print(f"  {line}", markup=False, soft_wrap=True)
    for note in outcome.notes:
        err.print(f"note: {note}", markup=False, soft_wrap=True)
    err.print(
        f"{outcome.samples:,} samples in {outcome.seconds:,.1f} s on {outcome.backend}",
        markup=False,
    )
    err.print(f"report: {report}", markup=False)
    _write_json(json_path, payload)
    if outcome.partial:
        err.print(
            f"PARTIAL: {outcome.samples:,} of {outcome.samples_requested:,} samples "
            f"({outcome.stopped}); the report and JSON are marked partial",
            markup=False,
        )
        raise typer.Exit(EXIT_NOT_OPTIMAL)
    if plan.status != "optimal":
        err.print("NOT PROVEN OPTIMAL: the nominal plan's gap is not closed", markup=False)
        raise typer.Exit(EXIT_NOT_OPTIMAL)
