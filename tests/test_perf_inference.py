"""Inference: replica size, decode batch, SLOs, hand-computed steps and monotonicity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.perf.hardware import scaleup_allreduce_latency_s
from tco.perf.inference import (
    NO_SPECULATION,
    DecodeStep,
    Speculation,
    budget_batch,
    bursts,
    decode_step,
    inference_estimate,
    prefill_s,
    serve_replica,
    steady,
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
    # A TTFT limit below 4 steady iterations: prefilling each 30-token prompt in one
    # iteration as it arrives (the budget leaves 8,192 - 3 tokens) meets it. One iteration in
    # ceil(o / b) = 10 / 3 carries the 30 tokens: f = C / 30 = 0.3, the others none; the
    # iterations stay memory-bound, so the mean is the steady iteration and so is tokens/s.
    limit_ms = 3.5 * memory * 1e3
    tight = _parts(
        {"memory_gb": memory_gb},
        {
            "avg_input_tokens": 30.0,
            "avg_output_tokens": 10.0,
            "max_tpot_ms": 100.0,
            "max_ttft_ms": limit_ms,
        },
        TINY,
        memory_headroom=headroom,
    )
    t = serve_replica(tight[0], tight[1], tight[2], tight[4], 1)
    busy = (2e9 + 800 * (3 * context + 30)) / (3000e9 * 0.8)
    quiet = (2e9 + 800 * 3 * context) / (3000e9 * 0.8)
    assert t.feasible and t.batch == 3
    assert t.prefill_burst_tokens == pytest.approx(30.0) and t.ttft_iterations == 1
    assert t.ttft_ms == pytest.approx(busy * 1e3)
    assert t.tpot_ms == pytest.approx((0.3 * busy + 0.7 * quiet) * 1e3)
    assert t.tokens_per_s == pytest.approx(3 / memory)
    # Below one busy iteration nothing meets it (a smaller batch's busy iteration reads the
    # same weights): infeasible, with the reason.
    tighter = _parts(
        {"memory_gb": memory_gb},
        {
            "avg_input_tokens": 30.0,
            "avg_output_tokens": 10.0,
            "max_tpot_ms": 100.0,
            "max_ttft_ms": 0.9 * quiet * 1e3,
        },
        TINY,
        memory_headroom=headroom,
    )
    t = serve_replica(tighter[0], tighter[1], tighter[2], tighter[4], 1)
    assert not t.feasible and "max_ttft_ms" in t.reason and "as it arrives" in t.reason


def test_token_budget_caps_the_batch() -> None:
    # Each iteration runs b decode tokens and the mean chunk b i / o = 3b: b x 4 <= 400
    # caps b at 100 where memory and the TPOT limit would allow far more.
    w, m, c, _, s = _parts(
        work_over={"avg_input_tokens": 600.0, "avg_output_tokens": 200.0, "max_tpot_ms": 1e4},
        serve_max_batched_tokens=400,
    )
    r = serve_replica(w, m, c, s, 8)
    assert r.feasible and r.batch == 100 == budget_batch(400, 600.0, 200.0, NO_SPECULATION)
    loose = _parts(
        work_over={"avg_input_tokens": 600.0, "avg_output_tokens": 200.0, "max_tpot_ms": 1e4}
    )
    assert serve_replica(loose[0], loose[1], loose[2], loose[4], 8).batch > 100
    # A budget below one request's decode token and prefill share: refused, with the reason.
    few = _parts(
        work_over={"avg_input_tokens": 600.0, "avg_output_tokens": 200.0},
        serve_max_batched_tokens=3,
    )
    refused = serve_replica(few[0], few[1], few[2], few[4], 8)
    assert not refused.feasible and "serve_max_batched_tokens" in refused.reason


def _linear_step(b: float, chunk: float, mean_chunk: float) -> DecodeStep:
    """A made-up iteration: 10 ms + 10 us a token of the busiest card's chunk + 1 us a token
    of the mean card's (+ 0.1 ms a decoding request)."""
    return DecodeStep(0.0, 0.010 + 1e-4 * b + 1e-5 * chunk + 1e-6 * mean_chunk, 0.0, 0.0, 0.0)


