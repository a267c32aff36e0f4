"""The dominance presolve (`tco.model.dominance.prune_dominated`) on small instances.

Options of one workload and chip differ here only in cooling, so which of them
survive is decided by the footprints: the real ones (priced again by
tests/oracle.py to show which is dearer) or ones written in the test.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import oracle
import pytest
from test_optimizer_bruteforce import SMALL_MODEL

from tco.model.dominance import Footprint, prune_dominated
from tco.model.options import Option, build_options
from tco.model.share import grow
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, INFERENCE, MODEL, make_inputs

AIR2 = dict(COOLING, cooling_id="air2")  # an exact copy of air under another id
PRICEY = dict(COOLING, cooling_id="pricey", capex_per_kw=2_000)  # air, dearer plant
LIQUID = dict(  # dearer plant, lower PUE: more capex, less opex and facility kW
    COOLING,
    cooling_id="liquid",
    technology="cold-plate liquid",
    pue=1.1,
    capex_per_kw=3_000,
    max_rack_kw=100,
    nodes_per_rack_max=8,
)
#: m7 on one Ascend replica of 1 card makes 2,223 tokens/s: 2,000 tokens/s is one
#: replica on a node with 7 free slots; 17,000 tokens/s is 8 replicas filling it.
SPARE_SLOTS, FULL_NODE = 2_000.0, 17_000.0


def instance(coolings: list[dict[str, Any]], target: float = SPARE_SLOTS, **site: Any):
    inputs = make_inputs(
        site=site,
        Chips=[CHIP, DOMESTIC],
        Cooling=coolings,
        Models=[MODEL, SMALL_MODEL],
        Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=target)],
    )
    return inputs, build_options(inputs).options


def kept(inputs: PlanningInputs, options: list[Option], prints=None) -> set[tuple[str, str]]:
    return {(o.chip, o.cooling) for o in prune_dominated(inputs, options, prints)}


def oracle_smallest(inputs: PlanningInputs, chip: str, cooling: str) -> oracle.PoolCost:
    choice = oracle.Choice("chat", chip, "ib", cooling)
    size = oracle.Sizer(inputs).smallest(choice)
    assert size is not None
    pool = oracle.price_pool(inputs, choice, size.nodes, size.cards, size.replicas)
    assert pool is not None
    return pool


def test_a_dominated_option_is_dropped() -> None:
    inputs, options = instance([COOLING, PRICEY])
    for chip in ("h100", "ascend"):
        air, pricey = (oracle_smallest(inputs, chip, k) for k in ("air", "pricey"))
        assert pricey.capex > air.capex and pricey.opex_per_year == air.opex_per_year
        assert (pricey.facility_kw, pricey.racks) == (air.facility_kw, air.racks)
    assert kept(inputs, options) == {("h100", "air"), ("ascend", "air")}


def test_an_option_better_on_one_count_is_kept() -> None:
    inputs, options = instance([COOLING, LIQUID])
    air, liquid = (oracle_smallest(inputs, "h100", k) for k in ("air", "liquid"))
    assert liquid.capex > air.capex and liquid.opex_per_year < air.opex_per_year
    assert kept(inputs, options) == {(c, k) for c in ("h100", "ascend") for k in ("air", "liquid")}


def test_exact_ties_keep_one_option() -> None:
    inputs, options = instance([COOLING, AIR2])
    assert kept(inputs, options) == {("h100", "air"), ("ascend", "air")}


#: Air with racks twice as dense but dearer: worse for a pool of up to 4 nodes, better
#: from 5 (one rack instead of two).
DENSE = dict(COOLING, cooling_id="dense", rack_price=8_000, nodes_per_rack_max=8, max_rack_kw=80)


def share_instance(coolings: list[dict[str, Any]], import_target: float, share: float):
    """chat may run on Ascend; big only on H100, so Ascend pools may grow for the share."""
    inputs = make_inputs(
        site={"min_domestic_share": share, "domestic_share_basis": "cards"},
        Chips=[CHIP, DOMESTIC],
        Cooling=coolings,
        Models=[MODEL, SMALL_MODEL],
        Workloads=[
            dict(INFERENCE, model_id="m7", target_tokens_per_s=SPARE_SLOTS),
            dict(
                INFERENCE,
                workload_id="big",
                model_id="m7",
                target_tokens_per_s=import_target,
                allowed_chips="h100",
            ),
        ],
    )
    return inputs, grow(inputs, build_options(inputs).options)


def test_growing_domestic_pools_are_compared_at_every_size() -> None:
    inputs, options = share_instance([COOLING, DENSE, PRICEY], 185_000.0, 0.6)
    ascend = {o.cooling: o for o in options if o.chip == "ascend"}
    # 31 H100 replicas of 5,976 tokens/s fill 4 whole servers, 32 cards, which need 48
    # domestic ones: the 1-replica Ascend pool may grow to 48 cards plus one 8-card
    # server, 7 nodes.
    assert (ascend["air"].target_nodes, ascend["air"].max_nodes) == (1, 7)
    chat = {(o.chip, o.cooling) for o in prune_dominated(inputs, options) if o.workload == "chat"}
    # Pricey is dearer at every size; dense is dearer up to 4 nodes and cheaper from 5.
    assert chat == {("h100", "air"), ("ascend", "air"), ("ascend", "dense")}


def test_a_pool_that_cannot_grow_far_enough_to_gain_is_pruned() -> None:
    # 5 H100 replicas fit one 8-card server, which needs 8 domestic cards: Ascend grows
    # to 8 cards plus one server, 2 nodes of 16 one-card replicas, where dense racks are
    # only dearer.
    inputs, options = share_instance([COOLING, DENSE], 40_000.0, 0.5)
    ascend = [o for o in options if o.chip == "ascend"]
    assert {(o.max_nodes, o.max_replicas) for o in ascend} == {(2, 16)}
    chat = {(o.chip, o.cooling) for o in prune_dominated(inputs, options) if o.workload == "chat"}
    assert chat == {("h100", "air"), ("ascend", "air")}


def test_domestic_pools_that_cannot_grow_are_pruned_under_a_share() -> None:
    inputs, options = instance([COOLING, PRICEY], target=FULL_NODE, min_domestic_share=0.5)
    assert ("ascend", "air") in kept(inputs, options)
    assert ("ascend", "pricey") not in kept(inputs, options)


def footprints(
    options: list[Option], chip: str, better: Footprint, worse: Footprint
) -> dict[tuple[str, str, str, str], Footprint]:
    """`better` for the chip's liquid option, `worse` for every other option."""
    return {o.key: better if (o.chip, o.cooling) == (chip, "liquid") else worse for o in options}


