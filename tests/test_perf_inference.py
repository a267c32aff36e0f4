"""Inference: replica size, decode batch, SLOs, hand-computed steps and monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.perf.inference import decode_step, inference_estimate, prefill_s, serve_replica
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


def test_decode_step_hand_computed() -> None:
    # 1 card, 1B dense params, 1 layer of hidden 1000, 10 heads x 100, kv 2 heads; bf16.
    _w, m, c, _, _ = _parts(
        model_over={
            "params_b": 1.0,
            "active_params_b": 1.0,
            "layers": 1,
            "hidden": 1000,
            "heads": 10,
            "kv_heads": 2,
            "head_dim": 100,
        }
    )
    s = decode_step(m, c, "bf16", 1, 10, 100.0, 100.0)
    context = 100 + 100 / 2  # mean context during decode
    flops = 10 * (2 * 1e9 + 4 * 1 * context * 10 * 100)
    assert s.compute_s == pytest.approx(flops / (1000e12 * 0.5))
    kv = 2 * 1 * 2 * 100 * 2  # 800 B/token
    assert s.memory_s == pytest.approx((1e9 * 2 + 10 * kv * context) / (3000e9 * 0.8))
    assert s.comm_s == 0.0  # one card: no all-reduce
    assert s.step_s == pytest.approx(max(s.compute_s, s.memory_s))


def test_prefill_hand_computed() -> None:
    _w, m, c, _, _ = _parts(
        model_over={
            "params_b": 1.0,
            "active_params_b": 1.0,
            "layers": 1,
            "hidden": 1000,
            "heads": 10,
            "kv_heads": 2,
            "head_dim": 100,
        }
    )
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
@given(tpot=st.floats(5.0, 200.0), tighter=st.floats(0.1, 1.0), g=st.sampled_from([2, 4, 8]))
def test_tighter_tpot_never_raises_batch(tpot: float, tighter: float, g: int) -> None:
    loose = _parts(work_over={"max_tpot_ms": tpot})
    tight = _parts(work_over={"max_tpot_ms": tpot * tighter})
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
)
def test_more_bandwidth_or_peak_never_lowers_throughput(
    field: str, factor: float, tpot: float
) -> None:
    base = chip()
    w, m, c, _, s = _parts(work_over={"max_tpot_ms": tpot})
    w2, m2, c2, _, s2 = _parts({field: base[field] * factor}, {"max_tpot_ms": tpot})
    slow, fast = inference_estimate(w, m, c, s), inference_estimate(w2, m2, c2, s2)
    assert fast.tokens_per_s_per_card >= slow.tokens_per_s_per_card * (1 - 1e-9)
