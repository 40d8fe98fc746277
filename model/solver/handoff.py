"""Compile a Pyomo model into the arrays HiGHS takes: the only module that reads Pyomo's
private expression storage.

The formulation writes every row as one flat `LinearExpression` of monomials (`linear.py`).
Reading those rows through Pyomo's public walker costs more than building them, so the fast
path reads `LinearExpression._args_` / `_nargs` and the (coefficient, variable) pair inside each
`MonomialTermExpression` directly. That is a contract with Pyomo's internals: `fast_path_ok()`
checks it on a tiny model at import time, and if a Pyomo upgrade breaks it, every row goes
through the general path (Pyomo's `LinearRepnVisitor`) instead: slower, never wrong.
`tests/test_handoff.py` fails loudly on such an upgrade and compares both paths, and Pyomo's
public `LinearStandardFormCompiler`, on the same models.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.linear import LinearRepnVisitor

INF = float("inf")
_NATIVE = (int, float)


@dataclass(frozen=True)
class Block:
    """The columns (or rows) one indexed Pyomo component occupies: start and keys in order."""

    name: str
    start: int
    keys: list[Any]

    @property
    def stop(self) -> int:
        """One past the last column (or row)."""
        return self.start + len(self.keys)


@dataclass
class Layout:
    """Which columns and rows each variable and constraint family occupies."""

    columns: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)

    @staticmethod
    def _find(blocks: dict[str, Block], i: int) -> tuple[str, Any]:
        ordered = sorted(blocks.values(), key=lambda b: b.start)
        starts = [b.start for b in ordered]
        block = ordered[bisect.bisect_right(starts, i) - 1]
        return block.name, block.keys[i - block.start]

    def column(self, j: int) -> tuple[str, Any]:
        """(family, key) of column j."""
        return self._find(self.columns, j)

    def row(self, i: int) -> tuple[str, Any]:
        """(family, key) of row i."""
        return self._find(self.rows, i)


@dataclass
class CompiledLP:
    """The LP as column-wise arrays, with the maps between Pyomo components and HiGHS
    indices."""

    variables: list[VarData]
    constraints: list[Any]
    col_of: dict[int, int]
    row_of: dict[int, int]
    layout: Layout
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    added: dict[tuple[int, int], float] = field(default_factory=dict)  # entries set later
    integer_columns: np.ndarray = field(  # columns that must take whole values (a MIP)
        default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def is_mip(self) -> bool:
        """Whether some column is integer (model.md section 14)."""
        return bool(self.integer_columns.size)

    @property
    def num_nonzeros(self) -> int:
        """Nonzeros of the constraint matrix."""
        return int(self.value.size)

    def release_model(self) -> None:
        """Drop every reference to the Pyomo model (its variables and constraints), so that
        the model's memory can be freed once the arrays are in hand."""
        self.variables, self.constraints = [], []
        self.col_of, self.row_of = {}, {}

    def entry(self, row: int, col: int) -> float:
        """One matrix entry (0 where there is none)."""
        if (row, col) in self.added:
            return self.added[(row, col)]
        first, last = int(self.start[col]), int(self.start[col + 1])
        found = np.flatnonzero(self.index[first:last] == row)
        return float(self.value[first + int(found[0])]) if found.size else 0.0

    def set_entry(self, row: int, col: int, value: float) -> None:
        """Change one matrix entry (the arrays stay the LP HiGHS holds, for residual checks):
        in place where the entry exists, else recorded in `added`."""
        first, last = int(self.start[col]), int(self.start[col + 1])
        found = np.flatnonzero(self.index[first:last] == row)
        if found.size:
            self.value[first + int(found[0])] = value
        else:
            self.added[(row, col)] = value

    @property
    def num_cols(self) -> int:
        """Columns."""
        return int(self.cost.size)

    @property
    def num_rows(self) -> int:
        """Rows."""
        return int(self.row_lower.size)


def _bound(x: float | None, default: float) -> float:
    """A numeric bound, or +-infinity where there is none."""
    return default if x is None else float(x)


class RowCompiler:
    """Linear rows (constant, [column, ...], [coefficient, ...]) from Pyomo expressions, through
    Pyomo's public walker. Coefficients that are expressions of mutable parameters are
    evaluated."""

    def __init__(self, col_of: dict[int, int]):
        self.col_of = col_of
        self.visitor = LinearRepnVisitor({})
        self.coefficient_values: dict[int, float] = {}

    def coefficient(self, coef: Any) -> float:
        """The value of a non-numeric coefficient, evaluated once per object."""
        key = id(coef)
        found = self.coefficient_values.get(key)
        if found is None:
            found = self.coefficient_values[key] = float(pyo.value(coef))
        return found

    def terms(self, expr: Any) -> tuple[float, list[int], list[float]]:
        """(constant, columns, coefficients) of a linear expression."""
        if isinstance(expr, _NATIVE):
            return float(expr), [], []
        repn = self.visitor.walk_expression(expr)
        if repn.nonlinear is not None:
            raise ValueError(f"the model has a nonlinear expression: {expr}")
        multiplier = float(repn.multiplier)
        cols = [self.col_of[v] for v in repn.linear]
        coefs = [multiplier * float(c) for c in repn.linear.values()]
        return multiplier * float(pyo.value(repn.constant)), cols, coefs


def _is_flat(body: Any) -> bool:
    """A body written by the formulation: one LinearExpression of monomials and variables
    (private storage: see the module docstring)."""
    return body.__class__ is LinearExpression and len(body._args_) == body._nargs


