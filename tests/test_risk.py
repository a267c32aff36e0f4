"""tco risk: sampling, fixed plans, exact re-optimisation, statistics, backends, switching.

Instances are the factory's small ones, so every solve takes a fraction of a
second; sample counts are small. The exactness of the bounded re-optimisation
is checked against a plain engine solve of the same scenario.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from tco.costs import registry
from tco.risk import statistics
from tco.risk.analysis import run_risk
from tco.risk.evaluate import (
    ChipBound,
    Evaluator,
    FixedOutcome,
    Optimum,
    PoolBuy,
    Purchase,
    SampleResult,
    fixed_outcome,
    least_nodes,
    probe_chips,
)
from tco.risk.sampling import Uncertain, draw, overrides_of, quantiles, uncertain_rows
from tco.risk.tasks import switching_price
from tco.scenario.optimize import make_engine, optimize
from tco.scenario.scenario import Override, apply_overrides

from factory import CHIP, DOMESTIC, INFERENCE, TRAINING, make_inputs


def _unc(row_id: str, field: str, low: float, high: float, **kw: object) -> dict[str, object]:
    return dict(sheet="Chips", row_id=row_id, field=field, low=low, high=high, **kw)


def _inputs(uncertainty: list[dict[str, object]], **kw: object):
    return make_inputs(Uncertainty=uncertainty, **kw)


_POOL = PoolBuy("w", "c", "f", "k", 1, 1, 8, 1, (1, 0, 0), 8)

RANGES = [
    _unc("h100", "card_price", 20000, 32000, distribution="triangular"),
    _unc("ascend", "card_price", 9000, 24000, distribution="pert", group="cn-prices"),
    _unc("ascend", "node_price", 30000, 45000, group="cn-prices"),
    _unc("ascend", "bf16_tflops", 280, 376),
]


@pytest.fixture(scope="module")
def two_chip():
    inputs = _inputs(RANGES)
    plan = optimize(inputs, explain=False).plan
    assert plan is not None
    return inputs, plan


# ---------------------------------------------------------------- sampling
def test_distributions_stay_in_range_and_peak_at_the_nominal() -> None:
    u = quantiles(1, 4096, seed=3)[:, 0]
    for shape in ("uniform", "triangular", "pert"):
        row = Uncertain("Chips", "x", "card_price", 10.0, 40.0, shape, 16.0, 0, False)
        x = row.values(u)
        assert x.min() >= 10.0 and x.max() <= 40.0
        mean = {"uniform": 25.0, "triangular": (10 + 16 + 40) / 3, "pert": (10 + 4 * 16 + 40) / 6}
        assert x.mean() == pytest.approx(mean[shape], rel=0.01)
        if shape != "uniform":  # the mode is the nominal: more mass near 16 than near 34
            assert np.sum(abs(x - 16) < 2) > np.sum(abs(x - 34) < 2)


def test_a_group_moves_as_one_and_rows_without_one_do_not(two_chip) -> None:
    inputs, _ = two_chip
    rows = uncertain_rows(inputs)
    assert rows[1].dimension == rows[2].dimension != rows[3].dimension != rows[0].dimension
    values = draw(rows, 64, seed=5)
    q1 = (values[:, 2] - 30000) / 15000  # node price: uniform, so its quantile
    a, b = 1 + 4 * (15000 - 9000) / 15000, 1 + 4 * (24000 - 15000) / 15000
    from scipy.stats import beta

    q0 = beta.cdf((values[:, 1] - 9000) / 15000, a, b)
    assert np.allclose(q0, q1, atol=1e-9)
    assert abs(np.corrcoef(values[:, 0], values[:, 3])[0, 1]) < 0.5


def test_a_sample_is_validated_like_any_input(two_chip) -> None:
    inputs, _ = two_chip
    from tco.errors import InputError

    with pytest.raises(InputError, match="card_price"):
        apply_overrides(inputs, (Override("Chips", "h100", "card_price", -5.0),))


# ---------------------------------------------------------------- evaluation
def test_the_fixed_nominal_plan_recosts_to_its_tco(two_chip) -> None:
    inputs, plan = two_chip
    out = fixed_outcome(inputs, Purchase.of(plan))
    assert out.tco == pytest.approx(plan.tco, rel=1e-9)
    assert out.feasible


def test_a_sample_that_lowers_throughput_fails_the_nominal_plan() -> None:
    inputs = _inputs(RANGES, Workloads=[dict(TRAINING, train_tokens_b=400)])
    plan = optimize(inputs, explain=False).plan
    assert plan is not None
    chip = plan.pools[0].chip
    tflops = inputs.chips[chip].bf16_tflops
    slower = (Override("Chips", chip, "bf16_tflops", 0.7 * tflops),)
    sampled = apply_overrides(inputs, slower)
    fixed = fixed_outcome(sampled, Purchase.of(plan))
    assert not fixed.meets_targets and not fixed.feasible
    assert fixed.shortfall["train"] > 0.01
    ev = Evaluator(inputs, Purchase.of(plan), 1e-4, 60)
    best = ev.optimum(sampled)
    assert best.tco is not None and best.purchase is not None
    assert best.purchase != Purchase.of(plan)  # it buys more, or another chip
    assert fixed_outcome(sampled, best.purchase).feasible
    plain = make_engine(sampled, mip_gap=1e-4).solve(explain=False)
    assert plain.plan is not None
    assert best.tco == pytest.approx(plain.plan.tco, rel=1e-4)
    # The short nominal plan is cheaper than the optimum that meets the target: that is
    # a failure, not a negative regret.
    assert fixed.tco < best.tco
    assert SampleResult(0, fixed, best).regret is None
    scored = statistics.score(Purchase.of(plan), [fixed], [best.tco], "max-regret")
    assert scored.max_regret == 0.0 and scored.p_feasible == 0.0


def test_the_probe_adds_the_chips_of_least_bound_to_the_nominal_ones() -> None:
    bounds = {
        "t": {"a": ChipBound(5.0, 0.0), "b": ChipBound(3.0, 0.0), "c": ChipBound(4.0, 0.0)},
        "s": {"a": ChipBound(1.0, 0.0)},
    }
    nominal = Purchase((replace(_POOL, workload="t", chip="a"),))
    probe = probe_chips(nominal, bounds)
    assert probe == {"t": frozenset({"a", "b", "c"}), "s": frozenset({"a"})}
    # A nominal chip without a bound any more (it cannot serve the sample) is left out.
    gone = Purchase((replace(_POOL, workload="t", chip="x"),))
    assert probe_chips(gone, bounds)["t"] == frozenset({"b", "c"})


def test_the_bound_never_exceeds_the_true_smallest_pool(two_chip) -> None:
    """least_nodes is a lower bound on every option's smallest pool meeting the target."""
    inputs = _inputs(RANGES, Workloads=[INFERENCE, dict(TRAINING, train_tokens_b=20)])
    engine = make_engine(inputs)
    for o in engine.options.options:
        bound = least_nodes(inputs, o.workload, o.chip)
        assert bound is not None
        smallest = o.target_nodes if o.kind == "training" else o.max_nodes
        assert bound <= smallest, o.key


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_bounded_reoptimisation_equals_a_plain_solve(index: int) -> None:
    inputs = _inputs(
        RANGES,
        Workloads=[INFERENCE, dict(TRAINING, train_tokens_b=20)],
        site={"min_domestic_share": 0.3},
    )
    plan = optimize(inputs, explain=False).plan
    assert plan is not None
    rows = uncertain_rows(inputs)
    sampled = apply_overrides(inputs, overrides_of(rows, draw(rows, 4, seed=11)[index]))
    ev = Evaluator(inputs, Purchase.of(plan), 1e-6, 60)
    fast = ev.optimum(sampled)
    plain = make_engine(sampled, mip_gap=1e-6).solve(explain=False)
    assert plain.plan is not None and fast.tco is not None
    assert fast.tco == pytest.approx(plain.plan.tco, rel=1e-5)


