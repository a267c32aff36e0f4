"""Inference: replica size, decode batch, SLOs, hand-computed steps and monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.perf.hardware import scaleup_allreduce_latency_s
from tco.perf.inference import (
    decode_step,
    inference_estimate,
    prefill_s,
    serve_replica,
    ttft_iterations,
)
from tco.perf.memory import smallest_replica
from tco.perf.power import node_power

from test_perf_helpers import chip, make_inputs, model, parts, serving


def _parts(
    chip_over: dict | None = None,
    work_over: dict | None = None,
    model_over: dict | None = None,
    **site: object,
):
    # A second, capable chip keeps validation (precision support, memory fit) satisfied
    # while the first chip, the one evaluated, may be unable to serve.
    inputs = make_inputs(
        chips=[chip(**(chip_over or {})), chip(chip_id="ok")],
        models=[model(**(model_over or {}))],
        workloads=[serving(**(work_over or {}))],
        **site,
    )
    return parts(inputs)


TINY = {
    "params_b": 1.0,
    "active_params_b": 1.0,
    "layers": 1,
    "hidden": 1000,
    "heads": 10,
    "kv_heads": 2,
    "head_dim": 100,
}


def test_decode_step_hand_computed() -> None:
    # 1 card, 1B dense params, 1 layer of hidden 1000, 10 heads x 100, kv 2 heads; bf16.
    # Batch 10 with i = o = 100: each iteration also prefills a chunk of 10 x 100/100 = 10.
    _w, m, c, _, _ = _parts(model_over=TINY)
    s = decode_step(m, c, "bf16", 1, 10, 100.0, 100.0)
    assert s.chunk_tokens == pytest.approx(10.0)
    context = 100 + 100 / 2  # mean context during decode
    decode = 10 * (2 * 1e9 + 4 * 1 * context * 10 * 100)
    chunk = 10 * (2 * 1e9 + 2 * 1 * 100 * 10 * 100)  # a chunk token attends to i/2 on average
    assert s.compute_s == pytest.approx((decode + chunk) / (1000e12 * 0.5))
    kv = 2 * 1 * 2 * 100 * 2  # 800 B/token
    # Weights read once for the 20 tokens of the mixed batch; decode reads its KV, chunk writes.
    assert s.memory_s == pytest.approx((1e9 * 2 + kv * (10 * context + 10)) / (3000e9 * 0.8))
    assert s.comm_s == 0.0  # one card: no all-reduce
    # Each kernel at its own roofline: here both are memory-bound (weights 2.0 GB against
    # 40 GFLOP of linear math; 1.2 MB of KV against 9 MFLOP of attention).
    assert s.step_s == pytest.approx(s.weights_s + s.kv_s)
    assert s.step_s == pytest.approx(s.memory_s)


def test_linear_and_attention_kernels_add_at_their_own_rooflines() -> None:
    # Batch 2,000 of i = o = 1,000 on one card: the linear layers are compute-bound
    # (2 x 1e9 x 4,000 tokens = 8 TFLOP / 500 TFLOP/s = 16 ms against 0.83 ms of
    # weights) and attention memory-bound on its KV (800 B x (2,000 x 1,500 + 2,000)
    # = 2.4 GB / 2,400 GB/s = 1.0 ms against 0.03 ms of attention math). Neither
    # overlaps the other, so the iteration is 16 ms + 1.0 ms, above max(compute, memory).
    _w, m, c, _, _ = _parts(model_over=TINY, chip_over={"memory_gb": 400.0})
    s = decode_step(m, c, "bf16", 1, 2000, 1000.0, 1000.0)
    linear = 4000 * 2 * 1e9 / (1000e12 * 0.5)
    kv = 800 * (2000 * 1500 + 2000) / (3000e9 * 0.8)
    attention = (2000 * 4 * 1500 * 1000 + 2000 * 2 * 1000 * 1000) / (1000e12 * 0.5)
    assert (s.linear_s, s.kv_s, s.attention_s) == pytest.approx((linear, kv, attention))
    assert s.weights_s < s.linear_s and s.attention_s < s.kv_s
    assert s.step_s == pytest.approx(linear + kv)
    assert s.step_s > max(s.compute_s, s.memory_s)


def test_tp_comm_hand_computed_and_latency_grows_with_cards() -> None:
    # 8 cards: 2 all-reduces per layer of (b + C) x hidden x 2 B, ring factor 2 x 7/8,
    # over 450 GB/s x 0.82, plus NCCL ring/LL latency 6.6 us + 14 hops x 0.6 us = 15 us.
    _w, m, c, _, _ = _parts(model_over=TINY)
    s = decode_step(m, c, "bf16", 8, 10, 100.0, 100.0)
    per_call = 2 * 7 / 8 * 20 * 1000 * 2 / (450e9 * 0.82) + 15e-6
    assert s.comm_s == pytest.approx(2 * 1 * per_call)
    assert scaleup_allreduce_latency_s(1) == 0.0
    assert scaleup_allreduce_latency_s(2) == pytest.approx(7.8e-6)
    latencies = [scaleup_allreduce_latency_s(g) for g in (2, 4, 8, 16, 64)]
    assert latencies == sorted(latencies) and len(set(latencies)) == len(latencies)


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 512),
    short=st.floats(10.0, 4000.0),
    longer=st.floats(1.01, 8.0),
    output=st.floats(10.0, 2000.0),
    g=st.sampled_from([1, 2, 8]),
)
def test_tpot_rises_with_prefill_share(
    batch: int, short: float, longer: float, output: float, g: int
) -> None:
    # Same batch, longer prompts: a bigger prefill chunk (b i / o) and longer decode
    # contexts make every part of the iteration at least as long, compute strictly longer.
    _w, m, c, _, _ = _parts()
    a = decode_step(m, c, "bf16", g, batch, short, output)
    b = decode_step(m, c, "bf16", g, batch, short * longer, output)
    assert b.chunk_tokens == pytest.approx(a.chunk_tokens * longer)
    assert b.compute_s > a.compute_s
    assert b.memory_s >= a.memory_s and b.comm_s >= a.comm_s
    assert b.step_s > a.step_s


def test_ttft_hand_computed_tiny_case() -> None:
    # Memory holds exactly 3 sequences (i + o = 40 tokens x 800 B each) besides 2 GB of
    # weights, so b = 3. Chunk C = 3 x 30 / 10 = 9 tokens; a 30-token prompt takes
    # ceil(30 / 9) = 4 iterations. The iteration is memory-bound.
    headroom = 0.1
    kv_seq = 800 * 40
    memory_gb = (2e9 + 3.5 * kv_seq) / (1 - headroom) / 1e9
    w, m, c, _, s = _parts(
        {"memory_gb": memory_gb},
        {"avg_input_tokens": 30.0, "avg_output_tokens": 10.0, "max_tpot_ms": 100.0},
        TINY,
        memory_headroom=headroom,
    )
    r = serve_replica(w, m, c, s, 1)
    assert r.feasible and r.batch == 3
    assert r.prefill_chunk_tokens == pytest.approx(9.0)
    assert r.ttft_iterations == 4 == ttft_iterations(3, 10.0)
    context = 30 + 10 / 2
    memory = (2e9 + 800 * (3 * context + 9)) / (3000e9 * 0.8)
    compute = (3 * (2e9 + 4 * context * 1000) + 9 * (2e9 + 2 * 30 * 1000)) / (1000e12 * 0.5)
    assert memory > compute
    assert r.tpot_ms == pytest.approx(memory * 1e3)
    assert r.ttft_ms == pytest.approx(4 * memory * 1e3)
    assert r.tokens_per_s == pytest.approx(3 / memory)  # b x o / (o x iteration)
    # A TTFT limit below 4 iterations but above one at b = 3 cannot be met at smaller b
    # either (ceil(10 / b) x iteration only grows as b falls): infeasible, with the reason.
    tight = _parts(
        {"memory_gb": memory_gb},
        {
            "avg_input_tokens": 30.0,
            "avg_output_tokens": 10.0,
            "max_tpot_ms": 100.0,
            "max_ttft_ms": 3.5 * memory * 1e3,
        },
        TINY,
        memory_headroom=headroom,
    )
    t = serve_replica(tight[0], tight[1], tight[2], tight[4], 1)
    assert not t.feasible and "max_ttft_ms" in t.reason


@settings(max_examples=25, deadline=None)
@given(
    g=st.sampled_from([2, 4, 8]),
    output=st.sampled_from([50.0, 200.0, 800.0]),
    tpot=st.floats(5.0, 400.0),
    ttft=st.floats(20.0, 5000.0),
)
def test_batch_is_the_largest_meeting_both_slos(
    g: int, output: float, tpot: float, ttft: float
) -> None:
    # Brute force over every batch that fits memory: TPOT = iteration, TTFT = ceil(o / b)
    # iterations (not monotone in b, so the serve_replica search must not assume it).
    work = {"avg_output_tokens": output, "max_tpot_ms": tpot, "max_ttft_ms": ttft}
    w, m, c, _, s = _parts(work_over=work)
    r = serve_replica(w, m, c, s, g)
    i = w.avg_input_tokens
    kv_seq = 2 * m.layers * m.kv_heads * m.head_dim * 2 * (i + output)
    memory_batch = int((g * 72e9 - m.params_b * 1e9 * 2) // kv_seq)
    ok = [
        b
        for b in range(1, memory_batch + 1)
        if (t := decode_step(m, c, "bf16", g, b, i, output).step_s) * 1e3 <= tpot
        and ttft_iterations(b, output) * t * 1e3 <= ttft
    ]
    if not r.feasible:
        assert not ok, r.reason
        return
    assert r.batch == max(ok)
    assert r.tpot_ms <= tpot and r.ttft_ms <= ttft


def test_prefill_hand_computed() -> None:
    _w, m, c, _, _ = _parts(model_over=TINY)
    flops = 2 * 1e9 * 500 + 2 * 1 * 500**2 * 10 * 100
    assert prefill_s(m, c, "bf16", 1, 500.0) == pytest.approx(flops / (1000e12 * 0.5))


def test_llama70b_bf16_on_80gb_needs_two_cards() -> None:
    # 140 GB of weights > 72 GB usable on one card; 2 x 72 = 144 GB holds it.
    w, m, c, _, s = _parts(work_over={"max_tpot_ms": 1000.0})
    assert not serve_replica(w, m, c, s, 1).feasible
    context = w.avg_input_tokens + w.avg_output_tokens
    fit = smallest_replica(m, "bf16", c.scaleup_domain, 72e9, context)
    assert fit.replica_cards == 2
    assert serve_replica(w, m, c, s, 2).feasible
    # The estimate may prefer a larger replica for more tokens/s per card, never a smaller one.
    assert inference_estimate(w, m, c, s).replica_cards in (2, 4, 8)


@pytest.mark.parametrize(
    ("chip_over", "work_over", "phrase"),
    [
        ({"fp8_tflops": None}, {"precision": "fp8"}, "does not support fp8"),
        ({"int8_tops": None}, {"precision": "int8"}, "does not support int8"),
        ({"scaleup_domain": 1}, {}, "scale-up replica"),
        ({}, {"max_tpot_ms": 0.1}, "max_tpot_ms"),
        ({}, {"max_ttft_ms": 0.01}, "max_ttft_ms"),
    ],
)
def test_infeasible_pairs_have_reasons(chip_over: dict, work_over: dict, phrase: str) -> None:
    w, m, c, _, s = _parts(chip_over, work_over)
    r = inference_estimate(w, m, c, s)
    assert not r.feasible and phrase in r.reason and r.tokens_per_s == 0.0


def test_node_power() -> None:
    c = _parts()[2]
    p = node_power(c, make_inputs(utilization=0.5).site)
    assert p.peak_w == 8 * 700 + 4600  # cards x tdp + host
    assert p.average_kw == pytest.approx(10.2 * 0.5)
    fabric = _parts()[3]
    assert fabric.nic_power_w > 0
    with_nics = node_power(c, make_inputs(utilization=0.5).site, fabric)
    assert with_nics.peak_w == 8 * 700 + 4600 + 8 * fabric.nic_power_w  # one NIC per card


@settings(max_examples=60, deadline=None)
@given(
    tpot=st.floats(5.0, 200.0),
    tighter=st.floats(0.1, 1.0),
    g=st.sampled_from([2, 4, 8]),
    prompt=st.sampled_from([100.0, 1000.0, 8000.0]),
    output=st.sampled_from([20.0, 200.0, 1000.0]),
    ttft=st.sampled_from([None, 500.0, 3000.0]),
)
def test_tighter_tpot_never_raises_batch(
    tpot: float, tighter: float, g: int, prompt: float, output: float, ttft: float | None
) -> None:
    work = {"avg_input_tokens": prompt, "avg_output_tokens": output, "max_ttft_ms": ttft}
    loose = _parts(work_over={**work, "max_tpot_ms": tpot})
    tight = _parts(work_over={**work, "max_tpot_ms": tpot * tighter})
    a = serve_replica(loose[0], loose[1], loose[2], loose[4], g)
    b = serve_replica(tight[0], tight[1], tight[2], tight[4], g)
    assert b.batch <= a.batch
    for r, limit in ((a, tpot), (b, tpot * tighter)):
        assert not r.feasible or r.tpot_ms <= limit
    w, m, c, _, s = loose
    assert (
        inference_estimate(tight[0], m, c, s).tokens_per_s_per_card
        <= inference_estimate(w, m, c, s).tokens_per_s_per_card + 1e-9
    )


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(["memory_bw_gbs", "scaleup_bw_gbs", "bf16_tflops"]),
    factor=st.floats(1.0, 4.0),
    tpot=st.floats(10.0, 200.0),
    prompt=st.sampled_from([100.0, 1000.0, 8000.0]),
    ttft=st.sampled_from([None, 500.0, 3000.0]),
)
def test_more_bandwidth_or_peak_never_lowers_throughput(
    field: str, factor: float, tpot: float, prompt: float, ttft: float | None
) -> None:
    base = chip()
    work = {"max_tpot_ms": tpot, "avg_input_tokens": prompt, "max_ttft_ms": ttft}
    w, m, c, _, s = _parts(work_over=work)
    w2, m2, c2, _, s2 = _parts({field: base[field] * factor}, work)
    slow, fast = inference_estimate(w, m, c, s), inference_estimate(w2, m2, c2, s2)
    assert fast.tokens_per_s_per_card >= slow.tokens_per_s_per_card * (1 - 1e-9)
