"""Currency: priced rows converted once at load through the FX sheet, errors, warnings, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from tco.cli import app
from tco.errors import InputError
from tco.io.reader import read_workbook
from tco.io.template import write_workbook
from tco.plan.extract import Plan
from tco.report.workbook import write_report
from tco.scenario.optimize import optimize
from tco.scenario.scenario import Override, apply_overrides
from tco.schema.fields import CHIPS, COOLING, FX, PRICED_SHEETS, SHEETS, SITE, UNCERTAINTY, Sheet
from tco.schema.inputs import PlanningInputs, validate_workbook

from factory import CHIP, DOMESTIC, FABRIC, INFERENCE, TRAINING, make_inputs, sheets
from factory import COOLING as COOLING_ROW
from factory import SITE as SITE_ROW

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"

#: Deliberately not a power of two, so converted prices are inexact floats.
CNY_PER_USD = 7.13
EUR_PER_USD = 0.92
CNY = {"currency": "CNY", "units_per_usd": CNY_PER_USD, "source": "treasury 2025-06-30"}
EUR = {"currency": "EUR", "units_per_usd": EUR_PER_USD, "source": "ECB 2025-06-30"}


def col(sheet: Sheet, key: str) -> str:
    return get_column_letter(sheet.keys.index(key) + 1)


def in_currency(row: dict[str, Any], sheet: Sheet, factor: float) -> dict[str, Any]:
    """The row with every money field multiplied by `factor` (no currency column)."""
    return {k: v * factor if k in sheet.money_keys and v is not None else v for k, v in row.items()}


def quoted(row: dict[str, Any], sheet: Sheet, currency: str, rate: float) -> dict[str, Any]:
    """The USD row as a quote in `currency` at `rate` units per USD."""
    return {**in_currency(row, sheet, rate), "currency": currency}


def plan_of(inputs: PlanningInputs) -> Plan:
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None, result.diagnosis
    return result.plan


def decisions(plan: Plan) -> list[tuple[Any, ...]]:
    return [(p.workload, p.chip, p.fabric, p.cooling, p.nodes, p.cards) for p in plan.pools]


def errors(**kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        make_inputs(**kwargs)
    return [str(i) for i in info.value.issues]


WORKLOADS = [INFERENCE, dict(TRAINING, train_tokens_b=20)]


def test_rows_quoted_in_cny_and_eur_plan_as_the_same_rows_converted_by_hand() -> None:
    """Site USD: Chips in CNY and Cooling in EUR, with FX, give the USD workbook's plan."""
    by_hand = make_inputs(
        Workloads=WORKLOADS,
        Chips=[
            CHIP,
            in_currency(dict(DOMESTIC, card_price=15000 * CNY_PER_USD), CHIPS, 1 / CNY_PER_USD),
        ],
        Cooling=[COOLING_ROW],
    )
    quotes = make_inputs(
        Workloads=WORKLOADS,
        Chips=[
            quoted(CHIP, CHIPS, "CNY", CNY_PER_USD),
            dict(DOMESTIC, card_price=15000 * CNY_PER_USD, currency="cny"),  # any case
        ],
        Cooling=[quoted(COOLING_ROW, COOLING, "EUR", EUR_PER_USD)],
        FX=[CNY, EUR],
    )
    assert quotes.chips["h100"].card_price == pytest.approx(CHIP["card_price"], rel=1e-12)
    assert quotes.chips["h100"].currency == "USD"
    assert quotes.coolings["air"].capex_per_kw == pytest.approx(COOLING_ROW["capex_per_kw"])
    assert dict(quotes.fx.quoted) == {
        ("Chips", "h100"): "CNY",
        ("Chips", "ascend"): "CNY",
        ("Cooling", "air"): "EUR",
    }
    usd, cny = plan_of(by_hand), plan_of(quotes)
    assert decisions(cny) == decisions(usd)
    assert cny.tco == pytest.approx(usd.tco, rel=1e-9)
    assert cny.capex == pytest.approx(usd.capex, rel=1e-9)
    assert cny.currency == "USD"


