"""Report workbook: sheets, cached values, live registry formulas, text safety, atomic writes
(no LibreOffice needed)."""

from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tco.costs import registry
from tco.costs.formula import Formula
from tco.errors import InputError
from tco.plan.extract import Plan
from tco.report import workbook as report
from tco.report.book import Book
from tco.report.cells import Table
from tco.report.names import Names
from tco.report.sheets import bom, cashflow, pools, power
from tco.report.workbook import SHEETS, write_report
from tco.scenario.alternatives import compute_alternatives
from tco.scenario.optimize import make_engine, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, FABRIC, INFERENCE, MODEL, TRAINING, make_inputs


def two_pool_inputs() -> PlanningInputs:
    """Two workloads on two chips (two software stacks), two fabrics, two coolings."""
    return make_inputs(
        site={"min_domestic_share": 0.3},
        Workloads=[INFERENCE, dict(TRAINING, train_tokens_b=20)],
        Fabrics=[
            FABRIC,
            dict(
                FABRIC,
                fabric_id="roce",
                technology="RoCEv2",
                switch_price=20000,
                nic_price=1000,
                efficiency=0.8,
            ),
        ],
        Cooling=[
            COOLING,
            dict(
                COOLING,
                cooling_id="liquid",
                technology="cold-plate liquid",
                pue=1.15,
                max_rack_kw=100,
                capex_per_kw=2500,
                rack_price=8000,
                nodes_per_rack_max=8,
            ),
        ],
    )


def solved(inputs: PlanningInputs) -> Plan:
    result = optimize(inputs)
    assert result.plan is not None, result.diagnosis
    return result.plan


@pytest.fixture(scope="module")
def case() -> tuple[PlanningInputs, Plan, list]:
    inputs = two_pool_inputs()
    plan = solved(inputs)
    return inputs, plan, compute_alternatives(make_engine(inputs), plan, 10.0)


def letter(table: Table, key: str) -> str:
    return get_column_letter(table.col(key) + 1)


def formula_cells(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    }


def test_sheets_kpis_and_cached_values(tmp_path: Path, case) -> None:
    inputs, plan, alts = case
    assert len({p.chip for p in plan.pools}) == 2  # the fixture exercises two stacks
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, alts)
    values = openpyxl.load_workbook(path, data_only=True)
    assert values.sheetnames == list(SHEETS)
    formulas = formula_cells(path)
    assert len(formulas) > 100
    for (sheet, coord), text in formulas.items():
        cached = values[sheet][coord].value
        assert isinstance(cached, int | float), f"{sheet}!{coord} {text} has no cached value"
    summary = {
        ws_row[0].value: ws_row[1].value
        for ws_row in values["Summary"].iter_rows(min_row=1, max_col=2)
        if isinstance(ws_row[0].value, str)
    }
    horizon = inputs.site.horizon_years
    assert summary[f"TCO, discounted over {horizon} years"] == pytest.approx(plan.tco, rel=1e-12)
    assert summary[f"TCO, nominal (undiscounted) over {horizon} years"] == pytest.approx(
        plan.tco_nominal, rel=1e-12
    )
    assert summary["Opex per year"] == pytest.approx(plan.opex_per_year, rel=1e-12)
    assert summary["Racks"] == plan.racks
    warnings = [c.value for row in values["Summary"].iter_rows(max_col=1) for c in row]
    for warning in plan.warnings:
        assert warning in warnings
    bom = values["BOM"]
    assert bom.cell(len(plan.bom) + 2, 7).value == pytest.approx(plan.capex, rel=1e-12)
    for r in range(2, len(plan.bom) + 2):
        assert formulas[("BOM", f"G{r}")] == f"=D{r}*F{r}"
    cash = values["CashFlow"]
    for k, year in enumerate(plan.cash_flow):
        assert cash.cell(2 + k, 8).value == pytest.approx(year.cumulative_discounted, rel=1e-12)
    # Yearly energy and maintenance are the pools' totals, which the registry prices
    # from Power and BOM cells and the Assumptions names.
    total = len(plan.pools) + 2
    energy, maintenance = letter(pools.TABLE, "energy"), letter(pools.TABLE, "maintenance")
    assert (
        formulas[("CashFlow", f"{letter(cashflow.TABLE, 'energy')}3")]
        == f"=Pools!${energy}${total}"
    )
    assert formulas[("CashFlow", f"{letter(cashflow.TABLE, 'maintenance')}3")] == (
        f"=Pools!${maintenance}${total}"
    )
    it_kw = f"Power!${letter(power.TABLE, 'it_kw')}$2"
    h100 = next(p for p in plan.pools if p.chip == "h100")
    assert formulas[("Pools", f"{energy}2")] == (
        f"={it_kw}*Site_utilization*Cooling_{h100.cooling}_pue*8760*Site_electricity_price_per_kwh"
    )
    assert formulas[("Pools", f"{maintenance}2")].startswith("=Site_maintenance_rate*(BOM!$G$2+")
    assert not any("Assumptions!" in text for text in formulas.values())
    wb = openpyxl.load_workbook(path)
    names = {name.casefold() for name in wb.defined_names}
    for text in formulas.values():
        for name in re.findall(
            r"(?<![A-Za-z0-9_$!])([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_(!])", text
        ):
            assert name.casefold() in names or re.fullmatch(r"[A-Z]{1,3}[0-9]+", name), (name, text)
    assert wb["BOM"].freeze_panes == "B2"
    assert wb["BOM"].print_title_rows == "$1:$1"
    with zipfile.ZipFile(path) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 3


