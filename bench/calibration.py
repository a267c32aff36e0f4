"""Today's performance model against `tco/data/measurements.csv` (issue 11 item 6).

Run `python -m bench.calibration`. Each row is rebuilt from the default
catalog (its chip, fabric and, when `model_id` is set, its model; otherwise the
architecture columns of the row) and evaluated with `training_curve` or
`inference_estimate`, unchanged. The table shows predicted vs measured and
the relative error (predicted / measured - 1) per row, then the mean absolute
error per split and kind. Rows the model cannot express are listed with the
reason instead of a number: MoE rows whose expert shape is not published,
serving rows without their request shape, and precisions a catalog chip lacks.
A serving row of one phase of a prefill/decode-disaggregated deployment
(`phase` decode or prefill) is evaluated on the best replica of that phase
alone (`tco.perf.disaggregated.phase_replicas`); a latency point at concurrency 1
on one request alone on the row's cards (`lone_request_tpot_s`: output tokens/s a
card = 1 / TPOT / cards). Other fixed concurrencies are not expressible.

Metrics (column `metric`):
  tokens_per_s_per_card  training tokens/s per card
  model_tflops_per_card  predicted tokens/s/card x flops_per_token / 1e12
  mfu                    predicted tokens/s/card x flops_per_token / bf16 peak
  output_tokens_per_s_per_card, input_tokens_per_s_per_card  serving
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from tco.data.catalog import DEFAULT_CATALOG
from tco.perf.disaggregated import phase_replicas
from tco.perf.inference import inference_estimate, lone_request_tpot_s
from tco.perf.training import TrainingStep, flops_per_token, training_curve
from tco.schema.inputs import inputs_from_dicts
from tco.schema.rows import ChipRow, ModelRow

ARCH_COLUMNS = ("params_b", "active_params_b", "layers", "hidden", "heads", "kv_heads", "head_dim")
SPLITS = ("fit", "test")


@dataclass(frozen=True)
class Result:
    row: dict[str, str]
    predicted: float | None
    reason: str = ""

    @property
    def measured(self) -> float:
        return float(self.row["value"])

    @property
    def error(self) -> float | None:
        return None if self.predicted is None else self.predicted / self.measured - 1


def load_measurements() -> list[dict[str, str]]:
    text = (files("tco.data") / "measurements.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _catalog_row(sheet: str, key: str, value: str) -> dict[str, Any]:
    for row in DEFAULT_CATALOG[sheet]:
        if row[key] == value:
            return copy.deepcopy(row)
    raise KeyError(f"{sheet} has no {key} {value!r}")


def _model_row(row: dict[str, str]) -> dict[str, Any]:
    if row["model_id"]:
        return _catalog_row("Models", "model_id", row["model_id"])
    model: dict[str, Any] = {"model_id": row["id"]}
    for column in ARCH_COLUMNS:
        cell = row[column]
        model[column] = float(cell) if column.endswith("_b") else int(cell)
    return model


def _inputs(row: dict[str, str], workload: dict[str, Any]) -> Any:
    chip = _catalog_row("Chips", "chip_id", row["chip_id"])
    chip.pop("max_cards", None)
    fabric = _catalog_row("Fabrics", "fabric_id", row["fabric_id"] or "ib-ndr400")
    fabric.pop("compatible_chips", None)
    model = _model_row(row)
    workload = {"workload_id": "w", "model_id": model["model_id"], **workload}
    return inputs_from_dicts(
        {
            "Chips": [chip],
            "Fabrics": [fabric],
            "Cooling": copy.deepcopy(DEFAULT_CATALOG["Cooling"]),
            "Models": [model],
            "Workloads": [workload],
        },
        {"electricity_price_per_kwh": 0.1, "region": "global"},  # measurements, not a plan
    )


def _parts(inputs: Any) -> tuple[Any, Any, Any, Any, Any]:
    w = next(iter(inputs.workloads.values()))
    return (
        w,
        inputs.models[w.model_id],
        next(iter(inputs.chips.values())),
        next(iter(inputs.fabrics.values())),
        inputs.site,
    )


def _why_not(row: dict[str, str]) -> str:
    if row["moe"] == "yes" and not row["model_id"]:
        return "not expressible: MoE shape (experts, expert FFN size) not published"
    if row["kind"] == "serving":
        if row["concurrency"] and row["concurrency"] != "1":
            return (
                f"not expressible: a latency point at a fixed concurrency of "
                f"{row['concurrency']} (the model gives the largest batch under the TPOT bound)"
            )
        if not row["input_tokens"] or not row["output_tokens"]:
            return "not expressible: request shape (input and output tokens) not published"
        if row["metric"] == "input_tokens_per_s_per_card" and row["phase"] != "prefill":
            return "not expressible: prefill throughput of a colocated replica"
        return ""
    if not row["seq_len"] or not row["global_batch_tokens"]:
        return "not expressible: sequence length or batch not published"
    return ""


def training_step(row: dict[str, str]) -> tuple[TrainingStep, ModelRow, ChipRow]:
    """The model's best layout for a training row at its card count, with the row's model
    and chip."""
    inputs = _inputs(
        row,
        {
            "kind": "training",
            "precision": row["precision"],
            "target_tokens_per_s": 1.0,
            "seq_len": int(row["seq_len"]),
            "global_batch_tokens": float(row["global_batch_tokens"]),
        },
    )
    w, m, c, f, s = _parts(inputs)
    return training_curve(w, m, c, f, s).step_at_cards(int(row["cards"])), m, c


def evaluate(row: dict[str, str]) -> Result:
    reason = _why_not(row)
    if reason:
        return Result(row, None, reason)
    if row["kind"] == "training":
        step, m, c = training_step(row)
        if not step.feasible:
            return Result(row, None, f"infeasible in the model: {step.reason}")
        per_card = step.tokens_per_s / int(row["cards"])
        metric = row["metric"]
        if metric == "tokens_per_s_per_card":
            return Result(row, per_card)
        flops = per_card * flops_per_token(m, int(row["seq_len"]))
        if metric == "model_tflops_per_card":
            return Result(row, flops / 1e12)
        if metric == "mfu":
            return Result(row, flops / (c.bf16_tflops * 1e12))
        return Result(row, None, f"not expressible: metric {metric}")
    inputs = _inputs(
        row,
        {
            "kind": "inference",
            "precision": row["precision"],
            "target_tokens_per_s": 1.0,
            "avg_input_tokens": float(row["input_tokens"]),
            "avg_output_tokens": float(row["output_tokens"]),
            # No published bound (a prefill figure): unbounded, which the Workloads sheet
            # spells as a limit no iteration reaches.
            "max_tpot_ms": float(row["tpot_ms"]) if row["tpot_ms"] else 1e9,
            **(
                {"kv_cache_precision": row["kv_cache_precision"]}
                if row["kv_cache_precision"]
                else {}
            ),
            **(
                {
                    "draft_tokens": int(row["draft_tokens"]),
                    "acceptance_length": float(row["acceptance_length"]),
                }
                if row["draft_tokens"]
                else {}
            ),
        },
    )
    w, m, c, f, s = _parts(inputs)
    if row["concurrency"] == "1":
        # A latency point: one request alone on the row's cards (a tensor-parallel replica).
        cards = int(row["cards"])
        return Result(row, 1.0 / lone_request_tpot_s(w, m, c, s, cards) / cards)
    if row["phase"]:
        # One phase of a prefill/decode-disaggregated deployment: its best replica alone.
        decode, prefill = phase_replicas(w, m, c, s, f)
        phase = decode if row["phase"] == "decode" else prefill
        if phase is None:
            return Result(row, None, f"infeasible in the model: no {row['phase']} replica")
        return Result(row, phase.per_card)
    result = inference_estimate(w, m, c, s, f)
    if not result.feasible:
        return Result(row, None, f"infeasible in the model: {result.reason}")
    return Result(row, result.tokens_per_s_per_card)


def evaluate_all() -> list[Result]:
    return [evaluate(row) for row in load_measurements()]


def mean_abs_errors(results: list[Result]) -> dict[tuple[str, str], tuple[float, int]]:
    """(split, kind) -> (mean |relative error|, rows) over the expressible rows."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if r.error is not None:
            groups.setdefault((r.row["split"], r.row["kind"]), []).append(abs(r.error))
    return {key: (sum(v) / len(v), len(v)) for key, v in sorted(groups.items())}


def _number(x: float) -> str:
    return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"


def report(results: list[Result]) -> str:
    lines = []
    for split in SPLITS:
        lines.append(f"## split: {split}")
        lines.append("| id | kind | metric | measured | predicted | error |")
        lines.append("|---|---|---|---:|---:|---:|")
        for r in results:
            if r.row["split"] != split:
                continue
            predicted = _number(r.predicted) if r.predicted is not None else r.reason
            error = f"{r.error:+.0%}" if r.error is not None else ""
            lines.append(
                f"| {r.row['id']} | {r.row['kind']} | {r.row['metric']} "
                f"| {_number(r.measured)} | {predicted} | {error} |"
            )
        lines.append("")
    lines.append("## mean absolute relative error (expressible rows)")
    lines.append("| split | kind | rows | MAE |")
    lines.append("|---|---|---:|---:|")
    for (split, kind), (mae, n) in mean_abs_errors(results).items():
        lines.append(f"| {split} | {kind} | {n} | {mae:.0%} |")
    skipped = sum(r.predicted is None for r in results)
    lines.append("")
    evaluated = len(results) - skipped
    lines.append(f"{evaluated} rows evaluated, {skipped} not expressible or infeasible")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(evaluate_all()))