# ---------------------------------------------------------------- whole runs
def _run(inputs, plan, n: int = 6, **kw: object):
    kw.setdefault("pool", False)
    return run_risk(inputs, plan, n, 7, tornado=False, switching=False, **kw)  # type: ignore[arg-type]


def _signature(result) -> list[tuple[object, ...]]:
    return [
        (r.index, r.nominal.tco, r.nominal.feasible, r.optimum.tco, r.optimum.purchase)
        for r in result.results
    ]


def test_a_fixed_seed_gives_identical_results(two_chip) -> None:
    inputs, plan = two_chip
    first, second = _run(inputs, plan), _run(inputs, plan)
    assert _signature(first) == _signature(second)
    assert np.array_equal(first.values, second.values)
    other = run_risk(inputs, plan, 6, 8, tornado=False, switching=False, pool=False)
    assert not np.array_equal(first.values, other.values)


def test_a_zero_width_range_gives_zero_spread(two_chip) -> None:
    inputs, plan = two_chip
    chip = plan.pools[0].chip
    price = inputs.chips[chip].card_price
    fixed = _inputs([_unc(chip, "card_price", price, price)])
    result = _run(fixed, plan, n=4)
    nominal = [r.nominal.tco for r in result.results]
    assert max(nominal) - min(nominal) == 0.0
    assert nominal[0] == pytest.approx(plan.tco, rel=1e-12)
    dist = statistics.distribution(nominal)
    assert dist["tco_p5"] == dist["tco_p95"] == dist["tco_mean"]