def test_every_assumption_the_plan_used_is_listed(tmp_path: Path, case) -> None:
    inputs, plan, alts = case
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, alts)
    ws = openpyxl.load_workbook(path)["Assumptions"]
    listed = {
        (r[0].value, r[1].value or "", r[2].value): r[3].value for r in ws.iter_rows(min_row=2)
    }
    site = inputs.site
    assert listed[("Site", "", "electricity_price_per_kwh")] == site.electricity_price_per_kwh
    assert listed[("Site", "", "maintenance_rate")] == site.maintenance_rate
    for p in plan.pools:
        assert listed[("Chips", p.chip, "card_price")] == inputs.chips[p.chip].card_price
        assert (
            listed[("Fabrics", p.fabric, "switch_price")] == inputs.fabrics[p.fabric].switch_price
        )
        assert listed[("Cooling", p.cooling, "pue")] == inputs.coolings[p.cooling].pue


def test_alternatives_sheet_shows_delta_and_reason(tmp_path: Path) -> None:
    inputs = make_inputs(site={"min_domestic_share": 0.5})
    plan = solved(inputs)
    alts = compute_alternatives(make_engine(inputs), plan, 10.0)
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, alts)
    ws = openpyxl.load_workbook(path, data_only=True)["Alternatives"]
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=3)}
    h100 = rows[("chip", "h100")]
    assert h100[3].value == "infeasible"
    assert "domestic share" in h100[8].value
    ascend = rows[("chip", "ascend")]
    assert ascend[4].value == pytest.approx(plan.tco)
    assert ascend[5].value == pytest.approx(0.0, abs=1e-6)


def test_without_alternatives(tmp_path: Path, case) -> None:
    inputs, plan, _ = case
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, [])
    ws = openpyxl.load_workbook(path)["Alternatives"]
    assert "not computed" in ws["A4"].value


RISKY = {
    "chip_id": '=HYPERLINK("http://x","y")',
    "name": "+cmd|' /C calc'!A0",
    "vendor": "@SUM(A1:A2)",
    "software_stack": "-2+3",
    "scaleup_link": "1e3",
    "fabric_id": "=1+1",
    "cooling_id": "@cool",
    "workload_id": "+serve",
    "model_id": "-model",
}


def risky_inputs() -> PlanningInputs:
    chip = dict(
        CHIP,
        chip_id=RISKY["chip_id"],
        name=RISKY["name"],
        vendor=RISKY["vendor"],
        software_stack=RISKY["software_stack"],
        scaleup_link=RISKY["scaleup_link"],
        source='=WEBSERVICE("http://x")\t\r=1',
    )
    inputs = make_inputs(
        Chips=[chip, DOMESTIC],
        Fabrics=[dict(FABRIC, fabric_id=RISKY["fabric_id"], source="\t=cmd https://example.com/x")],
        Cooling=[
            dict(COOLING, cooling_id=RISKY["cooling_id"], source="mailto:someone@example.com")
        ],
        Models=[dict(MODEL, model_id=RISKY["model_id"])],
        Workloads=[dict(INFERENCE, workload_id=RISKY["workload_id"], model_id=RISKY["model_id"])],
    )
    # Validation trims ids; the source name is not trimmed, so tab/CR prefixes reach the writer.
    return PlanningInputs(**{**inputs.__dict__, "source_name": "\t=1+1\r+2"})


