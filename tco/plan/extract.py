"""Typed decisions -> Plan (pure data), re-costed independently of the solver.

`extract_plan` takes the decisions the model modules export (which option
per workload, nodes, replicas, switches, links, racks, stacks; see
`tco.model.build.Decisions`), never the model's variables. Everything else is
recomputed from the input data: the true throughput from the option's
performance curve, the minimum Clos and rack counts, power, every cost line
(`tco.costs.registry`), cash flow and TCO. Then

- the re-costed TCO must equal the solver's objective to 1e-6 relative, and
- every constraint must hold on the recomputed numbers (targets met, counts
  at least the minimum, power, racks, supply, domestic share, capex budget);

otherwise `PlanCheckError` is raised: a wrong report is never written.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from tco.costs import registry
from tco.costs.clos import MAX_TIERS, ClosSize, size_clos, tier_capacity, tier_coefficients
from tco.model.build import Decisions
from tco.model.context import MONEY_SCALE
from tco.model.fleet import one_pool
from tco.model.network import FabricDecision
from tco.model.options import Option
from tco.schema.fields import SHARE_BASES
from tco.schema.inputs import PlanningInputs, usable_chips
from tco.solve.highs import SolveOutcome, relative_gap
from tco.text import plural

RECOST_TOLERANCE = 1e-6


class PlanCheckError(RuntimeError):
    """The solved plan disagrees with the independent re-costing: a bug, exit 1."""


@dataclass(frozen=True)
class BomLine:
    """One priced line; `key` names its registry line (`tco.costs.registry.LINES`)."""

    pool: str
    key: str
    item: str
    category: str
    quantity: float
    unit: str
    unit_price: float
    extended: float
    source_sheet: str
    source_id: str
    source_row: int | None
    confidence: str
    #: Fleet plans: the operating year the line is bought for (None: a single purchase).
    year: int | None = None
    #: Fleet plans: the last operating year the tranche line is installed (its stock's
    #: lifetime from `year`, at most the horizon; maintained through it), and the share of
    #: its price credited as residual value after the horizon. None and 0 for a single
    #: purchase and for a stack's migration.
    in_service_to: int | None = None
    residual_share: float = 0.0


@dataclass(frozen=True)
class PoolPlan:
    workload: str
    kind: str
    chip: str
    fabric: str
    cooling: str
    nodes: int
    #: Orderable systems and the cards in each (one server when the chip has no larger
    #: system, `Chips.system_cards`).
    systems: int
    system_cards: int
    cards: int
    replicas: int | None
    replica_cards: int | None
    #: How the pool splits the model: training 'TP8 PP4 VP5 DP8, selective recompute' at
    #: its node count, inference one replica's ('TP4', 'EP16 DP-attention across ib').
    layout: str
    throughput_tokens_per_s: float
    target_tokens_per_s: float
    network: ClosSize
    switches_bought: tuple[int, int, int]
    links_bought: int
    nics: int
    racks: int
    nodes_per_rack: int
    node_kw: float
    it_kw: float
    pue: float
    facility_kw: float
    capex: float
    migration_share: float
    energy_per_year: float
    maintenance_per_year: float
    tco: float
    #: Levelized: pool TCO (its migration share included) / (target tokens/s x seconds
    #: per year x annuity / 1e6), i.e. discounted cost over discounted tokens delivered
    #: at the target rate over the horizon (training: as if it kept training at it).
    cost_per_million_tokens: float
    #: A training run's deadline [days]; None for inference and for a training target
    #: given as tokens/s alone, which have no run.
    deadline_days: float | None
    #: The run's share of the pool's cost over its deadline [currency]
    #: (`registry.run_cost`); None without a run.
    run_cost: float | None
    #: The run on a cluster bought for it alone [currency]
    #: (`registry.dedicated_run_cost`); None without a run.
    dedicated_run_cost: float | None
    #: The pool's name on the BOM: its workload, or "workload on chip" for one part of
    #: a mixed workload (`tco.model.fleet`: at most one part per chip).
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.workload

    @property
    def target_utilisation(self) -> float:
        """Share of the pool's capacity the target uses (the binding resource)."""
        return self.target_tokens_per_s / self.throughput_tokens_per_s


