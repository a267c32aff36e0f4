"""Ctrl-C during a run: stop the solver cleanly and never call what it had optimal.

Python's default SIGINT handler raises KeyboardInterrupt inside HiGHS's
interrupt callback, and HiGHS then ends with an error, or with an incumbent
Pyomo cannot tell from a finished solve. So `handle_sigint` (installed by the CLI
for the length of a command) replaces it: the first Ctrl-C marks the run
interrupted and asks the running HiGHS solve, if any, to stop at its next
callback (highspy's `cancelSolve`; Pyomo's interface enables HiGHS's user
interrupt). Every solve and stage after that sees `INTERRUPT.requested` and
ends at once; the outcome of the solve that was running is "interrupted",
whatever HiGHS reports. A second Ctrl-C raises KeyboardInterrupt: leave now.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupt:
    """Whether the user asked the run to stop, and the HiGHS solve to tell."""

    def __init__(self) -> None:
        self._requested = threading.Event()
        self._solver: Any = None

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def request(self) -> None:
        """Mark the run interrupted and ask the running solve to stop."""
        self._requested.set()
        if self._solver is not None:
            self._solver.cancelSolve()

    def reset(self) -> None:
        self._requested.clear()

    @contextmanager
    def running(self, solver: Any) -> Iterator[None]:
        """While the block runs, `request` also cancels `solver` (a highspy.Highs)."""
        self._solver = solver
        try:
            yield
        finally:
            self._solver = None


#: One per process: a signal reaches the process, not a run.
INTERRUPT = Interrupt()


@contextmanager
def handle_sigint() -> Iterator[None]:
    """First Ctrl-C: interrupt the run cleanly; second: KeyboardInterrupt."""
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: Any) -> None:
        if INTERRUPT.requested:
            raise KeyboardInterrupt
        sys.stderr.write("\ninterrupting: stopping the solver (Ctrl-C again to abort)\n")
        INTERRUPT.request()

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        INTERRUPT.reset()
