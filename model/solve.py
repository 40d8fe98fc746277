"""Hand the Pyomo model to HiGHS and bring the answer back: the only module that talks to the
solver.

The hand-off compiles the model's linear rows straight into column-wise arrays for
`highspy.Highs.passModel` (the rows the builder writes are flat sums of variables and
monomials; anything else goes through Pyomo's own LinearRepnVisitor). The HiGHS object stays
alive, so a sweep can change coefficients and re-solve from the previous basis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression, SumExpression
from pyomo.repn.linear import LinearRepnVisitor

from .errors import SolverFailure

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
_banner_done = False


@contextlib.contextmanager
def _quiet_stdout() -> Any:
    """Silence the process's stdout (file descriptor 1) for native code that prints."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


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
    highs.setOptionValue("output_flag", bool(verbose))
    return highs
_NATIVE = (int, float)
_FLAT = (LinearExpression, SumExpression)


@dataclass
class CompiledLP:
    """The LP as arrays, with the maps between Pyomo components and HiGHS indices."""

    variables: list[VarData]
    constraints: list[Any]
    col_of: dict[int, int]
    row_of: dict[int, int]
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @property
    def num_nonzeros(self) -> int:
        """Nonzeros of the constraint matrix."""
        return int(self.value.size)


def _bound(x: float | None, default: float) -> float:
    """A numeric bound, or +-infinity where there is none."""
    return default if x is None else x


def _row_bounds(con: Any) -> tuple[float, Any, float]:
    """(lower, body, upper) of a constraint, bounds evaluated and infinite where absent."""
    lower, body, upper = con.to_bounded_expression(evaluate_bounds=True)
    return _bound(lower, -INF), body, _bound(upper, INF)


class _RowCompiler:
    """Linear rows (constant, [(column, coefficient), ...]) from Pyomo expressions."""

    def __init__(self, col_of: dict[int, int]):
        self.col_of = col_of
        self.visitor = LinearRepnVisitor({})
        # Parameter-expression coefficients (e.g. 1 - max_share) are shared by many terms:
        # evaluate each object once per compile.
        self.coefficient_values: dict[int, float] = {}

    def coefficient(self, coef: Any) -> float:
        """The value of a non-numeric coefficient, evaluated once per object."""
        key = id(coef)
        found = self.coefficient_values.get(key)
        if found is None:
            found = self.coefficient_values[key] = float(pyo.value(coef))
        return found

    def terms(self, expr: Any) -> tuple[float, list[int], list[float]]:
        col_of = self.col_of
        cols: list[int] = []
        coefs: list[float] = []
        constant = 0.0
        if expr.__class__ is VarData or isinstance(expr, VarData):
            return 0.0, [col_of[id(expr)]], [1.0]
        if isinstance(expr, _NATIVE):
            return float(expr), cols, coefs
        if isinstance(expr, _FLAT):
            append_col, append_coef = cols.append, coefs.append
            for arg in expr.args:
                cls = arg.__class__
                if cls is MonomialTermExpression:
                    coef, var = arg.args
                    if var.__class__ is not VarData and not isinstance(var, VarData):
                        return self._slow(expr)
                    append_col(col_of[id(var)])
                    append_coef(coef if coef.__class__ in _NATIVE else self.coefficient(coef))
                elif cls is VarData or isinstance(arg, VarData):
                    append_col(col_of[id(arg)])
                    append_coef(1.0)
                elif cls in _NATIVE:
                    constant += arg
                else:
                    return self._slow(expr)
            return constant, cols, coefs
        return self._slow(expr)

    def _slow(self, expr: Any) -> tuple[float, list[int], list[float]]:
        repn = self.visitor.walk_expression(expr)
        if repn.nonlinear is not None:
            raise ValueError(f"the model has a nonlinear expression: {expr}")
        multiplier = float(repn.multiplier)
        cols = [self.col_of[v] for v in repn.linear]
        coefs = [multiplier * float(c) for c in repn.linear.values()]
        return multiplier * float(pyo.value(repn.constant)), cols, coefs


def compile_lp(m: pyo.ConcreteModel) -> CompiledLP:
    """Compile every active variable, constraint and the objective of `m` into arrays."""
    with PauseGC():  # many short-lived lists; no cycles to collect
        return _compile(m)


