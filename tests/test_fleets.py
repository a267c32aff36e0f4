"""Mixed fleets and fleet plans over years, checked by hand and by brute force.

Years are operating years 1..H (DESIGN 3.6): what serves year y is bought at its
start and paid at the end of year y - 1. The issue's purchase times 0, 1, ... are
the starts of operating years 1, 2, ...: "bought in year 0" is a year-1 tranche.
Prices come from `tests/oracle.py` (its own code), throughput from the performance
model only.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import oracle
import pytest
from test_optimizer_bruteforce import SMALL_MODEL

from tco.scenario.fleet import solve_fleet
from tco.scenario.optimize import make_engine, optimize
from tco.schema.inputs import PlanningInputs

from factory import CHIP, COOLING, DOMESTIC, FABRIC, INFERENCE, TRAINING, make_inputs

REL = 1e-6

SERVE: dict[str, Any] = dict(INFERENCE, model_id="m7")
#: A fabric and a cooling that cost nothing, so hand-solved cases count cards and hosts.
FREE_FABRIC: dict[str, Any] = dict(
    FABRIC, switch_price=0, nic_price=0, optic_price=0, cable_price=0, switch_power_w=0
)
FREE_COOLING: dict[str, Any] = dict(COOLING, pue=1.0, capex_per_kw=0, rack_price=0)
FREE_SITE: dict[str, Any] = {"electricity_price_per_kwh": 0.0, "maintenance_rate": 0.0}


def _server_rate(inputs: PlanningInputs, chip_id: str) -> float:
    """Output tokens/s one server of the chip serves (whole replicas), from the perf model."""
    sizer = oracle.sizer_for(inputs)
    found = sizer._replica("chat", chip_id)
    assert found is not None
    g, rate = found
    return (inputs.chips[chip_id].cards_per_node // g) * rate


def _demand(targets: list[float]) -> list[dict[str, Any]]:
    return [
        {"workload_id": "chat", "year": y, "target_tokens_per_s": t}
        for y, t in enumerate(targets, start=1)
    ]


def _fleet(inputs: PlanningInputs, mip_gap: float = 0.0) -> Any:
    result = optimize(inputs, mip_gap=mip_gap, explain=False, time_limit_s=120)
    assert result.status == "optimal", (result.status, result.diagnosis)
    assert result.plan is not None and result.plan.fleet is not None
    return result.plan


def _bought(plan: Any) -> dict[tuple[int, str], int]:
    return {(t.year, t.chip): t.cards for t in plan.fleet.tranches}


def test_buying_later_beats_buying_everything_today() -> None:
    """Two years, demand 1 server then 2, card and host 20% cheaper a year, 10% discount.

    Everything else costs nothing. Buying the second server for year 2 pays
    104,000 at the end of year 1 (94,545.45 today) and leaves half its two-year life,
    52,000, after the horizon (42,975.21 today): 130,000 + 94,545.45 - 42,975.21 =
    181,570.25, where both servers today cost 260,000.
    """
    chip = dict(CHIP, card_price=10_000, node_price=50_000, price_change_per_year=-0.2)
    probe = make_inputs(Chips=[chip], Models=[SMALL_MODEL], Workloads=[SERVE])
    rate = _server_rate(probe, "h100")
    inputs = make_inputs(
        {**FREE_SITE, "horizon_years": 2, "discount_rate": 0.1},
        Chips=[chip],
        Fabrics=[FREE_FABRIC],
        Cooling=[FREE_COOLING],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([0.5 * rate, 1.5 * rate]),
    )
    plan = _fleet(inputs)
    assert _bought(plan) == {(1, "h100"): 8, (2, "h100"): 8}
    hand = 130_000 + 104_000 / 1.1 - 52_000 / 1.1**2
    assert plan.tco == pytest.approx(hand, rel=REL)
    assert hand < 2 * 130_000
    assert plan.fleet.residual == pytest.approx(52_000, rel=REL)
    # The cash flow puts year 2's purchase at the end of year 1 and the residual at the end.
    flows = {row.year: row for row in plan.cash_flow}
    assert flows[0].capex == pytest.approx(130_000)
    assert flows[1].capex == pytest.approx(104_000)
    assert flows[2].capex == pytest.approx(-52_000)
    assert sum(row.discounted for row in plan.cash_flow) == pytest.approx(hand, rel=REL)


def _mix_inputs(max_options: int) -> PlanningInputs:
    big = dict(CHIP, card_price=25_000, node_price=50_000)
    small = dict(CHIP, chip_id="h100-1", name="H100 single", cards_per_node=1, node_price=15_000)
    probe = make_inputs(Chips=[big], Models=[SMALL_MODEL], Workloads=[SERVE])
    per_card = _server_rate(probe, "h100") / 8
    return make_inputs(
        {"max_options_per_workload": max_options},
        Chips=[big, small],
        Models=[SMALL_MODEL],
        Workloads=[dict(SERVE, target_tokens_per_s=8.5 * per_card)],
    )


def _pairs_brute_force(inputs: PlanningInputs) -> float:
    """The cheapest plan over every pair of pool sizes (0 = that chip unused)."""
    sizer = oracle.sizer_for(inputs)
    target = inputs.workloads["chat"].target_tokens_per_s
    fabric, cooling = next(iter(inputs.fabrics)), next(iter(inputs.coolings))
    annuity = oracle.annuity(inputs.site)
    best = math.inf
    sizes = {cid: range(0, 12 // inputs.chips[cid].cards_per_node + 10) for cid in inputs.chips}
    for big, small in itertools.product(sizes["h100"], sizes["h100-1"]):
        throughput, cost = 0.0, 0.0
        for cid, nodes in (("h100", big), ("h100-1", small)):
            if nodes == 0:
                continue
            g, rate = sizer._replica("chat", cid)  # type: ignore[misc]
            cards = nodes * inputs.chips[cid].cards_per_node
            replicas = cards // g
            pool = oracle.price_pool(
                inputs, oracle.Choice("chat", cid, fabric, cooling), nodes, cards, replicas
            )
            assert pool is not None
            throughput += replicas * rate
            cost += pool.capex + annuity * pool.opex_per_year
        if throughput >= target * (1 - 1e-12) and cost < best:
            best = cost
    return best


def test_a_mix_of_two_chips_beats_either_alone_and_matches_brute_force() -> None:
    """8.5 cards of work: two 8-card servers, or nine 1-card servers, or one of each."""
    alone = optimize(_mix_inputs(1), mip_gap=0.0, explain=False)
    mixed = optimize(_mix_inputs(2), mip_gap=0.0, explain=False)
    assert alone.plan is not None and mixed.plan is not None
    assert mixed.plan.tco < alone.plan.tco * (1 - 1e-3)
    assert sorted((p.chip, p.cards) for p in mixed.plan.pools) == [("h100", 8), ("h100-1", 1)]
    target = _mix_inputs(2).workloads["chat"].target_tokens_per_s
    assert sum(p.target_tokens_per_s for p in mixed.plan.pools) == pytest.approx(target)
    assert mixed.plan.tco == pytest.approx(_pairs_brute_force(_mix_inputs(2)), rel=REL)
    assert alone.plan.tco == pytest.approx(
        oracle.price_reported_plan(_mix_inputs(1), alone.plan).tco, rel=REL
    )
    # Each part is priced on its own BOM lines and named by its chip.
    assert {line.pool for line in mixed.plan.bom} - {"site"} == {"chat on h100", "chat on h100-1"}


def test_a_split_blames_the_racks_only_when_one_chip_alone_would_not_fit() -> None:
    """The 8.5-card mix uses 2 racks (a pool a rack). With a limit of exactly those 2
    racks a single-chip plan still exists (two 8-card servers: the K = 1 model under the
    same limit finds it), so the racks are not why it mixes: the sentence says the mix is
    simply cheaper, where it used to say "all 2 racks are used"."""
    from tco.report.explain import split_sentences

    def limited(max_options: int) -> PlanningInputs:
        base = _mix_inputs(max_options)
        return make_inputs(
            {"max_options_per_workload": max_options, "max_racks": 2},
            Chips=[c.model_dump() for c in base.chips.values()],
            Models=[SMALL_MODEL],
            Workloads=[dict(SERVE, target_tokens_per_s=base.workloads["chat"].target_tokens_per_s)],
        )

    single = optimize(limited(1), mip_gap=0.0, explain=False).plan
    assert single is not None and single.racks <= 2
    inputs = limited(2)
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None and plan.racks == 2 and len(plan.pools) == 2
    (sentence,) = split_sentences(inputs, plan)
    assert "racks" not in sentence and "the mix costs less than any one chip alone" in sentence


def test_a_training_job_stays_on_one_pool_when_the_site_mixes() -> None:
    inputs = make_inputs(
        {"max_options_per_workload": 3},
        Models=[SMALL_MODEL],
        Workloads=[dict(TRAINING, model_id="m7")],
    )
    result = optimize(inputs, explain=False)
    assert result.plan is not None
    assert len(result.plan.pools) == 1


def test_a_late_chip_is_never_bought_before_its_year() -> None:
    """The cheaper chip comes in year 3 (bought at the end of year 2): nothing of it before."""
    cheap = dict(DOMESTIC, migration_cost=0, available_from_year=3, card_price=5_000)
    demand = _demand([20_000, 40_000, 60_000, 80_000])
    inputs = make_inputs(
        {"horizon_years": 4, "max_options_per_workload": 2},
        Chips=[CHIP, cheap],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=demand,
    )
    plan = _fleet(inputs, mip_gap=1e-6)
    years = {year for year, chip in _bought(plan) if chip == "ascend"}
    assert years and min(years) >= 3
    for fy in plan.fleet.years[:2]:
        assert fy.installed_cards.get("ascend", 0) == 0
    for fy in plan.fleet.years:
        assert fy.throughput["chat"] >= fy.target["chat"] * (1 - 1e-9)


def test_retirement_creates_a_purchase_when_demand_is_flat() -> None:
    chip = dict(CHIP, lifetime_years=2)
    inputs = make_inputs(
        {"horizon_years": 3}, Chips=[chip], Models=[SMALL_MODEL], Workloads=[SERVE]
    )
    plan = _fleet(inputs)
    bought = _bought(plan)
    assert set(bought) == {(1, "h100"), (3, "h100")}
    assert bought[(1, "h100")] == bought[(3, "h100")]
    last = plan.fleet.years[-1]
    assert last.retired_cards == {"h100": bought[(1, "h100")]}
    # The year-3 tranche lives one year of its two: half of it is residual value.
    assert plan.fleet.residual > 0
    assert plan.tco == pytest.approx(oracle_fleet_tco(inputs, plan), rel=REL)
    # The one pool is priced over the whole fleet: both tranches, the opex of every
    # year and the residual (no migration: CUDA costs nothing to adopt).
    (pool,) = plan.pools
    assert pool.capex == pytest.approx(sum(t.capex for t in plan.fleet.tranches), rel=1e-12)
    assert pool.tco == pytest.approx(plan.tco, rel=1e-9)
    tokens = sum(1.08**-y * pool.target_tokens_per_s * 8760 * 3600 / 1e6 for y in (1, 2, 3))
    assert pool.cost_per_million_tokens == pytest.approx(plan.tco / tokens, rel=1e-9)


def test_a_cooling_plant_that_retires_first_is_a_tranche_without_cards() -> None:
    """Cards last the 3-year horizon, the racks and cooling plant 2 years: year 3 buys
    them again and no card. That purchase is a tranche (0 cards) whose capex is counted,
    so the tranches add up to the fleet's capex, and the year's sentence names it."""
    from tco.report.explain import tranche_sentences

    cooling = dict(COOLING, lifetime_years=2)
    inputs = make_inputs(
        {"horizon_years": 3}, Cooling=[cooling], Models=[SMALL_MODEL], Workloads=[SERVE]
    )
    plan = _fleet(inputs)
    tranches = plan.fleet.tranches
    assert {(t.year, t.cards > 0) for t in tranches} == {(1, True), (3, False)}
    rebought = next(t for t in tranches if t.year == 3)
    assert rebought.systems == 0 and rebought.capex > 0
    capex = sum(fy.capex - fy.migration for fy in plan.fleet.years)
    assert sum(t.capex for t in tranches) == pytest.approx(capex, rel=1e-12)
    year3 = tranche_sentences(inputs, plan)[2]
    assert year3.startswith("year 3: buy nothing (")
    assert f"of it {rebought.capex:,.0f} racks, cooling, data hall or network" in year3


@pytest.mark.parametrize("cann_migration", [0.0, 50_000.0])
def test_a_migration_is_listed_in_the_first_year_its_stack_serves(cann_migration: float) -> None:
    """A stack's migration line is in the BOM for the year its first pool serves, and a
    stack no pool runs on has none, whether or not the migration costs anything (the
    solver may mark a free stack adopted in any year)."""
    inputs = _ramp_inputs()
    chips = [c.model_dump() for c in inputs.chips.values()]
    chips = [
        dict(c, migration_cost=cann_migration) if c["software_stack"] == "CANN" else c
        for c in chips
    ]
    inputs = make_inputs(
        {"horizon_years": 3, "max_options_per_workload": 2},
        Chips=chips,
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([15_000, 60_000, 100_000]),
    )
    plan = _fleet(inputs)
    first: dict[str, int] = {}
    for fy in plan.fleet.years:
        for p in fy.serving.pools:
            first.setdefault(inputs.chips[p.chip].software_stack, fy.year)
    listed = {
        line.item.removeprefix("Software migration to "): line.year
        for line in plan.bom
        if line.item.startswith("Software migration to ")
    }
    assert listed == first


def oracle_fleet_tco(inputs: PlanningInputs, plan: Any) -> float:
    """The oracle's price of the serving pools the plan reports, year by year."""
    serving = []
    for fy in plan.fleet.years:
        pools = []
        for p in fy.serving.pools:
            pool = oracle.price_pool(
                inputs, oracle.Choice(p.workload, p.chip, p.fabric, p.cooling), p.nodes, p.cards
            )
            assert pool is not None
            pools.append(pool)
        serving.append(pools)
    return oracle.price_fleet(inputs, serving)


