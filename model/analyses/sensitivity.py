"""How sure the plan is: prices of demand that hold for one more unit, what one more unit of a
binding capacity is worth, how far a used supplier's price can rise before the plan buys less
from it, and the price at which a supplier left out would enter.

Each number says how it was found:
- `basis`: exact from the optimal basis, without re-solving. A change of right-hand sides or
  bounds moves the basic variables along B^-1 times the change; while none of them leaves its
  bounds (one basis solve and a ratio test) the basis stays optimal and the cost moves at the
  duals' rate, so the duals' figure holds for the whole unit. A supplier the plan leaves out
  has no order column in the basis, so lowering its price lowers each of its reduced costs at
  a known rate and leaves the duals unchanged: it enters when the first one reaches 0.
- `re-solve`: the live model re-solved with the change (the same HiGHS instance, from the last
  basis, as the sweep does), then restored. For a supplier the plan uses, the price enters many
  columns (periods, scenarios) at once; the first rise at which the plan buys less is found by a
  breakpoint search on the optimal cost as a function of the rise (piecewise linear and
  concave: each step intersects two tangent lines, one re-solve per breakpoint passed).
Every basis-based number is computed first (re-solves move the basis); re-solves follow, largest
effects first, within a time budget; what the budget leaves out says so instead of guessing.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.analyses.parallel import Task, Where, forget, run_tasks
from model.domain.tolerances import NOTHING
from model.formulation import BuiltModel
from model.formulation.objective import node_cost_entry, node_cost_rows, objective_coefficient
from model.results.extract import SolutionReader, concentration_binding, concentration_windows
from model.results.tables import PRICES, SENSITIVITY
from model.solver.solve import (
    BASIS_BASIC,
    BASIS_LOWER,
    BASIS_UPPER,
    BASIS_ZERO,
    PlanSolver,
    Solution,
    SolveStatus,
)

TOLERANCE = 1e-7
LOWER, BASIC, UPPER, ZERO = BASIS_LOWER, BASIS_BASIC, BASIS_UPPER, BASIS_ZERO
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class Change:
    """A move of the LP: right-hand sides of `rows` up by `row_shift`, upper bounds of `cols`
    up by `col_shift` and matrix entries (row, column) up by their shift (one unit of the thing
    being priced: a unit of demand or capacity, a point of a limit, a unit of any other limit
    whose rows move)."""

    rows: np.ndarray = field(default_factory=lambda: EMPTY)
    row_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cols: np.ndarray = field(default_factory=lambda: EMPTY)
    col_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    entries: list[tuple[int, int, float]] = field(default_factory=list)  # (row, col, shift)


@dataclass
class Direction:
    """A price change of the LP: objective coefficients and matrix entries that move by `rate`
    per unit of the price."""

    cost_cols: np.ndarray
    cost_rate: np.ndarray
    entries: list[tuple[int, int, float]]  # (row, column, rate)


class LiveModel:
    """The plan's live HiGHS instance at its optimum: exact basis-based answers first, then
    re-solves with temporary changes (restored after each)."""

    def __init__(self, built: BuiltModel, solver: PlanSolver, solution: Solution):
        self.built, self.solver, self.lp = built, solver, solver.lp
        if not solver.is_at(solution.objective):  # another solve moved the instance: come back
            solution = solver.solve()
        self.solution = solution
        self.x, self.y, self.d = solution.col_value, solution.row_dual, solution.col_dual
        self.objective = float(solution.objective)
        self.solves = 0
        self.basis_moved = False
        basic = solver.basic_variables()
        self.ok = basic is not None and solution.has_basis
        if basic is None:
            basic = np.zeros(0, dtype=np.int64)
        cols = basic >= 0
        rows = -basic[~cols] - 1
        activity = solver.row_values()
        lp = self.lp
        # HiGHS's logical of a basic row is minus the row activity, within minus its bounds.
        self.values = np.empty(len(basic))
        self.lower = np.empty(len(basic))
        self.upper = np.empty(len(basic))
        self.values[cols] = self.x[basic[cols]]
        self.lower[cols], self.upper[cols] = lp.col_lower[basic[cols]], lp.col_upper[basic[cols]]
        self.values[~cols] = -activity[rows]
        self.lower[~cols], self.upper[~cols] = -lp.row_upper[rows], -lp.row_lower[rows]
        self.basic_rows = np.zeros(lp.num_rows, dtype=bool)
        self.basic_rows[rows] = True
        self.basic_cols = np.zeros(lp.num_cols, dtype=bool)
        self.basic_cols[basic[cols]] = True
        self.row_position = np.full(lp.num_rows, -1, dtype=np.int64)
        self.row_position[rows] = np.flatnonzero(~cols)
        self.position = np.full(lp.num_cols, -1, dtype=np.int64)
        self.position[basic[cols]] = np.flatnonzero(cols)
        self.col_status, self.row_status = solver.basis_statuses()
        # A nonbasic column fixed by equal bounds may take a dual of either sign.
        self.col_status[lp.col_upper - lp.col_lower <= 1e-12] = BASIC
        self.row_status[lp.row_upper - lp.row_lower <= 1e-12] = BASIC

    def _at_upper(self, cols: np.ndarray) -> np.ndarray:
        """Nonbasic columns that follow their upper bound when it rises. A column fixed at a
        bound of 0 (unmet demand where demand is 0) follows it only when its reduced cost is
        negative; otherwise it stays at its lower bound and the raised bound changes nothing."""
        lp = self.lp
        fixed = lp.col_upper[cols] - lp.col_lower[cols] <= 1e-12
        return (~self.basic_cols[cols]) & np.isfinite(lp.col_upper[cols]) & (
            self.x[cols] >= lp.col_upper[cols] - 1e-9) & (~fixed | (self.d[cols] < 0))

    def rate(self, change: Change) -> float:
        """D objective / d step along the change at this basis: duals times the shifts."""
        total = float(self.y[change.rows] @ change.row_shift) if len(change.rows) else 0.0
        if len(change.cols):
            moving = self._at_upper(change.cols)
            total += float(self.d[change.cols][moving] @ change.col_shift[moving])
        return total

    def steps(self, change: Change) -> float | None:
        """How many steps of the change the optimal basis stays feasible for (so the rate
        holds): one basis solve and a ratio test. None when the basis cannot tell."""
        if not self.ok or self.basis_moved:
            return None
        lp = self.lp
        rhs = np.zeros(lp.num_rows)
        keep = ~self.basic_rows[change.rows]
        np.add.at(rhs, change.rows[keep], change.row_shift[keep])
        if len(change.cols):
            for j, shift in zip(change.cols[self._at_upper(change.cols)].tolist(),
                                change.col_shift[self._at_upper(change.cols)].tolist(),
                                strict=True):
                first, last = lp.start[j], lp.start[j + 1]
                rhs[lp.index[first:last]] -= lp.value[first:last] * shift
        # A basic row's logical (minus the activity) keeps its value while its bounds move by
        # minus the shift: relative to its bounds it moves by +shift a step.
        moving_logicals = np.zeros(len(self.values))
        basic_changed = self.basic_rows[change.rows]
        np.add.at(moving_logicals, self.row_position[change.rows[basic_changed]],
                  change.row_shift[basic_changed])
        if not rhs.any() and not moving_logicals.any():
            return math.inf
        if rhs.any():
            direction = self.solver.basis_solve(rhs)
            if direction is None:
                return None
            direction = direction + moving_logicals
        else:
            direction = moving_logicals
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(direction > 1e-12, (self.upper - self.values) / direction, np.inf)
            down = np.where(direction < -1e-12, (self.lower - self.values) / direction, np.inf)
        return float(max(0.0, min(up.min(initial=np.inf), down.min(initial=np.inf))))

    def coefficient_move(self, row: int, col: int, shift: float) -> float | None:
        """The optimal objective with one matrix entry moved by `shift`, exact from the optimal
        basis when it stays optimal (else None: a re-solve must tell).

        A basic column j (position k) makes B' = B + shift e_row e_k^T; by Sherman-Morrison
        x_B' = x_B - shift x_j w / (1 + shift w_k) with w = B^-1 e_row, and the duals
        y' = y - t z with z = B^-T e_k and t = shift y_row / (1 + shift w_k), so the reduced
        costs of the nonbasic columns move by t (A^T z) (one row of B^-1 A). When every basic
        value stays within its bounds and every reduced cost keeps its sign, the basis is
        still optimal and the objective is f - shift x_j y_row / (1 + shift w_k). A nonbasic
        column j keeps x and y; only its own reduced cost moves, by -shift y_row."""
        if not self.ok or self.basis_moved:
            return None
        lp = self.lp
        y_row = float(self.y[row])
        if not self.basic_cols[col]:
            moved = float(self.d[col]) - shift * y_row
            at_lower = self.x[col] <= lp.col_lower[col] + 1e-9
            fixed = lp.col_upper[col] - lp.col_lower[col] <= 1e-12
            sign_ok = fixed or (moved >= -1e-9 * max(1.0, abs(self.d[col])) if at_lower
                                else moved <= 1e-9 * max(1.0, abs(self.d[col])))
            return self.objective if sign_ok else None
        k = int(self.position[col])
        w = self.solver.basis_inverse_col(row)
        if w is None:
            return None
        pivot = 1.0 + shift * w[k]
        if abs(pivot) <= 1e-9:
            return None
        x_j = float(self.x[col])
        values = self.values - (shift * x_j / pivot) * w
        slack = 1e-9 * np.maximum(1.0, np.abs(self.values))
        if ((values < self.lower - slack) | (values > self.upper + slack)).any():
            return None
        if y_row != 0.0:
            reduced = self.solver.reduced_row(k)
            z = self.solver.basis_inverse_row(k)
            if reduced is None or z is None:
                return None
            t = shift * y_row / pivot
            d = self.d + t * np.asarray(reduced, dtype=float)
            y = self.y - t * np.asarray(z, dtype=float)
            if not (self._signs_hold(d, self.col_status, self.d)
                    and self._signs_hold(y, self.row_status, self.y)):
                return None
        return self.objective - shift * x_j * y_row / pivot

    @staticmethod
    def _signs_hold(duals: np.ndarray, status: np.ndarray, before: np.ndarray) -> bool:
        """Whether nonbasic duals keep the signs optimality asks of them (HiGHS's: >= 0 at a
        lower bound, <= 0 at an upper one, 0 when free; basic ones stay 0 by construction)."""
        slack = 1e-9 * np.maximum(1.0, np.abs(before)) + 1e-9
        low, up = status == LOWER, status == UPPER
        free = status == ZERO
        return not (((duals < -slack) & low).any() or ((duals > slack) & up).any()
                    or ((np.abs(duals) > slack) & free).any())

    def _solve(self, values: bool = True) -> tuple[float, np.ndarray, np.ndarray] | None:
        self.basis_moved = True
        self.solves += 1
        return self.solver.resolve(values)

    def objective_with(self, change: Change, values: bool = False):
        """The optimal objective one step along the change (None without an optimal plan);
        with `values`, (objective, columns, row duals)."""
        lp, solver = self.lp, self.solver
        rows, cols = change.rows, change.cols
        row_lower, row_upper = lp.row_lower[rows].copy(), lp.row_upper[rows].copy()
        col_upper = lp.col_upper[cols].copy()

        def moved(bound: np.ndarray, shift: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(bound), bound + shift, bound)

        base_entries = [(row, col, lp.entry(row, col)) for row, col, _ in change.entries]
        solver.change_row_bounds(rows, moved(row_lower, change.row_shift),
                                 moved(row_upper, change.row_shift))
        solver.change_col_bounds(cols, lp.col_lower[cols], moved(col_upper, change.col_shift))
        solver.change_coefficients([(row, col, value + shift) for (row, col, value), (
            _, _, shift) in zip(base_entries, change.entries, strict=True)])
        try:
            found = self._solve(values=values)
        finally:
            solver.change_row_bounds(rows, row_lower, row_upper)
            solver.change_col_bounds(cols, lp.col_lower[cols], col_upper)
            solver.change_coefficients(base_entries)
        if found is None:
            return None
        return found if values else found[0]

    def along(self, direction: Direction, step: float
              ) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(objective, columns, row duals) with the price moved by `step`."""
        lp, solver = self.lp, self.solver
        base_cost = lp.cost[direction.cost_cols].copy()
        base_entries = [(row, col, lp.entry(row, col)) for row, col, _ in direction.entries]
        solver.change_costs(direction.cost_cols, base_cost + step * direction.cost_rate)
        solver.change_coefficients([(row, col, value + step * rate) for (row, col, value), (
            _, _, rate) in zip(base_entries, direction.entries, strict=True)])
        try:
            return self._solve()
        finally:
            solver.change_costs(direction.cost_cols, base_cost)
            solver.change_coefficients(base_entries)