def test_bursts_hand_computed() -> None:
    # b = 4, i = 1,000, s = 100 steps, budget 504: the decode tokens leave 500, so a prompt
    # takes n = 2 iterations of 500 tokens; the mean chunk C = 4 x 1000 / 100 = 40.
    quiet = 0.010 + 4e-4
    # 5 schedulers: f = 5 x 40 / 500 = 0.4 of the iterations are busy, the mean card
    # prefilling 40 / 0.4 = 100 tokens in them.
    one = bursts(_linear_step, 4, 1000.0, 100.0, 504, NO_SPECULATION, 5)
    busy = quiet + 500 * 1e-5 + 100 * 1e-6
    assert one.ttft_iterations == 2 and one.burst_tokens == pytest.approx(500.0)
    assert one.step.step_s == pytest.approx(busy)
    assert one.mean_step_s == pytest.approx(0.4 * busy + 0.6 * quiet)
    assert one.ttft_s == pytest.approx(2 * busy)
    assert one.tokens_per_s == pytest.approx(4 / (0.4 * busy + 0.6 * quiet))
    # 20 schedulers: 20 x 40 / 500 > 1, every iteration busy, the mean card at C = 40.
    many = bursts(_linear_step, 4, 1000.0, 100.0, 504, NO_SPECULATION, 20)
    assert many.mean_step_s == pytest.approx(quiet + 500 * 1e-5 + 40 * 1e-6)
    # Steady chunks: every iteration carries C = 40 on every card, ceil(100 / 4) = 25 of them.
    flat = steady(_linear_step, 4, 1000.0, 100.0)
    assert flat.mean_step_s == pytest.approx(quiet + 40 * 1e-5 + 40 * 1e-6)
    assert flat.ttft_iterations == 25 and flat.burst_tokens == 0.0
    # The budget: b (1 + i / s) <= 504 -> b <= 45.
    assert budget_batch(504, 1000.0, 100.0, NO_SPECULATION) == 45
    assert budget_batch(504, 1000.0, 100.0, Speculation(draft=1, accept=1.5)) == 42


@settings(max_examples=25, deadline=None)
@given(
    g=st.sampled_from([2, 4, 8]),
    output=st.sampled_from([50.0, 200.0, 800.0]),
    tpot=st.floats(5.0, 400.0),
    ttft=st.floats(20.0, 5000.0),
)
def test_throughput_is_the_best_batch_and_schedule_meeting_both_slos(
    g: int, output: float, tpot: float, ttft: float
) -> None:
    # Brute force over every batch that fits memory and the 8,192-token budget, under both
    # schedules, priced here from the iteration alone. Steady chunks: TPOT = iteration,
    # TTFT = ceil(o / b) iterations (not monotone in b, so the search must not assume it).
    # Bursts: a prompt in n = ceil(i / (8192 - b)) iterations of i / n tokens, a share
    # f = (b i / o) / (i / n) of the iterations busy: TPOT = f busy + (1 - f) quiet,
    # TTFT = n busy. The replica's tokens/s is the best b / TPOT that meets both limits.
    work = {"avg_output_tokens": output, "max_tpot_ms": tpot, "max_ttft_ms": ttft}
    w, m, c, _, s = _parts(work_over=work)
    r = serve_replica(w, m, c, s, g)
    i = w.avg_input_tokens
    kv_seq = 2 * m.layers * m.kv_heads * m.head_dim * 2 * (i + output)
    memory_batch = int((g * 72e9 - m.params_b * 1e9 * 2) // kv_seq)
    rates = []
    for b in range(1, min(memory_batch, int(8192 // (1 + i / output))) + 1):
        t = decode_step(m, c, "bf16", g, b, i, output).step_s * 1e3
        if t <= tpot and math.ceil(output / b - 1e-9) * t <= ttft:
            rates.append(b / t)
        n = math.ceil(i / (8192 - b))
        chunk = max(i / n, b * i / output)
        f = b * i / output / chunk
        busy = decode_step(m, c, "bf16", g, b, i, output, chunk=chunk).step_s * 1e3
        quiet = decode_step(m, c, "bf16", g, b, i, output, chunk=0.0).step_s * 1e3
        mean = f * busy + (1 - f) * quiet
        if mean <= tpot and n * busy <= ttft:
            rates.append(b / mean)
    if not r.feasible:
        assert not rates, r.reason
        return
    assert r.tokens_per_s == pytest.approx(max(rates) * 1e3, rel=1e-9)
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
        ({"fp8_tflops": None}, {"precision": "fp8"}, "no fp8 peak in its Chips row (fp8_tflops"),
        ({"int8_tops": None}, {"precision": "int8"}, "no int8 peak in its Chips row (int8_tops"),
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