@pytest.mark.parametrize(
    "site, sheets",
    [
        ({}, {"Models": [SMALL_MODEL], "Workloads": [SERVE]}),
        (
            {"min_domestic_share": 0.3, "domestic_share_basis": "cards"},
            {"Models": [SMALL_MODEL], "Workloads": [SERVE]},
        ),
        ({}, {"Models": [SMALL_MODEL], "Workloads": [dict(TRAINING, model_id="m7"), SERVE]}),
    ],
)
def test_flat_demand_fleet_is_the_single_period_plan(
    site: dict[str, Any], sheets: dict[str, Any]
) -> None:
    """The fleet model on flat targets buys everything in year 1: same pools, same TCO."""
    inputs = make_inputs({"horizon_years": 3, **site}, **sheets)
    single = make_engine(inputs, mip_gap=0.0).solve(explain=False)
    fleet = solve_fleet(make_engine(inputs, mip_gap=0.0), {}, None, "solve")
    assert single.plan is not None and fleet.plan is not None
    assert fleet.plan.tco == pytest.approx(single.plan.tco, rel=REL)

    def pools(plan: Any) -> list[tuple[Any, ...]]:
        return sorted((p.workload, p.chip, p.fabric, p.cooling, p.nodes) for p in plan.pools)

    assert pools(fleet.plan) == pools(single.plan)
    assert {t.year for t in fleet.plan.fleet.tranches} == {1}