@dataclass(frozen=True)
class CashFlowYear:
    year: int
    capex: float
    energy: float
    maintenance: float
    total: float
    discount_factor: float
    discounted: float
    cumulative_discounted: float


@dataclass(frozen=True)
class Plan:
    status: str
    mip_gap: float | None
    solve_seconds: float
    currency: str
    pools: tuple[PoolPlan, ...]
    bom: tuple[BomLine, ...]
    stacks: tuple[str, ...]
    capex: float
    migration: float
    energy_per_year: float
    maintenance_per_year: float
    tco: float
    tco_nominal: float
    objective: float
    it_kw: float
    facility_kw: float
    racks: int
    cards: int
    domestic_cards: int
    cash_flow: tuple[CashFlowYear, ...]
    #: Achieved domestic share on every basis (`SHARE_BASES`), whatever the Site asks.
    domestic_share: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = field(default=())
    #: Fleet plans over years (`tco.plan.fleet`): the tranches, year by year; None for a
    #: single purchase today. The pools above are then the last year's.
    fleet: Any = None

    @property
    def opex_per_year(self) -> float:
        return float(registry.yearly_opex(self.energy_per_year, self.maintenance_per_year))


def _true_throughput(o: Option, nodes: int, replicas: int) -> float:
    """Tokens/s the pool really delivers: replicas x rate, or the training curve at n."""
    if o.kind == "inference":
        return replicas * o.tokens_per_replica
    assert o.curve is not None, "training options carry their curve"
    return o.curve.tokens_per_s(nodes)


