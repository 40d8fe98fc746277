"""Hand the compiled LP to HiGHS and bring the answer back: with `highs_internals` (highspy's
private API), the only modules that talk to the solver.

`PlanSolver` keeps one HiGHS instance alive, so a sweep or a sensitivity check can change
coefficients and re-solve from a basis it kept (`basis`, `start_from`). When HiGHS stops with a
solve error or an unknown status (a known class of simplex failures on large LPs: the presolved
LP is solved and the clean-up after postsolve fails), `solve` climbs a ladder of other
settings, each within what is left of the time limit, until one gives an optimal plan, and says
which one did.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import highspy
import numpy as np

from model.domain.errors import SolverFailure
from model.solver.handoff import CompiledLP, to_csc
from model.solver.highs_internals import run_and_release

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
RELATIVE_RESIDUAL = 1e-6  # a plan breaking no limit by more than this x the LP's scale is sound
Status = highspy.HighsModelStatus
_banner_done = False


@contextlib.contextmanager
def _quiet_stdout() -> Any:
    """Silence the process's stdout (file descriptor 1) for native code that prints."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):
        pass
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all (closed): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def set_option(highs: highspy.Highs, name: str, value: Any) -> None:
    """Set a HiGHS option; a refused option is a bug of ours, so it raises."""
    status = highs.setOptionValue(name, value)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS refused the option {name} = {value!r} ({status})")


def new_highs(verbose: bool = False) -> highspy.Highs:
    """A HiGHS instance; its licence banner (printed on the first one) stays off the console
    unless `verbose`."""
    global _banner_done
    if _banner_done or verbose:
        highs = highspy.Highs()
    else:
        with _quiet_stdout():
            highs = highspy.Highs()
    _banner_done = True
    set_option(highs, "output_flag", bool(verbose))
    return highs


def solver_version() -> str:
    """`HiGHS 1.16.0 (highspy), Pyomo 6.10.1`."""
    import pyomo.version

    version = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}." \
              f"{highspy.HIGHS_VERSION_PATCH}"
    return f"HiGHS {version} (highspy), Pyomo {pyomo.version.version}"


def pass_arrays(highs: highspy.Highs, num_cols: int, num_rows: int, cost: np.ndarray,
                offset: float, col_lower: np.ndarray, col_upper: np.ndarray,
                row_lower: np.ndarray, row_upper: np.ndarray, start: np.ndarray,
                index: np.ndarray, value: np.ndarray) -> None:
    """Load a column-wise LP (minimise) into HiGHS; raise SolverFailure if it is refused."""
    status = highs.passModel(
        num_cols, num_rows, int(value.size), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), float(offset), cost, col_lower, col_upper, row_lower,
        row_upper, start, index, value, np.zeros(num_cols, dtype=np.int32))
    if status == highspy.HighsStatus.kError:
        raise SolverFailure("HiGHS refused the model (passModel returned an error)")


@dataclass(frozen=True)
class Attempt:
    """One rung of the fallback ladder: a name a planner can read and the options it sets."""

    name: str
    options: dict[str, Any]
    gives_basis: bool = True


# Every rung before the last keeps a basis (prices with a basis, Sensitivity checks possible).
# The rungs right after the first change what HiGHS 1.16's dual simplex stumbles on in
# docs/highs_solve_error.md (a nearly singular basis of the presolved LP near the optimum) and
# cost about one dual simplex solve each: the LP as given (no presolve), another scaling of it,
# another random tie-breaking. Primal simplex comes late: on a national plan it ran 290 s
# before failing the same way.
LADDER = (
    Attempt("dual simplex", {}),
    Attempt("dual simplex without presolve", {"presolve": "off"}),
    Attempt("dual simplex with another scaling", {"simplex_scale_strategy": 4}),
    Attempt("dual simplex with another random seed", {"random_seed": 1}),
    Attempt("dual simplex with Dantzig pricing", {"simplex_dual_edge_weight_strategy": 0}),
    Attempt("primal simplex", {"simplex_strategy": 4}),
    Attempt("interior point with crossover", {"solver": "ipm", "run_crossover": "on"}),
    Attempt("interior point without crossover", {"solver": "ipm", "run_crossover": "off"},
            gives_basis=False),
)
RESET = {"simplex_dual_edge_weight_strategy": -1, "simplex_strategy": 1, "solver": "choose",
         "run_crossover": "on", "presolve": "choose", "simplex_scale_strategy": 2,
         "random_seed": 0}
RETRY = (Status.kSolveError, Status.kUnknown, Status.kPostsolveError, Status.kPresolveError,
         Status.kNotset)