def price_direction(built: BuiltModel, lp, supplier: str
                    ) -> tuple[Direction, np.ndarray, np.ndarray]:
    """The change of the LP when a supplier's own price in the workbook (its unit_cost, or for
    an indexed supplier its index_constant) rises by 1 in every period: in every scenario the
    unit cost in the planning currency rises by the cost factor times the exchange rate
    (`ModelIndex.price_rate`), which moves the objective coefficients, with CVaR the node-cost
    rows, and the budget rows the order counts in. Returns the direction, the supplier's order
    columns and their nodes' probabilities."""
    ix = built.index
    order = lp.layout.columns["order"]
    node_rows = lp.layout.rows.get("node_cost_definition")
    budget_rows = lp.layout.rows.get("budget")
    row_of_node = {n: i for i, n in enumerate(node_cost_rows(ix))}
    risk_weight = ix.plan.settings.risk_weight
    cols, rates, entries, probability = [], [], [], []
    for i, (r, n) in enumerate(order.keys):
        if ix.plan.routes[r].supplier != supplier:
            continue
        col = order.start + i
        d, p = ix.discount[n], ix.tree.nodes[n].probability
        factor = ix.price_rate[order.keys[i]]
        cols.append(col)
        rates.append(objective_coefficient(risk_weight, p, d) * factor)
        probability.append(p)
        if node_rows is not None:
            entries.append((node_rows.start + row_of_node[n], col, node_cost_entry(d) * factor))
        if budget_rows is not None:  # spend is undiscounted: the entry moves by the factor
            first, last = lp.start[col], lp.start[col + 1]
            for row in lp.index[first:last].tolist():
                if budget_rows.start <= row < budget_rows.stop:
                    entries.append((row, col, factor))
    cols_array = np.asarray(cols, dtype=np.int64)
    return (Direction(cols_array, np.asarray(rates, dtype=float), entries), cols_array,
            np.asarray(probability, dtype=float))


