"""Builders of small validated inputs for the perf tests (no tests here).

Rows are plain dicts passed through `inputs_from_dicts`, so the perf model
sees exactly what a workbook would give it.
"""

from __future__ import annotations

from typing import Any

from tco.schema.inputs import PlanningInputs, inputs_from_dicts


def chip(**overrides: Any) -> dict[str, Any]:
    """An H100-SXM-like chip with round numbers; override any column."""
    row: dict[str, Any] = {
        "chip_id": "c",
        "vendor": "v",
        "name": "n",
        "origin": "import",
        "bf16_tflops": 1000.0,
        "fp8_tflops": 2000.0,
        "int8_tops": 2000.0,
        "memory_gb": 80.0,
        "memory_bw_gbs": 3000.0,
        "scaleup_link": "NVLink",
        "scaleup_bw_gbs": 450.0,
        "scaleup_domain": 8,
        "cards_per_node": 8,
        "tdp_w": 700.0,
        "card_price": 25000.0,
        "node_price": 50000.0,
        "node_power_w": 4600.0,
        "train_mfu": 0.5,
        "mem_bw_efficiency": 0.8,
        "software_stack": "CUDA",
    }
    row.update(overrides)
    return row


def fabric(**overrides: Any) -> dict[str, Any]:
    """A 400 Gbit/s fabric at 90% efficiency."""
    row: dict[str, Any] = {
        "fabric_id": "f",
        "technology": "InfiniBand",
        "origin": "import",
        "port_gbps": 400.0,
        "switch_radix": 64,
        "switch_price": 1.0,
        "switch_power_w": 1.0,
        "nic_price": 1.0,
        "nic_power_w": 1.0,
        "optic_price": 1.0,
        "cable_price": 1.0,
        "efficiency": 0.9,
    }
    row.update(overrides)
    return row


def model(**overrides: Any) -> dict[str, Any]:
    """Llama-2-70B shape (80 layers, hidden 8192, 64 heads, 8 KV heads of 128)."""
    row: dict[str, Any] = {
        "model_id": "m",
        "params_b": 70.0,
        "active_params_b": 70.0,
        "layers": 80,
        "hidden": 8192,
        "heads": 64,
        "kv_heads": 8,
        "head_dim": 128,
    }
    row.update(overrides)
    return row


def training(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "workload_id": "w",
        "kind": "training",
        "model_id": "m",
        "precision": "bf16",
        "target_tokens_per_s": 1e6,
        "seq_len": 4096,
        "global_batch_tokens": 4 * 2**20,
    }
    row.update(overrides)
    return row


def serving(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "workload_id": "w",
        "kind": "inference",
        "model_id": "m",
        "precision": "bf16",
        "target_tokens_per_s": 1e4,
        "avg_input_tokens": 1000.0,
        "avg_output_tokens": 200.0,
        "max_tpot_ms": 50.0,
    }
    row.update(overrides)
    return row


COOLING = {
    "cooling_id": "air",
    "technology": "air",
    "pue": 1.3,
    "max_rack_kw": 40.0,
    "capex_per_kw": 0.0,
    "rack_price": 0.0,
    "nodes_per_rack_max": 4,
}


def make_inputs(
    chips: list[dict[str, Any]] | None = None,
    fabrics: list[dict[str, Any]] | None = None,
    models: list[dict[str, Any]] | None = None,
    workloads: list[dict[str, Any]] | None = None,
    **site: Any,
) -> PlanningInputs:
    """Validated inputs from rows (defaults: one of each builder) and Site overrides."""
    return inputs_from_dicts(
        {
            "Chips": chips or [chip()],
            "Fabrics": fabrics or [fabric()],
            "Cooling": [COOLING],
            "Models": models or [model()],
            "Workloads": workloads or [training()],
        },
        {"electricity_price_per_kwh": 0.1, **site},
    )


def parts(inputs: PlanningInputs) -> tuple[Any, Any, Any, Any, Any]:
    """(workload, model, chip, fabric, site) of single-row inputs."""
    w = next(iter(inputs.workloads.values()))
    return (
        w,
        inputs.models[w.model_id],
        next(iter(inputs.chips.values())),
        next(iter(inputs.fabrics.values())),
        inputs.site,
    )
