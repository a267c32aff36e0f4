"""Context parallelism for long sequences: degrees, the K/V ring by hand, memory, effect."""

from __future__ import annotations

from unittest import mock

import pytest

import tco.perf.training as training_module
from tco.perf.memory import training_memory
from tco.perf.training import context_degrees, context_ring_s
from tco.schema.rows import ModelRow

from test_perf_helpers import chip, fabric, make_inputs, model, parts, training

TINY = ModelRow(
    model_id="tiny",
    params_b=1.0,
    active_params_b=1.0,
    layers=4,
    hidden=1024,
    heads=8,
    kv_heads=2,
    head_dim=128,
)


def test_context_parallel_only_for_chunks_of_4096_tokens_or_more() -> None:
    assert context_degrees(4096) == [1]
    assert context_degrees(8192) == [1, 2]
    assert context_degrees(131072) == [1, 2, 4, 8, 16, 32]


def test_kv_ring_by_hand() -> None:
    # cp 4, tp 1, seq 8,192: a card receives 3/4 x 8,192 x 2 KV heads x 128 x 2 (K, V)
    # x 2 B = 6,291,456 B per pass and layer; selective: 3 passes (1 forward, 2 backward).
    # Link 1 GB/s, latency 1 us a step (3 steps). Attention 0 s: nothing hides the ring.
    per_pass = 3 / 4 * 8192 * 2 * 128 * 2 * 2
    ring = 3 * (per_pass / 1e9 + 3 * 1e-6)
    seconds = context_ring_s(TINY, 8192, 1, 4, 1, 2.0, "selective", 0.0, 1e9, 1e-6)
    assert seconds == pytest.approx(4 * 2 * ring)  # 4 layers x 2 microbatches
    # Attention longer than the ring hides it entirely.
    assert context_ring_s(TINY, 8192, 1, 4, 1, 2.0, "selective", 1.0, 1e9, 1e-6) == 0.0
    assert context_ring_s(TINY, 8192, 1, 1, 1, 2.0, "selective", 0.0, 1e9, 1e-6) == 0.0


def test_context_parallel_splits_the_activations() -> None:
    one = training_memory(TINY, 32768, 1, 1, 1, context=1, recompute="selective")
    four = training_memory(TINY, 32768, 1, 1, 1, context=4, recompute="selective")
    assert one.activations_bytes == pytest.approx(4 * 32768 * 1024 * 34)
    assert four.activations_bytes == pytest.approx(one.activations_bytes / 4)
    assert four.optimizer_bytes == pytest.approx(one.optimizer_bytes / 4)


def test_context_parallelism_lets_more_cards_speed_up_a_few_long_sequences() -> None:
    # 16 sequences of 131,072 tokens: without CP data parallelism stops at 16 replicas.
    inputs = make_inputs(
        chips=[chip(memory_gb=40.0)],
        fabrics=[fabric()],
        models=[model(params_b=8.0, active_params_b=8.0, layers=32, hidden=4096, heads=32)],
        workloads=[training(seq_len=131072, global_batch_tokens=131072 * 16.0)],
    )
    with_cp = training_module.training_curve(*parts(inputs))
    with mock.patch.object(training_module, "context_degrees", lambda seq_len: [1]):
        without = training_module.training_curve(*parts(inputs))
    assert with_cp.feasible and without.feasible
    assert any(lay.context > 1 for lay in with_cp.layouts)
    beyond = 4 * without.saturation_nodes
    assert without.tokens_per_s(beyond) == pytest.approx(
        without.tokens_per_s(without.saturation_nodes)
    )
    assert with_cp.tokens_per_s(beyond) > 1.5 * without.tokens_per_s(beyond)
    assert with_cp.step(beyond).context > 1
