"""What a worker runs: batches of tasks on one `Evaluator` built once per process.

A task is a plain tuple, so any backend can ship it:

- ("sample", i, overrides): the fixed nominal plan and the re-optimised plan (`SampleResult`);
- ("fixed", i, overrides, purchases): each purchase under sample i (`FixedOutcome`s);
- ("optimum", key, overrides): the re-optimised plan of one scenario (`Optimum`);
- ("switch", key, overrides, workload, chip, low, high): the card price of `chip`
  at which it stops serving `workload` (`Switch`, see `switching_price`).

The worker's evaluator is keyed by the payload's token: the first batch of a run
a process sees builds it, every later batch reuses it (and the performance
evaluations the process cached, `tco.model.performance`). Results depend on the task
alone, so they are the same whichever process, pool or cluster runs them.
"""

from __future__ import annotations

import pickle
import signal
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from tco.risk.evaluate import Evaluator, Optimum, Purchase, fixed_outcome
from tco.scenario.scenario import Override
from tco.schema.inputs import PlanningInputs

Task = tuple[Any, ...]

#: A card price up to this multiple of the nominal is searched for a flip.
SWITCH_MAX_FACTOR = 64.0


def _proxy(items: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(items)


def _reduce_proxy(proxy: MappingProxyType[str, Any]) -> tuple[Any, tuple[dict[str, Any]]]:
    return _proxy, (dict(proxy),)


def pack(inputs: PlanningInputs) -> bytes:
    """The inputs as bytes a worker process can load (their read-only maps included)."""
    import copyreg
    import io

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = _reduce_proxy
    pickler.dump(inputs)
    return buffer.getvalue()


@dataclass(frozen=True)
class Payload:
    """What every worker needs once: the base inputs, the nominal purchase, solver settings."""

    token: str
    inputs: bytes
    nominal: Purchase
    mip_gap: float
    solve_limit_s: float


@dataclass(frozen=True)
class Switch:
    """`chip` serves `workload` while its card price stays below `value` (None: found no
    flip up to `high`); `runner_up` serves it past the flip."""

    workload: str
    chip: str
    runner_up: str | None
    value: float | None
    high: float
    solves: int


_STATE: dict[str, Evaluator] = {}


def quiet_worker() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops the run cleanly; their
    HiGHS runs on one thread (the workers are the parallelism)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Dask runs tasks on other threads
    import tco.solve.highs as highs

    highs.THREADS = 1


def evaluator(payload: Payload, worker: bool = True) -> Evaluator:
    """This process's evaluator of the payload's run, built on first use (`worker`: the
    process is a pool or cluster worker, see `quiet_worker`)."""
    found = _STATE.get(payload.token)
    if found is None:
        if worker:
            quiet_worker()
        _STATE.clear()
        base = pickle.loads(payload.inputs)
        found = Evaluator(base, payload.nominal, payload.mip_gap, payload.solve_limit_s)
        _STATE[payload.token] = found
    return found


def run_batch(payload: Payload, batch: list[Task], worker: bool = True) -> list[tuple[Task, Any]]:
    """Run every task of `batch` on this process's evaluator; (task, result) pairs."""
    ev = evaluator(payload, worker)
    return [(task, run_task(ev, task)) for task in batch]


def run_task(ev: Evaluator, task: Task) -> Any:
    kind = task[0]
    if kind == "sample":
        return ev.sample(task[1], task[2])
    if kind == "fixed":
        inputs = ev.inputs_of(task[2])
        seen: dict[tuple[str, ...], Any] = {}
        return [fixed_outcome(inputs, p, seen) for p in task[3]]
    if kind == "optimum":
        return ev.optimum(ev.inputs_of(task[2]))
    if kind == "switch":
        return switching_price(ev, task[2], task[3], task[4], task[5], task[6])
    raise ValueError(f"unknown task {kind!r}")


def _serves(optimum: Optimum, workload: str, chip: str) -> bool:
    return any(w == workload and c == chip for w, c, _, _ in optimum.choice)


def switching_price(
    ev: Evaluator,
    overrides: tuple[Override, ...],
    workload: str,
    chip: str,
    low: float,
    high: float,
) -> Switch:
    """Card price of `chip` above which it first stops serving `workload`.

    Every plan's TCO is linear in the chip's card price p (its cards, and the maintenance
    on them), so the optimal TCO V(p) is the lower envelope of those lines: concave and
    piecewise linear, and the chip's cards in the optimum never rise with p. Whether it
    serves one workload is not monotone: workloads tied by a domestic share may hand the
    chip back and forth (one leaves it at +2%, comes back at +34% when another leaves).
    So, at exact re-optimisations of the scenario `Chips[chip].card_price = p`:

    1. the bracket: from 2 x low, doubling (up to `high`) until the optimum holds none of
       the chip, which is then so at every higher price;
    2. the envelope's breakpoints in it (Eisner and Severance): the lines of the optimal
       plans at an interval's ends meet at x; if the optimum at x is no cheaper than
       both lines there, x is the only breakpoint between them, else the plan found at x
       splits the interval in two;
    3. the first breakpoint past which the optimum does not serve the workload.

    Each line is the plan re-priced at two prices (`fixed_outcome`). A breakpoint is
    exact up to the solves' MIP gap; past `_MOST_SOLVES` solves an interval whose end
    plans differ is not split further and counts as a breakpoint at its upper end (the
    flip is then at or below the price reported).
    """
    solves = 0
    probes: dict[float, Optimum] = {}

    def priced(price: float) -> PlanningInputs:
        return ev.inputs_of((*overrides, Override("Chips", chip, "card_price", price)))

    def at(price: float) -> Optimum:
        nonlocal solves
        if price not in probes:
            solves += 1
            probes[price] = ev.optimum(priced(price))
        return probes[price]

    def line(o: Optimum) -> tuple[float, float]:
        """(intercept, slope) of the plan's TCO in the card price [currency, cards]."""
        assert o.purchase is not None
        a, b = (fixed_outcome(priced(p), o.purchase).tco for p in (low, 2.0 * low))
        return a - (b - a), (b - a) / low

    def uses(o: Optimum) -> bool:
        return any(c == chip for _, c, _, _ in o.choice)

    hi = max(2.0 * low, low + 1.0)
    while uses(at(hi)) and hi < high:
        hi = min(2.0 * hi, high)

    def breakpoints(p1: float, o1: Optimum, p2: float, o2: Optimum) -> list[tuple[float, Optimum]]:
        """(price, the optimum past it) of every breakpoint in (p1, p2]."""
        if o1.purchase is None or o2.purchase is None or solves >= _MOST_SOLVES:
            return [(p2, o2)] if o1.choice != o2.choice else []
        (a1, b1), (a2, b2) = line(o1), line(o2)
        if abs(b1 - b2) <= 1e-12 * max(abs(b1), 1.0):
            return [] if abs(a1 - a2) <= 1e-9 * max(abs(a1), 1.0) else [(p2, o2)]
        x = (a2 - a1) / (b1 - b2)
        if not p1 < x < p2:
            return [(p2, o2)] if o1.choice != o2.choice else []
        ox = at(x)
        envelope = min(a1 + b1 * x, a2 + b2 * x)
        if ox.tco is None or ox.tco >= envelope * (1.0 - max(ev.mip_gap, 1e-9)):
            return [(x, o2)]
        return breakpoints(p1, o1, x, ox) + breakpoints(x, ox, p2, o2)

    for price, past in breakpoints(low, at(low), hi, at(hi)):
        if not _serves(past, workload, chip):
            runner = [c for w, c, _, _ in past.choice if w == workload]
            return Switch(workload, chip, runner[0] if runner else None, price, high, solves)
    return Switch(workload, chip, None, None, high, solves)


#: Re-optimisations one switching price may take (a breakpoint costs about two).
_MOST_SOLVES = 40
