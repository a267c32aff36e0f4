"""Prefill/decode disaggregation: prefill and decode on separate replicas of one unit.

Production MoE deployments (DeepSeek's V3/R1 service, SGLang on 96 H100s, Huawei
CloudMatrix384) run prompts on prefill replicas and hand the KV cache to decode
replicas, so that decode iterations carry no prefill chunk and each phase gets its
own layout. With Site `pd_disaggregation = allowed` a workload may be served by
units of n_p prefill and n_d decode replicas; `serving_estimate` keeps the unit
where it meets the target on fewer whole systems than colocated replicas
(`tco.perf.inference.inference_estimate`).

A phase layout is a tensor-parallel replica (TP g, inside one scale-up group) or,
for a MoE, an expert-parallel one (EP g, attention data-parallel: the batch is per
card). With i / o the mean prompt / output tokens and kv the KV bytes per token:

  decode    b = the largest batch per batching unit (the replica for TP, a card for
            EP) with weights + b x kv x (i + o) <= memory and the decode-only
            iteration(b decode tokens, no chunk) <= max_tpot_ms;
            output tokens/s = units x b / iteration
  prefill   n = the most prompts per batching unit with weights + n x kv x i <= memory
            and TTFT = 2 x iteration(n x i prompt tokens) <= max_ttft_ms (a prompt
            waits at most one batch, then runs in the next); input tokens/s =
            units x n x i / iteration, at most what the replica's links can hand
            over: cards x fabric B/s per card / kv (the KV cache leaves for the
            decode replicas, on other systems, as it is written)
  unit      the fewest replicas of each phase that meet the workload's target T:
            n_d = ceil(T / decode), n_p = ceil(T / (prefill x o / i)); it makes
            min(n_d x decode, n_p x prefill x o / i) output tokens/s.

The unit is sized for the target and is what the optimizer buys as one replica (its
cards are the sum of both phases'), so nothing in `tco.model` changes; a domestic
share that grows the pool adds whole units. Each phase uses the shape with the most
tokens/s per card; `serving_estimate` keeps the unit only where it needs fewer cards
(in whole systems) than colocated replicas meeting the same target.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tco.perf.hardware import (
    fabric_bytes_per_s_per_card,
    peak_flops_per_s,
    scaleup_bytes_per_s,
    scaleup_group_cards,
    systems_for_replicas,
    usable_memory_bytes,
)
from tco.perf.inference import (
    DecodeStep,
    ExpertLinks,
    InferenceResult,
    decode_step,
    expert_iteration,
    expert_links,
    expert_replica_sizes,
    inference_estimate,
    largest_within,
    request_tokens,
    speculation,
)
from tco.perf.memory import (
    kv_bytes_per_token,
    kv_copies,
    powers_of_two_up_to,
    smallest_replica,
    with_kv_cache,
)
from tco.perf.moe import dense_params, is_moe, routed_params
from tco.schema.inputs import BYTES_PER_VALUE, required_for_kind
from tco.schema.rows import ChipRow, FabricRow, ModelRow, SiteRow, WorkloadRow

#: A prompt waits for the batch in flight, then runs in the next: TTFT = 2 iterations.
PREFILL_WAIT_ITERATIONS = 2


@dataclass(frozen=True)
class _Shape:
    """A replica shape for one phase and how to time one of its iterations."""

    cards: int
    units: int  # batching units: 1 for TP, the cards for EP (attention data-parallel)
    weights_bytes: float  # per batching unit
    room_bytes: float  # usable memory per batching unit
    label: str
    #: (decode tokens, prefill tokens) of one batching unit -> the iteration.
    step: Callable[[float, float], DecodeStep]
    #: B/s the KV cache can leave one card by.
    handoff_bytes_per_s: float
    #: Copies of each token's KV cache a batching unit keeps (`memory.kv_copies`).
    kv_copies: float = 1.0


@dataclass(frozen=True)
class Phase:
    """The best replica of one phase: its shape, batch and rate (tokens/s)."""

    shape: _Shape
    batch: int
    step: DecodeStep
    tokens_per_s: float

    @property
    def per_card(self) -> float:
        return self.tokens_per_s / self.shape.cards


def _shapes(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    fabric: FabricRow | None,
) -> list[_Shape]:
    """TP replicas from the smallest that holds the weights to the scale-up group and, for
    a MoE, the expert-parallel replicas of `inference_estimate`."""
    precision = workload.precision
    i, o = request_tokens(workload)
    usable = usable_memory_bytes(chip, site.memory_headroom)
    bytes_per_value = BYTES_PER_VALUE[precision]
    group = scaleup_group_cards(chip)
    # The KV cache leaves for decode replicas on other systems over the fabric.
    handoff = scaleup_bytes_per_s(chip)
    if fabric is not None:
        handoff = fabric_bytes_per_s_per_card(chip, fabric)
    moe_eff = site.moe_gemm_efficiency if is_moe(model) else 1.0
    spec = speculation(workload)
    shapes: list[_Shape] = []
    fit = smallest_replica(model, precision, group, usable, i)
    if fit.replica_cards is not None:
        for g in (g for g in powers_of_two_up_to(group) if g >= fit.replica_cards):

            def tp_step(b: float, c: float, g: int = g) -> DecodeStep:
                return decode_step(
                    model,
                    chip,
                    precision,
                    g,
                    int(b),
                    i,
                    o,
                    chunk=c,
                    expert_efficiency=moe_eff,
                    spec=spec,
                    moe_layer_s=site.moe_serve_overhead_ms * 1e-3,
                )

            shapes.append(
                _Shape(
                    g,
                    1,
                    model.params_b * 1e9 * bytes_per_value,
                    g * usable,
                    f"TP{g}",
                    tp_step,
                    handoff,
                    kv_copies(model, g),
                )
            )
    if is_moe(model):
        for g in expert_replica_sizes(model, chip, fabric):
            links = expert_links(chip, fabric, g)

            def ep_step(b: float, c: float, g: int = g, links: ExpertLinks = links) -> DecodeStep:
                return expert_iteration(
                    model, chip, site, precision, links, g, b, c, i + o / 2, i, spec=spec
                )

            where = f" across {fabric.fabric_id}" if fabric and links.remote_share > 0 else ""
            shapes.append(
                _Shape(
                    g,
                    g,
                    (dense_params(model) + routed_params(model) / g) * bytes_per_value,
                    usable,
                    f"EP{g} DP-attention{where}",
                    ep_step,
                    handoff,
                )
            )
    return shapes


def _decode(shape: _Shape, kv_per_seq: float, tpot_s: float) -> Phase | None:
    """The largest decode batch that fits memory and the TPOT limit, or None."""
    memory_batch = math.floor(
        (shape.room_bytes - shape.weights_bytes) / (kv_per_seq * shape.kv_copies)
    )
    if memory_batch < 1:
        return None
    b = largest_within(lambda n: shape.step(float(n), 0.0).tpot_s, 1, memory_batch, tpot_s)
    if b is None:
        return None
    step = shape.step(float(b), 0.0)
    return Phase(shape, b, step, shape.units * b * step.accept / step.step_s)


def _prefill(shape: _Shape, kv_per_token: float, i: float, ttft_s: float) -> Phase | None:
    """The most prompts a batch may hold within memory and TTFT, or None."""
    memory_prompts = math.floor(
        (shape.room_bytes - shape.weights_bytes) / (kv_per_token * i * shape.kv_copies)
    )
    if memory_prompts < 1:
        return None
    wait = PREFILL_WAIT_ITERATIONS
    n = largest_within(lambda k: wait * shape.step(0.0, k * i).step_s, 1, memory_prompts, ttft_s)
    if n is None:
        return None
    step = shape.step(0.0, n * i)
    rate = shape.units * n * i / step.step_s
    handoff_limit = shape.cards * shape.handoff_bytes_per_s / kv_per_token
    return Phase(shape, n, step, min(rate, handoff_limit))


def phase_replicas(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    fabric: FabricRow | None = None,
) -> tuple[Phase | None, Phase | None]:
    """The decode-only and the prefill-only replica with the most tokens/s per card (output
    and input tokens/s respectively), each None when no shape meets its limits."""
    model = with_kv_cache(model, workload)
    i, o = request_tokens(workload)
    kv = kv_bytes_per_token(model, workload.precision)
    tpot_s = math.inf if workload.max_tpot_ms is None else workload.max_tpot_ms / 1e3
    ttft_s = math.inf if workload.max_ttft_ms is None else workload.max_ttft_ms / 1e3
    shapes = _shapes(workload, model, chip, site, fabric)
    decodes = [p for s in shapes if (p := _decode(s, kv * (i + o), tpot_s)) is not None]
    prefills = [p for s in shapes if (p := _prefill(s, kv, i, ttft_s)) is not None]
    return (
        max(decodes, key=lambda p: p.per_card, default=None),
        max(prefills, key=lambda p: p.per_card, default=None),
    )


def disaggregated_estimate(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    fabric: FabricRow | None = None,
) -> InferenceResult:
    """The prefill + decode unit meeting the target (module docstring), or why none does."""
    precision = workload.precision
    if peak_flops_per_s(chip, precision) is None:
        return InferenceResult(
            False, f"chip {chip.chip_id} has no {precision} peak in its Chips row"
        )
    i, o = request_tokens(workload)
    kv = kv_bytes_per_token(with_kv_cache(model, workload), precision)
    decode, prefill = phase_replicas(workload, model, chip, site, fabric)
    if decode is None or prefill is None:
        phase = "decode" if decode is None else "prefill"
        return InferenceResult(
            False, f"no {phase} replica meets the memory and latency limits on its own"
        )
    out_per_prefill = prefill.tokens_per_s * o / i  # output tokens/s its prompts feed
    target = required_for_kind(workload.target_tokens_per_s, "target_tokens_per_s")
    n_d = max(1, math.ceil(target / decode.tokens_per_s - 1e-9))
    n_p = max(1, math.ceil(target / out_per_prefill - 1e-9))
    cards = n_p * prefill.shape.cards + n_d * decode.shape.cards
    tokens = min(n_d * decode.tokens_per_s, n_p * out_per_prefill)
    return InferenceResult(
        feasible=True,
        reason="",
        replica_cards=cards,
        batch=decode.batch,
        tpot_ms=decode.step.tpot_s * 1e3,
        ttft_ms=PREFILL_WAIT_ITERATIONS * prefill.step.step_s * 1e3,
        decode_compute_s=decode.step.compute_s,
        decode_memory_s=decode.step.memory_s,
        decode_comm_s=decode.step.comm_s,
        decode_step_s=decode.step.step_s,
        prefill_s=prefill.step.step_s,
        prefill_chunk_tokens=prefill.batch * i,
        ttft_iterations=PREFILL_WAIT_ITERATIONS,
        tokens_per_s=tokens,
        weights_gb=decode.shape.weights_bytes * decode.shape.units / 1e9,
        kv_cache_gb=decode.batch * decode.shape.units * kv * (i + o) / 1e9,
        free_gb_per_card=(
            decode.shape.room_bytes - decode.shape.weights_bytes - decode.batch * kv * (i + o)
        )
        / (decode.shape.cards / decode.shape.units)
        / 1e9,
        expert_parallel=decode.shape.units if decode.shape.units > 1 else 0,
        disaggregated=(f"{n_p} prefill {prefill.shape.label} + {n_d} decode {decode.shape.label}"),
    )


def serving_estimate(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    fabric: FabricRow | None = None,
) -> InferenceResult:
    """The colocated replica, or with `pd_disaggregation = allowed` the prefill + decode
    unit when it meets the target on fewer cards, counted in whole systems, or on as
    many with more tokens/s a card (a tie went to the colocated replica, so a looser TPOT
    that made it as large could lower the estimate)."""
    colocated = inference_estimate(workload, model, chip, site, fabric)
    if site.pd_disaggregation != "allowed":
        return colocated
    split = disaggregated_estimate(workload, model, chip, site, fabric)
    if not split.feasible or split.replica_cards is None:
        return colocated
    if not colocated.feasible or colocated.replica_cards is None:
        return split
    target = required_for_kind(workload.target_tokens_per_s, "target_tokens_per_s")
    replicas = math.ceil(target / colocated.tokens_per_s - 1e-9)
    colocated_cards = systems_for_replicas(chip, colocated.replica_cards, replicas)
    split_cards = systems_for_replicas(chip, split.replica_cards, 1)
    if split_cards != colocated_cards:
        return split if split_cards < colocated_cards else colocated
    better = split.tokens_per_s_per_card > colocated.tokens_per_s_per_card
    return split if better else colocated
