"""Folded-Clos sizing (`tco.costs.clos.size_clos`) against sizes worked out by hand.

For e endpoints, radix r and oversubscription o, a leaf has d = r o / (1 + o)
down ports; 1 tier holds r endpoints, 2 tiers r d, 3 tiers r d r / 2:

- 1 tier: ceil(e / r) switches, e links;
- 2 tiers: ceil(e / d) leaves, ceil(e / (o r)) spines, e (1 + 1/o) links;
- 3 tiers: ceil(e / d) leaves, ceil(2e / (o r)) spines, ceil(e / (o r)) cores,
  e (1 + 2/o) links.
"""

from __future__ import annotations

import numpy as np
import oracle
import pytest

from tco.costs.clos import clos_counts, first_endpoints, size_clos, tier_capacity

# (endpoints, radix, oversubscription) -> (tiers, leaf, spine, core, links)
HAND = {
    # r = 8, o = 1: d = 4, capacities 8 / 32 / 128.
    (1, 8, 1.0): (1, 1, 0, 0, 1),
    (8, 8, 1.0): (1, 1, 0, 0, 8),  # e = r: still one switch
    (9, 8, 1.0): (2, 3, 2, 0, 18),  # e = r + 1: leaves ceil(9/4), spines ceil(9/8), 9 x 2
    (32, 8, 1.0): (2, 8, 4, 0, 64),  # e = r d: 32/4 leaves, 32/8 spines; (2t-1) e/r = 12
    (33, 8, 1.0): (3, 9, 9, 5, 99),  # e = r d + 1: ceil(33/4), ceil(66/8), ceil(33/8), 33 x 3
    (128, 8, 1.0): (3, 32, 32, 16, 384),  # e = r d r/2 = r^3/4: (2t-1) e/r = 80 switches
    # r = 8, o = 3: d = 6, capacities 8 / 48 / 192.
    (9, 8, 3.0): (2, 2, 1, 0, 12),  # leaves ceil(9/6), spines ceil(9/24), 9 x 4/3
    (48, 8, 3.0): (2, 8, 2, 0, 64),  # e = r d: 48/6 leaves, 48/24 spines, 48 + 16 links
    (49, 8, 3.0): (3, 9, 5, 3, 82),  # ceil(49/6), ceil(98/24), ceil(49/24), ceil(49 x 5/3)
    (192, 8, 3.0): (3, 32, 16, 8, 320),  # e = r d r/2: 192/6, 384/24, 192/24, 192 x 5/3
    # r = 8, o = 2: d = 16/3 is fractional, so the 2-tier limit is r d = 42.67.
    (42, 8, 2.0): (2, 8, 3, 0, 63),  # ceil(42 x 3/16), ceil(42/16), 42 x 3/2
    (43, 8, 2.0): (3, 9, 6, 3, 86),  # ceil(43 x 3/16), ceil(86/16), ceil(43/16), 43 x 2
    # r = 64, o = 1: the textbook r, r^2/2 and r^3/4.
    (64, 64, 1.0): (1, 1, 0, 0, 64),
    (2048, 64, 1.0): (2, 64, 32, 0, 4096),
    (65536, 64, 1.0): (3, 2048, 2048, 1024, 196608),
}


@pytest.mark.parametrize(("endpoints", "radix", "over"), sorted(HAND))
def test_sizes_at_tier_boundaries_match_the_hand_values(
    endpoints: int, radix: int, over: float
) -> None:
    got = size_clos(endpoints, radix, over)
    assert got.endpoints == endpoints
    assert (got.tiers, got.leaf_switches, got.spine_switches, got.core_switches, got.links) == (
        HAND[endpoints, radix, over]
    )
    assert got.switches == got.leaf_switches + got.spine_switches + got.core_switches


def test_no_endpoints_need_no_fabric() -> None:
    got = size_clos(0, 8, 1.0)
    assert (got.tiers, got.switches, got.links) == (0, 0, 0)


@pytest.mark.parametrize(("endpoints", "radix", "over"), [(129, 8, 1.0), (193, 8, 3.0)])
def test_beyond_three_tiers_raises(endpoints: int, radix: int, over: float) -> None:
    with pytest.raises(ValueError, match="3-tier"):
        size_clos(endpoints, radix, over)


def test_oversubscription_connects_more_endpoints_in_fewer_tiers() -> None:
    # 48 endpoints on radix 8: non-blocking needs 3 tiers (48 > 32); at 3:1 two tiers do.
    blocking = size_clos(48, 8, 3.0)
    full = size_clos(48, 8, 1.0)
    assert (full.tiers, blocking.tiers) == (3, 2)
    assert blocking.switches < full.switches and blocking.links < full.links


@pytest.mark.parametrize("radix", [4, 8, 16])
@pytest.mark.parametrize("over", [1.0, 1.5, 2.0, 3.0])
def test_every_size_agrees_with_the_oracle(radix: int, over: float) -> None:
    """Every endpoint count up to one past the 3-tier limit, against tests/oracle.py."""
    endpoints = 0
    while True:
        expected = oracle.clos(endpoints, radix, over)
        if expected is None:
            with pytest.raises(ValueError):
                size_clos(endpoints, radix, over)
            break
        got = size_clos(endpoints, radix, over)
        assert (
            got.tiers,
            got.leaf_switches,
            got.spine_switches,
            got.core_switches,
            got.links,
        ) == (
            expected.tiers,
            expected.leaf,
            expected.spine,
            expected.core,
            expected.links,
        ), endpoints
        endpoints += 1
    assert endpoints > radix


@pytest.mark.parametrize("radix, oversubscription", [(64, 1.0), (16, 3.0), (8, 2.0), (128, 1.0)])
def test_the_counts_of_many_sizes_at_once_are_size_clos_at_each(
    radix: int, oversubscription: float
) -> None:
    """The vectorised counts (the dominance presolve's) are `size_clos` at every size, tier
    boundaries included, from 0 to the 3-tier capacity."""
    top = int(tier_capacity(3, radix, oversubscription))
    endpoints = np.arange(0, min(top, 20_000) + 1)
    counts = clos_counts(endpoints, radix, oversubscription)
    for e, row in zip(endpoints, counts, strict=True):
        c = size_clos(int(e), radix, oversubscription)
        assert tuple(row) == (c.leaf_switches, c.spine_switches, c.core_switches, c.links)
    with pytest.raises(ValueError):
        clos_counts(np.array([top + 1]), radix, oversubscription)


@pytest.mark.parametrize(
    ("radix", "over", "ports"), [(24, 1.4, 336), (48, 1.4, 1344), (64, 1.0, 2048)]
)
def test_the_first_ports_of_a_tier_follow_the_tolerance_of_tiers_needed(
    radix: int, over: float, ports: int
) -> None:
    """24 x 14 = 336 ports fit two tiers of radix 24 at 1.4:1, though the capacity reads
    335.99999999999994 in floats; the model's fewest-tiers rows start the third tier at
    337, as `size_clos` does (they started it at 336, and a plan bought a third tier)."""
    assert tier_capacity(2, radix, over) == pytest.approx(ports)
    assert size_clos(ports, radix, over).tiers == 2
    assert size_clos(ports + 1, radix, over).tiers == 3
    assert first_endpoints(3, radix, over) == ports + 1
    assert first_endpoints(2, radix, over) == radix + 1
    assert first_endpoints(1, radix, over) == 1
