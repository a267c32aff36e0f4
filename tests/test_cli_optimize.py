"""`tco optimize` through the CLI: exit codes 0/1/2/3/4, the JSON contract, no traceback."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bench.instances import LARGE_SITE, large_sheets
from tco.cli import app
from tco.io.template import write_workbook

from factory import INFERENCE, SITE, TRAINING, sheets

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
JSON_KEYS = {
    "status",
    "objective",
    "currency",
    "mip_gap",
    "capex",
    "opex_per_year",
    "tco",
    "it_power_kw",
    "facility_power_kw",
    "racks",
    "pools",
    "diagnosis",
}
POOL_KEYS = {
    "workload",
    "chip",
    "fabric",
    "cooling",
    "nodes",
    "cards",
    "throughput_tokens_per_s",
    "target_tokens_per_s",
    "cost_per_million_tokens",
    "run_cost",
    "dedicated_run_cost",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.xlsx"
    write_workbook(path, sheets(Workloads=[INFERENCE, TRAINING]), SITE)
    return path


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_optimize_writes_report_and_json(small: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.xlsx"
    before = digest(small)
    result = run("optimize", str(small), "-o", str(report), "--json", "-", "--no-alternatives")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # stdout carries the JSON alone
    assert set(payload) >= JSON_KEYS
    assert payload["status"] == "optimal" and payload["currency"] == "USD"
    assert payload["objective"] == pytest.approx(payload["tco"])
    assert {p["workload"] for p in payload["pools"]} == {"chat", "train"}
    for pool in payload["pools"]:
        assert set(pool) >= POOL_KEYS
        assert pool["throughput_tokens_per_s"] >= pool["target_tokens_per_s"]
        has_run = pool["workload"] == "train"  # train_tokens_b with deadline_days
        assert (pool["run_cost"] is not None) == has_run
        assert (pool["dedicated_run_cost"] is not None) == has_run
    assert report.exists() and digest(small) == before
    assert {"Summary", "Pools", "BOM"} <= set(openpyxl.load_workbook(report).sheetnames)
    assert "TCO" in result.stderr


def test_report_path_equal_to_input_is_refused(small: Path) -> None:
    before = digest(small)
    result = run("optimize", str(small), "-o", str(small))
    assert result.exit_code == 2
    assert "input is never overwritten" in result.stderr
    assert digest(small) == before


@pytest.mark.parametrize("command", ["optimize", "estimate"])
def test_json_path_equal_to_input_or_in_a_missing_folder_is_refused(
    small: Path, tmp_path: Path, command: str
) -> None:
    before = digest(small)
    result = run(command, str(small), "--json", str(small))
    assert result.exit_code == 2
    assert "the output must be a .json file" in result.stderr
    assert digest(small) == before
    copy = tmp_path / "in.json"
    copy.write_text("{}")
    result = run(command, str(copy), "--json", str(copy))
    assert result.exit_code == 2 and "the input is never overwritten" in result.stderr
    assert copy.read_text() == "{}"
    report = tmp_path / "r.xlsx"
    result = run(
        command,
        str(small),
        "--json",
        str(tmp_path / "no" / "s.json"),
        *(["-o", str(report)] if command == "optimize" else []),
    )
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not report.exists()


def test_input_error_json(tmp_path: Path) -> None:
    result = run("optimize", str(tmp_path / "missing.xlsx"), "--json", "-")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "input_error" and "file not found" in payload["diagnosis"][0]


def test_infeasible_power_budget_is_exit_3_with_diagnosis(tmp_path: Path) -> None:
    path = tmp_path / "tight.xlsx"
    write_workbook(path, sheets(), SITE | {"power_budget_kw": 5})
    report = tmp_path / "r.xlsx"
    result = run("optimize", str(path), "-o", str(report), "--json", str(tmp_path / "s.json"))
    assert result.exit_code == 3, result.output
    assert "power budget 5 kW is" in result.stderr
    assert "kW short of the cheapest plan that meets every target" in result.stderr
    assert not report.exists()
    payload = json.loads((tmp_path / "s.json").read_text())
    assert payload["status"] == "infeasible" and payload["diagnosis"]


def test_unreachable_target_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "slo.xlsx"
    write_workbook(path, sheets(Workloads=[dict(INFERENCE, max_tpot_ms=0.5)]), SITE)
    result = run("optimize", str(path), "-o", str(tmp_path / "r.xlsx"))
    assert result.exit_code == 3
    assert "workload chat has no workable" in result.stderr
    assert "max_tpot_ms" in result.stderr


def test_time_limit_on_a_hard_instance_is_exit_4(tmp_path: Path) -> None:
    path = tmp_path / "large.xlsx"
    write_workbook(path, large_sheets(), LARGE_SITE)
    report = tmp_path / "r.xlsx"
    result = run(
        "optimize",
        str(path),
        "-o",
        str(report),
        "--time-limit",
        "0.05",
        "--no-alternatives",
        "--json",
        "-",
    )
    assert result.exit_code == 4, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "feasible"
    if payload["plan_found"]:  # an incumbent: written, clearly marked
        assert "NOT PROVEN OPTIMAL" in result.stderr
        summary = openpyxl.load_workbook(report)["Summary"]
        text = " ".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
        assert "NOT PROVEN OPTIMAL" in text
    else:
        assert not report.exists()


def test_recosting_mismatch_is_an_internal_error(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan now reads the objective wrong.
    monkeypatch.setattr("tco.plan.extract.MONEY_SCALE", 2e-6)
    report = tmp_path / "r.xlsx"
    result = run("optimize", str(small), "-o", str(report), "--no-alternatives")
    assert result.exit_code == 1
    assert "internal error: PlanCheckError" in result.stderr
    assert not report.exists()


def test_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("a,b\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tco", "optimize", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "not a zip archive" in proc.stderr and "Traceback" not in proc.stderr
