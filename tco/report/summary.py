"""The optimize result as the stable JSON summary (DESIGN 3.3) and as short text lines."""

from __future__ import annotations

from typing import Any

from tco.report.explain import pool_sentence, split_sentences, tranche_sentences
from tco.scenario.optimize import OptimizeResult
from tco.schema.inputs import PlanningInputs
from tco.text import plural


def no_plan_reason(result: OptimizeResult) -> str:
    """Why a run stopped on its time limit without a plan, for the CLI and the JSON."""
    outcome = result.outcome
    why = (
        outcome.message
        if outcome and outcome.message
        else "the solver stopped on its time limit before finding any plan"
    )
    return f"{why}, without a feasible plan; raise --time-limit"


def json_summary(inputs: PlanningInputs, result: OptimizeResult) -> dict[str, Any]:
    """Stable keys first; more may be added, none renamed.

    `status` keeps to the contract's values: a solver stopped on its time limit or by
    Ctrl-C is "feasible" (exit 4, or 130 without a plan) whether or not it found a
    plan; `plan_found` says which and `interrupted` says whether the user stopped it.
    """
    plan = result.plan
    # An interrupted run is "feasible" (a plan, or none, not proven optimal), with
    # "interrupted" saying why.
    status = "feasible" if result.status in ("no_solution", "interrupted") else result.status
    out: dict[str, Any] = {
        "status": status,
        "objective": plan.tco if plan else None,
        "currency": inputs.site.currency,
        # The FX rates the load used to bring other currencies into `currency`.
        "fx": {code: rate.units_per_usd for code, rate in inputs.fx.rates.items()},
        "mip_gap": plan.mip_gap if plan else None,
        "capex": plan.capex if plan else None,
        "opex_per_year": plan.opex_per_year if plan else None,
        "tco": plan.tco if plan else None,
        "it_power_kw": plan.it_kw if plan else None,
        "facility_power_kw": plan.facility_kw if plan else None,
        "racks": plan.racks if plan else None,
        "pools": [],
        "diagnosis": list(result.diagnosis),
        "plan_found": plan is not None,
        "interrupted": result.status == "interrupted",
    }
    if result.status == "no_solution":
        out["diagnosis"].append(no_plan_reason(result))
    if plan is None:
        out["warnings"] = list(inputs.warnings)  # a plan's warnings start with these
        return out
    out["tco_nominal"] = plan.tco_nominal
    out["migration"] = plan.migration
    out["cards"] = plan.cards
    out["domestic_cards"] = plan.domestic_cards
    out["domestic_share"] = dict(plan.domestic_share)
    out["warnings"] = list(plan.warnings)
    # Every solve of the run so far (translation included: the optimum, then the
    # alternatives' re-solves); the breakdown per stage of the whole run is "timings".
    out["solve_seconds"] = result.solve_seconds
    out["timings"] = {stage: round(seconds, 4) for stage, seconds in result.timings_s.items()}
    if plan.fleet is not None:
        out["purchases"] = [
            {
                "year": t.year,
                "workload": t.workload,
                "chip": t.chip,
                "fabric": t.fabric,
                "cooling": t.cooling,
                "cards": t.cards,
                "nodes": t.nodes,
                "systems": t.systems,
                "capex": t.capex,
            }
            for t in plan.fleet.tranches
        ]
        out["years"] = [
            {
                "year": fy.year,
                "installed_cards": sum(fy.installed_cards.values()),
                "installed_cards_by_chip": dict(fy.installed_cards),
                "bought_cards_by_chip": dict(fy.bought_cards),
                "retired_cards_by_chip": dict(fy.retired_cards),
                "capex": fy.capex,
                "opex": fy.opex,
                "it_power_kw": fy.it_kw,
                "facility_power_kw": fy.facility_kw,
                "racks": fy.racks,
                "residual_value": fy.residual,
                "throughput": dict(fy.throughput),
                "target": dict(fy.target),
            }
            for fy in plan.fleet.years
        ]
    for p in plan.pools:
        out["pools"].append(
            {
                "workload": p.workload,
                "kind": p.kind,
                "chip": p.chip,
                "fabric": p.fabric,
                "cooling": p.cooling,
                "systems": p.systems,
                "system_cards": p.system_cards,
                "nodes": p.nodes,
                "cards": p.cards,
                "replicas": p.replicas,
                "replica_cards": p.replica_cards,
                "layout": p.layout,
                "throughput_tokens_per_s": p.throughput_tokens_per_s,
                "target_tokens_per_s": p.target_tokens_per_s,
                "cost_per_million_tokens": p.cost_per_million_tokens,
                # A training run over its deadline; null for inference and for a
                # training target given as tokens/s alone (no deadline, no run).
                "run_cost": p.run_cost,
                "dedicated_run_cost": p.dedicated_run_cost,
                "switches": p.network.switches,
                "tiers": p.network.tiers,
                "racks": p.racks,
                "it_kw": p.it_kw,
                "facility_kw": p.facility_kw,
                "capex": p.capex,
                "tco": p.tco,
            }
        )
    return out


def text_summary(inputs: PlanningInputs, result: OptimizeResult) -> list[str]:
    """A planner-readable summary: the decision per workload, then the KPIs."""
    plan = result.plan
    if plan is None:
        return []
    cur = inputs.site.currency
    lines = [pool_sentence(inputs, p) for p in plan.pools]
    lines += split_sentences(inputs, plan)
    if plan.fleet is not None:
        lines += tranche_sentences(inputs, plan)
    gap = f"{plan.mip_gap:.3%}" if plan.mip_gap is not None else "n/a"
    fleet = plan.fleet
    # A fleet's pools, racks and cards are the last year's serving ones; what is
    # installed then (idle cards included) is the Timeline's.
    serving = (
        f" serving in year {fleet.years[-1].year} of "
        f"{sum(fleet.years[-1].installed_cards.values()):,} installed"
        if fleet is not None
        else ""
    )
    lines += [
        f"TCO {plan.tco:,.0f} {cur} discounted over {plural(inputs.site.horizon_years, 'year')} "
        f"({plan.tco_nominal:,.0f} nominal); capex {plan.capex:,.0f} (incl. migration "
        f"{plan.migration:,.0f}); opex {plan.opex_per_year:,.0f} per year",
        f"IT {plan.it_kw / 1000:,.2f} MW, facility {plan.facility_kw / 1000:,.2f} MW, "
        f"{plural(plan.racks, 'rack')}, {plural(plan.cards, 'card')}{serving} "
        f"({plan.domestic_cards:,} domestic)",
        f"solver: {plan.status}, gap {gap}, {plan.solve_seconds:,.2f} s",
    ]
    return lines + [f"warning: {w}" for w in plan.warnings]
