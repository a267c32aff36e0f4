"""`tco risk` through the CLI: the JSON contract (DESIGN 3.6), the Risk sheet, its formulas
recalculated in LibreOffice to the engine's values."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from test_report_recalc import SOFFICE, recalculate
from typer.testing import CliRunner

from tco.cli import app
from tco.io.template import write_workbook

from factory import INFERENCE, SITE, TRAINING, sheets

runner = CliRunner()

RISK_KEYS = {
    "samples",
    "seed",
    "partial",
    "nominal",
    "optimal",
    "win_probability",
    "robust",
    "tornado",
    "switching",
}
DIST_KEYS = {"tco_mean", "tco_p5", "tco_p50", "tco_p90", "tco_p95"}
UNCERTAINTY = [
    dict(sheet="Chips", row_id="h100", field="card_price", low=20000, high=32000),
    dict(
        sheet="Chips",
        row_id="ascend",
        field="card_price",
        low=9000,
        high=24000,
        distribution="pert",
    ),
    dict(sheet="Chips", row_id="ascend", field="bf16_tflops", low=280, high=376),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("risk")
    book = work / "in.xlsx"
    data = sheets(Workloads=[INFERENCE, dict(TRAINING, train_tokens_b=20)], Uncertainty=UNCERTAINTY)
    write_workbook(book, data, SITE | {"min_domestic_share": 0.3})
    report, out = work / "risk.xlsx", work / "risk.json"
    result = runner.invoke(
        app,
        [
            "risk",
            str(book),
            "-n",
            "12",
            "--seed",
            "4",
            "--workers",
            "1",
            "-o",
            str(report),
            "--json",
            str(out),
        ],
    )
    return dict(work=work, result=result, report=report, json=out)


def test_the_risk_json_has_the_design_keys(run) -> None:
    result = run["result"]
    assert result.exit_code == 0, result.output
    payload = json.loads(Path(run["json"]).read_text())
    risk = payload["risk"]
    assert set(risk) >= RISK_KEYS
    assert risk["samples"] == 12 and risk["seed"] == 4 and risk["partial"] is False
    assert DIST_KEYS | {"p_meets_targets"} <= set(risk["nominal"])
    assert set(risk["optimal"]) >= DIST_KEYS
    for shares in risk["win_probability"].values():
        assert sum(shares.values()) == pytest.approx(1.0)
    assert {"criterion", "pools", "tco_mean", "tco_p90", "p_meets_targets"} <= set(risk["robust"])
    swings = [abs(t["tco_high"] - t["tco_low"]) for t in risk["tornado"]]
    assert swings == sorted(swings, reverse=True) and len(swings) == len(UNCERTAINTY)
    assert {
        "sheet",
        "row_id",
        "field",
        "low",
        "high",
        "tco_low",
        "tco_high",
        "changes_decision",
    } <= set(risk["tornado"][0])
    assert risk["switching"] and {"workload", "chip", "runner_up", "field", "value"} <= set(
        risk["switching"][0]
    )
    assert payload["status"] == "optimal" and payload["pools"]  # the optimize summary too


def test_the_report_has_the_risk_sheet_and_summary_sentences(run) -> None:
    wb = openpyxl.load_workbook(run["report"])
    assert wb.sheetnames[:2] == ["Summary", "Risk"]
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    assert "cheapest choice" in summary and "card price is below" in summary
    assert "Robust recommendation" in summary
    # The ranges are quoted with their units: prices in the Site currency, compute as typed.
    assert "Chips[h100].card_price 20,000-32,000 USD (TCO swing" in summary
    assert "Chips[ascend].bf16_tflops 280-376 TFLOP/s (TCO swing" in summary
    assert len(wb["Risk"]._charts) == 3


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_risk_formulas_recalculate_to_the_engine_values(run) -> None:
    report = Path(run["report"])
    out = recalculate([report], Path(run["work"]))[report.name]
    formulas = openpyxl.load_workbook(report)["Risk"]
    engine = openpyxl.load_workbook(report, data_only=True)["Risk"]
    office = openpyxl.load_workbook(out, data_only=True)["Risk"]
    checked, wrong = 0, []
    for row in formulas.iter_rows():
        for cell in row:
            if cell.data_type != "f":
                continue
            expected = engine[cell.coordinate].value
            got = office[cell.coordinate].value
            checked += 1
            if not isinstance(got, int | float) or abs(got - expected) > 1e-9 * max(
                abs(expected), 1.0
            ):
                wrong.append(f"{cell.coordinate} {cell.value}: {expected} vs {got}")
    assert checked > 40
    assert not wrong, wrong[:10]


def test_a_time_limit_writes_the_samples_done_marked_partial(tmp_path: Path) -> None:
    book = tmp_path / "in.xlsx"
    write_workbook(book, sheets(Uncertainty=UNCERTAINTY), SITE)
    out = tmp_path / "r.json"
    result = runner.invoke(
        app,
        [
            "risk",
            str(book),
            "-n",
            "100000",
            "--workers",
            "1",
            "--time-limit",
            "6",
            "-o",
            str(tmp_path / "r.xlsx"),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 4, result.output
    payload = json.loads(out.read_text())
    if "risk" in payload:  # the nominal solve fitted in the limit: samples were cut short
        assert payload["risk"]["partial"] is True
        assert payload["risk"]["samples"] < 100000
        assert "time limit" in payload["risk"]["stopped"]
        assert (tmp_path / "r.xlsx").exists()
        assert "PARTIAL" in result.output


@pytest.mark.parametrize(
    ("extra", "site", "words"),
    [
        (
            {"Demand": [{"workload_id": "chat", "year": 2, "target_tokens_per_s": 20000.0}]},
            {},
            "fleet over years",
        ),
        ({}, {"max_options_per_workload": 2}, "max_options_per_workload"),
    ],
)
def test_plans_risk_cannot_sample_are_refused_and_nothing_is_written(
    tmp_path: Path, extra: dict[str, object], site: dict[str, object], words: str
) -> None:
    book = tmp_path / "in.xlsx"
    write_workbook(book, sheets(Uncertainty=UNCERTAINTY, **extra), SITE | site)
    report = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["risk", str(book), "-n", "4", "-o", str(report)])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not report.exists()
