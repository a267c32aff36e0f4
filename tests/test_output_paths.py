"""Outputs are checked before any work and never replace a user's workbook (issue 12, 6, 12)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tco.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_template_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    filled = tmp_path / "mine.xlsx"
    filled.write_bytes(b"a planner's filled-in workbook")
    result = runner.invoke(app, ["template", str(filled)])
    assert result.exit_code == 2
    assert "exists; pass --force" in result.output and "1 output problem;" in result.output
    assert filled.read_bytes() == b"a planner's filled-in workbook"
    forced = runner.invoke(app, ["template", str(filled), "--force"])
    assert forced.exit_code == 0, forced.output
    assert filled.read_bytes()[:2] == b"PK"  # an xlsx (zip) now


def test_an_unwritable_report_path_is_an_output_problem_found_first(tmp_path: Path) -> None:
    folder_not_file = tmp_path / "report.xlsx"
    folder_not_file.mkdir()
    summary = tmp_path / "s.json"
    command = ["optimize", str(EXAMPLE), "-o", str(folder_not_file), "--json", str(summary)]
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert "is a folder" in result.output and "1 output problem;" in result.output
    # Found before the solve: nothing about a plan was printed.
    assert "solver:" not in result.output and "report:" not in result.output


def test_a_missing_report_folder_is_an_output_problem(tmp_path: Path) -> None:
    result = runner.invoke(app, ["optimize", str(EXAMPLE), "-o", str(tmp_path / "no" / "r.xlsx")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "output problem" in result.output