def _brute_force_fleet(inputs: PlanningInputs, most_systems: int) -> float:
    """Cheapest fleet over every sequence of yearly serving sets (oracle pricing)."""
    sizer = oracle.sizer_for(inputs)
    site = inputs.site
    fabric, cooling = next(iter(inputs.fabrics)), next(iter(inputs.coolings))
    chips = list(inputs.chips)
    targets = [d.target_tokens_per_s for d in sorted(inputs.demand, key=lambda d: d.year)]
    menus: list[list[tuple[Any, ...]]] = []
    for year, target in enumerate(targets, start=1):
        menu = []
        usable = [c for c in chips if inputs.chips[c].available_from_year <= year]
        for k in range(1, site.max_options_per_workload + 1):
            for subset in itertools.combinations(usable, k):
                for counts in itertools.product(range(1, most_systems + 1), repeat=k):
                    rates = []
                    for cid, n in zip(subset, counts, strict=True):
                        g, rate = sizer._replica("chat", cid)  # type: ignore[misc]
                        rates.append((inputs.chips[cid].cards_per_node // g) * rate * n)
                    if sum(rates) < target * (1 - 1e-12):
                        continue
                    # Serving less never costs more, so only sets where every pool is
                    # needed at its size are candidates.
                    minimal = all(
                        sum(rates) - rate / n < target * (1 - 1e-12)
                        for rate, n in zip(rates, counts, strict=True)
                    )
                    if not minimal:
                        continue
                    menu.append(tuple(zip(subset, counts, strict=True)))
        menus.append(menu)
    best = math.inf
    for path in itertools.product(*menus):
        serving = []
        for choice in path:
            pools = []
            for cid, n in choice:
                chip = inputs.chips[cid]
                g, _ = sizer._replica("chat", cid)  # type: ignore[misc]
                cards = n * chip.cards_per_node
                pool = oracle.price_pool(
                    inputs, oracle.Choice("chat", cid, fabric, cooling), n, cards, cards // g
                )
                assert pool is not None
                pools.append(pool)
            serving.append(pools)
        best = min(best, oracle.price_fleet(inputs, serving))
    return best


@pytest.mark.parametrize(
    "chips, targets, site",
    [
        (
            [
                dict(CHIP, price_change_per_year=-0.25),
                dict(DOMESTIC, migration_cost=100_000, card_price=5_000, node_price=12_000),
            ],
            [20_000, 60_000, 90_000],
            {"max_options_per_workload": 2},
        ),
        (
            [dict(CHIP, lifetime_years=2), dict(DOMESTIC, migration_cost=0, lifetime_years=3)],
            [30_000, 30_000, 50_000],
            {"max_options_per_workload": 1, "discount_rate": 0.12},
        ),
        (
            [
                dict(CHIP, price_change_per_year=-0.1),
                dict(
                    DOMESTIC,
                    migration_cost=0,
                    available_from_year=2,
                    card_price=5_000,
                    node_price=20_000,
                ),
            ],
            [15_000, 100_000, 100_000],
            {"max_options_per_workload": 2, "maintenance_rate": 0.05},
        ),
    ],
)
def test_fleet_matches_brute_force(
    chips: list[dict[str, Any]], targets: list[float], site: dict[str, Any]
) -> None:
    inputs = make_inputs(
        {"horizon_years": 3, **site},
        Chips=chips,
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand(targets),
    )
    plan = _fleet(inputs)
    assert plan.tco == pytest.approx(_brute_force_fleet(inputs, 8), rel=REL)
    assert plan.tco == pytest.approx(oracle_fleet_tco(inputs, plan), rel=REL)


def _ramp_inputs(ascend_card_price: float = 5_000, **site: Any) -> PlanningInputs:
    chips = [
        dict(CHIP, price_change_per_year=-0.15, lifetime_years=2),
        dict(DOMESTIC, migration_cost=50_000, card_price=ascend_card_price, node_price=20_000),
    ]
    return make_inputs(
        {"horizon_years": 3, "max_options_per_workload": 2, **site},
        Chips=chips,
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([15_000, 60_000, 100_000]),
    )


def test_fleet_report_and_json(tmp_path: Any) -> None:
    """The fleet workbook has its sheets, the BOM by year, and the JSON fleet keys."""
    import openpyxl

    from tco.report.summary import json_summary
    from tco.report.workbook import write_report

    inputs = _ramp_inputs()
    result = optimize(inputs, mip_gap=0.0, explain=False)
    plan = result.plan
    assert plan is not None and plan.fleet is not None
    path = tmp_path / "fleet.xlsx"
    write_report(path, inputs, plan, [])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Summary",
        "Timeline",
        "Tranches",
        "CashFlow",
        "BOM",
        "Pools",
        "Power",
        "Network",
        "Assumptions",
    ]
    years = [c.value for c in wb["BOM"]["A"][1:] if isinstance(c.value, int)]
    assert years == sorted(years) and set(years) == {t.year for t in plan.fleet.tranches}
    assert wb["Timeline"]._charts
    # Every BOM unit price reads its Assumptions value, a card's with the year's change.
    names = set(wb.defined_names)
    lines = [(r[0].value, str(r[6].value)) for r in wb["BOM"].iter_rows(min_row=2)]
    lines = [(year, f) for year, f in lines if isinstance(year, int)]
    assert lines and all(f.startswith("=") for _, f in lines)
    grown = [(year, f) for year, f in lines if "price_change_per_year" in f]
    assert {year for year, _ in grown} == {year for year, _ in lines} - {1}
    assert all(f.endswith(f"_price_change_per_year)^{year - 1}") for year, f in grown)
    used = {name for _, f in lines for name in re.findall(r"[A-Za-z]\w*_\w+", f)}
    assert used <= names
    # Power and Network: one row per year and serving pool, as the plan's.
    serving = [(fy.year, p) for fy in plan.fleet.years for p in fy.serving.pools]
    cached = openpyxl.load_workbook(path, data_only=True)
    power = [
        r for r in cached["Power"].iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)
    ]
    network = [
        r for r in wb["Network"].iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)
    ]
    assert [(r[0], r[1], r[5]) for r in power] == [(y, p.name, p.nodes) for y, p in serving]
    assert [r[7] for r in power] == [p.it_kw for _, p in serving]
    assert [(r[0], r[11]) for r in network] == [(y, p.links_bought) for y, p in serving]
    assert [r[12] for r in network] == [2 * p.links_bought for _, p in serving]
    # Tranches: the order list, one row per option and year, as the JSON's purchases.
    tranches = [r for r in wb["Tranches"].iter_rows(min_row=2, values_only=True) if r[0]]
    tranches = [r for r in tranches if isinstance(r[0], int)]
    assert [(r[0], r[2], r[7], r[8]) for r in tranches] == [
        (t.year, t.chip, t.cards, t.capex) for t in plan.fleet.tranches
    ]
    # Summary: the key figures under the single-purchase labels.
    figures = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(path, data_only=True)["Summary"].iter_rows(values_only=True)
        if isinstance(r[0], str)
    }
    assert figures["TCO, discounted over 3 years"] == pytest.approx(plan.tco, rel=1e-12)
    assert figures["Capex (every tranche, nominal, incl. software migration)"] == plan.capex
    assert figures["Accelerator cards"] == plan.cards and figures["Status"] == "optimal"
    summary = json_summary(inputs, result)
    assert {p["year"] for p in summary["purchases"]} == {t.year for t in plan.fleet.tranches}
    assert [y["year"] for y in summary["years"]] == [1, 2, 3]
    for year in summary["years"]:
        assert year["throughput"]["chat"] >= year["target"]["chat"] * (1 - 1e-9)
    assert sum(p["cards"] for p in summary["purchases"]) == sum(
        sum(y["bought_cards_by_chip"].values()) for y in summary["years"]
    )