def test_cny_site_with_usd_rows_costs_the_usd_tco_times_the_rate() -> None:
    """Site CNY, rows in USD: with the Site money scaled too, TCO [CNY] = TCO [USD] x rate."""
    site_usd = {"facility_capex_per_kw": 8000, "capex_budget": 1e9}
    site_cny = {
        "currency": "CNY",
        "electricity_price_per_kwh": SITE_ROW["electricity_price_per_kwh"] * CNY_PER_USD,
        "facility_capex_per_kw": 8000 * CNY_PER_USD,
        "capex_budget": 1e9 * CNY_PER_USD,
    }
    usd = plan_of(make_inputs(site=site_usd, Workloads=WORKLOADS))
    inputs = make_inputs(site=site_cny, Workloads=WORKLOADS, FX=[CNY])
    assert inputs.chips["h100"].card_price == pytest.approx(CHIP["card_price"] * CNY_PER_USD)
    assert inputs.fabrics["ib"].switch_price == pytest.approx(FABRIC["switch_price"] * CNY_PER_USD)
    cny = plan_of(inputs)
    assert decisions(cny) == decisions(usd)
    assert cny.tco == pytest.approx(usd.tco * CNY_PER_USD, rel=1e-9)
    assert cny.currency == "CNY"
    assert {c: r.units_per_usd for c, r in inputs.fx.rates.items()} == {"CNY": CNY_PER_USD}


def test_rows_in_the_site_currency_need_no_rate() -> None:
    inputs = make_inputs(
        site={"currency": "CNY"},
        Chips=[dict(CHIP, currency="CNY"), dict(DOMESTIC, currency="CNY")],
        Fabrics=[dict(FABRIC, currency="CNY")],
        Cooling=[dict(COOLING_ROW, currency="CNY")],
    )
    assert inputs.chips["h100"].card_price == CHIP["card_price"]
    assert dict(inputs.fx.rates) == {} and dict(inputs.fx.quoted) == {}


def test_missing_rates_are_input_errors_at_the_cells_that_need_them() -> None:
    found = errors(Chips=[CHIP, dict(DOMESTIC, currency="CNY")])
    assert found == [
        f"Sheet 'Chips', row 4, column {col(CHIPS, 'currency')} (currency): no FX rate for "
        "CNY: add a row to sheet FX (currency CNY, units_per_usd = CNY per US dollar) to "
        "convert this row's prices to the Site currency USD"
    ]
    # The Site key rows follow the factory's Site dict: electricity price on row 3.
    found = errors(site={"currency": "EUR"}, Cooling=[dict(COOLING_ROW, currency="CNY")], FX=[CNY])
    assert found == [
        "Sheet 'Site', row 4, column B (currency): no FX rate for the Site currency EUR: rows "
        "priced in CNY, USD need it to be converted; add a row to sheet FX (currency EUR, "
        "units_per_usd = EUR per US dollar)"
    ]


def test_every_fx_problem_is_reported_at_once() -> None:
    found = errors(
        Chips=[dict(CHIP, currency="GBP"), dict(DOMESTIC, currency="RMB¥")],
        # CNY's FX row is invalid: its own error stands, the fabric is not told to add one.
        Fabrics=[dict(FABRIC, currency="CNY")],
        FX=[
            dict(CNY, units_per_usd=0),
            dict(EUR),
            dict(EUR, units_per_usd=0.9),
            {"currency": "USD", "units_per_usd": 7.2},
        ],
    )
    rate, code = col(FX, "units_per_usd"), col(FX, "currency")
    assert f"Sheet 'FX', row 3, column {rate} (units_per_usd): must be > 0, got 0" in found
    assert (
        f"Sheet 'FX', row 5, column {code} (currency): duplicate id 'EUR', first used in row 4"
        in found
    )
    assert (
        f"Sheet 'FX', row 6, column {rate} (units_per_usd): USD is the base of every rate: "
        "units_per_usd must be 1, got 7.2 (or leave the USD row out)" in found
    )
    assert any(
        m.startswith(
            f"Sheet 'Chips', row 3, column {col(CHIPS, 'currency')} (currency): no FX rate for GBP"
        )
        for m in found
    )
    assert (
        f"Sheet 'Chips', row 4, column {col(CHIPS, 'currency')} (currency): must be a "
        "three-letter ISO 4217 currency code (USD, CNY, EUR ...), got 'RMB¥'" in found
    )
    assert len(found) == 5, found


