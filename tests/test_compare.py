"""`tco compare`: golden CLI runs, reports read back, bad files, exit codes, recalculation."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tco.cli import app
from tco.compare.entry import kpis, levelized_per_mtok
from tco.compare.figures import FIGURES
from tco.compare.load import worst
from tco.compare.workbook import SHEETS
from tco.data.scenarios import DOMESTIC_SUBSTITUTION, INFERENCE_FIRST
from tco.io.template import write_workbook

import factory

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
#: The two quickest scenarios to solve.
COMPARED = (INFERENCE_FIRST, DOMESTIC_SUBSTITUTION)
#: Keys a report cannot carry (DESIGN 3.3 keys all can): stage timings and solve time.
NOT_IN_REPORT = {"timings", "solve_seconds", "input", "source"}


def _compare(*args: str) -> Any:
    return runner.invoke(app, ["compare", *args])


def _single_purchase(scenario: Any, folder: Path) -> Path:
    """The scenario without its demand ramp (one purchase at the year-1 targets): quicker
    to solve than its fleet plan."""
    sheets = scenario.sheets()
    del sheets["Demand"]
    path = folder / f"{scenario.name}.xlsx"
    write_workbook(path, sheets, scenario.site, scenario.readme)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """compare of the two inputs; their reports by optimize; compare of the reports."""
    work = tmp_path_factory.mktemp("compare")
    paths = [_single_purchase(s, tmp_path_factory.mktemp(s.name)) for s in COMPARED]
    inputs = [str(p) for p in paths]
    solved = _compare(*inputs, "-o", str(work / "solved.xlsx"), "--json", str(work / "s.json"))
    reports = []
    for s, path in zip(COMPARED, paths, strict=True):
        report = work / f"{s.name}-report.xlsx"
        result = runner.invoke(app, ["optimize", str(path), "-o", str(report), "--no-alternatives"])
        assert result.exit_code == 0, result.output
        reports.append(str(report))
    read = _compare(*reports, "-o", str(work / "read.xlsx"), "--json", "-")
    return dict(work=work, solved=solved, read=read, reports=reports)


def _rows(path: Path) -> dict[str, list[Any]]:
    """Compare sheet: column A label -> the values of that row."""
    ws = openpyxl.load_workbook(path, data_only=True)["Compare"]
    return {
        str(row[0]): list(row[1:])
        for row in ws.iter_rows(values_only=True)
        if isinstance(row[0], str)
    }


def test_compare_golden(runs) -> None:
    result, work = runs["solved"], runs["work"]
    assert result.exit_code == 0, result.output
    payload = json.loads((work / "s.json").read_text(encoding="utf-8"))
    assert [p["input"] for p in payload] == [f"{s.name}.xlsx" for s in COMPARED]
    for p in payload:
        assert p["status"] == "optimal" and p["source"] == "input"
        assert p["tco"] > 0 and p["pools"] and "domestic_share" in p
        assert set(p["compare"]["cost_per_million_tokens"]) == {"inference", "training"}
    for k, s in enumerate(COMPARED, start=1):
        assert f"[{k}/2] {s.name}.xlsx: solving" in result.output
    book = openpyxl.load_workbook(work / "solved.xlsx")
    assert book.sheetnames == list(SHEETS)
    rows = _rows(work / "solved.xlsx")
    for figure in FIGURES:
        assert figure.label in rows, figure.label
    tco = rows["TCO, discounted"]
    assert tco[1:3] == [pytest.approx(p["tco"], rel=1e-12) for p in payload]
    assert tco[3] == pytest.approx(payload[1]["tco"] / payload[0]["tco"] - 1, rel=1e-9)
    for workload in ("serve-qwen72b", "serve-r1-32b", "serve-7b", "pretrain-70b"):
        assert f"{workload}: chip x cards, fabric, cooling" in rows
        assert f"{workload}: cost per million tokens" in rows
    labels = list(rows)
    text = "\n".join(labels[labels.index("Differences") + 1 :])
    assert "inference-first has serve-qwen72b at the lowest cost" in text
    assert "has the lowest TCO" in text and "Domestic share on each plan's own basis" in text
    assert "the target tokens/s" in text  # the factors behind a cost per token
    pools = openpyxl.load_workbook(work / "solved.xlsx", data_only=True)["Pools"]
    plans = [row[0] for row in pools.iter_rows(min_row=2, values_only=True)]
    assert plans.count("inference-first") == 4 and plans.count("domestic-substitution") == 3


def _close(a: Any, b: Any, where: str) -> None:
    if isinstance(a, dict):
        assert set(a) - NOT_IN_REPORT == set(b) - NOT_IN_REPORT, where
        for key in set(a) - NOT_IN_REPORT:
            _close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, int | float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def test_compare_of_reports_equals_compare_of_inputs(runs) -> None:
    read = runs["read"]
    assert read.exit_code == 0, read.output
    solved = json.loads((runs["work"] / "s.json").read_text(encoding="utf-8"))
    from_reports = json.loads(read.stdout)
    assert [p["source"] for p in from_reports] == ["report", "report"]
    assert [p["input"] for p in from_reports] == [Path(r).name for r in runs["reports"]]
    _close(solved, from_reports, "compare")
    # Same column titles, same figures in the workbook.
    a, b = _rows(runs["work"] / "solved.xlsx"), _rows(runs["work"] / "read.xlsx")
    skip = {"Input file", "Plan", "Key figure"}
    for label in a.keys() - skip:
        for x, y in zip(a[label], b[label], strict=True):
            if isinstance(x, float):
                assert y == pytest.approx(x, rel=1e-9), label
            elif label.startswith("Comparison") or x is None:
                continue
            else:
                assert x == y, label


def test_unusable_files_stop_the_run_and_write_nothing(tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("workload,target\nchat,100\n", encoding="utf-8")
    other = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.save(other)
    out, summary = tmp_path / "cmp.xlsx", tmp_path / "cmp.json"
    good = str(ROOT / INFERENCE_FIRST.path)
    args = [good, str(text), str(tmp_path / "missing.xlsx"), str(other)]
    result = _compare(*args, "-o", str(out), "--json", str(summary))
    assert result.exit_code == 2, result.output
    assert "notes.xlsx: not an Excel .xlsx workbook" in result.output
    assert "missing.xlsx: file not found" in result.output
    assert "other.xlsx: neither a tco input workbook" in result.output
    assert "solving" not in result.output  # refused before any solve
    assert not out.exists() and not summary.exists()


def test_a_report_without_calculated_values_is_refused(runs, tmp_path: Path) -> None:
    """openpyxl keeps formulas but drops their values on save: nothing to read."""
    stripped = tmp_path / "stripped.xlsx"
    openpyxl.load_workbook(runs["reports"][0]).save(stripped)
    out = tmp_path / "cmp.xlsx"
    result = _compare(str(stripped), runs["reports"][1], "-o", str(out))
    assert result.exit_code == 2
    assert "stripped.xlsx: the report's formulas carry no calculated values" in result.output
    assert not out.exists()


def test_exit_code_is_the_worst_input_and_user_text_stays_text(tmp_path: Path) -> None:
    """An infeasible input (exit 3) beside a solved one: the comparison is still written,
    with the infeasible column's diagnosis; a formula-like workload id stays text."""
    sneaky = dict(factory.INFERENCE, workload_id="=HYPERLINK(1)")
    ok, infeasible = tmp_path / "ok.xlsx", tmp_path / "tight.xlsx"
    write_workbook(ok, factory.sheets(Workloads=[sneaky]), factory.SITE)
    write_workbook(infeasible, factory.sheets(), factory.SITE | {"power_budget_kw": 1})
    out = tmp_path / "cmp.xlsx"
    result = _compare(str(ok), str(infeasible), "-o", str(out), "--json", "-")
    assert result.exit_code == 3, result.output
    payload = json.loads(result.stdout)
    assert [p["status"] for p in payload] == ["optimal", "infeasible"]
    assert payload[1]["diagnosis"]
    rows = _rows(out)
    assert rows["Solver status"][1:3] == ["optimal", "infeasible"]
    assert any(label.startswith("tight has no plan (infeasible)") for label in rows)
    formulas = openpyxl.load_workbook(out)
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert "HYPERLINK" not in str(cell.value)
    assert "=HYPERLINK(1): chip x cards, fabric, cooling" in rows


