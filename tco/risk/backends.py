"""Where batches run: a local process pool, or a Dask distributed cluster.

Both take the same batches of `tco.risk.tasks` and hand back (task, result)
pairs as batches finish, so results are identical whatever runs them. A run
stops early (Ctrl-C, the time limit) through `stopped()`: batches not started
are cancelled and the pairs done so far are kept, marked partial by the caller.

Local pool: worker processes are spawned (never forked from a process whose
HiGHS already runs threads). When a worker dies mid-run the pool breaks; the
batches not yet returned are re-run once on a fresh pool, and if that breaks
too the run ends with a message and what it has.

Dask: `--scheduler tcp://HOST:PORT` connects a `distributed.Client`; the
payload is scattered to every worker once, each batch is one task. Dask
itself re-runs the tasks of a worker that dies (up to its
`distributed.scheduler.allowed-failures`); a task that exhausts them ends the
run with a message and what it has.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from tco.errors import InputError
from tco.risk.tasks import Payload, Task, run_batch

Done = Callable[[list[tuple[Task, Any]]], None]
Stopped = Callable[[], bool]

#: Seconds between checks of `stopped()` while batches run.
_POLL_S = 0.2
#: Fresh pools a run may start after a worker died.
_RESTARTS = 1


@dataclass
class Outcome:
    """How a backend's run ended: `message` says why when not every batch came back."""

    finished: bool = True
    message: str | None = None
    notes: list[str] = field(default_factory=list)


class InProcess:
    """The batches in this process, one after the other (`--workers 1` needs no pool)."""

    name = "this process"

    def close(self, now: bool = False) -> None:
        """Nothing to stop."""

    def run(
        self, payload: Payload, batches: Iterable[list[Task]], done: Done, stopped: Stopped
    ) -> Outcome:
        for batch in batches:
            if stopped():
                return Outcome(finished=False)
            pairs = run_batch(payload, batch, worker=False)
            if stopped():
                # A Ctrl-C reached this process's solver mid-batch: its last result may be
                # an interrupted solve, so the batch does not count.
                return Outcome(finished=False)
            done(pairs)
        return Outcome()


class LocalPool:
    """`workers` spawned processes on this machine, kept across the stages of a run."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self.name = f"local pool of {self.workers} worker process{'es' if self.workers > 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None
        self._restarts = 0

    def close(self, now: bool = False) -> None:
        """End the pool. After a finished run the idle workers exit on their own
        (terminating them would leave their queue semaphores to the resource tracker,
        which warns about them at exit); `now` (an interrupt, a stopped or broken run)
        stops them at once (`_shutdown`)."""
        if self._pool is not None:
            if now:
                _shutdown(self._pool)
            else:
                self._pool.shutdown(wait=True)
            self._pool = None

    def run(
        self, payload: Payload, batches: Iterable[list[Task]], done: Done, stopped: Stopped
    ) -> Outcome:
        todo = list(batches)
        outcome = Outcome()
        while todo:
            left, broke = self._run_pool(payload, todo, done, stopped)
            if not broke:
                if left:
                    outcome.finished = False
                return outcome
            self.close(now=True)
            if self._restarts >= _RESTARTS:
                outcome.finished = False
                outcome.message = (
                    f"a worker process died again after the restart; {len(left)} "
                    "batch(es) were not run"
                )
                return outcome
            self._restarts += 1
            outcome.notes.append(
                f"a worker process died; its {len(left)} unfinished batch(es) were re-run "
                "on a fresh pool"
            )
            todo = left
        return outcome

    def _run_pool(
        self, payload: Payload, todo: list[list[Task]], done: Done, stopped: Stopped
    ) -> tuple[list[list[Task]], bool]:
        """Run `todo`; (batches not returned, whether the pool broke)."""
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_exit_on_sigterm
            )
        pool = self._pool
        futures: dict[Future[Any], list[Task]] = {}
        queue = list(todo)
        broke = False
        # Keep two batches per worker in flight: enough to never idle, few to cancel.
        while queue or futures:
            if stopped():
                break
            while queue and len(futures) < 2 * self.workers:
                batch = queue.pop(0)
                try:
                    futures[pool.submit(run_batch, payload, batch)] = batch
                except BrokenProcessPool:
                    queue.insert(0, batch)
                    broke = True
                    break
            if broke:
                break
            finished, _ = wait(futures, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for future in finished:
                batch = futures.pop(future)
                try:
                    pairs = future.result()
                except BrokenProcessPool:
                    broke = True
                    queue.append(batch)
                    continue
                done(pairs)
            if broke:
                break
        left = queue + list(futures.values())
        if left:
            # Stopped or broken: nothing of this pool may keep running.
            self.close(now=True)
        return left, broke


def _exit_on_sigterm() -> None:
    """Worker initializer: SIGTERM raises SystemExit, so a stopped worker ends through
    Python's exit and its finalizers run.

    A worker holds a semaphore of its own (Pyomo's deferred import of multiprocessing
    creates a Lock); killed by the default SIGTERM, it never unlinks it, and the resource
    tracker warns of it as leaked when the run exits. Raised inside a batch, SystemExit
    ends the batch (its result goes to a cancelled future) and the worker then takes the
    shutdown sentinel; raised while it waits for work, it ends the worker at once.
    """
    signal.signal(signal.SIGTERM, _raise_exit)


def _raise_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


#: Seconds a stopped worker has to exit (it finishes the C call it is in, such as a
#: HiGHS solve, before Python sees the signal) before it is killed.
_EXIT_S = 5.0


def _shutdown(pool: ProcessPoolExecutor) -> None:
    """Stop the pool now: cancel what has not started, end the worker processes."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=_EXIT_S)
        if process.is_alive():
            process.kill()
            process.join()
    pool.shutdown(wait=True)


class DaskCluster:
    """A Dask distributed scheduler at `address` (tcp://HOST:PORT) or a given client."""

    def __init__(self, address: str | None = None, client: Any = None) -> None:
        self.address = address
        self._client = client
        self._own = client is None
        self.name = f"Dask cluster at {address}" if address else "Dask cluster"

    def close(self, now: bool = False) -> None:
        """Close a client this backend opened (the same whether `now` or not)."""
        if self._own and self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self, payload: Payload, batches: Iterable[list[Task]], done: Done, stopped: Stopped
    ) -> Outcome:
        from distributed import Client, as_completed

        if self._client is None:
            try:
                self._client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError.single(
                    f"--scheduler {self.address}: cannot reach the Dask scheduler ({exc})"
                ) from exc
        client = self._client
        outcome = Outcome()
        # A key of its own per stage (hash=False): scattered by content, every stage's
        # payload had the same key, which the scheduler could release at the end of one
        # stage while the next stage's tasks already depended on it ("lost
        # dependencies" on an external scheduler).
        shared = client.scatter(payload, broadcast=True, hash=False)
        futures = [client.submit(run_batch, shared, b, pure=False) for b in batches]
        pending = as_completed(futures)
        while not pending.is_empty():
            if stopped():
                outcome.finished = False
                break
            for future in pending.next_batch(block=False) or ():
                try:
                    done(future.result())
                except Exception as exc:  # KilledWorker, a lost connection
                    outcome.finished = False
                    outcome.message = f"a batch failed on the cluster: {type(exc).__name__}: {exc}"
                    break
            if outcome.message:
                break
            time.sleep(_POLL_S / 4)
        if not outcome.finished:
            client.cancel(futures)
        return outcome