def test_uncertainty_ranges_on_converted_money_are_converted_too() -> None:
    ranges = [
        {"sheet": "Chips", "row_id": "h100", "field": "card_price", "low": 150000, "high": 200000},
        {"sheet": "Chips", "row_id": "h100", "field": "tdp_w", "low": 600, "high": 800},
        {
            "sheet": "Site",
            "row_id": "electricity_price_per_kwh",
            "field": "value",
            "low": 0.05,
            "high": 0.2,
        },
    ]
    inputs = make_inputs(
        Chips=[dict(CHIP, card_price=180000, currency="CNY"), DOMESTIC],
        Uncertainty=ranges,
        FX=[CNY],
    )
    price, tdp, energy = inputs.uncertainty
    assert (price.low, price.high) == (150000 / CNY_PER_USD, 200000 / CNY_PER_USD)
    assert price.low <= inputs.chips["h100"].card_price <= price.high
    assert (tdp.low, tdp.high) == (600, 800)
    assert (energy.low, energy.high) == (0.05, 0.2)
    # The nominal is compared with the range in the row's own currency: a USD-sized
    # range around a CNY quote is widened there (with a warning), then converted.
    quoted = make_inputs(
        Chips=[dict(CHIP, card_price=180000, currency="CNY"), DOMESTIC],
        Uncertainty=[dict(ranges[0], low=20000, high=30000)],
        FX=[CNY],
    )
    (warning,) = quoted.warnings
    assert "180,000 CNY is outside the Uncertainty range 20,000-30,000 CNY" in warning
    (widened,) = quoted.uncertainty
    assert (widened.low, widened.high) == (20000 / CNY_PER_USD, 180000 / CNY_PER_USD)


def h100_range(field: str, low: float, high: float, currency: str) -> dict[str, Any]:
    """An Uncertainty row on the factory H100's `field`, quoted in `currency`."""
    return {
        "sheet": "Chips",
        "row_id": "h100",
        "field": field,
        "low": low,
        "high": high,
        "currency": currency,
    }


def test_a_range_in_its_own_currency_is_judged_and_drawn_in_the_site_currency() -> None:
    """The default catalog's ranges are USD (their currency column); a planner who reprices
    a row in CNY keeps them right. Before the column, 15,000-20,000 was read as CNY: a
    110,000 CNY quote (15,428 USD, inside it) was warned about and the range widened to
    15,000-110,000 CNY."""
    usd_range = h100_range("card_price", 15000, 20000, "USD")
    inputs = make_inputs(
        Chips=[dict(CHIP, card_price=110000, currency="CNY"), DOMESTIC],
        Uncertainty=[usd_range],
        FX=[CNY],
    )
    assert inputs.warnings == ()
    (price,) = inputs.uncertainty
    assert (price.low, price.high, price.currency) == (15000, 20000, "USD")
    assert price.low <= inputs.chips["h100"].card_price <= price.high
    # A CNY Site converts the USD range and the CNY row stays as quoted.
    in_cny = make_inputs(
        {"currency": "CNY"},
        Chips=[dict(CHIP, card_price=110000, currency="CNY"), DOMESTIC],
        Uncertainty=[usd_range],
        FX=[CNY],
    )
    (price,) = in_cny.uncertainty
    assert (price.low, price.high) == (15000 * CNY_PER_USD, 20000 * CNY_PER_USD)
    assert in_cny.chips["h100"].card_price == 110000
    assert in_cny.warnings == ()
    # A quote outside the range is judged in the Site currency and named as entered.
    dear = make_inputs(
        Chips=[dict(CHIP, card_price=180000, currency="CNY"), DOMESTIC],
        Uncertainty=[usd_range],
        FX=[CNY],
    )
    (warning,) = dear.warnings
    usd = 180000 / CNY_PER_USD
    assert warning.endswith(
        "h100: 180,000 CNY = 25,245.44 USD is outside the Uncertainty range 15,000-20,000 USD "
        "(Uncertainty row 3, entered as 15,000-20,000 USD); the range is widened to "
        "15,000-25,245.44 USD"
    )
    (widened,) = dear.uncertainty
    assert (widened.low, widened.high) == (15000, usd)


