"""MoE serving: expert-parallel replicas across nodes, priced and bought by the optimizer."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from tco.data.catalog import DEFAULT_CATALOG
from tco.perf.estimate import estimate, notes
from tco.perf.hardware import all_to_all_fabric_bytes_per_s, fabric_bytes_per_s_per_card
from tco.perf.inference import (
    decode_step,
    expert_iteration,
    expert_links,
    inference_estimate,
    serve_expert_replica,
    serve_replica,
)
from tco.perf.memory import kv_copies
from tco.perf.moe import (
    all_to_all_bytes_per_token,
    dense_active_params,
    dense_params,
    routed_params,
)
from tco.scenario.optimize import optimize
from tco.schema.rows import ModelRow
from tests.factory import make_inputs


def _row(sheet: str, key: str, value: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    row = next(r for r in DEFAULT_CATALOG[sheet] if r[key] == value)
    return {k: v for k, v in copy.deepcopy(row).items() if k not in drop}


DEEPSEEK = _row("Models", "model_id", "deepseek-v3")
H800 = _row("Chips", "chip_id", "h800", ("max_cards",))
IB = _row("Fabrics", "fabric_id", "ib-ndr400", ("compatible_chips",))
#: The same fabric at a tenth of the bandwidth per port: a 40G Ethernet of old.
SLOW = dict(IB, fabric_id="slow-40g", port_gbps=40)
SERVE: dict[str, Any] = dict(
    workload_id="ds",
    kind="inference",
    model_id="deepseek-v3",
    precision="fp8",
    target_tokens_per_s=20000,
    avg_input_tokens=2000,
    avg_output_tokens=500,
    max_tpot_ms=50,
    max_ttft_ms=3000,
)


def _inputs(
    fabrics: list[dict[str, Any]],
    site: dict[str, Any] | None = None,
    chip: dict[str, Any] = H800,
    workloads: list[dict[str, Any]] | None = None,
    **workload: Any,
) -> Any:
    """DeepSeek-V3 served on one catalog chip: SERVE with `workload`, or `workloads`."""
    return make_inputs(
        site={"region": "global", **(site or {})},
        Chips=[chip],
        Fabrics=fabrics,
        Cooling=copy.deepcopy(DEFAULT_CATALOG["Cooling"]),
        Models=[DEEPSEEK],
        Workloads=workloads or [dict(SERVE, **workload)],
    )


def _estimate(fabric_id: str, site: dict[str, Any] | None = None, **workload: Any) -> Any:
    inputs = _inputs([IB, SLOW], site, **workload)
    w = inputs.workloads["ds"]
    model, chip = inputs.models["deepseek-v3"], inputs.chips["h800"]
    return inference_estimate(w, model, chip, inputs.site, inputs.fabrics[fabric_id])


def test_deepseek_v3_does_not_fit_one_h800_node() -> None:
    # FP8 weights, 1 B a parameter (671 GB), exceed one 8 x 80 GB node.
    inputs = _inputs([IB])
    w = inputs.workloads["ds"]
    alone = inference_estimate(w, inputs.models["deepseek-v3"], inputs.chips["h800"], inputs.site)
    assert not alone.feasible  # without a fabric a replica cannot leave the node


def test_deepseek_v3_fp8_serves_on_two_or_more_h800_nodes() -> None:
    r = _estimate("ib-ndr400")
    assert r.feasible, r.reason
    assert r.replica_cards is not None and r.replica_cards >= 16
    assert r.replica_cards % 8 == 0  # whole 8-GPU servers
    assert r.expert_parallel == r.replica_cards and r.fabric_id == "ib-ndr400"
    assert r.layout.startswith("EP") and "ib-ndr400" in r.layout
    assert r.tpot_ms is not None and r.tpot_ms <= 50
    assert r.ttft_ms is not None and r.ttft_ms <= 3000
    # Memory per card: the dense part whole plus 1/g of the routed experts, then the KV cache.
    model = _inputs([IB]).models["deepseek-v3"]
    per_card_gb = (dense_params(model) + routed_params(model) / r.replica_cards) / 1e9
    usable_gb = 80 * (1 - 0.1)
    assert per_card_gb < usable_gb
    assert r.free_gb_per_card >= 0


def test_a_slow_fabric_makes_the_all_to_all_the_reason() -> None:
    r = _estimate("slow-40g", max_tpot_ms=20)
    assert not r.feasible
    assert "expert all-to-all" in r.reason and "slow-40g" in r.reason
    # The MoE layers' fixed time is named apart from the fabric's share: 58 MoE layers of
    # DeepSeek-V3 at the Site's default 0.3 ms, 17.40 ms with every expert reached.
    assert "17.40 ms the fixed time of 58 MoE layers at moe_serve_overhead_ms 0.3" in r.reason


def test_a_ttft_refusal_gives_the_figure_that_misses_each_limit() -> None:
    """DeepSeek-V3 INT8 on 256 Ascend 910B over RoCE: steady chunks miss the 5 s TTFT (the
    figure is given) and prefilling prompts as they arrive, whose TTFT passes, stalls
    decoding past the TPOT limit (said so)."""
    ascend = _row("Chips", "chip_id", "ascend-910b", ("max_cards",))
    roce = _row("Fabrics", "fabric_id", "roce-400g", ("compatible_chips",))
    inputs = _inputs(
        [roce],
        chip=ascend,
        precision="int8",
        avg_input_tokens=1000,
        avg_output_tokens=1000,
        max_ttft_ms=5000,
    )
    w = inputs.workloads["ds"]
    r = serve_expert_replica(
        w,
        inputs.models["deepseek-v3"],
        inputs.chips["ascend-910b"],
        inputs.site,
        256,
        inputs.fabrics["roce-400g"],
    )
    assert not r.feasible
    steady = float(r.reason.split("chunked-prefill TTFT is ")[1].split(" ms")[0].replace(",", ""))
    assert steady > 5000
    assert "above max_tpot_ms 50" in r.reason


def test_more_fabric_bandwidth_never_lowers_moe_throughput() -> None:
    fast, slow = _estimate("ib-ndr400"), _estimate("slow-40g")
    assert fast.feasible
    assert not slow.feasible or slow.tokens_per_s_per_card <= fast.tokens_per_s_per_card


def test_optimizer_buys_multi_node_replicas_in_whole_servers() -> None:
    inputs = _inputs([IB])
    result = optimize(inputs, time_limit_s=60)
    assert result.status == "optimal" and result.plan is not None
    (pool,) = result.plan.pools
    est = _estimate("ib-ndr400")
    g = est.replica_cards
    replicas = math.ceil(20000 / est.tokens_per_s - 1e-9)
    assert pool.replica_cards == g > 8
    assert pool.replicas == replicas
    assert pool.cards == replicas * g  # nothing idle: every server is part of a replica
    assert pool.nodes == replicas * g // 8


@pytest.mark.parametrize("overlap", [0.0, 0.5, 1.0])
def test_hiding_the_all_to_all_never_lowers_throughput(overlap: float) -> None:
    inputs = _inputs([IB])
    base = inputs.site
    w = inputs.workloads["ds"]
    m, c, f = inputs.models["deepseek-v3"], inputs.chips["h800"], inputs.fabrics["ib-ndr400"]
    exposed = inference_estimate(w, m, c, base, f)
    hidden = inference_estimate(w, m, c, base.model_copy(update={"ep_comm_overlap": overlap}), f)
    assert hidden.tokens_per_s_per_card >= exposed.tokens_per_s_per_card - 1e-9


def _reached(tokens: float) -> float:
    """Share of DeepSeek-V3's 256 routed experts (top-8) that `tokens` tokens reach, by hand."""
    return 1.0 - (1.0 - 8.0 / 256.0) ** tokens


