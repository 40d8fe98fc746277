"""The whole run: read and validate -> build -> solve -> extract -> write.

`run` is what `run.py` calls; each step is its own module and can be used on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .build import BuiltModel, build_model
from .build.index import build_index
from .data import PlanData
from .errors import InfeasiblePlan, InputError, Issue, SolverFailure
from .results import PlanResult, extract
from .solve import PlanSolver, Solution
from .validate import validate
from .workbook import read_workbook

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
MAX_WARNINGS_SHOWN = 10
RESIDUAL_TOLERANCE = 1e-6


@dataclass
class RunOutcome:
    """What a run produced: the plan's tables, where they were written, and any warnings."""

    result: PlanResult
    output_path: Path
    plan: PlanData
    notes: list[str] = field(default_factory=list)


def default_output_path(input_path: Path) -> Path:
    """`outputs/<input name>_plan.xlsx` next to the project's inputs."""
    base = input_path.resolve().parent.parent / "outputs"
    if input_path.resolve().parent.name != "inputs":
        base = Path("outputs")
    return base / f"{input_path.stem}_plan.xlsx"


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (also when one does not exist yet)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def solve_plan(plan: PlanData, progress: Progress = log.info,
               timings: dict[str, float] | None = None, solver_log: bool = False
               ) -> tuple[BuiltModel, PlanSolver, Solution]:
    """Build and solve the plan's LP; raise InfeasiblePlan or SolverFailure when no plan."""
    timings = timings if timings is not None else {}
    started = time.perf_counter()
    index = build_index(plan)
    built = build_model(plan, index)
    timings["build_seconds"] = time.perf_counter() - started
    solver = PlanSolver(built.model, plan.settings.time_limit_seconds, verbose=solver_log)
    timings["handoff_seconds"] = solver.compile_seconds + solver.pass_seconds
    cols, rows, nonzeros = solver.size
    progress(f"built the model: {cols:,} variables, {rows:,} constraints, {nonzeros:,} nonzeros "
             f"({len(index.tree.nodes):,} scenario-tree nodes) in "
             f"{timings['build_seconds'] + timings['handoff_seconds']:.1f} s")
    progress("solving with HiGHS ...")
    solution = solver.solve()
    timings["solve_seconds"] = solution.seconds
    if solution.status in ("infeasible", "unbounded"):
        from .diagnose import diagnose

        diagnosis = diagnose(built, solver, solution)
        raise InfeasiblePlan(diagnosis.message, diagnosis)
    if not solution.has_plan:
        if solution.status == "time_limit":
            raise SolverFailure(
                f"the solver reached the time limit of {plan.settings.time_limit_seconds:g} s "
                "without finding any feasible plan; raise time_limit_seconds in Settings")
        raise SolverFailure(f"the solver stopped without a plan ({solution.highs_status})")
    progress(f"solved: {solution.status}, objective {solution.objective:,.2f} "
             f"{plan.settings.currency} in {solution.seconds:.1f} s"
             + (f" (stopped at the time limit; gap {solution.gap:.2%})"
                if solution.status == "time_limit" and solution.gap is not None else ""))
    return built, solver, solution


def _scale(solver: PlanSolver) -> float:
    """Largest finite bound of the LP: residuals are judged relative to it."""
    import numpy as np

    lp = solver.lp
    bounds = np.concatenate([lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper])
    finite = np.abs(bounds[np.isfinite(bounds) & (np.abs(bounds) < 1e20)])
    return float(finite.max(initial=1.0))


def run(input_path: str | Path, output_path: str | Path | None = None,
        progress: Progress = log.info, solver_log: bool = False) -> RunOutcome:
    """Read, validate, solve and write the plan; returns where it went."""
    from .report import write_plan
    from .sweep import run_sweep

    input_path = Path(input_path)
    output = Path(output_path) if output_path else default_output_path(input_path)
    if same_file(input_path, output):
        raise InputError([Issue("File", None, "--output", str(output),
                                "an output path other than the input workbook (the input is "
                                "never written); choose another --output")], str(input_path))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    progress(f"reading {input_path}")
    raw = read_workbook(input_path)
    timings["read_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    plan = validate(raw)
    timings["validate_seconds"] = time.perf_counter() - started
    progress(f"validated: {len(plan.commodities)} commodities, {len(plan.suppliers)} suppliers, "
             f"{len(plan.routes)} routes, {len(plan.scenarios)} scenarios, "
             f"{plan.settings.periods} periods"
             + (f"; {len(plan.warnings)} warning(s):" if plan.warnings else ""))
    for warning in plan.warnings[:MAX_WARNINGS_SHOWN]:
        progress(f"  warning: {warning}")
    if len(plan.warnings) > MAX_WARNINGS_SHOWN:
        progress(f"  ... and {len(plan.warnings) - MAX_WARNINGS_SHOWN} more on the plan's "
                 "Warnings sheet")
    try:
        built, solver, solution = solve_plan(plan, progress, timings, solver_log)
    except InfeasiblePlan as exc:
        from .report import write_diagnosis

        where = output.parent / f"{input_path.stem}_diagnosis.xlsx"
        exc.diagnosis.path = write_diagnosis(exc.diagnosis, plan, where)
        raise InfeasiblePlan(f"{exc}\nThe diagnosis is in {exc.diagnosis.path}",
                             exc.diagnosis) from None
    notes = []
    if solution.max_residual > RESIDUAL_TOLERANCE * max(1.0, _scale(solver)):
        notes.append(f"numerical trouble: rechecked after solving, the plan violates a limit by "
                     f"{solution.max_residual:.3g}; treat its figures with care and check the "
                     "units of very large or very small numbers")
    if solution.status == "time_limit":
        gap = "unknown" if solution.gap is None else f"{solution.gap:.2%}"
        notes.append(f"the solver stopped at the time limit; this plan may not be optimal "
                     f"(gap {gap})")
    for note in notes:
        progress(f"  warning: {note}")
    started = time.perf_counter()
    result = extract(built, solver, solution)
    if plan.sweep:
        progress(f"sweeping {len(plan.sweep)} trade-off points ...")
        result.tradeoff = run_sweep(built, solver, plan)
    timings["extract_seconds"] = time.perf_counter() - started
    result.timings = timings
    progress(f"writing {output}")
    started = time.perf_counter()
    written, write_notes = write_plan(result, plan, output, notes)
    timings["write_seconds"] = time.perf_counter() - started  # including the final save
    return RunOutcome(result, written, plan, write_notes)


def summary_lines(outcome: RunOutcome) -> list[str]:
    """A compact summary for the terminal: cost, shortfall per commodity, binding limits."""
    result, plan = outcome.result, outcome.plan
    money = plan.settings.currency
    lines = ["", f"  status           {result.status}",
             f"  objective        {result.objective:>18,.0f} {money}",
             f"  expected cost    {result.expected_cost:>18,.0f} {money}",
             f"  CVaR             {result.cvar:>18,.0f} {money}"]
    for k, value in result.shortfall_by_commodity.items():
        lines.append(f"  shortfall {k:<14.14} {value:>12,.1f} {plan.commodities[k].unit}")
    table = result.concentration
    if len(table):
        binding = (table[table["binding"]]
                   .groupby("limit", sort=False)["marginal_cost_per_point"].sum()
                   .sort_values(ascending=False))
        for limit, worth in binding.head(5).items():
            lines.append(f"  binding limit    {limit:<24.24} {worth:>12,.0f} {money} per point")
    for note in outcome.notes:
        lines.append(f"  note: {note}")
    lines.append(f"  plan written to  {outcome.output_path}")
    return lines