def test_a_range_currency_needs_money_and_a_rate() -> None:
    found = errors(
        Uncertainty=[
            h100_range("tdp_w", 600, 800, "USD"),
            h100_range("card_price", 20000, 30000, "EUR"),
        ]
    )
    column = col(UNCERTAINTY, "currency")
    assert found == [
        f"Sheet 'Uncertainty', row 3, column {column} (currency): a currency applies to a "
        "range on money only; 'tdp_w' is not money (leave the cell blank)",
        f"Sheet 'Uncertainty', row 4, column {column} (currency): no FX rate for EUR: add a "
        "row to sheet FX (currency EUR, units_per_usd = EUR per US dollar) to convert this "
        "range to the Site currency USD",
    ]


def test_every_problem_of_a_range_is_reported_at_once() -> None:
    """An inverted range used to hide the rest of its row's problems until it was fixed."""
    found = errors(Uncertainty=[h100_range("tdp_w", 800, 600, "USD")])
    assert [f.split(": ", 1)[1] for f in found] == [
        "low (800) must be <= high (600)",
        "a currency applies to a range on money only; 'tdp_w' is not money (leave the cell blank)",
    ]


def test_a_quote_on_the_end_of_a_converted_range_is_inside_it() -> None:
    """116,320 CNY at 7.27 is 16,000 USD, the range's top, but 16,000.000000000002 in
    floats: it drew a warning that the range 10,000-16,000 was widened to 10,000-16,000."""
    inputs = make_inputs(
        Chips=[dict(CHIP, card_price=116320, currency="CNY"), DOMESTIC],
        Uncertainty=[h100_range("card_price", 10000, 16000, "USD")],
        FX=[dict(CNY, units_per_usd=7.27)],
    )
    assert inputs.warnings == ()
    (price,) = inputs.uncertainty
    assert price.low <= inputs.chips["h100"].card_price <= price.high


def test_a_small_converted_amount_keeps_its_digits() -> None:
    """A CNY range on a USD electricity price: the warning quoted 0.1 USD outside 0.1-0.13
    (amounts rounded to the cent) for a price of 0.095."""
    inputs = make_inputs(
        {"electricity_price_per_kwh": 0.095},
        Uncertainty=[
            {
                "sheet": "Site",
                "row_id": "electricity_price_per_kwh",
                "field": "value",
                "low": 0.68,
                "high": 0.9,
                "currency": "CNY",
            }
        ],
        FX=[dict(CNY, units_per_usd=7.1)],
    )
    (warning,) = inputs.warnings
    assert warning.endswith(
        "0.095 USD/kWh is outside the Uncertainty range 0.09577465-0.1267606 USD/kWh "
        "(Uncertainty row 3, entered as 0.68-0.9 CNY/kWh); the range is widened to "
        "0.095-0.1267606 USD/kWh"
    )


def test_a_rate_only_a_range_needs_is_listed_as_used() -> None:
    inputs = make_inputs(
        Uncertainty=[h100_range("card_price", 20000 * EUR_PER_USD, 30000 * EUR_PER_USD, "EUR")],
        FX=[CNY, EUR],
    )
    assert list(inputs.fx.rates) == ["EUR"]
    (price,) = inputs.uncertainty
    assert price.low == pytest.approx(20000) and price.high == pytest.approx(30000)


def test_a_range_on_the_site_currency_is_an_input_error() -> None:
    """It used to compare a number with the code 'USD' and stop with an internal error."""
    found = errors(
        Uncertainty=[{"sheet": "Site", "row_id": "currency", "field": "value", "low": 1, "high": 2}]
    )
    assert found == [
        "Sheet 'Uncertainty', row 3, column B (row_id): 'currency' is not a numeric Site key"
    ]


