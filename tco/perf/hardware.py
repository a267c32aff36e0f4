"""Peak rates and link bandwidths of a chip and a fabric, in SI units.

Every other perf module reads hardware through these helpers so that units
are converted in one place: catalog TFLOP/s, GB/s and Gbit/s become FLOP/s
and bytes/s here.
"""

from __future__ import annotations

import math

from tco.costs.clos import MAX_TIERS, NOISE, leaf_down_ports, tiers_needed
from tco.schema.rows import ChipRow, FabricRow

#: Achieved fraction of the scale-up link's one-direction line rate in ring
#: collectives. NCCL all-reduce on 8 x H100 NVLink4 reaches a bus bandwidth
#: of 370 GB/s against 450 GB/s per direction (nccl-tests issue #212, NCCL
#: maintainer): 370 / 450 = 0.82. There is no catalog column for it, so one
#: documented constant applies to every scale-up link.
SCALEUP_EFFICIENCY = 0.82

#: Fixed cost of one collective call on the scale-up link, s. Small-message
#: NCCL all-reduce inside an 8-GPU NVLink node takes about 10 us.
SCALEUP_CALL_LATENCY_S = 10e-6

#: Latency of one small ring all-reduce on the scale-up link over g cards, s:
#: base + 2(g-1) hops x per-hop. These are NCCL's own tuning-model constants for
#: the Ring algorithm with the LL protocol (the one NCCL picks for small
#: messages) over NVLink: baseLat 6.6 us and hwLat 0.6 us per step, a ring
#: all-reduce taking 2(g-1) steps (NVIDIA/nccl src/graph/tuning.cc, discussed in
#: NVIDIA/nccl issue #1334). Measured single-channel ring figures on a DGX A100
#: are higher and grow the same way, about 2 us per step (10 / 16.9 / 33.7 us at
#: 2 / 4 / 8 GPUs, nccl-tests issue #123, confirmed by the NCCL maintainer as
#: 2(g-1) x step latency), so this is the optimistic end for decode all-reduces.
SCALEUP_ALLREDUCE_BASE_LATENCY_S = 6.6e-6
SCALEUP_ALLREDUCE_HOP_LATENCY_S = 0.6e-6

#: Bytes of one activation or gradient element exchanged in collectives. FP8
#: and INT8 quantise weights and matrix inputs; activations, gradients and
#: collectives stay 16-bit in mixed-precision training and in serving.
ACTIVATION_BYTES = 2.0


#: Default FP8 linear-layer efficiency relative to train_mfu, used when
#: `fp8_matrix_efficiency` is blank: fp8 efficiency = train_mfu x 0.75. FP8
#: GEMMs reach a smaller fraction of their (2x) peak than BF16 GEMMs, and
#: Transformer Engine adds casts and amax scaling per linear layer. Published
#: end-to-end FP8/BF16 speed-ups of 70B training are 1.2-1.4x, not 2x:
#: Megatron-LM Llama-3-70B on H100 415 -> 570 TFLOP/s = 1.37x (Fujii et al. 2024,
#: arXiv 2411.08719); TorchAO MXFP8 Llama3-70B on 1856 B200 1.22-1.28x (PyTorch
#: blog, Crusoe B200 cluster). With ~87-93% of 70B FLOPs in the linear layers,
#: 1.37x means linear layers at ~0.73 of BF16's fraction of peak.
FP8_EFFICIENCY_RATIO = 0.75

#: Default INT8 linear-layer efficiency relative to train_mfu (blank
#: `int8_matrix_efficiency`). INT8 runs on the same tensor-core rate as FP8 on
#: the parts that have both and pays the same per-token/per-channel scaling
#: (SmoothQuant W8A8); no separate published ratio was found, so FP8's is used.
INT8_EFFICIENCY_RATIO = 0.75

#: Latency of one ring step on the scale-up link, s: NCCL's tuning model
#: (src/graph/tuning.cc, hwLat NVLink / Ring / Simple = 3.4 us), the protocol of
#: large gradient all-reduces.
SCALEUP_STEP_LATENCY_S = 3.4e-6


