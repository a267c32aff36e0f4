"""tco/data/price_evidence.csv: every price range of the default catalog rests on its figures.

The checks recompute what `tco.data.evidence` promises with their own arithmetic
(dollars per unit, the all-in span per card, which prices need an account), so a
bug in the module cannot hide a bad data file, and they break the file on
purpose to prove the loader and the coverage check refuse it.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tco.cli import app
from tco.data.catalog import DEFAULT_CATALOG
from tco.data.evidence import (
    COLUMNS,
    FILE_NAME,
    EvidenceError,
    coverage_problems,
    load_evidence,
    readme_lines,
)
from tco.io.template import PRICES_HEADING

DATA = Path(__file__).resolve().parents[1] / "tco" / "data"
ID_KEY = {"Chips": "chip_id", "Fabrics": "fabric_id", "Cooling": "cooling_id"}
PRICES = {
    "Chips": {"card_price", "node_price", "system_price"},
    "Fabrics": {"switch_price", "nic_price", "optic_price", "cable_price"},
    "Cooling": {"capex_per_kw", "rack_price"},
}


def lines() -> list[dict[str, str]]:
    with (DATA / FILE_NAME).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def row(sheet: str, row_id: str) -> dict[str, object]:
    return next(r for r in DEFAULT_CATALOG[sheet] if r[ID_KEY[sheet]] == row_id)


def uncertainty(sheet: str, row_id: str, field: str) -> tuple[float, float] | None:
    for u in DEFAULT_CATALOG["Uncertainty"]:
        if (u["sheet"], u["row_id"], u["field"]) == (sheet, row_id, field):
            return float(u["low"]), float(u["high"])  # type: ignore[arg-type]
    return None


def test_the_shipped_file_loads_and_agrees_with_the_catalog() -> None:
    evidence = load_evidence()
    assert len(evidence) == len(lines()) >= 100
    assert coverage_problems(DEFAULT_CATALOG, evidence) == []


@pytest.mark.parametrize("line", lines(), ids=lambda x: f"{x['row_id']}:{x['field']}")
def test_each_line_prices_a_real_catalog_column_with_its_own_arithmetic(
    line: dict[str, str],
) -> None:
    assert line["field"] in PRICES[line["sheet"]]
    for row_id in line["row_id"].split("|"):
        assert row(line["sheet"], row_id).get(line["field"]) is not None, row_id
    assert line["source"]
    if line["kind"] == "guess":
        assert not line["value"] and not line["usd_per_unit"] and not line["use"]
        return
    assert line["kind"] in {"quote", "report", "estimate", "derived"}
    assert line["use"] in {"range", "context"} and line["compare"] in {"field", "all_in"}
    assert line["confidence"] in {"high", "medium", "low"}
    value, units, fx = (float(line[k]) for k in ("value", "units", "fx_per_usd"))
    assert float(line["usd_per_unit"]) == pytest.approx(value / fx / units, rel=0.005, abs=1)
    if line["value_high"]:
        high = float(line["value_high"]) / fx / units
        assert float(line["usd_per_unit_high"]) == pytest.approx(high, rel=0.005, abs=1)
    if line["currency"] == "USD":
        assert fx == 1
    if line["currency"] == "CNY":  # the yuan traded at 6.3-7.4 per dollar in 2020-2026
        assert 6.3 <= fx <= 7.4
    if line["use"] == "context":
        assert line["note"], "a context figure says why the range need not cover it"


def all_in(chip_id: str) -> tuple[float, float]:
    """Card + node / cards_per_node + system / system_cards at each term's range ends [USD/card]."""
    chip = row("Chips", chip_id)
    spans = []
    for field in ("card_price", "node_price", "system_price"):
        nominal = float(chip.get(field) or 0)  # type: ignore[arg-type]
        spans.append(uncertainty("Chips", chip_id, field) or (nominal, nominal))
    per_node = float(chip["cards_per_node"])  # type: ignore[arg-type]
    per_system = float(chip.get("system_cards") or 0)  # type: ignore[arg-type]
    card, node, system = spans
    return tuple(  # type: ignore[return-value]
        card[i] + node[i] / per_node + (system[i] / per_system if per_system else 0.0)
        for i in (0, 1)
    )


def test_every_range_figure_lies_inside_its_uncertainty_range() -> None:
    checked = 0
    for line in lines():
        if line["use"] != "range":
            continue
        low = float(line["usd_per_unit"])
        high = float(line["usd_per_unit_high"] or line["usd_per_unit"])
        for row_id in line["row_id"].split("|"):
            if line["compare"] == "all_in":
                span = all_in(row_id)
            else:
                found = uncertainty(line["sheet"], row_id, line["field"])
                assert found is not None, (row_id, line["field"])
                span = found
            assert span[0] <= low and high <= span[1] * (1 + 1e-9), (row_id, line["field"])
            checked += 1
    assert checked >= 60


