"""Memory: training state per card, serving weights, KV cache, smallest replica."""

from __future__ import annotations

import pytest

from tco.perf.inference import inference_estimate
from tco.perf.memory import (
    busiest_stage_share,
    kv_bytes_per_token,
    min_data_parallel,
    smallest_replica,
    training_memory,
    weights_bytes,
    with_kv_cache,
)
from tco.schema.rows import ModelRow

from test_perf_helpers import make_inputs, model, parts, serving


def _model(**overrides: object) -> object:
    return next(iter(make_inputs(models=[model(**overrides)]).models.values()))


def test_training_memory_hand_computed() -> None:
    # 8B params, tp=2, pp=2 -> shard 2e9 params; dp=4.
    m = _model(
        params_b=8.0, active_params_b=8.0, layers=4, hidden=1000, heads=8, kv_heads=8, head_dim=125
    )
    mem = training_memory(m, seq_len=100, tensor=2, pipeline=2, data=4)
    assert mem.weights_bytes == 2 * 2e9  # 2 B x 2e9
    assert mem.grads_bytes == 2 * 2e9
    assert mem.optimizer_bytes == 12 * 2e9 / 4  # ZeRO-1 over dp = 4
    assert mem.activations_bytes == 4 * 100 * 1000 * 2 / 2  # layers x seq x hidden x 2 B / tp
    assert mem.total_gb == pytest.approx((4e9 + 4e9 + 6e9 + 400_000) / 1e9)


def test_min_data_parallel_hand_computed() -> None:
    # shard 2e9 params: 8 GB weights+grads, 24 GB optimizer at dp=1; usable 16 GB (+act 0.4 MB)
    # -> room 8 GB - 0.4 MB, 24 GB / room = 3.0002 -> dp = 4.
    m = _model(
        params_b=8.0, active_params_b=8.0, layers=4, hidden=1000, heads=8, kv_heads=8, head_dim=125
    )
    assert min_data_parallel(m, 100, 2, 2, 16e9) == 4
    assert min_data_parallel(m, 100, 2, 2, 8e9) is None  # weights and grads alone fill it


@pytest.mark.parametrize(
    ("params_b", "seed_gb"), [(72.7, 140.0), (32.8, 64.0), (14.7, 28.0), (7.6, 14.0)]
)
def test_seed_table_9_bf16_weights(params_b: float, seed_gb: float) -> None:
    # Qwen2.5-72B/32B/14B/7B: params x 2 B; the seed rounds (72.7 x 2 = 145 vs "about 140").
    m = _model(params_b=params_b, active_params_b=params_b)
    assert weights_bytes(m, "bf16") / 1e9 == pytest.approx(
        seed_gb, rel=0.05 if params_b > 70 else 0.1
    )


def test_llama2_70b_kv_cache_exact() -> None:
    # 2 (K,V) x 80 layers x 8 KV heads x 128 x 2 B = 327,680 B/token.
    assert kv_bytes_per_token(_model(), "bf16") == 327_680
    assert kv_bytes_per_token(_model(), "fp8") == 163_840


def test_kv_override_for_mla() -> None:
    assert kv_bytes_per_token(_model(kv_bytes_per_token=70_272), "bf16") == 70_272


def test_kv_cache_precision_hand_computed() -> None:
    # FP8 weights with a bf16 cache: 2 x 80 x 8 x 128 x 2 B, not the 1 B of the weights; an
    # MLA override is stated at bf16 and scales by the cache's bytes a value.
    w = next(iter(make_inputs(workloads=[serving(precision="fp8")]).workloads.values()))
    assert with_kv_cache(_model(), w) == _model()  # blank: as the model says
    bf16 = w.model_copy(update={"kv_cache_precision": "bf16"})
    assert kv_bytes_per_token(with_kv_cache(_model(), bf16), "fp8") == 327_680
    fp8 = w.model_copy(update={"kv_cache_precision": "fp8"})
    mla = _model(kv_bytes_per_token=70_272)
    assert kv_bytes_per_token(with_kv_cache(mla, fp8), "fp8") == 35_136
    assert kv_bytes_per_token(with_kv_cache(mla, bf16), "fp8") == 70_272


def test_a_wider_kv_cache_never_raises_throughput() -> None:
    # Twice the bytes a token: fewer sequences fit and every decode reads more.
    w, m, c, _, s = parts(make_inputs(workloads=[serving(precision="fp8", max_tpot_ms=100.0)]))
    narrow = inference_estimate(w.model_copy(update={"kv_cache_precision": "fp8"}), m, c, s)
    wide = inference_estimate(w.model_copy(update={"kv_cache_precision": "bf16"}), m, c, s)
    assert narrow.feasible and wide.feasible
    assert narrow == inference_estimate(w, m, c, s)  # blank = the workload's fp8
    assert wide.tokens_per_s_per_card < narrow.tokens_per_s_per_card
    assert wide.kv_cache_gb / wide.batch == pytest.approx(2 * narrow.kv_cache_gb / narrow.batch)


def test_smallest_replica() -> None:
    # 70B bf16 = 140 GB; one 1,000-token sequence = 0.33 GB; 72 GB usable per card -> 2 cards.
    fit = smallest_replica(_model(), "bf16", 8, 72e9, 1000)
    assert fit.feasible and fit.replica_cards == 2
    # Only 1-card domains: cannot fit, with a reason.
    fit = smallest_replica(_model(), "bf16", 1, 72e9, 1000)
    assert not fit.feasible and fit.replica_cards is None and "GB" in fit.reason


def test_the_busiest_pipeline_stage_holds_whole_layers() -> None:
    """28 layers over 16 stages: twelve hold 2, 8/7 of the mean 1.75; 61 over 16 (DeepSeek-V3):
    4 on the busiest, 64/61; stages that divide the layers: 1. Its weights and activations
    are what the card must hold (QA: a fraction of a layer a stage)."""
    assert busiest_stage_share(28, 16) == pytest.approx(8 / 7, rel=1e-12)
    assert busiest_stage_share(61, 16) == pytest.approx(64 / 61, rel=1e-12)
    assert busiest_stage_share(80, 16) == busiest_stage_share(32, 1) == 1.0
    model = ModelRow.model_validate(
        dict(
            model_id="m",
            params_b=7.0,
            active_params_b=7.0,
            layers=28,
            hidden=3584,
            heads=28,
            kv_heads=4,
            head_dim=128,
        )
    )
    even = training_memory(model, 4096, 8, 14, 1)
    uneven = training_memory(model, 4096, 8, 16, 1)
    assert uneven.activations_bytes == pytest.approx(even.activations_bytes * 8 / 7, rel=1e-12)
    assert uneven.weights_bytes == pytest.approx(even.weights_bytes * 14 / 16 * 8 / 7, rel=1e-12)
