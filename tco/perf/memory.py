"""Memory per card: training state for a parallel layout, KV cache, replica fit.

Units: bytes unless a name says GB (1 GB = 1e9 bytes, as in the catalog).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tco.perf.moe import dense_params, routed_params
from tco.schema.inputs import BYTES_PER_VALUE
from tco.schema.rows import ModelRow, WorkloadRow

#: Mixed-precision Adam: 16-bit weights and 16-bit gradients on every card of
#: a model-parallel shard, plus 12 B of fp32 master weights, Adam m and Adam v
#: (4 + 4 + 4) that ZeRO-1 shards across the data-parallel group: 16 B/param.
TRAIN_WEIGHT_BYTES_PER_PARAM = 2.0
TRAIN_GRAD_BYTES_PER_PARAM = 2.0
TRAIN_OPTIMIZER_BYTES_PER_PARAM = 12.0


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes per card for one layout (tp x pp x dp) of mixed-precision Adam training."""

    weights_bytes: float
    grads_bytes: float
    optimizer_bytes: float
    activations_bytes: float

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.grads_bytes + self.optimizer_bytes + self.activations_bytes

    @property
    def total_gb(self) -> float:
        return self.total_bytes / 1e9


#: Activation bytes per token, layer and tensor-parallel rank kept for the backward pass
#: (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
#: Models", Table 2, with sequence parallelism): full recomputation keeps only the 16-bit
#: layer input (2 B x hidden); selective recomputation keeps 34 B x hidden (the attention
#: core is recomputed, as FlashAttention does anyway).
ACTIVATION_BYTES_PER_HIDDEN = {"full": 2.0, "selective": 34.0}


def training_memory(
    model: ModelRow,
    seq_len: int,
    tensor: int,
    pipeline: int,
    data: int,
    expert: int = 1,
    context: int = 1,
    recompute: str = "full",
    micro_batch: int = 1,
) -> TrainingMemory:
    """Training memory per card.

    Per card with P = params_b x 1e9 and shard = P / (tp x pp); for a MoE
    (`tco.perf.moe`) shard = dense / (tp x pp) + routed / (pp x ep), the routed
    experts split over the ep expert-parallel ranks (expert tensor parallel 1):
      weights = 2 B x shard, gradients = 2 B x shard,
      optimizer = 12 B x P / (tp x cp x pp x dp) (ZeRO-1 over the ranks holding the
      same parameters: dp x cp for dense weights, tp x cp x dp / ep for experts,
      which gives the same 12 B x P / cards),
      activations = layers x micro_batch x seq_len / cp x hidden x a / tp, a =
      ACTIVATION_BYTES_PER_HIDDEN[recompute] (2 B full, 34 B selective): per layer
      and microbatch of micro_batch sequences, split over tp (sequence parallel) and
      over the cp context-parallel ranks; 1F1B keeps up to pp microbatches in flight on
      the first stage, which holds layers/pp layers, so pp cancels; the shard and the
      activations are the busiest stage's (x `busiest_stage_share`, 1 where pp divides
      the layers).
    Memory for recomputing one layer and allocator fragmentation is left to the
    site's `memory_headroom`.
    """
    shard_params = trained_shard_params(model, tensor, pipeline, expert)
    return TrainingMemory(
        weights_bytes=TRAIN_WEIGHT_BYTES_PER_PARAM * shard_params,
        grads_bytes=TRAIN_GRAD_BYTES_PER_PARAM * shard_params,
        optimizer_bytes=TRAIN_OPTIMIZER_BYTES_PER_PARAM
        * model.params_b
        * 1e9
        / (tensor * context * pipeline * data),
        activations_bytes=busiest_stage_share(model.layers, pipeline)
        * model.layers
        * micro_batch
        * seq_len
        / context
        * model.hidden
        * ACTIVATION_BYTES_PER_HIDDEN[recompute]
        / tensor,
    )


def busiest_stage_share(layers: int, pipeline: int) -> float:
    """Layers of the busiest pipeline stage over the mean: ceil(L / pp) / (L / pp) >= 1.

    Stages hold whole layers, so where pp does not divide L some hold one more, and the
    pipeline runs at the pace of those (and holds their weights and activations): 28
    layers over 16 stages put 2 on twelve of them, 8/7 of the mean 1.75.
    """
    return math.ceil(layers / pipeline - 1e-9) * pipeline / layers


def trained_shard_params(model: ModelRow, tensor: int, pipeline: int, expert: int = 1) -> float:
    """Parameters the busiest card holds: [dense / (tp x pp) + routed experts / (pp x ep)]
    x `busiest_stage_share`."""
    share = busiest_stage_share(model.layers, pipeline)
    return share * (
        dense_params(model) / (tensor * pipeline) + routed_params(model) / (pipeline * expert)
    )


def min_data_parallel(
    model: ModelRow,
    seq_len: int,
    tensor: int,
    pipeline: int,
    usable_bytes: float,
    expert: int = 1,
    context: int = 1,
    recompute: str = "full",
    micro_batch: int = 1,
) -> int | None:
    """Smallest dp whose training memory fits `usable_bytes` per card; None if no dp fits.

    Solves 2s + 2s + 12 P / (tp cp pp dp) + act <= usable for dp, s the card's shard.
    """
    fixed = training_memory(model, seq_len, tensor, pipeline, 1, expert, context, recompute)
    return min_data_for_memory(fixed, usable_bytes, micro_batch)


