"""Folded-Clos (fat-tree) sizing of a scale-out fabric, as plain arithmetic.

The MILP (`tco.model.network`) encodes the same rules with integer switch
counts; this module is the independent reference used to re-cost a plan and
to test the model.

For e endpoints (NIC ports), switch radix r and leaf oversubscription o
(down:up ports, 1 = non-blocking), a leaf has d = r*o/(1+o) down ports:

- 1 tier (e <= r): one layer of switches, ceil(e/r) of them, 1 link per endpoint;
- 2 tiers (e <= r*d): leaves ceil(e/d); spine ports e/o, spines ceil(e/(o*r));
  links per endpoint 1 + 1/o;
- 3 tiers (e <= r*d*r/2): leaves ceil(e/d); spines ceil(2e/(o*r)) (half down,
  half up); cores ceil(e/(o*r)); links per endpoint 1 + 2/o.

With o = 1 these are the textbook (2t-1)*e/r switches and t links per
endpoint, and capacities r, r^2/2 and r^3/4. Every link is one cable with a
transceiver at each end (two optics per link).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Tiers of a folded Clos this planner sizes.
MAX_TIERS = 3


@dataclass(frozen=True)
class ClosSize:
    """Switches and links of one pool's fabric."""

    endpoints: int
    tiers: int
    leaf_switches: int
    spine_switches: int
    core_switches: int
    links: int

    @property
    def switches(self) -> int:
        return self.leaf_switches + self.spine_switches + self.core_switches


def leaf_down_ports(radix: int, oversubscription: float) -> float:
    """d = r*o/(1+o): leaf ports facing endpoints in a multi-tier fabric."""
    return radix * oversubscription / (1.0 + oversubscription)


def tier_capacity(tiers: int, radix: int, oversubscription: float) -> float:
    """Largest endpoint count a `tiers`-tier fabric of radix-r switches can connect."""
    d = leaf_down_ports(radix, oversubscription)
    if tiers == 1:
        return float(radix)
    if tiers == 2:
        return radix * d
    return radix * d * radix / 2.0


def tier_coefficients(tiers: int, radix: int, oversubscription: float) -> tuple[float, ...]:
    """Per-endpoint (leaf, spine, core, links) of a `tiers`-tier fabric, before rounding."""
    o = oversubscription
    if tiers == 1:
        return (1.0 / radix, 0.0, 0.0, 1.0)
    d = leaf_down_ports(radix, o)
    if tiers == 2:
        return (1.0 / d, 1.0 / (o * radix), 0.0, 1.0 + 1.0 / o)
    return (1.0 / d, 2.0 / (o * radix), 1.0 / (o * radix), 1.0 + 2.0 / o)


#: Float noise forgiven in tier capacities and counts: a capacity of 335.99999999999994
#: connects 336 ports, a count of 3.0000000001 switches is 3.
NOISE = 1e-9


def tiers_needed(endpoints: int, radix: int, oversubscription: float) -> int | None:
    """Fewest tiers that connect `endpoints`, or None beyond three tiers."""
    for tiers in range(1, MAX_TIERS + 1):
        if endpoints <= tier_capacity(tiers, radix, oversubscription) + NOISE:
            return tiers
    return None


def first_endpoints(tiers: int, radix: int, oversubscription: float) -> int:
    """Fewest endpoints that need `tiers` tiers (`tiers_needed`): one more than the tier
    below connects (1 for one tier)."""
    if tiers <= 1:
        return 1
    return math.floor(tier_capacity(tiers - 1, radix, oversubscription) + NOISE) + 1


def size_clos(endpoints: int, radix: int, oversubscription: float) -> ClosSize:
    """Size the smallest folded Clos for `endpoints` NIC ports."""
    if endpoints <= 0:
        return ClosSize(0, 0, 0, 0, 0, 0)
    tiers = tiers_needed(endpoints, radix, oversubscription)
    if tiers is None:
        raise ValueError(f"{endpoints} endpoints exceed a 3-tier fabric of radix {radix}")
    leaf, spine, core, links = tier_coefficients(tiers, radix, oversubscription)
    return ClosSize(
        endpoints=endpoints,
        tiers=tiers,
        leaf_switches=_ceil(endpoints * leaf),
        spine_switches=_ceil(endpoints * spine),
        core_switches=_ceil(endpoints * core),
        links=_ceil(endpoints * links),
    )


def _ceil(value: float) -> int:
    """Ceiling that forgives float noise (3.0000000001 -> 3)."""
    return math.ceil(value - NOISE)


def clos_counts(endpoints: np.ndarray, radix: int, oversubscription: float) -> np.ndarray:
    """(leaf, spine, core, links) of `size_clos` for each endpoint count, as an (n, 4)
    integer array: the same tiers and rounding, computed for every count at once (the
    dominance presolve sizes thousands of pool sizes per option)."""
    e = np.asarray(endpoints, dtype=np.int64)
    tiers = np.full(e.shape, 0, dtype=np.int64)
    for t in range(MAX_TIERS, 0, -1):
        tiers = np.where(e <= tier_capacity(t, radix, oversubscription) + NOISE, t, tiers)
    if np.any((tiers == 0) & (e > 0)):
        raise ValueError(f"{int(e.max())} endpoints exceed a 3-tier fabric of radix {radix}")
    table = np.array(
        [(0.0, 0.0, 0.0, 0.0)]
        + [tier_coefficients(t, radix, oversubscription) for t in range(1, MAX_TIERS + 1)]
    )
    coefficients = table[tiers]
    counts = np.ceil(e[:, None] * coefficients - NOISE)
    counts[e <= 0] = 0
    out: np.ndarray = counts.astype(np.int64)
    return out
