"""The domestic share may count the network (issue 12 item 7, `domestic_share_includes_network`).

On the spend basis a pool's network purchase (its NICs, switches, optics and cables as
bought) counts too, domestic when its fabric's origin is. The
brute-force cross-check on random instances is in `tests/test_share_exact.py`; here
are hand-computed cases and the input check.
"""

from __future__ import annotations

import oracle
import pytest
from test_optimizer_bruteforce import SMALL_MODEL

from tco.errors import InputError
from tco.scenario.optimize import optimize

from factory import CHIP, DOMESTIC, FABRIC, INFERENCE, MODEL, make_inputs

#: A domestic RoCE fabric at the same prices as the import InfiniBand one, dearer switches.
DOMESTIC_FABRIC = dict(
    FABRIC, fabric_id="roce-cn", technology="RoCEv2", origin="domestic", switch_price=60_000
)
#: One m7 replica's worth: one H100 server of 8 cards, 8 ports, one 1-tier switch.
WORKLOAD = dict(INFERENCE, model_id="m7", target_tokens_per_s=100)


def inputs_with(site: dict) -> object:
    return make_inputs(
        site={"domestic_share_basis": "spend", **site},
        Chips=[CHIP],
        Fabrics=[FABRIC, DOMESTIC_FABRIC],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[WORKLOAD],
    )


def test_a_domestic_fabric_can_meet_a_spend_share_on_import_chips() -> None:
    # Without the network an import-only plan has no domestic spend: infeasible.
    plain = optimize(inputs_with({"min_domestic_share": 0.1}), mip_gap=0.0, explain=False)
    assert plain.status == "infeasible"
    # With it, the dearer domestic fabric is bought. Network on roce-cn: 8 NICs x 2,000 +
    # 1 switch x 60,000 + 16 optics x 700 + 8 cables x 100 = 88,000; cards and host
    # 8 x 25,000 + 50,000 = 250,000: 88,000 / 338,000 = 26.0% domestic spend.
    inputs = inputs_with({"min_domestic_share": 0.1, "domestic_share_includes_network": True})
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    (pool,) = result.plan.pools
    assert (pool.fabric, pool.cards, pool.nodes) == ("roce-cn", 8, 1)
    assert result.plan.domestic_share["spend"] == pytest.approx(88_000 / 338_000)
    assert result.plan.domestic_share["cards"] == 0.0


def test_a_share_above_what_the_network_gives_stays_infeasible() -> None:
    # 26.0% is the most a domestic network gives this pool: a 30% share cannot be met.
    inputs = inputs_with({"min_domestic_share": 0.3, "domestic_share_includes_network": True})
    result = optimize(inputs, mip_gap=0.0)
    assert result.status == "infeasible"
    (line,) = result.diagnosis
    # The cheapest plan short of the share takes roce-cn: 0.3 x 338,000 = 101,400 of
    # domestic spend needed, 88,000 held: 13,400 short.
    assert line.startswith(
        "minimum domestic share 30% is 13,400 USD of domestic card, host, system and "
        "network spend short"
    )
    assert line.endswith("to move from import to domestic chips or fabrics)")


def test_without_a_share_the_cheaper_import_fabric_wins() -> None:
    inputs = inputs_with({"min_domestic_share": 0.0, "domestic_share_includes_network": True})
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.plan is not None and result.plan.pools[0].fabric == "ib"
    # Reported with the network: 68,000 of import network on 318,000 in all.
    assert result.plan.domestic_share["spend"] == 0.0


def test_the_network_counts_only_on_the_spend_basis() -> None:
    with pytest.raises(InputError) as caught:
        make_inputs(site={"domestic_share_basis": "cards", "domestic_share_includes_network": True})
    text = str(caught.value)
    assert "(domestic_share_includes_network): applies to the spend basis only" in text
    assert "Sheet 'Site'" in text