def slope(direction: Direction, x: np.ndarray, y: np.ndarray) -> float:
    """D objective / d price at an optimum (envelope theorem): the objective rate times the
    columns, minus each row dual times the entry rate times its column."""
    total = float(direction.cost_rate @ x[direction.cost_cols]) if direction.cost_cols.size \
        else 0.0
    for row, col, rate in direction.entries:
        total -= y[row] * rate * x[col]
    return total


def first_breakpoint(live: LiveModel, direction: Direction, reach: float
                     ) -> tuple[float | None, str]:
    """The first breakpoint of the optimal objective f(move) of the price moved by `move`
    (signed, from 0 towards `reach`), found from objective values alone so that ties between
    equally good plans cannot change it; (None, why) when f is linear all the way to `reach`.

    f is concave and piecewise linear; its slope at an optimum is known exactly (`slope`: the
    quantity bought, weighted). Intersecting the tangent at 0 with the tangent at the far end
    of the bracket gives the next point c: if f(c) lies on the tangent at 0, c is the first
    breakpoint (f meets both tangents there); otherwise a breakpoint lies before c, which
    becomes the far end. A breakpoint at 0 itself (today's price, where the solver's slope is
    the other side's) ends the search at 0."""
    f0 = live.objective
    s0 = slope(direction, live.x, live.y)
    scale = max(1.0, abs(f0))
    high = live.along(direction, reach)
    if high is None:
        return None, f"no plan at a price moved by {reach:,.2f}"
    f_hi, x_hi, y_hi = high
    if abs(f_hi - (f0 + s0 * reach)) <= 1e-9 * scale:
        return None, ("the value function is linear up to twice its price: the plan buys the "
                      "same even at twice its price" if reach > 0 else
                      "not bought even at a zero price")
    far = (reach, f_hi, slope(direction, x_hi, y_hi))
    for _ in range(60):
        b, fb, sb = far
        if abs(s0 - sb) <= 1e-12 * max(1.0, abs(s0)):
            break
        c = (fb - sb * b - f0) / (s0 - sb)
        if abs(c) <= 1e-9 * max(1.0, abs(reach)):
            return 0.0, "parametric"
        if not 0 < c / b < 1:
            break
        point = live.along(direction, c)
        if point is None:
            return None, f"no plan at a price moved by {c:,.2f}"
        fc, xc, yc = point
        if abs(fc - (f0 + s0 * c)) <= 1e-9 * scale:
            return c, "parametric"
        far = (c, fc, slope(direction, xc, yc))
    return far[0], "parametric (stopped: the bracket no longer shrinks)"


