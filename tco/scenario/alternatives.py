"""The best plan with each chip, each fabric and each cooling forced everywhere.

A planner must see at once how much more the runner-up costs and why an
option lost. For every chip some workload may use, every fabric and every
cooling option, the optimum's engine re-solves with that id pinned for every
pool (`Engine.solve(forced=...)`: bound changes on a model built once, see
`tco.scenario.engine`), each solve bounded by `time_limit_s` and all of them
by the run's budget.

A chip the site cannot buy (available = no, export control) is listed as
`unavailable` with the reason and not solved, so the planner sees why it is in
no plan.

An alternative the optimum already uses everywhere is not re-solved when the
optimum is proven: restricting the choice to what the optimum uses cannot
lower the cost, and the optimum satisfies the restriction, so the optimum
is also the best plan with that id forced.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from tco.plan.extract import Plan, PlanCheckError
from tco.scenario.engine import Engine
from tco.schema.availability import allowed_chip_ids, unavailable_chips
from tco.schema.inputs import PlanningInputs, fabric_refusal
from tco.solve.interrupt import INTERRUPT

DIMENSIONS = ("chip", "fabric", "cooling")

#: Per-chip reasons kept per workload (a forced cooling can exclude hundreds).
MAX_REASONS = 2


@dataclass(frozen=True)
class Alternative:
    """The best plan with `forced_id` used by every pool.

    status: optimal | feasible (time limit hit, not proven) | infeasible |
    no_solution | error | unavailable (the site cannot buy the chip, e.g. export
    control: not solved). `delta` = tco - optimum TCO (currency), `delta_pct`
    = delta / optimum TCO (a fraction, 0.05 = 5%); None without a plan.
    `reason` says why there is no plan, or qualifies the one found.
    """

    dimension: str
    forced_id: str
    status: str
    tco: float | None
    delta: float | None
    delta_pct: float | None
    reason: str
    #: True when the optimum already uses this id in at least one pool.
    in_plan: bool = False
    seconds: float = 0.0


def candidate_ids(inputs: PlanningInputs) -> dict[str, list[str]]:
    """Ids per dimension worth forcing: chips some workload may use, every fabric and cooling."""
    site = inputs.site
    allowed = {
        cid for w in inputs.workloads.values() for cid in allowed_chip_ids(inputs.chips, w, site)
    }
    return {
        "chip": [cid for cid in inputs.chips if cid in allowed],
        "fabric": list(inputs.fabrics),
        "cooling": list(inputs.coolings),
    }


def unavailable_alternatives(inputs: PlanningInputs) -> list[Alternative]:
    """Chips some workload names (or any, when it names none) that the site cannot buy.

    Not solved: forcing them can only be infeasible. They are listed so the
    Alternatives say why a chip a planner expected (an H100 at a China site) is
    in no plan, rather than leaving it out silently.
    """
    reasons: dict[str, str] = {}
    for w in inputs.workloads.values():
        reasons.update(unavailable_chips(inputs.chips, w, inputs.site))
    return [
        Alternative("chip", cid, "unavailable", None, None, None, reasons[cid])
        for cid in inputs.chips
        if cid in reasons
    ]


def _used(plan: Plan, dimension: str) -> list[str]:
    return [getattr(p, dimension) for p in plan.pools]


def compute_alternatives(engine: Engine, plan: Plan, time_limit_s: float) -> list[Alternative]:
    """Solve every forced alternative; list them per dimension in catalog order.

    Once the run's budget is spent, the remaining alternatives are listed as not
    solved rather than delaying the user past `--time-limit`.
    """
    inputs = engine.inputs
    out: list[Alternative] = []
    total = sum(len(ids) for ids in candidate_ids(inputs).values())
    for dimension, ids in candidate_ids(inputs).items():
        used = _used(plan, dimension)
        for forced_id in ids:
            engine.progress(f"alternatives {len(out) + 1}/{total}: {dimension} {forced_id}")
            started = time.perf_counter()
            if plan.status == "optimal" and used and all(u == forced_id for u in used):
                out.append(_priced(dimension, forced_id, plan.status, plan.tco, plan, "", True))
                continue
            if engine.budget.expired or INTERRUPT.requested:
                reason = (
                    "not solved: the run was interrupted"
                    if INTERRUPT.requested
                    else "not solved: the run's time limit was reached first"
                )
                out.append(
                    Alternative(
                        dimension,
                        forced_id,
                        "no_solution",
                        None,
                        None,
                        None,
                        reason,
                        forced_id in used,
                    )
                )
                continue
            alt = _solve_one(engine, plan, dimension, forced_id, time_limit_s, used)
            out.append(replace(alt, seconds=time.perf_counter() - started))
    return out + unavailable_alternatives(inputs)


def _priced(
    dimension: str,
    forced_id: str,
    status: str,
    tco: float,
    plan: Plan,
    reason: str,
    in_plan: bool,
) -> Alternative:
    delta = tco - plan.tco
    pct = delta / plan.tco if plan.tco else None
    return Alternative(dimension, forced_id, status, tco, delta, pct, reason, in_plan)


def _solve_one(
    engine: Engine,
    plan: Plan,
    dimension: str,
    forced_id: str,
    time_limit_s: float,
    used: list[str],
) -> Alternative:
    inputs = engine.inputs
    in_plan = forced_id in used
    try:
        result = engine.solve(
            {dimension: forced_id}, explain=False, limit_s=time_limit_s, stage="alternatives"
        )
    except PlanCheckError as exc:
        # A bug in one alternative must not hide the verified optimum; show it instead.
        return Alternative(
            dimension, forced_id, "error", None, None, None, f"internal error: {exc}", in_plan
        )
    if result.plan is not None:
        reason = ""
        if result.status != "optimal":
            gap = result.plan.mip_gap
            shown = f"{gap:.2%}" if gap is not None else "unknown"
            reason = f"not proven optimal: the solver stopped at the time limit with gap {shown}"
        return _priced(dimension, forced_id, result.status, result.plan.tco, plan, reason, in_plan)
    if result.status == "no_solution":
        reason = f"no plan found within the {time_limit_s:,g} s time limit"
    elif result.status == "infeasible":
        reason = infeasible_reason(inputs, dimension, forced_id, result.diagnosis)
    else:
        message = result.outcome.message if result.outcome else ""
        reason = f"solver error {message}".strip()
    return Alternative(dimension, forced_id, result.status, None, None, None, reason, in_plan)


def infeasible_reason(
    inputs: PlanningInputs, dimension: str, forced_id: str, diagnosis: list[str]
) -> str:
    """The binding reason in one line: which workload cannot use it, or which limit binds."""
    reasons = []
    share = inputs.site.min_domestic_share
    if dimension == "chip":
        chip = inputs.chips[forced_id]
        banned = [
            wid
            for wid, w in inputs.workloads.items()
            if forced_id not in allowed_chip_ids(inputs.chips, w, inputs.site)
        ]
        if banned:
            reasons.append(f"not allowed for workload {', '.join(banned)} (allowed_chips)")
        if chip.origin != "domestic" and share > 0:
            reasons.append(f"an import chip cannot meet the minimum domestic share of {share:.0%}")
    elif dimension == "fabric" and share > 0:
        fabric = inputs.fabrics[forced_id]
        served = [c for c in inputs.chips.values() if fabric_refusal(fabric, c) is None]
        if all(c.origin != "domestic" for c in served):
            reasons.append(
                f"serves no domestic chip, so the minimum domestic share of {share:.0%} "
                "cannot be met"
            )
    reasons += [_shorten(line) for line in diagnosis]
    if not reasons:
        reasons.append(
            "every workload has options, but no combination meets every site limit ("
            + _limits(inputs, forced_id if dimension == "chip" else None)
            + ")"
        )
    return "; ".join(reasons)


def _limits(inputs: PlanningInputs, chip_id: str | None) -> str:
    site = inputs.site
    limits = []
    if site.power_budget_kw is not None:
        limits.append(f"power budget {site.power_budget_kw:,.0f} kW")
    if site.max_racks is not None:
        limits.append(f"{site.max_racks:,} racks")
    if site.capex_budget is not None:
        limits.append(f"capex budget {site.capex_budget:,.0f} {site.currency}")
    if site.min_domestic_share > 0:
        limits.append(f"domestic share {site.min_domestic_share:.0%}")
    caps = [c for c in inputs.chips.values() if c.max_cards is not None]
    if chip_id is not None and inputs.chips[chip_id].max_cards is not None:
        limits.append(f"supply cap of {inputs.chips[chip_id].max_cards:,} {chip_id} cards")
    elif caps:
        limits.append("chip supply caps")
    return ", ".join(limits) or "no site limit is set"


def _shorten(line: str) -> str:
    """Keep the first few of a long list of per-chip reasons (one line, '; '-separated;
    a last 'and N more' counts N)."""
    head, sep, tail = line.partition(": ")
    if not sep:
        return line
    parts = tail.split("; ")
    more = re.fullmatch(r"and (\d+) more", parts[-1])
    hidden = int(more.group(1)) if more else 0
    if more:
        parts = parts[:-1]
    if len(parts) <= MAX_REASONS:
        return line
    kept = "; ".join(parts[:MAX_REASONS])
    return f"{head}: {kept}; and {len(parts) - MAX_REASONS + hidden} more"