def extract_plan(
    inputs: PlanningInputs, decided: Decisions, outcome: SolveOutcome, recost: bool = True
) -> Plan:
    """Build the Plan from the solved decisions and check it against the objective.

    A proven optimum is written as solved and must re-cost to its objective. An
    incumbent the solver stopped on (time limit or Ctrl-C) may carry slack: more
    switches, links or racks than its pools need, or a stack no pool uses. It
    is cleaned to the least fabric, racks and stacks for its pools and re-costed;
    the cleaned plan can only be cheaper than the solver's objective (more
    expensive is a bug), and its gap is recomputed against the solver's bound.

    `recost=False` is one year of a fleet plan (`tco.plan.fleet`): its pools are what
    serves the year, their fabric and racks the least they need (the purchases hold
    the rest), every target and limit is checked, and the fleet is re-costed as a whole.
    """
    if outcome.status != "optimal" or not recost:
        decided = _cleaned(inputs, decided)
    site = inputs.site
    problems: list[str] = []
    for wid in inputs.workloads:
        most = int(site.max_options_per_workload)
        chosen = [p.option for p in decided.pools if p.option.workload == wid]
        if one_pool(inputs, wid):
            most = 1
        if not 1 <= len(chosen) <= most:
            raise PlanCheckError(
                f"the solution serves {wid} with {plural(len(chosen), 'pool')}, not 1 to {most}"
            )
    factor = registry.annuity(site)
    pools: list[dict[str, Any]] = []
    for d in decided.pools:
        o = d.option
        chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
        cooling = inputs.coolings[o.cooling]
        nodes, replicas, cards, nics = d.nodes, d.replicas, d.cards, d.nics
        clos = size_clos(d.ports, fabric.switch_radix, fabric.oversubscription)
        fab = decided.fabrics[o.key]
        bought = (fab.leaf_switches, fab.spine_switches, fab.core_switches)
        links = fab.links
        racks = decided.racks[o.key]
        needed_racks = math.ceil(nodes / o.nodes_per_rack)
        if not _builds_a_clos(d.ports, fabric, bought, links):
            problems.append(
                f"{o.workload}: {bought} leaf/spine/core switches and {plural(links, 'link')} "
                f"do not connect {plural(d.ports, 'endpoint')} (the smallest fabric needs "
                f"{clos.leaf_switches}/{clos.spine_switches}/{clos.core_switches} and "
                f"{plural(clos.links, 'link')})"
            )
        if racks < needed_racks:
            bought_racks = plural(racks, "rack")
            problems.append(f"{o.workload}: {bought_racks} bought, {needed_racks:,} needed")
        if nodes % o.nodes_per_system:
            problems.append(
                f"{o.workload}: {plural(nodes, 'node')} are not whole systems of "
                f"{o.nodes_per_system}"
            )
        if replicas is not None and replicas > o.replica_capacity(d.systems):
            problems.append(
                f"{o.workload}: {plural(replicas, 'replica')} of {o.replica_cards} cards do "
                f"not fit {plural(d.systems, 'system')} of {o.system_cards} cards"
            )
        if replicas is not None:
            # Every bought slot serves: the pool's capacity, not the solver's count,
            # which only has to reach the target.
            replicas = max(replicas, o.replica_capacity(d.systems))
        throughput = _true_throughput(o, nodes, replicas or 0)
        q = registry.PoolQuantities(cards, nodes, d.systems, nics, *bought, links, racks)
        cost = registry.price_pool(q, registry.row_lookup(chip, fabric, cooling, site))
        pools.append(
            dict(
                option=o,
                nodes=nodes,
                systems=d.systems,
                replicas=replicas,
                cards=cards,
                nics=nics,
                clos=clos,
                bought=bought,
                links=links,
                racks=racks,
                cost=cost,
                it_kw=cost.it_kw,
                throughput=throughput,
                capex=cost.capex,
                energy=cost.energy_per_year,
                maintenance=cost.maintenance_per_year,
            )
        )
    for wid in inputs.workloads:
        served = [p for p in pools if p["option"].workload == wid]
        throughput = sum(p["throughput"] for p in served)
        target = served[0]["option"].target_tokens_per_s
        if throughput < target * (1 - 1e-9):
            problems.append(
                f"{wid}: true throughput {throughput:,.1f} tokens/s is below the target "
                f"{target:,.1f}"
            )
        for p in served:
            # A part of a mixed workload answers for its share of the target, pro rata to
            # what it delivers; a single pool answers for all of it.
            p["target"] = target * p["throughput"] / throughput if len(served) > 1 else target
    migration, stacks, bom_extra = _migration(inputs, pools)
    if set(stacks) != set(decided.stacks):
        problems.append(
            f"the solution pays migration for {sorted(decided.stacks)} but its pools use "
            f"{sorted(stacks)}"
        )
    capex = sum(p["capex"] for p in pools) + migration
    energy = sum(p["energy"] for p in pools)
    maintenance = sum(p["maintenance"] for p in pools)
    tco = registry.discounted_tco(
        capex, 0.0, registry.opex_present_value(registry.yearly_opex(energy, maintenance), factor)
    )
    objective = (outcome.objective or 0.0) / MONEY_SCALE
    if recost and outcome.status != "optimal" and tco < objective:
        # The cleaned incumbent is cheaper than what the solver stopped on: it is the
        # plan written, and its gap is measured from the solver's bound.
        objective = tco
        outcome = dataclasses.replace(
            outcome,
            objective=tco * MONEY_SCALE,
            gap=relative_gap(tco * MONEY_SCALE, outcome.bound),
        )
    if recost and abs(tco - objective) > RECOST_TOLERANCE * max(abs(tco), 1.0):
        raise PlanCheckError(
            f"re-costed TCO {tco:,.2f} differs from the solver's objective "
            f"{objective:,.2f} (relative {abs(tco - objective) / tco:.2e})"
        )
    problems += _site_checks(inputs, pools, capex)
    if problems:
        raise PlanCheckError("the solved plan breaks a constraint: " + "; ".join(problems))
    return _assemble(
        inputs,
        pools,
        outcome,
        stacks,
        bom_extra,
        migration,
        capex,
        energy,
        maintenance,
        tco,
        objective,
    )