def test_plausibility_warns_and_still_plans() -> None:
    inputs = make_inputs(
        Chips=[
            dict(CHIP, tdp_w=7000, card_price=4_000_000, currency="CNY"),
            dict(DOMESTIC, tdp_w=30, card_price=3_200_000, currency="CNY"),  # 448,808 USD: ok
            dict(CHIP, chip_id="cheap", card_price=250),
        ],
        Cooling=[dict(COOLING_ROW, pue=2.5)],
        FX=[CNY],
    )
    tdp, price = col(CHIPS, "tdp_w"), col(CHIPS, "card_price")
    assert [str(w) for w in inputs.warnings] == [
        f"Sheet 'Chips', row 3, column {tdp} (tdp_w): tdp_w 7,000 W per card lies outside the "
        "plausible 50 to 5,000 W; check it is one card's board power in W (not kW, not a "
        "node's or a rack's)",
        f"Sheet 'Chips', row 3, column {price} (card_price): card_price 4,000,000 CNY is "
        "561,010 USD per card, outside the plausible 500 to 500,000 USD; check the price is "
        "for one card and the row's currency is the quote's",
        f"Sheet 'Chips', row 4, column {tdp} (tdp_w): tdp_w 30 W per card lies outside the "
        "plausible 50 to 5,000 W; check it is one card's board power in W (not kW, not a "
        "node's or a rack's)",
        f"Sheet 'Chips', row 5, column {price} (card_price): card_price 250 USD per card, "
        "outside the plausible 500 to 500,000 USD; check the price is for one card and the "
        "row's currency is the quote's",
        f"Sheet 'Cooling', row 3, column {col(COOLING, 'pue')} (pue): pue 2.5 is above 2: the "
        "industry average is about 1.6; check it is facility kW / IT kW",
    ]
    plan = plan_of(inputs)
    for warning in inputs.warnings:
        assert str(warning) in plan.warnings


def test_validate_prints_the_warnings_and_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    write_workbook(path, sheets(Cooling=[dict(COOLING_ROW, pue=2.2)]), SITE_ROW)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: Sheet 'Cooling', row 3, column {col(COOLING, 'pue')} (pue): pue 2.2 is above 2"
        in result.stderr
    )
    assert "; 1 warning\n" in result.stdout


def test_the_bundled_example_is_usd_without_conversion_or_warnings() -> None:
    inputs = validate_workbook(read_workbook(EXAMPLE))
    assert inputs.site.currency == "USD"
    assert dict(inputs.fx.rates) == {} and dict(inputs.fx.quoted) == {}
    assert inputs.warnings == ()


