"""What one solve of a scenario hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

from tco.plan.extract import Plan
from tco.solve.highs import SolveOutcome

#: Timing stages that are solver work (translation included): the optimum's solve and
#: the re-solves of the Alternatives sheet. Their sum is a run's `solve_seconds`.
SOLVER_STAGES = ("translate", "solve", "alternatives")


@dataclass
class OptimizeResult:
    """status: optimal | feasible | infeasible | no_solution | error."""

    status: str
    plan: Plan | None
    outcome: SolveOutcome | None
    diagnosis: list[str] = field(default_factory=list)
    #: Seconds per stage of the whole run so far (every scenario of one engine).
    timings_s: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    options: int = 0
    #: Options left for the MILP after dominated ones were dropped.
    candidates: int = 0

    @property
    def solve_seconds(self) -> float:
        """Wall time of every solve of the run so far, translation included."""
        return sum(self.timings_s.get(stage, 0.0) for stage in SOLVER_STAGES)
