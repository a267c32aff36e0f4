"""The bundled workbooks: the blank template, the example and the seed's scenarios.

All are generated from the default catalog (`tco.data.catalog`) and the field
table; `python -m tco.data.examples` (or `make template`) rewrites
`templates/input_template.xlsx`, `inputs/example.xlsx` and the three
`inputs/scenarios/*.xlsx` (`tco.data.scenarios`), and tests prove the
committed files match what this module produces.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tco.data.catalog import DEFAULT_CATALOG
from tco.data.evidence import load_evidence, readme_lines
from tco.io.template import write_workbook
from tco.schema.fields import SITE

TEMPLATE_PATH = Path("templates/input_template.xlsx")
EXAMPLE_PATH = Path("inputs/example.xlsx")

Rows = dict[str, list[dict[str, Any]]]

#: Two illustrative workloads so a fresh template validates; replace them.
SAMPLE_WORKLOADS: list[dict[str, Any]] = [
    {
        "workload_id": "pretrain-70b",
        "kind": "training",
        "model_id": "llama-3.1-70b",
        "precision": "bf16",
        "train_tokens_b": 2000,
        "deadline_days": 90,
        "seq_len": 4096,
        "global_batch_tokens": 4194304,
    },
    {
        "workload_id": "serve-qwen72b",
        "kind": "inference",
        "model_id": "qwen2.5-72b",
        "precision": "bf16",
        "target_tokens_per_s": 20000,
        "seq_len": 8192,
        "avg_input_tokens": 1024,
        "avg_output_tokens": 512,
        "max_tpot_ms": 50,
        "max_ttft_ms": 2000,
    },
]

#: Site defaults for the template: the field defaults plus an electricity price.
TEMPLATE_SITE: dict[str, Any] = {
    field.key: field.default for field in SITE.fields if field.default is not None
} | {"electricity_price_per_kwh": 0.10}

#: Restricted-for-China chips the example site holds anyway (H800 stock bought before
#: the 2023-10 rule, an H20 licence), with the cards it can get: the rows say
#: available = yes and the Site allow_restricted = yes, so export control keeps only
#: these two of the catalog's restricted chips (DESIGN 3.6).
EXAMPLE_CAPS = {"h800": 512, "h20": 2048}

EXAMPLE_SITE: dict[str, Any] = TEMPLATE_SITE | {
    "currency": "USD",
    "horizon_years": 5,
    "discount_rate": 0.08,
    # China large-industry tariff, about 0.65 CNY/kWh at 7.2 CNY/USD.
    "electricity_price_per_kwh": 0.09,
    "power_budget_kw": 10000,
    "min_domestic_share": 0.5,
    "facility_capex_per_kw": 8000,
    # Stated although it is the default: the scenario is a China site by design.
    "region": "cn",
    "allow_restricted": True,
}

EXAMPLE_SCENARIO = (
    "A Chinese enterprise plans one cluster for two jobs:",
    "(a) pre-train a 70B dense model (Llama-3.1-70B architecture) on 2T tokens within 90 "
    "days in BF16 (4M-token global batch, 4K sequences);",
    "(b) serve Qwen2.5-72B in BF16 at 20,000 output tokens/s with TPOT <= 50 ms and "
    "TTFT <= 2 s (1,024 input and 512 output tokens per request on average).",
    "Site: 10 MW facility power budget, at least 50% domestic cards, 5-year horizon at 8%, "
    "electricity 0.09 USD/kWh.",
    "Export control: Site region = cn drops every chip of export_class restricted-cn (H100, "
    "H200, B100, B200, GB200, A100, A800) as restricted for export to China. The site holds "
    "H800 stock and an H20 licence: Site allow_restricted = yes and those two rows say "
    "available = yes, capped at 512 and 2,048 cards (max_cards).",
)


def template_sheets() -> Rows:
    rows = copy.deepcopy(DEFAULT_CATALOG)
    rows["Workloads"] = copy.deepcopy(SAMPLE_WORKLOADS)
    return rows


def template_site() -> dict[str, Any]:
    return dict(TEMPLATE_SITE)


def catalog_price_lines() -> list[str]:
    """README lines on the default catalog's prices: which rest on evidence, which are guesses."""
    return readme_lines(DEFAULT_CATALOG, load_evidence(DEFAULT_CATALOG))


def example_sheets() -> Rows:
    rows = template_sheets()
    for chip in rows["Chips"]:
        if chip["chip_id"] in EXAMPLE_CAPS:
            chip["available"] = True
            chip["max_cards"] = EXAMPLE_CAPS[chip["chip_id"]]
    return rows


def write_bundled(root: Path = Path(".")) -> None:
    """Regenerate the committed template, example and scenario workbooks under `root`."""
    # The scenarios are built on this module's example site; imported here, not at the
    # top, so that `tco.data.scenarios` can import this module.
    from tco.data.scenarios import SCENARIOS

    prices = catalog_price_lines()
    write_workbook(root / TEMPLATE_PATH, template_sheets(), template_site(), prices=prices)
    write_workbook(
        root / EXAMPLE_PATH, example_sheets(), EXAMPLE_SITE, EXAMPLE_SCENARIO, prices=prices
    )
    for scenario in SCENARIOS:
        (root / scenario.path).parent.mkdir(parents=True, exist_ok=True)
        write_workbook(
            root / scenario.path, scenario.sheets(), scenario.site, scenario.readme, prices=prices
        )


if __name__ == "__main__":
    write_bundled()
