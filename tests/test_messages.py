"""Messages a planner reads (issue 12, item 14): causes said once per chip, long lists
capped and wrapped, only the root error of a bad row, "did you mean" for sheet and
column names, and rows hidden in Excel reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner, Result

from tco.cli import app
from tco.errors import InputError
from tco.io.reader import read_workbook
from tco.io.template import write_workbook
from tco.model.options import build_options
from tco.scenario.alternatives import infeasible_reason
from tco.scenario.optimize import optimize
from tco.schema.fields import CHIPS
from tco.schema.inputs import inputs_from_dicts, validate_workbook
from tco.solve.diagnose import diagnose
from tco.text import WIDTH, capped, close_match

from factory import CHIP, COOLING, DOMESTIC, FABRIC, INFERENCE, MODEL, SITE, TRAINING, make_inputs
from factory import sheets as base_sheets

runner = CliRunner()

#: 20,000 B parameters: no chip holds its training state with any layout.
HUGE = dict(
    MODEL,
    model_id="huge",
    params_b=20000,
    active_params_b=20000,
    layers=200,
    hidden=32768,
    heads=256,
    kv_heads=8,
)
LIQUID = dict(COOLING, cooling_id="liquid", technology="cold-plate liquid", max_rack_kw=120)


def fabrics(n: int) -> list[dict[str, Any]]:
    return [dict(FABRIC, fabric_id=f"fabric-{i}") for i in range(n)]


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    return result


# --------------------------------------------------------------- infeasibility causes


def test_a_cause_shared_by_every_fabric_and_cooling_is_said_once_per_chip() -> None:
    inputs = make_inputs(
        Models=[MODEL, HUGE],
        Workloads=[dict(TRAINING, model_id="huge")],
        Fabrics=fabrics(3),
        Cooling=[COOLING, LIQUID],
    )
    result = optimize(inputs, time_limit_s=30)
    assert result.status == "infeasible"
    (reason,) = result.diagnosis
    head, *chips = reason.split("\n")
    assert head == "workload train has no workable chip/fabric/cooling option:"
    assert [line.partition(":")[0] for line in chips] == ["h100", "ascend"]
    assert "does not fit h100" in chips[0] and "does not fit ascend" in chips[1]
    assert reason.count("does not fit") == 2
    assert "fabric-" not in reason


def test_a_chip_no_fabric_serves_is_reported_as_such() -> None:
    inputs = make_inputs(
        Workloads=[dict(TRAINING, allowed_chips="h100")],
        Fabrics=[dict(FABRIC, compatible_chips="ascend")],
    )
    result = optimize(inputs, time_limit_s=30)
    assert result.status == "infeasible"
    (reason,) = result.diagnosis
    assert "h100: no compatible fabric" in reason
    assert "no allowed chip" not in reason


def test_strict_causes_when_the_elastic_model_names_no_limit() -> None:
    # The elastic model of a feasible workbook names nothing; the strict options the
    # failed solve used (here: the same workload on a model no chip holds) must then
    # explain it rather than "no single limit explains it".
    feasible = make_inputs(Workloads=[TRAINING])
    no_fit = make_inputs(Models=[MODEL, HUGE], Workloads=[dict(TRAINING, model_id="huge")])
    elastic = build_options(feasible, elastic=True)
    assert diagnose(feasible, 30, elastic) == [
        "no plan meets every target and limit, but no single limit explains it"
    ]
    (reason,) = diagnose(feasible, 30, elastic, build_options(no_fit))
    assert reason.startswith("workload train has no workable chip/fabric/cooling option:\n")
    assert "\nh100 on ib: model huge training state" in reason
    assert "\nascend on ib: model huge training state" in reason


def many_chips(n: int) -> list[dict[str, Any]]:
    return [dict(CHIP, chip_id=f"chip-{i:02d}", name=f"Chip {i}") for i in range(n)]


def test_many_failing_chips_give_a_short_wrapped_message(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    sheets = base_sheets(
        Chips=many_chips(20),
        Fabrics=fabrics(10),
        Models=[MODEL, HUGE],
        Workloads=[dict(TRAINING, model_id="huge")],
    )
    write_workbook(path, sheets, SITE)
    result = run("optimize", str(path), "-o", str(tmp_path / "r.xlsx"), "--json", "-")
    assert result.exit_code == 3, result.output
    assert len(result.stderr) < 2048, result.stderr
    assert "and 12 more" in result.stderr
    lines = result.stderr.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, result.stderr
    for i in range(8):
        assert sum(f"chip-{i:02d}: model huge" in line for line in lines) == 1
    assert "chip-08" not in result.stderr
    (reason,) = json.loads(result.stdout)["diagnosis"]
    assert reason.endswith("\nand 12 more")


def test_capped_lists_end_with_and_n_more() -> None:
    assert capped(["a", "b"], 2) == ["a", "b"]
    assert capped([str(i) for i in range(11)], 8) == [*map(str, range(8)), "and 3 more"]


def test_alternatives_count_what_a_capped_list_left_off() -> None:
    inputs = make_inputs()
    line = "workload chat has no workable option: a: x; b: y; c: z; and 5 more"
    reason = infeasible_reason(inputs, "cooling", "air", [line])
    assert reason == "workload chat has no workable option: a: x; b: y; and 6 more"


# --------------------------------------------------------------- root errors only


def issues(sheets: dict[str, list[dict[str, Any]]]) -> list[str]:
    with pytest.raises(InputError) as caught:
        inputs_from_dicts(sheets, SITE)
    return [str(i) for i in caught.value.issues]


ROOT = "Sheet 'Chips', row 3, column S (tdp_w): must be a number, got 'lots'"


@pytest.mark.parametrize(
    "overrides",
    [
        # named in an allow-list, a fabric's compatible_chips and an Uncertainty range
        dict(
            Workloads=[dict(INFERENCE, allowed_chips="h100")],
            Fabrics=[dict(FABRIC, compatible_chips="h100")],
            Uncertainty=[dict(sheet="Chips", row_id="h100", field="tdp_w", low=1, high=900)],
        ),
        # the only chip: a blank allow-list would find no chip at all
        dict(Chips=[CHIP]),
        # the only fp8 chip: "precision fp8 is supported by none" would follow
        dict(Workloads=[dict(INFERENCE, precision="fp8")]),
    ],
    ids=["references", "only-chip", "only-fp8-chip"],
)
def test_a_bad_chip_cell_reports_only_the_root_error(overrides: dict[str, Any]) -> None:
    sheets = base_sheets(**overrides)
    sheets["Chips"][0]["tdp_w"] = "lots"
    assert sheets["Chips"][0]["chip_id"] == "h100"
    assert issues(sheets) == [ROOT]


def test_a_bad_model_row_named_by_an_uncertainty_range_is_not_unknown() -> None:
    sheets = base_sheets(
        Uncertainty=[dict(sheet="Models", row_id="llama-2-70b", field="params_b", low=60, high=80)]
    )
    sheets["Models"][0]["layers"] = "eighty"
    found = issues(sheets)
    assert len(found) == 1 and "must be a number, got 'eighty'" in found[0], found


# --------------------------------------------------------------- did you mean


def workbook(tmp_path: Path, change: Callable[[Workbook], None]) -> Path:
    path = tmp_path / "input.xlsx"
    write_workbook(path, base_sheets(), SITE)
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def renamed(old: str, new: str) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        # Via another title: openpyxl dedupes a title equal to the sheet's own but for case.
        wb[old].title = "renaming"
        wb["renaming"].title = new

    return change


def validate_errors(path: Path) -> str:
    result = run("validate", str(path))
    assert result.exit_code == 2, result.output
    return result.stderr


@pytest.mark.parametrize("found", ["chips", "Chips ", "CHIPS", "Chip"])
def test_a_misnamed_required_sheet_gets_did_you_mean(tmp_path: Path, found: str) -> None:
    path = workbook(tmp_path, renamed("Chips", found))
    stderr = validate_errors(path)
    assert (
        f"Sheet 'Chips' is missing, but the workbook has a sheet named {found!r}: "
        "did you mean 'Chips'?"
    ) in stderr, stderr


def test_a_misnamed_optional_sheet_is_not_silently_ignored(tmp_path: Path) -> None:
    path = workbook(tmp_path, renamed("Uncertainty", "uncertainty"))
    stderr = validate_errors(path)
    assert "a sheet named 'uncertainty': did you mean 'Uncertainty'?" in stderr, stderr


def test_a_planners_own_sheet_is_no_error(tmp_path: Path) -> None:
    path = workbook(tmp_path, lambda wb: wb.create_sheet("Fixes"))
    assert run("validate", str(path)).exit_code == 0


def test_a_header_in_other_case_gets_did_you_mean(tmp_path: Path) -> None:
    column = CHIPS.keys.index("tdp_w") + 1

    def change(wb: Workbook) -> None:
        wb["Chips"].cell(1, column).value = "TDP_W"

    stderr = validate_errors(workbook(tmp_path, change))
    assert "unknown column key 'TDP_W' (did you mean 'tdp_w'?)" in stderr, stderr


def test_an_unknown_site_key_gets_did_you_mean() -> None:
    with pytest.raises(InputError) as caught:
        inputs_from_dicts(base_sheets(), {**SITE, "power_budget": 500})
    (issue,) = caught.value.issues
    assert issue.message == "unknown key 'power_budget'; did you mean 'power_budget_kw'?"


def test_close_match_prefers_case_and_space_equality() -> None:
    assert close_match("fabrics ", ["Chips", "Fabrics"]) == "Fabrics"
    assert close_match("Chip", ["Chips", "FX"]) == "Chips"
    assert close_match("Budget", ["Chips", "FX"]) is None


# --------------------------------------------------------------- hidden rows


def test_hidden_rows_are_used_and_reported(tmp_path: Path) -> None:
    third = dict(CHIP, chip_id="h200", name="H200", memory_gb=141)

    def change(wb: Workbook) -> None:
        wb["Chips"].row_dimensions[3].hidden = True
        wb["Chips"].row_dimensions[5].hidden = True
        wb["Chips"].row_dimensions[40].hidden = True  # no data there: not reported

    path = tmp_path / "input.xlsx"
    write_workbook(path, base_sheets(Chips=[CHIP, DOMESTIC, third]), SITE)
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    inputs = validate_workbook(read_workbook(path))
    assert list(inputs.chips) == ["h100", "ascend", "h200"]
    warning = (
        "Sheet 'Chips': rows 3, 5 are hidden in Excel; they are used (unhide them to check them)"
    )
    assert warning in inputs.warnings
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output
    assert f"warning: {warning}" in result.stderr


def test_one_hidden_site_row_is_reported(tmp_path: Path) -> None:
    path = workbook(tmp_path, lambda wb: setattr(wb["Site"].row_dimensions[3], "hidden", True))
    inputs = validate_workbook(read_workbook(path))
    assert any(
        w.startswith("Sheet 'Site': row 3 is hidden in Excel; it is used") for w in inputs.warnings
    ), inputs.warnings


@pytest.mark.parametrize("lock", [".~lock.site.xlsx#", "~$site.xlsx"])
def test_a_workbook_open_in_an_office_suite_is_read_with_a_warning(
    tmp_path: Path, lock: str
) -> None:
    """A lock file beside the workbook (LibreOffice's or Excel's) means unsaved edits may be
    on screen only: the run goes on, on the file as saved, and says so."""
    path = tmp_path / "site.xlsx"
    write_workbook(path, base_sheets(), SITE)
    assert not validate_workbook(read_workbook(path)).warnings
    (tmp_path / lock).write_text("lock")
    (warning,) = validate_workbook(read_workbook(path)).warnings
    assert f"site.xlsx looks open in an office suite ({lock} beside it)" in warning
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "looks open in an office suite" in result.output
