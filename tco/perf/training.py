"""Training throughput: parallel layout, step time, and the concave T(nodes) curve.

For a workload (model, global batch) on a chip and scale-out fabric, a layout
is tensor parallel tp (power of two within the scale-up group of one system),
pipeline parallel pp (power of two <= layers) and data parallel dp, with
tp x pp x dp <= cards (surplus cards idle); a MoE adds expert parallel ep (a
power of two <= experts, ep <= tp x dp: the experts of a stage are split over
ep of its tp x dp ranks), each fed microbatches of mbs sequences (a power of two <= 8,
dp x mbs <= B / seq_len). One optimizer step of B = global_batch_tokens tokens
takes

  step_s = compute_s + bubble_s + tp_comm_s + pp_comm_s + ep_comm_s + dp_exposed_s

  compute_s    = B x (6 x active_params / linear + 12 x layers x heads x head_dim x seq_len
                 / attention) / (tp x pp x dp); a MoE's routed experts run at
                 moe_gemm_efficiency x linear and, with expert parallelism, the busiest
                 rank's share (moe_load_imbalance); plus, for a MoE, a fixed
                 r x moe_layers / pp x m x (moe_train_overhead_ms + experts / ep x
                 moe_train_expert_overhead_us) that no tp or cp divides (the router,
                 permutation and the dispatcher's host sync, and the per-expert GEMM
                 launches of the rank's experts, launch the same kernels on every rank)
                 linear = peak(precision) x matrix efficiency
                 (bf16: train_mfu; fp8: fp8_matrix_efficiency, blank = train_mfu x 0.75)
                 / the shape factor of the per-card GEMMs (`tco.perf.gemm`: smaller
                 GEMMs than a 4,096-cube reference run slower),
                 attention = bf16 peak x train_mfu (FP8 quantises linear layers only)
  bubble_s     = (pp - 1) / (v x m) x compute_s, m = B / seq_len / (dp x mbs) microbatches
                 per replica, v virtual stages per device (interleaved 1F1B;
                 v a power of two with layers divisible by pp x v, chosen by the search)
  tp_comm_s    = (1 - tp_comm_overlap) x 6 all-reduces per layer and microbatch (forward,
                 recomputed forward, backward) of mbs x seq_len x hidden x 2 B:
                 calls x (2(tp-1)/tp x bytes / scale-up B/s + latency)
  pp_comm_s    = v x 2 x m x seq_len x hidden x 2 B / tp / link B/s  (activation forward,
                 gradient backward; scale-up link inside a node, fabric across nodes)
  ep_comm_s    = (1 - ep_comm_overlap) x dispatch and combine all-to-alls
                 (`expert_all_to_all_s`), over the scale-up link while an EP group's
                 tp x ep cards fit one scale-up group, else over the fabric
  dp_exposed_s = (1 - comm_overlap) x [2(dp-1)/dp x 2 B x shard params / link B/s
                 + 2(dp-1) x step latency] (ring all-reduce of 16-bit gradients over the
                 scale-up link, SCALEUP_STEP_LATENCY_S a step, while tp x pp x dp fits in one
                 scale-up group = min(scaleup_domain, system_cards), else over the fabric at
                 its per-card share, (2t - 1) x latency_us a step for the t tiers its nodes need)

and throughput is T = B / step_s tokens/s. Within a link regime (scale-up, or
the fabric at a tier count) step_s = a/dp + b x dp + c is convex in dp, so the
best dp of a layout is an end of the regime's range or next to sqrt(a/b);
more cards never lower T because surplus cards may idle, and T saturates once
dp reaches B / (seq_len x mbs).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tco.costs.clos import MAX_TIERS, tier_capacity
from tco.perf.gemm import ShapeFactors, shape_factors
from tco.perf.hardware import (
    ACTIVATION_BYTES,
    SCALEUP_CALL_LATENCY_S,
    SCALEUP_STEP_LATENCY_S,
    all_to_all_fabric_bytes_per_s,
    attention_flops_per_s,
    fabric_bytes_per_s_per_card,
    linear_flops_per_s,
    nics_per_node,
    scaleup_bytes_per_s,
    scaleup_group_cards,
    switch_hops,
    usable_memory_bytes,
)
from tco.perf.memory import (
    TRAIN_GRAD_BYTES_PER_PARAM,
    busiest_stage_share,
    min_data_for_memory,
    powers_of_two_up_to,
    trained_shard_params,
    training_memory,
)
from tco.perf.moe import (
    all_to_all_bytes_per_token,
    dense_active_params,
    is_moe,
    moe_layers,
    routed_active_params,
)
from tco.schema.inputs import required_for_kind
from tco.schema.rows import ChipRow, FabricRow, ModelRow, SiteRow, WorkloadRow
from tco.text import plural

#: Geometrically spaced target breakpoints of the cuts (more may be added
#: where T(n) has steps, so the cuts stay below it).
CUT_BREAKPOINTS = 12

#: Activation recomputation a layout may use: "full" keeps only each layer's input and
#: recomputes the layer in the backward pass; "selective" keeps the layer's activations
#: but the attention core (Korthikanti et al. 2022, "Reducing Activation Recomputation in
#: Large Transformer Models"). Memory per mode: `tco.perf.memory.ACTIVATION_BYTES_PER_HIDDEN`.
RECOMPUTE_MODES = ("selective", "full")

#: Training FLOPs relative to forward + backward (6 x params a token): full recomputation
#: runs the forward pass again, 8 / 6; selective recomputes only the attention core,
#: which FlashAttention's backward recomputes in any case.
RECOMPUTE_FLOPS = {"full": 8.0 / 6.0, "selective": 1.0}

#: Tensor-parallel all-reduces per layer and microbatch: 2 in the forward pass and 2 in
#: the backward pass, and 2 more in the recomputed forward pass under full recomputation
#: (Korthikanti et al. 2022, Sec. 4: recomputation repeats the forward all-reduces).
TP_CALLS_PER_LAYER = {"full": 6.0, "selective": 4.0}

#: Relative slack for float comparisons of throughputs.
_REL_TOL = 1e-9


def training_target_tokens_per_s(workload: WorkloadRow) -> float:
    """Training throughput target, tokens/s: target_tokens_per_s, else
    train_tokens_b x 1e9 / (deadline_days x 86400)."""
    if workload.target_tokens_per_s is not None:
        return workload.target_tokens_per_s
    train_tokens_b = required_for_kind(workload.train_tokens_b, "train_tokens_b")
    deadline_days = required_for_kind(workload.deadline_days, "deadline_days")
    return train_tokens_b * 1e9 / (deadline_days * 86400.0)


def flops_per_token(model: ModelRow, seq_len: int) -> float:
    """Training FLOPs per token: 6 x active params + 12 x layers x heads x head_dim x seq_len."""
    return linear_flops_per_token(model) + attention_flops_per_token(model, seq_len)


def linear_flops_per_token(model: ModelRow) -> float:
    """Training FLOPs per token of the linear layers (weight GEMMs): 6 x active params."""
    return 6.0 * model.active_params_b * 1e9


def attention_flops_per_token(model: ModelRow, seq_len: int) -> float:
    """Training FLOPs per token of attention scores and values, 12 x layers x heads x head_dim
    x seq_len: Q K^T and (softmax) V are 2 x seq_len x heads x head_dim multiply-adds each
    per layer, x 3 for forward and backward. heads x head_dim is the hidden size of most
    dense models, but not of Qwen3 MoE (2 x hidden), gpt-oss or DeepSeek's MLA."""
    return 12.0 * model.layers * model.heads * model.head_dim * seq_len


