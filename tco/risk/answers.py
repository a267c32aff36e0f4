"""The risk run in words and as the JSON `risk` object (DESIGN 3.6)."""

from __future__ import annotations

from typing import Any

from tco.risk import statistics
from tco.risk.analysis import RiskResult
from tco.risk.evaluate import Purchase
from tco.schema.fields import SHEETS_BY_NAME, SITE
from tco.schema.inputs import PlanningInputs
from tco.text import plural

#: Units that say nothing after a number in a sentence ('0.5-0.7 fraction').
_BARE_UNITS = frozenset(("-", "fraction", "ratio", "field unit", "units"))

#: Tornado rows named in the summary sentence.
TOP_RANGES = 3


def purchase_pools(purchase: Purchase) -> list[dict[str, Any]]:
    """A purchase's pools with the summary pools' decision keys."""
    return [
        {
            "workload": p.workload,
            "chip": p.chip,
            "fabric": p.fabric,
            "cooling": p.cooling,
            "systems": p.systems,
            "nodes": p.nodes,
            "cards": p.cards,
            "switches": sum(p.switches),
        }
        for p in purchase.pools
    ]


def risk_json(result: RiskResult) -> dict[str, Any]:
    """The `risk` object: exactly the DESIGN 3.6 keys, plus a few more."""
    nominal = result.nominal_outcomes()
    out: dict[str, Any] = {
        "samples": result.samples,
        "samples_requested": result.samples_requested,
        "seed": result.seed,
        "partial": result.partial,
        "nominal": {
            **statistics.distribution([o.tco for o in nominal]),
            "p_meets_targets": statistics.p_meets_targets(nominal),
            "p_meets_targets_and_limits": statistics.p_feasible(nominal),
            "p_target_met": {
                p.workload: statistics.p_target_met(nominal, p.workload)
                for p in result.nominal.pools
            },
            "tco_cvar90": statistics.cvar([o.tco for o in nominal]),
        },
        "optimal": statistics.distribution(result.optimal_tcos()),
        "win_probability": statistics.win_probability(result.results, 1),
        "win_probability_fabric": statistics.win_probability(result.results, 2),
        "win_probability_cooling": statistics.win_probability(result.results, 3),
        "regret": statistics.distribution(
            [r.regret for r in result.results if r.regret is not None]
        ),
        "robust": None,
        "tornado": [
            {
                "sheet": t.row.sheet,
                "row_id": t.row.row_id,
                "field": t.row.field,
                "low": t.row.low,
                "high": t.row.high,
                "tco_low": t.tco_low,
                "tco_high": t.tco_high,
                "changes_decision": t.changes_decision,
            }
            for t in result.tornado
        ],
        "switching": [
            {
                "workload": s.workload,
                "chip": s.chip,
                "runner_up": s.runner_up,
                "field": "card_price",
                "value": s.value,
            }
            for s in result.switching
        ],
        "backend": result.backend,
        "seconds": result.seconds,
    }
    if result.stopped:
        out["stopped"] = result.stopped
    if result.notes:
        out["notes"] = list(result.notes)
    if result.robust is not None:
        r = result.robust
        out["robust"] = {
            "criterion": result.criterion,
            "reliability": result.reliability,
            "pools": purchase_pools(r.purchase),
            "tco_mean": r.tco_mean,
            "tco_p90": r.tco_p90,
            "score": r.score,
            "max_regret": r.max_regret,
            "p_meets_targets": r.p_meets_targets,
            "p_meets_targets_and_limits": r.p_feasible,
            "meets_reliability": result.robust_reliable,
            "is_nominal": r.purchase == result.nominal,
        }
    return out


def _unit(row: Any, currency: str) -> str:
    """' USD', ' W', ' USD/kWh': the unit of a range's field after its bounds (money in the
    Site currency, as the ranges are held), '' where none reads well."""
    if row.sheet == SITE.name:
        field = SITE.field(row.row_id)
    elif row.sheet in SHEETS_BY_NAME and row.field in SHEETS_BY_NAME[row.sheet].keys:
        field = SHEETS_BY_NAME[row.sheet].field(row.field)
    else:
        return ""
    unit = str(field.unit).replace("currency", currency)
    return "" if unit in _BARE_UNITS else f" {unit}"


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}"


