"""Export control as data: Chips export_class, Site region and allow_restricted (DESIGN 3.6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tco.cli import app
from tco.data.examples import TEMPLATE_PATH, template_sheets, template_site
from tco.errors import InputError
from tco.io.template import write_workbook
from tco.model.options import build_options
from tco.scenario.alternatives import compute_alternatives
from tco.scenario.optimize import make_engine, optimize
from tco.schema.availability import EXPORT_RESTRICTED, allowed_chip_ids
from tco.schema.inputs import PlanningInputs, inputs_from_dicts

from factory import CHIP, DOMESTIC, INFERENCE, SITE, make_inputs, sheets

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent

#: The H100 of the factory, restricted for China; the Ascend stays unrestricted.
RESTRICTED = dict(CHIP, export_class="restricted-cn")


def restricted_inputs(site: dict[str, Any] | None = None, **chip: Any) -> PlanningInputs:
    return make_inputs(site=site, Chips=[dict(RESTRICTED, **chip), DOMESTIC])


def planned_chips(inputs: PlanningInputs) -> set[str]:
    result = optimize(inputs)
    assert result.plan is not None and result.status == "optimal", result.diagnosis
    return {p.chip for p in result.plan.pools}


def test_region_global_keeps_a_restricted_chip() -> None:
    # The premise of the next test: without export control the H100 wins this workload.
    assert planned_chips(restricted_inputs(site={"region": "global"})) == {"h100"}


def test_region_cn_drops_a_restricted_chip_from_the_plan_and_says_why() -> None:
    inputs = restricted_inputs()  # region cn is the default
    assert inputs.site.region == "cn"
    assert planned_chips(inputs) == {"ascend"}
    excluded = build_options(inputs).excluded["chat"]
    assert any(line.startswith(f"h100: {EXPORT_RESTRICTED}") for line in excluded), excluded


@pytest.mark.parametrize(
    ("site", "available", "usable"),
    [
        ({"allow_restricted": True}, True, True),  # the explicit override
        ({"allow_restricted": True}, None, False),  # blank available is not an explicit yes
        ({"allow_restricted": False}, True, False),  # the row alone does not override
        ({"region": "global"}, None, True),
        ({"region": "global"}, False, False),  # available = no holds everywhere
    ],
)
def test_override_needs_both_an_explicit_yes_and_allow_restricted(
    site: dict[str, Any], available: bool | None, usable: bool
) -> None:
    inputs = restricted_inputs(site=site, available=available)
    chips = {o.chip for o in build_options(inputs).options}
    assert ("h100" in chips) == usable


def test_the_override_brings_the_restricted_chip_back_into_the_plan() -> None:
    inputs = restricted_inputs(site={"allow_restricted": True}, available=True)
    assert planned_chips(inputs) == {"h100"}


def test_alternatives_list_the_restricted_chip_with_the_reason() -> None:
    inputs = restricted_inputs()
    result = optimize(inputs)
    assert result.plan is not None
    alts = {a.forced_id: a for a in compute_alternatives(make_engine(inputs), result.plan, 10.0)}
    assert alts["h100"].status == "unavailable"
    assert alts["h100"].tco is None
    assert alts["h100"].reason.startswith(EXPORT_RESTRICTED)


def test_a_workload_that_allows_only_restricted_chips_is_refused_with_the_reason() -> None:
    with pytest.raises(InputError) as caught:
        make_inputs(Chips=[RESTRICTED, DOMESTIC], Workloads=[dict(INFERENCE, allowed_chips="h100")])
    found = [str(i) for i in caught.value.issues]
    assert any(
        "no allowed chip is available" in m and f"h100: {EXPORT_RESTRICTED}" in m for m in found
    ), found


def test_estimate_says_why_a_restricted_chip_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "cn.xlsx"
    write_workbook(path, sheets(Chips=[RESTRICTED, DOMESTIC]), SITE)
    result = runner.invoke(app, ["estimate", str(path), "--json", "-"])
    assert result.exit_code == 0, result.output
    start = result.stdout.index("[")
    rows = json.loads(result.stdout[start : result.stdout.rindex("]") + 1])
    h100 = [r for r in rows if r["chip"] == "h100"]
    assert len(h100) == 1 and not h100[0]["feasible"]
    assert h100[0]["reason"].startswith(EXPORT_RESTRICTED)
    assert any(r["chip"] == "ascend" and r["feasible"] for r in rows)


def test_the_template_site_defaults_to_china() -> None:
    wb = openpyxl.load_workbook(ROOT / TEMPLATE_PATH)
    site = {row[0]: row[1] for row in wb["Site"].iter_rows(min_row=3, values_only=True)}
    assert site["region"] == "cn"
    assert site["allow_restricted"] == "no"
    chips = wb["Chips"]
    keys = [c.value for c in chips[1]]
    rows = [dict(zip(keys, r, strict=True)) for r in chips.iter_rows(min_row=3, values_only=True)]
    h100 = next(r for r in rows if r["chip_id"] == "h100")
    # Blank, so allow_restricted = yes alone never admits the catalog's restricted chips.
    assert h100["export_class"] == "restricted-cn" and h100["available"] is None
    readme = " ".join(str(r[0]) for r in wb["README"].iter_rows(values_only=True) if r[0])
    assert "region = global" in readme and "allow_restricted" in readme


def test_no_template_workload_may_use_a_restricted_chip() -> None:
    inputs = inputs_from_dicts(template_sheets(), template_site())
    restricted = {c for c, chip in inputs.chips.items() if chip.export_class == "restricted-cn"}
    assert restricted
    for workload in inputs.workloads.values():
        allowed = set(allowed_chip_ids(inputs.chips, workload, inputs.site))
        assert allowed and not allowed & restricted
