"""Inference serving: replica size, batch, mixed iterations, TPOT/TTFT, output tokens/s.

A replica is g cards in one scale-up domain running tensor parallel. With
P = params_b x 1e9, A = active_params_b x 1e9, bytes = BYTES_PER_VALUE
[precision], kv = KV bytes per token, i = avg_input_tokens, o = avg_output_tokens
and peak the chip's dense rate at the precision (FLOP/s or OP/s):

  memory fit     g x usable >= P x bytes + b x kv x (i + o)         (usable per card =
                 memory_gb x 1e9 x (1 - memory_headroom); KV reserved for full context)
  serving        continuous batching with chunked prefill: b requests are in decode;
                 in steady state the replica prefills b x i tokens for every b x o it
                 decodes, so every iteration carries b decode tokens and a prefill
                 chunk of C = b x i / o tokens (a stall-free schedule: the same
                 mixed batch every iteration, no decode pause)
  iteration      iter_s(b) = max(linear_s, weights_s) + max(attention_s, kv_s) + comm_s:
                 the linear layers and attention are separate kernels, one after the
                 other in every layer, each bounded by its own roofline (a max of the
                 totals would let the KV reads of attention hide behind the GEMMs)
    linear_s   = (b + C) x 2A / linear / g
    attention_s = (b x 4 x layers x c x heads x head_dim
                  + C x 2 x layers x i x heads x head_dim) / attention / g
                 linear = peak(precision) x matrix efficiency (fp8/int8_matrix_efficiency,
                 bf16: train_mfu), attention = bf16 peak x train_mfu
                 c = i + o/2 the mean context during decode; a chunk token attends to
                 i/2 earlier tokens on average (causal), hence 2 x layers x i x ...
    weights_s  = [min(D, (b + C) x D_a) + R x share(b + C)] x bytes
                 / (g x memory_bw x mem_bw_efficiency)   (`_weights_touched`)
    kv_s       = kv x copies x (b x c + C) / (g x memory_bw x mem_bw_efficiency)
                 copies = `memory.kv_copies` (a cache TP cannot split by heads is kept
                 on every card: an MLA latent cache g times);
                 the weights are read once per iteration for decode and chunk together
                 (an MoE its dense part once and the experts its b + C tokens reach);
                 decode reads its KV contexts, the chunk writes its KV (its re-read of
                 its own prefix, at most i tokens per iteration, is neglected)
    comm_s     = 2 x layers x [2(g-1)/g x (b + C) x hidden x 2 B / scale-up B/s
                 + latency(g)], g > 1; latency(g) = 6.6 us + 2(g-1) x 0.6 us
                 (NCCL's ring/LL tuning model, see hardware.py)
  TPOT           = iter_s(b): the mixed iteration is what a decoding user waits for
  TTFT           = ceil(i / C) x iter_s(b) = ceil(o / b) x iter_s(b): a request's
                 prompt goes through in chunks at the per-iteration budget C; queueing
                 is not modelled (the plan runs at a steady, deterministic load)
  bursts         the other schedule (`bursts`): a prompt is prefilled as it arrives in
                 n = ceil(i / R) iterations, R = serve_max_batched_tokens - b, a share f
                 of the iterations busy: TPOT = f x busy + (1 - f) x quiet, TTFT =
                 n x busy; the replica takes whichever schedule makes more tokens/s
  batch          b = the largest batch that fits memory and the token budget
                 (b (1 + i / o) <= serve_max_batched_tokens) with TPOT <= max_tpot_ms
                 and TTFT <= max_ttft_ms
  throughput     each iteration emits one token per decoding request and the prefill
                 is inside the iterations, so tokens_per_s = b x o / (o x iter_s(b))
                 = b / iter_s(b)
  speculation    with d draft tokens and a accepted a step (`Speculation`): b (1 + d)
                 verify tokens and the drafting in the iteration, C = b x i x a / o,
                 TPOT = iter_s(b) / a, TTFT = ceil(o / (a b)) iterations and
                 tokens_per_s = b x a / iter_s(b)

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from tco.perf.hardware import (
    ACTIVATION_BYTES,
    SCALEUP_CALL_LATENCY_S,
    all_to_all_fabric_bytes_per_s,
    attention_flops_per_s,
    linear_flops_per_s,
    peak_flops_per_s,
    replicas_per_system,
    scaleup_allreduce_latency_s,
    scaleup_bytes_per_s,
    scaleup_group_cards,
    switch_hops,
    system_cards,
    systems_per_replica,
    usable_memory_bytes,
)
from tco.perf.memory import (
    kv_bytes_per_token,
    kv_copies,
    powers_of_two_up_to,
    smallest_replica,
    with_kv_cache,
)
from tco.perf.moe import (
    active_expert_share,
    all_to_all_bytes_per_token,
    dense_active_params,
    dense_params,
    is_moe,
    moe_layers,
    routed_active_params,
    routed_params,
)
from tco.schema.inputs import BYTES_PER_VALUE, required_for_kind
from tco.schema.rows import ChipRow, FabricRow, ModelRow, SiteRow, WorkloadRow
from tco.text import plural

_Tokens = TypeVar("_Tokens", float, NDArray[np.float64])

#: Slack on ceil(o / b) so that a whole number of iterations is not rounded up.
_CEIL_SLACK = 1e-9


@dataclass(frozen=True)
class DecodeStep:
    """One mixed iteration of a replica at batch b (b decode tokens + a prefill chunk), s.

    The linear layers and attention are separate kernels, one after the other in every
    layer, so each is bounded by its own roofline and their times add:
    step = max(linear, weights) + max(attention, kv) + comm.
    """

    linear_s: float
    weights_s: float
    attention_s: float
    kv_s: float
    comm_s: float
    chunk_tokens: float = 0.0
    #: Tokens the step emits per decoding request (`Workloads.acceptance_length`; 1
    #: without speculative decoding).
    accept: float = 1.0
    #: Of comm_s, the MoE layers' fixed time (`expert_iteration`), s: no fabric's.
    moe_fixed_s: float = 0.0

    @property
    def tpot_s(self) -> float:
        """Time per output token a decoding user sees, s: the step over its tokens."""
        return self.step_s / self.accept

    @property
    def compute_s(self) -> float:
        return self.linear_s + self.attention_s

    @property
    def memory_s(self) -> float:
        return self.weights_s + self.kv_s

    @property
    def step_s(self) -> float:
        return roofline_s(self.linear_s, self.weights_s, self.attention_s, self.kv_s, self.comm_s)


@dataclass(frozen=True)
class DecodeTerms(Generic[_Tokens]):
    """`DecodeStep`'s terms for one batch or an array of batches, s (chunk in tokens)."""

    linear_s: _Tokens
    weights_s: _Tokens
    attention_s: _Tokens
    kv_s: _Tokens
    comm_s: _Tokens
    chunk_tokens: _Tokens


