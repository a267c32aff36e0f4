"""tco/data/measurements.csv is well formed and the calibration harness runs on it."""

from __future__ import annotations

import hashlib
import re

import pytest

from bench.calibration import (
    evaluate_all,
    load_measurements,
    mean_abs_errors,
    report,
    training_step,
)
from tco.data.catalog import DEFAULT_CATALOG

ROWS = load_measurements()
CHINESE_CHIPS = {row["chip_id"] for row in DEFAULT_CATALOG["Chips"] if row["origin"] == "domestic"}
MODELS = {row["model_id"] for row in DEFAULT_CATALOG["Models"]}
CHIPS = {row["chip_id"] for row in DEFAULT_CATALOG["Chips"]}
FABRICS = {row["fabric_id"] for row in DEFAULT_CATALOG["Fabrics"]}
METRICS = {
    "tokens_per_s_per_card",
    "model_tflops_per_card",
    "mfu",
    "output_tokens_per_s_per_card",
    "input_tokens_per_s_per_card",
}


def split_of(row_id: str) -> str:
    """The documented rule (tco/data/README.md): test when sha256(id) is 0 mod 3."""
    return "test" if int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 3 == 0 else "fit"


def test_at_least_fifteen_unique_rows() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ids) >= 15
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_row_is_well_formed(row: dict[str, str]) -> None:
    assert row["source"].strip() and row["model"].strip() and row["chip"].strip()
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row["date"]), row["date"]
    assert row["confidence"] in {"high", "medium", "low"}
    assert row["split"] == split_of(row["id"])
    assert row["kind"] in {"training", "serving"}
    assert row["moe"] in {"yes", "no"}
    assert row["precision"] in {"bf16", "fp8", "int8"}
    assert row["kv_cache_precision"] in {"", "bf16", "fp8", "int8"}
    assert not row["kv_cache_precision"] or row["kind"] == "serving"
    assert row["phase"] in {"", "decode", "prefill"}
    assert not row["phase"] or row["kind"] == "serving"
    assert not row["concurrency"] or (row["kind"] == "serving" and int(row["concurrency"]) >= 1)
    assert row["metric"] in METRICS
    assert float(row["value"]) > 0
    assert int(row["cards"]) >= 1
    assert row["chip_id"] in CHIPS
    assert not row["fabric_id"] or row["fabric_id"] in FABRICS
    if row["model_id"]:
        assert row["model_id"] in MODELS
    else:  # architecture in the row itself
        assert row["params_b"] and row["active_params_b"] and row["layers"] and row["hidden"]


def test_split_is_about_two_thirds_fit() -> None:
    test_share = sum(row["split"] == "test" for row in ROWS) / len(ROWS)
    assert 0.2 <= test_share <= 0.45


def test_required_mix() -> None:
    chinese = [r for r in ROWS if r["chip_id"] in CHINESE_CHIPS and r["model"] and r["cards"]]
    moe_training = [r for r in ROWS if r["moe"] == "yes" and r["kind"] == "training"]
    moe_serving = [r for r in ROWS if r["moe"] == "yes" and r["kind"] == "serving"]
    fp8_training = [r for r in ROWS if r["precision"] == "fp8" and r["kind"] == "training"]
    assert len(chinese) >= 3
    assert len(moe_training) >= 3
    assert len(moe_serving) >= 3
    assert len(fp8_training) >= 3


def test_harness_evaluates_every_training_row_with_a_known_shape() -> None:
    results = evaluate_all()
    assert len(results) == len(ROWS)
    for r in results:
        if r.predicted is None:
            assert r.reason
    training = [r for r in results if r.row["kind"] == "training"]
    known = [r for r in training if r.row["moe"] == "no" or r.row["model_id"]]
    assert any(r.row["moe"] == "yes" for r in known)  # MoE rows are priced, not skipped
    assert known and all(r.predicted is not None for r in known), [
        (r.row["id"], r.reason) for r in known if r.predicted is None
    ]
    unknown = [r for r in training if r not in known]
    assert all("MoE shape" in r.reason for r in unknown)
    errors = mean_abs_errors(results)
    assert {split for split, _ in errors} == {"fit", "test"}
    text = report(results)
    assert "| fit | training |" in text and "| test | training |" in text


def test_calibration_errors_stay_within_their_recorded_bounds() -> None:
    """The model against the measurements, asserted where it stands (docs/performance-model.md
    section 6). Issue 11 asks for 20% (training) and 25% (serving) on the test split; the
    model does not meet them yet, so the bounds here are the measured errors with a small
    margin: they stop the model from getting worse and are to be tightened as mechanisms
    land. (The serving test bound was set after the measured rows' speculative decoding
    became expressible: the Ascend 910C rows, whose catalog efficiencies are not fitted to
    them, then show the model's optimism on SGLang's NPU stack in full; it was tightened
    when those rows and the GPUStack H100 ones got their runs' bf16 KV cache.)"""
    results = evaluate_all()
    errors = mean_abs_errors(results)
    assert errors[("fit", "training")][0] <= 0.20
    dense_training = [
        r for r in results if r.row["kind"] == "training" and r.row["moe"] == "no" and r.error
    ]
    assert dense_training and all(abs(r.error or 0.0) <= 0.30 for r in dense_training), [
        (r.row["id"], r.error) for r in dense_training if abs(r.error or 0.0) > 0.30
    ]
    assert errors[("test", "training")][0] <= 0.30
    assert errors[("fit", "serving")][0] <= 0.33
    assert errors[("test", "serving")][0] <= 0.60


@pytest.mark.parametrize(
    "row_id", ["mbridge2511-qwen3-30b-a3b-fp8-h100x16", "mbridge2511-qwen3-30b-a3b-fp8-gb200x8"]
)
def test_the_layout_search_takes_the_published_layout_of_the_small_expert_moe(row_id: str) -> None:
    """Qwen3-30B-A3B (128 experts of 768): Megatron-Bridge runs EP8 with microbatch 2 on 16
    H100 and 4 on 8 GB200; the MoE layers' fixed times (per layer and per expert a card
    holds, docs/performance-model.md section 2) lead the search to the same tp, pp, ep and
    microbatch (virtual stages aside). Without the per-expert time it takes EP1 for the
    8-GB200 run (two pipeline stages), and with the per-layer time alone EP1 with
    microbatch 8 for the 16-H100 one."""
    (row,) = [r for r in ROWS if r["id"] == row_id]
    published = dict(re.findall(r"([A-Z]+)(\d+)", row["layout"]))
    step, _, _ = training_step(row)
    assert (step.tensor, step.pipeline, step.expert, step.micro_batch) == (
        int(published["TP"]),
        int(published["PP"]),
        int(published["EP"]),
        int(published["MBS"]),
    )