def side_check(live: LiveModel, direction: Direction, move: float) -> bool:
    """A re-solve just past a breakpoint: there the objective lies below today's tangent (the
    slope, the quantity bought, has changed). Just before it, it lies on the tangent: f is
    concave and meets the tangent at the breakpoint itself, so it does on the whole way."""
    f0 = live.objective
    s0 = slope(direction, live.x, live.y)
    scale = max(1.0, abs(f0))
    step = 1e-3 * max(1.0, abs(move)) * (1 if move >= 0 else -1)
    past = live.along(direction, move + step)
    return past is not None and past[0] < f0 + s0 * (move + step) - 1e-12 * scale


@dataclass
class Item:
    """One row of the Sensitivity sheet or one Prices cell: what its first record says, the
    exact check from the basis (phase 1, before any re-solve) and the re-solve that settles
    what the check leaves open (phase 2); either may be left out by the time budget."""

    priority: float
    record: dict
    check: object = None   # callable(record) -> True when a re-solve is still needed
    settle: object = None  # callable(record)
    kind: str = "price"    # what the Run sheet counts it as when the budget leaves it out


UNCHECKED_KINDS = ("limit points", "window points", "prices", "capacities",
                   "supplier prices", "stockpiles")


class _Settle(Task):
    """The re-solves of the insight's open items, in workers forked from the process that
    holds the live model (they inherit it, solve, restore, and send the records back)."""

    key = "insight settle"

    def setup(self):
        """Never called: the state (live model, items, deadline) is inherited by fork."""
        raise RuntimeError("the insight's re-solves run only in forked workers")

    def run(self, state, index: int):
        """(record, re-solves, seconds) of one item, or None past the deadline."""
        live, items, deadline = state
        now = time.perf_counter()
        if now > deadline:
            return None
        item = items[index]
        before = live.solves
        item.settle(item.record)
        count, live.solves = live.solves - before, before  # the caller counts them
        return item.record, count, time.perf_counter() - now


def _settle_all(live: LiveModel, items: list[Item], deadline: float, where: Where | None
                ) -> list[tuple[dict, int, float] | None]:
    """Settle the open items before the deadline, on every core where the live model can be
    inherited (fork), else here; an item the deadline leaves out is None."""
    state = (live, items, deadline)
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if not can_fork or (where is not None and where.scheduler) or len(items) < 2:
        return [_Settle().run(state, i) for i in range(len(items))]
    # A re-solve takes a few per cent of the first solve; small batches stay here.
    per_item = max(0.005, 0.02 * (live.solution.seconds or 0.0))
    try:
        return run_tasks(_Settle(), list(range(len(items))), Where(
            where.workers if where is not None else None), state=state,
            label="insight re-solves", item_seconds=per_item)
    finally:
        forget(_Settle.key)