def _cleaned(inputs: PlanningInputs, decided: Decisions) -> Decisions:
    """An incumbent's decisions with the least fabric, racks and stacks its pools need."""
    fabrics, racks = {}, {}
    for d in decided.pools:
        o = d.option
        fabric = inputs.fabrics[o.fabric]
        clos = size_clos(d.ports, fabric.switch_radix, fabric.oversubscription)
        fabrics[o.key] = FabricDecision(
            clos.leaf_switches, clos.spine_switches, clos.core_switches, clos.links
        )
        racks[o.key] = math.ceil(d.nodes / o.nodes_per_rack)
    stacks = tuple(sorted({inputs.chips[d.option.chip].software_stack for d in decided.pools}))
    return Decisions(decided.pools, fabrics, racks, stacks)


def _builds_a_clos(endpoints: int, fabric: Any, bought: tuple[int, ...], links: int) -> bool:
    """Whether the bought switch and link counts form a folded Clos of some tier count."""
    for tiers in range(1, MAX_TIERS + 1):
        if endpoints > tier_capacity(tiers, fabric.switch_radix, fabric.oversubscription):
            continue
        need = tier_coefficients(tiers, fabric.switch_radix, fabric.oversubscription)
        counts = (*bought, links)
        if all(have >= endpoints * per - 1e-9 for have, per in zip(counts, need, strict=True)):
            return True
    return endpoints == 0


def _migration(
    inputs: PlanningInputs, pools: list[dict[str, Any]]
) -> tuple[float, tuple[str, ...], list[BomLine]]:
    costs = registry.stack_migration_costs(usable_chips(inputs))
    stacks = sorted({inputs.chips[p["option"].chip].software_stack for p in pools})
    lines = []
    for stack in stacks:
        cost, chip_id = costs[stack]
        users = [p for p in pools if inputs.chips[p["option"].chip].software_stack == stack]
        cards = sum(p["cards"] for p in users)
        for p in users:
            weight, total = (p["cards"], cards) if cards else (1, len(users))
            p["migration_share"] = registry.migration_share(cost, weight, total)
        lines.append(
            BomLine(
                "site",
                registry.MIGRATION_KEY,
                f"Software migration to {stack}",
                registry.MIGRATION_CATEGORY,
                1.0,
                registry.MIGRATION_UNIT,
                cost,
                cost,
                "Chips",
                chip_id,
                inputs.source_rows.get(("Chips", chip_id)),
                "low",
            )
        )
    return sum(line.extended for line in lines), tuple(stacks), lines


def _site_checks(inputs: PlanningInputs, pools: list[dict[str, Any]], capex: float) -> list[str]:
    site, chips = inputs.site, inputs.chips
    problems = []
    facility = sum(p["it_kw"] * inputs.coolings[p["option"].cooling].pue for p in pools)
    if site.power_budget_kw is not None and facility > site.power_budget_kw * (1 + 1e-9):
        problems.append(
            f"facility {facility:,.1f} kW exceeds the {site.power_budget_kw:,.0f} kW budget"
        )
    racks = sum(p["racks"] for p in pools)
    if site.max_racks is not None and racks > site.max_racks:
        problems.append(f"{plural(racks, 'rack')} exceed the {site.max_racks:,} available")
    for chip_id, chip in chips.items():
        used = sum(p["cards"] for p in pools if p["option"].chip == chip_id)
        if chip.max_cards is not None and used > chip.max_cards:
            problems.append(
                f"{plural(used, f'{chip_id} card')} exceed the supply cap {chip.max_cards:,}"
            )
    basis, share = site.domestic_share_basis, site.min_domestic_share
    achieved = _domestic_share(inputs, pools, basis)
    if share > 0 and achieved < share * (1 - 1e-9):
        problems.append(f"the domestic share of {basis} is {achieved:.2%}, below {share:.0%}")
    if site.capex_budget is not None and capex > site.capex_budget * (1 + 1e-9):
        problems.append(f"capex {capex:,.0f} exceeds the budget {site.capex_budget:,.0f}")
    return problems


