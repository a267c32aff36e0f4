"""Small hand-made inputs for tests: plain dicts that validate, to be varied per test."""

from __future__ import annotations

import copy
from typing import Any

from tco.schema.inputs import PlanningInputs, inputs_from_dicts

CHIP: dict[str, Any] = dict(
    chip_id="h100",
    vendor="NVIDIA",
    name="H100",
    origin="import",
    bf16_tflops=989.5,
    fp8_tflops=1979.0,
    memory_gb=80,
    memory_bw_gbs=3350,
    scaleup_link="NVLink4",
    scaleup_bw_gbs=450,
    scaleup_domain=8,
    cards_per_node=8,
    tdp_w=700,
    card_price=25000,
    node_price=50000,
    node_power_w=4600,
    train_mfu=0.4,
    mem_bw_efficiency=0.8,
    software_stack="CUDA",
    price_confidence="medium",
)
DOMESTIC: dict[str, Any] = dict(
    CHIP,
    chip_id="ascend",
    vendor="Huawei",
    name="Ascend 910B",
    origin="domestic",
    bf16_tflops=320.0,
    fp8_tflops=None,
    int8_tops=640.0,
    memory_gb=64,
    memory_bw_gbs=1600,
    scaleup_link="HCCS",
    scaleup_bw_gbs=196,
    tdp_w=400,
    card_price=15000,
    node_price=35000,
    node_power_w=3000,
    train_mfu=0.3,
    mem_bw_efficiency=0.55,
    software_stack="CANN",
    migration_cost=1_500_000,
    price_confidence="low",
)
FABRIC: dict[str, Any] = dict(
    fabric_id="ib",
    technology="InfiniBand",
    origin="import",
    port_gbps=400,
    switch_radix=64,
    switch_price=40000,
    switch_power_w=1500,
    nic_price=2000,
    nic_power_w=25,
    optic_price=700,
    cable_price=100,
    efficiency=0.9,
)
COOLING: dict[str, Any] = dict(
    cooling_id="air",
    technology="air",
    pue=1.4,
    max_rack_kw=40,
    capex_per_kw=1500,
    rack_price=5000,
    nodes_per_rack_max=4,
)
MODEL: dict[str, Any] = dict(
    model_id="llama-2-70b",
    params_b=69,
    active_params_b=69,
    layers=80,
    hidden=8192,
    heads=64,
    kv_heads=8,
    head_dim=128,
)
INFERENCE: dict[str, Any] = dict(
    workload_id="chat",
    kind="inference",
    model_id="llama-2-70b",
    precision="bf16",
    target_tokens_per_s=10000,
    avg_input_tokens=1000,
    avg_output_tokens=500,
    max_tpot_ms=50,
    max_ttft_ms=2000,
)
TRAINING: dict[str, Any] = dict(
    workload_id="train",
    kind="training",
    model_id="llama-2-70b",
    precision="bf16",
    train_tokens_b=100,
    deadline_days=30,
    seq_len=4096,
    global_batch_tokens=4194304,
)
SITE: dict[str, Any] = {"electricity_price_per_kwh": 0.1}


def sheets(**overrides: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    base = {
        "Chips": [CHIP, DOMESTIC],
        "Fabrics": [FABRIC],
        "Cooling": [COOLING],
        "Models": [MODEL],
        "Workloads": [INFERENCE],
    }
    base.update(overrides)
    return copy.deepcopy(base)


def make_inputs(
    site: dict[str, Any] | None = None, **overrides: list[dict[str, Any]]
) -> PlanningInputs:
    return inputs_from_dicts(sheets(**overrides), {**SITE, **(site or {})})
