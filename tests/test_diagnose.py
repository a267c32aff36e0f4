"""Infeasibility diagnosis (`tco.solve.diagnose`): every message, with its numbers by hand.

The instances have one chip (H100: 8 cards, 8 NIC ports per node), one fabric
and one cooling, and serve m7 at one card per replica, so the cheapest plan
meeting the target is the smallest pool and its counts are plain arithmetic:

  r replicas on ceil(r / 8) nodes, bought whole: 8 cards per node; node peak
  8 x 700 + 4,600 + 8 x 25 = 10,400 W, so floor(40 kW / 10.4 kW) = 3 nodes per rack.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_optimizer_bruteforce import SMALL_MODEL

from tco.perf.inference import inference_estimate
from tco.scenario.optimize import optimize
from tco.solve.diagnose import diagnose

from factory import CHIP, DOMESTIC, FABRIC, INFERENCE, MODEL, make_inputs


def m7_rate() -> float:
    inputs = make_inputs(Models=[MODEL, SMALL_MODEL], Workloads=[dict(INFERENCE, model_id="m7")])
    est = inference_estimate(
        inputs.workloads["chat"], inputs.models["m7"], inputs.chips["h100"], inputs.site
    )
    assert est.replica_cards == 1
    return est.tokens_per_s


def diagnosis(
    replicas: float, site: dict[str, Any] | None = None, **sheets: list[dict[str, Any]]
) -> list[str]:
    """The diagnosis of serving `replicas` - 0.5 replicas' worth of m7 (must be infeasible)."""
    sheets.setdefault("Chips", [CHIP])
    inputs = make_inputs(
        site=site,
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(
                INFERENCE,
                model_id="m7",
                target_tokens_per_s=(replicas - 0.5) * m7_rate(),
                **sheets.pop("workload", {}),
            )
        ],
        **sheets,
    )
    result = optimize(inputs, mip_gap=0.0, time_limit_s=30)
    assert result.status == "infeasible" and result.plan is None
    assert result.diagnosis == diagnose(inputs, 30)
    return result.diagnosis


def number(line: str, pattern: str) -> float:
    """The number `pattern` captures in `line`, thousands separators dropped."""
    found = re.search(pattern, line)
    assert found, (pattern, line)
    return float(found.group(1).replace(",", ""))


NUM = r"([\d,]+(?:\.\d+)?)"


def test_power_budget_shortfall_in_kw() -> None:
    # 1 replica: 1 node of 8 cards, 8 ports, 1 switch. IT = 8 x 700 + 4,600 + 8 x 25 +
    # 1,500 = 11,900 W; facility 11.9 x 1.4 = 16.66 kW, 1.66 kW over a 15 kW budget.
    (line,) = diagnosis(1, {"power_budget_kw": 15})
    assert line.startswith("power budget 15 kW is")
    assert number(line, rf"is {NUM} kW short") == pytest.approx(1.66, abs=0.005)
    assert line.endswith("short of the cheapest plan that meets every target")


def test_rack_shortfall() -> None:
    # 36 replicas on ceil(36 / 8) = 5 nodes at 3 per rack: ceil(5 / 3) = 2 racks.
    (line,) = diagnosis(36, {"max_racks": 1})
    assert line.startswith("rack limit of 1 rack is")
    assert number(line, rf"is {NUM} rack short") == 1


def test_supply_cap_shortfall() -> None:
    # 21 replicas need 3 whole nodes = 24 cards; the cap allows 8.
    (line,) = diagnosis(21, Chips=[dict(CHIP, max_cards=8)])
    assert line.startswith("supply cap of 8 h100 cards is")
    assert number(line, rf"is {NUM} cards short") == 24 - 8


def test_capex_budget_shortfall() -> None:
    # 1 replica: 8 cards x 25,000 + host 50,000 + 8 NICs x 2,000 + 1 switch 40,000 +
    # 16 optics x 700 + 8 cables x 100 + 1 rack 5,000 + cooling plant 11.9 kW x 1,500
    # = 340,850, i.e. 40,850 over a 300,000 budget.
    capex = 8 * 25_000 + 50_000 + 8 * 2_000 + 40_000 + 16 * 700 + 8 * 100 + 5_000 + 11.9 * 1_500
    (line,) = diagnosis(1, {"capex_budget": 300_000})
    assert line.startswith("capex budget 300,000 USD is")
    assert number(line, rf"is {NUM} USD short") == pytest.approx(capex - 300_000)


def test_two_limits_short_at_once_are_both_reported() -> None:
    lines = diagnosis(1, {"capex_budget": 300_000, "power_budget_kw": 15})
    assert sorted(line.split()[0] for line in lines) == ["capex", "power"]


def test_minimum_domestic_share_shortfall() -> None:
    # Only the import H100 may serve: 16 replicas = 16 import cards, 0 domestic; a 25%
    # share of 16 cards is 4 domestic cards. (Adding 4 domestic cards would not be
    # enough: that shortfall is measured against the plan's own card count.)
    (line,) = diagnosis(
        16,
        {"min_domestic_share": 0.25, "domestic_share_basis": "cards"},
        Chips=[CHIP, DOMESTIC],
        workload={"allowed_chips": "h100"},
    )
    assert line.startswith("minimum domestic share 25% is")
    assert number(line, rf"is {NUM} domestic cards short") == 0.25 * 16


def test_target_beyond_the_largest_fabric() -> None:
    # Radix 4 non-blocking: a 3-tier fabric holds 4 x 2 x 4 / 2 = 16 ports = 2 nodes =
    # 16 one-card replicas; 25 replicas' worth is 9 replicas' worth out of reach.
    rate = m7_rate()
    (line,) = diagnosis(25.5, Fabrics=[dict(FABRIC, switch_radix=4)])
    assert line.startswith("throughput target of chat (")
    assert number(line, rf"\({NUM} tokens/s\)") == pytest.approx(25 * rate, abs=0.5)
    assert number(line, rf"is {NUM} tokens/s beyond") == pytest.approx(9 * rate, abs=0.5)
    assert "even with every site limit lifted" in line


def test_workload_without_a_workable_option() -> None:
    # The node's 10.4 kW peak does not fit a 5 kW rack, with any number of racks.
    cooling = dict(
        cooling_id="air",
        technology="air",
        pue=1.4,
        max_rack_kw=5,
        capex_per_kw=1500,
        rack_price=5000,
        nodes_per_rack_max=4,
    )
    (line,) = diagnosis(1, Cooling=[cooling])
    assert line.startswith("workload chat has no workable chip/fabric/cooling option")
    assert number(line, rf"draws {NUM} kW") == pytest.approx(
        (8 * 700 + 4_600 + 8 * 25) / 1000, abs=0.05
    )
    assert number(line, rf"over the {NUM} kW rack limit") == 5
