"""The plan's solve: build the LP, hand it to HiGHS, solve, and say how it was solved.

Used by the pipeline and by the analyses that need a whole plan solved again (replications,
the sweep's workers); the diagnosis of an infeasible plan is passed in by the caller, so this
layer never imports the analyses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from model.domain.data import PlanData
from model.domain.errors import InfeasiblePlan, SolverFailure
from model.domain.scenarios import ScenarioSet
from model.formulation import BuiltModel, build_model
from model.solver.handoff import compile_lp
from model.solver.solve import PlanSolver, Solution, SolveStatus

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Diagnose = Callable[[BuiltModel, PlanSolver, Solution], Any]


@dataclass
class SolvedModel:
    """What the solver stage hands on: the built model, the HiGHS instance that holds it
    (live, for the analyses' re-solves) and the plan's `Solution` (what the solve returned)."""

    built: BuiltModel
    solver: PlanSolver
    solution: Solution


LARGE_COLUMNS = 20_000  # below this, a garbage pass costs more than the memory it frees


def give_back_memory() -> None:
    """Collect what a freed Pyomo model leaves (its blocks hold reference cycles) and hand the
    freed heap back to the system: glibc keeps it for reuse otherwise, and on a national plan
    that is a few hundred MB held through the solve, when HiGHS needs the most."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        pass


def solve_plan(plan: PlanData, scenarios: ScenarioSet | None = None,
               progress: Progress = log.info, timings: dict[str, float] | None = None,
               solver_log: bool = False, keep_model: bool = True,
               diagnose: Diagnose | None = None) -> SolvedModel:
    """Build and solve the plan's LP; raise InfeasiblePlan or SolverFailure when no plan.

    With `keep_model=False` the Pyomo model is freed once its arrays are compiled, before
    HiGHS takes its own copy: everything after the hand-off reads the arrays and the layout,
    and on a national plan the model is most of the memory."""
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    built = build_model(plan, scenarios)
    timings["build_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    lp = compile_lp(built.model)
    if not keep_model:
        lp.release_model()
        built.model = None
        if lp.num_cols > LARGE_COLUMNS:
            give_back_memory()
    solver = PlanSolver(lp, plan.settings.time_limit_seconds, verbose=solver_log,
                        mip_gap=plan.settings.mip_gap)
    timings["handoff_seconds"] = time.perf_counter() - started
    cols, rows, nonzeros = solver.size
    progress(f"built the model: {cols:,} variables, {rows:,} constraints, {nonzeros:,} nonzeros "
             f"({len(built.index.tree.nodes):,} scenario-tree nodes) in "
             f"{timings['build_seconds'] + timings['handoff_seconds']:.1f} s")
    integers = lp.integer_columns.size
    progress("solving with HiGHS ..." if not integers else
             f"solving with HiGHS: a MIP with {integers:,} whole-number decisions (cargoes, "
             "lots, contract options) ...")
    solution = solver.solve()
    timings["solve_seconds"] = solution.seconds
    for attempt in solution.tried:
        progress(f"  {attempt}; tried other settings")
    if solution.status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
        if diagnose is None:
            raise InfeasiblePlan("no plan meets every limit")
        diagnosis = diagnose(built, solver, solution)
        raise InfeasiblePlan(diagnosis.message, diagnosis)
    if not solution.has_plan:
        if solution.status == SolveStatus.TIME_LIMIT:
            raise SolverFailure(
                f"the solver reached the time limit of {plan.settings.time_limit_seconds:g} s "
                "without finding any feasible plan; raise time_limit_seconds in Settings")
        if solution.tried and solution.tried[-1].endswith("was used up"):
            raise SolverFailure(
                f"the solver stopped without a plan ({solution.highs_status}); the time limit "
                "ran out before every fallback setting was tried: raise time_limit_seconds in "
                "Settings")
        raise SolverFailure(f"the solver stopped without a plan ({solution.highs_status}); "
                            "every fallback setting was tried")
    progress(f"solved: {solution.status}, objective {solution.objective:,.2f} "
             f"{plan.settings.currency} in {solution.seconds:.1f} s"
             + ("" if solution.method == "dual simplex" else f" by {solution.method}")
             + (f" (stopped at the time limit; gap {solution.gap:.2%})"
                if solution.status == SolveStatus.TIME_LIMIT and solution.gap is not None else "")
             + (f"; best bound {solution.mip_bound:,.2f}, gap {solution.mip_gap:.2g}"
                if solution.mip_bound is not None and solution.mip_gap is not None else ""))
    return SolvedModel(built, solver, solution)


def solve_notes(solved: SolvedModel) -> list[str]:
    """What a reader of the plan must know about how it was solved."""
    solution, solver = solved.solution, solved.solver
    notes = []
    if not solver.residual_acceptable(solution.max_residual):
        notes.append(f"numerical trouble: rechecked after solving, the plan violates a limit by "
                     f"{solution.max_residual:.3g}; treat its figures with care and check the "
                     "units of very large or very small numbers")
    if solution.status == SolveStatus.TIME_LIMIT:
        gap = "unknown" if solution.gap is None else f"{solution.gap:.2%}"
        notes.append(f"the solver stopped at the time limit; this plan may not be optimal "
                     f"(gap {gap})")
    if solution.status == SolveStatus.ROUNDED:
        notes.append("HiGHS's branch and bound failed; this plan is the LP relaxation rounded "
                     "up to whole cargoes and lots: feasible, not optimal")
    if solution.mip_bound is not None:
        notes.append("prices, sensitivity and the worth of limits are those of the LP with every "
                     "cargo count, lot and contract decision fixed at the plan's values")
    if solution.tried:
        notes.append(f"HiGHS failed with its usual settings ({'; '.join(solution.tried)}); the "
                     f"plan was solved by {solution.method}")
    if not solution.has_basis:
        notes.append("the plan comes from the interior point method without a basis: prices "
                     "and marginal costs are the interior point's duals")
    return notes
