"""The performance model against published runs (docs/performance-model.md, section 5).

Each case builds the published hardware as a chip row with the calibrated
efficiencies documented in the docs (CALIBRATED below) and compares the
model's tokens/s per card with the published figure. Tolerances: 25% for
training, 35% for inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tco.perf.inference import inference_estimate
from tco.perf.training import training_curve

from test_perf_helpers import chip, fabric, make_inputs, model, parts, serving, training

TRAINING_TOLERANCE = 0.25
INFERENCE_TOLERANCE = 0.35

#: Calibrated efficiencies (catalog columns) per chip; see the docs.
CALIBRATED = {
    "a100": {"train_mfu": 0.575, "mem_bw_efficiency": 0.8},
    "h100": {"train_mfu": 0.575, "mem_bw_efficiency": 0.8},
    "h200": {"train_mfu": 0.575, "mem_bw_efficiency": 0.8},
}

#: Published hardware (reference/published_figures.csv chip_spec and interconnect rows).
A100_80 = {
    "bf16_tflops": 312.0,
    "fp8_tflops": None,
    "memory_gb": 80.0,
    "memory_bw_gbs": 2039.0,
    "scaleup_bw_gbs": 300.0,
    **CALIBRATED["a100"],
}
A100_40 = {**A100_80, "memory_gb": 40.0, "memory_bw_gbs": 1555.0}
H100 = {
    "bf16_tflops": 989.5,
    "fp8_tflops": 1979.0,
    "memory_gb": 80.0,
    "memory_bw_gbs": 3350.0,
    "scaleup_bw_gbs": 450.0,
    **CALIBRATED["h100"],
}
H200 = {**H100, "memory_gb": 141.0, "memory_bw_gbs": 4800.0, **CALIBRATED["h200"]}
#: 8 x HDR 200 Gbit/s per node, NCCL efficiency 84.8/100 (nccl-tests issue #119).
HDR200 = {"port_gbps": 200.0, "efficiency": 0.85}
#: 8 x NDR 400 Gbit/s per node, 47/50 GB/s per NIC (nccl-tests issue #290).
NDR400 = {"port_gbps": 400.0, "efficiency": 0.94}


def megatron_tokens_per_gpu(tflops: float, layers: int, hidden: int, seq: int, vocab: int) -> float:
    """Megatron's hardware TFLOP/s to tokens/s: 96 l h^2 (1 + s/6h + V/16lh) FLOP/token."""
    per_token = 96 * layers * hidden**2 * (1 + seq / (6 * hidden) + vocab / (16 * layers * hidden))
    return tflops * 1e12 / per_token


@dataclass(frozen=True)
class TrainingCase:
    name: str
    gpus: int
    published_tokens_per_gpu: float
    hardware: dict[str, Any]
    network: dict[str, Any]
    model: dict[str, Any]
    seq_len: int
    batch_tokens: float
    source: str
    asserted: bool = True
    #: Activation recomputation of the published run ("auto": not stated).
    recompute: str = "auto"


def _megatron(
    name: str,
    gpus: int,
    tflops: float,
    params_b: float,
    layers: int,
    hidden: int,
    heads: int,
    batch_seqs: int,
    asserted: bool = True,
) -> TrainingCase:
    return TrainingCase(
        name,
        gpus,
        megatron_tokens_per_gpu(tflops, layers, hidden, 2048, 51200),
        A100_80,
        HDR200,
        {
            "params_b": params_b,
            "active_params_b": params_b,
            "layers": layers,
            "hidden": hidden,
            "heads": heads,
            "kv_heads": heads,
            "head_dim": hidden // heads,
        },
        2048,
        batch_seqs * 2048.0,
        f"Narayanan et al. 2021 Table 1: {tflops:g} TFLOP/s/GPU",
        asserted,
        recompute="full",  # Sec. 3.5: activation recomputation in every run
    )


