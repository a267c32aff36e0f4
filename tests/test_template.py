"""The template, the example workbook and the docs are generated from the field table."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tco.cli import app
from tco.data.examples import EXAMPLE_PATH, TEMPLATE_PATH, write_bundled
from tco.schema.docs import DOCS_PATH, render_markdown
from tco.schema.fields import SHEETS, SITE
from tco.schema.rows_gen import ROWS_PATH, render_rows

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb}


def _validations(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb:
        out[ws.title] = sorted(
            (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2)
            for dv in ws.data_validations.dataValidation
        )
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundled")
    (root / "templates").mkdir()
    (root / "inputs").mkdir()
    write_bundled(root)
    return root


@pytest.mark.parametrize("relative", [TEMPLATE_PATH, EXAMPLE_PATH])
def test_committed_workbooks_match_the_generator(generated: Path, relative: Path) -> None:
    committed = ROOT / relative
    fresh = generated / relative
    assert _cells(committed) == _cells(fresh), f"run `make template` to refresh {relative}"
    assert _validations(committed) == _validations(fresh)


def test_cli_template_matches_committed_template(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert _cells(out) == _cells(ROOT / TEMPLATE_PATH)
    assert _validations(out) == _validations(ROOT / TEMPLATE_PATH)
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0, check.output
    assert "25 Chips" in check.output


def test_docs_match_the_field_table() -> None:
    assert (ROOT / DOCS_PATH).read_text(encoding="utf-8") == render_markdown()


def test_row_classes_match_the_field_table() -> None:
    """The committed typed rows are what `python -m tco.schema.rows_gen` writes, byte for byte."""
    assert ROWS_PATH.read_bytes() == render_rows().encode("utf-8")


def test_template_layout(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    runner.invoke(app, ["template", str(out)])
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "README"
    assert wb.sheetnames[1:] == [s.name for s in SHEETS]
    readme = "\n".join(str(r[0]) for r in wb["README"].iter_rows(values_only=True) if r[0])
    assert "placeholder" in readme.lower() and "Uncertainty" in readme
    for sheet in SHEETS:
        ws = wb[sheet.name]
        assert ws.freeze_panes == "B3"
        if sheet is SITE:
            assert [ws.cell(r, 1).value for r in range(3, 3 + len(SITE.fields))] == list(SITE.keys)
            continue
        assert [c.value for c in ws[1]] == list(sheet.keys)
        assert all(c.value and c.value.startswith("[") for c in ws[2])
        validated = {
            str(dv.sqref).split(":")[0].rstrip("0123456789")
            for dv in ws.data_validations.dataValidation
        }
        for col, field in enumerate(sheet.fields, start=1):
            letter = openpyxl.utils.get_column_letter(col)
            wants = (
                field.type in ("bool", "enum")
                or field.is_numeric
                or (field.type == "str" and field.ref is not None)
            )
            assert (letter in validated) == wants, (sheet.name, field.key)


def test_reference_dropdown_points_at_the_id_column(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    runner.invoke(app, ["template", str(out)])
    ws = openpyxl.load_workbook(out)["Workloads"]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "'Models'!$A$3:$A$502" in formulas


def test_example_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(ROOT / EXAMPLE_PATH)])
    assert result.exit_code == 0, result.output
    from tco.io.reader import read_workbook
    from tco.schema.availability import EXPORT_RESTRICTED, unavailable_reason
    from tco.schema.inputs import validate_workbook

    inputs = validate_workbook(read_workbook(ROOT / EXAMPLE_PATH))
    assert inputs.site.power_budget_kw == 10000
    assert inputs.site.min_domestic_share == 0.5
    # Export control drops the restricted chips the site holds none of, with the reason;
    # its H800 stock and H20 licence are the explicit override (DESIGN 3.6).
    assert (inputs.site.region, inputs.site.allow_restricted) == ("cn", True)
    for chip in ("h100", "h200", "b100", "b200", "gb200", "a100", "a800"):
        reason = unavailable_reason(inputs.chips[chip], inputs.site)
        assert reason is not None and reason.startswith(EXPORT_RESTRICTED), chip
    for chip in ("h800", "h20"):
        assert inputs.chips[chip].export_class == "restricted-cn"
        assert inputs.chips[chip].available is True and inputs.chips[chip].max_cards
        assert unavailable_reason(inputs.chips[chip], inputs.site) is None
    train = inputs.workloads["pretrain-70b"]
    assert (train.kind, train.train_tokens_b, train.deadline_days, train.precision) == (
        "training",
        2000,
        90,
        "bf16",
    )
    serve = inputs.workloads["serve-qwen72b"]
    assert (serve.target_tokens_per_s, serve.max_tpot_ms, serve.max_ttft_ms) == (20000, 50, 2000)


def test_output_path_refused_when_folder_missing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", str(tmp_path / "nope" / "t.xlsx")])
    assert result.exit_code == 2
    assert not (tmp_path / "nope").exists()
