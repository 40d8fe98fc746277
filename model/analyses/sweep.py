"""The trade-off sweep: re-solve with one Concentration limit at each max_share of the Sweep
sheet, keeping the HiGHS instance alive (only that limit's coefficients change). Every point
starts from the plan's own optimal basis, not the previous point's, so that its figures do not
depend on which points were solved before it or where."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.analyses.parallel import Progress, Task, Where, run_tasks, task_key
from model.formulation import BuiltModel
from model.results.extract import SolutionReader, cvar_of, same_unit, worth_per_point
from model.results.tables import TRADEOFF
from model.solver.plan import solve_plan
from model.solver.solve import PlanSolver, Solution


def limit_entries(built: BuiltModel, solver: PlanSolver, limit: str
                  ) -> list[tuple[int, int]]:
    """(row, scope-supply column) of every max_share row of one limit."""
    layout = solver.lp.layout
    first_row = layout.rows["concentration"].start
    first_col = layout.columns["scope_supply"].start
    return [(first_row + i, first_col + row.scope)
            for i, row in enumerate(built.index.concentration)
            if row.limit == limit and row.bound == "max"]


def set_max_share(built: BuiltModel, solver: PlanSolver, limit: str, share: float) -> None:
    """Change one limit's max_share in the live solver (and in the Pyomo model, where it is
    still kept, for anyone inspecting it)."""
    solver.change_coefficients([(row, col, -share)
                                for row, col in limit_entries(built, solver, limit)])
    if built.model is not None:
        built.model.max_share[limit] = share


def point_figures(built: BuiltModel, solver: PlanSolver, solution: Solution
                  ) -> tuple[float, float, float, dict[str, float]]:
    """(expected cost, CVaR, expected shortfall (None when the commodities' units differ),
    worth of each limit per point) of a solved point, from the same cost terms as the full
    results."""
    solved = SolutionReader(built, solver.lp, solution)
    ix = built.index
    p = np.asarray(ix.tree.probabilities, dtype=float)
    costs = solved.scenario_parts().sum(axis=1)
    unmet = ix.per_pair(solved.values("unmet"))
    shortfall = ix.tree.along_paths(unmet).sum(axis=0)
    duals = solved.duals("concentration")
    totals = solved.values("scope_supply")
    worth: dict[str, float] = {}
    for i, row in enumerate(ix.concentration):
        worth[row.limit] = worth.get(row.limit, 0.0) + worth_per_point(
            float(duals[i]), float(totals[row.scope]))
    return (float(costs @ p), cvar_of(costs.tolist(), p.tolist(), ix.plan.settings.cvar_level),
            float(shortfall @ p) if same_unit(ix.plan) else None, worth)


class SweepTask(Task):
    """Re-solves the plan with one limit at one max_share, from the plan's own optimal basis
    (so a point's figures do not depend on the points solved before it)."""

    def __init__(self, plan):
        self.plan = plan
        self.key = task_key("sweep")

    def setup(self):
        """The plan's model, solved (only where it is not inherited from the parent)."""
        solved = solve_plan(self.plan, progress=lambda _: None)
        return solved.built, solved.solver, solved.solver.basis()

    def run(self, state, point) -> tuple:
        """One Tradeoff row."""
        built, solver, basis = state
        original = self.plan.limits[point.limit].max_share
        set_max_share(built, solver, point.limit, point.max_share)
        solver.start_from(basis)
        try:
            solution = solver.solve()
            if not solution.has_plan:
                return (point.limit, point.max_share, solution.status, None, None, None, None,
                        None, None)
            expected, cvar, shortfall, worth = point_figures(built, solver, solution)
            # One more point: the cap 0.01 lower, re-solved from this point's optimum. Where it
            # costs nothing the limit does not bind here (the optimal cost cannot fall as the
            # cap rises), so the rate is 0 whatever dual the solver returned.
            more = None
            if point.max_share >= 0.01 - 1e-12:
                set_max_share(built, solver, point.limit, point.max_share - 0.01)
                tighter = solver.resolve()
                more = None if tighter is None else tighter[0] - solution.objective
        finally:
            set_max_share(built, solver, point.limit, original)
        rate = worth.get(point.limit, 0.0)
        if more is not None and more <= 1e-9 * max(1.0, abs(solution.objective)):
            rate, more = 0.0, max(0.0, more)
        return (point.limit, point.max_share, solution.status, solution.objective, expected,
                cvar, shortfall, rate, more)


def run_sweep(built: BuiltModel, solver: PlanSolver, where: Where | None = None,
              progress: Progress | None = None, item_seconds: float | None = None
              ) -> pd.DataFrame:
    """One row per Sweep point; an infeasible point is a row that says so."""
    plan = built.index.plan
    state = (built, solver, solver.basis())
    records = run_tasks(SweepTask(plan), list(plan.sweep), where, progress, state=state,
                        label="trade-off points", item_seconds=item_seconds)
    return TRADEOFF.frame(records)