# The MIP's ladder (model.md 14.5): branch and bound with HiGHS's defaults, then without
# presolve, then with other heuristics; as a last resort the LP relaxation rounded up.
MIP_LADDER = (
    Attempt("branch and bound", {}),
    Attempt("branch and bound without presolve", {"presolve": "off"}),
    Attempt("branch and bound with more heuristics, no symmetry detection",
            {"mip_heuristic_effort": 0.3, "mip_detect_symmetry": False}),
)
MIP_RESET = {"presolve": "choose", "mip_heuristic_effort": 0.05,
             "mip_detect_symmetry": True}
ROUNDED = "the LP relaxation rounded up to whole cargoes and lots (a feasible plan, not an " \
    "optimal one)"
STOPPED = (Status.kTimeLimit, Status.kIterationLimit, Status.kInterrupt,
           Status.kHighsInterrupt)


class SolveStatus(str, Enum):
    """How a solve ended, in the words the output workbook and the terminal show.

    A `str` subclass: a status equals its text ("optimal") and prints as it."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"    # stopped by the time limit (with or without a plan)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"              # every rung of the ladder failed
    ROUNDED = "rounded"          # a MIP's LP relaxation rounded up (model.md 14.5)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass
class Solution:
    """What the solver returned."""

    status: SolveStatus
    objective: float | None
    seconds: float
    col_value: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    gap: float | None = None       # relative primal-dual gap of a plan cut short
    highs_status: str = ""
    max_residual: float = 0.0      # largest bound or row violation of the returned plan
    method: str = "dual simplex"   # the rung of the ladder that gave this answer
    has_basis: bool = True         # duals from a simplex basis (False: interior point only)
    tried: list[str] = field(default_factory=list)  # rungs that failed before, with why
    mip_bound: float | None = None  # a MIP's best bound on the optimum (model.md 14.5)
    mip_gap: float | None = None    # its relative gap (objective - bound) / |objective|
    mip_seconds: float | None = None  # branch and bound alone, before the fixed LP's solve

    @property
    def has_plan(self) -> bool:
        """Whether a primal plan is available (optimal, or feasible at the time limit)."""
        return self.col_value is not None

    @property
    def optimal_objective(self) -> float | None:
        """The objective of a solve that ended optimal, else None."""
        return self.objective if self.status == SolveStatus.OPTIMAL else None

    @property
    def bound(self) -> float | None:
        """The least the objective can be: the MIP's bound, or the optimal objective itself
        for an LP (None when not optimal)."""
        return self.mip_bound if self.mip_bound is not None else self.optimal_objective


@dataclass
class Conflict:
    """An irreducible infeasible subsystem: rows and column bounds, each with the side that
    conflicts (lower, upper or both)."""

    rows: list[tuple[int, str]]
    cols: list[tuple[int, str]]


@dataclass
class Relaxation:
    """The smallest violations (in model units) that make the LP feasible."""

    status: SolveStatus | str       # OPTIMAL, or HiGHS's own words for why not
    rows: dict[int, float]          # row -> amount its bound must move
    col_upper: dict[int, float]     # column -> amount its upper bound must rise
    col_lower: dict[int, float]     # column -> amount its lower bound must fall
    values: np.ndarray | None = None  # the relaxed plan (original columns)


IIS_SIDE = {highspy.IisBoundStatus.kIisBoundStatusLower: "lower",
            highspy.IisBoundStatus.kIisBoundStatusUpper: "upper",
            highspy.IisBoundStatus.kIisBoundStatusBoxed: "both"}
IIS_STRATEGIES = (highspy.IisStrategy.kIisStrategyIrreducible,  # a true IIS first
                  highspy.IisStrategy.kIisStrategyFromLp)       # then the cheaper elastic LP


BASIS_LOWER, BASIS_BASIC, BASIS_UPPER, BASIS_ZERO = (
    int(highspy.HighsBasisStatus.kLower), int(highspy.HighsBasisStatus.kBasic),
    int(highspy.HighsBasisStatus.kUpper), int(highspy.HighsBasisStatus.kZero))


def make_mip(highs: highspy.Highs, lp: CompiledLP, mip_gap: float,
             scale: float | None = None) -> None:
    """Make the LP in `highs` the MIP `lp` is: its integer columns whole, branch and bound to
    `mip_gap`, and a feasibility tolerance that fits the model's numbers."""
    cols = lp.integer_columns.astype(np.int32)
    types = np.full(cols.size, int(highspy.HighsVarType.kInteger), dtype=np.uint8)
    if highs.changeColsIntegrality(int(cols.size), cols, types) == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused changeColsIntegrality")
    set_option(highs, "mip_rel_gap", float(mip_gap))
    # HiGHS judges a candidate plan by an absolute 1e-6 by default; on plans of thousands of
    # units its own candidates miss that by ~1e-5 after postsolve and are all rejected
    # ("infeasible" with a plan at hand). The LP's residual check allows 1e-6 of the largest
    # bound; the MIP allows 1e-8 of it, between 1e-6 and 1e-4 (a cargo count within 1e-4 of a
    # whole number is rounded, then rechecked).
    scale = _scale(lp) if scale is None else scale
    set_option(highs, "mip_feasibility_tolerance", min(1e-4, max(1e-6, 1e-8 * scale)))