def not_checked(prices: pd.DataFrame, reason: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """What `insight` returns when it is left out (the run's time budget had no room): the
    prices as the duals give them, with `reason` as their note, and a Sensitivity table of one
    note."""
    table = prices.assign(method="dual (not checked)", note=reason)
    words = {"kind": "note", "name": "-", "commodity": "-", "unit": "", "method": "-",
             "finding": f"no sensitivity: {reason}"}
    note = SENSITIVITY.frame([tuple(words.get(name) for name in SENSITIVITY.names)])
    return table[PRICES.names], note, {"solves": 0, "seconds": 0.0}


def insight(built: BuiltModel, solver: PlanSolver, solution: Solution, prices: pd.DataFrame,
            budget_seconds: float, concentration: pd.DataFrame | None = None,
            where: Where | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(Prices table with their ranges, Sensitivity table, figures about the work done: the
    solves, the seconds, what the budget left unchecked by kind, and with `concentration`
    the Concentration table with its whole points filled in and one row per limit).

    Phase 1 (exact checks from the basis) may use half the budget, phase 2 (re-solves) the
    rest; both go through the items largest effect first (the limits' points first of all)."""
    started = time.perf_counter()
    if solution.row_dual is None or not solution.has_basis:
        reason = ("from the interior point method: no basis, so no range is known"
                  if solution.row_dual is not None else "the solver returned no duals")
        table = prices.assign(method="dual (no basis)", note=reason)
        if solution.row_dual is None:
            table = table.assign(marginal_cost=np.nan)
        note = SENSITIVITY.frame([tuple({"kind": "note", "name": "-", "commodity": "-",
                                         "finding": f"no sensitivity: {reason}",
                                         "method": "-"}.get(c) for c in SENSITIVITY.names)])
        return table[PRICES.names], note, {"solves": 0, "seconds": 0.0}
    live = LiveModel(built, solver, solution)
    price_items = _price_items(live, prices)
    capacity_items = _capacity_items(live)
    supplier_items = _supplier_items(live)
    stockpile_items = _stockpile_items(live)
    limit_items, window_items, limits = ([], [], None) if concentration is None else \
        _limit_items(live)
    items = sorted(limit_items + [i for i in window_items if i is not None] + capacity_items
                   + supplier_items + stockpile_items + price_items, key=lambda i: i.priority)
    left_out = dict.fromkeys(UNCHECKED_KINDS, 0)
    spent = dict.fromkeys(UNCHECKED_KINDS, 0.0)  # seconds by kind, for bench/insight.py
    solves = dict.fromkeys(UNCHECKED_KINDS, 0)
    open_items = []
    for item in items:
        if item.check is None:
            continue
        now = time.perf_counter()
        if now - started > budget_seconds / 2:
            left_out[item.kind] += 1
            continue
        if item.check(item.record):
            open_items.append(item)
        spent[item.kind] += time.perf_counter() - now
    deadline = started + budget_seconds
    settled = _settle_all(live, open_items, deadline, where)
    for item, found in zip(open_items, settled, strict=True):
        if found is None:
            left_out[item.kind] += 1
            continue
        record, count, seconds = found
        item.record.update(record)
        live.solves += count
        spent[item.kind] += seconds
        solves[item.kind] += count
    table = prices.copy()
    for column in ("one_more_unit", "holds_up_to", "method", "note"):
        table[column] = [item.record[column] for item in price_items]
    rows = [item.record for item in capacity_items + supplier_items + stockpile_items]
    sensitivity = ordered(SENSITIVITY.frame([tuple(r.get(c) for c in SENSITIVITY.names)
                                             for r in rows]))
    info = {"solves": live.solves, "seconds": time.perf_counter() - started,
            "unchecked": left_out, "left_for_budget": sum(left_out.values()),
            "seconds_by_kind": spent, "solves_by_kind": solves,
            "items_by_kind": {kind: sum(1 for i in items if i.kind == kind)
                              for kind in UNCHECKED_KINDS}}
    if concentration is not None:
        info["concentration"] = _window_columns(concentration, live, window_items)
        info["limits"] = _limit_table(limits, limit_items, concentration)
    return table[PRICES.names], sensitivity, info


POINT = 0.01  # one point of a share
RATE_STEP = 1e-4  # a small step, in points, for a one-sided rate (1e-6 of the share)


def point_change(live: LiveModel, rows: list[int], tighter: bool) -> Change | None:
    """The concentration rows (positions in the index) one point tighter (a cap 0.01 lower, a
    floor 0.01 higher) or looser: the share is the coefficient -m of the scope's supply in
    `has - m * supply <= 0` (>= 0 for a floor), so a cap 0.01 lower adds 0.01 to it. None when
    the edit leaves [0, 1] (a cap of 0% cannot be tightened, nor one of 100% loosened)."""
    ix, lp = live.built.index, live.lp
    first_row = lp.layout.rows["concentration"].start
    first_col = lp.layout.columns["scope_supply"].start
    entries = []
    for i in rows:
        row = ix.concentration[i]
        limit = ix.plan.limits[row.limit]
        share = limit.max_share if row.bound == "max" else limit.min_share
        towards_zero = tighter == (row.bound == "max")
        moved = share - POINT if towards_zero else share + POINT
        if moved < -1e-12 or moved > 1 + 1e-12:
            return None
        entries.append((first_row + i, first_col + row.scope,
                        POINT if towards_zero else -POINT))
    return Change(entries=entries)


def _point_item(live: LiveModel, rows: list[int], priority: float, kind: str) -> Item:
    """A point tighter and a point looser: `cost` = f(tighter) - f, `saving` = f - f(looser).
    A window of one row is first tried exactly from the optimal basis (`coefficient_move`);
    what the basis cannot tell is re-solved (from the last basis: the optimum does not depend
    on where the simplex starts); blanks say why."""
    record: dict = {"cost": None, "saving": None, "rate_tighter": None, "rate_looser": None,
                    "method": "not re-solved within the time budget"}
    found: dict[bool, tuple[float | None, str]] = {}  # tighter -> (objective, how)
    rates: dict[bool, float | None] = {}  # tighter -> one-sided rate per point

    def rate_at(change: Change, x: np.ndarray, y: np.ndarray, tighter: bool) -> float:
        # f moves by -shift * x_j * y_i per entry (the envelope theorem): the cost of a point
        # tighter, or the saving of a point looser, at this rate.
        move = sum(-shift * x[col] * y[row] for row, col, shift in change.entries)
        return float(move if tighter else -move)

    def finish(record: dict) -> None:
        for tighter, (value, _how) in found.items():
            if value is not None:
                record["cost" if tighter else "saving"] = (
                    value - live.objective if tighter else live.objective - value)
        hows = [how for _value, how in found.values()]
        record["method"] = "; ".join(dict.fromkeys(hows))
        record["rate_tighter"], record["rate_looser"] = rates.get(True), rates.get(False)

    def check(record: dict) -> bool:
        for tighter in (True, False):
            change = point_change(live, rows, tighter)
            if change is None:
                found[tighter] = (None, "a share of 0% cannot be tightened" if tighter == (
                    live.built.index.concentration[rows[0]].bound == "max")
                    else "a share of 100% cannot be loosened")
                rates[tighter] = None
                continue
            if len(change.entries) == 1:
                row, col, shift = change.entries[0]
                value = live.coefficient_move(row, col, shift)
                if value is not None:
                    found[tighter] = (value, "basis (exact: the optimal basis holds for the "
                                             "whole point)")
                # The dual's rate holds on this side when the basis stays optimal for a
                # small step of the point (else the dual is not unique: re-solved below).
                if value is not None or live.coefficient_move(
                        row, col, shift * RATE_STEP) is not None:
                    rates[tighter] = rate_at(change, live.x, live.y, tighter)
        finish(record)
        if len(found) < 2 or len(rates) < 2:
            record["method"] = "not re-solved within the time budget"
            return True
        return False

    def settle(record: dict) -> None:
        for tighter in (True, False):
            change = point_change(live, rows, tighter)
            if tighter not in found:
                value = live.objective_with(change)
                found[tighter] = (value, "re-solve (share moved by 0.01)" if value is not None
                                  else "no plan meets the limit a point tighter" if tighter
                                  else "no plan at a point looser")
            if tighter not in rates:
                # The one-sided rate: the envelope slope at the optimum a small step along
                # (the value function is piecewise linear, so it is the slope on that side).
                small = Change(entries=[(r, c, shift * RATE_STEP)
                                        for r, c, shift in change.entries])
                at = live.objective_with(small, values=True)
                rates[tighter] = None if at is None else rate_at(change, at[1], at[2], tighter)
        finish(record)

    return Item(priority, record, check, settle, kind)


def _limit_items(live: LiveModel) -> tuple[list[Item], list[Item | None], list[str]]:
    """One item per limit that binds somewhere (its binding bounds moved in every window, as
    editing max_share or min_share does) and one per binding window (that window's rows
    alone); a window that does not bind gets None (left blank, with that reason)."""
    ix = live.built.index
    flags = concentration_binding(SolutionReader(live.built, live.lp, live.solution))
    duals = live.y[live.lp.layout.rows["concentration"].start:][:len(ix.concentration)] \
        if len(ix.concentration) else np.zeros(0)
    scale = max(1.0, abs(live.objective))
    window_items: list[Item | None] = []
    for _key, rows in concentration_windows(ix):
        binding = [i for i in rows if flags[i]]
        if not binding:
            window_items.append(None)
            continue
        weight = float(np.abs(duals[binding]).sum()) if duals.size else 0.0
        window_items.append(_point_item(live, binding, 0.5 - weight / scale, "window points"))
    limits: dict[str, set[str]] = {}
    for i, row in enumerate(ix.concentration):
        if flags[i]:
            limits.setdefault(row.limit, set()).add(row.bound)
    names = list(limits)
    limit_items = [_point_item(live, [i for i, row in enumerate(ix.concentration)
                                      if row.limit == name and row.bound in limits[name]],
                               -1e30, "limit points") for name in names]
    return limit_items, window_items, names


def _window_columns(concentration: pd.DataFrame, live: LiveModel,
                    window_items: list[Item | None]) -> pd.DataFrame:
    """The Concentration table with each window's whole points on its scenario rows."""
    ix = live.built.index
    cost, saving, tighter, looser, method = [], [], [], [], []
    for (_key, rows), item in zip(concentration_windows(ix), window_items, strict=True):
        shared = len(ix.concentration[rows[0]].scenarios)
        record = item.record if item is not None else {
            "cost": None, "saving": None, "rate_tighter": None, "rate_looser": None,
            "method": "not binding in this window: not re-solved"}
        cost += [record["cost"]] * shared
        saving += [record["saving"]] * shared
        tighter += [record["rate_tighter"]] * shared
        looser += [record["rate_looser"]] * shared
        method += [record["method"]] * shared
    return concentration.assign(cost_of_one_more_point=cost, saving_of_one_point_less=saving,
                                rate_of_one_more_point=tighter,
                                rate_of_one_point_less=looser, point_method=method)


def _limit_table(names: list[str], items: list[Item], concentration: pd.DataFrame
                 ) -> pd.DataFrame:
    """One row per limit that binds: the rate (the windows' rates summed) and its whole
    points, most costly first."""
    rates = concentration.groupby("limit", sort=False)["marginal_cost_per_point"].sum()
    table = pd.DataFrame({
        "limit": names, "rate": [float(rates.get(name, 0.0)) for name in names],
        "cost_of_one_more_point": [item.record["cost"] for item in items],
        "saving_of_one_point_less": [item.record["saving"] for item in items],
        "method": [item.record["method"] for item in items]})
    key = table["cost_of_one_more_point"].astype(float).fillna(table["rate"])
    return table.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)


def _price_items(live: LiveModel, prices: pd.DataFrame) -> list[Item]:
    """Prices: one more unit of demand in every scenario of the period (the balance rows of
    the period's nodes up by 1, and the unmet-demand bounds with them). `marginal_cost` stays
    the duals' sum; `one_more_unit` is what one more unit costs, where it is known."""
    ix, lp = live.built.index, live.lp
    rows = lp.layout.rows["stock_balance"]
    unmet = lp.layout.columns["unmet"]
    calendar = ix.plan.settings.calendar
    period_of = {calendar.label(t): t for t in range(1, calendar.periods + 1)}
    by_period: dict[int, list[int]] = {}
    for node in ix.tree.nodes:
        by_period.setdefault(node.t, []).append(node.id)
    items = []
    for row in prices.itertuples(index=False):
        t = period_of[row.period]
        at = ix.stock_positions((row.commodity, row.region), by_period[t])
        ones = np.ones(len(at))
        change = Change(rows.start + at, ones, unmet.start + at, ones)
        dual = row.marginal_cost
        record = {"one_more_unit": None, "holds_up_to": None,
                  "method": "dual (not checked within the time budget)",
                  "note": "the rate of a small change; whether it holds for one more unit was "
                          "not checked within the time budget"}

        def check(record: dict, change: Change = change, dual: float = dual) -> bool:
            steps, rate = live.steps(change), live.rate(change)
            record["holds_up_to"] = steps
            if steps is not None and steps >= 1.0:
                record.update(one_more_unit=rate, method="dual (the basis holds)", note="")
                if abs(rate - dual) > 1e-9 * max(1.0, abs(dual)):
                    record["note"] = ("the extra unit goes unmet, at the shortage penalty "
                                      "(cheaper than supplying it; exact from the basis)")
                return False
            record.update(method="dual only", note=(
                f"the dual holds only up to {steps or 0:,.3g} more units (a degenerate point); "
                "one more unit was not re-solved within the time budget"))
            return True

        def settle(record: dict, change: Change = change, dual: float = dual) -> None:
            value = live.objective_with(change)
            if value is None:
                return
            one_unit = value - live.objective
            record.update(one_more_unit=one_unit, method="re-solve (one more unit)", note="")
            held = record["holds_up_to"] or 0
            record["note"] = (
                f"re-solved: one more unit costs {one_unit:,.6g}; the dual's rate "
                f"{dual:,.6g} holds only up to {held:,.3g} more units (a degenerate point)"
                if abs(one_unit - dual) > 1e-6 * max(1.0, abs(dual)) else
                f"re-solved: one more unit costs the dual's rate (the basis changes after "
                f"{held:,.3g} units, the cost does not)")

        demand = sum(ix.demand[(row.commodity, row.region, n)] for n in by_period[t])
        items.append(Item(2 + t / 1e4 - (1 if demand > 0 else 0), record, check, settle,
                          "prices"))
    return items


def _capacity_items(live: LiveModel) -> list[Item]:
    """Binding supplier and route capacities: one more unit per period (supplier rows' right-
    hand sides up by a, route columns' upper bounds up by b, in every period and scenario)."""
    ix, lp = live.built.index, live.lp
    plan = ix.plan
    money = plan.settings.currency
    changes = []
    rows = lp.layout.rows.get("supplier_capacity")
    order = lp.layout.columns["order"]
    order_col = {key: order.start + i for i, key in enumerate(order.keys)}
    if rows is not None:
        grouped: dict[str, list[tuple[int, float]]] = {}
        for i, (s, n) in enumerate(rows.keys):
            # One more unit only where the supplier can sell: inside its availability window
            # and with a route open to take the order (a workbook's capacity cell does not
            # create capacity outside the window).
            open_route = any(lp.col_upper[order_col[key]] > 0
                             for key in ix.orders_of_supplier.get((s, n), []))
            if plan.suppliers[s].available(ix.t(n)) and open_route:
                grouped.setdefault(s, []).append((rows.start + i, ix.supply_factor[(s, n)]))
        for s, entries in grouped.items():
            change = Change(np.array([r for r, _ in entries], dtype=np.int64),
                            np.array([a for _, a in entries]))
            supplier = plan.suppliers[s]
            changes.append(("supplier capacity", s, supplier.commodity,
                            max(supplier.capacity_per_period), change))
    grouped = {}
    for i, (r, _n) in enumerate(order.keys):
        route, col = plan.routes[r], order.start + i
        if route.capacity is not None and 0 < lp.col_upper[col] < math.inf:
            grouped.setdefault(r, []).append((col, lp.col_upper[col] / route.capacity))
    for r, entries in grouped.items():
        change = Change(cols=np.array([c for c, _ in entries], dtype=np.int64),
                        col_shift=np.array([b for _, b in entries]))
        changes.append(("route capacity", r, plan.commodity_of(plan.routes[r]),
                        plan.routes[r].capacity, change))
    items = []
    for kind, name, commodity, largest_capacity, change in changes:
        rate = live.rate(change)
        if abs(rate) <= TOLERANCE * max(1.0, abs(live.objective)) * 1e-3:
            continue
        unit = plan.commodities[commodity].unit
        record = {"kind": kind, "name": name, "commodity": commodity,
                  "largest_capacity": largest_capacity,
                  "unit": unit}

        def finish(record: dict, worth: float, method: str, unit: str = unit) -> None:
            text = (f"one more {unit} per period saves {worth:,.0f} {money}" if worth >= 0 else
                    f"one more {unit} per period costs {-worth:,.0f} {money}")
            record.update(finding=text, saving_per_unit_of_capacity=worth, method=method)

        finish(record, -rate, "dual (the rate of a small change; not checked for a whole "
                              "unit within the time budget)")

        def check(record: dict, change: Change = change, rate: float = rate,
                  finish=finish) -> bool:
            steps = live.steps(change)
            if steps is not None and steps >= 1.0:
                finish(record, -rate, "dual (the basis holds)")
                return False
            finish(record, -rate, "dual only (the basis changes within one unit; not "
                                  "re-solved within the time budget)")
            return True

        def settle(record: dict, change: Change = change, finish=finish) -> None:
            value = live.objective_with(change)
            if value is not None:
                finish(record, live.objective - value, "re-solve (+1 unit per period)")

        items.append(Item(-abs(rate), record, check, settle, "capacities"))
    return items


def _supplier_items(live: LiveModel) -> list[Item]:
    """Suppliers the plan uses (how far the price can rise before it buys less) and those it
    leaves out (the price at which each would enter)."""
    ix, lp = live.built.index, live.lp
    plan = ix.plan
    money = plan.settings.currency
    items = []
    for name, supplier in plan.suppliers.items():
        direction, cols, probability = price_direction(live.built, lp, name)
        if not cols.size:
            continue
        price = float(np.mean(supplier.unit_cost_per_period))
        if supplier.price_index is not None or supplier.currency is not None:
            # Indexed or in another currency (docs/model.md 15.4): the mean of its unit costs
            # in the planning currency over the plan's periods and scenarios.
            price = float(np.mean([ix.unit_cost[key] for key in ix.order_keys
                                   if plan.routes[key[0]].supplier == name]))
        unit = f"{money}/{plan.commodities[supplier.commodity].unit}"
        spend = float(lp.cost[cols] @ live.x[cols])
        used = float(probability @ live.x[cols]) > TOLERANCE
        record = {"kind": "price of a supplier used" if used else
                  "price of a supplier left out", "name": name,
                  "commodity": supplier.commodity, "price": price,
                  "unit": plan.commodities[supplier.commodity].unit,
                  "spend_in_objective": spend if used else None}
        record.update(finding="not searched within the time budget", method="-")

        def settle(record: dict, direction: Direction = direction, price: float = price,
                   unit: str = unit, used: bool = used, supplier=supplier) -> None:
            budget_rows = lp.layout.rows.get("budget")
            if budget_rows is not None and any(budget_rows.start <= row < budget_rows.stop
                                               for row, _, _ in direction.entries):
                record.update(finding="not searched: its price also counts against a budget, "
                                      "so the plan's cost is not piecewise linear in it and "
                                      "no breakpoint search holds; re-plan with the price "
                                      "edited", method="-")
                return
            reach = max(price, 1.0) if used else -price
            move, how = first_breakpoint(live, direction, reach)
            if move is None:
                record.update(finding=how, method="re-solve")
                return
            checked = side_check(live, direction, move)
            method = how + ("; checked by a re-solve past it" if checked else
                            "; the re-solve past it did not confirm it")
            if not checked and abs(move) > TOLERANCE:  # blank: no re-solve stands behind it
                record.update(finding="no break-even found that a re-solve confirms (the "
                                      "optimal cost is not linear in this price, e.g. where "
                                      "the price also counts against a budget)", method=method)
                return
            own = supplier.currency or money
            if supplier.price_index is not None or own != money:
                # The move is in the supplier's own price (its unit_cost, or the constant of
                # its index formula) in its own currency; the price column is the mean cost in
                # the planning currency, so no single planning-currency point exists.
                what = "the constant of its price formula" if supplier.price_index else \
                    "its unit cost"
                record.update(finding=(f"the plan buys less from it if {what} rises by more "
                                       f"than {move:,.2f} {own}" if used else
                                       f"enters if {what} falls by more than {-move:,.2f} "
                                       f"{own}"), method=method)
                return
            if used:
                record.update(finding=f"the plan buys less from it above {price + move:,.2f} "
                                      f"{unit} (+{move:,.2f})", break_even=price + move,
                              method=method)
            else:
                record.update(finding=f"enters if its price falls by {-move:,.2f} (below "
                                      f"{price + move:,.2f} {unit})", entry_price=price + move,
                              price_fall_to_enter=-move, method=method)

        items.append(Item(1 - spend / max(1.0, abs(live.objective)), record,
                          lambda record: True, settle, "supplier prices"))
    return items


def _plan_figures(live: LiveModel, x: np.ndarray) -> tuple[float, np.ndarray]:
    """(expected cost, expected shortfall per commodity in the plan's commodity order) of the
    columns x, from the same cost terms as the plan's own results."""
    ix = live.built.index
    solution = Solution(SolveStatus.OPTIMAL, None, 0.0, x)
    solved = SolutionReader(live.built, live.lp, solution)
    p = np.asarray(ix.tree.probabilities, dtype=float)
    expected = float(solved.scenario_parts().sum(axis=1) @ p)
    unmet = ix.per_pair(solved.values("unmet"))
    paths = np.asarray(ix.tree.node_of, dtype=np.int64)
    by_pair = unmet[:, paths].sum(axis=2) @ p  # (pair,)
    return expected, ix.pairs.by_commodity(by_pair, list(ix.plan.commodities))


def _stockpile_items(live: LiveModel) -> list[Item]:
    """The insurance value of each stockpile: the plan re-solved with that stockpile unable to
    hold more than its initial stock (its stock columns' upper bounds at the initial stock) and
    without its target and end stock (those rows' lower bounds at 0); the change of the
    objective, of the expected cost and of each commodity's expected shortfall."""
    ix, lp = live.built.index, live.lp
    plan = ix.plan
    if not plan.stockpiles:
        return []
    money = plan.settings.currency
    stock = lp.layout.columns["stock"]
    rows = {family: lp.layout.rows.get(family) for family in ("stock_target", "end_stock")}
    base = None
    items = []
    for (k, g), pile in plan.stockpiles.items():
        cols = np.array([stock.start + i for i, key in enumerate(stock.keys)
                         if key[0] == k and key[1] == g], dtype=np.int64)
        if not cols.size:
            continue
        freed = np.array([block.start + i for block in rows.values() if block is not None
                          for i, key in enumerate(block.keys) if key[0] == k and key[1] == g],
                         dtype=np.int64)
        unit = plan.commodities[k].unit
        record = {"kind": "insurance value of a stockpile", "name": f"{k} in {g}",
                  "commodity": k, "unit": unit,
                  "finding": "not re-solved within the time budget", "method": "-"}

        def settle(record: dict, cols: np.ndarray = cols, freed: np.ndarray = freed,
                   pile=pile, k: str = k, unit: str = unit) -> None:
            nonlocal base
            if base is None:
                base = _plan_figures(live, live.x)
            solver = live.solver
            upper = lp.col_upper[cols].copy()
            lower_rows, upper_rows = lp.row_lower[freed].copy(), lp.row_upper[freed].copy()
            solver.change_col_bounds(cols, lp.col_lower[cols],
                                     np.minimum(upper, pile.initial_stock))
            solver.change_row_bounds(freed, np.minimum(lower_rows, 0.0), upper_rows)
            try:
                found = live._solve()
            finally:
                solver.change_col_bounds(cols, lp.col_lower[cols], upper)
                solver.change_row_bounds(freed, lower_rows, upper_rows)
            if found is None:
                record.update(finding="no plan without this stockpile's room to grow",
                              method="re-solve")
                return
            objective, x, _ = found
            expected, shortfall = _plan_figures(live, x)
            change = shortfall - base[1]
            mine = list(plan.commodities).index(k)
            others = "; ".join(f"{name} {value:+,.3f} {plan.commodities[name].unit}"
                               for name, value in zip(plan.commodities, change.tolist(),
                                                      strict=True)
                               if name != k and abs(value) > NOTHING)
            record.update(
                insurance_value=objective - live.objective,
                expected_cost_change=expected - base[0], shortfall_change=float(change[mine]),
                finding=("without room beyond its initial stock (and without its target and "
                         "end stock) the objective "
                         + (f"rises by {objective - live.objective:,.0f} {money}"
                            if objective >= live.objective else
                            f"falls by {live.objective - objective:,.0f} {money} (its target "
                            "and end stock cost more than its room insures)")
                         + f"; expected shortfall of {k} {change[mine]:+,.3f} {unit}"
                         + (f" (others: {others})" if others else "")),
                method="re-solve (capacity = initial stock; target and end stock removed)")

        items.append(Item(0.9, record, lambda record: True, settle, "stockpiles"))
    return items


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity rows in reading order: binding capacities by their saving, used suppliers
    by spend, suppliers left out by the price fall they need."""
    rank = table["kind"].map({"supplier capacity": 0, "route capacity": 1,
                              "insurance value of a stockpile": 2,
                              "price of a supplier used": 3,
                              "price of a supplier left out": 4}).fillna(5)
    size = np.where(table["kind"] == "price of a supplier left out",
                    table["price_fall_to_enter"].astype(float).fillna(np.inf),
                    -table["saving_per_unit_of_capacity"].astype(float).fillna(
                        table["spend_in_objective"].astype(float)).fillna(
                        table["insurance_value"].astype(float)).abs().fillna(0.0))
    return table.iloc[np.lexsort((size, rank))].reset_index(drop=True)
