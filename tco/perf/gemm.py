"""Matrix efficiency that depends on the GEMM shapes a training layout leaves each card.

One constant efficiency per chip overrates layouts that cut the matrices small (wide
tensor parallelism, fine-grained experts spread over few ranks) and underrates those
that keep them large. A GEMM C[M, N] = A[M, K] B[K, N] runs as output tiles of
`gemm_tile_elements` elements spread over the card's `matrix_units` (SMs, AI cores);
the last wave of tiles leaves units idle (tile and wave quantization: NVIDIA, "Matrix
Multiplication Background User's Guide", 2023, ch. 3). Averaged over shapes, a GEMM
of W = M x N / (tile x units) waves loses half a wave, so it runs at W / (W + 1/2)
of the rate of an unbounded one: the saturating curve

  s(M, N) = M N / (M N + A_half),   A_half = tile x units / 2   (output elements).

Training runs each linear layer three times: the forward GEMM (output M x N), the
input gradient (M x K) and the weight gradient (K x N), of 2 M N K FLOPs each, so
the linear's time relative to an unbounded GEMM is

  o(M, K, N) = [1 / s(M, N) + 1 / s(M, K) + 1 / s(K, N)] / 3.

`train_mfu` and the FP8/INT8 matrix efficiencies are stated, as published runs report
them, for a well-tuned dense layer; this module takes that to be the reference linear
M = K = N = 4,096 (a 4,096-token microbatch through a 7B-class layer), so a layout's
linear time is its FLOPs at the chip's efficiency x o(shape) / o(reference): above 1
for smaller per-card GEMMs, slightly below 1 for larger ones. A chip with a blank
`matrix_units` keeps one efficiency for every shape (factor 1).

The layer's linears per card, for tp tensor-parallel ranks and M tokens a microbatch:
  attention projections  QKV: K = hidden, N = (heads + 2 kv_heads) x head_dim / tp;
                         output: K = heads x head_dim / tp, N = hidden
  dense MLP (SwiGLU)     up and gate: K = hidden, N = 2 f / tp; down: K = f / tp,
                         N = hidden, f = (dense params a layer - attention) / (3 hidden)
  routed experts         the same MLP at f = expert_ffn with M = the tokens one local
                         expert receives, ep x (M / tp) x experts_per_token / experts
and the dense and expert factors are the FLOP-weighted means over their linears.
"""

from __future__ import annotations

from dataclasses import dataclass

from tco.perf.moe import dense_active_params, is_moe
from tco.schema.rows import ChipRow, ModelRow

#: The linear at which a chip's stated matrix efficiency holds: M = K = N = 4,096.
REFERENCE_DIM = 4096.0


def _half_area(chip: ChipRow) -> float:
    """A_half = gemm_tile_elements x matrix_units / 2, output elements."""
    assert chip.matrix_units is not None
    return chip.gemm_tile_elements * chip.matrix_units / 2.0


def _pass_overhead(m: float, k: float, n: float, half: float) -> float:
    """o(M, K, N): mean of 1/s over the forward, input-gradient and weight-gradient GEMMs."""
    return (3.0 + half / (m * n) + half / (m * k) + half / (k * n)) / 3.0


def _weighted(linears: list[tuple[float, float, float]], half: float) -> float:
    """FLOP-weighted mean overhead of (M, K, N) linears (1 when there are none)."""
    flops = [m * k * n for m, k, n in linears]
    total = sum(flops)
    if total <= 0.0:
        return 1.0
    return (
        sum(f * _pass_overhead(m, k, n, half) for f, (m, k, n) in zip(flops, linears, strict=True))
        / total
    )


@dataclass(frozen=True)
class ShapeFactors:
    """Linear-layer time relative to the chip's stated efficiency: dense and expert parts."""

    dense: float
    expert: float


def _attention_params_per_layer(model: ModelRow) -> float:
    """QKV and output projection weights of one layer."""
    inner = model.heads * model.head_dim
    return model.hidden * (inner + 2 * model.kv_heads * model.head_dim) + inner * model.hidden


def dense_ffn(model: ModelRow) -> float:
    """Equivalent SwiGLU width f of the dense (non-expert) MLP of a layer, 0 if none (< 1).

    f = (dense active params / layers - attention projection params) / (3 x hidden);
    embeddings are counted in, which widens f by a few percent on small models.
    """
    per_layer = dense_active_params(model) / model.layers - _attention_params_per_layer(model)
    ffn = per_layer / (3.0 * model.hidden)
    return ffn if ffn >= 1.0 else 0.0  # below one column: rounding of the parameter counts


def shape_factors(
    chip: ChipRow, model: ModelRow, tokens: float, tensor: int, expert: int
) -> ShapeFactors:
    """Linear time factors for a microbatch of `tokens` tokens per card on tp x ep ranks."""
    if chip.matrix_units is None:
        return ShapeFactors(1.0, 1.0)
    half = _half_area(chip)
    h = float(model.hidden)
    inner = float(model.heads * model.head_dim)
    qkv = (model.heads + 2 * model.kv_heads) * model.head_dim
    linears = [(tokens, h, qkv / tensor), (tokens, inner / tensor, h)]
    ffn = dense_ffn(model)
    if ffn:
        linears += [(tokens, h, 2.0 * ffn / tensor), (tokens, ffn / tensor, h)]
    ref = REFERENCE_DIM
    reference = _pass_overhead(ref, ref, ref, half)
    dense = _weighted(linears, half) / reference
    if not is_moe(model):
        return ShapeFactors(dense, 1.0)
    experts = float(model.experts or 1)
    per_expert = max(1.0, expert * tokens / tensor * (model.experts_per_token or 1) / experts)
    width = float(model.expert_ffn or 0)
    routed = [(per_expert, h, 2.0 * width), (per_expert, width, h)]
    return ShapeFactors(dense, _weighted(routed, half) / reference)
