"""One wall-clock budget for a whole run: `--time-limit` means seconds of the user's time.

Every stage of a run (performance model, model translation, each solve,
diagnosis, alternatives) draws on the same deadline, so the limit bounds
what the user waits, not HiGHS alone.
"""

from __future__ import annotations

import time

#: Least seconds handed to a solve even past the deadline: HiGHS needs a moment to
#: return the incumbent it has rather than nothing.
MIN_SOLVE_SECONDS = 0.05


class Budget:
    """Seconds left until a deadline set when the run started."""

    def __init__(self, seconds: float, started: float | None = None) -> None:
        """`started`: a `time.perf_counter()` reading when the run began (default now)."""
        self.seconds = float(seconds)
        self.started = time.perf_counter() if started is None else started
        self.deadline = self.started + self.seconds

    def left(self) -> float:
        """Seconds left for the next solve (at least MIN_SOLVE_SECONDS)."""
        return max(MIN_SOLVE_SECONDS, self.deadline - time.perf_counter())

    @property
    def expired(self) -> bool:
        return time.perf_counter() >= self.deadline

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
