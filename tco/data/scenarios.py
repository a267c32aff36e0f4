"""The customer's three selection scenarios (seed section 1 and 12), as input workbooks.

The seed frames accelerator selection as three situations: training first
(interconnect and network topology, HBM), inference first (latency and
throughput targets, low precision and batching, cost per token) and domestic
substitution (domestic share, the cost of migrating software stacks, supply).
Each scenario here is the example site (`tco.data.examples`) with the
workloads and Site limits of that situation; none forces a chip, a fabric or
a cooling: the optimiser chooses, and the golden test checks that the choices
move the way the seed argues. `python -m tco.data.examples` writes them to
`inputs/scenarios/` with the template and the example.

Each has a three-year demand ramp on its Demand sheet (serving targets in
years 1, 2 and 3 as multiples of the Workloads target, year 3 held to the
horizon), so its plan is bought in yearly tranches.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tco.data.examples import EXAMPLE_CAPS, EXAMPLE_SITE, SAMPLE_WORKLOADS, Rows, template_sheets

SCENARIOS_DIR = Path("inputs/scenarios")

_PRETRAIN_70B, _SERVE_72B = (copy.deepcopy(w) for w in SAMPLE_WORKLOADS)

#: Serving a reasoning model: short prompts, long answers (R1-distill at 16K context).
_SERVE_32B: dict[str, Any] = _SERVE_72B | {
    "workload_id": "serve-r1-32b",
    "model_id": "r1-distill-qwen-32b",
    "seq_len": 16384,
    "avg_input_tokens": 512,
    "avg_output_tokens": 2048,
}


@dataclass(frozen=True)
class BundledScenario:
    """One scenario workbook: its file name, rows, Site values and README paragraph."""

    name: str
    workloads: tuple[dict[str, Any], ...]
    site: dict[str, Any]
    readme: tuple[str, ...]
    #: Cards the site can get per chip (`Chips.max_cards`); the example's H800 stock and
    #: H20 licence where the Site admits restricted chips.
    max_cards: dict[str, int]
    #: Restricted-for-China chips the site holds (`available = yes`).
    available: tuple[str, ...] = ()
    #: One-off porting cost per software stack (`Chips.migration_cost`) where the
    #: scenario has its own estimate; blank keeps the catalog's.
    migration_cost: dict[str, float] | None = None
    #: The three-year demand ramp: workload -> its target in operating years 1, 2 and 3
    #: as multiples of its Workloads target (the Demand sheet; year 3 holds after).
    ramp: dict[str, tuple[float, float, float]] | None = None

    @property
    def path(self) -> Path:
        return SCENARIOS_DIR / f"{self.name}.xlsx"

    def sheets(self) -> Rows:
        rows = template_sheets()
        rows["Workloads"] = [dict(w) for w in self.workloads]
        for chip in rows["Chips"]:
            chip_id = chip["chip_id"]
            if chip_id in self.available:
                chip["available"] = True
            if chip_id in self.max_cards:
                chip["max_cards"] = self.max_cards[chip_id]
            if self.migration_cost and chip["software_stack"] in self.migration_cost:
                chip["migration_cost"] = self.migration_cost[chip["software_stack"]]
        # Only workloads with a tokens/s target ramp (serving; the type checker sees Any).
        targets = {
            w["workload_id"]: float(w["target_tokens_per_s"])
            for w in self.workloads
            if w.get("target_tokens_per_s") is not None
        }
        rows["Demand"] = [
            {
                "workload_id": wid,
                "year": year,
                "target_tokens_per_s": targets[wid] * factor,
                "source": "scenario ramp (README sheet)",
            }
            for wid, factors in (self.ramp or {}).items()
            for year, factor in enumerate(factors, start=1)
        ]
        return rows


#: The example's site with room for a fleet plan: five yearly blocks take several times
#: a single purchase's build and solve, so the time limit is 300 s instead of 60 s.
_SITE = EXAMPLE_SITE | {"time_limit_s": 300.0}

_COMMON = (
    "The site is the example's (inputs/example.xlsx): China (Site region cn), electricity "
    "0.09 USD/kWh, 5-year horizon at 8%, 8,000 USD/kW facility build; a 300 s time limit "
    "for the fleet plan. Demand ramps over "
    "three years (the Demand sheet: serving targets in operating years 1, 2 and 3, year 3 "
    "held after; training jobs keep their deadline targets), so the plan is bought in "
    "yearly tranches (the report's Timeline). No chip, fabric or cooling is forced; the "
    "optimiser chooses."
)

TRAINING_FIRST = BundledScenario(
    name="training-first",
    workloads=(
        {
            "workload_id": "pretrain-405b",
            "kind": "training",
            "model_id": "llama-3.1-405b",
            "precision": "bf16",
            "train_tokens_b": 1000,
            "deadline_days": 120,
            "seq_len": 8192,
            "global_batch_tokens": 8388608,
        },
        _PRETRAIN_70B | {"train_tokens_b": 4000},
        _SERVE_72B | {"target_tokens_per_s": 5000},
    ),
    site=_SITE | {"power_budget_kw": 20000},
    max_cards=dict(EXAMPLE_CAPS),
    available=tuple(EXAMPLE_CAPS),
    ramp={"serve-qwen72b": (1.0, 1.5, 2.0)},
    readme=(
        "Training first (seed sections 1 and 12: 'for communication-intensive Transformer "
        "training with very large parameter counts, first evaluate the system capability "
        "of inter-card interconnect and network topology'; section 10: 'memory capacity "
        "and bandwidth decide the trainable scale, interconnect topology and the "
        "communication library decide the scaling efficiency').",
        "A model lab pre-trains a 405B dense model (Llama-3.1-405B shape) on 1T tokens in "
        "120 days at 8K sequences with an 8M-token batch, and a 70B model on 4T tokens in "
        "90 days; it serves Qwen2.5-72B at 5,000 tokens/s for evaluation. The 405B run's "
        "weights, gradients and optimizer state need about 6.5 TB before activations, and "
        "its tensor and pipeline groups must fit a scale-up domain: the performance model "
        "charges every chip its HBM, scale-up link and fabric, so interconnect and memory "
        "decide the plan, not peak FLOPS.",
        "Site limits: 20 MW facility power (a training campus), at least 50% domestic "
        "compute (domestic_share_basis compute), the example's 512 H800 cards of stock and "
        "2,048-card H20 licence (Site allow_restricted = yes).",
        _COMMON,
    ),
)

INFERENCE_FIRST = BundledScenario(
    name="inference-first",
    workloads=(
        _SERVE_72B | {"precision": "int8", "target_tokens_per_s": 300000},
        _SERVE_32B | {"precision": "int8", "target_tokens_per_s": 200000},
        _SERVE_72B
        | {
            "workload_id": "serve-7b",
            "model_id": "r1-distill-qwen-7b",
            "precision": "int8",
            "target_tokens_per_s": 500000,
            "seq_len": 4096,
            "avg_input_tokens": 512,
            "avg_output_tokens": 256,
            "max_tpot_ms": 30,
            "max_ttft_ms": 500,
        },
        {
            "workload_id": "serve-r1",
            "kind": "inference",
            "model_id": "deepseek-r1",
            "precision": "int8",
            "target_tokens_per_s": 100000,
            "seq_len": 8192,
            "avg_input_tokens": 2000,
            "avg_output_tokens": 1000,
            "max_tpot_ms": 50,
            "max_ttft_ms": 3000,
        },
    ),
    site=_SITE,
    max_cards=dict(EXAMPLE_CAPS),
    available=tuple(EXAMPLE_CAPS),
    # Inference demand grows fastest: x1.6 in year 2, x2.5 from year 3.
    ramp={
        wid: (1.0, 1.6, 2.5) for wid in ("serve-qwen72b", "serve-r1-32b", "serve-7b", "serve-r1")
    },
    readme=(
        "Inference first (seed sections 1 and 12: 'cost reduction with inference first: "
        "start from the request latency and throughput targets, choose the platform with "
        "more room for low precision and batching'; section 1: 'KV-cache reuse, batch "
        "scheduling and low-precision formats (FP8/INT8) decide the balance of latency and "
        "cost').",
        "An internet platform serves four models, each under a latency limit: Qwen2.5-72B "
        "chat at 300,000 output tokens/s (TPOT <= 50 ms, TTFT <= 2 s), an R1-distilled 32B "
        "reasoning model at 200,000 tokens/s with long answers (512 in, 2,048 out, 16K "
        "context), a 7B assistant at 500,000 tokens/s under TPOT <= 30 ms and TTFT <= "
        "500 ms, and DeepSeek-R1 itself (671B MoE) at 100,000 tokens/s (2,000 in, 1,000 "
        "out, TPOT <= 50 ms, TTFT <= 3 s), whose weights fill one 8-card server of most "
        "chips: replicas may be expert-parallel across servers, where the scale-out "
        "fabric carries the all-to-all. All four are quantised to INT8 (W8A8): weights "
        "and KV cache take half "
        "the bytes of BF16, so decode, which is memory-bound, fits larger batches; a chip "
        "without a published INT8 figure is not an option. The objective is TCO, i.e. "
        "cost per token at the targets.",
        "Site limits: the example's 10 MW power budget, at least 50% domestic compute, "
        "512 H800 cards of stock and the 2,048-card H20 licence.",
        _COMMON,
    ),
)

DOMESTIC_SUBSTITUTION = BundledScenario(
    name="domestic-substitution",
    workloads=(
        _PRETRAIN_70B | {"train_tokens_b": 2500},
        _SERVE_72B,
        _SERVE_32B | {"target_tokens_per_s": 50000},
    ),
    site=_SITE
    | {
        "allow_restricted": False,
        "min_domestic_share": 1.0,
        "domestic_share_basis": "spend",
        "domestic_share_includes_network": True,
    },
    # Supply risk: the 910C is two 910B dies on SMIC N+2 (seed 4.1: the dual-die route is
    # chosen for yield and supply speed; its details are unofficial), the L600 is a new
    # product line (seed table 5) and the MLU590 launched in 2024: allocations, not list
    # availability, bound what a buyer gets.
    max_cards={"ascend-910c": 384, "ascend-910c-a3": 384, "enflame-l600": 512, "mlu590": 1024},
    # Porting an estate of CUDA models per stack, ordered as the seed's table 8
    # ("migration difficulty") and sections 5.3, 7.1, 12 rank the stacks: Hygon's DTK is
    # CUDA-like (lowest threshold), Cambricon's Torch-MLU backend and Ascend's middleware
    # shorten the ramp, Enflame's new-product ecosystem still needs a PoC. Placeholders
    # of the scenario (low confidence), to replace with the integrator's quote.
    migration_cost={"DTK": 1.2e6, "CANN": 2.5e6, "Neuware": 3.0e6, "TopsRider": 4.0e6},
    ramp={"serve-qwen72b": (1.0, 1.5, 2.0), "serve-r1-32b": (1.0, 1.5, 2.0)},
    readme=(
        "Domestic substitution (seed sections 1 and 12: 'take the migration cost of "
        "programming interfaces and libraries seriously; operator coverage, compiler "
        "optimisation, distributed communication, cluster governance in four steps'; table "
        "8, migration difficulty; section 4.1 on the 910C's dual-die route for yield and "
        "supply).",
        "A state-owned enterprise replaces its CUDA estate: the example's jobs with a "
        "larger pre-train (a 70B model on 2.5T tokens in 90 days, Qwen2.5-72B served at "
        "20,000 tokens/s) plus an "
        "R1-distilled 32B reasoning service at 50,000 tokens/s, all on domestic hardware.",
        "Domestic share: 100% of spend (domestic_share_basis spend, the network included: "
        "domestic_share_includes_network = yes), so the cards, hosts and the scale-out "
        "fabric must all be domestic; no restricted chip is admitted (allow_restricted = "
        "no).",
        "Migration cost: porting the estate costs, once per stack adopted, DTK 1.2M, CANN "
        "2.5M, Neuware 3.0M, TopsRider 4.0M USD (the seed's ranking of migration "
        "difficulty; placeholders to replace with a quote): a second stack must pay for "
        "itself.",
        "Supply risk: allocations cap the cards a buyer gets: Ascend 910C 384 (one "
        "CloudMatrix 384) and as many again in 8-card servers, Enflame L600 512, MLU590 1,024 "
        "(Chips max_cards).",
        _COMMON,
    ),
)

SCENARIOS = (TRAINING_FIRST, INFERENCE_FIRST, DOMESTIC_SUBSTITUTION)