def roofline_s(
    linear_s: _Tokens, weights_s: _Tokens, attention_s: _Tokens, kv_s: _Tokens, comm_s: _Tokens
) -> _Tokens:
    """Iteration time, s: max(linear, weights) + max(attention, kv) + comm (elementwise)."""
    total: _Tokens = np.maximum(linear_s, weights_s) + np.maximum(attention_s, kv_s) + comm_s
    return total


@dataclass(frozen=True)
class InferenceResult:
    """Serving one inference workload on one chip; rates are output tokens/s.

    `prefill_s` is one request's prefill alone on the replica (a lower bound on
    TTFT); `ttft_ms` is the chunked TTFT, `ttft_iterations` x `tpot_ms`.
    """

    feasible: bool
    reason: str
    replica_cards: int | None = None
    batch: int = 0
    tpot_ms: float | None = None
    ttft_ms: float | None = None
    decode_compute_s: float = 0.0
    decode_memory_s: float = 0.0
    decode_comm_s: float = 0.0
    #: The iteration the decode_* terms are of, s: one that carries prefill (under
    #: prefill bursts a busy one, longer than TPOT x tokens a step says on average).
    decode_step_s: float = 0.0
    prefill_s: float = 0.0
    prefill_chunk_tokens: float = 0.0
    ttft_iterations: int = 0
    #: Prompt tokens a busy iteration prefills when prompts are prefilled as they arrive
    #: (`bursts`); 0 when every iteration carries the steady chunk (`steady`).
    prefill_burst_tokens: float = 0.0
    tokens_per_s: float = 0.0
    weights_gb: float = 0.0
    kv_cache_gb: float = 0.0
    free_gb_per_card: float = 0.0
    #: Expert-parallel replica: its EP degree (= cards; attention data-parallel on every
    #: card), 0 for a tensor-parallel replica. `batch` is then per card.
    expert_parallel: int = 0
    #: Scale-out fabric the replica's all-to-all crosses (None: inside one scale-up group).
    fabric_id: str | None = None
    #: A prefill/decode unit ('2 prefill TP8 + 3 decode EP16 DP-attention'): the replica is
    #: the unit, `batch` and `tpot_ms` are its decode replicas' (`tco.perf.disaggregated`).
    disaggregated: str | None = None

    @property
    def tokens_per_s_per_card(self) -> float:
        return self.tokens_per_s / self.replica_cards if self.replica_cards else 0.0

    @property
    def layout(self) -> str:
        """'TP8', or 'EP16 + DP-attention over the fabric' for an expert-parallel replica."""
        if not self.replica_cards:
            return ""
        if self.disaggregated:
            return self.disaggregated
        if not self.expert_parallel:
            return f"TP{self.replica_cards}"
        where = f" across {self.fabric_id}" if self.fabric_id else ""
        return f"EP{self.expert_parallel} DP-attention{where}"


def _tp_comm_s(chip: ChipRow, g: int, tokens: _Tokens, hidden: int, layers: int) -> _Tokens:
    """2 ring all-reduces per layer of tokens x hidden x 2 B over g cards, plus call latency."""
    per_call = 2.0 * (g - 1) / g * tokens * hidden * ACTIVATION_BYTES / scaleup_bytes_per_s(chip)
    return 2.0 * layers * (per_call + scaleup_allreduce_latency_s(g))


@dataclass(frozen=True)
class Speculation:
    """Speculative decoding of a workload: d draft tokens verified per step, a emitted.

    Each decode step runs the b requests' 1 + d tokens (the last accepted one and d
    drafts) through the model and emits a tokens per request on average, so a request
    takes o / a steps and the steady-state prefill chunk is C = b x i x a / o. The draft
    itself (DeepSeek's MTP module, an EAGLE head: one decoder layer) costs d passes of
    one layer for the b requests: d x b / layers token-passes of the whole model in
    compute and communication, and d re-reads of one layer's weights.
    """

    draft: int = 0
    accept: float = 1.0

    def verify_tokens(self, batch: _Tokens) -> _Tokens:
        """Decode tokens a step runs through the model: b x (1 + d)."""
        return batch * (1 + self.draft)

    def draft_tokens(self, batch: _Tokens, layers: int) -> _Tokens:
        """Whole-model token-passes equivalent to the d one-layer draft passes: d x b / layers."""
        return batch * self.draft / layers

    def steps(self, output_tokens: float) -> float:
        """Decode steps a request of `output_tokens` tokens takes: o / a."""
        return output_tokens / self.accept


NO_SPECULATION = Speculation()


def speculation(workload: WorkloadRow) -> Speculation:
    """The workload's speculative decoding (`draft_tokens`, `acceptance_length`)."""
    if not workload.draft_tokens:
        return NO_SPECULATION
    return Speculation(workload.draft_tokens, workload.acceptance_length or 1.0)


def _at_most(cap: float, values: _Tokens) -> _Tokens:
    """min(cap, values) for a float or elementwise for an array of batches."""
    if isinstance(values, np.ndarray):
        capped: _Tokens = np.minimum(cap, values)
        return capped
    return min(cap, values)


def _weights_touched(model: ModelRow, tokens: _Tokens) -> _Tokens:
    """Parameters an iteration of `tokens` tokens reads on a tensor-parallel replica:

      min(D, n x D_a) + R x share(n)

    D and D_a the dense parameters and those one token runs through (every weight of a
    dense model: all of it once n >= 1), R the routed experts, share(n) the expected
    share of them n tokens reach (`active_expert_share`): the dense part is read once
    an iteration, not once a token, and an expert once however many tokens it gets.
    """
    dense = _at_most(dense_params(model), tokens * dense_active_params(model))
    return dense + routed_params(model) * active_expert_share(model, tokens)


