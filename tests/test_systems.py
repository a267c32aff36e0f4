"""Purchase units (issue 12 item 4): pools are ordered in whole systems.

A chip's `system_cards` is what a buyer orders (an 8-card server, a 72-GPU
NVL72 rack, a 384-NPU CloudMatrix); `system_price` and `system_power_w` are
the system's own parts (its scale-up fabric). Servers come full, nodes come in
whole systems, a replica or tensor-parallel group stays inside one system, and
the system is a BOM line. Hand-computed cases first, then the brute force on
instances where every chip is sold in systems of several servers.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_optimizer_bruteforce import (
    BRUTE_FORCE_SETTINGS,
    SMALL_MODEL,
    _money,
    build,
    compare,
    raw_instances,
)
from typer.testing import CliRunner

from tco.cli import app
from tco.errors import InputError
from tco.io.template import write_workbook
from tco.perf.inference import inference_estimate
from tco.perf.training import training_curve
from tco.scenario.optimize import optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, FABRIC, INFERENCE, MODEL, SITE, TRAINING, make_inputs, sheets

#: An NVL72-like part: 4 cards per tray (node), 18 trays per 72-card system, one NVLink
#: domain over the system; the system's switch trays cost 270,000 and draw 7,200 W.
RACK_SCALE = dict(
    CHIP,
    chip_id="gb",
    name="GB",
    cards_per_node=4,
    nics_per_node=4,
    scaleup_domain=72,
    system_cards=72,
    system_price=270_000.0,
    system_power_w=7_200.0,
    tdp_w=1_000.0,
    node_power_w=1_500.0,
)
#: Liquid cooling dense enough for a whole 72-card system per rack.
DENSE_LIQUID = dict(
    COOLING,
    cooling_id="liquid",
    technology="cold-plate liquid",
    pue=1.1,
    max_rack_kw=140,
    nodes_per_rack_max=18,
)


#: 2,000 tokens/s of m7 on the rack-scale chip: a few one-card replicas, one system.
RACK_SCALE_CHAT: dict[str, Any] = dict(
    Chips=[RACK_SCALE],
    Cooling=[DENSE_LIQUID],
    Models=[MODEL, SMALL_MODEL],
    Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=2_000)],
)


def solved(inputs: PlanningInputs) -> Any:
    result = optimize(inputs, mip_gap=0.0, time_limit_s=60, explain=False)
    assert result.status == "optimal" and result.plan is not None, result.status
    return result.plan


def test_a_rack_scale_chip_is_ordered_in_whole_systems() -> None:
    # 2,000 tokens/s of m7 needs a few one-card replicas: one whole 72-card system.
    inputs = make_inputs(**RACK_SCALE_CHAT)
    (pool,) = solved(inputs).pools
    assert (pool.systems, pool.system_cards, pool.nodes, pool.cards) == (1, 72, 18, 72)


def test_the_system_is_a_bom_line_priced_and_powered_once_per_system() -> None:
    inputs = make_inputs(**RACK_SCALE_CHAT)
    plan = solved(inputs)
    (pool,) = plan.pools
    (system,) = [line for line in plan.bom if line.key == "system"]
    assert (system.quantity, system.unit_price, system.extended) == (1, 270_000, 270_000)
    assert "72 cards on NVLink4" in system.item
    assert (system.source_sheet, system.source_id) == ("Chips", "gb")
    # IT power: 72 cards x 1,000 W + 18 trays x 1,500 W + the 7,200 W system + 72 NICs x
    # 25 W + the switches of the scale-out Clos (72 ports on radix 64: two tiers).
    switches = sum(pool.switches_bought)
    assert pool.network.tiers == 2
    it_w = 72 * 1_000 + 18 * 1_500 + 7_200 + 72 * 25 + switches * FABRIC["switch_power_w"]
    assert pool.it_kw == pytest.approx(it_w / 1000)


def test_training_nodes_come_in_whole_systems() -> None:
    inputs = make_inputs(
        Chips=[RACK_SCALE],
        Cooling=[DENSE_LIQUID],
        Workloads=[dict(TRAINING, train_tokens_b=20.0, deadline_days=30.0)],
    )
    (pool,) = solved(inputs).pools
    curve = training_curve(
        inputs.workloads["train"],
        inputs.models["llama-2-70b"],
        inputs.chips["gb"],
        inputs.fabrics["ib"],
        inputs.site,
    )
    target = 20e9 / (30 * 86_400)
    fewest = curve.nodes_for(target).nodes
    assert fewest is not None and fewest % 18 != 0, "the case must need rounding up"
    assert pool.nodes == -(-fewest // 18) * 18
    assert pool.systems == pool.nodes // 18


def test_servers_come_full_for_inference() -> None:
    # 3 one-card replicas' worth on an 8-card server: the server is bought with its 8 cards.
    probe = make_inputs(Models=[MODEL, SMALL_MODEL], Workloads=[dict(INFERENCE, model_id="m7")])
    est = inference_estimate(
        probe.workloads["chat"], probe.models["m7"], probe.chips["h100"], probe.site
    )
    assert est.replica_cards == 1
    inputs = make_inputs(
        Models=[MODEL, SMALL_MODEL],
        Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=2.5 * est.tokens_per_s)],
    )
    (pool,) = solved(inputs).pools
    assert (pool.nodes, pool.cards, pool.systems, pool.system_cards) == (1, 8, 1, 8)
    assert pool.replicas is not None and 3 <= pool.replicas <= 8


#: A 70B model in bf16 needs 138 GB of weights: more than one 80 GB card, so a replica
#: spans cards; a chip whose scale-up domain reaches 32 cards but whose system is one
#: 8-card server may only use 8 of them for a replica.
WIDE_DOMAIN = dict(CHIP, chip_id="wide", name="Wide", memory_gb=16.0, scaleup_domain=32)


def test_a_replica_never_spans_loose_servers() -> None:
    # 16 GB cards: 138 GB of weights need 16 cards, more than one 8-card server holds;
    # the 32-card scale-up domain does not reach past the server bought.
    with pytest.raises(InputError) as caught:
        make_inputs(Chips=[WIDE_DOMAIN])
    text = str(caught.value)
    assert (
        "more than any allowed chip's replica can hold (128 GB; a replica spans at most "
        "min(scaleup_domain, system_cards) cards)"
    ) in text
    # Sold as a 32-card system (4 servers on one scale-up domain), the replica fits.
    system = make_inputs(Chips=[dict(WIDE_DOMAIN, system_cards=32, system_price=100_000.0)])
    est = inference_estimate(
        system.workloads["chat"], system.models["llama-2-70b"], system.chips["wide"], system.site
    )
    assert est.feasible and est.replica_cards is not None and 8 < est.replica_cards <= 32
    (pool,) = solved(system).pools
    assert pool.cards % 32 == 0 and pool.nodes % 4 == 0
    assert pool.replicas is not None and pool.replicas * est.replica_cards <= pool.cards


def test_a_domain_wider_than_the_system_is_cut_to_it_with_a_warning() -> None:
    inputs = make_inputs(Chips=[dict(CHIP, scaleup_domain=16)])
    (warning,) = [w for w in inputs.warnings if "scaleup_domain" in w]
    assert "scaleup_domain 16 is larger than the 8-card system bought" in warning
    assert "column P (scaleup_domain)" in warning
    assert not any("scaleup_domain" in w for w in make_inputs().warnings)


def test_system_cards_must_be_whole_servers() -> None:
    with pytest.raises(InputError) as caught:
        make_inputs(Chips=[dict(CHIP, system_cards=12)])
    text = str(caught.value)
    assert "(system_cards): must be a multiple of cards_per_node (8)" in text
    assert "Sheet 'Chips', row 3" in text


def test_the_json_summary_and_pools_sheet_show_systems(tmp_path: Path) -> None:
    book = tmp_path / "in.xlsx"
    raw = sheets(**RACK_SCALE_CHAT)
    write_workbook(book, raw, SITE)
    report = tmp_path / "out.xlsx"
    result = CliRunner().invoke(app, ["optimize", str(book), "-o", str(report), "--json", "-"])
    assert result.exit_code == 0, result.output
    assert "on 1 system of 72 = 18 nodes of 4)" in result.stderr
    (pool,) = json.loads(result.stdout)["pools"]
    assert (pool["systems"], pool["system_cards"], pool["nodes"], pool["cards"]) == (1, 72, 18, 72)
    sheet = load_workbook(report)["Pools"]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("Systems ordered")] == 1
    assert row[header.index("Cards per system")] == 72


@st.composite
def system_instances(draw: st.DrawFn) -> PlanningInputs:
    """Brute-force instances whose every chip is sold in systems of 2 or 4 servers."""
    raw, site = draw(raw_instances())
    for chip in raw["Chips"]:
        per_node = draw(st.sampled_from([2, 4]))
        servers = draw(st.sampled_from([2, 4]))
        chip.update(
            cards_per_node=per_node,
            nics_per_node=None,
            scaleup_domain=per_node * servers,
            system_cards=per_node * servers,
            system_price=draw(_money(0, 150_000)),
            system_power_w=float(draw(st.integers(0, 2_000))),
        )
    return build((raw, site))


COUNTS: Counter[str] = Counter()


@BRUTE_FORCE_SETTINGS
@given(system_instances())
def check_systems_against_the_brute_force(inputs: PlanningInputs) -> None:
    result = compare(inputs)
    if result.plan is not None:
        COUNTS["plans"] += 1
        for p in result.plan.pools:
            servers = p.system_cards // inputs.chips[p.chip].cards_per_node
            assert p.nodes % servers == 0 and p.systems * servers == p.nodes
            assert p.systems * p.system_cards == p.cards, f"{p.workload}: not whole systems"
            COUNTS["pools"] += 1


def test_systems_match_the_brute_force() -> None:
    COUNTS.clear()
    check_systems_against_the_brute_force()
    print(f"\nsystems: {COUNTS['plans']} optimal plans, {COUNTS['pools']} pools")
    assert COUNTS["pools"] >= 10