def test_every_placeholder_price_has_evidence_or_is_listed_as_a_guess() -> None:
    """Each low-confidence card price and each priced range has a range figure or a guess line."""
    account: dict[tuple[str, str, str], set[str]] = {}
    for line in lines():
        for row_id in line["row_id"].split("|"):
            use = "guess" if line["kind"] == "guess" else line["use"]
            account.setdefault((line["sheet"], row_id, line["field"]), set()).add(use)
    needed = {
        ("Chips", str(c["chip_id"]), "card_price")
        for c in DEFAULT_CATALOG["Chips"]
        if c["price_confidence"] == "low"
    } | {
        (str(u["sheet"]), str(u["row_id"]), str(u["field"]))
        for u in DEFAULT_CATALOG["Uncertainty"]
        if str(u["field"]) in PRICES.get(str(u["sheet"]), set())
    }
    for key in needed:
        uses = account.get(key, set())
        assert ("range" in uses) != ("guess" in uses), (key, uses)
    # a priced range says what it rests on in its own source text
    for u in DEFAULT_CATALOG["Uncertainty"]:
        key = (str(u["sheet"]), str(u["row_id"]), str(u["field"]))
        if key in needed:
            source = str(u["source"])
            if "range" in account[key]:
                assert FILE_NAME in source, key
            else:
                assert source.startswith("guess"), key


def test_one_vendor_price_level_is_one_group() -> None:
    groups: dict[str, set[str]] = {}
    for u in DEFAULT_CATALOG["Uncertainty"]:
        if (u["sheet"], u["field"]) == ("Chips", "card_price"):
            vendor = str(row("Chips", str(u["row_id"]))["vendor"])
            groups.setdefault(vendor, set()).add(str(u.get("group")))
    assert groups["Huawei"] == {"huawei-ascend-price"}
    assert groups["NVIDIA"] == {"nvidia-import-price"}
    assert all(len(g) == 1 and "None" not in g for g in groups.values()), groups
    # the two purchase forms of the 910C package are one chip: their specs move together
    spec_groups = {
        (u["row_id"], u["field"]): u.get("group")
        for u in DEFAULT_CATALOG["Uncertainty"]
        if u["row_id"] in ("ascend-910c", "ascend-910c-a3")
    }
    for field in ("bf16_tflops", "memory_gb", "memory_bw_gbs", "tdp_w"):
        assert spec_groups[("ascend-910c", field)] == spec_groups[("ascend-910c-a3", field)]
        assert spec_groups[("ascend-910c", field)]


def write_evidence(folder: Path, records: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    (folder / FILE_NAME).write_text(buf.getvalue(), encoding="utf-8")


def test_loader_names_every_bad_line(tmp_path: Path) -> None:
    good = lines()
    figure = next(x for x in good if x["kind"] == "report" and x["currency"] == "CNY")
    guess = next(x for x in good if x["kind"] == "guess")
    bad = [
        dict(figure, row_id="no-such-chip"),
        dict(figure, usd_per_unit=str(float(figure["usd_per_unit"]) * 2)),
        dict(guess, value="100"),
        dict(figure, use="context", note=""),
        dict(figure, field="node_price", compare="all_in"),
        dict(figure, field="migration_cost"),
        dict(figure, date="spring 2024"),
    ]
    write_evidence(tmp_path, bad)
    with pytest.raises(EvidenceError) as caught:
        load_evidence(folder=tmp_path)
    message = str(caught.value)
    for line_no, words in enumerate(
        (
            "no row 'no-such-chip'",
            "is not value / fx_per_usd / units",
            "a guess records no figure",
            "a context figure needs a note",
            "applies to card_price only",
            "not a price column",
            "is not YYYY",
        ),
        start=2,
    ):
        assert f"line {line_no}: " in message and words in message, (line_no, words)


def test_coverage_check_refuses_a_range_that_misses_its_figures() -> None:
    evidence = load_evidence()
    catalog = copy.deepcopy(DEFAULT_CATALOG)
    for u in catalog["Uncertainty"]:
        if (u["row_id"], u["field"]) == ("h20", "card_price"):
            u["high"] = 13000.0  # Reuters' $15,000 top and 110,000 yuan now lie outside
    problems = coverage_problems(catalog, evidence)
    assert any(p.startswith("Chips h20 card_price: line") and "outside" in p for p in problems)
    # a placeholder price with neither a figure nor a guess line is refused too
    without = tuple(e for e in evidence if "mlu370-x8" not in e.row_ids)
    assert "Chips mlu370-x8 card_price: no range evidence and no guess line" in coverage_problems(
        DEFAULT_CATALOG, without
    )


def test_template_readme_says_which_prices_rest_on_evidence(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert CliRunner().invoke(app, ["template", str(out)]).exit_code == 0
    text = [str(r[0]) for r in openpyxl.load_workbook(out)["README"].iter_rows(values_only=True)]
    section = text[text.index(PRICES_HEADING) + 1 :]
    expected = readme_lines(DEFAULT_CATALOG, load_evidence())
    assert section[: len(expected)] == expected
    evidence_rows = [x for x in expected if x.startswith("Evidence: ")]
    guess_rows = [x for x in expected if x.startswith("Guess ")]
    assert any(x.startswith("Evidence: Chips ascend-910b card_price") for x in evidence_rows)
    assert any("mlu370-x8" in x for x in guess_rows)
    # the headline count is the data's: prices on evidence + guesses = prices accounted for
    head = re.match(r"(\d+) of the (\d+) ", expected[0])
    assert head is not None
    based, total = int(head[1]), int(head[2])
    named = [re.match(r"Evidence: \S+ (.+) \S+ [\d,]+ USD: ", x) for x in evidence_rows]
    assert all(named)
    assert sum(len(m[1].split(", ")) for m in named if m) == based
    assert (
        sum(len(x.split(": ", 2)[2].rstrip(".").split(", ")) for x in guess_rows) == total - based
    )
