"""One time budget for all the analyses of a run (prices and break-evens, the sweep, EVPI and
VSS): the pipeline makes it once the plan is solved and hands the same object to each analysis,
which asks it before starting work it can estimate; what does not fit is left out with its
reason, and the Run sheet counts it.

Without a cap (`seconds` None: plans smaller than a national one) every analysis runs as it
always has, within its own default time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from model.results.extract import RunFact


@dataclass
class TimeBudget:
    """Seconds the analyses may still take together, from when the budget was made."""

    seconds: float | None = None   # None: no shared cap
    started: float = field(default_factory=time.perf_counter)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (analysis, why)

    @property
    def capped(self) -> bool:
        """Whether the analyses share a cap at all."""
        return self.seconds is not None

    def left(self) -> float:
        """Seconds still available (infinite without a cap, never below zero)."""
        if self.seconds is None:
            return math.inf
        return max(0.0, self.seconds - (time.perf_counter() - self.started))

    def fits(self, analysis: str, estimate_seconds: float, what: str) -> bool:
        """Whether `analysis`, estimated at `estimate_seconds` (`what` says how the estimate
        is made), fits in what is left; if not, it is recorded as left out, with why."""
        left = self.left()
        if estimate_seconds <= left:
            return True
        self.left_out.append((analysis, self.reason(estimate_seconds, what)))
        return False

    def reason(self, estimate_seconds: float, what: str) -> str:
        """Why an analysis was left out, in the analyst's words."""
        return (f"not computed: it would take about {estimate_seconds:.1f} s ({what}) and the "
                f"run's analyses had {self.left():.1f} s left of their shared budget of "
                f"{self.seconds:.1f} s")

    def run_facts(self) -> dict[str, RunFact]:
        """Items for the Run sheet: the budget, and each analysis left out with its reason."""
        if self.seconds is None:
            return {}
        facts = {"analyses_budget_seconds": RunFact(round(self.seconds, 1)),
                 "analyses_left_out": RunFact(len(self.left_out))}
        for analysis, why in self.left_out:
            facts[f"left out: {analysis}"] = RunFact(why)
        return facts
