"""MoE arithmetic and expert parallelism in training, on a tiny hand-computed model."""

from __future__ import annotations

from typing import Any

import pytest

from tco.perf.memory import training_memory
from tco.perf.moe import (
    active_expert_share,
    all_to_all_bytes_per_token,
    dense_active_params,
    dense_params,
    routed_active_params,
    routed_params,
)
from tco.perf.training import expert_all_to_all_s, training_curve
from tco.schema.rows import ModelRow

from test_perf_helpers import make_inputs, model, parts, training

#: 4 layers of hidden 64, 2 of them MoE with 8 experts (top-2, 1 shared) of FFN 32.
TINY = ModelRow(
    model_id="tiny-moe",
    params_b=0.0002,
    active_params_b=0.00005,
    layers=4,
    hidden=64,
    heads=4,
    kv_heads=4,
    head_dim=16,
    experts=8,
    experts_per_token=2,
    shared_experts=1,
    expert_ffn=32,
    moe_layers=2,
)


def test_routed_and_dense_parameters_by_hand() -> None:
    per_expert = 3 * 64 * 32  # gate, up, down: 6,144 weights
    assert routed_params(TINY) == 2 * 8 * per_expert == 98_304
    assert routed_active_params(TINY) == 2 * 2 * per_expert == 24_576
    assert dense_params(TINY) == pytest.approx(200_000 - 98_304)
    assert dense_active_params(TINY) == pytest.approx(50_000 - 24_576)


@pytest.mark.parametrize(
    ("precision", "ranks", "expected"),
    [
        # k x hidden x (dispatch B + 2 B combine) x (ranks - 1) / ranks
        ("bf16", 4, 2 * 64 * (2 + 2) * 3 / 4),  # 384 B
        ("fp8", 4, 2 * 64 * (1 + 2) * 3 / 4),  # 288 B: FP8 dispatch, BF16 combine
        ("fp8", 8, 2 * 64 * (1 + 2) * 7 / 8),  # 336 B
        ("bf16", 1, 0.0),  # no expert parallelism: no all-to-all
    ],
)
def test_all_to_all_bytes_by_hand(precision: str, ranks: int, expected: float) -> None:
    assert all_to_all_bytes_per_token(TINY, precision, ranks) == pytest.approx(expected)


def test_dense_model_has_no_all_to_all() -> None:
    dense = TINY.model_copy(
        update={"experts": None, "experts_per_token": None, "expert_ffn": None, "moe_layers": None}
    )
    assert routed_params(dense) == 0 and all_to_all_bytes_per_token(dense, "bf16", 8) == 0


def test_step_all_to_all_time_by_hand() -> None:
    # tp 1, pp 2, ep 4, B = 8,192 tokens in 4 sequences of 2,048, 1 GB/s link, 1 us a call:
    # bytes = 3 passes x (2 MoE layers / 2 stages) x 8,192 tokens x 384 B = 9,437,184 B
    # calls = 3 x 2 x 1 layer x 4 microbatches = 24
    seconds = expert_all_to_all_s(TINY, "bf16", 1, 2, 4, 8192.0, 4.0, 1e9, 1e-6)
    assert seconds == pytest.approx(9_437_184 / 1e9 + 24e-6)


def test_expert_parallelism_splits_only_the_experts() -> None:
    one = training_memory(TINY, seq_len=16, tensor=1, pipeline=1, data=4, expert=1)
    four = training_memory(TINY, seq_len=16, tensor=1, pipeline=1, data=4, expert=4)
    # weights: 2 B x (dense + routed / ep); the optimizer stays 12 B x params / cards
    assert one.weights_bytes == pytest.approx(2 * 200_000)
    assert four.weights_bytes == pytest.approx(2 * (200_000 - 98_304 + 98_304 / 4))
    assert (
        four.optimizer_bytes
        == pytest.approx(one.optimizer_bytes)
        == pytest.approx(12 * 200_000 / 4)
    )


