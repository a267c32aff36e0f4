"""Typed row classes, one per input sheet; they are the runtime pydantic models.

Generated from `tco/schema/fields.py` by `python -m tco.schema.rows_gen`; do not edit.
Frozen, and extra columns are refused, so a row is exactly its sheet's fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class ChipRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Chips. One row per accelerator SKU: peak throughput, memory, scale-up
    link, power, prices and software maturity."""

    chip_id: Annotated[str, Field(min_length=1)]
    """Unique id of the chip (case-sensitive text) [id]."""

    vendor: Annotated[str, Field(min_length=1)]
    """Manufacturer."""

    name: Annotated[str, Field(min_length=1)]
    """Product name."""

    origin: Literal["domestic", "import"]
    """domestic (made in China) or import."""

    available: bool | None = None
    """Can be bought for this site (blank = yes; a restricted-cn chip at a cn site needs an
    explicit yes and Site allow_restricted = yes)."""

    export_class: Literal["unrestricted", "restricted-cn"] = "unrestricted"
    """US export-control class: restricted-cn = not exported to China without a licence (see Site
    region)."""

    max_cards: Annotated[int, Field(ge=0)] | None = None
    """Supply cap on cards of this chip (blank = unlimited) [cards]."""

    bf16_tflops: Annotated[float, Field(gt=0)]
    """Dense BF16/FP16 matrix peak (not sparse) [TFLOP/s]."""

    fp8_tflops: Annotated[float, Field(gt=0)] | None = None
    """Dense FP8 peak (blank = FP8 not supported) [TFLOP/s]."""

    int8_tops: Annotated[float, Field(gt=0)] | None = None
    """Dense INT8 peak (blank = INT8 not supported) [TOP/s]."""

    fp32_tflops: Annotated[float, Field(gt=0)] | None = None
    """FP32 peak (informational) [TFLOP/s]."""

    memory_gb: Annotated[float, Field(gt=0)]
    """Device memory per card [GB]."""

    memory_bw_gbs: Annotated[float, Field(gt=0)]
    """Device memory bandwidth per card [GB/s]."""

    scaleup_link: Annotated[str, Field(min_length=1)]
    """Scale-up interconnect (NVLink4, HCCS, MLU-Link, PCIe4 ...)."""

    scaleup_bw_gbs: Annotated[float, Field(gt=0)]
    """Scale-up bandwidth per card, one direction [GB/s]."""

    scaleup_domain: Annotated[int, Field(ge=1)]
    """Cards that share the scale-up link [cards]."""

    cards_per_node: Annotated[int, Field(ge=1)]
    """Cards in one server (node) [cards]."""

    nics_per_node: Annotated[int, Field(ge=1)] | None = None
    """Scale-out ports per node (blank = one per card) [NICs]."""

    tdp_w: Annotated[float, Field(gt=0)]
    """Board power per card [W]."""

    card_price: Annotated[float, Field(ge=0)]
    """Price of one card [currency]."""

    node_price: Annotated[float, Field(ge=0)]
    """Host server without the cards [currency]."""

    node_power_w: Annotated[float, Field(ge=0)]
    """Host server power without the cards [W]."""

    system_cards: Annotated[int, Field(ge=1)] | None = None
    """Cards per orderable system, bought whole (8 for an HGX or Atlas 800 server, 72 for GB200
    NVL72, 384 for CloudMatrix 384; a multiple of cards_per_node; blank = cards_per_node). A
    replica or tensor-parallel group stays inside one system [cards]."""

    system_price: Annotated[float, Field(ge=0)] = 0.0
    """Price of one system beyond its cards and host servers: the scale-up fabric (NVLink switch
    trays, UB switches and optics), rack and power shelves it ships with [currency]."""

    system_power_w: Annotated[float, Field(ge=0)] = 0.0
    """Power of one system beyond its cards and host servers (scale-up switches, optics) [W]."""

    train_mfu: Annotated[float, Field(gt=0, le=1)]
    """Model-FLOPs utilisation the software stack reaches on a well-tuned dense transformer
    [fraction]."""

    mem_bw_efficiency: Annotated[float, Field(gt=0, le=1)]
    """Achieved fraction of memory bandwidth in decode [fraction]."""

    fp8_matrix_efficiency: Annotated[float, Field(gt=0, le=1)] | None = None
    """Fraction of the FP8 dense peak the linear-layer GEMMs reach (scaling and casts included);
    blank = train_mfu x 0.75 (tco.perf.hardware.FP8_EFFICIENCY_RATIO) [fraction]."""

    int8_matrix_efficiency: Annotated[float, Field(gt=0, le=1)] | None = None
    """Fraction of the INT8 dense peak the linear-layer GEMMs reach in serving; blank = train_mfu
    x 0.75 (tco.perf.hardware.INT8_EFFICIENCY_RATIO) [fraction]."""

    matrix_units: Annotated[int, Field(ge=1)] | None = None
    """Matrix engines a GEMM's tiles are spread over (NVIDIA SMs, Ascend AI cores); with it,
    training matrix efficiency depends on the per-card GEMM shape (tco.perf.gemm); blank = one
    efficiency for every shape [units]."""

    gemm_tile_elements: Annotated[int, Field(ge=1)] = 16384
    """Output elements of one GEMM tile of the software stack's large-matrix kernels (128 x 128 =
    16,384 on cuBLAS/CUTLASS and CANN); sets with matrix_units the GEMM size at which
    efficiency is half its plateau [elements]."""

    cooling_required: Literal["any", "liquid"] = "any"
    """any, or liquid when the card cannot be air-cooled."""

    integrated_nic: bool = False
    """Scale-out ports are on the chip (no NIC cards needed), as on Ascend 910B; they are
    Ethernet (RoCE), so no InfiniBand fabric is offered."""

    integrated_port_gbps: Annotated[float, Field(gt=0)] | None = None
    """Speed of each on-chip scale-out port (integrated_nic); a faster fabric runs at this speed
    (blank = the fabric's) [Gbit/s]."""

    software_stack: Annotated[str, Field(min_length=1)]
    """Software stack (CUDA, CANN, Neuware, ...)."""

    migration_cost: Annotated[float, Field(ge=0)] = 0.0
    """One-off cost to port the workloads to this stack [currency]."""

    available_from_year: Annotated[int, Field(ge=1)] = 1
    """First operating year this chip can be bought for (fleet plans; 1 = today, blank = 1)
    [year]."""

    price_change_per_year: Annotated[float, Field(gt=-1, le=1)] = 0.0
    """Change of the card, host and system prices per year (fleet plans; -0.2 = 20% cheaper each
    year; a year-y purchase pays price x (1 + change)^(y - 1)) [fraction/yr]."""

    lifetime_years: Annotated[int, Field(ge=1)] | None = None
    """Years a card and its host serve before retiring (fleet plans: replaced if still needed;
    blank = the horizon: no retirement, no residual) [years]."""

    price_confidence: Literal["high", "medium", "low"] = "low"
    """Confidence of card_price/node_price (low = placeholder)."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "USD"
    """Currency of this row's money values (blank = USD, the default catalog's); converted to the
    Site currency at load with the FX sheet [ISO 4217]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""

    confidence: Literal["high", "medium", "low"] = "medium"
    """high = datasheet/primary paper; medium = reputable report; low = placeholder/estimate."""


class FabricRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Fabrics. Scale-out network options: port speed, switch radix, prices
    and power of switches, NICs, optics and cables."""

    fabric_id: Annotated[str, Field(min_length=1)]
    """Unique id of the fabric (case-sensitive text) [id]."""

    technology: Literal["InfiniBand", "RoCEv2", "Ethernet"]
    """Network technology."""

    origin: Literal["domestic", "import"]
    """domestic or import."""

    port_gbps: Annotated[float, Field(gt=0)]
    """Line rate of one endpoint port [Gbit/s]."""

    switch_radix: Annotated[int, Field(ge=2)]
    """Ports per switch [ports]."""

    switch_price: Annotated[float, Field(ge=0)]
    """Price of one switch [currency]."""

    switch_power_w: Annotated[float, Field(ge=0)]
    """Power of one switch [W]."""

    nic_price: Annotated[float, Field(ge=0)]
    """Price of one NIC port (0 for on-chip ports) [currency]."""

    nic_power_w: Annotated[float, Field(ge=0)]
    """Power of one NIC [W]."""

    optic_price: Annotated[float, Field(ge=0)]
    """One transceiver; a switch-to-switch link needs two [currency]."""

    cable_price: Annotated[float, Field(ge=0)]
    """One cable (fibre or DAC) [currency]."""

    efficiency: Annotated[float, Field(gt=0, le=1)]
    """Achieved fraction of line rate in collectives [fraction]."""

    latency_us: Annotated[float, Field(ge=0)] = 1.0
    """Port-to-port latency [us]."""

    oversubscription: Annotated[float, Field(ge=1)] = 1.0
    """Leaf down:up ratio (1 = non-blocking) [ratio]."""

    lifetime_years: Annotated[int, Field(ge=1)] | None = None
    """Years the fabric's switches, optics and cables serve before retiring (fleet plans:
    replaced if still needed; blank = the horizon: no retirement, no residual) [years]."""

    compatible_chips: tuple[str, ...] | None = None
    """Chips this fabric serves (blank = all, else comma-separated chip ids) [chip ids]."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "USD"
    """Currency of this row's money values (blank = USD, the default catalog's); converted to the
    Site currency at load with the FX sheet [ISO 4217]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""

    confidence: Literal["high", "medium", "low"] = "medium"
    """high = datasheet/primary paper; medium = reputable report; low = placeholder/estimate."""


class CoolingRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Cooling. Cooling options: PUE, rack density limit, plant capex and rack
    price."""

    cooling_id: Annotated[str, Field(min_length=1)]
    """Unique id of the cooling option (case-sensitive text) [id]."""

    technology: Literal["air", "cold-plate liquid", "immersion"]
    """Cooling technology."""

    pue: Annotated[float, Field(ge=1, le=3)]
    """Power usage effectiveness (facility kW / IT kW) [ratio]."""

    max_rack_kw: Annotated[float, Field(gt=0)]
    """IT power one rack can carry [kW]."""

    capex_per_kw: Annotated[float, Field(ge=0)]
    """Cooling plant per kW of IT load [currency/kW]."""

    rack_price: Annotated[float, Field(ge=0)]
    """One rack with power distribution [currency]."""

    nodes_per_rack_max: Annotated[int, Field(ge=1)]
    """Physical node slots per rack [nodes]."""

    lifetime_years: Annotated[int, Field(ge=1)] | None = None
    """Years the cooling plant and racks serve before retiring (fleet plans: replaced if still
    needed; blank = the horizon: no retirement, no residual) [years]."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "USD"
    """Currency of this row's money values (blank = USD, the default catalog's); converted to the
    Site currency at load with the FX sheet [ISO 4217]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""

    confidence: Literal["high", "medium", "low"] = "medium"
    """high = datasheet/primary paper; medium = reputable report; low = placeholder/estimate."""


class ModelRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Models. Model architectures: parameters, layers and attention shape for
    memory and FLOPs."""

    model_id: Annotated[str, Field(min_length=1)]
    """Unique id of the model (case-sensitive text) [id]."""

    params_b: Annotated[float, Field(gt=0)]
    """Total parameters [billion]."""

    active_params_b: Annotated[float, Field(gt=0)]
    """Parameters active per token (MoE; = params_b for dense) [billion]."""

    layers: Annotated[int, Field(ge=1)]
    """Transformer layers."""

    hidden: Annotated[int, Field(ge=1)]
    """Hidden size."""

    heads: Annotated[int, Field(ge=1)]
    """Attention heads."""

    kv_heads: Annotated[int, Field(ge=1)]
    """Key/value heads (GQA; = heads for MHA)."""

    head_dim: Annotated[int, Field(ge=1)]
    """Dimension of one head."""

    kv_bytes_per_token: Annotated[float, Field(gt=0)] | None = None
    """KV-cache bytes per token override (e.g. MLA), at bf16 when a workload sets
    kv_cache_precision (scaled by its bytes a value); blank = 2 x layers x kv_heads x head_dim
    x bytes [bytes]."""

    experts: Annotated[int, Field(ge=2)] | None = None
    """Routed experts per MoE layer (blank = dense model; with experts_per_token and expert_ffn)."""

    experts_per_token: Annotated[int, Field(ge=1)] | None = None
    """Routed experts each token is sent to (top-k)."""

    shared_experts: Annotated[int, Field(ge=0)] = 0
    """Experts every token passes through besides the routed ones (dense compute)."""

    expert_ffn: Annotated[int, Field(ge=1)] | None = None
    """Intermediate size of one expert's gated FFN (3 x hidden x expert_ffn weights)."""

    moe_layers: Annotated[int, Field(ge=1)] | None = None
    """Layers with routed experts (blank = every layer; the others are dense)."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""


class WorkloadRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Workloads. Training and inference workloads the cluster must serve,
    with their targets and SLOs."""

    workload_id: Annotated[str, Field(min_length=1)]
    """Unique id of the workload (case-sensitive text) [id]."""

    kind: Literal["training", "inference"]
    """training or inference."""

    model_id: Annotated[str, Field(min_length=1)]
    """Model architecture (Models.model_id) [id]."""

    precision: Literal["bf16", "fp8", "int8"]
    """Numeric precision."""

    target_tokens_per_s: Annotated[float, Field(gt=0)] | None = None
    """Throughput target (inference: output tokens/s; training: alternative to
    train_tokens_b/deadline_days) [tokens/s]."""

    train_tokens_b: Annotated[float, Field(gt=0)] | None = None
    """Training: tokens to train on [billion tokens]."""

    deadline_days: Annotated[float, Field(gt=0)] | None = None
    """Training: wall-clock days available [days]."""

    seq_len: Annotated[int, Field(ge=1)] = 4096
    """Sequence length (training) or context limit [tokens]."""

    global_batch_tokens: Annotated[float, Field(gt=0)] | None = None
    """Training: tokens per optimizer step [tokens]."""

    recompute: Literal["auto", "full", "selective"] = "auto"
    """Training: activation recomputation; auto lets the layout search choose, full or selective
    pins what the training framework supports."""

    avg_input_tokens: Annotated[float, Field(gt=0)] | None = None
    """Inference: mean prompt length [tokens]."""

    avg_output_tokens: Annotated[float, Field(gt=0)] | None = None
    """Inference: mean generated tokens [tokens]."""

    max_tpot_ms: Annotated[float, Field(gt=0)] | None = None
    """Inference: time-per-output-token limit [ms]."""

    kv_cache_precision: Literal["bf16", "fp8", "int8"] | None = None
    """Inference: precision the KV cache is stored at; blank = the workload precision, except for
    a model with a kv_bytes_per_token override (MLA), taken as given (bf16: DeepSeek's block-
    FP8 checkpoint carries no KV scales). Engines keep it at bf16 unless told or the
    checkpoint carries KV scales (vLLM and SGLang kv_cache_dtype auto; NVIDIA ModelOpt FP8
    checkpoints carry FP8 KV), so a W8A8 or block-FP8 deployment usually holds a bf16 cache:
    twice the bytes a token."""

    draft_tokens: Annotated[int, Field(ge=0)] = 0
    """Inference: speculative tokens proposed per decode step and request (DeepSeek MTP, EAGLE, a
    draft model), verified in the same step; 0 = no speculative decoding [tokens]."""

    acceptance_length: Annotated[float, Field(ge=1)] | None = None
    """Inference with draft_tokens: mean tokens a decode step emits per request, the verified
    token included (the serving engine's accept length; at most draft_tokens + 1) [tokens]."""

    max_ttft_ms: Annotated[float, Field(gt=0)] | None = None
    """Inference: time-to-first-token limit [ms]."""

    allowed_chips: tuple[str, ...] | None = None
    """Chips allowed (blank = any) [chip ids]."""

    allow_mixed: bool = False
    """Training: the workload may be split over several chip types, one job per part (blank = no:
    a training job stays on one chip type; inference always may mix, up to Site
    max_options_per_workload)."""

    demand_growth_per_year: Annotated[float, Field(gt=-1, le=10)] | None = None
    """Fleet plans: the target grows by this fraction each year, target x (1 + growth)^(year -
    1), where the Demand sheet has no row for the year (blank = flat) [fraction/yr]."""


