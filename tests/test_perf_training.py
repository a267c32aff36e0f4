"""Training: layout and step time by hand, T(n) monotone, cuts, nodes for a target, estimate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.perf.estimate import estimate, render, render_table
from tco.perf.hardware import SCALEUP_EFFICIENCY
from tco.perf.training import training_curve

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
    # tp=2 inside the scale-up link: 6 all-reduces per layer per sequence (2 forward, 2
    # recomputed forward, 2 backward) of
    # seq x hidden x 2 B, ring 2(2-1)/2 over 450 GB/s x efficiency, + 10 us per call.
    curve = _curve(model_over=SMALL, work_over={"seq_len": 1024, "global_batch_tokens": 1024})
    layout = next(lay for lay in curve.layouts if (lay.tensor, lay.pipeline) == (2, 1))
    calls = 6 * 8 * 1
    per_call = 1024 * 1024 * 2 / (450e9 * SCALEUP_EFFICIENCY) + 10e-6
    assert layout.tp_comm_s == pytest.approx(calls * per_call)


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