def virtual_stages(layers: int, pipeline: int) -> list[int]:
    """Interleaved 1F1B virtual stages per device: powers of two v with layers divisible by
    pipeline x v (v = 1, the plain 1F1B schedule, always; only v = 1 without pipelining)."""
    if pipeline == 1:
        return [1]
    return [v for v in powers_of_two_up_to(layers) if v == 1 or layers % (pipeline * v) == 0]


#: Largest microbatch, sequences. Published large runs use 1-4 (Megatron-Bridge: MBS1 for
#: Llama 3 405B, MBS2 for Qwen3-30B-A3B, MBS4 for gpt-oss-120b); activations grow with it.
MAX_MICRO_BATCH = 8


def micro_batches(max_data: int) -> list[int]:
    """Microbatch sizes the layout search may use: powers of two up to MAX_MICRO_BATCH and
    the sequences in the global batch. A larger microbatch feeds every GEMM more tokens
    (`tco.perf.gemm`) and pays fewer per-call latencies, but leaves fewer microbatches to
    fill the pipeline (bubble (pp - 1) / (v m), m = sequences / (dp x mbs)) and keeps
    mbs x the activations of one sequence."""
    return powers_of_two_up_to(min(MAX_MICRO_BATCH, max(1, max_data)))


@dataclass(frozen=True)
class TrainingStep:
    """Training at a given card count: the best layout and its step-time breakdown (s)."""

    feasible: bool
    reason: str
    cards: int
    cards_used: int = 0
    tensor: int = 0
    pipeline: int = 0
    data: int = 0
    virtual: int = 1
    tokens_per_s: float = 0.0
    step_time_s: float = 0.0
    compute_s: float = 0.0
    bubble_s: float = 0.0
    tp_comm_s: float = 0.0
    pp_comm_s: float = 0.0
    dp_comm_exposed_s: float = 0.0
    memory_gb_per_card: float = 0.0
    usable_gb_per_card: float = 0.0
    expert: int = 1
    ep_comm_s: float = 0.0
    context: int = 1
    cp_comm_s: float = 0.0
    recompute: str = "full"
    micro_batch: int = 1

    @property
    def comm_s(self) -> float:
        """Exposed communication per step: tensor, pipeline, expert, context and data
        parallel, s."""
        return (
            self.tp_comm_s
            + self.pp_comm_s
            + self.ep_comm_s
            + self.cp_comm_s
            + self.dp_comm_exposed_s
        )

    @property
    def layout(self) -> str:
        """'TP8 CP2 PP8 VP4 DP16 EP8 MBS2, selective recompute' (1-way dimensions and
        MBS1 left out)."""
        parts = [f"TP{self.tensor}"]
        parts += [f"CP{self.context}"] if self.context > 1 else []
        parts += [f"PP{self.pipeline}"] + ([f"VP{self.virtual}"] if self.virtual > 1 else [])
        parts += [f"DP{self.data}"] + ([f"EP{self.expert}"] if self.expert > 1 else [])
        parts += [f"MBS{self.micro_batch}"] if self.micro_batch > 1 else []
        return " ".join(parts) + f", {self.recompute} recompute"

    @property
    def tokens_per_s_per_card(self) -> float:
        return self.tokens_per_s / self.cards if self.cards else 0.0


class _Layout(NamedTuple):
    """Per-layout quantities that do not depend on dp (seconds are for dp = 1).

    A named tuple: a layout search builds hundreds of these per curve (a frozen
    dataclass took several times as long to construct)."""

    tensor: int
    pipeline: int
    virtual: int  # interleaved 1F1B virtual stages per device (1 = plain 1F1B)
    min_data: int
    max_data: int  # largest dp: sequences in the batch / micro_batch
    micro_batch: int  # sequences per microbatch
    work_s: float  # compute_s at dp = 1
    bubble_s: float
    tp_comm_s: float  # at dp = 1
    pp_comm_s: float  # at dp = 1
    grad_bytes: float  # gradient bytes per card to all-reduce
    expert: int = 1  # expert-parallel ranks (MoE; 1 = every card holds every expert)
    ep_comm_s: float = 0.0  # exposed all-to-all at dp = 1
    context: int = 1  # context-parallel ranks splitting each sequence
    cp_comm_s: float = 0.0  # exposed K/V ring exchange at dp = 1
    recompute: str = "full"  # activation recomputation: "full" or "selective"

    @property
    def replica_cards(self) -> int:
        return self.tensor * self.context * self.pipeline


