"""What the samples answer: TCO distributions, target-met and win probabilities, the robust plan.

Percentiles are linear-interpolated order statistics (numpy's default, Excel's
PERCENTILE.INC), so the Risk sheet's formulas recalculate to the same numbers.
CVaR90 is the mean of the TCOs at or above the P90 (the worst tenth).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tco.risk.evaluate import FixedOutcome, Purchase, SampleResult

#: Criteria a robust plan may be chosen by.
CRITERIA = ("mean", "p90", "cvar90", "max-regret")
#: Percentiles of a distribution summary, by key.
PERCENTILES = {"tco_p5": 5.0, "tco_p50": 50.0, "tco_p90": 90.0, "tco_p95": 95.0}
#: Distinct re-optimised plans (besides the nominal one) a robust choice considers,
#: the most frequent first: each is re-evaluated on every sample.
ROBUST_CANDIDATES = 8


def distribution(values: Sequence[float]) -> dict[str, float]:
    """mean, P5, P50, P90 and P95 of `values` (all 0.0 when there are none)."""
    if not values:
        return {"tco_mean": 0.0, **{k: 0.0 for k in PERCENTILES}}
    array = np.asarray(values, dtype=float)
    out = {"tco_mean": float(array.mean())}
    for key, q in PERCENTILES.items():
        out[key] = float(np.percentile(array, q))
    return out


def cvar(values: Sequence[float], level: float = 0.9) -> float:
    """Mean of the values at or above their `level` percentile."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return 0.0
    tail = array[array >= np.percentile(array, 100 * level)]
    return float(tail.mean())


def win_probability(
    results: Sequence[SampleResult], dimension: int = 1
) -> dict[str, dict[str, float]]:
    """Per workload, the share of samples (with a plan) whose optimum uses each id.

    `dimension`: 1 chip, 2 fabric, 3 cooling. Shares per workload sum to 1.
    """
    counts: dict[str, Counter[str]] = {}
    for r in results:
        for choice in r.optimum.choice:
            counts.setdefault(choice[0], Counter())[choice[dimension]] += 1
    return {
        w: {k: n / sum(c.values()) for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))}
        for w, c in counts.items()
    }


def p_meets_targets(outcomes: Sequence[FixedOutcome]) -> float:
    """Share of samples in which the fixed plan meets every throughput target."""
    return sum(o.meets_targets for o in outcomes) / len(outcomes) if outcomes else 0.0


def p_feasible(outcomes: Sequence[FixedOutcome]) -> float:
    """Share of samples in which the fixed plan meets every target and every limit."""
    return sum(o.feasible for o in outcomes) / len(outcomes) if outcomes else 0.0


def p_target_met(outcomes: Sequence[FixedOutcome], workload: str) -> float:
    """Share of samples in which the fixed plan meets `workload`'s target."""
    if not outcomes:
        return 0.0
    return sum(o.shortfall.get(workload, 0.0) <= 0.0 for o in outcomes) / len(outcomes)


def candidates(nominal: Purchase, results: Sequence[SampleResult]) -> list[Purchase]:
    """The nominal purchase, then the most frequent distinct re-optimised purchases."""
    counts = Counter(r.optimum.purchase for r in results if r.optimum.purchase is not None)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    out = [nominal]
    for purchase, _ in ranked:
        if purchase != nominal and len(out) <= ROBUST_CANDIDATES:
            out.append(purchase)
    return out


@dataclass(frozen=True)
class Scored:
    """One candidate plan over every sample."""

    purchase: Purchase
    tcos: tuple[float, ...]
    #: Per sample: the plan meets every target and limit.
    feasible: tuple[bool, ...]
    p_feasible: float
    p_meets_targets: float
    max_regret: float
    score: float

    @property
    def tco_mean(self) -> float:
        return float(np.mean(self.tcos)) if self.tcos else 0.0

    @property
    def tco_p90(self) -> float:
        return float(np.percentile(self.tcos, 90.0)) if self.tcos else 0.0


def score(
    purchase: Purchase,
    outcomes: Sequence[FixedOutcome],
    optima: Sequence[float | None],
    criterion: str,
) -> Scored:
    """A candidate's criterion value (lower is better) over the samples."""
    tcos = tuple(o.tco for o in outcomes)
    # Regret where the plan meets every target and limit: a plan that falls short is not
    # cheaper than the optimum for it, it fails (counted by p_feasible instead).
    regrets = [
        o.tco - best
        for o, best in zip(outcomes, optima, strict=True)
        if best is not None and o.feasible
    ]
    worst_regret = max(regrets, default=0.0)
    value = {
        "mean": lambda: float(np.mean(tcos)),
        "p90": lambda: float(np.percentile(tcos, 90.0)),
        "cvar90": lambda: cvar(tcos, 0.9),
        "max-regret": lambda: worst_regret,
    }[criterion]()
    return Scored(
        purchase,
        tcos,
        tuple(o.feasible for o in outcomes),
        p_feasible(outcomes),
        p_meets_targets(outcomes),
        worst_regret,
        value,
    )


def robust(scored: Sequence[Scored], reliability: float) -> tuple[Scored, bool]:
    """The best-scoring candidate feasible in >= `reliability` of samples, and whether one
    was; when none is, the most reliable one (ties: the better score)."""
    reliable = [s for s in scored if s.p_feasible >= reliability - 1e-12]
    if reliable:
        return min(reliable, key=lambda s: s.score), True
    return max(scored, key=lambda s: (s.p_feasible, -s.score)), False