def _formulas_recalculate(original: Any, work: Any) -> int:
    """Every formula of `original`, recalculated by LibreOffice, equals the engine's value."""
    import openpyxl
    from test_report_recalc import recalculate

    out = recalculate([original], work)
    formulas = openpyxl.load_workbook(original)
    engine = openpyxl.load_workbook(original, data_only=True)
    office = openpyxl.load_workbook(out[original.name], data_only=True)
    checked, wrong = 0, []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                expected = engine[ws.title][cell.coordinate].value
                got = office[ws.title][cell.coordinate].value
                checked += 1
                if not isinstance(got, int | float) or abs(got - expected) > 1e-6 * max(
                    abs(expected), 1e-3
                ):
                    wrong.append(f"{ws.title}!{cell.coordinate} {cell.value}: {expected} vs {got}")
    assert not wrong, "\n".join(wrong)
    return checked


_NO_OFFICE = pytest.mark.skipif(
    __import__("shutil").which("soffice") is None, reason="LibreOffice is not installed"
)


@_NO_OFFICE
def test_fleet_report_recalculates_to_the_engine(tmp_path: Any) -> None:
    from tco.report.workbook import write_report

    inputs = _ramp_inputs()
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None
    original = tmp_path / "fleet.xlsx"
    write_report(original, inputs, plan, [])
    assert _formulas_recalculate(original, tmp_path) > 20


