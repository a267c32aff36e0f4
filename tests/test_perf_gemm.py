"""Shape-dependent matrix efficiency (tco.perf.gemm) and the micro-batch decision."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tco.perf.training as training_module
from tco.data.catalog import DEFAULT_CATALOG
from tco.perf.gemm import dense_ffn, shape_factors
from tco.perf.training import training_curve
from tco.schema.inputs import inputs_from_dicts

from test_perf_helpers import chip, fabric, make_inputs, model, parts, training

# hidden 64, one head of 64 and one KV head: QKV N = 192, attention params a layer
# 64 x 192 + 64 x 64 = 16,384; 2 layers of 16,384 + 3 x 64 x 128 give a SwiGLU f = 128.
TINY = {
    "params_b": 81920e-9,
    "active_params_b": 81920e-9,
    "layers": 2,
    "hidden": 64,
    "heads": 1,
    "kv_heads": 1,
    "head_dim": 64,
}
# The same attention with 4 experts of f = 32 (top-2) instead of the dense MLP: routed
# 2 layers x 4 x 3 x 64 x 32 = 49,152, active routed 24,576.
TINY_MOE = {
    **TINY,
    "params_b": (32768 + 49152) * 1e-9,
    "active_params_b": (32768 + 24576) * 1e-9,
    "experts": 4,
    "experts_per_token": 2,
    "shared_experts": 0,
    "expert_ffn": 32,
}


def _parts(chip_over: dict, model_over: dict, work_over: dict | None = None):  # type: ignore[no-untyped-def]
    inputs = make_inputs(
        chips=[chip(**chip_over)],
        fabrics=[fabric()],
        models=[model(**model_over)],
        workloads=[training(**(work_over or {}))],
    )
    return parts(inputs)


def test_dense_factor_hand_computed() -> None:
    # A_half = tile 1,024 x 4 units / 2 = 2,048 output elements. M = 32 tokens, tp = 1:
    #   QKV (32, 64, 192): 1 + 2048/3 x (1/6144 + 1/2048 + 1/12288) = 1.5
    #   out (32, 64, 64):  1 + 2048/3 x (1/2048 x 3)                 = 1.833333
    #   up  (32, 64, 256): 1 + 2048/3 x (1/8192 + 1/2048 + 1/16384)  = 1.458333
    #   down (32, 128, 64): 1 + 2048/3 x (1/2048 + 1/4096 + 1/8192)  = 1.583333
    # FLOP-weighted (393,216 / 131,072 / 524,288 / 262,144): 1.533333; the reference
    # (4096^3): 1 + 2048/3 x 3/4096^2 = 1.000122 -> 1.533146.
    _, m, c, *_ = _parts({"matrix_units": 4, "gemm_tile_elements": 1024}, TINY)
    assert dense_ffn(m) == pytest.approx(128.0)
    factors = shape_factors(c, m, tokens=32, tensor=1, expert=1)
    assert factors.dense == pytest.approx(1.5333333 / 1.0001220703125)
    assert factors.expert == 1.0


def test_expert_factor_hand_computed() -> None:
    # ep = 2 ranks of 32 tokens, top-2 of 4 experts: 2 x 32 x 2 / 4 = 32 tokens an expert.
    #   up (32, 64, 64): 1.833333; down (32, 32, 64): 1 + 2048/3 x (1/2048 + 1/1024 +
    #   1/2048) = 2.333333; weighted (131,072 / 65,536): 2.0 -> / 1.000122.
    # The dense part is attention only: (1.5 x 393,216 + 1.833333 x 131,072) / 524,288.
    _, m, c, *_ = _parts({"matrix_units": 4, "gemm_tile_elements": 1024}, TINY_MOE)
    assert dense_ffn(m) == 0.0
    factors = shape_factors(c, m, tokens=32, tensor=1, expert=2)
    ref = 1.0001220703125
    assert factors.expert == pytest.approx(2.0 / ref)
    assert factors.dense == pytest.approx((1.5 * 393216 + 11 / 6 * 131072) / 524288 / ref)


def test_blank_matrix_units_keeps_one_efficiency() -> None:
    _, m, c, *_ = _parts({}, TINY_MOE)
    assert c.matrix_units is None
    factors = shape_factors(c, m, tokens=32, tensor=8, expert=1)
    assert (factors.dense, factors.expert) == (1.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    units=st.integers(8, 200),
    tokens=st.sampled_from([256, 1024, 4096, 16384]),
    tensor=st.sampled_from([1, 2, 4, 8]),
    expert=st.sampled_from([1, 2, 8, 32]),
)
def test_smaller_per_card_gemms_never_run_faster(
    units: int, tokens: int, tensor: int, expert: int
) -> None:
    # More tokens a microbatch, fewer tensor-parallel ranks, more expert-parallel ranks
    # (more tokens an expert): each makes the per-card GEMMs larger, never slower.
    qwen = next(r for r in DEFAULT_CATALOG["Models"] if r["model_id"] == "qwen3-30b-a3b")
    shape = {k: v for k, v in qwen.items() if v is not None and k != "model_id"}
    _, m, c, *_ = _parts({"matrix_units": units}, shape)
    base = shape_factors(c, m, tokens, tensor, expert)
    bigger = shape_factors(c, m, tokens * 2, tensor, expert)
    assert bigger.dense <= base.dense and bigger.expert <= base.expert
    if tensor > 1:
        narrower = shape_factors(c, m, tokens, tensor // 2, expert)
        assert narrower.dense <= base.dense
    assert shape_factors(c, m, tokens, tensor, expert * 2).expert <= base.expert
    assert base.dense > 0.9  # a 4,096-wide reference bounds the gain on large GEMMs


def test_micro_batch_trades_bubble_against_calls() -> None:
    # Same layout at mbs 1 and 2 (pp 2, v 1, tp 2): half the microbatches doubles the
    # bubble's share (pp - 1) / (v m) and halves the tensor-parallel call count, whose
    # bytes per call double, so only the per-call latency is saved.
    w, m, c, f, site = _parts(
        {},
        {**TINY, "layers": 8, "heads": 8, "head_dim": 8},
        {"seq_len": 1024, "global_batch_tokens": 64 * 1024.0, "recompute": "selective"},
    )
    # Without the dominance pruning, so both microbatch sizes of the layout are there.
    with mock.patch.object(training_module, "undominated", lambda layouts: layouts):
        curve = training_curve(w, m, c, f, site)
    pick = {
        lay.micro_batch: lay
        for lay in curve.layouts
        if (lay.tensor, lay.pipeline, lay.virtual, lay.context, lay.recompute)
        == (2, 2, 1, 1, "selective")
    }
    one, two = pick[1], pick[2]
    assert two.work_s == pytest.approx(one.work_s)  # no matrix_units: shape-independent
    assert two.bubble_s == pytest.approx(2 * one.bubble_s)
    assert one.bubble_s == pytest.approx(1 / 64 * one.work_s)  # (2 - 1) / (1 x 64)
    assert (one.max_data, two.max_data) == (64, 32)
    latency = 10e-6 * 4 * 8 / 2 * 64  # 4 calls a layer, 4 layers a stage, 64 microbatches
    assert one.tp_comm_s - two.tp_comm_s == pytest.approx(latency / 2)


def _catalog_curve(model_id: str, chip_id: str, units: bool = True, **site: float):  # type: ignore[no-untyped-def]
    def row(sheet: str, key: str, value: str) -> dict:
        found = next(r for r in DEFAULT_CATALOG[sheet] if r[key] == value)
        return copy.deepcopy(found)

    c = row("Chips", "chip_id", chip_id)
    c.pop("max_cards", None)
    if not units:
        c["matrix_units"] = None
    f = row("Fabrics", "fabric_id", "ib-ndr400")
    f.pop("compatible_chips", None)
    inputs = inputs_from_dicts(
        {
            "Chips": [c],
            "Fabrics": [f],
            "Cooling": copy.deepcopy(DEFAULT_CATALOG["Cooling"]),
            "Models": [row("Models", "model_id", model_id)],
            "Workloads": [
                {
                    "workload_id": "w",
                    "model_id": model_id,
                    "kind": "training",
                    "precision": "bf16",
                    "target_tokens_per_s": 1.0,
                    "seq_len": 4096,
                    "global_batch_tokens": 2097152.0,
                }
            ],
        },
        {"electricity_price_per_kwh": 0.1, "region": "global", **site},
    )
    return training_curve(*parts(inputs))


def test_fine_grained_experts_move_the_layout_to_expert_parallelism() -> None:
    # Qwen3-30B-A3B (128 experts of f = 768, top-8) on 16 H100: without expert
    # parallelism each card runs all 128 experts on 4,096 x 8 / 128 = 256 tokens each,
    # small GEMMs on 132 SMs; Megatron-Bridge trains it with EP8. With the shape model
    # the search picks EP >= 8 and a larger microbatch; with one efficiency it picks EP1.
    # (The MoE layers' fixed times, which also favour EP and larger microbatches, are
    # off here: this is the shape model's own effect.)
    off = {"moe_train_overhead_ms": 0.0, "moe_train_expert_overhead_us": 0.0}
    shaped = _catalog_curve("qwen3-30b-a3b", "h100", **off).step_at_cards(16)
    flat = _catalog_curve("qwen3-30b-a3b", "h100", units=False, **off).step_at_cards(16)
    assert shaped.expert >= 8
    assert flat.expert == 1
    assert shaped.tokens_per_s < flat.tokens_per_s


def test_pruning_keeps_the_microbatch_that_reaches_full_data_parallelism() -> None:
    # One layer, 64 sequences: at one card a replica, MBS2 beats MBS1 on every term
    # (larger GEMMs, no bubble without pipelining) but reaches only dp 32. The pruning
    # must keep MBS1, so 64 cards still run at dp 64 and beat 32 cards.
    w, m, c, f, site = _parts(
        {"matrix_units": 132, "cards_per_node": 1, "scaleup_domain": 1},
        {
            **TINY,
            "params_b": 1.0,
            "active_params_b": 1.0,
            "layers": 1,
            "hidden": 1024,
            "heads": 8,
            "kv_heads": 8,
            "head_dim": 128,
        },
        {"seq_len": 1024, "global_batch_tokens": 64 * 1024.0, "recompute": "selective"},
    )
    curve = training_curve(w, m, c, f, site)
    ones = [lay for lay in curve.layouts if lay.replica_cards == 1]
    assert {lay.micro_batch for lay in ones} >= {1, 2}
    assert curve.step_at_cards(64).data == 64
    assert curve.tokens_per_s(64) > curve.tokens_per_s(32)
