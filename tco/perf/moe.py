"""Mixture-of-experts arithmetic: routed vs dense parameters and all-to-all bytes.

A MoE layer replaces the dense FFN by `experts` routed experts, each a gated
FFN of 3 x hidden x expert_ffn weights; a token goes to `experts_per_token`
(k) of them, plus `shared_experts` every token passes. With L_moe = moe_layers
(blank: every layer):

  routed params         = L_moe x experts x 3 x hidden x expert_ffn
  routed active params  = L_moe x k x 3 x hidden x expert_ffn
  dense params          = params - routed params   (attention, embeddings, dense
                          layers, shared experts: what every card of an
                          attention replica holds)
  dense active params   = active params - routed active params

Expert parallelism over e ranks spreads the routed experts (experts / e per
rank and MoE layer); each token's hidden vector travels to its k experts
(dispatch) and back (combine). A destination is another rank with
probability (e - 1) / e (uniform routing), so per token and MoE layer a rank
sends

  dispatch bytes = k x hidden x dispatch bytes per value x (e - 1) / e
  combine bytes  = k x hidden x 2 B x (e - 1) / e

with the dispatch in the precision of the expert GEMMs (FP8/INT8 1 B,
otherwise 2 B) and the combine in BF16, as DeepEP does (DeepSeek-V3 report
Sec. 3.3; deepseek-ai/DeepEP README: "FP8 dispatching and BF16 combining").
The DeepEP low-latency figures on H800 with 400G InfiniBand (128 tokens,
k = 8, hidden 7168: 194 us dispatch at 39 GB/s for EP256) are bandwidth-bound,
so the time is bytes over the link plus a per-call latency.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from tco.perf.hardware import ACTIVATION_BYTES
from tco.schema.inputs import BYTES_PER_VALUE
from tco.schema.rows import ModelRow

#: Weight matrices of one gated (SwiGLU) expert: gate, up and down, hidden x expert_ffn each.
EXPERT_MATRICES = 3

_Tokens = TypeVar("_Tokens", float, np.ndarray)


def is_moe(model: ModelRow) -> bool:
    """Whether the model routes tokens to experts (Models.experts filled)."""
    return model.experts is not None


def moe_layers(model: ModelRow) -> int:
    """Layers with routed experts: moe_layers, blank = every layer (0 for a dense model)."""
    if not is_moe(model):
        return 0
    return model.moe_layers if model.moe_layers is not None else model.layers


def _expert_params(model: ModelRow) -> float:
    """Weights of one expert, parameters: 3 x hidden x expert_ffn."""
    return EXPERT_MATRICES * model.hidden * (model.expert_ffn or 0)


def routed_params(model: ModelRow) -> float:
    """Routed expert parameters of the whole model (0 for a dense model)."""
    return moe_layers(model) * (model.experts or 0) * _expert_params(model)


def routed_active_params(model: ModelRow) -> float:
    """Routed expert parameters one token runs through (0 for a dense model)."""
    return moe_layers(model) * (model.experts_per_token or 0) * _expert_params(model)


def dense_params(model: ModelRow) -> float:
    """Parameters outside the routed experts (every parameter of a dense model)."""
    return model.params_b * 1e9 - routed_params(model)


def dense_active_params(model: ModelRow) -> float:
    """Active parameters outside the routed experts (shared experts included)."""
    return model.active_params_b * 1e9 - routed_active_params(model)


def dispatch_bytes_per_value(precision: str) -> float:
    """Bytes per hidden value on the dispatch: the expert GEMMs' precision, at most 2 B."""
    return min(BYTES_PER_VALUE[precision], ACTIVATION_BYTES)


def all_to_all_bytes_per_token(model: ModelRow, precision: str, ranks: int) -> float:
    """Dispatch + combine bytes one rank sends per token and MoE layer, B.

    = k x hidden x (dispatch B + 2 B) x (ranks - 1) / ranks (module docstring);
    0 without expert parallelism (ranks = 1) or for a dense model.
    """
    if not is_moe(model) or ranks <= 1:
        return 0.0
    per_copy = model.hidden * (dispatch_bytes_per_value(precision) + ACTIVATION_BYTES)
    return (model.experts_per_token or 0) * per_copy * (ranks - 1) / ranks


def active_expert_share(model: ModelRow, tokens: _Tokens) -> _Tokens:
    """Expected share of a MoE layer's experts that `tokens` tokens reach, 0-1.

    Under uniform top-k routing a token misses a given expert with probability
    1 - k / E, so n tokens leave it idle with (1 - k / E)^n:

      share = 1 - (1 - k / E)^n

    k / E for one token (Qwen3-235B-A22B: 8 of 128), 1 within a few hundred tokens. It
    holds for an expert-parallel card as for the whole layer: each of the card's
    E / ep experts is reached by the replica's n tokens alike. 0 for a dense model or
    no tokens.
    """
    if not is_moe(model) or not model.experts:
        return 0.0 * tokens
    idle: _Tokens = (1.0 - (model.experts_per_token or 0) / model.experts) ** tokens
    return 1.0 - idle
