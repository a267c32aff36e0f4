"""Recalculate the report in LibreOffice: every formula must reproduce the engine's value.

A plain `soffice --convert-to xlsx` keeps the cached values of an OOXML file
and does not recalculate, so such a test could never fail. LibreOffice runs
here with a throw-away user profile whose `OOXMLRecalcMode` is 0 (always
recalculate on load); `test_libreoffice_really_recalculates` proves it with a
workbook whose cached value is deliberately wrong.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from tco.report.sheets import bom as bom_sheet
from tco.report.sheets import pools as pools_sheet
from tco.report.workbook import write_report
from tco.scenario.alternatives import compute_alternatives
from tco.scenario.optimize import make_engine, optimize

from test_report import two_pool_inputs

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc",
)

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

#: Card price the edited copy sets on BOM (the plan's h100 cards cost 25,000).
NEW_CARD_PRICE = 31000.0


def recalculate(files: list[Path], work: Path) -> dict[str, Path]:
    """Open each file in LibreOffice with recalculation forced, save as xlsx; name -> result."""
    profile = work / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    out = work / "recalculated"
    out.mkdir(exist_ok=True)
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    results = {f.name: out / f.name for f in files}
    missing = [name for name, path in results.items() if not path.exists()]
    assert not missing, f"LibreOffice did not convert {missing}"
    return results


@pytest.fixture(scope="module")
def recalc(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("recalc")
    inputs = two_pool_inputs()
    plan = optimize(inputs).plan
    assert plan is not None
    alts = compute_alternatives(make_engine(inputs), plan, 10.0)
    original = work / "report.xlsx"
    write_report(original, inputs, plan, alts)

    edited = work / "edited.xlsx"
    wb = openpyxl.load_workbook(original)
    bom = wb["BOM"]

    def col(key: str) -> int:
        return bom_sheet.TABLE.col(key) + 1

    h100_row = next(
        r
        for r in range(2, bom.max_row + 1)
        if bom.cell(r, col("unit")).value == "card"
        and bom.cell(r, col("source_id")).value == "h100"
    )
    bom.cell(h100_row, col("unit_price")).value = NEW_CARD_PRICE
    wb.save(edited)

    proof = work / "proof.xlsx"
    tiny = xlsxwriter.Workbook(proof)
    sheet = tiny.add_worksheet()
    sheet.write_number(0, 0, 2)
    sheet.write_formula(1, 0, "=A1*3", None, 999)  # a deliberately wrong cached value
    tiny.close()

    out = recalculate([original, edited, proof], work)
    return dict(inputs=inputs, plan=plan, original=original, out=out, h100_row=h100_row)


def test_libreoffice_really_recalculates(recalc) -> None:
    cached = openpyxl.load_workbook(recalc["original"].with_name("proof.xlsx"), data_only=True)
    assert cached.active["A2"].value == 999  # the deliberately wrong cached value
    result = openpyxl.load_workbook(recalc["out"]["proof.xlsx"], data_only=True)
    assert result.active["A2"].value == 6


def test_every_formula_equals_the_engine_value(recalc) -> None:
    formulas = openpyxl.load_workbook(recalc["original"])
    engine = openpyxl.load_workbook(recalc["original"], data_only=True)
    office = openpyxl.load_workbook(recalc["out"]["report.xlsx"], data_only=True)
    checked, wrong = 0, []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                expected = engine[ws.title][cell.coordinate].value
                got = office[ws.title][cell.coordinate].value
                checked += 1
                if not isinstance(got, int | float) or abs(got - expected) > 1e-6 * max(
                    abs(expected), abs(got), 1e-3
                ):
                    wrong.append(f"{ws.title}!{cell.coordinate} {cell.value}: {expected} vs {got}")
    assert checked > 100
    assert not wrong, "\n".join(wrong)
    plan = recalc["plan"]
    summary = office["Summary"]
    tco_row = next(r for r in range(1, 60) if str(summary.cell(r, 1).value).startswith("TCO, disc"))
    assert summary.cell(tco_row, 2).value == pytest.approx(plan.tco, rel=1e-6)


def test_changing_a_unit_price_moves_the_tco(recalc) -> None:
    inputs, plan = recalc["inputs"], recalc["plan"]
    office = openpyxl.load_workbook(recalc["out"]["edited.xlsx"], data_only=True)
    cards = office["BOM"].cell(recalc["h100_row"], bom_sheet.TABLE.col("quantity") + 1).value
    old_price = inputs.chips["h100"].card_price
    annuity = sum(y.discount_factor for y in plan.cash_flow if y.year > 0)
    # capex moves by cards x delta price; maintenance (a share of hardware capex) with it
    expected = plan.tco + cards * (NEW_CARD_PRICE - old_price) * (
        1 + inputs.site.maintenance_rate * annuity
    )
    summary = office["Summary"]
    tco_row = next(r for r in range(1, 60) if str(summary.cell(r, 1).value).startswith("TCO, disc"))
    assert summary.cell(tco_row, 2).value == pytest.approx(expected, rel=1e-9)
    assert summary.cell(tco_row, 2).value > plan.tco


def test_training_run_costs_recalculate_to_the_engine(recalc) -> None:
    plan = recalc["plan"]
    office = openpyxl.load_workbook(recalc["out"]["report.xlsx"], data_only=True)["Pools"]
    (i, run) = next((i, p) for i, p in enumerate(plan.pools) if p.run_cost is not None)
    row = i + 2  # the header is row 1

    def value(key: str) -> object:
        return office.cell(row, pools_sheet.TABLE.col(key) + 1).value

    assert value("run_cost") == pytest.approx(run.run_cost, rel=1e-9)
    assert value("dedicated_run_cost") == pytest.approx(run.dedicated_run_cost, rel=1e-9)