def test_worst_exit_code_orders_by_severity() -> None:
    assert worst([0, 0]) == 0
    assert worst([0, 4]) == 4
    assert worst([4, 3, 0]) == 3  # no plan is worse than an unproven one
    assert worst([]) == 0


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_compare_workbook_recalculates_in_libreoffice(runs) -> None:
    from test_report_recalc import recalculate

    path = runs["work"] / "solved.xlsx"
    office = recalculate([path], runs["work"] / "lo")[path.name]
    cached = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path)
    recalculated = openpyxl.load_workbook(office, data_only=True)
    checked = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                expected = cached[ws.title][cell.coordinate].value
                got = recalculated[ws.title][cell.coordinate].value
                checked += 1
                assert isinstance(got, int | float), (ws.title, cell.coordinate, got)
                assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
                    ws.title,
                    cell.coordinate,
                    cell.value,
                )
    assert checked > 20


def test_columns_keep_distinct_names() -> None:
    """A report beside its own input: 'a' and 'a-report', not two columns named 'a'."""
    from tco.compare.entry import Entry
    from tco.compare.load import name_uniquely

    entries = [
        Entry("a.xlsx", "input", {}),
        Entry("a-report.xlsx", "report", {}),
        Entry("b-report.xlsx", "report", {}),
    ]
    name_uniquely(entries)
    assert [e.name for e in entries] == ["a", "a-report", "b"]


