"""What a long run tells the user while it works (issue 12, item 13)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tco.cli import app, load_inputs
from tco.scenario.optimize import make_engine

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_the_engine_reports_each_stage_and_the_incumbents() -> None:
    engine = make_engine(load_inputs(EXAMPLE))
    said: list[str] = []
    engine.progress = said.append
    assert engine.solve().status == "optimal"
    stages = [line.split(":")[0] for line in said]
    assert stages[:3] == ["performance model", "building the model", "solving"], said
    assert any("best plan so far" in line for line in said), said


def test_a_piped_run_prints_no_status_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["optimize", str(EXAMPLE), "-o", str(tmp_path / "r.xlsx"), "--no-alternatives"]
    )
    assert result.exit_code == 0, result.output
    assert "best plan so far" not in result.output and "building the model" not in result.output