@dataclass(frozen=True)
class NodesForTarget:
    """Smallest node count whose true throughput meets a target, or why none does."""

    feasible: bool
    reason: str
    nodes: int | None
    tokens_per_s: float


@dataclass(frozen=True)
class TrainingCurve:
    """T(nodes) for one (workload, chip, fabric): exact evaluation and MILP cuts.

    cards = nodes x cards_per_node. Below `min_nodes` no layout fits in memory
    and T = 0; the optimizer must enforce nodes >= min_nodes x use itself.
    """

    feasible: bool
    reason: str
    cards_per_node: int
    min_nodes: int
    saturation_nodes: int
    global_batch_tokens: float
    max_data: int
    scaleup_group: int  # cards sharing the scale-up link inside one system
    scaleup_link_bytes_per_s: float  # scale-up B/s per card
    fabric_link_bytes_per_s: float  # scale-out B/s per card
    comm_overlap: float
    usable_gb_per_card: float
    layouts: tuple[_Layout, ...]
    seq_len: int
    model: ModelRow
    fabric_latency_s: float = 0.0  # one switch hop (Fabrics.latency_us)
    nics_per_node: int = 1
    tier_endpoints: tuple[float, ...] = ()  # endpoints a 1-, 2-, ... tier fabric connects

    def step_at_cards(self, cards: int) -> TrainingStep:
        """Best layout on `cards` cards (surplus cards idle) and its breakdown."""
        if not self.feasible:
            return TrainingStep(False, self.reason, cards)
        tokens, index, data = self._best(np.array([cards], dtype=np.int64))
        if tokens[0] <= 0.0:
            need = self.min_nodes * self.cards_per_node
            return TrainingStep(
                False,
                f"model state does not fit in memory on {plural(cards, 'card')}; "
                f"needs at least {plural(need, 'card')} ({plural(self.min_nodes, 'node')})",
                cards,
            )
        return self._step(self.layouts[int(index[0])], int(data[0]), cards)

    def step(self, nodes: int) -> TrainingStep:
        return self.step_at_cards(nodes * self.cards_per_node)

    def tokens_per_s(self, nodes: int) -> float:
        """True throughput T(nodes), tokens/s (0 below min_nodes), the best layout's as
        `step` gives it, without building the step's breakdown; memoised per node
        count (the optimizer's cuts and a fleet's yearly sizes ask for the same ones)."""
        memo = self._tokens_memo
        if nodes not in memo:
            memo[nodes] = (
                float(self._best(np.array([nodes * self.cards_per_node], dtype=np.int64))[0][0])
                if self.feasible
                else 0.0
            )
        return memo[nodes]

    @functools.cached_property
    def _tokens_memo(self) -> dict[int, float]:
        return {}

    def tokens_per_s_range(self, first_nodes: int, last_nodes: int) -> np.ndarray:
        """T(n) for n = first_nodes .. last_nodes inclusive, tokens/s."""
        nodes = np.arange(first_nodes, last_nodes + 1, dtype=np.int64)
        return self._best(nodes * self.cards_per_node)[0]

    @functools.cached_property
    def _layout_table(self) -> dict[str, np.ndarray]:
        """Layout parameters as (layouts, 1) columns, for evaluation broadcast over cards."""
        fields = (
            "replica_cards",
            "min_data",
            "max_data",
            "work_s",
            "bubble_s",
            "tp_comm_s",
            "pp_comm_s",
            "ep_comm_s",
            "cp_comm_s",
            "grad_bytes",
        )
        return {
            name: np.array([getattr(lay, name) for lay in self.layouts])[:, None] for name in fields
        }

    def _best(self, cards: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best (tokens/s, layout index, dp) per card count; tokens 0 where nothing fits.

        Evaluated in chunks of card counts so the candidate array stays small.
        """
        chunk = max(1, 2_000_000 // max(1, 12 * len(self.layouts)))
        if cards.size <= chunk:
            return self._best_chunk(cards)
        parts = [self._best_chunk(cards[i : i + chunk]) for i in range(0, cards.size, chunk)]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]

    @functools.cached_property
    def _regimes(self) -> list[dict[str, np.ndarray | float]]:
        """Per DP link regime: first and last dp (layouts, 1), link B/s, step latency s and
        the best integer dp next to the regime's unconstrained optimum sqrt(a/b).

        Inside the scale-up group: the scale-up link, SCALEUP_STEP_LATENCY_S per ring
        step; beyond it, one regime per fabric tier count t, each step crossing 2t - 1
        switches of `fabric_latency_s` (more than MAX_TIERS tiers priced as MAX_TIERS).
        Within a regime step(dp) = a/dp + b dp + c is convex, so the best dp on any
        sub-range [lo, hi] is clip(that integer, lo, hi); none of this depends on cards.
        """
        t = self._layout_table
        replica = t["replica_cards"]
        in_group = self.scaleup_group // replica
        spans = [
            (np.ones_like(replica), in_group, self.scaleup_link_bytes_per_s, SCALEUP_STEP_LATENCY_S)
        ]
        first = in_group + 1
        for tiers, endpoints in enumerate(self.tier_endpoints, start=1):
            if tiers == len(self.tier_endpoints):
                last = t["max_data"]
            else:
                last = int(endpoints // self.nics_per_node) * self.cards_per_node // replica
            hop_s = (2 * tiers - 1) * self.fabric_latency_s
            spans.append((first, last, self.fabric_link_bytes_per_s, hop_s))
            first = np.maximum(first, last + 1)
        hidden = 1.0 - self.comm_overlap
        spread = t["work_s"] + t["tp_comm_s"] + t["pp_comm_s"] + t["ep_comm_s"] + t["cp_comm_s"]
        regimes: list[dict[str, np.ndarray | float]] = []
        for lo, hi, link, latency in spans:
            lo = np.maximum(lo, t["min_data"])
            hi = np.minimum(hi, t["max_data"])
            a = np.maximum(spread - hidden * 2.0 * t["grad_bytes"] / link, 0.0)
            b = hidden * 2.0 * latency
            star = np.sqrt(a / b) if b > 0.0 else np.full(a.shape, np.inf)
            inside = np.clip(star, lo, np.maximum(hi, lo))
            down, up = np.floor(inside), np.ceil(inside)
            pick = np.where(
                self._regime_step_s(down, link, latency) <= self._regime_step_s(up, link, latency),
                down,
                up,
            )
            if np.any(lo <= hi):  # a regime no layout reaches adds no candidate
                at_lo = self.global_batch_tokens / self._regime_step_s(lo, link, latency)
                regimes.append(
                    {
                        "lo": lo,
                        "hi": hi,
                        "star": pick,
                        "link": link,
                        "latency": latency,
                        "at_lo": at_lo,
                    }
                )
        return regimes

    @functools.cached_property
    def _regime_stack(self) -> dict[str, np.ndarray]:
        """`_regimes` stacked over regimes: lo, hi, star, at_lo (R, L, 1); link, latency
        (R, 1, 1), for `_best_chunk` to evaluate every regime at once."""
        regimes = self._regimes
        shape = self._layout_table["replica_cards"].shape
        out = {
            key: np.stack([np.broadcast_to(r[key], shape) for r in regimes])
            for key in ("lo", "hi", "star", "at_lo")
        }
        for key in ("link", "latency"):
            out[key] = np.array([float(r[key]) for r in regimes])[:, None, None]
        return out

    def _regime_step_s(self, data: np.ndarray, link: float, latency: float) -> np.ndarray:
        """Step time, s, at `data` (layouts x any) known to lie in a regime of `link`/`latency`."""
        t = self._layout_table
        hidden = 1.0 - self.comm_overlap
        data = np.maximum(data, 1)
        spread = t["work_s"] + t["tp_comm_s"] + t["pp_comm_s"] + t["ep_comm_s"] + t["cp_comm_s"]
        ring = 2.0 * (data - 1) / data * t["grad_bytes"] / link + 2.0 * (data - 1) * latency
        result: np.ndarray = spread / data + t["bubble_s"] + hidden * ring
        return result

    def _best_chunk(self, cards: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best (tokens/s, layout index, dp) per card count for one chunk.

        For each layout and link regime the feasible dp range is [lo, min(hi, top)]
        (top = what the cards allow); the step is convex there, so its best dp is one
        of lo, min(hi, top) and the clipped best integer near sqrt(a/b) (`_regimes`).
        Every candidate lies in its regime, so its cost uses the regime's constants.
        """
        if not self.layouts:
            zeros = np.zeros(cards.shape)
            return zeros, zeros.astype(np.int64), zeros.astype(np.int64)
        t = self._layout_table
        g = self._regime_stack
        replica = t["replica_cards"]
        top = np.minimum(cards[None, :] // replica, t["max_data"])  # (L, N)
        end = np.minimum(g["hi"], top[None])  # (R, L, N)
        reach = g["lo"] <= end
        # Per regime two candidates, the end of its range and the clipped best integer, in
        # the order regime 0 end, regime 0 best, regime 1 end, ...: (2R, L, N).
        candidates = np.stack([end, np.clip(g["star"], g["lo"], end)], axis=1)
        stacked = np.maximum(candidates.reshape(-1, *top.shape), 1)
        link = np.repeat(g["link"], 2, axis=0)
        latency = np.repeat(g["latency"], 2, axis=0)
        spread = t["work_s"] + t["tp_comm_s"] + t["pp_comm_s"] + t["ep_comm_s"] + t["cp_comm_s"]
        ring = (
            2.0 * (stacked - 1) / stacked * t["grad_bytes"] / link + 2.0 * (stacked - 1) * latency
        )
        step_s = spread / stacked + t["bubble_s"] + (1.0 - self.comm_overlap) * ring
        tokens = np.where(np.repeat(reach, 2, axis=0), self.global_batch_tokens / step_s, 0.0)
        # dp = lo does not depend on the card count: its tokens/s were computed once.
        tokens = np.concatenate([tokens, np.where(reach, g["at_lo"], 0.0)])
        lo_data = np.maximum(np.broadcast_to(g["lo"], end.shape), 1)
        stacked = np.concatenate([stacked, lo_data])
        flat = tokens.reshape(-1, tokens.shape[-1])  # (K x L, N)
        pick = np.argmax(flat, axis=0)
        columns = np.arange(flat.shape[1])
        best = flat[pick, columns]
        layout_index = pick % len(self.layouts)
        best_data = stacked.reshape(-1, stacked.shape[-1])[pick, columns]
        return best, layout_index.astype(np.int64), best_data.astype(np.int64)

    def _dp_comm_s(
        self, replica_cards: int | np.ndarray, grad_bytes: float | np.ndarray, data: np.ndarray
    ) -> np.ndarray:
        """Exposed data-parallel all-reduce time per step, s (broadcasts over arrays).

        = (1 - comm_overlap) x [2 (dp - 1) / dp x gradient bytes / link B/s
        + 2 (dp - 1) x latency per ring step], over the scale-up link (SCALEUP_STEP_LATENCY_S
        per step) while replica x dp fits the scale-up group, else the fabric
        ((2t - 1) switch hops x latency_us per step, t the tiers the cards used need).
        """
        replica = np.asarray(replica_cards)
        cards = replica * data
        in_group = cards <= self.scaleup_group
        link = np.where(in_group, self.scaleup_link_bytes_per_s, self.fabric_link_bytes_per_s)
        endpoints = -(-cards // self.cards_per_node) * self.nics_per_node
        tiers = np.ones(np.shape(cards))
        for capacity in self.tier_endpoints[:-1]:
            tiers = tiers + (endpoints > capacity + 1e-9)
        step_latency = np.where(
            in_group, SCALEUP_STEP_LATENCY_S, (2.0 * tiers - 1.0) * self.fabric_latency_s
        )
        # numpy types array / array as Any; the declaration keeps the result an array.
        total: np.ndarray = (
            2.0 * (data - 1) / data * grad_bytes / link + 2.0 * (data - 1) * step_latency
        )
        return (1.0 - self.comm_overlap) * total

    def _step(self, layout: _Layout, dp: int, cards: int) -> TrainingStep:
        compute_s = layout.work_s / dp
        tp_s = layout.tp_comm_s / dp
        pp_s = layout.pp_comm_s / dp
        ep_s = layout.ep_comm_s / dp
        cp_s = layout.cp_comm_s / dp
        dp_s = float(self._dp_comm_s(layout.replica_cards, layout.grad_bytes, np.array([dp]))[0])
        step_s = compute_s + layout.bubble_s + tp_s + pp_s + ep_s + cp_s + dp_s
        memory = training_memory(
            self.model,
            self.seq_len,
            layout.tensor,
            layout.pipeline,
            dp,
            layout.expert,
            layout.context,
            layout.recompute,
            layout.micro_batch,
        )
        return TrainingStep(
            feasible=True,
            reason="",
            cards=cards,
            cards_used=layout.replica_cards * dp,
            tensor=layout.tensor,
            pipeline=layout.pipeline,
            data=dp,
            virtual=layout.virtual,
            tokens_per_s=self.global_batch_tokens / step_s,
            step_time_s=step_s,
            compute_s=compute_s,
            bubble_s=layout.bubble_s,
            tp_comm_s=tp_s,
            pp_comm_s=pp_s,
            dp_comm_exposed_s=dp_s,
            memory_gb_per_card=memory.total_gb,
            usable_gb_per_card=self.usable_gb_per_card,
            expert=layout.expert,
            ep_comm_s=ep_s,
            context=layout.context,
            cp_comm_s=cp_s,
            recompute=layout.recompute,
            micro_batch=layout.micro_batch,
        )

    def nodes_for(self, target_tokens_per_s: float) -> NodesForTarget:
        """Smallest n >= min_nodes with T(n) >= target.

        T is nondecreasing, so the bracket [lo, hi] is narrowed with up to 16
        vectorised probes per round (four rounds for 65k nodes) rather than one
        scalar evaluation per bisection step. An evaluation costs per probe and
        layout, so 16 probes over more rounds measured faster than 64 over fewer
        (options of the 60-chip share instance: 5.3 s against 7.5 s).
        """
        if not self.feasible:
            return NodesForTarget(False, self.reason, None, 0.0)
        top = self.tokens_per_s(self.saturation_nodes)
        if top < target_tokens_per_s:
            return NodesForTarget(
                False,
                f"throughput saturates at {top:,.0f} tokens/s (from "
                f"{plural(self.saturation_nodes, 'node')}; the global batch of "
                f"{self.global_batch_tokens:,.0f} tokens limits data parallelism), below the "
                f"target {target_tokens_per_s:,.0f} tokens/s",
                None,
                top,
            )
        lo, hi = self.min_nodes, self.saturation_nodes  # T(hi) >= target
        while lo < hi:
            probes = np.unique(np.linspace(lo, hi, num=min(16, hi - lo + 1)).astype(np.int64))
            values = self._best(probes * self.cards_per_node)[0]
            meets = probes[values >= target_tokens_per_s]
            first = int(meets[0])
            below = probes[probes < first]
            lo, hi = (int(below[-1]) + 1 if below.size else lo), first
            if below.size == 0 or hi - lo <= 0:
                break
        return NodesForTarget(True, "", hi, self.tokens_per_s(hi))

    def breakpoints(self, max_nodes: int) -> list[int]:
        """Node counts where the cuts are exact (see `cuts`)."""
        return [n for n, _ in self._chord_walk(max_nodes)]

    def cuts(self, max_nodes: int) -> list[tuple[float, float]]:
        """Lines (a_i tokens/s per node, b_i tokens/s) with min_i(a_i n + b_i) <= T(n).

        The lines are chords of T between breakpoints chosen near a geometric
        grid on [min_nodes, max_nodes]; each chord starts at a breakpoint and
        ends at the point of smallest slope seen so far, so it lies below T at
        every integer in between, and slopes never increase (concave). A last
        horizontal line at T(last breakpoint) covers larger n, valid because T
        is nondecreasing. Exact at every breakpoint. Empty when infeasible.
        """
        points = self._chord_walk(max_nodes)
        lines: list[tuple[float, float]] = []
        for (n0, t0), (n1, t1) in itertools.pairwise(points):
            slope = (t1 - t0) / (n1 - n0)
            lines.append((slope, t0 - slope * n0))
        if points:
            lines.append((0.0, points[-1][1]))
        return lines

    def _chord_walk(self, max_nodes: int) -> list[tuple[int, float]]:
        if not self.feasible or max_nodes < self.min_nodes:
            return []
        lo = self.min_nodes
        hi = min(max_nodes, self.saturation_nodes)
        values = self.tokens_per_s_range(lo, hi)
        ratio = (hi / lo) ** (1.0 / (CUT_BREAKPOINTS - 1))
        targets = sorted({min(hi, round(lo * ratio**k)) for k in range(1, CUT_BREAKPOINTS)})
        points = [(lo, float(values[0]))]
        prev_slope = math.inf
        while points[-1][0] < hi:
            p, t_p = points[-1]
            target = next((t for t in targets if t > p), hi)
            ahead = np.arange(p + 1, hi + 1)
            slopes = (values[ahead - lo] - t_p) / (ahead - p)
            # A chord p -> n lies below T on (p, n] iff its slope is the smallest so far.
            valid = (slopes <= np.minimum.accumulate(slopes)) & (slopes <= prev_slope)
            candidates = ahead[valid]
            if candidates.size == 0:  # T rises faster than the last chord: it stays below
                break
            reach = candidates[candidates >= target]
            n = int(reach[0] if reach.size else candidates[-1])
            points.append((n, float(values[n - lo])))
            prev_slope = float(slopes[n - p - 1])
        return points


def undominated(layouts: list[_Layout]) -> list[_Layout]:
    """The layouts no other layout of the same replica size beats at every dp.

    At dp data-parallel replicas a layout's step is spread / dp + bubble + the DP
    all-reduce, and that all-reduce depends only on the replica size, the gradient
    bytes and dp (`TrainingCurve._dp_comm_s`). So a layout with the same replica cards,
    no larger min_data, no smaller max_data, spread (compute + TP + PP + EP + CP at
    dp = 1), bubble and gradient bytes is at least as fast at every dp it can use (and
    reaches every dp the other reaches): the other one is dropped
    (exact; of equal layouts the first is kept). Full recomputation next to selective,
    or an extra virtual stage, usually survive: each wins on one term.
    """
    if len(layouts) < 2:
        return layouts
    terms = np.array(
        [
            (
                lay.replica_cards,
                lay.min_data,
                1.0 / lay.max_data,  # positive, lower is better, as the other terms
                lay.work_s + lay.tp_comm_s + lay.pp_comm_s + lay.ep_comm_s + lay.cp_comm_s,
                lay.bubble_s,
                lay.grad_bytes,
            )
            for lay in layouts
        ]
    )
    dropped = np.zeros(len(layouts), dtype=bool)
    for replica in np.unique(terms[:, 0]):
        index = np.flatnonzero(terms[:, 0] == replica)  # ascending: list order kept
        group = terms[index, 1:]
        no_worse = np.all(group[:, None, :] <= group[None, :, :] * (1 + _REL_TOL), axis=2)
        better = np.any(group[:, None, :] < group[None, :, :] * (1 - _REL_TOL), axis=2)
        # j is dominated by i: i no worse everywhere and better somewhere, or equal and
        # earlier.
        order = np.arange(len(index))
        dominates = no_worse & (better | (order[:, None] < order[None, :]))
        np.fill_diagonal(dominates, False)
        dropped[index] = dominates.any(axis=0)
    return [lay for lay, gone in zip(layouts, dropped, strict=True) if not gone]


def recompute_modes(workload: WorkloadRow) -> tuple[str, ...]:
    """Recomputation modes the layout search may use: the workload's, or both when 'auto'."""
    return RECOMPUTE_MODES if workload.recompute == "auto" else (workload.recompute,)


def expert_degrees(model: ModelRow) -> list[int]:
    """Expert-parallel degrees a layout may use: 1 for a dense model; for a MoE the powers
    of two up to the routed experts (the ep ranks come from the tensor x data-parallel
    ranks of a pipeline stage, expert tensor parallel 1, so ep <= tp x dp)."""
    if not is_moe(model):
        return [1]
    return powers_of_two_up_to(model.experts or 1)


#: Shortest sequence chunk a context-parallel rank is given, tokens. Below a few thousand
#: tokens per rank the attention blocks are too small to hide the K/V ring behind, and
#: published runs use context parallelism only for long sequences (Llama 3 405B: CP16 at
#: 131,072 tokens, none at 8,192; Grattafiori et al. 2024, Sec. 3.3.2).
MIN_CONTEXT_CHUNK_TOKENS = 4096


def context_degrees(seq_len: int) -> list[int]:
    """Context-parallel degrees: powers of two cp with seq_len / cp >= 4,096 tokens (1 always)."""
    return powers_of_two_up_to(max(1, seq_len // MIN_CONTEXT_CHUNK_TOKENS))


def context_ring_s(
    model: ModelRow,
    seq_len: int,
    tensor: int,
    context: int,
    pipeline: int,
    sequences: float,
    recompute: str,
    attention_s_per_token: float,
    link_bytes_per_s: float,
    call_latency_s: float,
    micro_batch: int = 1,
) -> float:
    """Exposed K/V ring exchange of context parallelism in one step at dp = 1, s.

    Each of the cp ranks holds seq_len / cp tokens of a sequence; attention needs the
    K and V of the other chunks, passed around a ring in cp - 1 steps while the rank
    computes attention on the chunk it has (Megatron context parallel). Per layer and
    microbatch a card receives (cp - 1) / cp x seq_len x kv_heads x head_dim x 2 (K, V)
    x 2 B / tp, in each forward pass (2 with full recomputation) and twice in the
    backward (K/V again, then their gradients). The ring hides behind that layer's
    attention compute, so only the excess is exposed:

      exposed = max(0, ring bytes / link + steps x latency - attention_s) per layer,

    for each of the sequences / micro_batch microbatches of micro_batch sequences (bytes
    and attention both scale with micro_batch; the ring's step latencies do not).
    """
    if context <= 1:
        return 0.0
    passes = 4.0 if recompute == "full" else 3.0  # forward passes + 2 for the backward
    kv_bytes = (
        micro_batch
        * (context - 1)
        / context
        * seq_len
        * model.kv_heads
        * model.head_dim
        * 2
        * ACTIVATION_BYTES
    ) / tensor
    ring_s = passes * (kv_bytes / link_bytes_per_s + (context - 1) * call_latency_s)
    # Attention seconds of one layer and sequence on one card, all passes.
    attention_s = (
        RECOMPUTE_FLOPS[recompute]
        * attention_s_per_token
        * micro_batch
        * seq_len
        / (model.layers * tensor * context)
    )
    return model.layers / pipeline * sequences / micro_batch * max(0.0, ring_s - attention_s)


def expert_all_to_all_s(
    model: ModelRow,
    precision: str,
    tensor: int,
    pipeline: int,
    expert: int,
    batch_tokens: float,
    sequences: float,
    link_bytes_per_s: float,
    call_latency_s: float,
    recompute: str = "full",
) -> float:
    """Expert-parallel all-to-all time of one step at dp = 1 (it scales as 1 / dp), s.

    Each card holds B / (dp x tp) tokens of a MoE layer (sequence parallel splits them
    over tp; the caller divides B by cp) and sends `all_to_all_bytes_per_token` for
    each, in P passes (forward and backward, whose dispatch/combine are the transposes,
    plus the recomputed forward under full recomputation: P = 3, else 2), for its
    moe_layers / pp MoE layers:

      bytes = P x moe_layers / pp x B / tp x a2a bytes per token
      time  = bytes / link B/s + P x 2 x moe_layers / pp x microbatches x latency

    over the scale-up link while the tp x ep cards an EP group spans fit one scale-up
    group, else over the fabric at its per-card share (the caller's link and latency).
    """
    if expert <= 1:
        return 0.0
    layers = moe_layers(model) / pipeline
    per_token = all_to_all_bytes_per_token(model, precision, expert)
    passes = 3.0 if recompute == "full" else 2.0
    bytes_per_card = passes * layers * batch_tokens / tensor * per_token
    calls = passes * 2.0 * layers * sequences
    return bytes_per_card / link_bytes_per_s + calls * call_latency_s


def training_curve(
    workload: WorkloadRow, model: ModelRow, chip: ChipRow, fabric: FabricRow, site: SiteRow
) -> TrainingCurve:
    """Build T(nodes) for a training workload on (chip, fabric); infeasible with a reason."""
    seq_len = workload.seq_len
    batch_tokens = required_for_kind(workload.global_batch_tokens, "global_batch_tokens")
    sequences = max(1.0, batch_tokens / seq_len)
    max_data = int(sequences)
    usable = usable_memory_bytes(chip, site.memory_headroom)
    scaleup = scaleup_bytes_per_s(chip)
    fabric_bw = fabric_bytes_per_s_per_card(chip, fabric)
    group = scaleup_group_cards(chip)
    tier_endpoints = tuple(
        tier_capacity(t, fabric.switch_radix, fabric.oversubscription)
        for t in range(1, MAX_TIERS + 1)
    )

    def infeasible(reason: str) -> TrainingCurve:
        return TrainingCurve(
            False,
            reason,
            chip.cards_per_node,
            0,
            0,
            batch_tokens,
            max_data,
            group,
            scaleup,
            fabric_bw,
            site.comm_overlap,
            usable / 1e9,
            (),
            seq_len,
            model,
            fabric_latency_s=fabric.latency_us * 1e-6,
            nics_per_node=nics_per_node(chip),
            tier_endpoints=tier_endpoints,
        )

    if workload.precision == "int8":
        return infeasible(
            "INT8 training is not an option: mixed-precision training needs bf16 or fp8 matrix math"
        )
    linear_rate = linear_flops_per_s(chip, workload.precision)
    if linear_rate is None:
        return infeasible(
            f"chip {chip.chip_id} has no {workload.precision} peak "
            f"(fp8_tflops blank), so it cannot train in {workload.precision}"
        )
    # Card seconds per token: linear layers at the workload precision, attention at bf16;
    # a MoE's routed experts at the grouped-GEMM efficiency (expert_s).
    attention_s_per_token = attention_flops_per_token(model, seq_len) / attention_flops_per_s(chip)
    dense_linear_s = 6.0 * dense_active_params(model) / linear_rate
    expert_s = 6.0 * routed_active_params(model) / (linear_rate * site.moe_gemm_efficiency)
    tp_exposed = 1.0 - site.tp_comm_overlap
    moe_layer_s = site.moe_train_overhead_ms * 1e-3
    moe_expert_s = site.moe_train_expert_overhead_us * 1e-6
    fabric_s = fabric.latency_us * 1e-6

    def link(cards: int, all_to_all: bool = False) -> tuple[float, float]:
        """(B/s per card, call latency s) of a group of `cards` consecutive cards; an
        all-to-all over the fabric shares oversubscribed leaf uplinks
        (`all_to_all_fabric_bytes_per_s`), a ring or pipeline send does not."""
        if cards <= group:
            return scaleup, SCALEUP_CALL_LATENCY_S
        rate = all_to_all_fabric_bytes_per_s(chip, fabric, cards) if all_to_all else fabric_bw
        return rate, SCALEUP_CALL_LATENCY_S + switch_hops(chip, fabric, cards) * fabric_s

    layouts = []
    shapes: dict[tuple[float, int, int], ShapeFactors] = {}
    pipelines = powers_of_two_up_to(model.layers)
    stages = {pp: virtual_stages(model.layers, pp) for pp in pipelines}
    modes = recompute_modes(workload)
    for tp, cp, pp, ep, recompute in itertools.product(
        powers_of_two_up_to(min(group, model.heads)),
        context_degrees(seq_len),
        pipelines,
        expert_degrees(model),
        modes,
    ):
        # Memory at dp = 1 and one sequence a microbatch; the microbatch scales activations.
        state = training_memory(model, seq_len, tp, pp, 1, ep, cp, recompute)
        lighter = (
            training_memory(model, seq_len, tp, pp, 1, ep, cp, "selective")
            if recompute == "full" and "selective" in modes
            else None
        )
        grad_bytes = TRAIN_GRAD_BYTES_PER_PARAM * trained_shard_params(model, tp, pp, ep)
        for mbs in micro_batches(max_data):
            # A larger microbatch needs more memory and allows less dp: once one does not
            # fit, the larger ones do not either.
            layout_max_data = int(sequences / mbs)  # dp x mbs <= sequences in the batch
            if ep > tp * layout_max_data:
                break
            min_dp = min_data_for_memory(state, usable, mbs)
            if min_dp is None:
                break
            min_dp = max(min_dp, -(-ep // tp))  # the ep ranks come from tp x dp
            if min_dp > layout_max_data:
                break
            if lighter is not None:
                # Full recomputation costs more compute and more TP, EP and CP calls than
                # selective on the same layout; where selective fits from the same dp,
                # full is dominated term by term (as `undominated` would find).
                selective_dp = min_data_for_memory(lighter, usable, mbs)
                if selective_dp is not None and max(selective_dp, -(-ep // tp)) <= min_dp:
                    continue
            replica = tp * cp * pp
            microbatches = sequences / mbs  # at dp = 1
            chunk_tokens = seq_len / cp  # tokens of one sequence on one card
            # Full recomputation runs the forward pass twice: 8/6 of the training FLOPs.
            redo = RECOMPUTE_FLOPS[recompute]
            # The busiest expert rank sets the MoE layer's time (moe_load_imbalance).
            imbalance = site.moe_load_imbalance if ep > 1 else 1.0
            # Linear layers at the efficiency of the GEMM shapes this layout leaves a card
            # (the same for every pp and recompute mode: computed once).
            key = (mbs * chunk_tokens, tp, ep)
            if key not in shapes:
                shapes[key] = shape_factors(chip, model, *key)
            shape = shapes[key]
            per_token_s = (
                dense_linear_s * shape.dense
                + attention_s_per_token
                + imbalance * expert_s * shape.expert
            )
            # A MoE layer's fixed time a microbatch (forward and backward; the recomputed
            # forward under full recomputation, hence redo) does not shrink with tp or cp;
            # its per-expert part does with ep (each rank launches its experts' GEMMs).
            # moe_layers is 0 for a dense model.
            fixed_s = moe_layer_s + (model.experts or 0) / ep * moe_expert_s
            moe_fixed_s = redo * moe_layers(model) / pp * microbatches * fixed_s
            # The busiest stage (one more layer where pp does not divide them) sets the pace.
            busiest = busiest_stage_share(model.layers, pp)
            work_s = busiest * (redo * batch_tokens * per_token_s / replica + moe_fixed_s)
            calls = busiest * TP_CALLS_PER_LAYER[recompute] * model.layers / pp * microbatches
            calls = calls if tp > 1 else 0.0
            tp_bytes = mbs * chunk_tokens * model.hidden * ACTIVATION_BYTES
            tp_s = calls * (2.0 * (tp - 1) / tp * tp_bytes / scaleup + SCALEUP_CALL_LATENCY_S)
            pp_link = scaleup if replica <= group else fabric_bw
            pp_s = (
                2.0 * sequences * chunk_tokens * model.hidden * ACTIVATION_BYTES / tp / pp_link
                if pp > 1
                else 0.0
            )
            ep_s = (1.0 - site.ep_comm_overlap) * expert_all_to_all_s(
                model,
                workload.precision,
                tp,
                pp,
                ep,
                batch_tokens / cp,
                microbatches,
                *link(tp * ep, all_to_all=True),
                recompute=recompute,
            )
            cp_s = context_ring_s(
                model,
                seq_len,
                tp,
                cp,
                pp,
                sequences,
                recompute,
                attention_s_per_token,
                *link(tp * cp),
                micro_batch=mbs,
            )
            for v in stages[pp]:
                layouts.append(
                    _Layout(
                        tensor=tp,
                        pipeline=pp,
                        virtual=v,
                        min_data=min_dp,
                        max_data=layout_max_data,
                        micro_batch=mbs,
                        work_s=work_s,
                        bubble_s=(pp - 1) / (v * microbatches) * work_s,
                        tp_comm_s=tp_exposed * tp_s,
                        pp_comm_s=v * pp_s,
                        grad_bytes=grad_bytes,
                        expert=ep,
                        ep_comm_s=ep_s,
                        context=cp,
                        cp_comm_s=cp_s,
                        recompute=recompute,
                    )
                )
    if not layouts:
        return infeasible(
            f"model {model.model_id} training state (16 B/param, {model.params_b * 16:,.0f} GB) "
            f"does not fit {chip.chip_id} ({usable / 1e9:,.0f} GB usable per card) with any "
            f"tensor x pipeline layout and a global batch of {max_data} sequences"
        )
    layouts = undominated(layouts)
    min_nodes = min(
        math.ceil(lay.replica_cards * lay.min_data / chip.cards_per_node) for lay in layouts
    )
    saturation = max(
        math.ceil(lay.replica_cards * lay.max_data / chip.cards_per_node) for lay in layouts
    )
    return TrainingCurve(
        True,
        "",
        chip.cards_per_node,
        min_nodes,
        max(min_nodes, saturation),
        batch_tokens,
        max_data,
        group,
        scaleup,
        fabric_bw,
        site.comm_overlap,
        usable / 1e9,
        tuple(layouts),
        seq_len,
        model,
        fabric_latency_s=fabric.latency_us * 1e-6,
        nics_per_node=nics_per_node(chip),
        tier_endpoints=tier_endpoints,
    )
