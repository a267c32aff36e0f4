"""The `tco` command line (typer). No business logic: parse, call, print, exit.

Exit codes (DESIGN 3.2): 0 success; 2 input problem; 3 infeasible; 4 solver
stopped without a proven optimum; 1 unexpected internal error. No traceback
reaches the user for 2-4; set TCO_DEBUG=1 to see one for exit 1.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from tco.errors import InputError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NOT_OPTIMAL = 4

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
            err.print(f"{len(exc.issues)} input problem(s); nothing was written.", markup=False)
            raise typer.Exit(EXIT_INPUT) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(EXIT_INTERNAL) from None
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


def _output_path_ok(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError.single(f"{path}: the folder {folder} does not exist")
    if path.suffix.lower() != ".xlsx":
        raise InputError.single(f"{path}: the output must be an .xlsx file")


@app.command()
@guarded
def template(path: Annotated[Path, typer.Argument(help="Where to write the template")]) -> None:
    """Write the blank input template, prefilled with the default catalog."""
    from tco.examples import template_sheets, template_site
    from tco.io.template import write_workbook

    _output_path_ok(path)
    write_workbook(path, template_sheets(), template_site())
    err.print(f"wrote {path}", markup=False)


def load_inputs(path: Path) -> Any:
    """Read and validate; the only way commands get `PlanningInputs`."""
    from tco.inputs import validate_workbook
    from tco.io.reader import read_workbook

    return validate_workbook(read_workbook(path))


@app.command()
@guarded
def validate(path: Annotated[Path, typer.Argument(help="Input workbook (.xlsx)")]) -> None:
    """Read and validate an input workbook; print every problem (exit 0 or 2)."""
    inputs = load_inputs(path)
    counts = ", ".join(f"{n} {name}" for name, n in inputs.row_counts().items())
    typer.echo(f"{path.name}: OK ({counts})")


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

    inputs = load_inputs(path)
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
    if json_path == "-":
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        Console(stderr=True).print(render_table(results))
        return
    if json_path is not None:
        Path(json_path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    Console().print(render_table(results))