def _moe_step(layer_ms: float, expert_us: float = 0.0) -> Any:
    """Qwen3-30B-A3B's shape on 8 H100-like cards, 64 sequences of 4,096 tokens a step,
    with the MoE layers' fixed times given (per layer, per expert a card holds)."""
    moe = model(
        params_b=30.5,
        active_params_b=3.3,
        layers=48,
        hidden=2048,
        heads=32,
        kv_heads=4,
        head_dim=128,
        experts=128,
        experts_per_token=8,
        expert_ffn=768,
    )
    inputs = make_inputs(
        models=[moe],
        workloads=[training(global_batch_tokens=64 * 4096)],
        moe_train_overhead_ms=layer_ms,
        moe_train_expert_overhead_us=expert_us,
    )
    return training_curve(*parts(inputs)).step_at_cards(8)


@pytest.mark.parametrize(("layer_ms", "expert_us"), [(0.5, 0.0), (0.0, 5.0), (0.5, 5.0)])
def test_moe_fixed_times_by_hand(layer_ms: float, expert_us: float) -> None:
    # On the same layout the fixed times add r x moe_layers / pp x microbatches a card x
    # (layer + experts / ep x expert) to the compute term (r = 8/6 under full
    # recomputation, else 1).
    base, slow = _moe_step(0.0), _moe_step(layer_ms, expert_us)
    assert slow.layout == base.layout
    redo = 8 / 6 if slow.recompute == "full" else 1.0
    microbatches = 64 / (slow.micro_batch * slow.data)
    per_layer_s = layer_ms * 1e-3 + 128 / slow.expert * expert_us * 1e-6
    expected = redo * 48 / slow.pipeline * microbatches * per_layer_s
    assert slow.compute_s - base.compute_s == pytest.approx(expected, rel=1e-9)
    # The bubble is a share of the compute term, so it grows in proportion.
    if slow.pipeline > 1:
        assert slow.bubble_s / slow.compute_s == pytest.approx(base.bubble_s / base.compute_s)


def test_moe_layer_time_never_raises_throughput_and_favours_larger_microbatches() -> None:
    steps = [_moe_step(ms) for ms in (0.0, 1.0, 3.0, 10.0, 30.0)]
    rates = [s.tokens_per_s for s in steps]
    assert rates == sorted(rates, reverse=True)
    assert rates[-1] < rates[0]
    # Fewer, larger microbatches pay the fixed time fewer times.
    tokens_per_microbatch = [s.micro_batch * 4096 / s.context for s in steps]
    assert tokens_per_microbatch[-1] > tokens_per_microbatch[0]


def test_moe_expert_time_never_raises_throughput_and_favours_expert_parallelism() -> None:
    steps = [_moe_step(0.0, us) for us in (0.0, 20.0, 100.0, 500.0)]
    rates = [s.tokens_per_s for s in steps]
    assert rates == sorted(rates, reverse=True)
    assert rates[-1] < rates[0]
    # Expert parallelism divides the experts a card launches.
    experts = [s.expert for s in steps]
    assert experts == sorted(experts) and experts[-1] > experts[0]


def test_moe_fixed_times_leave_a_dense_model_alone() -> None:
    dense = make_inputs(moe_train_overhead_ms=0.0, moe_train_expert_overhead_us=0.0)
    slow = make_inputs(moe_train_overhead_ms=30.0, moe_train_expert_overhead_us=500.0)
    assert (
        training_curve(*parts(slow)).step_at_cards(64).tokens_per_s
        == training_curve(*parts(dense)).step_at_cards(64).tokens_per_s
    )


def test_active_expert_share_by_hand() -> None:
    # TINY routes each token to 2 of 8 experts: one token reaches 2/8, two tokens miss an
    # expert with (6/8)^2, many reach them all; a dense model has none.
    assert active_expert_share(TINY, 0.0) == 0.0
    assert active_expert_share(TINY, 1.0) == pytest.approx(2 / 8)
    assert active_expert_share(TINY, 2.0) == pytest.approx(1 - (6 / 8) ** 2)
    assert active_expert_share(TINY, 200.0) == pytest.approx(1.0)
    dense = TINY.model_copy(
        update={"experts": None, "experts_per_token": None, "expert_ffn": None, "moe_layers": None}
    )
    assert active_expert_share(dense, 50.0) == 0.0