def _entry(name: str, tco: float, cards: int, target: float, horizon: int = 5) -> Any:
    """A hand-made plan of one inference pool; cost per Mtok = TCO / target / 1000 (the
    seconds-times-annuity constant is the same for both plans, so any value does)."""
    from tco.compare.entry import ChipFacts, Entry, SiteFacts

    pool = {
        "workload": "serve",
        "kind": "inference",
        "chip": f"chip-{name}",
        "fabric": "roce",
        "cooling": "air",
        "nodes": cards // 8,
        "cards": cards,
        "throughput_tokens_per_s": target,
        "target_tokens_per_s": target,
        "cost_per_million_tokens": tco / target / 1000,
        "tco": tco,
    }
    summary = {
        "status": "optimal",
        "plan_found": True,
        "currency": "USD",
        "tco": tco,
        "capex": 0.8 * tco,
        "cards": cards,
        "facility_power_kw": 100.0,
        "racks": 2,
        "pools": [pool],
        "domestic_share": {"cards": 1.0, "compute": 1.0, "spend": 1.0},
    }
    chips = {pool["chip"]: ChipFacts(pool["chip"], name, "domestic", 64, 1600, 196)}
    return Entry(f"{name}.xlsx", "input", summary, chips, SiteFacts(horizon, 0.08, 0.0, "cards"))


def test_sentences_give_the_factors_behind_a_cost_per_token() -> None:
    """Hand-computed: a costs 1.000 per Mtok, b 2.000; a's cards carry 100 vs 75 target
    tokens/s (1.33x) at 100,000 vs 150,000 USD each (0.67x), and 0.67 / 1.33 = 0.5."""
    from tco.compare.sentences import differences

    a, b = _entry("a", 1e6, 10, 1000.0), _entry("b", 3e6, 20, 1500.0)
    text = "\n".join(differences([b, a]))
    assert "a has serve at the lowest cost, 1.000 USD/Mtok on chip-a with roce, air" in text
    assert "50% less than b (2.000 on chip-b with roce, air" in text
    assert "a's cards carry 1.33x the target tokens/s (100 vs 75)" in text
    assert "at 0.67x the TCO per card (100,000 USD vs 150,000 USD)" in text
    assert "a has the lowest TCO, 1.00M USD over 5 years; b 2.00M USD more (+200%" in text
    # Over another horizon: costs per token still ranked, neither TCO nor factors compared.
    c = _entry("c", 3e6, 20, 1500.0, horizon=3)
    text = "\n".join(differences([a, c]))
    assert "a is planned over 5 years at 8.0%, c over 3 years" in text
    assert "50% less than c (2.000 on chip-c with roce, air)" in text
    assert "cards carry" not in text and "lowest TCO" not in text
    # A fleet plan (tranches over years): its discounted opex is its years' opex at
    # (1.08)^-y, 216,000 / 1.08 + 233,280 / 1.08^2 = 400,000 (not TCO - capex = 600,000);
    # a's is 1.0M - 0.8M = 200,000, so of the 2.00M gap 200,000 is opex, 1.80M capex.
    fleet = _entry("f", 3e6, 20, 1500.0)
    fleet.summary["years"] = [{"year": 1, "opex": 216000.0}, {"year": 2, "opex": 233280.0}]
    assert kpis(fleet)["opex_present_value"] == pytest.approx(400000.0)
    text = "\n".join(differences([a, fleet]))
    assert (
        "f 2.00M USD more (+200%: capex (tranches at present value, net of residual value) "
        "1.80M USD, discounted opex 200,000 USD" in text
    )
    # Its cost per token is levelized over its years, its pools are the last year's: the
    # factors would not multiply to the ratio, so only the costs are given.
    fleet.summary["purchases"] = []
    text = "\n".join(differences([a, fleet]))
    assert "50% less than f (2.000 on chip-f with roce, air)" in text
    assert "cards carry" not in text