def min_data_for_memory(
    at_one: TrainingMemory, usable_bytes: float, micro_batch: int = 1
) -> int | None:
    """`min_data_parallel` from the memory at dp = 1 and one sequence a microbatch
    (`at_one`): optimizer state divides by dp, activations scale with micro_batch."""
    room = (
        usable_bytes
        - at_one.weights_bytes
        - at_one.grads_bytes
        - micro_batch * at_one.activations_bytes
    )
    if room <= 0:
        return None
    return max(1, math.ceil(at_one.optimizer_bytes / room - 1e-12))


def weights_bytes(model: ModelRow, precision: str) -> float:
    """Serving weights, B: params_b x 1e9 x bytes at `precision` (all experts resident)."""
    return model.params_b * 1e9 * BYTES_PER_VALUE[precision]


def kv_bytes_per_token(model: ModelRow, precision: str) -> float:
    """KV cache per token, B: override (MLA) or 2 x layers x kv_heads x head_dim x bytes.

    The factor 2 is K and V; kv_heads (not heads) makes it GQA/MQA-aware.
    """
    if model.kv_bytes_per_token is not None:
        return float(model.kv_bytes_per_token)
    return 2.0 * model.layers * model.kv_heads * model.head_dim * BYTES_PER_VALUE[precision]


def kv_heads_split(model: ModelRow) -> int:
    """KV heads a tensor-parallel replica can divide a token's cache by.

    Attention runs head-parallel: each card keeps the K and V of its own heads, so the
    cache of kv_heads heads splits kv_heads ways. An override below what kv_heads heads
    hold at the smallest precision is a latent cache (MLA: one compressed vector a token
    a layer that every head reads), which no card can split: 1.
    """
    per_head_set = 2.0 * model.layers * model.kv_heads * model.head_dim
    smallest = per_head_set * min(BYTES_PER_VALUE.values())
    if model.kv_bytes_per_token is not None and model.kv_bytes_per_token < smallest:
        return 1
    return int(model.kv_heads)


def kv_copies(model: ModelRow, replica_cards: int) -> float:
    """Copies of each token's KV cache a tensor-parallel replica of g cards holds:
    max(1, g / `kv_heads_split`). Past its KV heads (GQA at TP above kv_heads, an MLA
    latent cache at any TP) every card keeps whole heads, so the cache is held g / split
    times over and each card reads its copy: the reason for attention data-parallel."""
    return max(1.0, replica_cards / kv_heads_split(model))


def with_kv_cache(model: ModelRow, workload: WorkloadRow) -> ModelRow:
    """The model with the workload's KV cache precision in its per-token bytes, B.

    Blank `Workloads.kv_cache_precision`: the model as it is (`kv_bytes_per_token` at the
    workload precision, or the model's override). Set: 2 x layers x kv_heads x head_dim x
    bytes(kv), or the override (stated at bf16, 2 B a value) x bytes(kv) / 2. Apply it
    once, where a workload's serving evaluation starts.
    """
    kv = workload.kv_cache_precision
    if kv is None:
        return model
    if model.kv_bytes_per_token is not None:
        per_token = model.kv_bytes_per_token * BYTES_PER_VALUE[kv] / BYTES_PER_VALUE["bf16"]
    else:
        per_token = 2.0 * model.layers * model.kv_heads * model.head_dim * BYTES_PER_VALUE[kv]
    return model.model_copy(update={"kv_bytes_per_token": per_token})


@dataclass(frozen=True)
class ReplicaFit:
    """Smallest tensor-parallel replica whose memory holds the weights plus one sequence."""

    feasible: bool
    reason: str
    replica_cards: int | None
    weights_gb: float
    usable_gb_per_card: float


def powers_of_two_up_to(limit: int) -> list[int]:
    """1, 2, 4, ... <= limit."""
    return [2**k for k in range(int(math.log2(limit)) + 1)] if limit >= 1 else []


def smallest_replica(
    model: ModelRow, precision: str, scaleup_domain: int, usable_bytes: float, context_tokens: float
) -> ReplicaFit:
    """Smallest power of two g <= scaleup_domain with g x usable >= weights + KV of one sequence.

    One sequence's KV cache (kv_bytes_per_token x context_tokens x `kv_copies`) is
    required on top of the weights because a replica that holds only the weights serves
    nothing.
    """
    weight_b = weights_bytes(model, precision)
    sequence_b = kv_bytes_per_token(model, precision) * context_tokens
    need_b = weight_b + sequence_b
    for g in powers_of_two_up_to(scaleup_domain):
        need_b = weight_b + sequence_b * kv_copies(model, g)
        if g * usable_bytes >= need_b:
            return ReplicaFit(True, "", g, weight_b / 1e9, usable_bytes / 1e9)
    largest = powers_of_two_up_to(scaleup_domain)[-1]
    reason = (
        f"{precision} weights ({weight_b / 1e9:,.0f} GB) plus one sequence's KV cache need "
        f"{need_b / 1e9:,.0f} GB, more than a {largest}-card scale-up replica holds "
        f"({largest * usable_bytes / 1e9:,.0f} GB usable)"
    )
    return ReplicaFit(False, reason, None, weight_b / 1e9, usable_bytes / 1e9)