def test_user_text_stays_inert_text(tmp_path: Path) -> None:
    inputs = risky_inputs()
    plan = solved(inputs)
    assert plan.pools[0].chip == RISKY["chip_id"]
    alts = compute_alternatives(make_engine(inputs), plan, 10.0)
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, alts)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheets = [z.read(n).decode() for n in names if n.startswith("xl/worksheets/sheet")]
        rels = [z.read(n).decode() for n in names if n.endswith(".rels")]
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    functions = set()
    for xml in sheets:
        assert "<hyperlink" not in xml
        for element in ElementTree.fromstring(xml).iter(f"{ns}f"):
            formula = element.text or ""
            assert not element.attrib  # no array, shared or data-table formula
            # References, names and numbers only: no text literal, so no user text.
            assert re.fullmatch(r"[A-Za-z0-9_$!:.,()*/+\-^<>= ]*", formula), formula
            functions |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", formula))
    assert functions <= {"SUM", "IF"}
    assert not any("hyperlink" in rel for rel in rels)
    wb = openpyxl.load_workbook(path)
    # Names made from user ids keep only letters, digits and underscores.
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in wb.defined_names)
    texts = set(RISKY.values()) | {inputs.source_name}
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.data_type == "f":
                    assert not any(t in c.value for t in texts)
                if c.data_type == "s" and c.value in texts:
                    found.add(c.value)
                assert c.hyperlink is None
    assert set(RISKY.values()) - {RISKY["model_id"]} <= found
    source = wb["Summary"]["A2"]
    assert source.data_type == "s"
    # A control character is stored as its OOXML escape (_x000D_), which Excel and
    # LibreOffice decode and openpyxl does not; the text stays text either way.
    shown = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), source.value)
    assert shown == "Input: " + inputs.source_name