@pytest.fixture(scope="module")
def cny_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Site USD, the one chip quoted in CNY and the one cooling in EUR (so the plan uses both)."""
    path = tmp_path_factory.mktemp("fx") / "cny.xlsx"
    rows = sheets(
        Chips=[quoted(CHIP, CHIPS, "CNY", CNY_PER_USD)],
        Cooling=[quoted(COOLING_ROW, COOLING, "EUR", EUR_PER_USD)],
        FX=[EUR, CNY, {"currency": "JPY", "units_per_usd": 145.0, "source": "unused"}],
    )
    write_workbook(path, rows, SITE_ROW)
    return path


def test_optimize_json_lists_the_rates_used(cny_workbook: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.xlsx"
    result = runner.invoke(
        app, ["optimize", str(cny_workbook), "-o", str(report), "--json", "-", "--no-alternatives"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["currency"] == "USD"
    assert payload["fx"] == {"EUR": EUR_PER_USD, "CNY": CNY_PER_USD}  # JPY is not used


def test_input_errors_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    write_workbook(path, sheets(Chips=[dict(CHIP, currency="CNY"), DOMESTIC]), SITE_ROW)
    report, summary = tmp_path / "r.xlsx", tmp_path / "s.json"
    result = runner.invoke(app, ["optimize", str(path), "-o", str(report), "--json", str(summary)])
    assert result.exit_code == 2
    assert (
        f"Sheet 'Chips', row 3, column {col(CHIPS, 'currency')} (currency): no FX rate for CNY"
        in (result.stderr)
    )
    assert not report.exists()
    assert json.loads(summary.read_text())["status"] == "input_error"
    # The closing line names the one file written (it said "nothing was written").
    assert (
        f"1 input problem; nothing was written but the JSON summary {summary} "
        "(status input_error)." in result.stderr.replace("\n", "")
    )


def test_report_assumptions_show_the_rates_and_the_reporting_currency(
    cny_workbook: Path, tmp_path: Path
) -> None:
    inputs = validate_workbook(read_workbook(cny_workbook))
    plan = plan_of(inputs)
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, [])
    ws = openpyxl.load_workbook(path)["Assumptions"]
    header = [c.value for c in ws[1]]
    rows = {
        (r[0], r[1] or "", r[2]): dict(zip(header, r, strict=True))
        for r in ws.iter_rows(min_row=2, values_only=True)
        if r[0] is not None
    }
    assert rows[("Site", "", "currency")]["Value"] == "USD"
    cny = rows[("FX", "CNY", "units_per_usd")]
    assert (cny["Value"], cny["Unit"], cny["Source"]) == (CNY_PER_USD, "CNY/USD", CNY["source"])
    assert cny["Input row"] == 4
    assert rows[("FX", "EUR", "units_per_usd")]["Value"] == EUR_PER_USD
    assert not any(key[0] == "FX" and key[1] == "JPY" for key in rows)
    price = rows[("Chips", "h100", "card_price")]
    assert price["Value"] == pytest.approx(CHIP["card_price"], rel=1e-12)
    assert "quoted in CNY, converted to USD at the FX rates" in price["Source"]
    plant = rows[("Cooling", "air", "capex_per_kw")]
    assert plant["Value"] == pytest.approx(COOLING_ROW["capex_per_kw"], rel=1e-12)
    assert "quoted in EUR" in plant["Source"]
    assert not rows[("Cooling", "air", "pue")]["Source"]  # not money: no conversion note
    assert not any(key[2] == "currency" and key[0] != "Site" for key in rows)


def test_an_override_cannot_relabel_a_currency() -> None:
    inputs = make_inputs()
    for override in (
        Override("Site", "currency", "currency", "CNY"),
        Override("Chips", "h100", "currency", "CNY"),
    ):
        with pytest.raises(InputError, match="converted when the workbook is read"):
            apply_overrides(inputs, (override,))


def test_every_money_field_is_on_a_priced_sheet_or_the_site() -> None:
    """A new money column on another sheet would be left unconverted: refuse it here."""
    for sheet in SHEETS:
        if sheet.money_keys and sheet is not SITE:
            assert sheet in PRICED_SHEETS, sheet.name
    for sheet in PRICED_SHEETS:
        assert sheet.field("currency").type == "currency", sheet.name


def test_template_has_the_currency_columns_the_fx_sheet_and_explains_them(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert runner.invoke(app, ["template", str(path)]).exit_code == 0
    wb = openpyxl.load_workbook(path)
    for sheet in PRICED_SHEETS:
        assert wb[sheet.name][f"{col(sheet, 'currency')}1"].value == "currency"
    fx = wb["FX"]
    assert [c.value for c in fx[1]] == ["currency", "units_per_usd", "source"]
    assert fx.max_row == 2  # no rate shipped: every catalog row is USD
    readme = "\n".join(str(c.value) for c in wb["README"]["A"] if c.value)
    assert "Rows in a currency other than the Site's are converted once" in readme
    assert "FX: Exchange rates" in readme
    inputs = validate_workbook(read_workbook(path))  # the blank FX sheet reads as no rates
    assert dict(inputs.fx.rates) == {}


def test_an_invalid_currency_code_on_the_fx_sheet_is_an_input_error() -> None:
    # Found by the single-cell fuzz test: the code is the FX row's id, and an invalid id
    # used to raise an internal error while the row was set aside.
    with pytest.raises(InputError) as caught:
        make_inputs(FX=[{"currency": "0", "units_per_usd": 7.2, "source": "x"}])
    assert "Sheet 'FX', row 3, column A (currency): must be a three-letter ISO 4217" in str(
        caught.value
    )