def _compile(m: pyo.ConcreteModel) -> CompiledLP:
    variables = list(m.component_data_objects(pyo.Var, descend_into=True))
    col_of = {id(v): i for i, v in enumerate(variables)}
    n_cols = len(variables)
    bounds = [v.bounds for v in variables]  # one property call per variable
    col_lower = np.array([_bound(lb, -INF) for lb, _ in bounds], dtype=float)
    col_upper = np.array([_bound(ub, INF) for _, ub in bounds], dtype=float)
    compiler = _RowCompiler(col_of)

    constraints = list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True))
    bounded = [_row_bounds(con) for con in constraints]
    row_lower = np.array([lb for lb, _, _ in bounded], dtype=float)
    row_upper = np.array([ub for _, _, ub in bounded], dtype=float)
    flat, other = [], []
    for i, (_, body, _) in enumerate(bounded):
        (flat if _is_flat(body) else other).append((i, body))
    row_idx, col_idx, vals = _flat_rows(flat, compiler)
    for i, body in other:  # the rest, one by one (few or none)
        constant, cols, coefs = compiler.terms(body)
        row_idx.extend([i] * len(cols))
        col_idx.extend(cols)
        vals.extend(coefs)
        row_lower[i] -= constant
        row_upper[i] -= constant
    row_of = {id(c): i for i, c in enumerate(constraints)}

    objective = next(m.component_data_objects(pyo.Objective, active=True))
    if _is_flat(objective.expr):
        offset, (_, obj_cols, obj_coefs) = 0.0, _flat_rows([(0, objective.expr)], compiler)
    else:
        offset, obj_cols, obj_coefs = compiler.terms(objective.expr)
    cost = np.zeros(n_cols)
    np.add.at(cost, np.asarray(obj_cols, dtype=np.int64), np.asarray(obj_coefs, dtype=float))
    if objective.sense != pyo.minimize:
        raise ValueError("the planner only minimises")

    start, index, value = _to_csc(np.asarray(row_idx, dtype=np.int64),
                                  np.asarray(col_idx, dtype=np.int64),
                                  np.asarray(vals, dtype=float), n_cols)
    return CompiledLP(variables, constraints, col_of, row_of, cost, offset, col_lower, col_upper,
                      row_lower, row_upper, start, index, value)


def _is_flat(body: Any) -> bool:
    """A body written by the builder: one LinearExpression, no constant."""
    return body.__class__ is LinearExpression and len(body._args_) == body._nargs


def _flat_rows(flat: list[tuple[int, Any]], compiler: _RowCompiler
               ) -> tuple[list[int], list[int], list[float]]:
    """(row, column, coefficient) triplets of flat rows given as (row, body), in three passes
    over all their terms at once (per-row Python overhead dominates otherwise)."""
    args = list(chain.from_iterable(body._args_ for _, body in flat))
    col_of = compiler.col_of
    monomial = MonomialTermExpression
    try:  # a term is a monomial or a variable (a constant has no column: KeyError)
        cols = [col_of[id(a._args_[1])] if a.__class__ is monomial else col_of[id(a)]
                for a in args]
    except (KeyError, AttributeError, IndexError):
        # A constant or an unexpected term: fall back to row-by-row for all of them.
        rows, cols, coefs = [], [], []
        for i, body in flat:
            _, c, v = compiler.terms(body)
            rows.extend([i] * len(c))
            cols.extend(c)
            coefs.extend(v)
        return rows, cols, coefs
    coefs = [a._args_[0] if a.__class__ is monomial else 1.0 for a in args]
    if not all(c.__class__ is float for c in coefs):
        coefs = [c if c.__class__ in _NATIVE else compiler.coefficient(c) for c in coefs]
    rows = list(chain.from_iterable(repeat(i, body._nargs) for i, body in flat))
    return rows, cols, coefs