def test_win_probabilities_sum_to_one_and_robust_meets_reliability(two_chip) -> None:
    inputs, plan = two_chip
    result = run_risk(inputs, plan, 8, 3, tornado=False, switching=False, pool=False)
    for shares in statistics.win_probability(result.results).values():
        assert sum(shares.values()) == pytest.approx(1.0)
    assert result.robust is not None
    if result.robust_reliable:
        assert result.robust.p_feasible >= 0.95
    for r in result.results:
        if not r.nominal.feasible:  # a plan that falls short has no regret, it fails
            assert r.regret is None
            continue
        assert r.regret is not None and r.regret >= -1e-4 * r.nominal.tco


def test_dask_local_cluster_results_equal_the_local_pool(two_chip) -> None:
    distributed = pytest.importorskip("distributed")
    inputs, plan = two_chip
    pool = _run(inputs, plan, n=6, workers=2, pool=True)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = _run(inputs, plan, n=6, client=client)
    assert not pool.partial and not dask.partial
    assert _signature(pool) == _signature(dask)


def test_killing_a_worker_mid_run_still_completes(two_chip) -> None:
    inputs, plan = two_chip
    killed: list[int] = []

    def kill_one(stage: str, done: int, total: int) -> None:
        if stage == "samples" and done > 0 and not killed:
            children = multiprocessing.active_children()
            if children:
                killed.append(children[0].pid or 0)
                os.kill(children[0].pid or 0, signal.SIGKILL)

    result = _run(inputs, plan, n=24, workers=2, pool=True, progress=kill_one)
    reference = _run(inputs, plan, n=24)
    assert killed, "no worker was killed"
    assert result.samples == 24 or (result.partial and result.stopped)
    if not result.partial:
        assert any("died" in note for note in result.notes)
        assert _signature(result) == _signature(reference)


#: A local-pool run in a fresh interpreter, so that what its exit reports is seen.
_POOL_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
from factory import make_inputs
from test_risk import RANGES
from tco.risk.analysis import run_risk
from tco.scenario.optimize import optimize
inputs = make_inputs(Uncertainty=RANGES)
plan = optimize(inputs, explain=False).plan
result = run_risk(inputs, plan, 4, 7, tornado=False, switching=False, workers=2, pool=True)
assert result.samples == 4 and not result.partial
"""


#: The same, stopped (as a time limit or Ctrl-C stops it) 4 s in, with its workers busy.
_STOPPED_POOL_RUN = _POOL_RUN.replace(
    "result = run_risk(inputs, plan, 4, 7,",
    "import time\n"
    "started = []\n"
    "def stop():\n"
    "    started.append(time.monotonic())\n"
    "    return started[-1] - started[0] > 4.0\n"
    "result = run_risk(inputs, plan, 4000, 7, stopped=stop,",
).replace("assert result.samples == 4 and not result.partial", "assert result.partial")


@pytest.mark.parametrize("script", [_POOL_RUN, _STOPPED_POOL_RUN], ids=["finished", "stopped"])
def test_a_pool_run_exits_without_leaked_semaphores(script: str) -> None:
    # A finished run shuts its workers down; a stopped one terminates them and then joins
    # the executor, which closes its queues. Either way the resource tracker has no
    # semaphore left to warn about at exit.
    import subprocess
    import sys
    from pathlib import Path

    assert "stopped=stop" in script or script == _POOL_RUN
    tests = Path(__file__).resolve().parent
    done = subprocess.run(
        [sys.executable, "-c", script, str(tests)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tests.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "leaked semaphore" not in done.stderr, done.stderr


def test_a_stop_keeps_the_samples_done_and_marks_them_partial(two_chip) -> None:
    inputs, plan = two_chip
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    result = run_risk(inputs, plan, 64, 7, tornado=True, switching=True, pool=False, stopped=stop)
    assert result.partial and 0 < result.samples < 64
    assert result.tornado == [] and result.switching == []


# ---------------------------------------------------------------- switching
def test_a_two_chip_decision_flips_at_the_hand_computed_card_price() -> None:
    """One inference workload, two chips: the chosen chip's pool has a fixed card count k,
    so its TCO is TCO(p0) + (p - p0) x k x (1 + maintenance x annuity); it stops being the
    choice where that meets the other chip's best plan."""
    inputs = _inputs([_unc("ascend", "card_price", 9000, 24000)], site={"maintenance_rate": 0.05})
    best = optimize(inputs, explain=False).plan
    assert best is not None
    chip = best.pools[0].chip
    other = ({"h100", "ascend"} - {chip}).pop()
    rival = optimize(inputs, forced={"chip": other}, explain=False).plan
    assert rival is not None
    k = best.pools[0].cards
    slope = k * (1 + inputs.site.maintenance_rate * registry.annuity(inputs.site))
    p0 = inputs.chips[chip].card_price
    hand = p0 + (rival.tco - best.tco) / slope
    ev = Evaluator(inputs, Purchase.of(best), 1e-6, 60)
    found = switching_price(ev, (), best.pools[0].workload, chip, p0, 64 * p0)
    assert found.value is not None and found.runner_up == other
    # The breakpoint of the two lines, exact up to the solves' gap (1e-6).
    assert found.value == pytest.approx(hand, rel=1e-5)
    assert math.isfinite(found.high)