BASE = Footprint(nodes=1, cards=8, capex=100.0, opex_per_year=10.0, facility_kw=5.0, racks=2)
CHEAPER_MORE_CARDS = Footprint(
    nodes=2, cards=16, capex=90.0, opex_per_year=9.0, facility_kw=4.0, racks=1
)


@pytest.mark.parametrize(
    ("site", "chips", "pruned"),
    [
        ({}, [CHIP, DOMESTIC], True),  # nothing cares about cards: air is dominated
        ({}, [dict(CHIP, max_cards=64), DOMESTIC], False),  # supply cap: more cards hurt
        ({"min_domestic_share": 0.25}, [CHIP, DOMESTIC], False),  # an import under a share
    ],
)
def test_more_cards_count_against_capped_and_imported_chips(
    site: dict[str, Any], chips: list[dict[str, Any]], pruned: bool
) -> None:
    inputs = make_inputs(
        site=site,
        Chips=chips,
        Cooling=[COOLING, LIQUID],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[dict(INFERENCE, model_id="m7", target_tokens_per_s=FULL_NODE)],
    )
    options = build_options(inputs).options
    prints = footprints(options, "h100", CHEAPER_MORE_CARDS, BASE)
    assert (("h100", "air") not in kept(inputs, options, prints)) is pruned


def test_fewer_cards_count_against_a_domestic_chip_under_a_share() -> None:
    inputs, options = instance([COOLING, LIQUID], target=FULL_NODE, min_domestic_share=0.5)
    cheaper_fewer_cards = dataclasses.replace(CHEAPER_MORE_CARDS, cards=4)
    prints = footprints(options, "ascend", cheaper_fewer_cards, BASE)
    assert ("ascend", "air") in kept(inputs, options, prints)
    inputs, options = instance([COOLING, LIQUID], target=FULL_NODE)
    assert ("ascend", "air") not in kept(inputs, options, prints)


@pytest.mark.parametrize("field", ["capex", "opex_per_year", "facility_kw", "racks"])
def test_worse_on_any_one_count_is_not_dominated(field: str) -> None:
    inputs, options = instance([COOLING, LIQUID])
    same_cards = dataclasses.replace(CHEAPER_MORE_CARDS, cards=BASE.cards)
    prints = footprints(options, "h100", same_cards, BASE)
    assert ("h100", "air") not in kept(inputs, options, prints)
    worse_on_one = dataclasses.replace(same_cards, **{field: getattr(BASE, field) + 1})
    prints = footprints(options, "h100", worse_on_one, BASE)
    assert ("h100", "air") in kept(inputs, options, prints)
