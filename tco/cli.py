"""The `tco` command line (typer). No business logic: parse, call, print, exit.

Exit codes (DESIGN 3.2): 0 success; 2 input problem; 3 infeasible; 4 solver
stopped without a proven optimum; 1 unexpected internal error. No traceback
reaches the user for 2-4; set TCO_DEBUG=1 to see one for exit 1.
"""

from __future__ import annotations

import contextlib
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

from tco.errors import InputError, OutputError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NOT_OPTIMAL = 4
#: Ctrl-C without a plan to write (the shell's 128 + SIGINT).
EXIT_INTERRUPTED = 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Plan AI accelerator clusters at minimum total cost of ownership.",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


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
            err.print(f"{len(exc.issues)} {kind} problem(s); nothing was written.", markup=False)
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


@app.command()
@guarded
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the template")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file at PATH")
    ] = False,
) -> None:
    """Write the blank input template, prefilled with the default catalog."""
    from tco.data.examples import template_sheets, template_site
    from tco.io.template import write_workbook

    _output_path_ok(path)
    if path.exists() and not force:
        # It may be a filled-in workbook: replacing it would lose the planner's work.
        raise OutputError.single(
            f"{path}: the file exists; pass --force to replace it with a blank template"
        )
    write_workbook(path, template_sheets(), template_site())
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


@app.command()
@guarded
def validate(path: Annotated[Path, typer.Argument(help="Input workbook (.xlsx)")]) -> None:
    """Read and validate an input workbook; print every problem and warning (exit 0 or 2).

    Values accepted with a word (a quote outside its range, a value that looks
    implausible) are printed as warnings; they do not change the exit code.
    """
    inputs = load_inputs(path)
    _print_warnings(inputs.warnings)
    counts = ", ".join(f"{n} {name}" for name, n in inputs.row_counts().items())
    warned = f"; {len(inputs.warnings)} warning(s)" if inputs.warnings else ""
    typer.echo(f"{path.name}: OK ({counts}){warned}")


@app.command()
@guarded
def estimate(
    path: Annotated[Path, typer.Argument(help="Input workbook (.xlsx)")],
    workload: Annotated[str | None, typer.Option(help="Only this workload id")] = None,
    chip: Annotated[str | None, typer.Option(help="Only this chip id")] = None,
    fabric: Annotated[str | None, typer.Option(help="Only this fabric id")] = None,
    cards: Annotated[int | None, typer.Option(min=1, help="Evaluate training at N cards")] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write JSON to PATH, or - for stdout")
    ] = None,
) -> None:
    """Performance estimates per workload x chip x fabric, without optimising."""
    from tco.perf.estimate import estimate as run_estimate
    from tco.perf.estimate import render_table

    _json_path_ok(json_path, path)
    inputs = load_inputs(path)
    _print_warnings(inputs.warnings)
    for kind, value, known in (
        ("workload", workload, inputs.workloads),
        ("chip", chip, inputs.chips),
        ("fabric", fabric, inputs.fabrics),
    ):
        if value is not None and value not in known:
            raise InputError.single(
                f"--{kind} {value!r} is not in the workbook; known: {', '.join(known)}"
            )
    results = run_estimate(
        inputs, workload_id=workload, chip_id=chip, fabric_id=fabric, cards=cards
    )
    payload = [r.to_json() for r in results]
    # The table has 16 columns: never squeeze it below 170 characters, even in a pipe.
    width = max(170, Console().size.width)
    _write_json(json_path, payload)
    Console(stderr=json_path == "-", width=width).print(render_table(results))


def _bullet(reason: str) -> list[str]:
    """One diagnosis reason as printed lines of at most `WIDTH` characters: its first
    line as a bullet, each further line (one chip's cause) indented below it."""
    from tco.text import wrapped

    first, *rest = reason.split("\n")
    lines = wrapped(first, "  - ", "    ")
    for part in rest:
        lines += wrapped(part, "      ", "        ")
    return lines


def _report_path(input_path: Path, output: Path | None) -> Path:
    """-o, or outputs/<input stem>-report.xlsx (the folder is created when the report is)."""
    report = output if output is not None else Path("outputs") / f"{input_path.stem}-report.xlsx"
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


@app.command()
@guarded
def optimize(
    path: Annotated[Path, typer.Argument(help="Input workbook (.xlsx)")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Report path (default outputs/<input>-report.xlsx)"),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the JSON summary to PATH, or - for stdout")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.01,
            help="Seconds for the whole run: performance model, model build, every solve and "
            "the alternatives (each at most 10 s of what is left)",
        ),
    ] = None,
    mip_gap: Annotated[
        float | None, typer.Option("--mip-gap", min=0.0, max=1.0, help="Relative optimality gap")
    ] = None,
    alternatives: Annotated[
        bool,
        typer.Option(help="Also solve the forced-chip/fabric/cooling alternatives for the report"),
    ] = True,
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
            issues = [str(i) for i in exc.issues]
            _write_json(json_path, {"status": "input_error", "diagnosis": issues})
            raise
        engine = make_engine(inputs, time_limit, mip_gap, started=started)
        engine.progress = progress
        _optimize(engine, inputs, report, json_path, time_limit, alternatives)


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
    from tco.report.summary import json_summary, text_summary
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
        outcome = result.outcome
        why = outcome.message if outcome and outcome.message else "the solver stopped"
        err.print(f"NO PLAN: {why}, without a feasible plan; raise --time-limit", markup=False)
        _write_json(json_path, payload)
        raise typer.Exit(EXIT_NOT_OPTIMAL)
    if result.plan is None:
        raise RuntimeError(f"solver failed: {result.outcome.message if result.outcome else ''}")
    plan = result.plan
    limit = min(float(time_limit or inputs.site.time_limit_s), 10.0)
    alts = compute_alternatives(engine, plan, limit) if alternatives else []
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