def test_the_cheaper_chip_for_both_ids_in_the_factory_is_known() -> None:
    """Guard for the hand case: both chips serve the workload alone."""
    inputs = _inputs([_unc("ascend", "card_price", 9000, 24000)])
    for chip in (CHIP["chip_id"], DOMESTIC["chip_id"]):
        assert optimize(inputs, forced={"chip": chip}, explain=False).plan is not None


def _buy(*pairs: tuple[str, str, int]) -> Purchase:
    return Purchase(tuple(PoolBuy(w, c, "f", "k", 1, 1, n, 1, (1, 0, 0), 8) for w, c, n in pairs))


class _Envelope:
    """An evaluator over hand-made plans whose TCO is intercept + cards of "d" x price:
    `optimum` is the cheapest at the scenario's price (its inputs are the price itself)."""

    mip_gap = 1e-9

    def __init__(self, plans: dict[Purchase, float]) -> None:
        self.plans = plans

    @staticmethod
    def cost(plans: dict[Purchase, float], price: float, p: Purchase) -> float:
        return plans[p] + price * sum(b.cards for b in p.pools if b.chip == "d")

    def inputs_of(self, overrides: tuple[Override, ...]) -> float:
        (o,) = overrides
        return float(o.value)

    def optimum(self, price: float) -> Any:
        best = min(self.plans, key=lambda p: self.cost(self.plans, price, p))
        return Optimum("optimal", self.cost(self.plans, price, best), best)


def test_a_switching_price_is_the_first_flip_when_workloads_trade_the_chip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workloads tied by a share: domestic chip d serves both at price 10; past 12 a
    leaves it for import chip i (b's 6 cards of d keep the share), past 20 a comes back
    and b leaves (a's 2 cards suffice then), past 35 nothing pays for d. The first flip
    of a is at 12, the breakpoint of its first two plans, not the last one at 35."""
    both = _buy(("a", "d", 2), ("b", "d", 6))
    b_only = _buy(("a", "i", 2), ("b", "d", 6))
    a_only = _buy(("a", "d", 2), ("b", "i", 6))
    import_only = _buy(("a", "i", 2), ("b", "i", 6))
    # Intercepts: both + 8p = b_only + 6p at 12; b_only + 6p = a_only + 2p at 20;
    # a_only + 2p = import_only at 35.
    plans = {import_only: 210.0, a_only: 140.0, b_only: 60.0, both: 36.0}
    ev = _Envelope(plans)
    monkeypatch.setattr(
        "tco.risk.tasks.fixed_outcome",
        lambda price, p: FixedOutcome(_Envelope.cost(plans, price, p), {}),
    )
    found = switching_price(ev, (), "a", "d", 10.0, 640.0)  # type: ignore[arg-type]
    assert found.value == pytest.approx(12.0) and found.runner_up == "i"
    back = switching_price(ev, (), "b", "d", 10.0, 640.0)  # type: ignore[arg-type]
    assert back.value == pytest.approx(20.0) and back.runner_up == "i"


def test_each_dask_stage_scatters_its_payload_under_a_key_of_its_own(two_chip) -> None:
    """Scattered by content, every stage's payload had one key, which the
    scheduler released at the end of a stage while the next stage's tasks depended on
    it ("lost dependencies": 3 runs of 3 partial on `dask scheduler` + `dask worker`,
    and this run, samples then tornado, partial too). Each stage now scatters with
    hash=False, under its own key."""
    distributed = pytest.importorskip("distributed")
    inputs, plan = two_chip
    with (
        # Worker processes: HiGHS in a worker thread of this process would fix its global
        # thread count for every later solve here.
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        keys: list[str] = []
        scatter = client.scatter

        def recording(*args: Any, **kwargs: Any) -> Any:
            future = scatter(*args, **kwargs)
            keys.append(future.key)
            return future

        client.scatter = recording  # type: ignore[method-assign]
        result = run_risk(inputs, plan, 4, 7, tornado=True, switching=False, client=client)
    assert not result.partial
    assert len(keys) >= 2 and len(set(keys)) == len(keys)  # samples, tornado: a key each