TRAINING_CASES = [
    _megatron("Megatron GPT 1T", 3072, 163, 1008.0, 128, 25600, 160, 3072),
    _megatron("Megatron GPT 530B", 2520, 163, 529.6, 105, 20480, 128, 2520),
    _megatron("Megatron GPT 146B", 1536, 148, 145.6, 80, 12288, 96, 2304),
    # Reported, not asserted: the paper ran 18B at a fixed TP=8 (weak-scaling table,
    # 43% of peak, its lowest); the model picks a faster layout (docs section 5).
    _megatron("Megatron GPT 18B", 256, 135, 18.4, 40, 6144, 48, 1024, asserted=False),
    TrainingCase(
        "LLaMA-1 65B",
        2048,
        380.0,
        A100_80,
        HDR200,
        {
            "params_b": 65.2,
            "active_params_b": 65.2,
            "layers": 80,
            "hidden": 8192,
            "heads": 64,
            "kv_heads": 64,
            "head_dim": 128,
        },
        2048,
        4e6,
        "Touvron et al. 2023 Sec. 2.4: 380 tokens/s/GPU",
    ),
    TrainingCase(
        "Llama 2 70B (2048 GPUs assumed)",
        2048,
        2e12 / (1_720_320 * 3600),
        A100_80,
        HDR200,
        {
            "params_b": 69.0,
            "active_params_b": 69.0,
            "layers": 80,
            "hidden": 8192,
            "heads": 64,
            "kv_heads": 8,
            "head_dim": 128,
        },
        4096,
        4e6,
        "Llama 2 model card: 1,720,320 GPU-h for 2T tokens",
    ),
    # Reported, not asserted: MPT-7B and SmolLM3 give wall-clock days for the whole run,
    # evaluations, checkpoints and restarts included, not a throughput (docs section 5).
    TrainingCase(
        "MPT-7B",
        440,
        1e12 / (9.5 * 86400 * 440),
        A100_40,
        HDR200,
        {
            "params_b": 6.7,
            "active_params_b": 6.7,
            "layers": 32,
            "hidden": 4096,
            "heads": 32,
            "kv_heads": 32,
            "head_dim": 128,
        },
        2048,
        1760 * 2048.0,
        "databricks.com/blog/mpt-7b: 1T tokens, 9.5 days, 440 GPUs",
        asserted=False,
    ),
    TrainingCase(
        "SmolLM3 3B",
        384,
        11.2e12 / (24 * 86400 * 384),
        H100,
        NDR400,
        {
            "params_b": 3.08,
            "active_params_b": 3.08,
            "layers": 36,
            "hidden": 2048,
            "heads": 16,
            "kv_heads": 4,
            "head_dim": 128,
        },
        4096,
        2.36e6,
        "huggingface.co/blog/smollm3: 11.2T tokens, 24 days, 384 GPUs",
        asserted=False,
    ),
]


@dataclass(frozen=True)
class InferenceCase:
    name: str
    gpus: int
    published_tokens_per_gpu: float
    hardware: dict[str, Any]
    model: dict[str, Any]
    input_tokens: float
    output_tokens: float
    source: str


LLAMA_70B = {
    "params_b": 69.0,
    "active_params_b": 69.0,
    "layers": 80,
    "hidden": 8192,
    "heads": 64,
    "kv_heads": 8,
    "head_dim": 128,
}

INFERENCE_CASES = [
    InferenceCase(
        "MLPerf v4.1 Llama-2-70B Offline, DGX H100 FP8",
        8,
        24524.9 / 8,
        H100,
        LLAMA_70B,
        294.0,
        290.0,
        "mlperf inference_results_v4.1, 24,524.9 tokens/s",
    ),
    InferenceCase(
        "HGX H200 Llama 3 70B FP8 (NVIDIA economics example)",
        8,
        24000 / 8,
        H200,
        {**LLAMA_70B, "params_b": 70.6, "active_params_b": 70.6},
        294.0,
        290.0,
        "blogs.nvidia.com: 24,000 tokens/s per 8-GPU server",
    ),
]


def predict_training(case: TrainingCase) -> float:
    inputs = make_inputs(
        chips=[chip(**case.hardware)],
        fabrics=[fabric(**case.network)],
        models=[model(**case.model)],
        workloads=[
            training(
                seq_len=case.seq_len,
                global_batch_tokens=case.batch_tokens,
                recompute=case.recompute,
            )
        ],
    )
    curve = training_curve(*parts(inputs))
    step = curve.step_at_cards(case.gpus)
    assert step.feasible, step.reason
    return step.tokens_per_s / case.gpus


def predict_inference(case: InferenceCase) -> float:
    inputs = make_inputs(
        chips=[chip(**case.hardware)],
        models=[model(**case.model)],
        workloads=[
            serving(
                precision="fp8",
                avg_input_tokens=case.input_tokens,
                avg_output_tokens=case.output_tokens,
                max_tpot_ms=1000.0,
            )
        ],
    )
    w, m, c, _, s = parts(inputs)
    result = inference_estimate(w, m, c, s)
    assert result.feasible, result.reason
    return result.tokens_per_s_per_card


@pytest.mark.parametrize("case", [c for c in TRAINING_CASES if c.asserted], ids=lambda c: c.name)
def test_training_matches_published(case: TrainingCase) -> None:
    predicted = predict_training(case)
    error = predicted / case.published_tokens_per_gpu - 1
    assert abs(error) <= TRAINING_TOLERANCE, (predicted, case.published_tokens_per_gpu)


@pytest.mark.parametrize("case", INFERENCE_CASES, ids=lambda c: c.name)
def test_inference_matches_published(case: InferenceCase) -> None:
    predicted = predict_inference(case)
    error = predicted / case.published_tokens_per_gpu - 1
    assert abs(error) <= INFERENCE_TOLERANCE, (predicted, case.published_tokens_per_gpu)


def calibration_table() -> list[tuple[str, float, float, float]]:
    """(case, published, predicted, relative error) rows for the docs table."""
    rows = []
    for t in TRAINING_CASES:
        p = predict_training(t)
        rows.append((t.name, t.published_tokens_per_gpu, p, p / t.published_tokens_per_gpu - 1))
    for i in INFERENCE_CASES:
        p = predict_inference(i)
        rows.append((i.name, i.published_tokens_per_gpu, p, p / i.published_tokens_per_gpu - 1))
    return rows


if __name__ == "__main__":
    for name, published, predicted, error in calibration_table():
        print(f"| {name} | {published:,.0f} | {predicted:,.0f} | {error:+.0%} |")
