"""Speculative decoding (Workloads.draft_tokens, acceptance_length): steps by hand, the
batch under a TPOT bound, monotonicity, and the input checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.errors import InputError
from tco.perf.inference import (
    NO_SPECULATION,
    Speculation,
    decode_step,
    inference_estimate,
    serve_replica,
)

from test_perf_helpers import chip, make_inputs, model, parts, serving

TINY = {
    "params_b": 1.0,
    "active_params_b": 1.0,
    "layers": 4,
    "hidden": 1000,
    "heads": 10,
    "kv_heads": 2,
    "head_dim": 100,
}


def _parts(chip_over: dict | None = None, **work: object):  # type: ignore[no-untyped-def]
    inputs = make_inputs(
        chips=[chip(**(chip_over or {}))], models=[model(**TINY)], workloads=[serving(**work)]
    )
    return parts(inputs)


def test_speculative_step_hand_computed() -> None:
    # b = 10 requests, 2 draft tokens, 1.5 tokens emitted a step, i = o = 100, one card.
    # The step runs 10 x 3 = 30 verify tokens, a chunk of 10 x 100 x 1.5 / 100 = 15
    # prefill tokens and 2 x 10 / 4 layers = 5 token-passes of drafting: 50 x 2 GFLOP
    # of linear math at 1000 TFLOP/s x 0.5; attention for the 30 verify tokens at the
    # mean context 150 and the chunk at i = 100; weights 2 GB read once plus the draft's
    # 2 re-reads of one layer (2 / 4 x 2 GB); the KV of 10 contexts and the chunk's.
    _w, m, c, _, _ = _parts()
    spec = Speculation(draft=2, accept=1.5)
    s = decode_step(m, c, "bf16", 1, 10, 100.0, 100.0, spec=spec)
    assert s.chunk_tokens == pytest.approx(15.0)
    assert s.linear_s == pytest.approx(50 * 2e9 / (1000e12 * 0.5))
    per_head = 4 * 10 * 100
    attention = 30 * 4 * per_head * 150 + 15 * 2 * per_head * 100
    assert s.attention_s == pytest.approx(attention / (1000e12 * 0.5))
    assert s.weights_s == pytest.approx((2e9 + 2 / 4 * 2e9) / (3000e9 * 0.8))
    kv = 2 * 4 * 2 * 100 * 2  # 3,200 B a token
    assert s.kv_s == pytest.approx(kv * (10 * 150 + 15) / (3000e9 * 0.8))
    assert s.tpot_s == pytest.approx(s.step_s / 1.5)


def test_no_speculation_is_the_plain_step() -> None:
    _w, m, c, _, _ = _parts()
    plain = decode_step(m, c, "bf16", 1, 10, 100.0, 100.0)
    none = decode_step(m, c, "bf16", 1, 10, 100.0, 100.0, spec=NO_SPECULATION)
    assert plain == none and plain.tpot_s == plain.step_s


def test_accepted_tokens_raise_throughput_under_a_tight_tpot() -> None:
    # Decode-heavy requests (100 in, 1,000 out) under a tight TPOT bound (2 ms) on a card
    # with 20x the compute: the step is bound by the 2 GB weight read (0.83 ms a step).
    # With 3 drafts of which 2.5 tokens a step land, a step may take 2.5 x the bound, so
    # the replica runs a larger batch and emits more tokens a second. (Where compute
    # binds, the 4 verify tokens a request cost more than the 2.5 they emit.)
    fast_chip = {"bf16_tflops": 20000.0}
    shape = {"avg_input_tokens": 100.0, "avg_output_tokens": 1000.0}
    w, m, c, _, s = _parts(fast_chip, max_tpot_ms=2.0, **shape)
    plain = serve_replica(w, m, c, s, 1)
    w2, *_ = _parts(fast_chip, max_tpot_ms=2.0, draft_tokens=3, acceptance_length=2.5, **shape)
    fast = serve_replica(w2, m, c, s, 1)
    assert plain.feasible and fast.feasible
    assert fast.tpot_ms is not None and fast.tpot_ms <= 2.0 + 1e-9
    assert fast.batch > plain.batch
    assert fast.tokens_per_s > 1.5 * plain.tokens_per_s
    # tokens/s = b x a / step and TPOT = step / a for the chosen batch.
    assert fast.tokens_per_s == pytest.approx(fast.batch / (fast.tpot_ms / 1e3))


@settings(max_examples=25, deadline=None)
@given(
    draft=st.integers(1, 4),
    low=st.floats(1.0, 2.0),
    gain=st.floats(0.0, 1.0),
    tpot=st.sampled_from([15.0, 50.0, 200.0]),
)
def test_a_longer_acceptance_never_lowers_throughput(
    draft: int, low: float, gain: float, tpot: float
) -> None:
    high = min(draft + 1.0, low + gain * draft)
    w1, m, c, _, site = _parts(draft_tokens=draft, acceptance_length=low, max_tpot_ms=tpot)
    w2, *_ = _parts(draft_tokens=draft, acceptance_length=high, max_tpot_ms=tpot)
    a = inference_estimate(w1, m, c, site)
    b = inference_estimate(w2, m, c, site)
    if a.feasible:
        assert b.feasible and b.tokens_per_s >= a.tokens_per_s * (1 - 1e-9)


def test_speculation_columns_are_checked_with_their_cells() -> None:
    with pytest.raises(InputError) as info:
        make_inputs(chips=[chip()], models=[model(**TINY)], workloads=[serving(draft_tokens=2)])
    assert "acceptance_length" in str(info.value) and "is required with draft_tokens 2" in str(
        info.value
    )
    with pytest.raises(InputError) as info:
        make_inputs(
            chips=[chip()],
            models=[model(**TINY)],
            workloads=[serving(draft_tokens=2, acceptance_length=3.5)],
        )
    assert "more than the 2 draft tokens + 1" in str(info.value)