def matrix_efficiency(chip: ChipRow, precision: str) -> float:
    """Fraction of the dense peak at `precision` that linear-layer GEMMs reach.

    bf16 -> train_mfu; fp8 -> fp8_matrix_efficiency, blank = train_mfu x
    FP8_EFFICIENCY_RATIO; int8 -> int8_matrix_efficiency, blank = train_mfu x
    INT8_EFFICIENCY_RATIO.
    """
    if precision == "fp8":
        given = chip.fp8_matrix_efficiency
        return given if given is not None else chip.train_mfu * FP8_EFFICIENCY_RATIO
    if precision == "int8":
        given = chip.int8_matrix_efficiency
        return given if given is not None else chip.train_mfu * INT8_EFFICIENCY_RATIO
    return chip.train_mfu


def linear_flops_per_s(chip: ChipRow, precision: str) -> float | None:
    """Achieved rate of the linear layers at `precision`, FLOP/s (None when unsupported):
    peak(precision) x matrix_efficiency(precision)."""
    peak = peak_flops_per_s(chip, precision)
    return None if peak is None else peak * matrix_efficiency(chip, precision)


def attention_flops_per_s(chip: ChipRow) -> float:
    """Achieved rate of attention (score and value matmuls) and the rest, FLOP/s:
    bf16 peak x train_mfu at every workload precision (FP8/INT8 quantise the
    linear layers only; attention stays 16-bit)."""
    return chip.bf16_tflops * 1e12 * chip.train_mfu


def peak_flops_per_s(chip: ChipRow, precision: str) -> float | None:
    """Dense matrix peak at `precision`, FLOP/s (OP/s for int8); None when unsupported.

    bf16 -> bf16_tflops, fp8 -> fp8_tflops, int8 -> int8_tops, each x 1e12.
    """
    tera = {"bf16": chip.bf16_tflops, "fp8": chip.fp8_tflops, "int8": chip.int8_tops}[precision]
    return None if tera is None else tera * 1e12


def scaleup_allreduce_latency_s(cards: int) -> float:
    """Fixed cost of one small ring all-reduce over `cards` cards, s (0 for one card).

    base + 2(cards - 1) x hop: 6.6 us + 2(g-1) x 0.6 us, 7.8 us at 2 cards, 15 us at 8.
    """
    if cards <= 1:
        return 0.0
    return SCALEUP_ALLREDUCE_BASE_LATENCY_S + 2.0 * (cards - 1) * SCALEUP_ALLREDUCE_HOP_LATENCY_S


def scaleup_bytes_per_s(chip: ChipRow) -> float:
    """Achieved scale-up B/s per card, one direction: scaleup_bw_gbs x 1e9 x efficiency."""
    return chip.scaleup_bw_gbs * 1e9 * SCALEUP_EFFICIENCY


def nics_per_node(chip: ChipRow) -> int:
    """Scale-out ports per node; blank means one per card."""
    return chip.nics_per_node or chip.cards_per_node


def nic_cards_per_node(chip: ChipRow) -> int:
    """NIC cards a node must buy: none when the ports are on the package (`integrated_nic`).

    Integrated ports (Ascend 910B/910C) draw their power inside the chip's TDP, so
    they add neither a NIC purchase nor NIC power; the fabric still connects
    `nics_per_node` ports with switches, optics and cables.
    """
    return 0 if chip.integrated_nic else nics_per_node(chip)


def system_cards(chip: ChipRow) -> int:
    """Cards per orderable system (blank `system_cards` = one server)."""
    return chip.system_cards or chip.cards_per_node


def nodes_per_system(chip: ChipRow) -> int:
    """Servers (nodes) in one system = system_cards / cards_per_node (validated whole)."""
    return system_cards(chip) // chip.cards_per_node


