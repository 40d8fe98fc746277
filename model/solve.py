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
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
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


def _bound(x: Any, default: float) -> float:
    return default if x is None else float(pyo.value(x))


class _RowCompiler:
    """Linear rows (constant, [(column, coefficient), ...]) from Pyomo expressions."""

    def __init__(self, col_of: dict[int, int]):
        self.col_of = col_of
        self.visitor = LinearRepnVisitor({})

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
            for arg in expr.args:
                cls = arg.__class__
                if cls is MonomialTermExpression:
                    coef, var = arg.args
                    if var.__class__ is not VarData and not isinstance(var, VarData):
                        return self._slow(expr)
                    cols.append(col_of[id(var)])
                    coefs.append(coef if coef.__class__ in _NATIVE else pyo.value(coef))
                elif cls is VarData or isinstance(arg, VarData):
                    cols.append(col_of[id(arg)])
                    coefs.append(1.0)
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
    variables = list(m.component_data_objects(pyo.Var, descend_into=True))
    col_of = {id(v): i for i, v in enumerate(variables)}
    n_cols = len(variables)
    col_lower = np.fromiter((_bound(v.lb, -INF) for v in variables), float, n_cols)
    col_upper = np.fromiter((_bound(v.ub, INF) for v in variables), float, n_cols)
    compiler = _RowCompiler(col_of)

    constraints = list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True))
    row_idx: list[int] = []
    col_idx: list[int] = []
    vals: list[float] = []
    row_lower = np.empty(len(constraints))
    row_upper = np.empty(len(constraints))
    for i, con in enumerate(constraints):
        constant, cols, coefs = compiler.terms(con.body)
        row_idx.extend([i] * len(cols))
        col_idx.extend(cols)
        vals.extend(coefs)
        row_lower[i] = _bound(con.lower, -INF) - constant
        row_upper[i] = _bound(con.upper, INF) - constant
    row_of = {id(c): i for i, c in enumerate(constraints)}

    objective = next(m.component_data_objects(pyo.Objective, active=True))
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


@dataclass
class Solution:
    """What the solver returned, in Pyomo terms."""

    status: str                    # optimal | time_limit | infeasible | unbounded | ...
    objective: float | None
    seconds: float
    col_value: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    mip_gap: float | None = None
    highs_status: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        """Whether a primal plan is available (optimal, or feasible at the time limit)."""
        return self.col_value is not None


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
        for var, x in zip(self.lp.variables, values.tolist(), strict=True):
            var.set_value(x, skip_validation=True)
        objective = float(self.highs.getInfo().objective_function_value)
        return Solution(status, objective, seconds, values, duals, highs_status=text)

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
            constant, cols, coefs = compiler.terms(con.body)
            merged: dict[int, float] = {}
            for c, v in zip(cols, coefs, strict=True):
                merged[c] = merged.get(c, 0.0) + v
            for c, v in merged.items():
                self.highs.changeCoeff(row, c, v)
            self.highs.changeRowBounds(row, _bound(con.lower, -INF) - constant,
                                       _bound(con.upper, INF) - constant)