@pytest.mark.parametrize("cards", [8, 16])
def test_moe_serving_layer_time_by_hand(cards: int) -> None:
    # Every MoE layer adds the Site's fixed time to each iteration for the experts its
    # tokens reach: 58 MoE layers of DeepSeek-V3 (3 of its 61 layers are dense) x 0.25 ms
    # x the share reached, 1 - (1 - 8/256)^n for the replica's n routed tokens.
    base = _inputs([IB], {"moe_serve_overhead_ms": 0.0})
    slow = _inputs([IB], {"moe_serve_overhead_ms": 0.25})
    model, chip = base.models["deepseek-v3"], base.chips["h800"]
    links = expert_links(chip, base.fabrics["ib-ndr400"], cards)
    for batch in (1.0, 64.0):
        shape = ("fp8", links, cards, batch, batch * 4.0, 2250.0, 2000.0)
        fast_step = expert_iteration(model, chip, base.site, *shape)
        slow_step = expert_iteration(model, chip, slow.site, *shape)
        fixed = 58 * 0.25e-3 * _reached(cards * batch * 5.0)  # b decode + 4b chunk a card
        assert slow_step.comm_s - fast_step.comm_s == pytest.approx(fixed, rel=1e-12)
        assert slow_step.moe_fixed_s == pytest.approx(fixed, rel=1e-12)
        assert slow_step.linear_s == fast_step.linear_s
    # The tensor-parallel path adds the same for its own tokens (32 decode + 32 x 2000/500
    # chunk), a lone decoding request k/E of it; a dense model nothing.
    tp = [decode_step(model, chip, "fp8", 8, 32, 2000, 500, moe_layer_s=s) for s in (0, 1e-3)]
    assert tp[1].comm_s - tp[0].comm_s == pytest.approx(58e-3 * _reached(160), rel=1e-12)
    lone = [
        decode_step(model, chip, "fp8", 8, 1, 2000, 500, chunk=0.0, moe_layer_s=s)
        for s in (0, 1e-3)
    ]
    assert lone[1].comm_s - lone[0].comm_s == pytest.approx(58e-3 * 8 / 256, rel=1e-12)
    dense = ModelRow(**{**_row("Models", "model_id", "llama-3.1-70b"), "model_id": "d"})
    flat = [decode_step(dense, chip, "fp8", 8, 32, 2000, 500, moe_layer_s=s) for s in (0, 1e-3)]
    assert flat[1].step_s == flat[0].step_s


