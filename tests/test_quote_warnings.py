"""A real quote outside its published range: accepted, the range widened, the planner warned
wherever the inputs or a plan are shown (`tco validate`, the plan, the report's Summary)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from tco.cli import app
from tco.io.template import write_workbook
from tco.report.workbook import write_report
from tco.scenario.optimize import optimize

from factory import CHIP, DOMESTIC, SITE, make_inputs, sheets

runner = CliRunner()

#: The H100's card price is quoted at 31,000, above the published 25,000-30,000.
QUOTE = dict(CHIP, card_price=31000)
PRICE_RANGE = dict(sheet="Chips", row_id="h100", field="card_price", low=25000, high=30000)
WARNING = (
    "Sheet 'Chips', row 3, column T (card_price): h100: 31,000 USD is outside the Uncertainty "
    "range 25,000-30,000 USD (Uncertainty row 3); the range is widened to 25,000-31,000 USD"
)


def test_validate_accepts_the_quote_and_prints_the_warning(tmp_path: Path) -> None:
    path = tmp_path / "quote.xlsx"
    write_workbook(path, sheets(Chips=[QUOTE, DOMESTIC], Uncertainty=[PRICE_RANGE]), SITE)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {WARNING}" in " ".join(result.output.split())
    assert "; 1 warning\n" in result.output


def test_the_plan_and_the_report_summary_carry_the_warning(tmp_path: Path) -> None:
    inputs = make_inputs(Chips=[QUOTE, DOMESTIC], Uncertainty=[PRICE_RANGE])
    result = optimize(inputs)
    assert result.plan is not None
    assert result.plan.warnings[0] == WARNING
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, result.plan, [])
    summary = openpyxl.load_workbook(path)["Summary"]
    assert WARNING in [row[0] for row in summary.iter_rows(values_only=True)]
