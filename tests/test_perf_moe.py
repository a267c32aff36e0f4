"""MoE arithmetic and expert parallelism in training, on a tiny hand-computed model."""

from __future__ import annotations

import pytest

from tco.perf.memory import training_memory
from tco.perf.moe import (
    all_to_all_bytes_per_token,
    dense_active_params,
    dense_params,
    routed_active_params,
    routed_params,
)
from tco.perf.training import expert_all_to_all_s
from tco.schema.rows import ModelRow

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