def _chip_name(inputs: PlanningInputs, chip_id: str) -> str:
    chip = inputs.chips.get(chip_id)
    return f"{chip.name} ({chip_id})" if chip is not None and chip.name else chip_id


def sentences(inputs: PlanningInputs, result: RiskResult) -> list[str]:
    """The answers a procurement committee asks for, one sentence each."""
    cur = inputs.site.currency
    nominal = result.nominal_outcomes()
    out: list[str] = []
    if result.partial:
        out.append(
            f"PARTIAL: {plural(result.samples, 'sample')} of {result.samples_requested:,} "
            f"done ({result.stopped}); every figure below is over the samples done."
        )
    if not nominal:
        return out
    dist = statistics.distribution([o.tco for o in nominal])
    out.append(
        f"Over {plural(result.samples, 'sample')} (seed {result.seed}) the nominal plan's TCO "
        f"has mean {_money(dist['tco_mean'], cur)}, P90 {_money(dist['tco_p90'], cur)} "
        f"(nominal {_money(result.nominal_tco, cur)}); it meets every target in "
        f"{statistics.p_meets_targets(nominal):.0%} of samples and every target and limit in "
        f"{statistics.p_feasible(nominal):.0%}."
    )
    wins = statistics.win_probability(result.results, 1)
    for p in result.nominal.pools:
        shares = wins.get(p.workload, {})
        mine = shares.get(p.chip, 0.0)
        rivals = [(c, s) for c, s in shares.items() if c != p.chip]
        rival = f"; next {_chip_name(inputs, rivals[0][0])} {rivals[0][1]:.0%}" if rivals else ""
        out.append(
            f"{_chip_name(inputs, p.chip)} is the cheapest choice for {p.workload} in "
            f"{mine:.0%} of samples{rival}."
        )
    if result.tornado:
        top = result.tornado[:TOP_RANGES]
        parts = [
            f"{t.row.label} {t.row.low:,g}-{t.row.high:,g}{_unit(t.row, cur)} "
            f"(TCO swing {_money(t.swing, cur)}"
            + (", changes the decision)" if t.changes_decision else ")")
            for t in top
        ]
        out.append("The ranges that matter most: " + "; ".join(parts) + ".")
    if result.robust is not None:
        r = result.robust
        label = {
            "mean": "mean",
            "p90": "P90",
            "cvar90": "CVaR90",
            "max-regret": "maximum regret",
        }[result.criterion]
        if r.purchase == result.nominal:
            what = "the nominal plan is also the robust plan"
        else:
            what = "the robust plan is " + ", ".join(
                f"{p.workload} on {p.cards:,} x {p.chip} ({p.fabric}, {p.cooling})"
                for p in r.purchase.pools
            )
        reliable = (
            f"meeting every target and limit in {r.p_feasible:.0%} of samples"
            if result.robust_reliable
            else f"no candidate reaches {result.reliability:.0%} reliability; this one is the "
            f"most reliable at {r.p_feasible:.0%}"
        )
        out.append(
            f"Robust recommendation (lowest {label} among {len(result.scored)} candidate "
            f"plans, reliability at least {result.reliability:.0%}): {what}, "
            f"P90 TCO {_money(r.tco_p90, cur)}, {reliable}."
        )
    for s in result.switching:
        price = float(inputs.chips[s.chip].card_price)
        if s.value is None:
            out.append(
                f"{_chip_name(inputs, s.chip)} stays the choice for {s.workload} at any card "
                f"price up to {_money(s.high, cur)} (searched)."
            )
            continue
        after = f"; above it {_chip_name(inputs, s.runner_up)} takes over" if s.runner_up else ""
        out.append(
            f"{_chip_name(inputs, s.chip)} stays the choice for {s.workload} while its card "
            f"price is below {_money(s.value, cur)} (nominal {_money(price, cur)}, "
            f"{s.value / price - 1:+.0%}){after}."
        )
    return out
