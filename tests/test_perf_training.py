"""Training: layout and step time by hand, T(n) monotone, cuts, nodes for a target, estimate."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tco.perf.training as training_module
from tco.perf.estimate import estimate, render, render_table
from tco.perf.hardware import FP8_EFFICIENCY_RATIO, SCALEUP_EFFICIENCY
from tco.perf.training import training_curve, virtual_stages

from test_perf_helpers import chip, fabric, make_inputs, model, parts, serving, training

SMALL = {
    "params_b": 1.0,
    "active_params_b": 1.0,
    "layers": 8,
    "hidden": 1024,
    "heads": 8,
    "kv_heads": 8,
    "head_dim": 128,
}


def _curve(
    chip_over: dict | None = None,
    fabric_over: dict | None = None,
    model_over: dict | None = None,
    work_over: dict | None = None,
    **site: object,
):
    inputs = make_inputs(
        chips=[chip(**(chip_over or {})), chip(chip_id="ok")],
        fabrics=[fabric(**(fabric_over or {}))],
        models=[model(**(model_over or {}))],
        workloads=[training(**(work_over or {}))],
        **site,
    )
    return training_curve(*parts(inputs))


def test_single_card_step_hand_computed() -> None:
    # 1B model on 1 card (1-card nodes): 16 GB state fits 72 GB; only tp=pp=dp=1 fits one card.
    curve = _curve(
        {"cards_per_node": 1, "scaleup_domain": 1},
        model_over=SMALL,
        work_over={"seq_len": 1024, "global_batch_tokens": 8 * 1024},
    )
    step = curve.step(1)
    flop = 8 * 1024 * (6e9 + 12 * 8 * 1024 * 1024)
    assert (step.tensor, step.pipeline, step.data) == (1, 1, 1)
    assert step.compute_s == pytest.approx(flop / (1000e12 * 0.5))
    assert step.comm_s == 0.0 and step.bubble_s == 0.0
    assert step.tokens_per_s == pytest.approx(8 * 1024 / step.compute_s)


def test_data_parallel_over_fabric_hand_computed() -> None:
    # 2 one-card nodes, dp=2: grads 2 B x 1e9 = 2 GB; ring 2(2-1)/2 x 2 GB over
    # 1 NIC x 400/8 GB/s x 0.9 = 45 GB/s -> 44.4 ms, plus 2(2-1) ring steps across one
    # switch (2 nodes: one tier, 2t-1 = 1 hop) of latency_us 1.0; half hidden (comm_overlap
    # 0.5). One layer, so pipeline parallel (pp <= layers) is not an option.
    curve = _curve(
        {"cards_per_node": 1, "scaleup_domain": 1},
        model_over={**SMALL, "layers": 1},
        work_over={"seq_len": 1024, "global_batch_tokens": 64 * 1024},
    )
    step = curve.step(2)
    assert step.data == 2
    assert step.dp_comm_exposed_s == pytest.approx(0.5 * (2e9 / 45e9 + 2 * 1 * 1e-6))
    assert step.compute_s == pytest.approx(curve.step(1).compute_s / 2)


def test_tensor_parallel_comm_hand_computed() -> None:
    # tp=2 inside the scale-up link: all-reduces of seq x hidden x 2 B per layer and sequence,
    # ring 2(2-1)/2 over 450 GB/s x efficiency, + 10 us per call: 4 (2 forward, 2 backward)
    # with selective recomputation, 6 with full (the recomputed forward repeats its 2).
    curve = _curve(model_over=SMALL, work_over={"seq_len": 1024, "global_batch_tokens": 1024})
    per_call = 1024 * 1024 * 2 / (450e9 * SCALEUP_EFFICIENCY) + 10e-6
    layout = next(lay for lay in curve.layouts if (lay.tensor, lay.pipeline) == (2, 1))
    assert layout.recompute == "selective"  # memory allows it: full is dropped as dominated
    assert layout.tp_comm_s == pytest.approx(4 * 8 * per_call)
    # Pinned by Workloads.recompute, full recomputation pays 6 all-reduces a layer and the
    # second forward pass: 8/6 of selective's compute on the same layout.
    work = {"seq_len": 1024, "global_batch_tokens": 8192.0}
    full = _curve(model_over=SMALL, work_over=dict(work, recompute="full"))
    selective = _curve(model_over=SMALL, work_over=dict(work, recompute="selective"))
    assert {lay.recompute for lay in full.layouts} == {"full"}
    pairs = [
        (f, s)
        for f in full.layouts
        for s in selective.layouts
        if (f.tensor, f.pipeline, f.virtual, f.micro_batch)
        == (s.tensor, s.pipeline, s.virtual, s.micro_batch)
        == (2, 1, 1, 1)
    ]
    assert pairs
    for f, s in pairs:
        assert f.tp_comm_s == pytest.approx(6 * 8 * 8 * per_call)
        assert s.tp_comm_s == pytest.approx(4 * 8 * 8 * per_call)
        assert f.work_s == pytest.approx(s.work_s * 8 / 6)


def test_infeasible_training_reasons() -> None:
    assert "INT8 training" in _curve(work_over={"precision": "int8"}).reason
    assert "fp8" in _curve({"fp8_tflops": None}, work_over={"precision": "fp8"}).reason
    huge = _curve({"memory_gb": 1.0}, model_over={"params_b": 70.0})
    assert not huge.feasible and "does not fit" in huge.reason
    assert huge.cuts(100) == [] and not huge.step(10).feasible


def test_nodes_for_target_and_saturation() -> None:
    curve = _curve()
    need = curve.nodes_for(3e5)
    assert need.feasible and need.nodes is not None
    assert curve.tokens_per_s(need.nodes) >= 3e5 > curve.tokens_per_s(need.nodes - 1)
    never = curve.nodes_for(1e12)
    assert not never.feasible and "saturates" in never.reason


def test_estimate_rows_and_table() -> None:
    inputs = make_inputs(
        chips=[chip(), chip(chip_id="c2", fp8_tflops=None)],
        fabrics=[fabric(), fabric(fabric_id="f2", compatible_chips="c2")],
        workloads=[training(), serving(workload_id="s", precision="fp8", max_tpot_ms=100.0)],
    )
    rows = estimate(inputs)
    # training x {c: f, c2: f, f2} -> 3 rows; serving once per chip (fabric "any") -> 2
    # rows, since the scale-out fabric does not change a replica; c2 lacks fp8.
    assert len(rows) == 5
    served = [r for r in rows if r.workload == "s"]
    assert [(r.chip, r.fabric, r.feasible) for r in served] == [
        ("c", "any", True),
        ("c2", "any", False),
    ]
    assert [r.fabric for r in estimate(inputs, workload_id="s", fabric_id="f2")] == ["f2"]
    trained = estimate(inputs, workload_id="w", chip_id="c", cards=64)
    assert len(trained) == 1 and trained[0].cards == 64
    assert set(trained[0].to_json()) >= {
        "workload",
        "chip",
        "fabric",
        "feasible",
        "reason",
        "cards",
        "tokens_per_s",
        "tokens_per_s_per_card",
        "cards_for_target",
        "replica_cards",
        "batch",
        "tpot_ms",
        "ttft_ms",
        "step_time_s",
        "compute_s",
        "comm_s",
        "bubble_s",
        "avg_node_kw",
        "memory_headroom_gb",
    }
    assert render_table(rows).row_count == 5
    # One table per workload, each followed by the notes of its infeasible rows.
    shown = render(rows)
    assert sum(not isinstance(item, str) for item in shown) == 2
    assert [item for item in shown if isinstance(item, str)] == [f"[1] c2, any: {served[1].reason}"]


CURVE_CASES = st.tuples(
    st.sampled_from([1.0, 7.0, 70.0]),  # params_b
    st.sampled_from([100.0, 400.0]),  # port_gbps
    st.sampled_from([2**19, 2**22]),  # global batch tokens
    st.sampled_from([0.0, 0.5]),  # comm_overlap
)


def _case_curve(case: tuple[float, float, int, float]):
    params, port, batch, overlap = case
    return _curve(
        fabric_over={"port_gbps": port},
        model_over={"params_b": params, "active_params_b": params},
        work_over={"global_batch_tokens": batch},
        comm_overlap=overlap,
    )


@settings(max_examples=40, deadline=None)
@given(case=CURVE_CASES, nodes=st.integers(1, 300), more=st.integers(1, 300))
def test_more_cards_never_lower_throughput(case, nodes: int, more: int) -> None:
    curve = _case_curve(case)
    assert curve.tokens_per_s(nodes + more) >= curve.tokens_per_s(nodes) * (1 - 1e-12)


@settings(max_examples=30, deadline=None)
@given(case=CURVE_CASES, max_nodes=st.integers(1, 600))
def test_cuts_concave_exact_and_below(case, max_nodes: int) -> None:
    curve = _case_curve(case)
    cuts = curve.cuts(max_nodes)
    if max_nodes < curve.min_nodes:
        assert cuts == []
        return
    slopes = [a for a, _ in cuts]
    assert slopes == sorted(slopes, reverse=True)  # nonincreasing slopes: concave min
    assert len(cuts) <= 40

    def under(n: int) -> float:
        return min(a * n + b for a, b in cuts)

    values = curve.tokens_per_s_range(curve.min_nodes, max_nodes)
    for n, t in zip(range(curve.min_nodes, max_nodes + 1), values, strict=True):
        assert under(n) <= t * (1 + 1e-9) + 1e-6
    for n in curve.breakpoints(max_nodes):
        assert under(n) == pytest.approx(curve.tokens_per_s(n), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    case=CURVE_CASES,
    nodes=st.integers(1, 200),
    field=st.sampled_from(["scaleup_bw_gbs", "bf16_tflops", "port_gbps"]),
    factor=st.floats(1.0, 4.0),
)
def test_more_bandwidth_or_peak_never_lowers_training(
    case, nodes: int, field: str, factor: float
) -> None:
    params, port, batch, overlap = case
    base = _case_curve(case)
    chip_over = {} if field == "port_gbps" else {field: chip()[field] * factor}
    fast = _curve(
        chip_over,
        {"port_gbps": port * (factor if field == "port_gbps" else 1.0)},
        {"params_b": params, "active_params_b": params},
        {"global_batch_tokens": batch},
        comm_overlap=overlap,
    )
    assert fast.tokens_per_s(nodes) >= base.tokens_per_s(nodes) * (1 - 1e-12)


def test_fp8_speedup_on_h100_70b_is_realistic() -> None:
    # Llama-2-70B shape, 4M-token batch on 256 H100-like cards: FP8 runs only the linear
    # layers at fp8 peak x (train_mfu x 0.75); attention stays bf16, communication is
    # unchanged, so the speed-up is well below the 2x peak ratio (published 1.2-1.4x).
    work = {"seq_len": 4096, "global_batch_tokens": 4 * 2**20}
    h100 = {"bf16_tflops": 989.5, "fp8_tflops": 1979.0}
    bf16 = _curve(h100, work_over={**work, "precision": "bf16"}).tokens_per_s(32)
    fp8 = _curve(h100, work_over={**work, "precision": "fp8"}).tokens_per_s(32)
    assert 1.2 <= fp8 / bf16 <= 1.6


def test_fp8_compute_splits_linear_and_attention_hand_computed() -> None:
    # One card: linear 6 x 1e9 FLOP/token at 2000 TFLOP/s x 0.3 (given efficiency),
    # attention 12 x 8 x 1024 x 1024 at bf16 1000 TFLOP/s x 0.5.
    curve = _curve(
        {"cards_per_node": 1, "scaleup_domain": 1, "fp8_matrix_efficiency": 0.3},
        model_over=SMALL,
        work_over={"seq_len": 1024, "global_batch_tokens": 8 * 1024, "precision": "fp8"},
    )
    step = curve.step(1)
    per_token = 6e9 / (2000e12 * 0.3) + 12 * 8 * 1024 * 1024 / (1000e12 * 0.5)
    assert step.compute_s == pytest.approx(8 * 1024 * per_token)
    blank = _curve(
        {"cards_per_node": 1, "scaleup_domain": 1},
        model_over=SMALL,
        work_over={"seq_len": 1024, "global_batch_tokens": 8 * 1024, "precision": "fp8"},
    ).step(1)
    default = 6e9 / (2000e12 * 0.5 * FP8_EFFICIENCY_RATIO) + 12 * 8 * 1024 * 1024 / (1000e12 * 0.5)
    assert blank.compute_s == pytest.approx(8 * 1024 * default)


def test_interleaving_divides_the_bubble_hand_computed() -> None:
    # 8 layers, pp = 2: v in {1, 2, 4} (8 divisible by 2v); bubble = (pp-1)/(v m) x compute,
    # pipeline communication v times the plain 1F1B's.
    curve = _curve(model_over=SMALL, work_over={"seq_len": 1024, "global_batch_tokens": 16 * 1024})
    by_v = {lay.virtual: lay for lay in curve.layouts if (lay.tensor, lay.pipeline) == (1, 2)}
    assert sorted(by_v) == [1, 2, 4]
    m = 16  # microbatches at dp = 1
    assert by_v[1].bubble_s == pytest.approx(1 / m * by_v[1].work_s)
    for v in (2, 4):
        assert by_v[v].bubble_s == pytest.approx(by_v[1].bubble_s / v)
        assert by_v[v].pp_comm_s == pytest.approx(v * by_v[1].pp_comm_s)
    # 80 layers / pp = 16 = 5 per stage: no interleaving there.
    assert virtual_stages(80, 16) == [1] and virtual_stages(80, 8) == [1, 2]
    assert virtual_stages(80, 1) == [1]


def test_tp_comm_overlap_hides_that_share() -> None:
    work = {"seq_len": 1024, "global_batch_tokens": 1024}
    plain = _curve(model_over=SMALL, work_over=work)
    hidden = _curve(model_over=SMALL, work_over=work, tp_comm_overlap=0.75)

    def tp2(curve):
        return next(lay for lay in curve.layouts if (lay.tensor, lay.pipeline) == (2, 1))

    assert tp2(hidden).tp_comm_s == pytest.approx(0.25 * tp2(plain).tp_comm_s)


def test_dp_ring_latency_counts_fabric_hops() -> None:
    # dp = 8 one-card nodes on a radix-4 fabric: one tier connects 4 endpoints, two tiers
    # 4 x 2 = 8, so each of the 2(8-1) ring steps crosses 2t-1 = 3 switches of 5 us;
    # comm_overlap 0 leaves everything exposed. 4 nodes fit one switch: 1 hop per step.
    curve = _curve(
        {"cards_per_node": 1, "scaleup_domain": 1},
        {"switch_radix": 4, "latency_us": 5.0},
        model_over={**SMALL, "layers": 1},
        work_over={"seq_len": 1024, "global_batch_tokens": 64 * 1024},
        comm_overlap=0.0,
    )
    step = curve.step(8)
    assert step.data == 8
    assert step.dp_comm_exposed_s == pytest.approx(2 * 7 / 8 * 2e9 / 45e9 + 2 * 7 * 3 * 5e-6)
    four = curve.step(4)
    assert four.dp_comm_exposed_s == pytest.approx(2 * 3 / 4 * 2e9 / 45e9 + 2 * 3 * 1 * 5e-6)


SCHEDULE_CASES = st.tuples(
    st.sampled_from(["bf16", "fp8"]),  # precision
    st.sampled_from([1.0, 50.0]),  # latency_us: large latency makes the ring term matter
    st.sampled_from([8, 64]),  # switch_radix: small radix crosses tier boundaries
    st.sampled_from([0.0, 0.8]),  # tp_comm_overlap
    st.sampled_from([7.0, 70.0]),  # params_b
)


def _schedule_curve(case, port: float = 400.0, scaleup: float = 450.0):
    precision, latency, radix, tp_overlap, params = case
    return _curve(
        {"scaleup_bw_gbs": scaleup},
        {"latency_us": latency, "switch_radix": radix, "port_gbps": port},
        {"params_b": params, "active_params_b": params},
        {"precision": precision, "global_batch_tokens": 2**21},
        tp_comm_overlap=tp_overlap,
    )


@settings(max_examples=40, deadline=None)
@given(case=SCHEDULE_CASES, nodes=st.integers(1, 400), more=st.integers(1, 400))
def test_more_cards_never_lower_throughput_with_latency_and_interleaving(
    case, nodes: int, more: int
) -> None:
    curve = _schedule_curve(case)
    assert curve.tokens_per_s(nodes + more) >= curve.tokens_per_s(nodes) * (1 - 1e-12)
    values = curve.tokens_per_s_range(1, nodes + more)
    assert all(b >= a * (1 - 1e-12) for a, b in itertools.pairwise(values))


@settings(max_examples=30, deadline=None)
@given(case=SCHEDULE_CASES, nodes=st.integers(1, 200), factor=st.floats(1.0, 4.0))
def test_more_bandwidth_never_lowers_training_with_latency_and_interleaving(
    case, nodes: int, factor: float
) -> None:
    base = _schedule_curve(case).tokens_per_s(nodes)
    assert _schedule_curve(case, port=400.0 * factor).tokens_per_s(nodes) >= base * (1 - 1e-12)
    assert _schedule_curve(case, scaleup=450.0 * factor).tokens_per_s(nodes) >= base * (1 - 1e-12)


@settings(max_examples=10, deadline=None)
@given(
    params_b=st.sampled_from([1.0, 7.0, 70.0]),
    memory_gb=st.sampled_from([24.0, 80.0]),
    seq_len=st.sampled_from([2048, 8192, 32768]),
    recompute=st.sampled_from(["auto", "full", "selective"]),
    units=st.sampled_from([None, 132]),
)
def test_dropping_dominated_layouts_changes_no_throughput(
    params_b: float, memory_gb: float, seq_len: int, recompute: str, units: int | None
) -> None:
    hidden = 1024 if params_b < 5 else 4096 if params_b < 50 else 8192
    over = dict(SMALL, params_b=params_b, active_params_b=params_b, hidden=hidden, layers=32)
    args = (
        {"memory_gb": memory_gb, "matrix_units": units},
        None,
        over,
        {"seq_len": seq_len, "global_batch_tokens": seq_len * 64.0, "recompute": recompute},
    )
    pruned = _curve(*args)
    with mock.patch.object(training_module, "undominated", lambda layouts: layouts):
        full = _curve(*args)
    assert len(pruned.layouts) <= len(full.layouts)
    if not full.feasible:
        assert not pruned.feasible
        return
    # Every node count up to 64, then a geometric sample up to saturation.
    top = max(full.saturation_nodes, full.min_nodes) + 2
    nodes = sorted({*range(1, min(top, 64) + 1), *np.geomspace(1, top, 40).astype(int)})
    for n in nodes:
        assert pruned.tokens_per_s(n) == pytest.approx(full.tokens_per_s(n)), n


@settings(max_examples=10, deadline=None)
@given(
    params_b=st.sampled_from([1.0, 7.0, 70.0]),
    memory_gb=st.sampled_from([24.0, 80.0]),
    seq_len=st.sampled_from([2048, 8192, 32768]),
    units=st.sampled_from([None, 132]),
)
def test_auto_recompute_is_the_better_of_full_and_selective(
    params_b: float, memory_gb: float, seq_len: int, units: int | None
) -> None:
    # The search skips a full-recomputation layout where selective fits from the same dp;
    # T(n) of "auto" must still equal the better of the two pinned searches everywhere.
    hidden = 1024 if params_b < 5 else 4096 if params_b < 50 else 8192
    over = dict(SMALL, params_b=params_b, active_params_b=params_b, hidden=hidden, layers=32)

    def curve(recompute: str):  # type: ignore[no-untyped-def]
        return _curve(
            {"memory_gb": memory_gb, "matrix_units": units},
            None,
            over,
            {"seq_len": seq_len, "global_batch_tokens": seq_len * 64.0, "recompute": recompute},
        )

    auto, full, selective = curve("auto"), curve("full"), curve("selective")
    if not (full.feasible or selective.feasible):
        assert not auto.feasible
        return
    top = max(c.saturation_nodes for c in (full, selective) if c.feasible) + 2
    nodes = sorted({*range(1, min(top, 48) + 1), *np.geomspace(1, top, 30).astype(int)})
    for n in nodes:
        best = max(c.tokens_per_s(n) if c.feasible else 0.0 for c in (full, selective))
        assert auto.tokens_per_s(n) == pytest.approx(best), n


@settings(max_examples=20, deadline=None)
@given(case=SCHEDULE_CASES, nodes=st.lists(st.integers(1, 600), min_size=1, max_size=8))
def test_memoised_throughput_is_the_step_breakdowns(case, nodes: list[int]) -> None:
    # tokens_per_s(n) skips the step's breakdown and memoises; it must equal step(n) on
    # every link regime, in any order of asking, the second time as the first.
    curve = _schedule_curve(case)
    for n in nodes + nodes[::-1]:
        assert curve.tokens_per_s(n) == pytest.approx(curve.step(n).tokens_per_s, rel=1e-12)
