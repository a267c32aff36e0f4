"""Cross-sheet validation: every problem, located, in one run."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from tco.errors import InputError
from tco.schema import rows
from tco.schema.fields import SHEETS
from tco.schema.rows import ChipRow, SiteRow, WorkloadRow
from tco.schema.rows_gen import CLASS_NAMES

from factory import CHIP, DOMESTIC, INFERENCE, MODEL, TRAINING, make_inputs


def messages(**kwargs) -> list[str]:
    with pytest.raises(InputError) as info:
        make_inputs(**kwargs)
    return [str(i) for i in info.value.issues]


def test_valid_inputs_are_frozen_and_typed() -> None:
    inputs = make_inputs(Workloads=[INFERENCE, TRAINING])
    assert isinstance(inputs.chips["h100"], ChipRow)
    assert isinstance(inputs.workloads["train"], WorkloadRow)
    assert isinstance(inputs.site, SiteRow)
    assert inputs.chips["h100"].tdp_w == 700.0
    assert inputs.workloads["train"].allowed_chips is None
    with pytest.raises(ValidationError):
        inputs.chips["h100"].tdp_w = 1  # frozen row
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.site = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        inputs.chips["x"] = None  # type: ignore[index]


def test_row_models_follow_the_field_table() -> None:
    for sheet in SHEETS:
        model = getattr(rows, CLASS_NAMES[sheet.name])
        assert list(model.model_fields) == list(sheet.keys)
        assert model.model_config["extra"] == "forbid"
        assert model.model_config["frozen"] is True


def test_every_problem_is_reported_at_once() -> None:
    bad_chip = dict(CHIP, tdp_w=-300, train_mfu=25, origin="mars")
    found = messages(Chips=[bad_chip, DOMESTIC])
    assert "Sheet 'Chips', row 3, column S (tdp_w): must be > 0, got -300" in found
    assert any("column Z (train_mfu): must be <= 1, got 25" in m for m in found)
    assert any("(origin): must be one of domestic, import" in m for m in found)


def test_unknown_reference_and_duplicate_id() -> None:
    found = messages(Workloads=[dict(INFERENCE, model_id="gpt-9")], Chips=[CHIP, CHIP])
    assert any("(model_id): unknown Models id 'gpt-9'" in m for m in found)
    assert any(
        "row 4, column A (chip_id): duplicate id 'h100', first used in row 3" in m for m in found
    )


def test_precision_needs_a_supporting_chip() -> None:
    found = messages(Workloads=[dict(INFERENCE, precision="fp8", allowed_chips="ascend")])
    assert any(
        "precision fp8 is supported by none of the allowed available chips (ascend)" in m
        for m in found
    )


def test_model_that_fits_no_scaleup_domain() -> None:
    huge = dict(MODEL, model_id="huge", params_b=5000, active_params_b=5000)
    found = messages(Models=[MODEL, huge], Workloads=[dict(INFERENCE, model_id="huge")])
    assert any("model huge needs 10,000 GB of weights at bf16" in m for m in found)


def test_kind_specific_required_fields() -> None:
    found = messages(
        Workloads=[
            dict(TRAINING, train_tokens_b=None, global_batch_tokens=None),
            dict(INFERENCE, workload_id="x", max_tpot_ms=None),
        ]
    )
    assert any("(target_tokens_per_s): training needs" in m for m in found)
    assert any("(global_batch_tokens): is required for training" in m for m in found)
    assert any("(max_tpot_ms): is required for inference" in m for m in found)


def test_unavailable_allowed_chips() -> None:
    found = messages(
        Chips=[dict(CHIP, available=False), DOMESTIC],
        Workloads=[dict(INFERENCE, allowed_chips="h100")],
    )
    assert any("no allowed chip is available" in m for m in found)


def test_uncertainty_rows_are_checked() -> None:
    rows = [
        dict(sheet="Chips", row_id="h100", field="tdp_w", low=600, high=800),  # fine
        dict(sheet="Chips", row_id="nope", field="tdp_w", low=1, high=2),
        dict(sheet="Chips", row_id="h100", field="vendor", low=1, high=2),
        dict(sheet="Chips", row_id="h100", field="tdp_w", low=900, high=800),
        dict(sheet="Site", row_id="electricity_price_per_kwh", field="value", low=0.05, high=0.2),
        dict(sheet="Site", row_id="bogus", field="value", low=0, high=1),
    ]
    found = messages(Uncertainty=rows)
    assert len(found) == 4, found
    assert any("row 4, column B (row_id): no Chips row with id 'nope'" in m for m in found)
    assert any("'vendor' is not a numeric column of Chips" in m for m in found)
    assert any("low (900) must be <= high (800)" in m for m in found)
    assert any("unknown Site key 'bogus'" in m for m in found)


def test_a_quote_outside_its_published_range_is_accepted_and_widens_the_range() -> None:
    quote = dict(DOMESTIC, card_price=21000)
    rows = [
        dict(sheet="Chips", row_id="h100", field="tdp_w", low=600, high=800),  # inside
        dict(sheet="Chips", row_id="ascend", field="card_price", low=15000, high=20000),
        dict(sheet="Site", row_id="electricity_price_per_kwh", field="value", low=0.12, high=0.2),
    ]
    inputs = make_inputs(Chips=[CHIP, quote], Uncertainty=rows)
    assert inputs.chips["ascend"].card_price == 21000  # the nominal is kept as quoted
    ranges = {(u.row_id, u.field): (u.low, u.high) for u in inputs.uncertainty}
    assert ranges[("h100", "tdp_w")] == (600, 800)
    assert ranges[("ascend", "card_price")] == (15000, 21000)
    assert ranges[("electricity_price_per_kwh", "value")] == (0.1, 0.2)
    assert inputs.warnings == (
        "Sheet 'Chips', row 4, column T (card_price): ascend: 21,000 USD is outside the "
        "Uncertainty range 15,000-20,000 USD (Uncertainty row 4); the range is widened to "
        "15,000-21,000 USD",
        "Sheet 'Site', row 3, column B (electricity_price_per_kwh): 0.1 USD/kWh is outside "
        "the Uncertainty range 0.12-0.2 USD/kWh (Uncertainty row 5); the range is widened to "
        "0.1-0.2 USD/kWh",
    )


def test_inputs_without_a_quote_outside_a_range_have_no_warnings() -> None:
    rows = [dict(sheet="Chips", row_id="h100", field="tdp_w", low=600, high=800)]
    assert make_inputs(Uncertainty=rows).warnings == ()


def test_site_errors() -> None:
    found = messages(site={"discount_rate": 1.5, "electricity_price_per_kwh": None})
    assert any("(discount_rate): must be < 1, got 1.5" in m for m in found)
    assert any("(electricity_price_per_kwh): is required but blank" in m for m in found)


def test_a_chip_on_sale_only_after_the_horizon_is_a_warning() -> None:
    inputs = make_inputs({"horizon_years": 3}, Chips=[CHIP, dict(DOMESTIC, available_from_year=4)])
    (warning,) = inputs.warnings
    assert warning.startswith("Sheet 'Chips', row 4, column AK (available_from_year): ")
    assert "available_from_year 4 is after the 3-year horizon" in warning
    assert "ascend is never offered" in warning
    assert (
        make_inputs(
            {"horizon_years": 4}, Chips=[CHIP, dict(DOMESTIC, available_from_year=4)]
        ).warnings
        == ()
    )


def test_a_reference_to_an_empty_sheet_says_it_has_no_rows() -> None:
    with pytest.raises(InputError) as caught:
        make_inputs(Chips=[CHIP], Models=[], Workloads=[INFERENCE])
    assert any("known: none (the sheet has no valid rows)" in str(i) for i in caught.value.issues)