def _flat_rows(flat: list[tuple[int, Any]], compiler: RowCompiler
               ) -> tuple[list[int], list[int], list[float]] | None:
    """(row, column, coefficient) triplets of flat rows given as (row, body), in three passes
    over all their terms at once (per-row Python overhead dominates otherwise); None when a
    term is not a monomial of a variable or a variable (then the caller walks the rows)."""
    args = list(chain.from_iterable(body._args_ for _, body in flat))
    col_of = compiler.col_of
    monomial = MonomialTermExpression
    try:
        cols = [col_of[id(a._args_[1])] if a.__class__ is monomial else col_of[id(a)]
                for a in args]
    except (KeyError, AttributeError, IndexError):
        return None
    coefs = [a._args_[0] if a.__class__ is monomial else 1.0 for a in args]
    if not all(c.__class__ is float for c in coefs):
        coefs = [c if c.__class__ in _NATIVE else compiler.coefficient(c) for c in coefs]
    rows = list(chain.from_iterable(repeat(i, body._nargs) for i, body in flat))
    return rows, cols, coefs


def fast_path_ok() -> bool:
    """Whether Pyomo still stores flat linear expressions the way `_flat_rows` reads them."""
    try:
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(3))
        m.p = pyo.Param(mutable=True, initialize=0.25)
        body = LinearExpression([MonomialTermExpression((2.0, m.x[0])), m.x[1],
                                 MonomialTermExpression((-m.p, m.x[2]))])
        col_of = {id(m.x[i]): i for i in range(3)}
        if not _is_flat(body):
            return False
        found = _flat_rows([(0, body)], RowCompiler(col_of))
        return found == ([0, 0, 0], [0, 1, 2], [2.0, 1.0, -0.25])
    except Exception:  # any change of the private API means: do not use it
        return False


FAST_PATH = fast_path_ok()


def compile_lp(m: pyo.ConcreteModel, general: bool = False) -> CompiledLP:
    """Compile every active variable, constraint and the objective of `m` into arrays.

    `general=True` (or a Pyomo whose private storage changed) walks every row with Pyomo's
    public walker instead of the fast path; the arrays are the same.
    """
    with PauseGC():  # many short-lived lists; no cycles to collect
        return _compile(m, general or not FAST_PATH)


def _layout_columns(m: pyo.ConcreteModel, layout: Layout,
                    integer: list[int] | None = None) -> list[VarData]:
    """Every variable in declaration order; the columns of integer families into `integer`
    (a family is declared with one domain, so its first variable tells)."""
    variables: list[VarData] = []
    for component in m.component_objects(pyo.Var, descend_into=True):
        keys = list(component.keys())
        layout.columns[component.local_name] = Block(component.local_name, len(variables), keys)
        first = next(iter(component.values()), None)
        if integer is not None and first is not None and first.is_integer():
            integer.extend(range(len(variables), len(variables) + len(keys)))
        variables.extend(component.values())
    return variables


def _layout_rows(m: pyo.ConcreteModel, layout: Layout) -> list[Any]:
    constraints: list[Any] = []
    for component in m.component_objects(pyo.Constraint, active=True, descend_into=True):
        items = [(k, c) for k, c in component.items() if c.active]
        layout.rows[component.local_name] = Block(component.local_name, len(constraints),
                                                  [k for k, _ in items])
        constraints.extend(c for _, c in items)
    return constraints


def _compile(m: pyo.ConcreteModel, general: bool) -> CompiledLP:
    layout = Layout()
    integer: list[int] = []
    variables = _layout_columns(m, layout, integer)
    col_of = {id(v): i for i, v in enumerate(variables)}
    n_cols = len(variables)
    bounds = [v.bounds for v in variables]  # one property call per variable
    col_lower = np.array([_bound(lb, -INF) for lb, _ in bounds], dtype=float)
    col_upper = np.array([_bound(ub, INF) for _, ub in bounds], dtype=float)
    compiler = RowCompiler(col_of)

    constraints = _layout_rows(m, layout)
    bounded = [con.to_bounded_expression(evaluate_bounds=True) for con in constraints]
    row_lower = np.array([_bound(lb, -INF) for lb, _, _ in bounded], dtype=float)
    row_upper = np.array([_bound(ub, INF) for _, _, ub in bounded], dtype=float)
    flat, other = [], []
    for i, (_, body, _) in enumerate(bounded):
        (flat if not general and _is_flat(body) else other).append((i, body))
    found = _flat_rows(flat, compiler) if flat else ([], [], [])
    if found is None:
        other, found = other + flat, ([], [], [])
    row_idx, col_idx, vals = found
    for i, body in other:
        constant, cols, coefs = compiler.terms(body)
        row_idx.extend([i] * len(cols))
        col_idx.extend(cols)
        vals.extend(coefs)
        row_lower[i] -= constant
        row_upper[i] -= constant
    row_of = {id(c): i for i, c in enumerate(constraints)}

    objective = next(m.component_data_objects(pyo.Objective, active=True))
    if objective.sense != pyo.minimize:
        raise ValueError("the planner only minimises")
    found = None if general or not _is_flat(objective.expr) else \
        _flat_rows([(0, objective.expr)], compiler)
    if found is not None:
        offset, obj_cols, obj_coefs = 0.0, found[1], found[2]
    else:
        offset, obj_cols, obj_coefs = compiler.terms(objective.expr)
    cost = np.zeros(n_cols)
    np.add.at(cost, np.asarray(obj_cols, dtype=np.int64), np.asarray(obj_coefs, dtype=float))

    start, index, value = to_csc(np.asarray(row_idx, dtype=np.int64),
                                 np.asarray(col_idx, dtype=np.int64),
                                 np.asarray(vals, dtype=float), n_cols)
    return CompiledLP(variables, constraints, col_of, row_of, layout, cost, offset, col_lower,
                      col_upper, row_lower, row_upper, start, index, value,
                      integer_columns=np.asarray(integer, dtype=np.int64))


def to_csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
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
