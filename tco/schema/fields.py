"""The input field table: the single source of truth for every input sheet.

The pydantic row classes (`tco.schema.rows`), the Excel template and its
README sheet (`tco.io.template`), the validator and `docs/inputs.md` are all
generated from the tables below; nothing restates a field by hand.

Each table sheet has the column keys in row 1, a unit and one-line description
in row 2 and data from row 3 (DESIGN 3.4). `Site` is a key/value sheet whose
keys are the fields of `SITE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FieldType = Literal["str", "int", "float", "bool", "enum", "idlist", "currency"]

#: First data row of every table sheet (row 1 keys, row 2 units/descriptions).
FIRST_DATA_ROW = 3

#: A `currency` cell after coercion: an ISO 4217 code, three capital letters.
CURRENCY_PATTERN = "^[A-Z]{3}$"

#: The currency every exchange rate is quoted against, and the default catalog's.
BASE_CURRENCY = "USD"


@dataclass(frozen=True)
class Field:
    """One input column (or one `Site` key).

    `ref` names the sheet whose id column this field must reference, for a
    single id (`type="str"`) or a comma-separated id list (`type="idlist"`).
    Numeric bounds: `gt`/`ge` lower, `lt`/`le` upper. A `currency` field holds
    an ISO 4217 code (`CURRENCY_PATTERN`).
    """

    key: str
    type: FieldType
    unit: str
    description: str
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    ref: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in ("int", "float")

    @property
    def is_money(self) -> bool:
        """An amount of money: its unit names the currency ('currency', 'currency/kW').

        The one definition of what the FX conversion scales and what the
        performance model may ignore.
        """
        return self.is_numeric and "currency" in self.unit

    def range_text(self) -> str:
        """Human-readable allowed range, e.g. '> 0', '0 to 1', 'yes|no'."""
        if self.type == "bool":
            return "yes|no"
        if self.type == "currency":
            return "ISO 4217 code (USD, CNY, EUR ...)"
        if self.choices:
            return "|".join(self.choices)
        parts = []
        if self.gt is not None:
            parts.append(f"> {_num(self.gt)}")
        if self.ge is not None:
            parts.append(f">= {_num(self.ge)}")
        if self.lt is not None:
            parts.append(f"< {_num(self.lt)}")
        if self.le is not None:
            parts.append(f"<= {_num(self.le)}")
        return ", ".join(parts)


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Sheet:
    """One input sheet: a table with an id column, or the key/value `Site` sheet."""

    name: str
    description: str
    fields: tuple[Field, ...]
    id_key: str | None = None  # None for the key/value sheet

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def money_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.is_money)

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.name} has no field {key!r}")


def _id(key: str, what: str) -> Field:
    return Field(key, "str", "id", f"Unique id of the {what} (case-sensitive text)")


def _source() -> Field:
    return Field("source", "str", "text", "Where the figures come from", required=False)


def _currency() -> Field:
    """The currency a priced row is quoted in; validation converts it to the Site currency."""
    return Field(
        "currency",
        "currency",
        "ISO 4217",
        "Currency of this row's money values (blank = USD, the default catalog's); converted "
        "to the Site currency at load with the FX sheet",
        required=False,
        default=BASE_CURRENCY,
    )


def _confidence() -> Field:
    return Field(
        "confidence",
        "enum",
        "-",
        "high = datasheet/primary paper; medium = reputable report; low = placeholder/estimate",
        required=False,
        default="medium",
        choices=("high", "medium", "low"),
    )


SHARE_BASES = ("cards", "compute", "spend")
ORIGINS = ("domestic", "import")
#: Export-control classes of a chip and the site regions they apply to (DESIGN 3.6).
EXPORT_CLASSES = ("unrestricted", "restricted-cn")
REGIONS = ("cn", "global")

CHIPS = Sheet(
    "Chips",
    "One row per accelerator SKU: peak throughput, memory, scale-up link, power, prices and "
    "software maturity.",
    (
        _id("chip_id", "chip"),
        Field("vendor", "str", "text", "Manufacturer"),
        Field("name", "str", "text", "Product name"),
        Field("origin", "enum", "-", "domestic (made in China) or import", choices=ORIGINS),
        Field(
            "available",
            "bool",
            "yes|no",
            "Can be bought for this site (blank = yes; a restricted-cn chip at a cn site "
            "needs an explicit yes and Site allow_restricted = yes)",
            required=False,
        ),
        Field(
            "export_class",
            "enum",
            "-",
            "US export-control class: restricted-cn = not exported to China without a "
            "licence (see Site region)",
            default="unrestricted",
            required=False,
            choices=EXPORT_CLASSES,
        ),
        Field(
            "max_cards",
            "int",
            "cards",
            "Supply cap on cards of this chip (blank = unlimited)",
            required=False,
            ge=0,
        ),
        Field("bf16_tflops", "float", "TFLOP/s", "Dense BF16/FP16 matrix peak (not sparse)", gt=0),
        Field(
            "fp8_tflops",
            "float",
            "TFLOP/s",
            "Dense FP8 peak (blank = FP8 not supported)",
            required=False,
            gt=0,
        ),
        Field(
            "int8_tops",
            "float",
            "TOP/s",
            "Dense INT8 peak (blank = INT8 not supported)",
            required=False,
            gt=0,
        ),
        Field("fp32_tflops", "float", "TFLOP/s", "FP32 peak (informational)", required=False, gt=0),
        Field("memory_gb", "float", "GB", "Device memory per card", gt=0),
        Field("memory_bw_gbs", "float", "GB/s", "Device memory bandwidth per card", gt=0),
        Field(
            "scaleup_link",
            "str",
            "text",
            "Scale-up interconnect (NVLink4, HCCS, MLU-Link, PCIe4 ...)",
        ),
        Field(
            "scaleup_bw_gbs", "float", "GB/s", "Scale-up bandwidth per card, one direction", gt=0
        ),
        Field("scaleup_domain", "int", "cards", "Cards that share the scale-up link", ge=1),
        Field("cards_per_node", "int", "cards", "Cards in one server (node)", ge=1),
        Field(
            "nics_per_node",
            "int",
            "NICs",
            "Scale-out ports per node (blank = one per card)",
            required=False,
            ge=1,
        ),
        Field("tdp_w", "float", "W", "Board power per card", gt=0),
        Field("card_price", "float", "currency", "Price of one card", ge=0),
        Field("node_price", "float", "currency", "Host server without the cards", ge=0),
        Field("node_power_w", "float", "W", "Host server power without the cards", ge=0),
        Field(
            "system_cards",
            "int",
            "cards",
            "Cards per orderable system, bought whole (8 for an HGX or Atlas 800 server, 72 "
            "for GB200 NVL72, 384 for CloudMatrix 384; a multiple of cards_per_node; blank = "
            "cards_per_node). A replica or tensor-parallel group stays inside one system",
            required=False,
            ge=1,
        ),
        Field(
            "system_price",
            "float",
            "currency",
            "Price of one system beyond its cards and host servers: the scale-up fabric "
            "(NVLink switch trays, UB switches and optics), rack and power shelves it ships with",
            default=0.0,
            required=False,
            ge=0,
        ),
        Field(
            "system_power_w",
            "float",
            "W",
            "Power of one system beyond its cards and host servers (scale-up switches, optics)",
            default=0.0,
            required=False,
            ge=0,
        ),
        Field(
            "train_mfu",
            "float",
            "fraction",
            "Model-FLOPs utilisation the software stack reaches on a well-tuned dense transformer",
            gt=0,
            le=1,
        ),
        Field(
            "mem_bw_efficiency",
            "float",
            "fraction",
            "Achieved fraction of memory bandwidth in decode",
            gt=0,
            le=1,
        ),
        Field(
            "fp8_matrix_efficiency",
            "float",
            "fraction",
            "Fraction of the FP8 dense peak the linear-layer GEMMs reach (scaling and casts "
            "included); blank = train_mfu x 0.75 (tco.perf.hardware.FP8_EFFICIENCY_RATIO)",
            required=False,
            gt=0,
            le=1,
        ),
        Field(
            "int8_matrix_efficiency",
            "float",
            "fraction",
            "Fraction of the INT8 dense peak the linear-layer GEMMs reach in serving; "
            "blank = train_mfu x 0.75 (tco.perf.hardware.INT8_EFFICIENCY_RATIO)",
            required=False,
            gt=0,
            le=1,
        ),
        Field(
            "matrix_units",
            "int",
            "units",
            "Matrix engines a GEMM's tiles are spread over (NVIDIA SMs, Ascend AI cores); "
            "with it, training matrix efficiency depends on the per-card GEMM shape "
            "(tco.perf.gemm); blank = one efficiency for every shape",
            required=False,
            ge=1,
        ),
        Field(
            "gemm_tile_elements",
            "int",
            "elements",
            "Output elements of one GEMM tile of the software stack's large-matrix kernels "
            "(128 x 128 = 16,384 on cuBLAS/CUTLASS and CANN); sets with matrix_units the "
            "GEMM size at which efficiency is half its plateau",
            default=16384,
            required=False,
            ge=1,
        ),
        Field(
            "cooling_required",
            "enum",
            "-",
            "any, or liquid when the card cannot be air-cooled",
            default="any",
            required=False,
            choices=("any", "liquid"),
        ),
        Field(
            "integrated_nic",
            "bool",
            "yes|no",
            "Scale-out ports are on the chip (no NIC cards needed), as on Ascend 910B; they are "
            "Ethernet (RoCE), so no InfiniBand fabric is offered",
            default=False,
            required=False,
        ),
        Field(
            "integrated_port_gbps",
            "float",
            "Gbit/s",
            "Speed of each on-chip scale-out port (integrated_nic); a faster fabric runs at "
            "this speed (blank = the fabric's)",
            required=False,
            gt=0,
        ),
        Field("software_stack", "str", "text", "Software stack (CUDA, CANN, Neuware, ...)"),
        Field(
            "migration_cost",
            "float",
            "currency",
            "One-off cost to port the workloads to this stack",
            default=0.0,
            required=False,
            ge=0,
        ),
        Field(
            "available_from_year",
            "int",
            "year",
            "First operating year this chip can be bought for (fleet plans; 1 = today, blank = 1)",
            default=1,
            required=False,
            ge=1,
        ),
        Field(
            "price_change_per_year",
            "float",
            "fraction/yr",
            "Change of the card, host and system prices per year (fleet plans; -0.2 = 20% "
            "cheaper each year; a year-y purchase pays price x (1 + change)^(y - 1))",
            default=0.0,
            required=False,
            gt=-1,
            le=1,
        ),
        Field(
            "lifetime_years",
            "int",
            "years",
            "Years a card and its host serve before retiring (fleet plans: replaced if "
            "still needed; blank = the horizon: no retirement, no residual)",
            required=False,
            ge=1,
        ),
        Field(
            "price_confidence",
            "enum",
            "-",
            "Confidence of card_price/node_price (low = placeholder)",
            default="low",
            required=False,
            choices=("high", "medium", "low"),
        ),
        _currency(),
        _source(),
        _confidence(),
    ),
    id_key="chip_id",
)

FABRICS = Sheet(
    "Fabrics",
    "Scale-out network options: port speed, switch radix, prices and power of switches, NICs, "
    "optics and cables.",
    (
        _id("fabric_id", "fabric"),
        Field(
            "technology",
            "enum",
            "-",
            "Network technology",
            choices=("InfiniBand", "RoCEv2", "Ethernet"),
        ),
        Field("origin", "enum", "-", "domestic or import", choices=ORIGINS),
        Field("port_gbps", "float", "Gbit/s", "Line rate of one endpoint port", gt=0),
        Field("switch_radix", "int", "ports", "Ports per switch", ge=2),
        Field("switch_price", "float", "currency", "Price of one switch", ge=0),
        Field("switch_power_w", "float", "W", "Power of one switch", ge=0),
        Field(
            "nic_price", "float", "currency", "Price of one NIC port (0 for on-chip ports)", ge=0
        ),
        Field("nic_power_w", "float", "W", "Power of one NIC", ge=0),
        Field(
            "optic_price",
            "float",
            "currency",
            "One transceiver; a switch-to-switch link needs two",
            ge=0,
        ),
        Field("cable_price", "float", "currency", "One cable (fibre or DAC)", ge=0),
        Field(
            "efficiency",
            "float",
            "fraction",
            "Achieved fraction of line rate in collectives",
            gt=0,
            le=1,
        ),
        Field(
            "latency_us", "float", "us", "Port-to-port latency", ge=0, required=False, default=1.0
        ),
        Field(
            "oversubscription",
            "float",
            "ratio",
            "Leaf down:up ratio (1 = non-blocking)",
            ge=1,
            default=1.0,
            required=False,
        ),
        Field(
            "lifetime_years",
            "int",
            "years",
            "Years the fabric's switches, optics and cables serve before retiring (fleet "
            "plans: replaced if still needed; blank = the horizon: no retirement, no residual)",
            required=False,
            ge=1,
        ),
        Field(
            "compatible_chips",
            "idlist",
            "chip ids",
            "Chips this fabric serves (blank = all, else comma-separated chip ids)",
            required=False,
            ref="Chips",
        ),
        _currency(),
        _source(),
        _confidence(),
    ),
    id_key="fabric_id",
)

COOLING = Sheet(
    "Cooling",
    "Cooling options: PUE, rack density limit, plant capex and rack price.",
    (
        _id("cooling_id", "cooling option"),
        Field(
            "technology",
            "enum",
            "-",
            "Cooling technology",
            choices=("air", "cold-plate liquid", "immersion"),
        ),
        Field(
            "pue", "float", "ratio", "Power usage effectiveness (facility kW / IT kW)", ge=1, le=3
        ),
        Field("max_rack_kw", "float", "kW", "IT power one rack can carry", gt=0),
        Field("capex_per_kw", "float", "currency/kW", "Cooling plant per kW of IT load", ge=0),
        Field("rack_price", "float", "currency", "One rack with power distribution", ge=0),
        Field("nodes_per_rack_max", "int", "nodes", "Physical node slots per rack", ge=1),
        Field(
            "lifetime_years",
            "int",
            "years",
            "Years the cooling plant and racks serve before retiring (fleet plans: "
            "replaced if still needed; blank = the horizon: no retirement, no residual)",
            required=False,
            ge=1,
        ),
        _currency(),
        _source(),
        _confidence(),
    ),
    id_key="cooling_id",
)

MODELS = Sheet(
    "Models",
    "Model architectures: parameters, layers and attention shape for memory and FLOPs.",
    (
        _id("model_id", "model"),
        Field("params_b", "float", "billion", "Total parameters", gt=0),
        Field(
            "active_params_b",
            "float",
            "billion",
            "Parameters active per token (MoE; = params_b for dense)",
            gt=0,
        ),
        Field("layers", "int", "-", "Transformer layers", ge=1),
        Field("hidden", "int", "-", "Hidden size", ge=1),
        Field("heads", "int", "-", "Attention heads", ge=1),
        Field("kv_heads", "int", "-", "Key/value heads (GQA; = heads for MHA)", ge=1),
        Field("head_dim", "int", "-", "Dimension of one head", ge=1),
        Field(
            "kv_bytes_per_token",
            "float",
            "bytes",
            "KV-cache bytes per token override "
            "(e.g. MLA), at bf16 when a workload sets kv_cache_precision (scaled by its "
            "bytes a value); blank = 2 x layers x kv_heads x head_dim x bytes",
            required=False,
            gt=0,
        ),
        Field(
            "experts",
            "int",
            "-",
            "Routed experts per MoE layer (blank = dense model; with experts_per_token and "
            "expert_ffn)",
            required=False,
            ge=2,
        ),
        Field(
            "experts_per_token",
            "int",
            "-",
            "Routed experts each token is sent to (top-k)",
            required=False,
            ge=1,
        ),
        Field(
            "shared_experts",
            "int",
            "-",
            "Experts every token passes through besides the routed ones (dense compute)",
            required=False,
            ge=0,
            default=0,
        ),
        Field(
            "expert_ffn",
            "int",
            "-",
            "Intermediate size of one expert's gated FFN (3 x hidden x expert_ffn weights)",
            required=False,
            ge=1,
        ),
        Field(
            "moe_layers",
            "int",
            "-",
            "Layers with routed experts (blank = every layer; the others are dense)",
            required=False,
            ge=1,
        ),
        _source(),
    ),
    id_key="model_id",
)

WORKLOADS = Sheet(
    "Workloads",
    "Training and inference workloads the cluster must serve, with their targets and SLOs.",
    (
        _id("workload_id", "workload"),
        Field("kind", "enum", "-", "training or inference", choices=("training", "inference")),
        Field("model_id", "str", "id", "Model architecture (Models.model_id)", ref="Models"),
        Field("precision", "enum", "-", "Numeric precision", choices=("bf16", "fp8", "int8")),
        Field(
            "target_tokens_per_s",
            "float",
            "tokens/s",
            "Throughput target (inference: "
            "output tokens/s; training: alternative to train_tokens_b/deadline_days)",
            required=False,
            gt=0,
        ),
        Field(
            "train_tokens_b",
            "float",
            "billion tokens",
            "Training: tokens to train on",
            required=False,
            gt=0,
        ),
        Field(
            "deadline_days",
            "float",
            "days",
            "Training: wall-clock days available",
            required=False,
            gt=0,
        ),
        Field(
            "seq_len",
            "int",
            "tokens",
            "Sequence length (training) or context limit",
            ge=1,
            default=4096,
            required=False,
        ),
        Field(
            "global_batch_tokens",
            "float",
            "tokens",
            "Training: tokens per optimizer step",
            required=False,
            gt=0,
        ),
        Field(
            "recompute",
            "enum",
            "-",
            "Training: activation recomputation; auto lets the layout search choose, full or "
            "selective pins what the training framework supports",
            default="auto",
            required=False,
            choices=("auto", "full", "selective"),
        ),
        Field(
            "avg_input_tokens",
            "float",
            "tokens",
            "Inference: mean prompt length",
            required=False,
            gt=0,
        ),
        Field(
            "avg_output_tokens",
            "float",
            "tokens",
            "Inference: mean generated tokens",
            required=False,
            gt=0,
        ),
        Field(
            "max_tpot_ms",
            "float",
            "ms",
            "Inference: time-per-output-token limit",
            required=False,
            gt=0,
        ),
        Field(
            "kv_cache_precision",
            "enum",
            "-",
            "Inference: precision the KV cache is stored at; blank = the workload precision, "
            "except for a model with a kv_bytes_per_token override (MLA), taken as given "
            "(bf16: DeepSeek's block-FP8 checkpoint carries no KV scales). "
            "Engines keep it at bf16 unless told or the checkpoint carries KV scales (vLLM and "
            "SGLang kv_cache_dtype auto; NVIDIA ModelOpt FP8 checkpoints carry FP8 KV), so a "
            "W8A8 or block-FP8 deployment usually holds a bf16 cache: twice the bytes a token",
            choices=("bf16", "fp8", "int8"),
            required=False,
        ),
        Field(
            "draft_tokens",
            "int",
            "tokens",
            "Inference: speculative tokens proposed per decode step and request (DeepSeek "
            "MTP, EAGLE, a draft model), verified in the same step; 0 = no speculative "
            "decoding",
            default=0,
            required=False,
            ge=0,
        ),
        Field(
            "acceptance_length",
            "float",
            "tokens",
            "Inference with draft_tokens: mean tokens a decode step emits per request, the "
            "verified token included (the serving engine's accept length; at most "
            "draft_tokens + 1)",
            required=False,
            ge=1,
        ),
        Field(
            "max_ttft_ms",
            "float",
            "ms",
            "Inference: time-to-first-token limit",
            required=False,
            gt=0,
        ),
        Field(
            "allowed_chips",
            "idlist",
            "chip ids",
            "Chips allowed (blank = any)",
            required=False,
            ref="Chips",
        ),
        Field(
            "allow_mixed",
            "bool",
            "yes|no",
            "Training: the workload may be split over several chip types, one job per part "
            "(blank = no: a training job stays on one chip type; inference always may mix, up "
            "to Site max_options_per_workload)",
            default=False,
            required=False,
        ),
        Field(
            "demand_growth_per_year",
            "float",
            "fraction/yr",
            "Fleet plans: the target grows by this fraction each year, target x (1 + growth)^"
            "(year - 1), where the Demand sheet has no row for the year (blank = flat)",
            required=False,
            gt=-1,
            le=10,
        ),
    ),
    id_key="workload_id",
)

SITE = Sheet(
    "Site",
    "Site and finance assumptions, one key per row (key, value, unit, description).",
    (
        Field(
            "currency",
            "currency",
            "ISO 4217",
            "Reporting currency: every result and the Site money values (electricity price, "
            "facility capex, capex budget) are in it; rows priced in another currency are "
            "converted with the FX sheet",
            default=BASE_CURRENCY,
            required=False,
        ),
        Field(
            "horizon_years",
            "int",
            "years",
            "Planning horizon of the TCO",
            ge=1,
            le=30,
            default=5,
            required=False,
        ),
        Field(
            "discount_rate",
            "float",
            "fraction/yr",
            "Discount rate for present value",
            ge=0,
            lt=1,
            default=0.08,
            required=False,
        ),
        Field("electricity_price_per_kwh", "float", "currency/kWh", "Electricity price", ge=0),
        Field(
            "utilization",
            "float",
            "fraction",
            "Average power draw as a fraction of peak",
            gt=0,
            le=1,
            default=0.8,
            required=False,
        ),
        Field(
            "facility_capex_per_kw",
            "float",
            "currency/kW",
            "Data-hall build cost per kW of facility power",
            ge=0,
            default=0.0,
            required=False,
        ),
        Field(
            "maintenance_rate",
            "float",
            "fraction/yr",
            "Yearly maintenance as a fraction of hardware capex",
            ge=0,
            le=1,
            default=0.03,
            required=False,
        ),
        Field(
            "power_budget_kw",
            "float",
            "kW",
            "Facility power limit (blank = none)",
            required=False,
            gt=0,
        ),
        Field(
            "max_racks",
            "int",
            "racks",
            "Rack positions available (blank = none)",
            required=False,
            ge=0,
        ),
        Field(
            "capex_budget", "float", "currency", "Capex limit (blank = none)", required=False, gt=0
        ),
        Field(
            "min_domestic_share",
            "float",
            "fraction",
            "Minimum domestic share, measured on domestic_share_basis",
            ge=0,
            le=1,
            default=0.0,
            required=False,
        ),
        Field(
            "max_options_per_workload",
            "int",
            "options",
            "Most (chip, fabric, cooling) pools that may serve one workload at once; 1 = one "
            "homogeneous pool per workload",
            default=1,
            required=False,
            ge=1,
            le=10,
        ),
        Field(
            "domestic_share_basis",
            "enum",
            "-",
            "What the domestic share counts: compute (cards x bf16_tflops), as Chinese "
            "procurement rules are usually read; cards; spend (card, host and system purchase)",
            choices=SHARE_BASES,
            default="compute",
            required=False,
        ),
        Field(
            "domestic_share_includes_network",
            "bool",
            "yes|no",
            "On the spend basis, count the scale-out network too (NICs, switches, optics, "
            "cables), domestic when the fabric's origin is: each pool's network purchase as "
            "bought, its Clos at the fewest tiers its ports need",
            default=False,
            required=False,
        ),
        Field(
            "region",
            "enum",
            "-",
            "Where the site is: cn (China: chips of export_class restricted-cn are "
            "unavailable) or global (export control does not apply)",
            choices=REGIONS,
            default="cn",
            required=False,
        ),
        Field(
            "allow_restricted",
            "bool",
            "yes|no",
            "In region cn, admit a restricted-cn chip whose available cell says yes (stock on "
            "hand, a licence)",
            default=False,
            required=False,
        ),
        Field(
            "comm_overlap",
            "float",
            "fraction",
            "Share of data-parallel communication hidden behind compute",
            ge=0,
            le=1,
            default=0.5,
            required=False,
        ),
        Field(
            "tp_comm_overlap",
            "float",
            "fraction",
            "Share of tensor-parallel all-reduce time hidden behind GEMMs (Megatron "
            "--tp-comm-overlap / Transformer Engine userbuffers; 0 = all exposed)",
            ge=0,
            le=1,
            default=0.0,
            required=False,
        ),
        Field(
            "pd_disaggregation",
            "enum",
            "-",
            "Inference: allowed lets a workload be served by units of separate prefill and "
            "decode replicas (DeepSeek, SGLang, CloudMatrix384 deployments) where they make "
            "more tokens per card; no keeps prefill and decode on the same replicas",
            default="no",
            required=False,
            choices=("no", "allowed"),
        ),
        Field(
            "moe_gemm_efficiency",
            "float",
            "fraction",
            "Expert (grouped) GEMMs' share of the chip's dense matrix efficiency beyond their "
            "mean shape (tco.perf.gemm): the experts' token counts vary step by step, and the "
            "token permutation around the grouped GEMM adds memory-bound work",
            gt=0,
            le=1,
            default=0.8,
            required=False,
        ),
        Field(
            "moe_load_imbalance",
            "float",
            "ratio",
            "Tokens of the busiest expert-parallel rank over the mean (1 = perfect balance); "
            "the busiest rank sets the MoE layer's time",
            ge=1,
            default=1.1,
            required=False,
        ),
        Field(
            "moe_train_overhead_ms",
            "float",
            "ms",
            "Training: fixed time of one MoE layer a microbatch, forward and backward "
            "together, on every card: the router, the token permutation and the "
            "dispatcher's host synchronisation launch many small kernels that a small "
            "microbatch cannot amortise (host-bound fine-grained MoE; CUDA graphs of the "
            "router and dispatch preprocessing shrink it; 0 = none)",
            ge=0,
            default=4.0,
            required=False,
        ),
        Field(
            "moe_train_expert_overhead_us",
            "float",
            "us",
            "Training: fixed time of each expert a card holds, per MoE layer and microbatch, "
            "forward and backward together: the expert's own GEMM launches (two forward, "
            "four backward) that expert parallelism divides among the ranks (0 = none)",
            ge=0,
            default=60.0,
            required=False,
        ),
        Field(
            "moe_serve_overhead_ms",
            "float",
            "ms",
            "Inference: fixed time of one MoE layer a serving iteration with every expert "
            "reached (the router, the dispatch and combine calls and the grouped-GEMM "
            "launches of mixed prefill/decode iterations, which engines run outside CUDA "
            "graphs), times the share of experts the iteration's tokens reach; it eats "
            "into a tight TPOT limit (0 = none)",
            ge=0,
            default=0.3,
            required=False,
        ),
        Field(
            "serve_max_batched_tokens",
            "int",
            "tokens",
            "Inference: token budget of one serving iteration of one scheduler (a "
            "tensor-parallel replica, or one attention data-parallel rank of an "
            "expert-parallel replica): its decode tokens plus the prefill it carries. It caps "
            "the batch, and a prompt arriving with budget to spare is prefilled in chunks of "
            "up to the rest, which shortens TTFT at the cost of slower iterations while it "
            "runs (vLLM's max_num_batched_tokens, 8192 by default for its API server on "
            "cards of 70 GiB or more; SGLang's chunked_prefill_size)",
            ge=1,
            default=8192,
            required=False,
        ),
        Field(
            "ep_comm_overlap",
            "float",
            "fraction",
            "Share of expert-parallel all-to-all time hidden behind compute (two-micro-batch "
            "overlap as in DeepSeek-V3 DualPipe and SGLang two-batch overlap; 0 = all exposed)",
            ge=0,
            le=1,
            default=0.0,
            required=False,
        ),
        Field(
            "memory_headroom",
            "float",
            "fraction",
            "Device memory kept free for activations and fragmentation",
            ge=0,
            lt=1,
            default=0.1,
            required=False,
        ),
        Field(
            "mip_gap",
            "float",
            "fraction",
            "Relative optimality gap at which the solver stops",
            ge=0,
            le=1,
            default=1e-4,
            required=False,
        ),
        Field(
            "time_limit_s",
            "float",
            "s",
            "Time limit for the whole run (model build, every solve, the alternatives)",
            gt=0,
            default=60.0,
            required=False,
        ),
    ),
)

UNCERTAINTY = Sheet(
    "Uncertainty",
    "Published ranges for numeric inputs; the nominal value stays in its own sheet.",
    (
        Field(
            "sheet",
            "enum",
            "-",
            "Sheet of the uncertain value",
            choices=("Chips", "Fabrics", "Cooling", "Models", "Workloads", "Site"),
        ),
        Field("row_id", "str", "id", "Id of the row (Site: the key)"),
        Field("field", "str", "column key", "Numeric column of that row (Site: value)"),
        Field("low", "float", "field unit", "Low end of the range"),
        Field("high", "float", "field unit", "High end of the range"),
        Field(
            "distribution",
            "enum",
            "-",
            "Shape of the range: uniform, triangular or PERT (beta); the last two peak at the "
            "nominal value",
            default="uniform",
            required=False,
            choices=("uniform", "triangular", "pert"),
        ),
        Field(
            "group",
            "str",
            "text",
            "Rows with the same group are drawn together (one shared quantile): one import-price "
            "shock, one vendor's specs; blank = drawn on its own",
            required=False,
        ),
        Field(
            "currency",
            "currency",
            "ISO 4217",
            "Currency of low and high when the field is money (the default catalog's ranges "
            "are USD, so they stay right when a row is repriced in another currency); blank = "
            "the currency of the row holding the value; converted with the FX sheet",
            required=False,
        ),
        _source(),
    ),
)

FX = Sheet(
    "FX",
    "Exchange rates that convert rows priced in another currency (their currency column) into "
    "the Site currency, once at load: value in Site currency = value / units_per_usd of the "
    "row's currency x units_per_usd of the Site currency. USD is always 1 and need not be "
    "listed. Optional sheet.",
    (
        Field("currency", "currency", "ISO 4217", "Currency the rate is for"),
        Field("units_per_usd", "float", "units/USD", "Units of this currency per US dollar", gt=0),
        _source(),
    ),
    id_key="currency",
)

DEMAND = Sheet(
    "Demand",
    "Throughput targets per operating year (years 1..horizon_years): a fleet is planned "
    "year by year, bought in tranches as demand grows. A year without a row keeps the last "
    "row's target before it (before the first row: the Workloads target, grown by "
    "demand_growth_per_year when given). Optional sheet: without it (and without growth, "
    "lifetimes or price changes) the plan is one purchase today.",
    (
        Field("workload_id", "str", "id", "Workload (Workloads.workload_id)", ref="Workloads"),
        Field("year", "int", "year", "Operating year, 1 = the first year", ge=1),
        Field(
            "target_tokens_per_s",
            "float",
            "tokens/s",
            "Throughput target in that year (inference: output tokens/s; training: tokens/s "
            "trained)",
            gt=0,
        ),
        _source(),
    ),
)

#: Table sheets in workbook order (Site, Uncertainty and the optional FX and Demand last).
SHEETS: tuple[Sheet, ...] = (
    CHIPS,
    FABRICS,
    COOLING,
    MODELS,
    WORKLOADS,
    SITE,
    UNCERTAINTY,
    FX,
    DEMAND,
)
SHEETS_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}

#: Sheets with prices, each row quoted in its own `currency`: what FX conversion scales.
PRICED_SHEETS: tuple[Sheet, ...] = (CHIPS, FABRICS, COOLING)

#: Columns of the key/value Site sheet.
SITE_COLUMNS = ("key", "value", "unit", "description")