class SiteRow(BaseModel, extra="forbid", frozen=True):
    """The validated Site sheet. Site and finance assumptions, one key per row (key, value, unit,
    description)."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "USD"
    """Reporting currency: every result and the Site money values (electricity price, facility
    capex, capex budget) are in it; rows priced in another currency are converted with the FX
    sheet [ISO 4217]."""

    horizon_years: Annotated[int, Field(ge=1, le=30)] = 5
    """Planning horizon of the TCO [years]."""

    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.08
    """Discount rate for present value [fraction/yr]."""

    electricity_price_per_kwh: Annotated[float, Field(ge=0)]
    """Electricity price [currency/kWh]."""

    utilization: Annotated[float, Field(gt=0, le=1)] = 0.8
    """Average power draw as a fraction of peak [fraction]."""

    facility_capex_per_kw: Annotated[float, Field(ge=0)] = 0.0
    """Data-hall build cost per kW of facility power [currency/kW]."""

    maintenance_rate: Annotated[float, Field(ge=0, le=1)] = 0.03
    """Yearly maintenance as a fraction of hardware capex [fraction/yr]."""

    power_budget_kw: Annotated[float, Field(gt=0)] | None = None
    """Facility power limit (blank = none) [kW]."""

    max_racks: Annotated[int, Field(ge=0)] | None = None
    """Rack positions available (blank = none) [racks]."""

    capex_budget: Annotated[float, Field(gt=0)] | None = None
    """Capex limit (blank = none) [currency]."""

    min_domestic_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Minimum domestic share, measured on domestic_share_basis [fraction]."""

    max_options_per_workload: Annotated[int, Field(ge=1, le=10)] = 1
    """Most (chip, fabric, cooling) pools that may serve one workload at once; 1 = one
    homogeneous pool per workload [options]."""

    domestic_share_basis: Literal["cards", "compute", "spend"] = "compute"
    """What the domestic share counts: compute (cards x bf16_tflops), as Chinese procurement
    rules are usually read; cards; spend (card, host and system purchase)."""

    domestic_share_includes_network: bool = False
    """On the spend basis, count the scale-out network too (NICs, switches, optics, cables),
    domestic when the fabric's origin is: each pool's network purchase as bought, its Clos at
    the fewest tiers its ports need."""

    region: Literal["cn", "global"] = "cn"
    """Where the site is: cn (China: chips of export_class restricted-cn are unavailable) or
    global (export control does not apply)."""

    allow_restricted: bool = False
    """In region cn, admit a restricted-cn chip whose available cell says yes (stock on hand, a
    licence)."""

    comm_overlap: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Share of data-parallel communication hidden behind compute [fraction]."""

    tp_comm_overlap: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of tensor-parallel all-reduce time hidden behind GEMMs (Megatron --tp-comm-overlap /
    Transformer Engine userbuffers; 0 = all exposed) [fraction]."""

    pd_disaggregation: Literal["no", "allowed"] = "no"
    """Inference: allowed lets a workload be served by units of separate prefill and decode
    replicas (DeepSeek, SGLang, CloudMatrix384 deployments) where they make more tokens per
    card; no keeps prefill and decode on the same replicas."""

    moe_gemm_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.8
    """Expert (grouped) GEMMs' share of the chip's dense matrix efficiency beyond their mean
    shape (tco.perf.gemm): the experts' token counts vary step by step, and the token
    permutation around the grouped GEMM adds memory-bound work [fraction]."""

    moe_load_imbalance: Annotated[float, Field(ge=1)] = 1.1
    """Tokens of the busiest expert-parallel rank over the mean (1 = perfect balance); the
    busiest rank sets the MoE layer's time [ratio]."""

    moe_train_overhead_ms: Annotated[float, Field(ge=0)] = 4.0
    """Training: fixed time of one MoE layer a microbatch, forward and backward together, on
    every card: the router, the token permutation and the dispatcher's host synchronisation
    launch many small kernels that a small microbatch cannot amortise (host-bound fine-grained
    MoE; CUDA graphs of the router and dispatch preprocessing shrink it; 0 = none) [ms]."""

    moe_train_expert_overhead_us: Annotated[float, Field(ge=0)] = 60.0
    """Training: fixed time of each expert a card holds, per MoE layer and microbatch, forward
    and backward together: the expert's own GEMM launches (two forward, four backward) that
    expert parallelism divides among the ranks (0 = none) [us]."""

    moe_serve_overhead_ms: Annotated[float, Field(ge=0)] = 0.3
    """Inference: fixed time of one MoE layer a serving iteration with every expert reached (the
    router, the dispatch and combine calls and the grouped-GEMM launches of mixed
    prefill/decode iterations, which engines run outside CUDA graphs), times the share of
    experts the iteration's tokens reach; it eats into a tight TPOT limit (0 = none) [ms]."""

    serve_max_batched_tokens: Annotated[int, Field(ge=1)] = 8192
    """Inference: token budget of one serving iteration of one scheduler (a tensor-parallel
    replica, or one attention data-parallel rank of an expert-parallel replica): its decode
    tokens plus the prefill it carries. It caps the batch, and a prompt arriving with budget
    to spare is prefilled in chunks of up to the rest, which shortens TTFT at the cost of
    slower iterations while it runs (vLLM's max_num_batched_tokens, 8192 by default for its
    API server on cards of 70 GiB or more; SGLang's chunked_prefill_size) [tokens]."""

    ep_comm_overlap: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of expert-parallel all-to-all time hidden behind compute (two-micro-batch overlap as
    in DeepSeek-V3 DualPipe and SGLang two-batch overlap; 0 = all exposed) [fraction]."""

    memory_headroom: Annotated[float, Field(ge=0, lt=1)] = 0.1
    """Device memory kept free for activations and fragmentation [fraction]."""

    mip_gap: Annotated[float, Field(ge=0, le=1)] = 0.0001
    """Relative optimality gap at which the solver stops [fraction]."""

    time_limit_s: Annotated[float, Field(gt=0)] = 60.0
    """Time limit for the whole run (model build, every solve, the alternatives) [s]."""


class UncertaintyRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Uncertainty. Published ranges for numeric inputs; the nominal value
    stays in its own sheet."""

    sheet: Literal["Chips", "Fabrics", "Cooling", "Models", "Workloads", "Site"]
    """Sheet of the uncertain value."""

    row_id: Annotated[str, Field(min_length=1)]
    """Id of the row (Site: the key) [id]."""

    field: Annotated[str, Field(min_length=1)]
    """Numeric column of that row (Site: value) [column key]."""

    low: float
    """Low end of the range [field unit]."""

    high: float
    """High end of the range [field unit]."""

    distribution: Literal["uniform", "triangular", "pert"] = "uniform"
    """Shape of the range: uniform, triangular or PERT (beta); the last two peak at the nominal
    value."""

    group: Annotated[str, Field(min_length=1)] | None = None
    """Rows with the same group are drawn together (one shared quantile): one import-price shock,
    one vendor's specs; blank = drawn on its own."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] | None = None
    """Currency of low and high when the field is money (the default catalog's ranges are USD, so
    they stay right when a row is repriced in another currency); blank = the currency of the
    row holding the value; converted with the FX sheet [ISO 4217]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""


class FxRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of FX. Exchange rates that convert rows priced in another currency (their
    currency column) into the Site currency, once at load: value in Site currency = value /
    units_per_usd of the row's currency x units_per_usd of the Site currency. USD is always 1
    and need not be listed. Optional sheet."""

    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")]
    """Currency the rate is for [ISO 4217]."""

    units_per_usd: Annotated[float, Field(gt=0)]
    """Units of this currency per US dollar [units/USD]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""


class DemandRow(BaseModel, extra="forbid", frozen=True):
    """A validated row of Demand. Throughput targets per operating year (years 1..horizon_years):
    a fleet is planned year by year, bought in tranches as demand grows. A year without a row
    keeps the last row's target before it (before the first row: the Workloads target, grown
    by demand_growth_per_year when given). Optional sheet: without it (and without growth,
    lifetimes or price changes) the plan is one purchase today."""

    workload_id: Annotated[str, Field(min_length=1)]
    """Workload (Workloads.workload_id) [id]."""

    year: Annotated[int, Field(ge=1)]
    """Operating year, 1 = the first year [year]."""

    target_tokens_per_s: Annotated[float, Field(gt=0)]
    """Throughput target in that year (inference: output tokens/s; training: tokens/s trained)
    [tokens/s]."""

    source: Annotated[str, Field(min_length=1)] | None = None
    """Where the figures come from."""