def test_pools_together_cost_their_tco_over_their_discounted_tokens() -> None:
    """Two fleet pools: 300 at 3/Mtok (100 Mtok over the years) and 100 at 1/Mtok (100
    Mtok) cost 400 / 200 = 2 per Mtok together; their last-year targets (1 and 3) would
    weight them to 1.5, the figure compare gave. Without a TCO the target weights stay."""
    a = {"tco": 300.0, "cost_per_million_tokens": 3.0, "target_tokens_per_s": 1.0}
    b = {"tco": 100.0, "cost_per_million_tokens": 1.0, "target_tokens_per_s": 3.0}
    assert levelized_per_mtok([a, b]) == pytest.approx(2.0, rel=1e-12)
    blind = [dict(p, tco=None) for p in (a, b)]
    assert levelized_per_mtok(blind) == pytest.approx(1.5, rel=1e-12)


#: What a fleet report does not carry of its pools (its Summary states them in sentences).
NOT_IN_FLEET_POOL = {"run_cost", "dedicated_run_cost", "replica_cards"}


def test_a_fleet_report_reads_back_as_its_input_solves(tmp_path: Path) -> None:
    """A fleet plan's report (tranches over years) is read back: its summary, years,
    purchases and last-year pools equal those of its input solved, and the comparison
    says they are the same plan."""
    sheets = factory.sheets()
    sheets["Chips"] = [dict(sheets["Chips"][0], price_change_per_year=-0.2)]
    sheets["Demand"] = [
        {"workload_id": "chat", "year": 2, "target_tokens_per_s": 20000.0},
        {"workload_id": "chat", "year": 3, "target_tokens_per_s": 45000.0},
    ]
    path = tmp_path / "ramp.xlsx"
    write_workbook(path, sheets, {**factory.SITE, "horizon_years": 3})
    report = tmp_path / "ramp-report.xlsx"
    done = runner.invoke(app, ["optimize", str(path), "-o", str(report), "--no-alternatives"])
    assert done.exit_code == 0, done.output
    out = tmp_path / "c.xlsx"
    result = _compare(str(report), str(path), "-o", str(out), "--json", "-")
    assert result.exit_code == 0, result.output
    read, solved = json.loads(result.stdout)
    assert (read["source"], solved["source"]) == ("report", "input")
    assert len(read["years"]) == 3 and len({p["year"] for p in read["purchases"]}) > 1
    for pool in read["pools"]:
        assert all(pool.pop(key) is None for key in NOT_IN_FLEET_POOL)
    for pool in solved["pools"]:
        for key in NOT_IN_FLEET_POOL:
            del pool[key]
    _close(solved, read, "fleet")
    assert out.exists()
    rows = _rows(out)
    unit, report_tco, input_tco = rows[next(label for label in rows if label.startswith("TCO"))][:3]
    assert unit == "USD" and report_tco == pytest.approx(input_tco, rel=1e-9)