def whole_system_nodes(chip: ChipRow, nodes: int) -> int:
    """`nodes` rounded up to whole systems = ceil(nodes / nodes_per_system) x nodes_per_system."""
    per = nodes_per_system(chip)
    return -(-nodes // per) * per


def replicas_per_system(chip: ChipRow, replica_cards: int) -> int:
    """Replicas of `replica_cards` one system holds = floor(system_cards / replica_cards),
    at least 1: a replica larger than a system (an expert-parallel replica across the
    fabric) takes `systems_per_replica` whole systems instead."""
    return max(1, system_cards(chip) // replica_cards)


def systems_per_replica(chip: ChipRow, replica_cards: int) -> int:
    """Systems one replica takes = ceil(replica_cards / system_cards): 1 unless the replica
    spans systems over the scale-out fabric (only expert-parallel replicas do)."""
    return -(-replica_cards // system_cards(chip))


def systems_for_replicas(chip: ChipRow, replica_cards: int, replicas: int) -> int:
    """Whole systems that hold `replicas` replicas = ceil(replicas x systems_per_replica /
    replicas_per_system)."""
    per, span = replicas_per_system(chip, replica_cards), systems_per_replica(chip, replica_cards)
    return -(-replicas * span // per)


def scaleup_group_cards(chip: ChipRow) -> int:
    """Most cards one replica or tensor-parallel group may span = min(scaleup_domain,
    system_cards): the scale-up link reaches no further than the system bought, so
    eight loose 8-card servers of a 384-card domain chip are eight domains of 8.
    """
    return min(chip.scaleup_domain, system_cards(chip))


def fabric_bytes_per_s_per_card(chip: ChipRow, fabric: FabricRow) -> float:
    """Scale-out bandwidth one card gets when all the node's cards communicate, B/s.

    node = nics_per_node x port_gbps / 8 x 1e9 x efficiency; per card = node / cards_per_node
    (port_gbps: see `port_gbps`).
    """
    node_bytes_per_s = nics_per_node(chip) * port_gbps(chip, fabric) / 8 * 1e9 * fabric.efficiency
    return node_bytes_per_s / chip.cards_per_node


def all_to_all_fabric_bytes_per_s(chip: ChipRow, fabric: FabricRow, cards: int) -> float:
    """Per-card rate of a uniform all-to-all among the nodes of `cards` cards, B/s.

    The fabric is rail-optimized (each node's k-th port on the k-th rail's leaves, as AI
    clusters are cabled; traffic for another rail crosses the scale-up link first), so a
    leaf's d = r o / (1 + o) down ports hold d nodes (`leaf_down_ports`). Of the other
    n - 1 nodes, max(0, n - d) are under other leaves, and what goes to them shares the
    leaf's uplinks, 1/o of its down ports' rate. With s = max(0, n - d) / (n - 1) of the
    bytes on uplinks the all-to-all takes bytes x ((1 - s) + s x o) / rate:

      rate(n) = `fabric_bytes_per_s_per_card` / ((1 - s) + s x o)

    the full rate on one switch (one tier) or a non-oversubscribed fabric (o = 1).
    """
    rate = fabric_bytes_per_s_per_card(chip, fabric)
    o = float(fabric.oversubscription)
    nodes = -(-cards // chip.cards_per_node)
    endpoints = nodes * nics_per_node(chip)
    if o <= 1.0 or nodes <= 1 or (tiers_needed(endpoints, fabric.switch_radix, o) or 2) <= 1:
        return rate
    per_leaf = math.floor(leaf_down_ports(fabric.switch_radix, o) + NOISE)
    crossing = max(0, nodes - per_leaf) / (nodes - 1)
    return rate / ((1.0 - crossing) + crossing * o)


def port_gbps(chip: ChipRow, fabric: FabricRow) -> float:
    """Line rate of one scale-out port, Gbit/s: the fabric's, capped by on-chip ports.

    A chip whose ports are on the package runs them at their own speed
    (`integrated_port_gbps`), however fast the switches are.
    """
    if chip.integrated_nic and chip.integrated_port_gbps is not None:
        return min(fabric.port_gbps, chip.integrated_port_gbps)
    return fabric.port_gbps


def usable_memory_bytes(chip: ChipRow, memory_headroom: float) -> float:
    """Usable device memory per card, B: memory_gb x 1e9 x (1 - memory_headroom)."""
    return chip.memory_gb * 1e9 * (1 - memory_headroom)


def switch_hops(chip: ChipRow, fabric: FabricRow, cards: int) -> int:
    """Switches a message between the nodes of `cards` cards crosses: 2t - 1 for the t
    Clos tiers their ports need (more than MAX_TIERS priced as MAX_TIERS)."""
    endpoints = -(-cards // chip.cards_per_node) * nics_per_node(chip)
    tiers = tiers_needed(endpoints, fabric.switch_radix, fabric.oversubscription) or MAX_TIERS
    return 2 * tiers - 1
