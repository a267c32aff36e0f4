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

#: Bisection stops when the bracket is this narrow, relative to its low end.
SWITCH_TOLERANCE = 1e-3
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
    """Card price of `chip` above which it no longer serves `workload`, by bisection.

    At `low` (the nominal price) the chip serves the workload. The bracket's high
    end doubles from 2 x low until the chip stops serving it (up to `high`); then
    the bracket halves until (hi - lo) <= SWITCH_TOLERANCE x lo. Each probe is an
    exact re-optimisation of the scenario `Chips[chip].card_price = p`. The plan's
    cost with the chip rises linearly in p and every other plan's does not fall,
    so the chip serves the workload below one price and not above it.
    """
    solves = 0
    probes: dict[float, Optimum] = {}

    def at(price: float) -> Optimum:
        nonlocal solves
        if price not in probes:
            solves += 1
            priced = (*overrides, Override("Chips", chip, "card_price", price))
            probes[price] = ev.optimum(ev.inputs_of(priced))
        return probes[price]

    lo, hi = low, max(2.0 * low, low + 1.0)
    while _serves(at(hi), workload, chip):
        if hi >= high:
            return Switch(workload, chip, None, None, high, solves)
        lo, hi = hi, min(2.0 * hi, high)
    while hi - lo > SWITCH_TOLERANCE * max(lo, 1.0):
        mid = 0.5 * (lo + hi)
        if _serves(at(mid), workload, chip):
            lo = mid
        else:
            hi = mid
    past = [c for w, c, _, _ in at(hi).choice if w == workload]
    value = 0.5 * (lo + hi)
    return Switch(workload, chip, past[0] if past else None, value, high, solves)