@_NO_OFFICE
def test_an_edited_fleet_report_recalculates_to_its_purchases_repriced(tmp_path: Any) -> None:
    """A buyer who changes a card price and the discount rate on Assumptions gets the
    TCO of the same purchases at those values: capex, the residual, maintenance and the
    discounting all follow (the oracle prices the plan's yearly fleets at the new values).
    The residual, maintenance and discount factors used to stay the engine's numbers."""
    import openpyxl
    from test_report_recalc import recalculate

    from tco.report.workbook import write_report

    inputs = _ramp_inputs()
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None and plan.fleet is not None and plan.fleet.residual > 0
    original = tmp_path / "fleet.xlsx"
    write_report(original, inputs, plan, [])
    edits = {"Chips_ascend_card_price": 7_000.0, "Site_discount_rate": 0.2}
    book = openpyxl.load_workbook(original)
    sheet = book["Assumptions"]
    header = [c.value for c in sheet[1]]
    value, name = header.index("Value"), header.index("Name in formulas")
    for row in sheet.iter_rows(min_row=2):
        if row[name].value in edits:
            row[value].value = edits.pop(row[name].value)
    assert not edits, edits
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    out = recalculate([edited], tmp_path)[edited.name]
    figures = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(out, data_only=True)["Summary"].iter_rows(values_only=True)
        if isinstance(r[0], str)
    }
    repriced = _ramp_inputs(ascend_card_price=7_000, discount_rate=0.2)
    expected = oracle_fleet_tco(repriced, plan)
    assert expected != pytest.approx(plan.tco, rel=1e-3)
    assert figures["TCO, discounted over 3 years"] == pytest.approx(expected, rel=1e-9)


