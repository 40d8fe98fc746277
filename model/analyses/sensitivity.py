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
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.formulation import BuiltModel
from model.formulation.objective import node_cost_entry, node_cost_rows, objective_coefficient
from model.results.tables import PRICES, SENSITIVITY
from model.solver.solve import PlanSolver, Solution

TOLERANCE = 1e-7
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class Change:
    """A move of the LP's bounds: right-hand sides of `rows` up by `row_shift`, upper bounds
    of `cols` up by `col_shift` (one unit of the thing being priced)."""

    rows: np.ndarray = field(default_factory=lambda: EMPTY)
    row_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cols: np.ndarray = field(default_factory=lambda: EMPTY)
    col_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))


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

    def _at_upper(self, cols: np.ndarray) -> np.ndarray:
        lp = self.lp
        return (~self.basic_cols[cols]) & np.isfinite(lp.col_upper[cols]) & (
            self.x[cols] >= lp.col_upper[cols] - 1e-9)

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
        if not rhs.any():
            return math.inf
        direction = self.solver.basis_solve(rhs)
        if direction is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(direction > 1e-12, (self.upper - self.values) / direction, np.inf)
            down = np.where(direction < -1e-12, (self.lower - self.values) / direction, np.inf)
        return float(max(0.0, min(up.min(initial=np.inf), down.min(initial=np.inf))))

    def _solve(self, values: bool = True) -> tuple[float, np.ndarray, np.ndarray] | None:
        self.basis_moved = True
        self.solves += 1
        return self.solver.resolve(values)

    def objective_with(self, change: Change) -> float | None:
        """The optimal objective one step along the change (None without an optimal plan)."""
        lp, solver = self.lp, self.solver
        rows, cols = change.rows, change.cols
        row_lower, row_upper = lp.row_lower[rows].copy(), lp.row_upper[rows].copy()
        col_upper = lp.col_upper[cols].copy()

        def moved(bound: np.ndarray, shift: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(bound), bound + shift, bound)

        solver.change_row_bounds(rows, moved(row_lower, change.row_shift),
                                 moved(row_upper, change.row_shift))
        solver.change_col_bounds(cols, lp.col_lower[cols], moved(col_upper, change.col_shift))
        try:
            found = self._solve(values=False)
        finally:
            solver.change_row_bounds(rows, row_lower, row_upper)
            solver.change_col_bounds(cols, lp.col_lower[cols], col_upper)
        return None if found is None else found[0]

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
    """The change of the LP when a supplier's unit cost rises by 1 in every period and
    scenario (objective coefficients, and with CVaR the node-cost rows); its order columns and
    their nodes' probabilities."""
    ix = built.index
    order = lp.layout.columns["order"]
    node_rows = lp.layout.rows.get("node_cost_definition")
    row_of_node = {n: i for i, n in enumerate(node_cost_rows(ix))}
    risk_weight = ix.plan.settings.risk_weight
    cols, rates, entries, probability = [], [], [], []
    for i, (r, n) in enumerate(order.keys):
        if ix.plan.routes[r].supplier != supplier:
            continue
        col = order.start + i
        d, p = ix.discount[n], ix.tree.nodes[n].probability
        cols.append(col)
        rates.append(objective_coefficient(risk_weight, p, d))
        probability.append(p)
        if node_rows is not None:
            entries.append((node_rows.start + row_of_node[n], col, node_cost_entry(d)))
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


def first_breakpoint(live: LiveModel, direction: Direction, cols: np.ndarray,
                     probability: np.ndarray, reach: float) -> tuple[float | None, str]:
    """The price move (signed, towards `reach`) at which the expected quantity bought first
    changes; (None, why) when it does not change within reach."""
    f0, x0, y0 = live.objective, live.x, live.y
    q0 = float(probability @ x0[cols])
    high = live.along(direction, reach)
    if high is None:
        return None, f"no plan at a price moved by {reach:,.0f}"
    f_hi, x_hi, y_hi = high
    if abs(float(probability @ x_hi[cols]) - q0) <= TOLERANCE * max(1.0, q0):
        return None, ("bought in full even at twice its price" if reach > 0 else
                      "not bought even at a zero price")
    near = (0.0, f0, slope(direction, x0, y0))
    far = (reach, f_hi, slope(direction, x_hi, y_hi))
    for _ in range(40):
        (a, fa, sa), (b, fb, sb) = near, far
        if abs(sa - sb) <= TOLERANCE * max(1.0, abs(sa)):
            break
        c = (fb - sb * b - (fa - sa * a)) / (sa - sb)
        if not min(a, b) < c < max(a, b):
            break
        point = live.along(direction, c)
        if point is None:
            far = (c, fb, sb)
            continue
        fc, xc, yc = point
        if abs(fc - (fa + sa * (c - a))) <= TOLERANCE * max(1.0, abs(fc)):
            return c, "re-solve"
        if abs(float(probability @ xc[cols]) - q0) <= TOLERANCE * max(1.0, q0):
            near = (c, fc, slope(direction, xc, yc))
        else:
            far = (c, fc, slope(direction, xc, yc))
    return far[0], "re-solve"


