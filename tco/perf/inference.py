"""Inference serving: replica size, decode batch, TPOT/TTFT, output tokens/s.

A replica is g cards in one scale-up domain running tensor parallel. With
P = params_b x 1e9, A = active_params_b x 1e9, bytes = BYTES_PER_VALUE
[precision], kv = KV bytes per token, i = avg_input_tokens, o = avg_output_tokens
and peak the chip's dense rate at the precision (FLOP/s or OP/s):

  memory fit     g x usable >= P x bytes + b x kv x (i + o)         (usable per card =
                 memory_gb x 1e9 x (1 - memory_headroom); KV reserved for full context)
  decode step    step_s(b) = max(compute_s, memory_s) + comm_s
    compute_s  = b x (2A / linear + 4 x layers x c x heads x head_dim / attention) / g
                 linear = peak(precision) x matrix efficiency (fp8/int8_matrix_efficiency,
                 bf16: train_mfu), attention = bf16 peak x train_mfu
    memory_s   = (min(P, b x A) x bytes + b x kv x c) / (g x memory_bw x mem_bw_efficiency)
                 c = i + o/2 the mean context during decode; min(P, bA) reads only the
                 active experts of an MoE at small batch, all weights otherwise
    comm_s     = 2 x layers x (2(g-1)/g x b x hidden x 2 B / scale-up B/s + latency), g > 1
  prefill        prefill_s = (2A x i / linear + 2 x layers x i^2 x heads x head_dim /
                 attention) / g + 2 x layers x (2(g-1)/g x i x hidden x 2 B / scale-up B/s
                 + latency); TTFT = prefill_s of one request (no queueing)
  batch          b = the largest batch that fits memory with step_s(b) <= max_tpot_ms
  throughput     over the time b requests take to finish, the replica runs o decode
                 steps and b prefills (prefill pauses decode; no overlap), so
                 tokens_per_s = b x o / (o x step_s(b) + b x prefill_s)

The compute efficiency is the chip's `train_mfu`: the fraction of peak its
software stack reaches on dense transformer matrix math, reused for serving
so that calibration stays in catalog columns. Replica sizes are the powers of
two from the smallest that fits up to the scale-up group of one system
(`scaleup_group_cards`: min(scaleup_domain, system_cards)); the one with the most
output tokens/s per card that meets the SLOs is chosen (the smallest, unless a
larger replica meets an SLO the smallest cannot, or makes more tokens per card).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tco.perf.hardware import (
    ACTIVATION_BYTES,
    SCALEUP_CALL_LATENCY_S,
    attention_flops_per_s,
    linear_flops_per_s,
    peak_flops_per_s,
    scaleup_bytes_per_s,
    scaleup_group_cards,
    usable_memory_bytes,
)
from tco.perf.memory import kv_bytes_per_token, powers_of_two_up_to, smallest_replica
from tco.schema.inputs import BYTES_PER_VALUE, required_for_kind
from tco.schema.rows import ChipRow, ModelRow, SiteRow, WorkloadRow
from tco.text import plural


@dataclass(frozen=True)
class DecodeStep:
    """One decode step of a replica at batch b, s."""

    compute_s: float
    memory_s: float
    comm_s: float

    @property
    def step_s(self) -> float:
        return max(self.compute_s, self.memory_s) + self.comm_s


@dataclass(frozen=True)
class InferenceResult:
    """Serving one inference workload on one chip; rates are output tokens/s."""

    feasible: bool
    reason: str
    replica_cards: int | None = None
    batch: int = 0
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    decode_compute_s: float = 0.0
    decode_memory_s: float = 0.0
    decode_comm_s: float = 0.0
    prefill_s: float = 0.0
    tokens_per_s: float = 0.0
    weights_gb: float = 0.0
    kv_cache_gb: float = 0.0
    free_gb_per_card: float = 0.0

    @property
    def tokens_per_s_per_card(self) -> float:
        return self.tokens_per_s / self.replica_cards if self.replica_cards else 0.0


def _tp_comm_s(chip: ChipRow, g: int, tokens: float, hidden: int, layers: int) -> float:
    """2 ring all-reduces per layer of tokens x hidden x 2 B over g cards, plus call latency."""
    if g == 1:
        return 0.0
    per_call = 2.0 * (g - 1) / g * tokens * hidden * ACTIVATION_BYTES / scaleup_bytes_per_s(chip)
    return 2.0 * layers * (per_call + SCALEUP_CALL_LATENCY_S)


def decode_step(
    model: ModelRow,
    chip: ChipRow,
    precision: str,
    replica_cards: int,
    batch: int,
    input_tokens: float,
    output_tokens: float,
) -> DecodeStep:
    """Decode step time components for `batch` sequences on a g-card replica."""
    g = replica_cards
    linear_rate = linear_flops_per_s(chip, precision)
    if linear_rate is None:
        raise ValueError(f"{chip.chip_id} has no {precision} peak")
    context = input_tokens + output_tokens / 2.0
    attention = 4.0 * model.layers * context * model.heads * model.head_dim
    active = model.active_params_b * 1e9
    # Linear layers at the workload precision, attention at bf16 (hardware.attention_flops_per_s).
    compute_s = batch * (2.0 * active / linear_rate + attention / attention_flops_per_s(chip)) / g
    weight_read = min(model.params_b * 1e9, batch * active) * BYTES_PER_VALUE[precision]
    traffic = weight_read + batch * kv_bytes_per_token(model, precision) * context
    memory_s = traffic / (g * chip.memory_bw_gbs * 1e9 * chip.mem_bw_efficiency)
    return DecodeStep(compute_s, memory_s, _tp_comm_s(chip, g, batch, model.hidden, model.layers))


def prefill_s(
    model: ModelRow, chip: ChipRow, precision: str, replica_cards: int, input_tokens: float
) -> float:
    """Prefill of one request: compute-bound FLOPs plus TP all-reduces, s."""
    linear_rate = linear_flops_per_s(chip, precision)
    if linear_rate is None:
        raise ValueError(f"{chip.chip_id} has no {precision} peak")
    linear = 2.0 * model.active_params_b * 1e9 * input_tokens
    attention = 2.0 * model.layers * input_tokens**2 * model.heads * model.head_dim
    compute = (linear / linear_rate + attention / attention_flops_per_s(chip)) / replica_cards
    return compute + _tp_comm_s(chip, replica_cards, input_tokens, model.hidden, model.layers)


def _request_tokens(workload: WorkloadRow) -> tuple[float, float]:
    """Mean prompt and mean generated tokens of one request, tokens."""
    return (
        required_for_kind(workload.avg_input_tokens, "avg_input_tokens"),
        required_for_kind(workload.avg_output_tokens, "avg_output_tokens"),
    )


def serve_replica(
    workload: WorkloadRow, model: ModelRow, chip: ChipRow, site: SiteRow, replica_cards: int
) -> InferenceResult:
    """Largest batch and throughput of a replica of exactly `replica_cards` cards."""
    g = replica_cards
    precision = workload.precision
    i, o = _request_tokens(workload)
    usable = usable_memory_bytes(chip, site.memory_headroom)
    weights = model.params_b * 1e9 * BYTES_PER_VALUE[precision]
    kv_per_seq = kv_bytes_per_token(model, precision) * (i + o)
    memory_batch = math.floor((g * usable - weights) / kv_per_seq)
    if memory_batch < 1:
        return InferenceResult(
            False,
            f"a {g}-card replica cannot hold the {precision} weights "
            f"({weights / 1e9:,.0f} GB) and one sequence's KV cache",
            replica_cards=g,
        )
    prefill = prefill_s(model, chip, precision, g, i)
    if workload.max_ttft_ms is not None and prefill * 1e3 > workload.max_ttft_ms:
        return InferenceResult(
            False,
            f"prefill of {i:,.0f} tokens takes {prefill * 1e3:,.1f} ms "
            f"on {plural(g, 'card')}, above max_ttft_ms {workload.max_ttft_ms:,g}",
            replica_cards=g,
        )

    def step(b: int) -> DecodeStep:
        return decode_step(model, chip, precision, g, b, i, o)

    limit_s = math.inf if workload.max_tpot_ms is None else workload.max_tpot_ms / 1e3
    if step(1).step_s > limit_s:
        return InferenceResult(
            False,
            f"decode step at batch 1 takes {step(1).step_s * 1e3:,.2f} "
            f"ms on {plural(g, 'card')}, above max_tpot_ms {workload.max_tpot_ms:,g}",
            replica_cards=g,
        )
    lo, hi = 1, memory_batch  # step_s rises with b: bisect for the largest b within the limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if step(mid).step_s <= limit_s:
            lo = mid
        else:
            hi = mid - 1
    b, s = lo, step(lo)
    tokens_per_s = b * o / (o * s.step_s + b * prefill)
    kv_gb = b * kv_per_seq / 1e9
    return InferenceResult(
        feasible=True,
        reason="",
        replica_cards=g,
        batch=b,
        tpot_ms=s.step_s * 1e3,
        ttft_ms=prefill * 1e3,
        decode_compute_s=s.compute_s,
        decode_memory_s=s.memory_s,
        decode_comm_s=s.comm_s,
        prefill_s=prefill,
        tokens_per_s=tokens_per_s,
        weights_gb=weights / 1e9,
        kv_cache_gb=kv_gb,
        free_gb_per_card=(g * usable - weights - b * kv_per_seq) / g / 1e9,
    )


def inference_estimate(
    workload: WorkloadRow, model: ModelRow, chip: ChipRow, site: SiteRow
) -> InferenceResult:
    """Best replica size for the workload on the chip, or infeasible with the reason."""
    precision = workload.precision
    if peak_flops_per_s(chip, precision) is None:
        column = "fp8_tflops" if precision == "fp8" else "int8_tops"
        return InferenceResult(
            False, f"chip {chip.chip_id} does not support {precision} ({column} blank)"
        )
    usable = usable_memory_bytes(chip, site.memory_headroom)
    input_tokens, output_tokens = _request_tokens(workload)
    context = input_tokens + output_tokens
    group = scaleup_group_cards(chip)
    fit = smallest_replica(model, precision, group, usable, context)
    if fit.replica_cards is None:
        return InferenceResult(False, fit.reason)
    sizes = [g for g in powers_of_two_up_to(group) if g >= fit.replica_cards]
    results = [serve_replica(workload, model, chip, site, g) for g in sizes]
    feasible = [r for r in results if r.feasible]
    if not feasible:
        return InferenceResult(False, "; ".join(r.reason for r in results))
    return max(feasible, key=lambda r: r.tokens_per_s_per_card)  # ties: the smallest g