class PlanSolver:
    """A live HiGHS instance holding one compiled LP; re-solvable after changes."""

    def __init__(self, lp: CompiledLP, time_limit_seconds: float = 600.0,
                 verbose: bool = False, mip_gap: float = 1e-6, fix_after_mip: bool = True):
        self.lp = lp
        self.time_limit_seconds = float(time_limit_seconds)
        self.highs = new_highs(verbose)
        set_option(self.highs, "time_limit", self.time_limit_seconds)
        pass_arrays(self.highs, lp.num_cols, lp.num_rows, lp.cost, lp.offset, lp.col_lower,
                    lp.col_upper, lp.row_lower, lp.row_upper, lp.start, lp.index, lp.value)
        self.scale = _scale(lp)
        self.worked: Attempt | None = None  # the rung of the ladder that last solved this LP
        # A MIP until its integer columns are fixed at the plan's values (`fix_integers`);
        # from then on the live model is that LP, for prices and every re-solve.
        self.integer_values: np.ndarray | None = None
        # False: every solve stays a MIP and returns its primal plan without duals (the
        # single-scenario models of EVPI and VSS, which only need optimal costs).
        self.fix_after_mip = fix_after_mip
        self.relaxed = False  # the LP relaxation of a MIP, for its diagnosis
        if lp.is_mip:
            make_mip(self.highs, lp, mip_gap, self.scale)

    @property
    def is_mip(self) -> bool:
        """Whether the live model still has integer columns."""
        return self.lp.is_mip and self.integer_values is None and not self.relaxed

    def make_continuous(self) -> None:
        """The LP relaxation in the live model (for the diagnosis of an infeasible MIP); the
        model is then an LP until `make_integer`."""
        self._set_integrality(highspy.HighsVarType.kContinuous)
        self.relaxed = True

    def make_integer(self, families: list[str] | None = None) -> None:
        """Whole numbers again, for all integer columns or only those of `families` (the
        others continuous)."""
        self._set_integrality(highspy.HighsVarType.kContinuous)
        if families is None:
            self._set_integrality(highspy.HighsVarType.kInteger)
        else:
            cols = np.concatenate([self._columns_of(f) for f in families] +
                                  [np.zeros(0, dtype=np.int64)])
            self._set_integrality(highspy.HighsVarType.kInteger, cols)
        self.relaxed = False
        self.highs.clearSolver()

    def _set_integrality(self, kind: Any, columns: np.ndarray | None = None) -> None:
        cols = (self.lp.integer_columns if columns is None else columns).astype(np.int32)
        if not cols.size:
            return
        types = np.full(cols.size, int(kind), dtype=np.uint8)
        if self.highs.changeColsIntegrality(int(cols.size), cols, types) == \
                highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused changeColsIntegrality")

    @property
    def size(self) -> tuple[int, int, int]:
        """(columns, rows, nonzeros)."""
        return self.lp.num_cols, self.lp.num_rows, self.lp.num_nonzeros

    def _run(self, attempt: Attempt, seconds_left: float) -> Status:
        highs = self.highs
        for name, value in {**RESET, **attempt.options}.items():
            set_option(highs, name, value)
        set_option(highs, "time_limit", seconds_left if seconds_left > 0 else 1e-9)
        self._run_interruptible()
        status = highs.getModelStatus()
        if status == Status.kUnboundedOrInfeasible:
            # Presolve could not tell the two apart; the simplex without presolve can.
            set_option(highs, "presolve", "off")
            self._run_interruptible()
            status = highs.getModelStatus()
        return status

    def _run_interruptible(self) -> None:
        """`highs.run()` in a worker thread (HiGHS releases the GIL), so that Ctrl-C or SIGTERM
        stops a long solve at once: while it runs, the signal only asks HiGHS to stop at its
        next iteration; once HiGHS has returned, the signal is raised again for its own
        handler (Ctrl-C and the planner's SIGTERM: a KeyboardInterrupt that cleans up).

        The handler must not raise inside `Thread.join`: an interrupted join can later return
        while the thread still runs, and the process then aborts at exit."""
        highs = self.highs
        if threading.current_thread() is not threading.main_thread():
            highs.run()
            return
        if not getattr(self, "_interrupt_hooked", False):
            highs.cbSimplexInterrupt += self._stop_if_asked
            highs.cbIpmInterrupt += self._stop_if_asked
            self._interrupt_hooked = True
        self._stop = False
        caught: list[int] = []

        def ask_to_stop(signum: int, frame: Any) -> None:
            caught.append(signum)
            self._stop = True

        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) not in (signal.SIG_IGN, None):
                previous[sig] = signal.signal(sig, ask_to_stop)
        try:
            worker = threading.Thread(target=run_and_release, args=(highs,), name="HiGHS",
                                      daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(0.05)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])

    def _stop_if_asked(self, event: Any) -> None:
        if self._stop:
            event.interrupt()

    def solve(self, ladder: tuple[Attempt, ...] = LADDER) -> Solution:
        """Solve, climbing the ladder while HiGHS fails without an answer or returns a plan
        that breaks a limit (numerical trouble); the first optimal plan wins. Once a rung has
        solved this LP, later solves (a sweep, a re-solve) start with it. A MIP climbs its own
        ladder (`solve_mip`)."""
        if self.is_mip:
            return self.solve_mip()
        worked = self.worked
        if worked is not None and worked in ladder and worked is not ladder[0]:
            ladder = (worked, *(a for a in ladder if a is not worked))
        started = time.perf_counter()
        tried: list[str] = []
        fallback: Solution | None = None
        for i, attempt in enumerate(ladder):
            left = self.time_limit_seconds - (time.perf_counter() - started)
            if left <= 0 and i > 0:
                skipped = ", ".join(a.name for a in ladder[i:])
                tried.append(f"{skipped}: not tried: the time limit of "
                             f"{self.time_limit_seconds:g} s was used up")
                break
            if i > 0:
                self.highs.clearSolver()  # start afresh: the failed basis must not be reused
            status = self._run(attempt, left)
            seconds = time.perf_counter() - started
            text = self.highs.modelStatusToString(status)
            if status == Status.kOptimal:
                solution = self._with_plan(SolveStatus.OPTIMAL, seconds, text, attempt)
                solution.tried = tried
                if self.residual_acceptable(solution.max_residual) or i == len(ladder) - 1:
                    self.worked = attempt
                    return solution
                tried.append(f"{attempt.name}: a plan that breaks a limit by "
                             f"{solution.max_residual:.3g} (numerical trouble)")
                fallback = fallback or solution
                continue
            if status in STOPPED:
                primal = self.highs.getInfo().primal_solution_status
                if primal == highspy.SolutionStatus.kSolutionStatusFeasible:
                    solution = self._with_plan(SolveStatus.TIME_LIMIT, seconds, text, attempt)
                else:
                    solution = Solution(SolveStatus.TIME_LIMIT, None, seconds, highs_status=text,
                                        method=attempt.name)
                solution.tried = tried
                return fallback or solution
            if status == Status.kInfeasible:
                return Solution(SolveStatus.INFEASIBLE, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            if status == Status.kUnbounded:
                return Solution(SolveStatus.UNBOUNDED, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            if status not in RETRY:
                return Solution(SolveStatus.ERROR, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            log.info("HiGHS %s ended with %s; trying the next settings", attempt.name, text)
            tried.append(f"{attempt.name}: {text}")
        seconds = time.perf_counter() - started
        if fallback is not None:
            return fallback
        return Solution(SolveStatus.ERROR, None, seconds, highs_status="; ".join(tried),
                        method="none", tried=tried)

    def solve_mip(self, fix: bool | None = None) -> Solution:
        """Branch and bound within the time limit, climbing MIP_LADDER on solver errors, then
        the plan's integer columns fixed and the LP re-solved for its duals (model.md 14.5);
        as a last resort the LP relaxation rounded up."""
        started = time.perf_counter()
        tried: list[str] = []
        for i, attempt in enumerate(MIP_LADDER):
            left = self.time_limit_seconds - (time.perf_counter() - started)
            if left <= 0 and i > 0:
                tried.append(f"{', '.join(a.name for a in MIP_LADDER[i:])}: not tried: the "
                             f"time limit of {self.time_limit_seconds:g} s was used up")
                return Solution(SolveStatus.ERROR, None, time.perf_counter() - started,
                                highs_status="; ".join(tried), method="none", tried=tried)
            if i > 0:
                self.highs.clearSolver()
            for name, value in MIP_RESET.items():
                set_option(self.highs, name, value)
            status = self._run(attempt, left)
            seconds = time.perf_counter() - started
            text = self.highs.modelStatusToString(status)
            info = self.highs.getInfo()
            found = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
            if status == Status.kOptimal or (status in STOPPED and found):
                values = np.asarray(self.highs.getSolution().col_value, dtype=float)
                objective = float(info.objective_function_value)
                bound = float(info.mip_dual_bound)
                if (self.fix_after_mip if fix is None else fix):
                    solution = self.fix_integers(values, started)
                else:
                    solution = Solution(SolveStatus.OPTIMAL, objective, seconds, values,
                                        has_basis=False,
                                        max_residual=max_residual(self.lp, values))
                solution.status = (SolveStatus.OPTIMAL if status == Status.kOptimal
                                   else SolveStatus.TIME_LIMIT)
                solution.highs_status = text
                solution.method, solution.tried = attempt.name, tried
                solution.mip_seconds = seconds
                solution.mip_bound = bound if math.isfinite(bound) else None
                solution.mip_gap = (max(0.0, objective - bound) / max(1e-9, abs(objective))
                                    if math.isfinite(bound) else None)
                if solution.status == SolveStatus.TIME_LIMIT:
                    solution.gap = solution.mip_gap
                return solution
            if status in STOPPED:
                return Solution(SolveStatus.TIME_LIMIT, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            if status == Status.kInfeasible:
                return Solution(SolveStatus.INFEASIBLE, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            if status == Status.kUnbounded:
                return Solution(SolveStatus.UNBOUNDED, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            if status not in RETRY:
                return Solution(SolveStatus.ERROR, None, seconds, highs_status=text,
                                method=attempt.name, tried=tried)
            log.info("HiGHS %s ended with %s; trying the next settings", attempt.name, text)
            tried.append(f"{attempt.name}: {text}")
        return self.rounded_relaxation(started, tried)

    def rounded_relaxation(self, started: float, tried: list[str]) -> Solution:
        """The last rung: the LP relaxation, every cargo count, lot and option rounded up (a
        make-up switch down, so no deficiency is forbidden), the rest re-solved as an LP."""
        cols = self.lp.integer_columns
        self._set_integrality(highspy.HighsVarType.kContinuous)
        self.highs.clearSolver()
        status = self._run(LADDER[0], self.time_limit_seconds)
        if status != Status.kOptimal:
            self._set_integrality(highspy.HighsVarType.kInteger)
            text = self.highs.modelStatusToString(status)
            tried.append(f"the LP relaxation: {text}")
            kind = {Status.kInfeasible: "infeasible"}.get(status, "error")
            return Solution(kind, None, time.perf_counter() - started, highs_status=text,
                            method="none", tried=tried)
        relaxed = np.asarray(self.highs.getSolution().col_value, dtype=float)
        rounded = relaxed.copy()
        down = self._columns_of("make_up_on")
        rounded[cols] = np.ceil(relaxed[cols] - 1e-6)
        rounded[down] = np.floor(relaxed[down] + 1e-6)
        solution = self.fix_integers(rounded, started)
        if solution.has_plan:
            solution.status = SolveStatus.ROUNDED
        solution.method, solution.tried = ROUNDED, tried
        return solution

    def _columns_of(self, family: str) -> np.ndarray:
        block = self.lp.layout.columns.get(family)
        return np.arange(block.start, block.stop) if block is not None else \
            np.zeros(0, dtype=np.int64)

    def fix_integers(self, values: np.ndarray, started: float | None = None) -> Solution:
        """Fix every integer column at `values` (rounded, within its bounds), make the model
        an LP and solve it: the plan with its duals, from which Prices, Sensitivity and the
        worth of limits are read (model.md 14.5). The live model stays that LP."""
        started = time.perf_counter() if started is None else started
        cols = self.lp.integer_columns
        whole = np.clip(np.round(values[cols]), self.lp.col_lower[cols], self.lp.col_upper[cols])
        self.integer_bounds = (self.lp.col_lower[cols].copy(), self.lp.col_upper[cols].copy())
        self._set_integrality(highspy.HighsVarType.kContinuous)
        self.change_col_bounds(cols, whole, whole)
        self.integer_values = whole
        self.highs.clearSolver()
        solution = self.solve()
        solution.seconds = time.perf_counter() - started
        return solution

    def release_integers(self) -> None:
        """Undo `fix_integers`: the integer columns get their own bounds back and the model is
        a MIP again (for EEV's re-solve, model.md 14.5); `refix_integers` restores the LP."""
        if self.integer_values is None:
            return
        cols = self.lp.integer_columns
        self.change_col_bounds(cols, *self.integer_bounds)
        self._set_integrality(highspy.HighsVarType.kInteger)
        self.plan_integers, self.integer_values = self.integer_values, None

    def refix_integers(self) -> None:
        """Fix the integer columns at the plan's values again, as after its solve."""
        cols = self.lp.integer_columns
        self._set_integrality(highspy.HighsVarType.kContinuous)
        self.change_col_bounds(cols, self.plan_integers, self.plan_integers)
        self.integer_values = self.plan_integers
        self.highs.clearSolver()

    def resolve(self, values: bool = False
                ) -> tuple[float, np.ndarray | None, np.ndarray | None] | None:
        """A quick re-solve after a small change, from the current basis with the settings of
        the last solve: (objective, columns and row duals if `values`), or None without an
        optimal plan (after the full ladder has been tried)."""
        self.highs.run()
        if self.highs.getModelStatus() != Status.kOptimal:
            solution = self.solve()
            if solution.status != SolveStatus.OPTIMAL:
                return None
            return solution.objective, solution.col_value, solution.row_dual
        objective = float(self.highs.getInfo().objective_function_value)
        if not values:
            return objective, None, None
        found = self.highs.getSolution()
        return (objective, np.asarray(found.col_value, dtype=float),
                np.asarray(found.row_dual, dtype=float))

    def _with_plan(self, status: SolveStatus, seconds: float, text: str, attempt: Attempt
                   ) -> Solution:
        solution = self.highs.getSolution()
        values = np.asarray(solution.col_value, dtype=float)
        duals = np.asarray(solution.row_dual, dtype=float) if solution.dual_valid else None
        col_dual = np.asarray(solution.col_dual, dtype=float) if solution.dual_valid else None
        objective = float(self.highs.getInfo().objective_function_value)
        gap = None
        if status != SolveStatus.OPTIMAL and duals is not None:
            bound = dual_bound(self.lp, duals, col_dual)
            if bound is not None:
                gap = max(0.0, objective - bound) / max(1.0, abs(objective))
        has_basis = attempt.gives_basis and self.highs.getBasis().valid
        return Solution(status, objective, seconds, values, duals, col_dual, gap=gap,
                        highs_status=text, max_residual=max_residual(self.lp, values),
                        method=attempt.name, has_basis=has_basis)

    def iis(self, time_limit_seconds: float = 60.0) -> Conflict | None:
        """A minimal set of rows and bounds that cannot hold together (after an infeasible
        solve); None if HiGHS cannot find one in time."""
        set_option(self.highs, "iis_time_limit", float(time_limit_seconds))
        for strategy in IIS_STRATEGIES:
            set_option(self.highs, "iis_strategy", int(strategy))
            status, found = self.highs.getIis()
            if status != highspy.HighsStatus.kError and (len(found.row_index_)
                                                          or len(found.col_index_)):
                return Conflict(
                    [(int(i), IIS_SIDE.get(b, "both"))
                     for i, b in zip(found.row_index_, found.row_bound_, strict=True)],
                    [(int(j), IIS_SIDE[b])
                     for j, b in zip(found.col_index_, found.col_bound_, strict=True)
                     if b in IIS_SIDE])
        return None

    def primal_ray(self) -> np.ndarray | None:
        """A direction of unboundedness (after an unbounded solve), or None."""
        status, has_ray, ray = self.highs.getPrimalRay()
        if status == highspy.HighsStatus.kError or not has_ray:
            return None
        return np.asarray(ray, dtype=float)

    def load_into_model(self, solution: Solution) -> None:
        """Set every Pyomo variable's value from the solution (for inspecting the model; the
        planner itself reads the solution arrays)."""
        if solution.col_value is None:
            return
        if not self.lp.variables:
            raise RuntimeError("the Pyomo model was released after the hand-off "
                               "(solve_plan(..., keep_model=True) keeps it)")
        for var, x in zip(self.lp.variables, solution.col_value.tolist(), strict=True):
            var.set_value(x, skip_validation=True)

    def change_coefficients(self, entries: list[tuple[int, int, float]]) -> None:
        """Set matrix entries (row, column, value); 0 removes an entry."""
        for row, col, value in entries:
            status = self.highs.changeCoeff(row, col, value)
            if status == highspy.HighsStatus.kError:
                raise RuntimeError(f"HiGHS refused changeCoeff({row}, {col}, {value})")
            self.lp.set_entry(row, col, value)

    def change_row_bounds(self, rows: np.ndarray, lower: np.ndarray,
                          upper: np.ndarray) -> None:
        """Set the bounds of several rows (kept in the compiled arrays too)."""
        rows = np.asarray(rows, dtype=np.int32)
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if rows.size and self.highs.changeRowsBounds(
                int(rows.size), rows, lower, upper) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused changeRowsBounds")
        self.lp.row_lower[rows], self.lp.row_upper[rows] = lower, upper

    def release(self) -> None:
        """Free HiGHS's copy of the LP and its factorisation (the arrays in `lp` stay): once
        every solve of a run is done, before the plan is written, so that writing does not add
        its peak on top of the solver's."""
        self.highs.clear()
        self.highs = None  # the interrupt callbacks hold it too: the caller collects them

    def change_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Set the bounds of several columns (kept in the compiled arrays too)."""
        cols = np.asarray(cols, dtype=np.int32)
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if cols.size and self.highs.changeColsBounds(
                int(cols.size), cols, lower, upper) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused changeColsBounds")
        self.lp.col_lower[cols], self.lp.col_upper[cols] = lower, upper

    def change_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        """Set the objective coefficients of several columns (kept in the arrays too)."""
        cols = np.asarray(cols, dtype=np.int32)
        costs = np.asarray(costs, dtype=float)
        if cols.size and self.highs.changeColsCost(
                int(cols.size), cols, costs) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused changeColsCost")
        self.lp.cost[cols] = costs

    def residual_acceptable(self, residual: float) -> bool:
        """Whether a plan's largest violation of a limit is round-off: at most
        RELATIVE_RESIDUAL times the LP's largest finite bound (at least 1)."""
        return residual <= RELATIVE_RESIDUAL * self.scale

    def basis(self) -> Any:
        """The instance's current basis, to hand back to `start_from` later (opaque)."""
        return self.highs.getBasis()

    def start_from(self, basis: Any) -> None:
        """Make the next solve start from a basis `basis()` returned."""
        if self.highs.setBasis(basis) == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused setBasis")

    def is_at(self, objective: float) -> bool:
        """Whether the instance holds an optimal solution with this objective (no other solve
        has moved it since)."""
        return (self.highs.getModelStatus() == Status.kOptimal and abs(
            self.highs.getInfo().objective_function_value - objective)
            <= 1e-9 * max(1.0, abs(objective)))

    def basic_variables(self) -> np.ndarray | None:
        """HiGHS's basic variables in basis order (column j as j, row i as -i - 1), or None
        without a basis."""
        status, basic = self.highs.getBasicVariables()
        if status != highspy.HighsStatus.kOk:
            return None
        return np.asarray(basic, dtype=np.int64)

    def row_values(self) -> np.ndarray:
        """The row activities of the instance's current solution."""
        return np.asarray(self.highs.getSolution().row_value, dtype=float)

    def basis_statuses(self) -> tuple[np.ndarray, np.ndarray]:
        """The current basis as (column statuses, row statuses), each an int array of
        BASIS_LOWER, BASIS_BASIC, BASIS_UPPER or BASIS_ZERO."""
        kept = self.highs.getBasis()
        return (np.array([int(v) for v in kept.col_status], dtype=np.int64),
                np.array([int(v) for v in kept.row_status], dtype=np.int64))

    def basis_inverse_col(self, column: int) -> np.ndarray | None:
        """Column `column` of B^-1, or None when HiGHS cannot."""
        status, values = self.highs.getBasisInverseCol(column)
        return None if status != highspy.HighsStatus.kOk else np.asarray(values, dtype=float)

    def basis_inverse_row(self, row: int) -> np.ndarray | None:
        """Row `row` of B^-1, or None when HiGHS cannot."""
        status, values = self.highs.getBasisInverseRow(row)[:2]
        return None if status != highspy.HighsStatus.kOk else np.asarray(values, dtype=float)

    def reduced_row(self, row: int) -> np.ndarray | None:
        """Row `row` of B^-1 A (the tableau row of basic variable `row`), or None."""
        status, values = self.highs.getReducedRow(row)[:2]
        return None if status != highspy.HighsStatus.kOk else np.asarray(values, dtype=float)

    def basis_solve(self, rhs: np.ndarray) -> np.ndarray | None:
        """B^-1 rhs for the current basis matrix B, or None when HiGHS cannot."""
        status, direction = self.highs.getBasisSolve(np.asarray(rhs, dtype=float))
        if status != highspy.HighsStatus.kOk:
            return None
        return np.asarray(direction, dtype=float)


def _scale(lp: CompiledLP) -> float:
    """Largest finite bound of the LP (at least 1): residuals are judged relative to it."""
    bounds = np.concatenate([lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper])
    finite = np.abs(bounds[np.isfinite(bounds) & (np.abs(bounds) < 1e20)])
    return float(finite.max(initial=1.0))


def dual_bound(lp: CompiledLP, row_dual: np.ndarray, col_dual: np.ndarray) -> float | None:
    """Lower bound on the optimum from a dual solution (None if it is not dual feasible):
    the sum of each multiplier times the bound it prices."""
    total = lp.offset
    for y, lower, upper in ((row_dual, lp.row_lower, lp.row_upper),
                            (col_dual, lp.col_lower, lp.col_upper)):
        positive, negative = y > 1e-9, y < -1e-9
        if np.isinf(lower[positive]).any() or np.isinf(upper[negative]).any():
            return None
        total += float(y[positive] @ lower[positive] + y[negative] @ upper[negative])
    return total


def row_activity(lp: CompiledLP, values: np.ndarray) -> np.ndarray:
    """A x for a column vector x."""
    cols = np.repeat(np.arange(lp.num_cols), np.diff(lp.start))
    activity = np.bincount(lp.index, weights=lp.value * values[cols], minlength=lp.num_rows)
    for (row, col), value in lp.added.items():
        activity[row] += value * values[col]
    return activity


def max_residual(lp: CompiledLP, values: np.ndarray) -> float:
    """Largest violation of a bound or row by `values`, recomputed from the matrix."""
    if values.size == 0:
        return 0.0
    bound = np.maximum(lp.col_lower - values, values - lp.col_upper).max(initial=0.0)
    activity = row_activity(lp, values)
    rows = np.maximum(lp.row_lower - activity, activity - lp.row_upper).max(initial=0.0)
    return float(max(bound, rows, 0.0))


def solve_elastic(lp: CompiledLP, rows_lower: list[int], rows_upper: list[int],
                  cols_upper: list[int], cols_lower: list[int],
                  time_limit_seconds: float = 120.0) -> Relaxation:
    """Minimise the total violation of the chosen limits (all else stays hard).

    rows_lower / rows_upper: rows whose lower / upper bound may move (one slack each);
    cols_upper / cols_lower: columns whose upper / lower bound may move (a slack and a row
    each). Costs are ignored: the answer is the least change that makes any plan possible.
    """
    n, m = lp.num_cols, lp.num_rows
    col_lower = lp.col_lower.copy()
    col_upper = lp.col_upper.copy()
    col_upper[cols_upper] = INF
    col_lower[cols_lower] = -INF
    entries_rows = [lp.index]
    entries_cols = [np.repeat(np.arange(n), np.diff(lp.start))]
    entries_vals = [lp.value]
    row_lower = [lp.row_lower]
    row_upper = [lp.row_upper]
    slack = n
    slack_of: list[tuple[str, int]] = []
    for kind, rows, sign in (("row", rows_lower, 1.0), ("row", rows_upper, -1.0)):
        for i in rows:
            entries_rows.append(np.array([i]))
            entries_cols.append(np.array([slack]))
            entries_vals.append(np.array([sign]))
            slack_of.append((kind, i))
            slack += 1
    extra = m
    for kind, cols, sign, lower, upper in (("upper", cols_upper, -1.0, -INF, lp.col_upper),
                                           ("lower", cols_lower, 1.0, lp.col_lower, INF)):
        for j in cols:
            entries_rows.append(np.array([extra, extra]))
            entries_cols.append(np.array([j, slack]))
            entries_vals.append(np.array([1.0, sign]))
            row_lower.append(np.array([lower if kind == "upper" else lower[j]]))
            row_upper.append(np.array([upper[j] if kind == "upper" else upper]))
            slack_of.append((kind, j))
            slack += 1
            extra += 1
    n_slack = slack - n
    cost = np.concatenate([np.zeros(n), np.ones(n_slack)])
    start, index, value = to_csc(np.concatenate(entries_rows).astype(np.int64),
                                 np.concatenate(entries_cols).astype(np.int64),
                                 np.concatenate(entries_vals), slack)
    highs = new_highs()
    set_option(highs, "time_limit", float(time_limit_seconds))
    pass_arrays(highs, slack, extra, cost, 0.0,
                np.concatenate([col_lower, np.zeros(n_slack)]),
                np.concatenate([col_upper, np.full(n_slack, INF)]),
                np.concatenate(row_lower), np.concatenate(row_upper), start, index, value)
    highs.run()
    status = highs.getModelStatus()
    result = Relaxation(highs.modelStatusToString(status), {}, {}, {})
    if status != Status.kOptimal:
        return result
    solved = np.asarray(highs.getSolution().col_value)
    result.values = solved[:n]
    for (kind, i), amount in zip(slack_of, solved[n:].tolist(), strict=True):
        if amount > 1e-7:
            target = {"row": result.rows, "upper": result.col_upper,
                      "lower": result.col_lower}[kind]
            target[i] = target.get(i, 0.0) + amount
    result.status = SolveStatus.OPTIMAL
    return result
