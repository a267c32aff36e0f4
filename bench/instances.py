"""Generated planning instances for benchmarks and solver-limit tests.

`large_instance` scales the default catalog to 60 chips x 8 fabrics x 3
coolings x 12 workloads by perturbing catalog rows deterministically
(seeded), so timings are repeatable across runs and machines.
"""

from __future__ import annotations

import copy
import itertools
import random
from typing import Any, cast

from tco.data.catalog import DEFAULT_CATALOG
from tco.data.examples import EXAMPLE_SITE
from tco.schema.inputs import PlanningInputs, inputs_from_dicts

_MODELS = (
    "llama-3.1-70b",
    "qwen2.5-72b",
    "r1-distill-qwen-32b",
    "r1-distill-qwen-14b",
    "r1-distill-qwen-7b",
    "llama-2-70b",
)


def large_sheets(
    chips: int = 60,
    fabrics: int = 8,
    workloads: int = 12,
    seed: int = 7,
    interleave: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Sheets of a large instance: catalog rows cloned with +-20% price/power/speed.

    `interleave` alternates domestic and import base chips (the catalog lists the
    domestic ones first), so a small instance holds both kinds.
    """
    rng = random.Random(seed)
    base_chips = [c for c in DEFAULT_CATALOG["Chips"] if c.get("cooling_required") != "liquid"]
    if interleave:
        domestic = [c for c in base_chips if c["origin"] == "domestic"]
        imported = [c for c in base_chips if c["origin"] != "domestic"]
        base_chips = [
            c for pair in itertools.zip_longest(domestic, imported) for c in pair if c is not None
        ]
    chip_rows = []
    for i in range(chips):
        row = copy.deepcopy(base_chips[i % len(base_chips)])
        if i >= len(base_chips):
            row["chip_id"] = f"{row['chip_id']}-v{i // len(base_chips)}"
            for key in ("card_price", "node_price", "tdp_w", "bf16_tflops", "memory_bw_gbs"):
                row[key] = round(cast(float, row[key]) * rng.uniform(0.8, 1.2), 2)
        row["available"] = True
        row.pop("max_cards", None)
        chip_rows.append(row)
    fabric_rows = []
    base_fabrics = [f for f in DEFAULT_CATALOG["Fabrics"] if not f.get("compatible_chips")]
    for i in range(fabrics):
        row = copy.deepcopy(base_fabrics[i % len(base_fabrics)])
        if i >= len(base_fabrics):
            row["fabric_id"] = f"{row['fabric_id']}-v{i // len(base_fabrics)}"
            for key in ("switch_price", "nic_price", "optic_price"):
                row[key] = round(cast(float, row[key]) * rng.uniform(0.8, 1.2), 2)
        fabric_rows.append(row)
    workload_rows = []
    for i in range(workloads):
        model = _MODELS[i % len(_MODELS)]
        if i % 3 == 0:
            workload_rows.append(
                dict(
                    workload_id=f"train-{i}",
                    kind="training",
                    model_id=model,
                    precision="bf16",
                    train_tokens_b=rng.choice([50, 100, 200]),
                    deadline_days=rng.choice([30, 60]),
                    seq_len=4096,
                    global_batch_tokens=4194304,
                )
            )
        else:
            workload_rows.append(
                dict(
                    workload_id=f"serve-{i}",
                    kind="inference",
                    model_id=model,
                    precision="bf16",
                    target_tokens_per_s=rng.choice([2000, 5000, 10000]),
                    avg_input_tokens=1024,
                    avg_output_tokens=512,
                    max_tpot_ms=rng.choice([50, 80]),
                    max_ttft_ms=3000,
                )
            )
    return {
        "Chips": chip_rows,
        "Fabrics": fabric_rows,
        "Cooling": copy.deepcopy(DEFAULT_CATALOG["Cooling"]),
        "Models": copy.deepcopy(DEFAULT_CATALOG["Models"]),
        "Workloads": workload_rows,
    }


LARGE_SITE: dict[str, Any] = EXAMPLE_SITE | {"power_budget_kw": 60000, "min_domestic_share": 0.3}


def large_instance(min_domestic_share: float = 0.3, **kwargs: Any) -> PlanningInputs:
    site = LARGE_SITE | {"min_domestic_share": min_domestic_share}
    return inputs_from_dicts(large_sheets(**kwargs), site, source_name="large")


if __name__ == "__main__":
    # Write the large instance (30% share) as a workbook, for end-to-end CLI timings.
    import sys
    from pathlib import Path

    from tco.io.template import write_workbook

    write_workbook(Path(sys.argv[1]), large_sheets(), LARGE_SITE)
