"""Say why no plan exists, in the user's words. (Filled in by the infeasibility work.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Diagnosis:
    """Why the plan is infeasible or unbounded."""

    status: str
    message: str
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def diagnose(built: Any, solver: Any, solution: Any) -> Diagnosis:
    """A first, plain diagnosis: the status only."""
    return Diagnosis(solution.status, f"no plan meets every limit ({solution.status})")