def _to_csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
            n_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise arrays with duplicate (row, column) entries summed and zeros dropped."""
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    if rows.size:
        new = np.empty(rows.size, dtype=bool)
        new[0] = True
        new[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        groups = np.flatnonzero(new)
        vals = np.add.reduceat(vals, groups)
        rows, cols = rows[groups], cols[groups]
        keep = vals != 0.0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    counts = np.bincount(cols, minlength=n_cols)
    start = np.zeros(n_cols + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return start, rows.astype(np.int32), vals


IIS_BOUND = {2: "lower", 3: "upper", 4: "both"}  # HiGHS IisBoundStatus: lower, upper, boxed


@dataclass
class Solution:
    """What the solver returned, in Pyomo terms."""

    status: str                    # optimal | time_limit | infeasible | unbounded | ...
    objective: float | None
    seconds: float
    col_value: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    gap: float | None = None       # relative primal-dual gap of a plan cut short
    highs_status: str = ""
    max_residual: float = 0.0      # largest bound or row violation of the returned plan

    @property
    def has_plan(self) -> bool:
        """Whether a primal plan is available (optimal, or feasible at the time limit)."""
        return self.col_value is not None


@dataclass
class Conflict:
    """An irreducible infeasible subsystem: rows and column bounds, each with the side that
    conflicts (lower, upper or both)."""

    rows: list[tuple[int, str]]
    cols: list[tuple[int, str]]


@dataclass
class Relaxation:
    """The smallest violations (in model units) that make the LP feasible."""

    status: str
    rows: dict[int, float]          # row -> amount its bound must move
    col_upper: dict[int, float]     # column -> amount its upper bound must rise
    col_lower: dict[int, float]     # column -> amount its lower bound must fall
    values: np.ndarray | None = None  # the relaxed plan (original columns)


class PlanSolver:
    """A live HiGHS instance holding one compiled model; re-solvable after changes."""

    def __init__(self, m: pyo.ConcreteModel, time_limit_seconds: float = 600.0,
                 verbose: bool = False):
        started = time.perf_counter()
        self.model = m
        self.lp = compile_lp(m)
        self.compile_seconds = time.perf_counter() - started
        started = time.perf_counter()
        self.highs = new_highs(verbose)
        self.highs.setOptionValue("time_limit", float(time_limit_seconds))
        lp = self.lp
        status = self.highs.passModel(
            len(lp.variables), len(lp.constraints), lp.num_nonzeros, 1, 1, lp.offset,
            lp.cost, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper,
            lp.start, lp.index, lp.value, np.zeros(len(lp.variables), dtype=np.int32))
        if status == highspy.HighsStatus.kError:
            raise SolverFailure("HiGHS refused the model (kError on passModel)")
        self.pass_seconds = time.perf_counter() - started

    @property
    def size(self) -> tuple[int, int, int]:
        """(columns, rows, nonzeros)."""
        return len(self.lp.variables), len(self.lp.constraints), self.lp.num_nonzeros

    def solve(self) -> Solution:
        """Run HiGHS; load values and duals into the model when a plan exists."""
        started = time.perf_counter()
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            # Presolve could not tell the two apart; the simplex without presolve can.
            self.highs.setOptionValue("presolve", "off")
            self.highs.run()
            self.highs.setOptionValue("presolve", "choose")
            status = self.highs.getModelStatus()
        seconds = time.perf_counter() - started
        text = self.highs.modelStatusToString(status)
        info = self.highs.getInfo()
        if status == highspy.HighsModelStatus.kOptimal:
            return self._with_plan("optimal", seconds, text)
        if status in (highspy.HighsModelStatus.kTimeLimit,
                      highspy.HighsModelStatus.kIterationLimit,
                      highspy.HighsModelStatus.kInterrupt):
            feasible = info.primal_solution_status == 2
            if feasible:
                return self._with_plan("time_limit", seconds, text)
            return Solution("time_limit", None, seconds, highs_status=text)
        if status == highspy.HighsModelStatus.kInfeasible:
            return Solution("infeasible", None, seconds, highs_status=text)
        if status == highspy.HighsModelStatus.kUnbounded:
            return Solution("unbounded", None, seconds, highs_status=text)
        return Solution("error", None, seconds, highs_status=text)

    def _with_plan(self, status: str, seconds: float, text: str) -> Solution:
        solution = self.highs.getSolution()
        values = np.asarray(solution.col_value, dtype=float)
        duals = np.asarray(solution.row_dual, dtype=float) if solution.dual_valid else None
        objective = float(self.highs.getInfo().objective_function_value)
        gap = None
        if status != "optimal" and solution.dual_valid:
            bound = dual_bound(self.lp, duals, np.asarray(solution.col_dual, dtype=float))
            if bound is not None:
                gap = max(0.0, objective - bound) / max(1.0, abs(objective))
        return Solution(status, objective, seconds, values, duals, gap=gap, highs_status=text,
                        max_residual=max_residual(self.lp, values))

    def iis(self, time_limit_seconds: float = 60.0) -> Conflict | None:
        """A minimal set of rows and bounds that cannot hold together (after an infeasible
        solve); None if HiGHS cannot find one in time."""
        self.highs.setOptionValue("iis_time_limit", float(time_limit_seconds))
        for strategy in (4, 2):  # true IIS first, then the cheaper elastic-LP variant
            self.highs.setOptionValue("iis_strategy", strategy)
            status, found = self.highs.getIis()
            if status != highspy.HighsStatus.kError and (len(found.row_index_)
                                                          or len(found.col_index_)):
                return Conflict(
                    [(int(i), IIS_BOUND.get(int(b), "both"))
                     for i, b in zip(found.row_index_, found.row_bound_, strict=True)],
                    [(int(j), IIS_BOUND.get(int(b), "both"))
                     for j, b in zip(found.col_index_, found.col_bound_, strict=True)
                     if int(b) in IIS_BOUND])
        return None

    def load_into_model(self, solution: Solution) -> None:
        """Set every Pyomo variable's value from the solution (for inspecting the model; the
        planner itself reads the solution arrays)."""
        if solution.col_value is None:
            return
        for var, x in zip(self.lp.variables, solution.col_value.tolist(), strict=True):
            var.set_value(x, skip_validation=True)

    def dual(self, solution: Solution, constraint: Any) -> float:
        """The dual of a constraint: d objective / d right-hand side."""
        if solution.row_dual is None:
            return 0.0
        return float(solution.row_dual[self.lp.row_of[id(constraint)]])

    def refresh_rows(self, constraints: list[Any]) -> None:
        """Re-read the coefficients and bounds of these rows from the model (after a mutable
        parameter changed) and push them to HiGHS."""
        compiler = _RowCompiler(self.lp.col_of)
        for con in constraints:
            row = self.lp.row_of[id(con)]
            lower, body, upper = _row_bounds(con)
            constant, cols, coefs = compiler.terms(body)
            # Columns whose coefficient became zero drop out of the expression; clear them.
            _, old_cols, _ = self.highs.getRowEntries(row)
            merged: dict[int, float] = {int(c): 0.0 for c in old_cols}
            for c, v in zip(cols, coefs, strict=True):
                merged[c] = merged.get(c, 0.0) + v
            for c, v in merged.items():
                self.highs.changeCoeff(row, c, v)
            self.highs.changeRowBounds(row, lower - constant, upper - constant)


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


def max_residual(lp: CompiledLP, values: np.ndarray) -> float:
    """Largest violation of a bound or row by `values`, recomputed from the matrix."""
    if values.size == 0:
        return 0.0
    bound = np.maximum(lp.col_lower - values, values - lp.col_upper).max(initial=0.0)
    cols = np.repeat(np.arange(len(lp.variables)), np.diff(lp.start))
    activity = np.zeros(len(lp.constraints))
    np.add.at(activity, lp.index, lp.value * values[cols])
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
    n, m = len(lp.variables), len(lp.constraints)
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
    start, index, value = _to_csc(np.concatenate(entries_rows).astype(np.int64),
                                  np.concatenate(entries_cols).astype(np.int64),
                                  np.concatenate(entries_vals), slack)
    highs = new_highs()
    highs.setOptionValue("time_limit", float(time_limit_seconds))
    highs.passModel(slack, extra, int(value.size), 1, 1, 0.0, cost,
                    np.concatenate([col_lower, np.zeros(n_slack)]),
                    np.concatenate([col_upper, np.full(n_slack, INF)]),
                    np.concatenate(row_lower), np.concatenate(row_upper),
                    start, index, value, np.zeros(slack, dtype=np.int32))
    highs.run()
    status = highs.getModelStatus()
    result = Relaxation(highs.modelStatusToString(status), {}, {}, {})
    if status != highspy.HighsModelStatus.kOptimal:
        return result
    solved = np.asarray(highs.getSolution().col_value)
    result.values = solved[:n]
    for (kind, i), amount in zip(slack_of, solved[n:].tolist(), strict=True):
        if amount > 1e-7:
            target = {"row": result.rows, "upper": result.col_upper,
                      "lower": result.col_lower}[kind]
            target[i] = target.get(i, 0.0) + amount
    result.status = "optimal"
    return result