def test_moe_serving_layer_time_costs_most_under_a_tight_tpot() -> None:
    # A fixed time an iteration takes a larger share of a short TPOT budget, so the
    # throughput lost to it grows as the limit tightens (the Ant Group H20 rows' shape,
    # docs/performance-model.md section 6); it never raises throughput.
    kept = []
    for tpot_ms in (40.0, 60.0, 100.0):
        rates = []
        for overhead_ms in (0.0, 0.1, 0.2):
            site = {"moe_serve_overhead_ms": overhead_ms}
            result = _estimate("ib-ndr400", site, max_tpot_ms=tpot_ms)
            assert result.feasible, result.reason
            rates.append(result.tokens_per_s_per_card)
        assert rates == sorted(rates, reverse=True) and rates[-1] < rates[0]
        kept.append(rates[-1] / rates[0])
    assert kept == sorted(kept) and kept[0] < kept[-1]


def _a3_estimate(**site: Any) -> Any:
    a3 = _row("Chips", "chip_id", "ascend-910c-a3", ("max_cards",))
    roce = _row("Fabrics", "fabric_id", "ascend-roce-200g", ("compatible_chips",))
    inputs = make_inputs(
        site={"region": "cn", **site},
        Chips=[a3],
        Fabrics=[roce],
        Cooling=copy.deepcopy(DEFAULT_CATALOG["Cooling"]),
        Models=[DEEPSEEK],
        Workloads=[dict(SERVE, precision="int8")],
    )
    (row,) = estimate(inputs, fabric_id="ascend-roce-200g")
    return row


def test_bursts_serve_deepseek_where_steady_chunks_miss_a_3_s_ttft() -> None:
    # DeepSeek-V3 INT8 on 8-card Atlas A3 servers at 50 ms TPOT and 3 s TTFT: a replica
    # reaches a few requests, so steady chunks take hundreds of iterations to prefill a
    # 2,000-token prompt. Prefilling it as it arrives, in one iteration, meets the limit;
    # `tco estimate` says so under its table.
    row = _a3_estimate()
    assert row.feasible, row.reason
    assert row.prefill_burst_tokens == pytest.approx(2000.0)
    assert row.ttft_ms is not None and row.ttft_ms <= 3000
    assert row.tpot_ms is not None and row.tpot_ms <= 50
    assert any("prefilled as it arrives, 2,000 tokens" in line for line in notes([row]))
    # A budget below the prompt splits it over more, shorter busy iterations.
    split = _a3_estimate(serve_max_batched_tokens=1200)
    assert split.feasible and split.prefill_burst_tokens == pytest.approx(1000.0)