def test_the_risk_check_of_a_bought_plan_counts_its_network_spend() -> None:
    """`tco risk` re-prices the bought plan in every sample; with the network in the
    share it counts the pool's own network spend (88,000 of 338,000 at nominal prices,
    26.0%) and so holds a 10% share, where it used to fail on the plan's pool records."""
    from tco.risk.evaluate import Purchase, fixed_outcome

    inputs = inputs_with({"min_domestic_share": 0.1, "domestic_share_includes_network": True})
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None
    out = fixed_outcome(inputs, Purchase.of(plan))
    assert out.feasible, out.limits
    assert out.tco == pytest.approx(plan.tco, rel=1e-9)
    strict = make_inputs(
        site={
            "domestic_share_basis": "spend",
            "min_domestic_share": 0.27,
            "domestic_share_includes_network": True,
        },
        Chips=[CHIP],
        Fabrics=[FABRIC, DOMESTIC_FABRIC],
        Models=[MODEL, SMALL_MODEL],
        Workloads=[WORKLOAD],
    )
    (problem,) = fixed_outcome(strict, Purchase.of(plan)).limits
    assert "the domestic share of spend is 26.04%, below 27%" in problem


def _bom_spend_share(inputs: object, plan: object) -> float:
    """Domestic over all of the BOM's card, host, system and network lines, by hand."""
    domestic = total = 0.0
    for line in plan.bom:  # type: ignore[attr-defined]
        if line.category == "compute" and line.key != "migration":
            origin = inputs.chips[line.source_id].origin  # type: ignore[attr-defined]
        elif line.category == "network":
            origin = inputs.fabrics[line.source_id].origin  # type: ignore[attr-defined]
        else:
            continue
        total += line.extended
        domestic += line.extended if origin == "domestic" else 0.0
    return domestic / total


def test_the_reported_share_is_the_bill_of_materials() -> None:
    """The share the plan reports is the BOM's, line by line."""
    inputs = inputs_with({"min_domestic_share": 0.1, "domestic_share_includes_network": True})
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None
    assert plan.domestic_share["spend"] == pytest.approx(_bom_spend_share(inputs, plan))


#: A mixed workload's parts on either fabric: the H100 and Ascend of the factory.
MIXED_FABRICS = [FABRIC, DOMESTIC_FABRIC]


@pytest.mark.parametrize(
    ("target", "share"), [(10_000, 0.33), (10_000, 0.53), (20_000, 0.51), (20_000, 0.69)]
)
def test_a_mixed_plan_meets_the_share_on_its_bill_of_materials(target: int, share: float) -> None:
    """The model counts each part's network as bought. It used to count it per node at the
    option's full-target size, and a smaller part pays more a node: these plans met the
    share in the model and missed it on the BOM (32.30% at 33%, 51.27% at 53%, 50.10% at
    51%, 66.02% at 69%), with only a warning."""
    inputs = make_inputs(
        site={
            "domestic_share_basis": "spend",
            "domestic_share_includes_network": True,
            "min_domestic_share": share,
            "max_options_per_workload": 2,
        },
        Chips=[CHIP, DOMESTIC],
        Fabrics=MIXED_FABRICS,
        Workloads=[dict(INFERENCE, target_tokens_per_s=target)],
    )
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    achieved = _bom_spend_share(inputs, result.plan)
    assert achieved >= share
    assert result.plan.domestic_share["spend"] == pytest.approx(achieved)
    # No spare switch or tier buys share: each part buys the Clos its ports need.
    for pool in result.plan.pools:
        clos = pool.network
        assert pool.switches_bought == (clos.leaf_switches, clos.spine_switches, clos.core_switches)
        assert pool.links_bought == clos.links


@pytest.mark.parametrize(("radix", "over"), [(32, 1.33), (32, 4 / 3), (16, 2.57)])
def test_an_odd_oversubscription_buys_no_spare_switch_for_the_share(
    radix: int, over: float
) -> None:
    """At 1.33:1 the leaf coefficient has no small denominator; the ceiling rows were
    then left out and the optimizer bought a fourth leaf switch where the Clos needs three
    to pad the share, 12% below any plan that buys what it needs (QA)."""
    domestic = dict(DOMESTIC_FABRIC, switch_radix=radix, oversubscription=over)
    inputs = make_inputs(
        site={
            "domestic_share_basis": "spend",
            "domestic_share_includes_network": True,
            "min_domestic_share": 0.2607,
        },
        Chips=[CHIP],
        Fabrics=[FABRIC, domestic],
        Workloads=[dict(INFERENCE, target_tokens_per_s=30_000)],
    )
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    for pool in result.plan.pools:
        clos = pool.network
        assert pool.switches_bought == (clos.leaf_switches, clos.spine_switches, clos.core_switches)
        assert pool.links_bought == clos.links
    best = oracle.cheapest_plan(inputs, oracle.candidate_pools(inputs))
    assert best is not None
    assert result.plan.tco == pytest.approx(best[0].tco, rel=1e-9)