def entry_price_drop(live: LiveModel, direction: Direction) -> float | None:
    """For a supplier with no order column in the basis: the price fall at which its first
    column's reduced cost reaches 0 (None if none of them can ever enter)."""
    rate = direction.cost_rate.copy()
    index = {col: i for i, col in enumerate(direction.cost_cols.tolist())}
    for row, col, r in direction.entries:
        rate[index[col]] -= live.y[row] * r
    open_cols = live.lp.col_upper[direction.cost_cols] > 0
    candidates = [live.d[col] / w for col, w, ok in zip(
        direction.cost_cols.tolist(), rate.tolist(), open_cols.tolist(), strict=True)
        if ok and w > TOLERANCE]
    return max(0.0, min(candidates)) if candidates else None


@dataclass
class Item:
    """One row of the Sensitivity sheet or one Prices cell: what its first record says, the
    exact check from the basis (phase 1, before any re-solve) and the re-solve that settles
    what the check leaves open (phase 2); either may be left out by the time budget."""

    priority: float
    record: dict
    check: object = None   # callable(record) -> True when a re-solve is still needed
    settle: object = None  # callable(record)


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
            budget_seconds: float) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(Prices table with their ranges, Sensitivity table, figures about the work done).

    Phase 1 (exact checks from the basis) may use half the budget, phase 2 (re-solves) the
    rest; both go through the items largest effect first."""
    started = time.perf_counter()
    if solution.row_dual is None or not solution.has_basis:
        reason = ("from the interior point method: no basis, so no range is known"
                  if solution.row_dual is not None else "the solver returned no duals")
        table = prices.assign(method="dual (no basis)", note=reason)
        if solution.row_dual is None:
            table = table.assign(marginal_cost=np.nan)
        note = SENSITIVITY.frame([("note", "-", "-", f"no sensitivity: {reason}", None, None,
                                   None, "", None, "-")])
        return table[PRICES.names], note, {"solves": 0, "seconds": 0.0}
    live = LiveModel(built, solver, solution)
    price_items = _price_items(live, prices)
    capacity_items = _capacity_items(live)
    supplier_items = _supplier_items(live)
    items = sorted(capacity_items + supplier_items + price_items, key=lambda i: i.priority)
    unchecked = unsettled = 0
    open_items = []
    for item in items:
        if item.check is None:
            continue
        if time.perf_counter() - started > budget_seconds / 2:
            unchecked += 1
            continue
        if item.check(item.record):
            open_items.append(item)
    for item in open_items:
        if time.perf_counter() - started > budget_seconds:
            unsettled += 1
            continue
        item.settle(item.record)
    table = prices.copy()
    for column in ("one_more_unit", "holds_up_to", "method", "note"):
        table[column] = [item.record[column] for item in price_items]
    rows = [item.record for item in capacity_items + supplier_items]
    sensitivity = ordered(SENSITIVITY.frame([tuple(r[c] for c in SENSITIVITY.names)
                                             for r in rows]))
    return (table[PRICES.names], sensitivity,
            {"solves": live.solves, "seconds": time.perf_counter() - started,
             "unchecked": unchecked, "left_for_budget": unsettled})


def _price_items(live: LiveModel, prices: pd.DataFrame) -> list[Item]:
    """Prices: one more unit of demand in every scenario of the period (the balance rows of
    the period's nodes up by 1, and the unmet-demand bounds with them). `marginal_cost` stays
    the duals' sum; `one_more_unit` is what one more unit costs, where it is known."""
    ix, lp = live.built.index, live.lp
    rows = lp.layout.rows["stock_balance"]
    unmet = lp.layout.columns["unmet"]
    nodes = len(ix.tree.nodes)
    pair_of = {key: i for i, key in enumerate(ix.stock_keys)}
    calendar = ix.plan.settings.calendar
    period_of = {calendar.label(t): t for t in range(1, calendar.periods + 1)}
    by_period: dict[int, list[int]] = {}
    for node in ix.tree.nodes:
        by_period.setdefault(node.t, []).append(node.id)
    items = []
    for row in prices.itertuples(index=False):
        t = period_of[row.period]
        first = pair_of[(row.commodity, row.region)] * nodes
        at = np.array(by_period[t], dtype=np.int64)
        ones = np.ones(len(at))
        change = Change(rows.start + first + at, ones, unmet.start + first + at, ones)
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
                    record["note"] = ("all of this demand is unmet: one more unit is unmet "
                                      "too, at the shortage penalty")
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
            if abs(one_unit - dual) > 1e-6 * max(1.0, abs(dual)):
                record["note"] = (f"the dual holds only up to {record['holds_up_to'] or 0:,.3g}"
                                  f" more units (a degenerate point); one more unit costs "
                                  f"{one_unit:,.6g}")

        demand = sum(ix.demand[(row.commodity, row.region, n)] for n in by_period[t])
        items.append(Item(2 + t / 1e4 - (1 if demand > 0 else 0), record, check, settle))
    return items


def _capacity_items(live: LiveModel) -> list[Item]:
    """Binding supplier and route capacities: one more unit per period (supplier rows' right-
    hand sides up by a, route columns' upper bounds up by b, in every period and scenario)."""
    ix, lp = live.built.index, live.lp
    plan = ix.plan
    money = plan.settings.currency
    changes = []
    rows = lp.layout.rows.get("supplier_capacity")
    if rows is not None:
        grouped: dict[str, list[tuple[int, float]]] = {}
        for i, (s, n) in enumerate(rows.keys):
            grouped.setdefault(s, []).append((rows.start + i, ix.supply_factor[(s, n)]))
        for s, entries in grouped.items():
            change = Change(np.array([r for r, _ in entries], dtype=np.int64),
                            np.array([a for _, a in entries]))
            supplier = plan.suppliers[s]
            changes.append(("supplier capacity", s, supplier.commodity,
                            max(supplier.capacity_per_period), change))
    order = lp.layout.columns["order"]
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
        record = {"kind": kind, "name": name, "commodity": commodity, "break_even": None,
                  "largest_capacity": largest_capacity, "mean_unit_cost": None,
                  "unit": f"{unit}/period"}

        def finish(record: dict, worth: float, method: str, unit: str = unit) -> None:
            text = (f"one more {unit} per period saves {worth:,.0f} {money}" if worth >= 0 else
                    f"one more {unit} per period costs {-worth:,.0f} {money}")
            record.update(finding=text, worth=worth, method=method)

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

        items.append(Item(-abs(rate), record, check, settle))
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
        unit = f"{money}/{plan.commodities[supplier.commodity].unit}"
        spend = float(lp.cost[cols] @ live.x[cols])
        used = float(probability @ live.x[cols]) > TOLERANCE
        record = {"kind": "price of a supplier used" if used else
                  "price of a supplier left out", "name": name,
                  "commodity": supplier.commodity, "largest_capacity": None,
                  "mean_unit_cost": price, "unit": unit,
                  "break_even": None, "worth": spend if used else None}
        record.update(finding="not searched within the time budget", method="-")
        if not used and not live.basic_cols[cols].any():

            def check(record: dict, direction: Direction = direction, price: float = price,
                      unit: str = unit) -> bool:
                drop = entry_price_drop(live, direction)
                if drop is None:
                    record.update(finding="not bought at any price: no open route or "
                                          "capacity", method="basis (reduced costs)")
                else:
                    record.update(finding=f"enters if its price falls by {drop:,.2f} (below "
                                          f"{price - drop:,.2f} {unit})",
                                  break_even=price - drop, worth=drop,
                                  method="basis (reduced costs)")
                return False

            items.append(Item(0, record, check))
            continue

        def settle(record: dict, direction: Direction = direction, cols: np.ndarray = cols,
                   probability: np.ndarray = probability, price: float = price,
                   unit: str = unit, used: bool = used) -> None:
            reach = max(price, 1.0) if used else -price
            move, why = first_breakpoint(live, direction, cols, probability, reach)
            if move is None:
                record.update(finding=why, method="re-solve")
            elif used:
                record.update(finding=f"the plan buys less from it above {price + move:,.2f} "
                                      f"{unit} (+{move:,.2f})", break_even=price + move,
                              method="re-solve")
            else:
                record.update(finding=f"enters if its price falls by {-move:,.2f} (below "
                                      f"{price + move:,.2f} {unit})", break_even=price + move,
                              worth=-move, method="re-solve")

        items.append(Item(1 - spend / max(1.0, abs(live.objective)), record,
                          lambda record: True, settle))
    return items


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity rows in reading order: binding capacities by worth, used suppliers by
    spend, suppliers left out by the price fall they need."""
    rank = table["kind"].map({"supplier capacity": 0, "route capacity": 1,
                              "price of a supplier used": 2,
                              "price of a supplier left out": 3}).fillna(4)
    size = np.where(table["kind"] == "price of a supplier left out",
                    table["worth"].astype(float).fillna(np.inf),
                    -table["worth"].astype(float).abs().fillna(0.0))
    return table.iloc[np.lexsort((size, rank))].reset_index(drop=True)