def test_the_replica_is_chosen_per_card_bought_on_a_72_card_system() -> None:
    """On a GB200 NVL72 (72-card system) replicas that do not divide 72 leave cards idle:
    the estimate keeps the size with the most tokens/s per card of the systems bought
    (EP8 as 9 replicas), not the one with the most per card of the replica, and a
    looser TPOT limit never lowers that."""
    gb200 = _row("Chips", "chip_id", "gb200", ("max_cards",))
    inputs = _inputs(
        [IB],
        chip=gb200,
        workloads=[
            dict(
                SERVE,
                workload_id=f"tpot{t}",
                max_tpot_ms=t,
                max_ttft_ms=5000,
                avg_input_tokens=1000,
                avg_output_tokens=1000,
            )
            for t in (70, 100)
        ],
    )
    model, chip, fabric = (
        inputs.models["deepseek-v3"],
        inputs.chips["gb200"],
        inputs.fabrics[IB["fabric_id"]],
    )

    def per_card_bought(w: str) -> tuple[float, int]:
        workload = inputs.workloads[w]
        best = inference_estimate(workload, model, chip, inputs.site, fabric)
        assert best.feasible and best.replica_cards
        sizes = [8, 16, 32, 64]
        each = {}
        for g in sizes:
            r = serve_expert_replica(workload, model, chip, inputs.site, g, fabric)
            if r.feasible:
                each[g] = r.tokens_per_s * (72 // g) / 72  # by hand: whole 72-card systems
        assert best.replica_cards in each
        assert each[best.replica_cards] == pytest.approx(max(each.values()))
        return each[best.replica_cards], best.replica_cards

    tight, _ = per_card_bought("tpot70")
    loose, cards = per_card_bought("tpot100")
    assert loose >= tight
    assert cards == 8


def test_an_mla_cache_is_held_whole_on_every_tensor_parallel_card() -> None:
    """DeepSeek-V3's latent cache (70,272 B a token, one vector every head reads) cannot be
    split by heads, so a TP8 replica keeps it on all 8 cards; a GQA model splits its 8 KV
    heads over TP8 and copies them past it. QA: on an H20 (96 GB) at TPOT 100 ms the model
    chose TP8 at a batch of 114, whose 114 x 2,500 tokens x 70,272 B = 20.0 GB of cache a
    card does not fit beside the 83.9 GB of weights a card holds; 14 do."""
    model = ModelRow.model_validate(DEEPSEEK)
    assert kv_copies(model, 8) == 8 and kv_copies(model, 1) == 1
    gqa = ModelRow.model_validate(
        dict(DEEPSEEK, model_id="gqa", kv_bytes_per_token=None, kv_heads=8, experts=None)
    )
    assert (kv_copies(gqa, 4), kv_copies(gqa, 8), kv_copies(gqa, 16)) == (1, 1, 2)
    h20 = _row("Chips", "chip_id", "h20", ("max_cards",))
    inputs = _inputs([IB], chip=h20, max_tpot_ms=100, max_ttft_ms=None)
    w, chip = inputs.workloads["ds"], inputs.chips["h20"]
    tp8 = serve_replica(w, inputs.models["deepseek-v3"], chip, inputs.site, 8)
    usable = 96e9 * (1 - inputs.site.memory_headroom)
    weights_per_card = 671e9 / 8
    fits = math.floor((usable - weights_per_card) / (70_272 * 2_500))
    assert tp8.feasible and tp8.batch <= fits == 14
    assert tp8.free_gb_per_card >= 0


def test_a_tensor_parallel_moe_iteration_reads_the_dense_part_once_and_each_expert_once() -> None:
    """DeepSeek-V3 FP8 on TP8 H20s, 7 decoding tokens and no chunk: the iteration reads the
    dense weights once and the experts its tokens reach, 1 - (1 - 8/256)^7 = 19.9% of
    them, where it read min(P, 7 x 37e9) = 259 GB (the dense part once a token). QA."""
    model = ModelRow.model_validate(DEEPSEEK)
    h20 = _inputs([IB], chip=_row("Chips", "chip_id", "h20", ("max_cards",))).chips["h20"]
    step = decode_step(model, h20, "fp8", 8, 7, 2000, 500, chunk=0.0)
    reached = 1 - (1 - 8 / 256) ** 7
    touched = min(dense_params(model), 7 * dense_active_params(model))
    touched += routed_params(model) * reached
    bandwidth = 8 * h20.memory_bw_gbs * 1e9 * h20.mem_bw_efficiency
    assert step.weights_s == pytest.approx(touched * 1.0 / bandwidth, rel=1e-12)
    assert touched < 0.6 * 7 * model.active_params_b * 1e9


def test_the_bytes_that_cross_servers_are_those_sent_to_other_servers() -> None:
    """EP16 over two 8-GPU H800 servers, FP8 dispatch and BF16 combine: of the 8 x 7,168
    x 3 B a token sends to its experts per MoE layer, 8 of 16 copies go to the other
    server: 86,016 B over the fabric. The all-to-all's (g - 1) / g was applied twice,
    161,280 x 8/16 = 80,640 B (QA)."""
    inputs = _inputs([IB])
    model, chip = inputs.models["deepseek-v3"], inputs.chips["h800"]
    links = expert_links(chip, inputs.fabrics["ib-ndr400"], 16)
    sent = all_to_all_bytes_per_token(model, "fp8", 16)
    assert sent == pytest.approx(8 * 7168 * 3 * 15 / 16, rel=1e-12)
    assert sent * links.remote_share == pytest.approx(8 * 7168 * 3 * 8 / 16, rel=1e-12)


def test_an_oversubscribed_fabric_slows_the_all_to_all_that_leaves_a_leaf() -> None:
    """Rail-optimized 4:1 leaves of radix 64 hold 51 nodes (64 x 4/5 down ports). 64 H800
    nodes: 13 of the 63 other nodes are under other leaves, so 13/63 of the bytes share
    uplinks at a quarter of the rate: rate / (50/63 + 13/63 x 4). Up to 51 nodes, and on a
    1:1 fabric, the full rate; an oversubscribed fabric never serves more (QA: the 1:1,
    4:1 and 8:1 fabrics gave the same EP256 replica)."""
    inputs = _inputs([IB, dict(IB, fabric_id="ib-4to1", oversubscription=4)])
    chip, full, over = (
        inputs.chips["h800"],
        inputs.fabrics["ib-ndr400"],
        inputs.fabrics["ib-4to1"],
    )
    base = fabric_bytes_per_s_per_card(chip, over)
    assert all_to_all_fabric_bytes_per_s(chip, over, 64 * 8) == pytest.approx(
        base / (50 / 63 + 13 / 63 * 4), rel=1e-12
    )
    assert all_to_all_fabric_bytes_per_s(chip, over, 51 * 8) == base
    assert all_to_all_fabric_bytes_per_s(chip, full, 64 * 8) == base
    w, model = inputs.workloads["ds"], inputs.models["deepseek-v3"]
    speeds = {}
    for g in (256, 512, 1024):
        fast = serve_expert_replica(w, model, chip, inputs.site, g, full)
        slow = serve_expert_replica(w, model, chip, inputs.site, g, over)
        assert slow.tokens_per_s <= fast.tokens_per_s * (1 + 1e-12)
        speeds[g] = (fast.tokens_per_s, slow.tokens_per_s)
    assert speeds[256][0] == speeds[256][1]  # 32 nodes: one leaf a rail
    assert speeds[512][1] < 0.8 * speeds[512][0]


def test_the_estimate_shows_the_iteration_its_communication_belongs_to() -> None:
    """DeepSeek-V3 FP8 on 8 H20 at TPOT 20 ms prefills each prompt as it arrives: the
    busy iteration's comm (36 ms) was shown beside the mean step (18 ms), comm above step
    (QA). The step shown is now that iteration's."""
    h20 = _row("Chips", "chip_id", "h20", ("max_cards",))
    inputs = _inputs([IB], chip=h20, max_tpot_ms=20, max_ttft_ms=None)
    rows = [e for e in estimate(inputs, "ds") if e.feasible]
    assert rows
    for e in rows:
        assert e.comm_s is not None and e.step_time_s is not None
        assert e.comm_s <= e.step_time_s * (1 + 1e-12), (e.layout, e.comm_s, e.step_time_s)