def _domestic_share(inputs: PlanningInputs, pools: list[dict[str, Any]], basis: str) -> float:
    """Domestic amount over all on `basis` (`registry.share_amount`); 0 for an empty plan.

    On the spend basis the network counts too when the Site asks for it, domestic by
    the fabric's origin, as bought: a pool's "network_spend" when given (a bought plan
    re-priced, `tco.risk.evaluate.fixed_outcome`), else its own priced lines'. The model
    counts it the same way (`tco.model.limits.share_rule`), so the check and the
    report agree with the row the plan was solved under.
    """
    chips, fabrics = inputs.chips, inputs.fabrics
    with_network = basis == "spend" and inputs.site.domestic_share_includes_network
    amounts = []
    for p in pools:
        o: Option = p["option"]
        chip = chips[o.chip]
        own = float(registry.share_amount(basis, chip, p["cards"], p["nodes"], p["systems"]))
        amounts.append((chip.origin == "domestic", own))
        if with_network:
            network = p.get("network_spend")
            if network is None:
                network = float(p["cost"].spend("network"))
            amounts.append((fabrics[o.fabric].origin == "domestic", network))
    total = sum(a for _, a in amounts)
    return sum(a for domestic, a in amounts if domestic) / total if total else 0.0


def _assemble(
    inputs: PlanningInputs,
    pools: list[dict[str, Any]],
    outcome: SolveOutcome,
    stacks: tuple[str, ...],
    migration_lines: list[BomLine],
    migration: float,
    capex: float,
    energy: float,
    maintenance: float,
    tco: float,
    objective: float,
) -> Plan:
    site = inputs.site
    factor = registry.annuity(site)
    pool_plans, bom = [], []
    parts: dict[str, int] = {}
    for p in pools:
        parts[p["option"].workload] = parts.get(p["option"].workload, 0) + 1
    for p in pools:
        o: Option = p["option"]
        label = o.workload if parts[o.workload] == 1 else f"{o.workload} on {o.chip}"
        cooling = inputs.coolings[o.cooling]
        share = p.get("migration_share", 0.0)
        opex = registry.yearly_opex(p["energy"], p["maintenance"])
        pool_tco = registry.discounted_tco(
            p["capex"], share, registry.opex_present_value(opex, factor)
        )
        deadline_days = inputs.workloads[o.workload].deadline_days if o.kind == "training" else None
        run_cost, dedicated_run_cost = (
            (None, None)
            if deadline_days is None
            else (
                registry.run_cost(p["capex"], share, opex, deadline_days, site.horizon_years),
                registry.dedicated_run_cost(p["capex"], share, opex, deadline_days),
            )
        )
        # Levelized: discounted cost over discounted tokens delivered at the target rate.
        chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
        for priced in p["cost"].lines:
            line = priced.line
            source_id = registry.row_id(line, chip, fabric, cooling)
            bom.append(
                BomLine(
                    label,
                    line.key,
                    line.label(chip, fabric, cooling),
                    line.category,
                    float(priced.units),
                    line.unit,
                    float(priced.unit_price),
                    float(priced.extended),
                    line.price_sheet,
                    source_id,
                    inputs.source_rows.get((line.price_sheet, source_id)),
                    registry.confidence(line, chip, fabric, cooling),
                )
            )
        pool_plans.append(
            PoolPlan(
                workload=o.workload,
                kind=o.kind,
                chip=o.chip,
                fabric=o.fabric,
                cooling=o.cooling,
                nodes=p["nodes"],
                systems=p["systems"],
                system_cards=o.system_cards,
                cards=p["cards"],
                replicas=p["replicas"],
                replica_cards=o.replica_cards or None,
                layout=_layout(o, p["nodes"]),
                throughput_tokens_per_s=p["throughput"],
                target_tokens_per_s=p["target"],
                network=p["clos"],
                switches_bought=p["bought"],
                links_bought=p["links"],
                nics=p["nics"],
                racks=p["racks"],
                nodes_per_rack=o.nodes_per_rack,
                node_kw=o.node_kw,
                it_kw=p["it_kw"],
                pue=cooling.pue,
                facility_kw=p["it_kw"] * cooling.pue,
                capex=p["capex"],
                migration_share=share,
                energy_per_year=p["energy"],
                maintenance_per_year=p["maintenance"],
                tco=pool_tco,
                cost_per_million_tokens=registry.cost_per_million_tokens(
                    pool_tco, p["target"], factor
                ),
                deadline_days=deadline_days,
                run_cost=run_cost,
                dedicated_run_cost=dedicated_run_cost,
                label=label,
            )
        )
    bom += migration_lines
    cash_flow = cash_flow_years(site, capex, energy, maintenance)
    chips = inputs.chips
    achieved = {basis: _domestic_share(inputs, pools, basis) for basis in SHARE_BASES}
    warnings = _warnings(inputs, pool_plans, outcome)
    return Plan(
        status=outcome.status,
        mip_gap=outcome.gap,
        solve_seconds=outcome.seconds,
        currency=site.currency,
        pools=tuple(pool_plans),
        bom=tuple(bom),
        stacks=stacks,
        capex=capex,
        migration=migration,
        energy_per_year=energy,
        maintenance_per_year=maintenance,
        tco=tco,
        tco_nominal=registry.discounted_tco(
            capex,
            0.0,
            registry.opex_present_value(
                registry.yearly_opex(energy, maintenance), registry.annuity(site, discounted=False)
            ),
        ),
        objective=objective,
        it_kw=sum(p.it_kw for p in pool_plans),
        facility_kw=sum(p.facility_kw for p in pool_plans),
        racks=sum(p.racks for p in pool_plans),
        cards=sum(p.cards for p in pool_plans),
        domestic_cards=sum(p.cards for p in pool_plans if chips[p.chip].origin == "domestic"),
        cash_flow=cash_flow,
        domestic_share=achieved,
        warnings=warnings,
    )


