"""The trade-off sweep: re-solve with one Concentration limit at each max_share of the Sweep
sheet, keeping the model and the HiGHS instance alive (only that limit's coefficients change,
and HiGHS starts from the previous basis)."""

from __future__ import annotations

import pandas as pd
import pyomo.core as pyo

from .build import BuiltModel
from .data import PlanData
from .results import PointEvaluator
from .solve import PlanSolver

TRADEOFF_COLUMNS = ["limit", "max_share", "status", "objective", "expected_cost", "cvar",
                    "total_shortfall", "marginal_cost_per_point"]


def limit_rows(built: BuiltModel, limit: str) -> list[object]:
    """The concentration constraints that belong to one limit."""
    m, ix = built.model, built.index
    return [m.concentration[i] for i, row in enumerate(ix.concentration) if row.limit == limit]


def set_max_share(built: BuiltModel, solver: PlanSolver, limit: str, share: float) -> None:
    """Change one limit's max_share in the model and in the live solver."""
    built.model.max_share[limit] = share
    solver.refresh_rows(limit_rows(built, limit))


def run_sweep(built: BuiltModel, solver: PlanSolver, plan: PlanData) -> pd.DataFrame:
    """One row per Sweep point; an infeasible point is a row that says so."""
    rows = []
    originals = {name: float(pyo.value(built.model.max_share[name])) for name in plan.limits}
    evaluator = PointEvaluator(built, solver)
    for point in plan.sweep:
        set_max_share(built, solver, point.limit, point.max_share)
        solution = solver.solve()
        if not solution.has_plan:
            rows.append({"limit": point.limit, "max_share": point.max_share,
                         "status": solution.status})
        else:
            figures = evaluator.evaluate(solution)
            rows.append({
                "limit": point.limit, "max_share": point.max_share, "status": solution.status,
                "objective": solution.objective, "expected_cost": figures.expected_cost,
                "cvar": figures.cvar, "total_shortfall": figures.total_shortfall,
                "marginal_cost_per_point": figures.limit_worth.get(point.limit, 0.0),
            })
        set_max_share(built, solver, point.limit, originals[point.limit])
    return pd.DataFrame(rows, columns=TRADEOFF_COLUMNS)