@_NO_OFFICE
def test_mixed_report_recalculates_to_the_engine(tmp_path: Any) -> None:
    """Each part of a mixed workload has its own Pools row and BOM block, formulas live."""
    from tco.report.workbook import write_report

    inputs = _mix_inputs(2)
    plan = optimize(inputs, mip_gap=0.0, explain=False).plan
    assert plan is not None and len(plan.pools) == 2
    original = tmp_path / "mixed.xlsx"
    write_report(original, inputs, plan, [])
    assert _formulas_recalculate(original, tmp_path) > 50


def test_cli_writes_a_fleet_report_from_a_demand_sheet(tmp_path: Any) -> None:
    """End to end: a workbook with a Demand sheet -> exit 0, tranches in the JSON and report."""
    import json

    import openpyxl
    from typer.testing import CliRunner

    from tco.cli import app
    from tco.io.template import write_workbook

    from factory import SITE, sheets

    book = tmp_path / "ramp.xlsx"
    rows = sheets(
        Chips=[dict(CHIP, price_change_per_year=-0.2)],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([30_000, 90_000, 150_000]),
    )
    write_workbook(book, rows, {**SITE, "horizon_years": 3})
    report = tmp_path / "ramp-report.xlsx"
    done = CliRunner().invoke(app, ["optimize", str(book), "-o", str(report), "--json", "-"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert [y["year"] for y in summary["years"]] == [1, 2, 3]
    assert {p["year"] for p in summary["purchases"]} == {1, 2, 3}
    assert summary["tco"] == pytest.approx(summary["objective"])
    assert "Timeline" in openpyxl.load_workbook(report).sheetnames
    # tco estimate sizes each workload at its peak year, as the plan does (QA: it showed
    # the Workloads target).
    shown = CliRunner().invoke(app, ["estimate", str(book)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "target 150,000 tokens/s" in text and "its peak year's target" in text


def _share_mix_inputs() -> PlanningInputs:
    liquid = dict(
        COOLING,
        cooling_id="liquid",
        technology="cold-plate liquid",
        pue=1.15,
        capex_per_kw=2500,
        rack_price=9000,
        max_rack_kw=80,
        nodes_per_rack_max=8,
    )
    return make_inputs(
        {"max_options_per_workload": 2, "min_domestic_share": 0.3, "domestic_share_basis": "cards"},
        Chips=[CHIP, dict(DOMESTIC, migration_cost=100_000)],
        Cooling=[COOLING, liquid],
        Models=[SMALL_MODEL],
        Workloads=[dict(SERVE, target_tokens_per_s=150_000)],
    )


def _share_pairs_brute_force(inputs: PlanningInputs, most: int) -> float:
    """Cheapest plan over every pair of (option, systems) parts on different chips."""
    sizer = oracle.sizer_for(inputs)
    target = inputs.workloads["chat"].target_tokens_per_s
    share = inputs.site.min_domestic_share
    annuity = oracle.annuity(inputs.site)
    migration = oracle.migration_by_stack(inputs)
    parts: list[tuple[str, float, int, float, str]] = [("", 0.0, 0, 0.0, "")]
    for choice in oracle.choices(inputs):
        chip = inputs.chips[choice.chip]
        g, rate = sizer._replica("chat", choice.chip)  # type: ignore[misc]
        for n in range(1, most + 1):
            cards = n * chip.cards_per_node
            pool = oracle.price_pool(inputs, choice, n, cards, cards // g)
            if pool is None:
                continue
            cost = pool.capex + annuity * pool.opex_per_year
            parts.append((choice.chip, (cards // g) * rate, cards, cost, chip.software_stack))
    best = math.inf
    for a, b in itertools.combinations_with_replacement(parts, 2):
        if a[0] and a[0] == b[0]:
            continue
        if a[1] + b[1] < target * (1 - 1e-12):
            continue
        domestic = sum(p[2] for p in (a, b) if p[0] and inputs.chips[p[0]].origin == "domestic")
        if domestic < share * (a[2] + b[2]) * (1 - 1e-9):
            continue
        stacks = {p[4] for p in (a, b) if p[0]}
        best = min(best, a[3] + b[3] + sum(migration[s] for s in stacks))
    return best


def test_a_mix_under_a_domestic_share_matches_brute_force_with_and_without_presolve() -> None:
    """A 30% card share met by a domestic part next to an import part; pruning keeps it."""
    inputs = _share_mix_inputs()
    pruned = optimize(inputs, mip_gap=0.0, explain=False)
    full = optimize(inputs, mip_gap=0.0, explain=False, prune=False)
    assert pruned.plan is not None and full.plan is not None
    assert pruned.candidates < pruned.options or pruned.candidates == pruned.options
    expected = _share_pairs_brute_force(inputs, 12)
    assert pruned.plan.tco == pytest.approx(expected, rel=REL)
    assert full.plan.tco == pytest.approx(expected, rel=REL)
    chips = {p.chip for p in pruned.plan.pools}
    if chips == {"h100", "ascend"}:
        from tco.report.explain import split_sentences

        (line,) = split_sentences(inputs, pruned.plan)
        assert "domestic-share rule binds" in line


def test_bad_demand_rows_are_input_errors_naming_their_cells() -> None:
    from tco.errors import InputError

    with pytest.raises(InputError) as caught:
        make_inputs(
            {"horizon_years": 3},
            Models=[SMALL_MODEL],
            Workloads=[SERVE],
            Demand=[
                {"workload_id": "chat", "year": 4, "target_tokens_per_s": 1000},
                {"workload_id": "chat", "year": 2, "target_tokens_per_s": 1000},
                {"workload_id": "chat", "year": 2, "target_tokens_per_s": 2000},
                {"workload_id": "nope", "year": 1, "target_tokens_per_s": 1000},
                {"workload_id": "chat", "year": 1, "target_tokens_per_s": -5},
            ],
        )
    text = "\n".join(str(issue) for issue in caught.value.issues)
    assert "Sheet 'Demand', row 3, column B (year): year 4 is after the horizon" in text
    assert "Sheet 'Demand', row 5, column B (year): workload chat has year 2 twice" in text
    assert "Sheet 'Demand', row 6, column A (workload_id): unknown Workloads id 'nope'" in text
    assert "Sheet 'Demand', row 7, column C (target_tokens_per_s)" in text


@pytest.mark.parametrize(
    "site, expected",
    [
        ({"power_budget_kw": 1.0}, "year 1: power budget 1 kW is "),
        ({"capex_budget": 1_000.0}, "the capex budget of 1,000 USD a year"),
    ],
)
def test_an_infeasible_fleet_names_the_year_and_limit(site: dict[str, Any], expected: str) -> None:
    """A year that cannot meet its own limits is named with the limit and by how much; a
    capex budget, which earlier years may spend ahead, is named for the fleet."""
    base = _ramp_inputs()
    inputs = make_inputs(
        {"horizon_years": 3, "max_options_per_workload": 2, **site},
        Chips=[c.model_dump() for c in base.chips.values()],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([15_000, 60_000, 100_000]),
    )
    result = optimize(inputs, explain=False, time_limit_s=120)
    assert result.status == "infeasible" and result.plan is None
    assert any(expected in line for line in result.diagnosis), result.diagnosis
    if "power_budget_kw" in site:
        assert [line.split(":")[0] for line in result.diagnosis] == ["year 1", "year 2", "year 3"]


@pytest.mark.parametrize("h100_change", [0.3, 0.0])
def test_a_mix_with_a_chip_on_sale_later_says_so_only_when_that_is_why(
    h100_change: float,
) -> None:
    """The Ascend goes on sale in year 2. With H100 prices rising 30% a year every H100 is
    bought in year 1 and the Ascend serves the growth: the Summary says the Ascend comes
    later (QA: it blamed whole-system rounding). With flat H100 prices the plan buys H100
    again in year 3, so the late start is not why it mixes."""
    from tco.report.explain import split_sentences

    chips = [
        dict(CHIP, price_change_per_year=h100_change),
        dict(
            DOMESTIC,
            migration_cost=0,
            card_price=5_000,
            node_price=20_000,
            available_from_year=2,
        ),
    ]
    inputs = make_inputs(
        {"horizon_years": 3, "max_options_per_workload": 2},
        Chips=chips,
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([15_000, 60_000, 100_000]),
    )
    plan = _fleet(inputs)
    assert {p.chip for p in plan.pools} == {"h100", "ascend"}
    (line,) = split_sentences(inputs, plan)
    h100_years = {t.year for t in plan.fleet.tranches if t.chip == "h100" and t.cards}
    late = "Ascend 910B goes on sale only from year 2" in line
    assert late == (max(h100_years) < 2), (line, h100_years)
    assert late == (h100_change > 0)


def test_a_year_before_any_chip_is_on_sale_names_the_chip_that_comes_later() -> None:
    """The only chip goes on sale in year 2: year 1 cannot be served, and the diagnosis
    names the chip it left out and when it comes (QA: it said only that chips on sale
    later were left out)."""
    inputs = make_inputs(
        {"horizon_years": 2},
        Chips=[dict(DOMESTIC, available_from_year=2)],
        Models=[SMALL_MODEL],
        Workloads=[SERVE],
        Demand=_demand([15_000, 20_000]),
    )
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "infeasible" and result.plan is None
    text = "\n".join(result.diagnosis)
    assert "year 1 (on sale only later: Ascend 910B from year 2)" in text, text