def _iteration_terms(
    model: ModelRow,
    chip: ChipRow,
    precision: str,
    replica_cards: int,
    batch: _Tokens,
    input_tokens: float,
    output_tokens: float,
    chunk: _Tokens | None = None,
    expert_efficiency: float = 1.0,
    spec: Speculation = NO_SPECULATION,
    moe_layer_s: float = 0.0,
) -> DecodeTerms[_Tokens]:
    """The terms of mixed iterations at a batch (or each batch of an array).

    `chunk` is the prefill tokens an iteration carries: by default the steady-state
    b x i / o of continuous batching; 0 for a decode-only replica, n x i for a
    prefill-only one (`tco.perf.disaggregated`). A MoE's routed experts run at
    `expert_efficiency` (Site.moe_gemm_efficiency) of the linear rate, and each of its
    MoE layers adds `moe_layer_s` (Site.moe_serve_overhead_ms) x the share of its experts
    the iteration's tokens reach (`active_expert_share`) to the iteration, in the comm
    term: a time per active expert group that no batch amortises once every expert is
    busy, and that a lone request (k of the E experts) hardly pays.
    """
    g = replica_cards
    linear_rate = linear_flops_per_s(chip, precision)
    if linear_rate is None:
        raise ValueError(f"{chip.chip_id} has no {precision} peak")
    i, o = input_tokens, output_tokens
    if chunk is None:
        chunk = batch * i / spec.steps(o)  # prefill tokens per iteration in steady state
    context = i + o / 2.0
    per_head = model.layers * model.heads * model.head_dim
    verify = spec.verify_tokens(batch)
    passes = verify + chunk + spec.draft_tokens(batch, model.layers)
    # Linear layers at the workload precision, attention at bf16 (hardware.attention_flops_per_s).
    linear_s = (
        passes
        * 2.0
        * (dense_active_params(model) + routed_active_params(model) / expert_efficiency)
        / linear_rate
    )
    attention = verify * 4.0 * per_head * context + chunk * 2.0 * per_head * i
    weight_read = _weights_touched(model, verify + chunk)
    # Each draft pass re-reads one layer's weights (those its b tokens touch).
    draft_read = _weights_touched(model, batch) * (spec.draft / model.layers)
    bandwidth = g * chip.memory_bw_gbs * 1e9 * chip.mem_bw_efficiency
    return DecodeTerms(
        linear_s / g,
        (weight_read + draft_read) * BYTES_PER_VALUE[precision] / bandwidth,
        attention / attention_flops_per_s(chip) / g,
        kv_bytes_per_token(model, precision)
        * kv_copies(model, g)
        * (batch * context + chunk)
        / bandwidth,
        _tp_comm_s(chip, g, passes, model.hidden, model.layers)
        + moe_layers(model) * moe_layer_s * active_expert_share(model, verify + chunk),
        chunk,
    )