def cash_flow_years(
    site: Any, capex: float, energy: float, maintenance: float
) -> tuple[CashFlowYear, ...]:
    """Year 0 capex, years 1..H opex; discount factor (1 + rate)^-year."""
    rows, cumulative = [], 0.0
    for year in range(0, int(site.horizon_years) + 1):
        spend = capex if year == 0 else 0.0
        e, mnt = (energy, maintenance) if year > 0 else (0.0, 0.0)
        total = spend + e + mnt
        factor = registry.discount_factor(site, year)
        cumulative += total * factor
        rows.append(CashFlowYear(year, spend, e, mnt, total, factor, total * factor, cumulative))
    return tuple(rows)


def _warnings(
    inputs: PlanningInputs, pools: list[PoolPlan], outcome: SolveOutcome
) -> tuple[str, ...]:
    # The input's own warnings come first: a plan built on a widened range should say so
    # wherever the plan is shown (the Summary sheet, the JSON summary, the CLI).
    out = list(inputs.warnings)
    if outcome.status != "optimal":
        gap = f"{outcome.gap:.2%}" if outcome.gap is not None else "unknown"
        out.append(f"NOT PROVEN OPTIMAL: the solver stopped ({outcome.termination}) with gap {gap}")
    for p in pools:
        chip = inputs.chips[p.chip]
        if chip.price_confidence == "low":
            out.append(
                f"{p.workload}: {chip.name} prices are low-confidence placeholders "
                f"(Chips row {inputs.source_rows.get(('Chips', p.chip))}); replace "
                "them with a quote"
            )
        if chip.confidence == "low":
            out.append(f"{p.workload}: {chip.name} specs are low-confidence; see Uncertainty")
    return tuple(out)


def _layout(o: Option, nodes: int) -> str:
    """The parallel layout of a pool: the training curve's at its nodes, else the replica's."""
    if o.curve is not None:
        return o.curve.step(nodes).layout
    return o.replica_layout