def test_failed_save_leaves_old_report(tmp_path: Path, case, monkeypatch) -> None:
    inputs, plan, alts = case
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous report")

    def half_written(tmp: Path, data: bytes) -> None:
        tmp.write_bytes(data[: len(data) // 2])
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(report, "_write_file", half_written)
    with pytest.raises(RuntimeError, match="disk vanished"):
        write_report(path, inputs, plan, alts)
    assert path.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_replace_failure_is_an_input_error(tmp_path: Path, case, monkeypatch) -> None:
    inputs, plan, alts = case
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous report")

    def locked(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(InputError, match="cannot write the report"):
        write_report(path, inputs, plan, alts)
    assert path.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


@pytest.mark.parametrize("lock", ["~$report.xlsx", ".~lock.report.xlsx#"])
def test_open_report_is_refused(tmp_path: Path, case, lock: str) -> None:
    inputs, plan, alts = case
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"previous report")
    (tmp_path / lock).write_text("user")
    with pytest.raises(InputError, match="open in Excel or LibreOffice"):
        write_report(path, inputs, plan, alts)
    assert path.read_bytes() == b"previous report"


def test_unwritable_destinations(tmp_path: Path, case) -> None:
    inputs, plan, alts = case
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write the report"):
        write_report(blocker / "report.xlsx", inputs, plan, alts)
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        write_report(folder, inputs, plan, alts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.xlsx"]


def test_unsafe_formula_is_refused() -> None:
    sheet = Book(["BOM"]).sheets["BOM"]
    with pytest.raises(ValueError, match="refusing"):
        sheet.formula(1, 1, Formula('HYPERLINK("http://x","y")'), 1.0)
    with pytest.raises(ValueError, match="refusing"):
        sheet.formula(1, 1, Formula("A1&'x'"), 1.0)
    with pytest.raises(ValueError, match="no finite value"):
        sheet.formula(1, 1, Formula("A1/0"), float("inf"))


def test_text_that_looks_like_a_formula_number_or_link_stays_text(tmp_path: Path) -> None:
    book = Book(["Summary"])
    sheet = book.sheets["Summary"]
    texts = ["=1+1", "+A1", "-2", "@SUM(A1)", "1e5", "0042", "http://x.y", "www.x.y", "mailto:a@b"]
    for r, text in enumerate(texts):
        sheet.put(r, 0, text)
    path = tmp_path / "t.xlsx"
    path.write_bytes(book.close())
    ws = openpyxl.load_workbook(path).active
    assert [(ws.cell(r + 1, 1).value, ws.cell(r + 1, 1).data_type) for r in range(len(texts))] == [
        (text, "s") for text in texts
    ]
    assert all(ws.cell(r + 1, 1).hyperlink is None for r in range(len(texts)))


def test_every_bom_quantity_of_a_pool_line_is_a_formula(tmp_path: Path, case) -> None:
    inputs, plan, alts = case
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, alts)
    ws = openpyxl.load_workbook(path)["BOM"]
    quantity, pool = bom.TABLE.col("quantity") + 1, bom.TABLE.col("pool") + 1
    lines = [line for line in plan.bom if line.key in registry.LINES_BY_KEY]
    assert lines and len(lines) == len(registry.LINES) * len(plan.pools)
    for r in range(2, len(lines) + 2):
        assert ws.cell(r, pool).value in {p.workload for p in plan.pools}
        cell = ws.cell(r, quantity)
        assert cell.data_type == "f", f"BOM row {r}: quantity {cell.value!r} is not a formula"
        assert "Pools!" in cell.value or "Network!" in cell.value or "Power!" in cell.value


def _cells(path: Path) -> dict[tuple[str, str], object]:
    """Every formula and every number, by sheet and cell (formulas as text)."""
    formulas = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in formulas.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f" or isinstance(c.value, int | float)
    }


def _label(text: str):
    return lambda _chip, _fabric, _cooling: text


def test_renaming_bom_labels_changes_no_number_and_no_formula(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = two_pool_inputs()
    plan = solved(inputs)
    before = tmp_path / "before.xlsx"
    write_report(before, inputs, plan, [])
    # Labels that would fool any matching on text: tiers swapped, units in the wrong words.
    swapped = {
        "leaf_switch": "core switch",
        "core_switch": "leaf switch",
        "card": "node",
        "host": "card",
        "optic": "cable",
        "cable": "transceiver",
    }
    renamed = tuple(
        dataclasses.replace(line, label=_label(swapped.get(line.key, "renamed")))
        for line in registry.LINES
    )
    monkeypatch.setattr(registry, "LINES", renamed)
    monkeypatch.setattr(registry, "LINES_BY_KEY", {line.key: line for line in renamed})
    # The solve time is the one number a second solve changes.
    relabelled = dataclasses.replace(solved(inputs), solve_seconds=plan.solve_seconds)
    assert {line.item for line in relabelled.bom} >= set(swapped.values())
    after = tmp_path / "after.xlsx"
    write_report(after, inputs, relabelled, [])
    assert _cells(before) == _cells(after)
    cached_old = openpyxl.load_workbook(before, data_only=True)
    cached_new = openpyxl.load_workbook(after, data_only=True)
    for sheet, coord in _cells(before):
        assert cached_old[sheet][coord].value == cached_new[sheet][coord].value


def test_workbook_names_are_valid_unique_and_deterministic() -> None:
    keys = [
        ("Site", "", "discount_rate"),
        ("Chips", "h100", "card_price"),
        ("Chips", "H100", "card_price"),  # Excel ignores case
        ("Chips", "h100_card", "price"),  # cleans up to the same text
        ("Chips", '=HYPERLINK("x")', "tdp_w"),
        ("Chips", "昇腾910B", "tdp_w"),
        ("Cooling", "A1", "pue"),
    ]
    names = Names(keys)
    shown = [names[key] for key in keys]
    assert shown == [
        "Site_discount_rate",
        "Chips_h100_card_price",
        "Chips_H100_card_price_2",
        "Chips_h100_card_price_3",
        "Chips__HYPERLINK_x__tdp_w",
        "Chips__910B_tdp_w",
        "Cooling_A1_pue",
    ]
    assert [Names(keys)[key] for key in keys] == shown
    book = Book(["Assumptions"])
    for r, name in enumerate(shown):
        book.define_name(name, Formula(f"Assumptions!$D${r + 1}"))
    book.close()