def _iteration_s(
    model: ModelRow,
    chip: ChipRow,
    precision: str,
    replica_cards: int,
    batch: NDArray[np.float64],
    input_tokens: float,
    output_tokens: float,
    expert_efficiency: float = 1.0,
    spec: Speculation = NO_SPECULATION,
    moe_layer_s: float = 0.0,
    chunk: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Mixed iteration time at each batch, s (`roofline_s`); `chunk` as `_iteration_terms`."""
    terms = _iteration_terms(
        model,
        chip,
        precision,
        replica_cards,
        batch,
        input_tokens,
        output_tokens,
        chunk,
        expert_efficiency=expert_efficiency,
        spec=spec,
        moe_layer_s=moe_layer_s,
    )
    return roofline_s(terms.linear_s, terms.weights_s, terms.attention_s, terms.kv_s, terms.comm_s)


def decode_step(
    model: ModelRow,
    chip: ChipRow,
    precision: str,
    replica_cards: int,
    batch: int,
    input_tokens: float,
    output_tokens: float,
    chunk: float | None = None,
    expert_efficiency: float = 1.0,
    spec: Speculation = NO_SPECULATION,
    moe_layer_s: float = 0.0,
) -> DecodeStep:
    """One iteration: `batch` decoding requests plus a prefill chunk (default the steady-state
    b x i x a / o of continuous batching; see `_iteration_terms` and `Speculation`)."""
    t = _iteration_terms(
        model,
        chip,
        precision,
        replica_cards,
        float(batch),
        input_tokens,
        output_tokens,
        chunk,
        expert_efficiency,
        spec,
        moe_layer_s,
    )
    return DecodeStep(
        t.linear_s, t.weights_s, t.attention_s, t.kv_s, t.comm_s, t.chunk_tokens, spec.accept
    )


def ttft_iterations(batch: int, steps: float) -> int:
    """Iterations a prompt of i tokens takes at chunk C = b i / s, s the decode steps of a
    request (o, or o / a with speculative decoding): ceil(i / C) = ceil(s / b)."""
    return max(1, math.ceil(steps / batch - _CEIL_SLACK))


#: One iteration of a scheduler at b decoding requests, `chunk` prefill tokens on the
#: busiest card and `mean_chunk` on the mean card (equal for a tensor-parallel replica).
StepAt = Callable[[float, float, float], DecodeStep]


@dataclass(frozen=True)
class Scheduled:
    """A batch under one prefill schedule of continuous batching, per scheduler.

    `step` is an iteration that carries prefill (the busy one), `mean_step_s` the mean over
    all iterations, which is what a decoding user waits for a step on average; a prompt goes
    through in `ttft_iterations` busy iterations. `burst_tokens` is the prompt tokens a busy
    iteration prefills under the burst schedule, 0 under steady chunks.
    """

    batch: int
    step: DecodeStep
    mean_step_s: float
    ttft_iterations: int
    burst_tokens: float = 0.0

    @property
    def tpot_s(self) -> float:
        """Mean time per output token, s: the mean iteration over the tokens a step emits."""
        return self.mean_step_s / self.step.accept

    @property
    def ttft_s(self) -> float:
        """Time to first token, s: the prompt's busy iterations."""
        return self.ttft_iterations * self.step.step_s

    @property
    def tokens_per_s(self) -> float:
        """Output tokens/s of the scheduler: b x a / mean iteration."""
        return self.batch * self.step.accept / self.mean_step_s


def _over_budget(budget_tokens: int, prefill_share: float, scope: str) -> str:
    """Why a scheduler's token budget refuses even one request: its decode token and its
    mean prefill share (i / s tokens an iteration) exceed it."""
    return (
        f"the {budget_tokens:,}-token iteration budget{scope} (serve_max_batched_tokens) "
        f"cannot carry one request's decode and its {prefill_share:,.0f}-token prefill share"
    )


def budget_batch(budget_tokens: int, input_tokens: float, steps: float, spec: Speculation) -> int:
    """Largest batch whose iteration fits the engine's token budget, requests.

    Every iteration runs b (1 + d) decode tokens and, on average, the chunk C = b i / s
    (s = o / a decode steps a request): b (1 + d + i / s) <= budget; a larger batch leaves
    the prefill behind the arrivals and the queue grows without bound.
    """
    return math.floor(budget_tokens / (1 + spec.draft + input_tokens / steps) + _CEIL_SLACK)


def steady(step_at: StepAt, batch: int, input_tokens: float, steps: float) -> Scheduled:
    """Steady chunks (stall-free batching, Sarathi-Serve): every iteration carries the mean
    chunk C = b i / s, so a prompt takes ceil(i / C) = ceil(s / b) iterations."""
    chunk = batch * input_tokens / steps
    step = step_at(float(batch), chunk, chunk)
    return Scheduled(batch, step, step.step_s, ttft_iterations(batch, steps))


def _burst_tpot(tpot_s: float, workload: WorkloadRow) -> str:
    """'(mean TPOT 208.0 ms, above max_tpot_ms 50)': why a burst that meets the TTFT
    limit still fails, or '(mean TPOT 20.0 ms)' when the TTFT is what it misses."""
    limit = workload.max_tpot_ms
    above = limit is not None and tpot_s * 1e3 > limit
    return f"(mean TPOT {tpot_s * 1e3:,.1f} ms" + (
        f", above max_tpot_ms {limit:,g})" if above else ")"
    )


def bursts(
    step_at: StepAt,
    batch: int,
    input_tokens: float,
    steps: float,
    budget_tokens: int,
    spec: Speculation,
    schedulers: int,
) -> Scheduled:
    """Bursts (vLLM's and SGLang's default): a prompt is prefilled as soon as it arrives, in
    n = ceil(i / R) iterations of x = i / n tokens, R = budget - b (1 + d) the budget the
    decode tokens leave (at least C = b i / s, `budget_batch`).

    Arrivals are deterministic and spread evenly over the replica's `schedulers` (1 for a
    tensor-parallel replica, g attention data-parallel ranks of an expert-parallel one, which
    run every iteration in lockstep), so the share of iterations with a burst on some card is
    f = min(1, schedulers x C / x'), x' = max(x, C) the busiest card's chunk, and the mean
    card prefills C / f tokens in them. With busy = step(b, x', C / f) and
    quiet = step(b, 0, 0):

      mean iteration = f x busy + (1 - f) x quiet,   TTFT = n x busy

    Queueing is not modelled (no two prompts wait for one card's budget).
    """
    chunk = batch * input_tokens / steps
    n, busiest, share = burst_shape(
        float(batch), input_tokens, steps, budget_tokens, spec, schedulers
    )
    busy = step_at(float(batch), busiest, chunk / share)
    quiet = step_at(float(batch), 0.0, 0.0)
    mean = share * busy.step_s + (1.0 - share) * quiet.step_s
    return Scheduled(batch, busy, mean, int(n), input_tokens / n)


def burst_shape(
    batch: _Tokens,
    input_tokens: float,
    steps: float,
    budget_tokens: int,
    spec: Speculation,
    schedulers: int,
) -> tuple[_Tokens, _Tokens, _Tokens]:
    """`bursts`' (n busy iterations a prompt, the busiest card's chunk x' [tokens], the
    busy share f) at a batch, or elementwise at each batch of an array."""
    chunk = batch * input_tokens / steps
    room = budget_tokens - spec.verify_tokens(batch)
    n: _Tokens = np.maximum(1.0, np.ceil(input_tokens / room - _CEIL_SLACK))
    busiest: _Tokens = np.maximum(input_tokens / n, chunk)
    share: _Tokens = np.minimum(1.0, schedulers * chunk / busiest)
    return n, busiest, share


def largest_true(ok: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """Largest b in [lo, hi] with ok(b), for an ok that holds up to some b and not beyond."""
    if lo > hi or not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def largest_burst_batch(
    step_at: StepAt,
    cap: int,
    input_tokens: float,
    steps: float,
    budget_tokens: int,
    spec: Speculation,
    schedulers: int,
    tpot_s: float,
    ttft_s: float,
) -> int | None:
    """Largest batch up to `cap` whose bursts meet both limits: mean TPOT, TTFT and the
    share of busy iterations all rise with b, so bisect."""

    def meets(b: int) -> bool:
        s = bursts(step_at, b, input_tokens, steps, budget_tokens, spec, schedulers)
        return s.tpot_s <= tpot_s and s.ttft_s <= ttft_s

    return largest_true(meets, 1, cap)


def best_schedule(
    step_at: StepAt,
    steady_batch: int | None,
    burst_batch: int | None,
    input_tokens: float,
    steps: float,
    budget_tokens: int,
    spec: Speculation,
    schedulers: int,
) -> Scheduled | None:
    """Of steady chunks at `steady_batch` and bursts at `burst_batch` (each the largest
    batch meeting both limits under it, None where none does), the one with the most
    tokens/s. Ties go to steady chunks, the smoother TPOT."""
    options = []
    if steady_batch is not None:
        options.append(steady(step_at, steady_batch, input_tokens, steps))
    if burst_batch is not None:
        options.append(
            bursts(step_at, burst_batch, input_tokens, steps, budget_tokens, spec, schedulers)
        )
    return max(options, key=lambda s: s.tokens_per_s) if options else None


def prefill_s(
    model: ModelRow,
    chip: ChipRow,
    precision: str,
    replica_cards: int,
    input_tokens: float,
    expert_efficiency: float = 1.0,
) -> float:
    """Prefill of one request: compute-bound FLOPs plus TP all-reduces, s."""
    linear_rate = linear_flops_per_s(chip, precision)
    if linear_rate is None:
        raise ValueError(f"{chip.chip_id} has no {precision} peak")
    active = dense_active_params(model) + routed_active_params(model) / expert_efficiency
    linear = 2.0 * active * input_tokens
    attention = 2.0 * model.layers * input_tokens**2 * model.heads * model.head_dim
    compute = (linear / linear_rate + attention / attention_flops_per_s(chip)) / replica_cards
    return compute + _tp_comm_s(chip, replica_cards, input_tokens, model.hidden, model.layers)


def request_tokens(workload: WorkloadRow) -> tuple[float, float]:
    """Mean prompt and mean generated tokens of one request, tokens."""
    return (
        required_for_kind(workload.avg_input_tokens, "avg_input_tokens"),
        required_for_kind(workload.avg_output_tokens, "avg_output_tokens"),
    )


def largest_within(
    iteration_s: Callable[[int], float], lo: int, hi: int, limit_s: float
) -> int | None:
    """Largest b in [lo, hi] with iteration_s(b) <= limit_s (iteration_s rises with b)."""
    if lo > hi or iteration_s(lo) > limit_s:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if iteration_s(mid) <= limit_s:
            lo = mid
        else:
            hi = mid - 1
    return lo


def serve_replica(
    workload: WorkloadRow, model: ModelRow, chip: ChipRow, site: SiteRow, replica_cards: int
) -> InferenceResult:
    """Largest batch and throughput of a replica of exactly `replica_cards` cards."""
    g = replica_cards
    precision = workload.precision
    i, o = request_tokens(workload)
    usable = usable_memory_bytes(chip, site.memory_headroom)
    weights = model.params_b * 1e9 * BYTES_PER_VALUE[precision]
    # The replica's whole cache of one sequence, each copy its cards keep (`kv_copies`).
    kv_per_seq = kv_bytes_per_token(model, precision) * (i + o) * kv_copies(model, g)
    memory_batch = math.floor((g * usable - weights) / kv_per_seq)
    moe_eff = site.moe_gemm_efficiency if is_moe(model) else 1.0
    moe_layer_s = site.moe_serve_overhead_ms * 1e-3
    if memory_batch < 1:
        return InferenceResult(
            False,
            f"a {g}-card replica cannot hold the {precision} weights "
            f"({weights / 1e9:,.0f} GB) and one sequence's KV cache",
            replica_cards=g,
        )
    alone = prefill_s(model, chip, precision, g, i, moe_eff)
    if workload.max_ttft_ms is not None and alone * 1e3 > workload.max_ttft_ms:
        return InferenceResult(
            False,
            f"prefill of {i:,.0f} tokens takes {alone * 1e3:,.1f} ms "
            f"on {plural(g, 'card')}, above max_ttft_ms {workload.max_ttft_ms:,g}",
            replica_cards=g,
        )

    spec = speculation(workload)
    steps = spec.steps(o)  # decode iterations a request takes
    budget = site.serve_max_batched_tokens
    cap = min(memory_batch, budget_batch(budget, i, steps, spec))
    if cap < 1:
        return InferenceResult(False, _over_budget(budget, i / steps, ""), replica_cards=g)

    def step_at(b: float, chunk: float, _mean_chunk: float) -> DecodeStep:
        return decode_step(
            model,
            chip,
            precision,
            g,
            int(b),
            i,
            o,
            chunk=chunk,
            expert_efficiency=moe_eff,
            spec=spec,
            moe_layer_s=moe_layer_s,
        )

    def step(b: int) -> DecodeStep:
        return step_at(float(b), b * i / steps, b * i / steps)

    def iteration(b: int) -> float:
        return step(b).step_s

    tpot_s = math.inf if workload.max_tpot_ms is None else workload.max_tpot_ms / 1e3
    ttft_s = math.inf if workload.max_ttft_ms is None else workload.max_ttft_ms / 1e3
    top = largest_within(lambda b: step(b).tpot_s, 1, cap, tpot_s)
    b_steady: int | None = None
    shortest: tuple[float, int] | None = None
    if top is not None:
        # Steady chunks: TTFT = ceil(steps / b) x iter_s(b), steps = o / a. From
        # b = ceil(steps) on, one iteration: TTFT = iter_s, rising with b, so bisect; below,
        # ceil(steps / b) falls as iter_s rises: scan them all.
        whole = max(1, math.ceil(steps - _CEIL_SLACK))
        b_steady = largest_within(iteration, whole, top, ttft_s)
        if b_steady is None:
            small = np.arange(1, min(top, whole - 1) + 1, dtype=np.float64)
            ttft = np.ceil(steps / small - _CEIL_SLACK) * _iteration_s(
                model, chip, precision, g, small, i, o, moe_eff, spec, moe_layer_s
            )
            ok = np.flatnonzero(ttft <= ttft_s)
            if ok.size:
                b_steady = int(small[ok[-1]])
            else:
                # Neither region meets the limit; the shortest TTFT is in the scanned one
                # or at b = ceil(o) (one iteration, the shortest there).
                candidates = [(iteration(whole), whole)] if whole <= top else []
                if small.size:
                    k = int(ttft.argmin())
                    candidates.append((float(ttft[k]), int(small[k])))
                shortest = min(candidates)  # top >= 1, so one region is not empty
    # Bursts: every batch at once (the iteration terms are elementwise), the largest that
    # meets both limits; the formulas are `bursts`' for one scheduler.
    batches = np.arange(1, cap + 1, dtype=np.float64)
    n_busy, busiest, share = burst_shape(batches, i, steps, budget, spec, 1)
    busy = _iteration_s(
        model, chip, precision, g, batches, i, o, moe_eff, spec, moe_layer_s, busiest
    )
    quiet = _iteration_s(
        model, chip, precision, g, batches, i, o, moe_eff, spec, moe_layer_s, np.zeros_like(batches)
    )
    mean = share * busy + (1.0 - share) * quiet
    meets = np.flatnonzero((mean / spec.accept <= tpot_s) & (n_busy * busy <= ttft_s))
    b_burst = int(batches[meets[-1]]) if meets.size else None
    best = best_schedule(step_at, b_steady, b_burst, i, steps, budget, spec, 1)
    if best is None and shortest is None:
        return InferenceResult(
            False,
            f"decode iteration at batch 1 (with its prefill chunk) takes "
            f"{iteration(1) * 1e3:,.2f} ms on {plural(g, 'card')}"
            + (
                f", {step(1).tpot_s * 1e3:,.2f} ms a token at {spec.accept:g} a step"
                if spec.draft
                else ""
            )
            + f", above max_tpot_ms {workload.max_tpot_ms:,g}",
            replica_cards=g,
        )
    if best is None:
        assert shortest is not None
        alone_burst = bursts(step_at, 1, i, steps, budget, spec, 1)
        return InferenceResult(
            False,
            f"no batch up to {top:,} meets max_ttft_ms {workload.max_ttft_ms:,g} "
            f"on {plural(g, 'card')}: the shortest chunked-prefill TTFT is "
            f"{shortest[0] * 1e3:,.1f} ms at batch {shortest[1]:,}, and prefilling a prompt "
            f"as it arrives takes {alone_burst.ttft_s * 1e3:,.1f} ms at batch 1 "
            f"{_burst_tpot(alone_burst.tpot_s, workload)}",
            replica_cards=g,
        )
    s = best.step
    b = best.batch
    kv_gb = b * kv_per_seq / 1e9
    return InferenceResult(
        feasible=True,
        reason="",
        replica_cards=g,
        batch=b,
        tpot_ms=best.tpot_s * 1e3,
        ttft_ms=best.ttft_s * 1e3,
        decode_compute_s=s.compute_s,
        decode_memory_s=s.memory_s,
        decode_comm_s=s.comm_s,
        decode_step_s=s.step_s,
        prefill_s=alone,
        prefill_chunk_tokens=s.chunk_tokens,
        ttft_iterations=best.ttft_iterations,
        prefill_burst_tokens=best.burst_tokens,
        tokens_per_s=best.tokens_per_s,
        weights_gb=weights / 1e9,
        kv_cache_gb=kv_gb,
        free_gb_per_card=(g * usable - weights - b * kv_per_seq) / g / 1e9,
    )


def lone_request_tpot_s(
    workload: WorkloadRow, model: ModelRow, chip: ChipRow, site: SiteRow, replica_cards: int
) -> float:
    """TPOT of one request alone on a tensor-parallel replica of `replica_cards` cards, s.

    Its prompt is prefilled before it decodes, so its decode iterations carry batch 1
    and no prefill chunk (`decode_step` with chunk 0): the latency a single user sees on
    an idle replica, as a benchmark at concurrency 1 measures it (TPOT excludes the
    first token). Memory is not checked.
    """
    model = with_kv_cache(model, workload)
    i, o = request_tokens(workload)
    step = decode_step(
        model,
        chip,
        workload.precision,
        replica_cards,
        1,
        i,
        o,
        chunk=0.0,
        expert_efficiency=site.moe_gemm_efficiency if is_moe(model) else 1.0,
        spec=speculation(workload),
        moe_layer_s=site.moe_serve_overhead_ms * 1e-3,
    )
    return step.tpot_s


def inference_estimate(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    fabric: FabricRow | None = None,
) -> InferenceResult:
    """Best replica for the workload on the chip, or infeasible with the reason.

    Tensor-parallel replicas inside one scale-up group; for a MoE also
    expert-parallel replicas (`serve_expert_replica`) inside it and, given a
    scale-out `fabric`, across whole systems. The most tokens/s per card bought wins
    (`tokens_per_s_per_system_card`): cards come in whole systems, and a replica that
    does not divide its system leaves cards idle (on a 72-card NVL72, 4 replicas of 16
    cards leave 8).
    """
    model = with_kv_cache(model, workload)
    precision = workload.precision
    if peak_flops_per_s(chip, precision) is None:
        column = "fp8_tflops" if precision == "fp8" else "int8_tops"
        return InferenceResult(
            False, f"chip {chip.chip_id} has no {precision} peak in its Chips row ({column} blank)"
        )
    usable = usable_memory_bytes(chip, site.memory_headroom)
    input_tokens, output_tokens = request_tokens(workload)
    context = input_tokens + output_tokens
    group = scaleup_group_cards(chip)
    fit = smallest_replica(model, precision, group, usable, context)
    tensor: list[InferenceResult] = []
    if fit.replica_cards is not None:
        sizes = [g for g in powers_of_two_up_to(group) if g >= fit.replica_cards]
        tensor = [serve_replica(workload, model, chip, site, g) for g in sizes]
    expert = (
        [
            serve_expert_replica(workload, model, chip, site, g, fabric)
            for g in expert_replica_sizes(model, chip, fabric)
        ]
        if is_moe(model)
        else []
    )
    feasible = [r for r in tensor + expert if r.feasible]
    if feasible:
        # Ties: the first (the smallest replica).
        return max(feasible, key=lambda r: tokens_per_s_per_system_card(chip, r))
    reasons = [r.reason for r in tensor] if tensor else [fit.reason]
    if expert:
        # The largest expert-parallel replica has the most memory a card and the most
        # all-to-all: its reason is the one that says what the fabric or SLO costs.
        reasons.append(
            f"expert-parallel replicas up to {expert[-1].replica_cards:,} cards: "
            + expert[-1].reason
        )
    return InferenceResult(False, "; ".join(dict.fromkeys(reasons)))


def tokens_per_s_per_system_card(chip: ChipRow, result: InferenceResult) -> float:
    """Tokens/s per card bought of replicas of `result` filling whole systems:
    tokens_per_replica x replicas a system holds / (systems a replica takes x system
    cards) [tokens/s per card]."""
    g = result.replica_cards or 0
    if not g:
        return 0.0
    per, span = replicas_per_system(chip, g), systems_per_replica(chip, g)
    return result.tokens_per_s * per / (span * system_cards(chip))


def expert_replica_sizes(model: ModelRow, chip: ChipRow, fabric: FabricRow | None) -> list[int]:
    """Cards of the expert-parallel replicas to try: powers of two from 2 inside one
    scale-up group, then (given a fabric) 2, 4, ... whole systems; at most max(the routed
    experts, one group), since a card holding less than one expert per layer only adds
    all-to-all traffic."""
    group = scaleup_group_cards(chip)
    cap = max(model.experts or 1, group)
    sizes = [g for g in powers_of_two_up_to(group) if g >= 2]
    if fabric is not None:
        unit = system_cards(chip)
        sizes += [unit * k for k in powers_of_two_up_to(cap // unit) if k >= 2]
    return [g for g in sizes if g <= cap]


@dataclass(frozen=True)
class ExpertLinks:
    """Where an expert-parallel replica's all-to-all goes: the share of the bytes a card
    sends that go to other systems (over the fabric) and the link rates and per-call
    latency, B/s and s."""

    remote_share: float
    scaleup_bytes_per_s: float
    fabric_bytes_per_s: float
    call_latency_s: float


def expert_links(chip: ChipRow, fabric: FabricRow | None, replica_cards: int) -> ExpertLinks:
    """Links of a replica of `replica_cards` cards: inside one scale-up group every
    destination is on the scale-up link; across systems, of the g - 1 other cards a copy
    leaves for (uniform routing; `all_to_all_bytes_per_token` already leaves out the 1/g
    that stays), g - group are on other systems, so (g - group) / (g - 1) of the bytes
    sent cross the fabric, 2t - 1 switches for the t tiers the replica's nodes need."""
    group = scaleup_group_cards(chip)
    scaleup = scaleup_bytes_per_s(chip)
    if replica_cards <= group or fabric is None:
        return ExpertLinks(0.0, scaleup, scaleup, SCALEUP_CALL_LATENCY_S)
    return ExpertLinks(
        (replica_cards - group) / (replica_cards - 1),
        scaleup,
        all_to_all_fabric_bytes_per_s(chip, fabric, replica_cards),
        SCALEUP_CALL_LATENCY_S
        + switch_hops(chip, fabric, replica_cards) * fabric.latency_us * 1e-6,
    )


def expert_iteration(
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    precision: str,
    links: ExpertLinks,
    replica_cards: int,
    batch_per_card: float,
    chunk_per_card: float,
    context: float,
    prefill_tokens: float,
    routed_share: float = 1.0,
    spec: Speculation = NO_SPECULATION,
) -> DecodeStep:
    """One iteration of an expert-parallel replica, per card (every card alike), s.

    With n = b (1 + d) + C + d b / layers token-passes on the card (b decode requests
    with d draft tokens each, C prefill chunk, the draft passes: `Speculation`; n = b + C
    without speculation), g = replica cards,
    linear = linear_flops_per_s, E = moe_gemm_efficiency, imb = moe_load_imbalance:

      compute = n x 2 x dense active / linear + attention / attention rate
                + n x 2 x routed active x imb x share / (linear x E)   (each card runs
                1/g of the replica's routed work, the busiest rank imb times the mean;
                share = 1 when every card is as loaded, 1/g for one request alone)
      memory  = [min(dense, n x dense active) + min(routed / g, n x routed active)]
                x bytes + kv x (b x context + C)              / (memory B/s x efficiency)
      comm    = moe_layers x {(1 - ep_comm_overlap) x [max(n x a2a x (1 - r) / scale-up,
                n x a2a x r / fabric) + 2 x call latency] + moe_serve_overhead_ms x
                active_expert_share(g x n x share)}
                a2a = all_to_all_bytes_per_token(g), r = share of destinations on
                other systems (`expert_links`)

    and the iteration takes max(linear, weights) + max(attention, kv) + comm
    (`roofline_s`: compute above is linear + attention, memory weights + kv). Attention
    and dense weights
    are on every card (attention data-parallel), the routed experts split g ways.
    """
    linear_rate = linear_flops_per_s(chip, precision)
    if linear_rate is None:
        raise ValueError(f"{chip.chip_id} has no {precision} peak")
    g = replica_cards
    verify = spec.verify_tokens(batch_per_card)
    tokens = verify + chunk_per_card + spec.draft_tokens(batch_per_card, model.layers)
    per_head = model.layers * model.heads * model.head_dim
    attention = verify * 4.0 * per_head * context + chunk_per_card * 2.0 * per_head * prefill_tokens
    dense_active = dense_active_params(model)
    routed_active = routed_active_params(model)
    linear_s = tokens * 2.0 * dense_active / linear_rate + tokens * 2.0 * routed_active * (
        site.moe_load_imbalance * routed_share / (linear_rate * site.moe_gemm_efficiency)
    )
    weight_read = min(dense_params(model), (verify + chunk_per_card) * dense_active) + min(
        routed_params(model) / g, (verify + chunk_per_card) * routed_active
    )
    # Each draft pass re-reads one layer's weights (those its b tokens touch).
    weight_read += (
        spec.draft
        / model.layers
        * (
            min(dense_params(model), batch_per_card * dense_active)
            + min(routed_params(model) / g, batch_per_card * routed_active)
        )
    )
    bandwidth = chip.memory_bw_gbs * 1e9 * chip.mem_bw_efficiency
    kv_read = kv_bytes_per_token(model, precision) * (batch_per_card * context + chunk_per_card)
    sent = tokens * all_to_all_bytes_per_token(model, precision, g)
    per_layer = max(
        sent * (1.0 - links.remote_share) / links.scaleup_bytes_per_s,
        sent * links.remote_share / links.fabric_bytes_per_s,
    )
    # The replica's routed tokens: every card's, spread over the g cards' experts.
    routed_tokens = g * (verify + chunk_per_card) * routed_share
    fixed_s = (
        moe_layers(model)
        * site.moe_serve_overhead_ms
        * 1e-3
        * active_expert_share(model, routed_tokens)
    )
    comm_s = (
        moe_layers(model) * (1.0 - site.ep_comm_overlap) * (per_layer + 2.0 * links.call_latency_s)
        + fixed_s
    )
    return DecodeStep(
        linear_s,
        weight_read * BYTES_PER_VALUE[precision] / bandwidth,
        attention / attention_flops_per_s(chip),
        kv_read / bandwidth,
        comm_s,
        chunk_per_card,
        spec.accept,
        fixed_s,
    )


def _all_to_all_share(step: DecodeStep, model: ModelRow, site: SiteRow) -> str:
    """', 35.00 ms of it the MoE layers' exchange (6.80 ms the expert all-to-all, 28.20 ms
    the fixed time of 94 MoE layers at moe_serve_overhead_ms 0.3)' when the exchange
    outweighs compute and memory: the fixed time is not the fabric's, so it is named
    apart (a faster fabric shortens only the first part)."""
    if step.comm_s <= step.step_s - step.comm_s:
        return ""
    return (
        f", {step.comm_s * 1e3:,.2f} ms of it the MoE layers' exchange "
        f"({(step.comm_s - step.moe_fixed_s) * 1e3:,.2f} ms the expert all-to-all, "
        f"{step.moe_fixed_s * 1e3:,.2f} ms the fixed time of {moe_layers(model):,} MoE "
        f"layers at moe_serve_overhead_ms {site.moe_serve_overhead_ms:g} an active expert "
        "group)"
    )


def serve_expert_replica(
    workload: WorkloadRow,
    model: ModelRow,
    chip: ChipRow,
    site: SiteRow,
    replica_cards: int,
    fabric: FabricRow | None,
) -> InferenceResult:
    """Largest per-card batch and throughput of an expert-parallel replica of g cards.

    Every card holds the dense weights (attention data-parallel: each card serves its
    own requests' attention and KV cache) and 1/g of the routed experts (DeepSeek's
    decode deployment, SGLang's DP-attention + EP). Memory per card: dense x bytes +
    routed x bytes / g + b x kv x (i + o). Batching per card is the continuous
    batching of `serve_replica` (chunk C = b x i x a / o, TTFT = ceil(o / (a b))
    iterations, a = 1 without speculative decoding), and the replica makes
    g x b x a / iteration output tokens/s.
    """
    g = replica_cards
    precision = workload.precision
    i, o = request_tokens(workload)
    usable = usable_memory_bytes(chip, site.memory_headroom)
    bytes_per_value = BYTES_PER_VALUE[precision]
    weights_card = (dense_params(model) + routed_params(model) / g) * bytes_per_value
    kv_per_seq = kv_bytes_per_token(model, precision) * (i + o)
    memory_batch = math.floor((usable - weights_card) / kv_per_seq)
    links = expert_links(chip, fabric, g)
    fabric_id = fabric.fabric_id if fabric is not None and links.remote_share > 0 else None
    span = f"{plural(g, 'card')} (EP{g}{f' over {fabric_id}' if fabric_id else ''})"
    if memory_batch < 1:
        return InferenceResult(
            False,
            f"an expert-parallel replica of {span} cannot hold the dense weights plus 1/{g} "
            f"of the experts ({weights_card / 1e9:,.0f} GB a card) and one sequence's KV cache",
            replica_cards=g,
        )
    context = i + o / 2.0
    spec = speculation(workload)
    steps = spec.steps(o)  # decode iterations a request takes
    budget = site.serve_max_batched_tokens
    cap = min(memory_batch, budget_batch(budget, i, steps, spec))
    if cap < 1:
        return InferenceResult(
            False, _over_budget(budget, i / steps, " of a card"), replica_cards=g
        )

    def step_at(b: float, chunk: float, mean_chunk: float) -> DecodeStep:
        # The busiest card's attention and dense layers run its own chunk; the routed
        # experts run the mean card's tokens (every card's tokens spread over the g).
        tokens = spec.verify_tokens(b) + chunk
        share = (spec.verify_tokens(b) + mean_chunk) / tokens if tokens else 1.0
        return expert_iteration(
            model, chip, site, precision, links, g, b, chunk, context, i, share, spec
        )

    def step(b: float) -> DecodeStep:
        return step_at(b, b * i / steps, b * i / steps)

    def iteration(b: int) -> float:
        return step(float(b)).step_s

    # One request's prefill alone: its attention and dense layers on its card, its routed
    # experts spread over the g cards.
    alone = expert_iteration(model, chip, site, precision, links, g, 0.0, i, 0.0, i, 1.0 / g)
    if workload.max_ttft_ms is not None and alone.step_s * 1e3 > workload.max_ttft_ms:
        return InferenceResult(
            False,
            f"prefill of {i:,.0f} tokens takes {alone.step_s * 1e3:,.1f} ms on {span}"
            + _all_to_all_share(alone, model, site)
            + f", above max_ttft_ms {workload.max_ttft_ms:,g}",
            replica_cards=g,
        )
    tpot_s = math.inf if workload.max_tpot_ms is None else workload.max_tpot_ms / 1e3
    ttft_s = math.inf if workload.max_ttft_ms is None else workload.max_ttft_ms / 1e3
    top = largest_within(lambda b: step(float(b)).tpot_s, 1, cap, tpot_s)
    b_steady: int | None = None
    if top is not None:
        # Steady chunks: TTFT = ceil(steps / b) x iteration(b) rises with b from
        # b = ceil(steps) on (one iteration): bisect there; below, scan down from the
        # largest batch (as `serve_replica`).
        whole = max(1, math.ceil(steps - _CEIL_SLACK))
        b_steady = largest_within(iteration, whole, top, ttft_s)
        if b_steady is None:
            b_steady = next(
                (
                    b
                    for b in range(min(top, whole - 1), 0, -1)
                    if ttft_iterations(b, steps) * iteration(b) <= ttft_s
                ),
                None,
            )
    b_burst = largest_burst_batch(step_at, cap, i, steps, budget, spec, g, tpot_s, ttft_s)
    best = best_schedule(step_at, b_steady, b_burst, i, steps, budget, spec, g)
    if best is None and top is None:
        first = step(1.0)
        return InferenceResult(
            False,
            f"decode iteration at batch 1 a card takes {first.step_s * 1e3:,.2f} ms on {span}"
            + _all_to_all_share(first, model, site)
            + (
                f", {first.tpot_s * 1e3:,.2f} ms a token at {spec.accept:g} a step"
                if spec.draft
                else ""
            )
            + f", above max_tpot_ms {workload.max_tpot_ms:,g}",
            replica_cards=g,
        )
    if best is None:
        assert top is not None
        alone_burst = bursts(step_at, 1, i, steps, budget, spec, g)
        steady_s, steady_b = min(
            (ttft_iterations(b, steps) * iteration(b), b) for b in range(1, top + 1)
        )
        return InferenceResult(
            False,
            f"no per-card batch up to {top:,} meets max_ttft_ms {workload.max_ttft_ms:,g} "
            f"on {span}: the shortest chunked-prefill TTFT is {steady_s * 1e3:,.1f} ms at "
            f"batch {steady_b:,} a card, and prefilling a prompt as it arrives takes "
            f"{alone_burst.ttft_s * 1e3:,.1f} ms at batch 1 a card "
            f"{_burst_tpot(alone_burst.tpot_s, workload)}",
            replica_cards=g,
        )
    s = best.step
    return InferenceResult(
        feasible=True,
        reason="",
        replica_cards=g,
        batch=best.batch,
        tpot_ms=best.tpot_s * 1e3,
        ttft_ms=best.ttft_s * 1e3,
        decode_compute_s=s.compute_s,
        decode_memory_s=s.memory_s,
        decode_comm_s=s.comm_s,
        decode_step_s=s.step_s,
        prefill_s=alone.step_s,
        prefill_chunk_tokens=s.chunk_tokens,
        ttft_iterations=best.ttft_iterations,
        prefill_burst_tokens=best.burst_tokens,
        tokens_per_s=g * best.tokens_per_s,
        weights_gb=weights_card * g / 1e9,
        kv_cache_gb=g * best.batch * kv_per_seq / 1e9,
        free_gb_per_card=(usable - weights_card - best.batch * kv_per_seq) / 1e9,
        expert_parallel=g,
        fabric_id=fabric_id,
    )
