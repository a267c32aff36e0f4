"""A training run's cost over its deadline: hand-computed, in the JSON, on the Pools sheet.

Every price but the card and the migration is zero and only the cards draw power,
so run cost = (capex + migration) x D / (365 x H) + opex x D / 365 is checkable by hand.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tco.costs import registry
from tco.costs.formula import Formula
from tco.plan.extract import Plan
from tco.report.sheets import pools
from tco.report.summary import json_summary, text_summary
from tco.report.workbook import write_report
from tco.scenario.optimize import OptimizeResult, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, FABRIC, INFERENCE, TRAINING, make_inputs

DEADLINE_DAYS = 30.0
HORIZON_YEARS = 4
CARD_PRICE = 10_000.0
MIGRATION = 1_000_000.0
#: Site without a data hall or maintenance: energy is the only opex.
SITE = {
    "horizon_years": HORIZON_YEARS,
    "maintenance_rate": 0.0,
    "facility_capex_per_kw": 0.0,
    "utilization": 0.5,
    "electricity_price_per_kwh": 0.2,
}


def cheap_inputs(*workloads: dict[str, object]) -> PlanningInputs:
    chip = dict(CHIP, card_price=CARD_PRICE, node_price=0, node_power_w=0)
    chip["migration_cost"] = MIGRATION
    fabric = dict(
        FABRIC, switch_price=0, switch_power_w=0, nic_price=0, nic_power_w=0, optic_price=0
    )
    fabric["cable_price"] = 0
    cooling = dict(COOLING, capex_per_kw=0, rack_price=0)
    return make_inputs(
        site=SITE,
        Chips=[chip],
        Fabrics=[fabric],
        Cooling=[cooling],
        Workloads=list(workloads),
    )


def solved(inputs: PlanningInputs) -> tuple[Plan, OptimizeResult]:
    result = optimize(inputs)
    assert result.plan is not None
    return result.plan, result


def test_run_costs_by_hand() -> None:
    plan, _ = solved(cheap_inputs(dict(TRAINING, deadline_days=DEADLINE_DAYS)))
    (pool,) = plan.pools
    capex = pool.cards * CARD_PRICE
    assert pool.capex == pytest.approx(capex)
    assert pool.migration_share == pytest.approx(MIGRATION)
    # Only the cards draw power: 700 W each, x utilization x PUE x 8,760 h x price.
    opex_per_year = pool.cards * 0.7 * 0.5 * 1.4 * 8760 * 0.2
    run_opex = opex_per_year * DEADLINE_DAYS / 365
    assert pool.deadline_days == DEADLINE_DAYS
    assert pool.run_cost == pytest.approx(
        (capex + MIGRATION) * DEADLINE_DAYS / (365 * HORIZON_YEARS) + run_opex, rel=1e-12
    )
    assert pool.dedicated_run_cost == pytest.approx(capex + MIGRATION + run_opex, rel=1e-12)
    # Not the discounted TCO pro rata: that discounts the later years' opex.
    assert pool.run_cost != pytest.approx(pool.tco * DEADLINE_DAYS / (365 * HORIZON_YEARS))


#: A training workload given as a rate, without a deadline: it has no run to cost.
STEADY = dict(
    TRAINING,
    workload_id="steady",
    train_tokens_b=None,
    deadline_days=None,
    target_tokens_per_s=10_000,
)


def test_run_cost_equations_as_formulas() -> None:
    a, b, c, d, h = (Formula(x) for x in ("A1", "B1", "C1", "D1", "H"))
    assert registry.run_cost(a, b, c, d, h).text == "(A1+B1)*D1/(365*H)+C1*D1/365"
    assert registry.dedicated_run_cost(a, b, c, d).text == "A1+B1+C1*D1/365"


def test_json_and_text_summary_carry_the_run_costs() -> None:
    inputs = cheap_inputs(
        dict(TRAINING, deadline_days=DEADLINE_DAYS),
        STEADY,
        INFERENCE,
    )
    plan, result = solved(inputs)
    by_name = {p["workload"]: p for p in json_summary(inputs, result)["pools"]}
    run = next(p for p in plan.pools if p.workload == "train")
    assert by_name["train"]["run_cost"] == run.run_cost
    assert by_name["train"]["dedicated_run_cost"] == run.dedicated_run_cost
    for workload in ("steady", "chat"):
        assert by_name[workload]["run_cost"] is None
        assert by_name[workload]["dedicated_run_cost"] is None
    lines = text_summary(inputs, result)
    assert any(f"the 30-day run costs {run.run_cost:,.0f}" in line for line in lines)
    assert any(line.startswith("steady:") and "n/a (no deadline)" in line for line in lines)
    assert not any(line.startswith("chat:") and "run cost" in line for line in lines)


def test_pools_sheet_shows_the_run_costs(tmp_path: Path) -> None:
    inputs = cheap_inputs(
        dict(TRAINING, deadline_days=DEADLINE_DAYS),
        STEADY,
    )
    plan, _ = solved(inputs)
    path = tmp_path / "report.xlsx"
    write_report(path, inputs, plan, ())
    formulas = openpyxl.load_workbook(path)["Pools"]
    values = openpyxl.load_workbook(path, data_only=True)["Pools"]

    def cell(sheet: openpyxl.worksheet.worksheet.Worksheet, row: int, key: str) -> object:
        return sheet.cell(row, pools.TABLE.col(key) + 1).value

    rows = {values.cell(r, 1).value: r for r in range(2, 2 + len(plan.pools))}
    run = next(p for p in plan.pools if p.workload == "train")
    r = rows["train"]
    assert cell(values, r, "deadline") == DEADLINE_DAYS
    assert cell(values, r, "run_cost") == pytest.approx(run.run_cost, rel=1e-12)
    assert cell(values, r, "dedicated_run_cost") == pytest.approx(run.dedicated_run_cost, rel=1e-12)
    assert str(cell(formulas, r, "run_cost")).endswith("/365")
    assert "Site_horizon_years" in str(cell(formulas, r, "run_cost"))
    for key in ("deadline", "run_cost", "dedicated_run_cost"):
        assert cell(values, rows["steady"], key) == pools.NO_RUN
