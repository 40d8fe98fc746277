"""One scenario's LP, built once and re-solved for many scenarios by changing numbers only.

The wait-and-see problems (each scenario planned with perfect foresight), the expected-value
problem and the out-of-sample futures of a sampled plan are all the same single-scenario LP
with other scenario factors, other binding limits, and some decisions fixed. Rebuilding it in
Pyomo for each would cost more than solving it, so `ScenarioModel` builds it once, with every
factor 1 (the structure every scenario's LP fits in: factors only shrink capacities, and rows
whose right-hand side a scenario makes 0 stay as harmless rows), and `set_scenario` pushes the
numbers of another scenario into the live HiGHS instance: order bounds and costs, demand, the
right-hand sides of capacity, take-or-pay, target and stock-floor rows, the spend per unit in
budget rows, and which concentration rows and floors bind.
The numbers come from the formulation's own formulas (`order_numbers`, `supplier_numbers`,
`stock_numbers` of `formulation/index.py`, as arrays), so there is one definition of what a
factor does.

The single-scenario objective is the scenario's cost (risk_weight is set to 0: the CVaR of one
scenario is its cost).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from model.domain.data import PlanData
from model.domain.scenarios import (
    ScenarioFactors,
    ScenarioSet,
    build_tree,
    every_limit,
    floor_key,
    scenario_factors,
    single_scenario_node,
)
from model.formulation import BuiltModel, build_model
from model.formulation.constraints import stock_balance_rhs
from model.formulation.contracts import index_contracts
from model.formulation.index import (
    build_index,
    capex_rates,
    floor_numbers,
    order_numbers,
    stock_numbers,
    supplier_numbers,
)
from model.solver.handoff import compile_lp
from model.solver.solve import PlanSolver, Solution

INF = float("inf")


def one_scenario(plan: PlanData, factors: ScenarioFactors, name: str = "scenario"
                 ) -> ScenarioSet:
    """A ScenarioSet of one scenario with probability 1, every limit binding."""
    tree = build_tree((name,), (1.0,), factors, plan.settings.periods)
    return ScenarioSet((name,), (1.0,), factors, tree, every_limit(plan))


def ones(plan: PlanData) -> ScenarioFactors:
    """Factors of a scenario in which nothing happens."""
    return scenario_factors(replace(plan, disruptions=()), ["nothing happens"])


class _Positions:
    """Where each key of the single-scenario LP sits in the arrays of `order_numbers`,
    `supplier_numbers` and `stock_numbers` (the formulation's own formulas)."""

    def __init__(self, plan: PlanData, order_keys: list, unmet_keys: list, target_keys: list,
                 take_keys: list, capacity_keys: list):
        route = {name: i for i, name in enumerate(plan.routes)}
        supplier = {name: i for i, name in enumerate(plan.suppliers)}
        pair = plan.pairs.position

        def column(values) -> np.ndarray:
            return np.array(list(values), dtype=np.int64)

        self.order_route = column(route[r] for r, _ in order_keys)
        self.order_node = column(n for _, n in order_keys)
        self.unmet_pair = column(pair[(k, g)] for k, g, _ in unmet_keys)
        self.unmet_node = column(n for _, _, n in unmet_keys)
        first = single_scenario_node(1)  # the initial stock enters the first period's balance
        self.initial = np.array([plan.stockpile(k, g).initial_stock if n == first else 0.0
                                 for k, g, n in unmet_keys], dtype=float)
        self.target_pair = column(pair[(k, g)] for k, g, _ in target_keys)
        self.target_node = column(n for _, _, n in target_keys)
        self.take_supplier = column(supplier[s] for s, _ in take_keys)
        self.take_node = column(n for _, n in take_keys)
        self.capacity_supplier = column(supplier[s] for s, _ in capacity_keys)
        self.capacity_node = column(n for _, n in capacity_keys)


class ScenarioModel:
    """A live single-scenario LP for re-solving many scenarios (see the module docstring)."""

    def __init__(self, plan: PlanData, time_limit_seconds: float | None = None):
        self.plan = replace(plan, settings=replace(plan.settings, risk_weight=0.0))
        self.built: BuiltModel = build_model(self.plan, one_scenario(self.plan, ones(plan)))
        lp = compile_lp(self.built.model)
        lp.release_model()  # only the arrays and their layout are changed from here on
        self.built.model = None
        # A MIP (whole cargoes, lots, contracts) stays one: each scenario's optimum is a MIP's.
        self.solver = PlanSolver(lp, time_limit_seconds or plan.settings.time_limit_seconds,
                                 mip_gap=plan.settings.mip_gap, fix_after_mip=False)
        self._locate()
        self.lower = lp.col_lower.copy()
        self.upper = lp.col_upper.copy()
        self.start_basis = None          # set by solve_once
        self.first_solve_seconds = 0.0

    def _locate(self) -> None:
        ix, layout = self.built.index, self.solver.lp.layout
        columns, rows = layout.columns, layout.rows

        def at(blocks: dict, name: str, keys: list) -> np.ndarray:
            block = blocks.get(name)
            if block is None:
                return np.zeros(0, dtype=np.int64)
            position = {key: i for i, key in enumerate(block.keys)}
            return np.array([block.start + position[k] for k in keys], dtype=np.int64)

        self.order_keys = list(ix.order_keys)
        self.order_cols = at(columns, "order", self.order_keys)
        self.unmet_keys = list(ix.stock_index)
        self.unmet_cols = at(columns, "unmet", self.unmet_keys)
        self.balance_rows = at(rows, "stock_balance", self.unmet_keys)
        self.target_keys = list(ix.target)
        self.target_rows = at(rows, "stock_target", self.target_keys)
        self.take_keys = list(ix.take_or_pay)
        self.take_rows = at(rows, "take_or_pay", self.take_keys)
        order_position = {key: i for i, key in enumerate(self.order_keys)}
        budget_rows = at(rows, "budget", list(range(len(ix.budgets))))
        # (budget row, order column, position in order_keys) of every order a budget counts.
        self.budget_entries = [(int(row), int(self.order_cols[order_position[key]]),
                                order_position[key])
                               for row, budget in zip(budget_rows, ix.budgets, strict=True)
                               for key in budget.orders]
        self.floor_keys = list(ix.floor)
        self.floor_rows = at(rows, "stock_floor", self.floor_keys)
        self.capacity_keys = list(ix.capacity)
        self.capacity_rows = at(rows, "supplier_capacity", self.capacity_keys)
        plan = self.plan
        build = columns.get("build")
        self.build_cols = (np.arange(build.start, build.stop, dtype=np.int64) if build is not None
                           else np.zeros(0, dtype=np.int64))
        self.project_entries = []  # (capacity row, z column, supplier position, node)
        supplier_position = {s: i for i, s in enumerate(plan.suppliers)}
        if build is not None:
            for j, project in enumerate(plan.projects.values()):
                for row, (s, n) in zip(self.capacity_rows, self.capacity_keys, strict=True):
                    if s == project.supplier and ix.t(n) >= project.first_period:
                        self.project_entries.append((int(row), build.start + j,
                                                     supplier_position[s], n))
        block = rows.get("concentration")
        self.limit_rows: dict[str, list[tuple[int, str, int]]] = {}
        if block is not None:
            for i, row in enumerate(ix.concentration):
                self.limit_rows.setdefault(row.limit, []).append(
                    (block.start + i, row.bound, row.window[-1]))
        self.positions = {name: {key: block.start + i for i, key in enumerate(block.keys)}
                          for name, block in columns.items()
                          if name in ("order", "transfer", "unmet")}
        self.discount = np.array(ix.discount, dtype=float)
        self.t_node = np.array(ix.periods_of_node, dtype=np.int64)
        self.at = _Positions(plan, self.order_keys, self.unmet_keys, self.target_keys,
                             self.take_keys, self.capacity_keys)
        self.contract_rows = {key: block.start + i for name in ("contract_take_or_pay",)
                              if (block := rows.get(name)) is not None
                              for i, key in enumerate(block.keys)}
        self.contract_costs = {(name, key): block.start + i
                               for name in ("deficiency", "make_up")
                               if (block := columns.get(name)) is not None
                               for i, key in enumerate(block.keys)}
        sign = columns.get("sign")
        self.sign_cols = {} if sign is None else {c: sign.start + i
                                                  for i, c in enumerate(sign.keys)}
        pair = plan.pairs.position
        self.floor_pair = np.array([pair[(k, g)] for k, g, _ in self.floor_keys], dtype=np.int64)
        self.floor_node = np.array([n for _, _, n in self.floor_keys], dtype=np.int64)

    def set_scenario(self, factors: ScenarioFactors,
                     until: dict[str, int] | None = None) -> None:
        """Put one scenario's numbers into the live model: factors of one scenario, and for
        each limit the last period through which it binds (all the horizon by default; a row
        of a window ending later is freed)."""
        plan, solver, at = self.plan, self.solver, self.at
        t_node, w_node = self.t_node, np.zeros_like(self.t_node)
        upper, unit, freight = order_numbers(plan, factors, at.order_route,
                                             t_node[at.order_node], w_node[at.order_node])
        upper = np.where(np.isnan(upper), INF, upper)
        self.upper[self.order_cols] = upper
        demand, target, pipeline = stock_numbers(plan, factors, t_node, w_node)
        unmet = demand[at.unmet_pair, at.unmet_node]
        self.upper[self.unmet_cols] = unmet
        columns = np.concatenate([self.order_cols, self.unmet_cols])
        solver.change_col_bounds(columns, self.lower[columns], np.concatenate([upper, unmet]))
        solver.change_costs(self.order_cols, (unit + freight) * self.discount[at.order_node])
        rhs = stock_balance_rhs(unmet, pipeline[at.unmet_pair, at.unmet_node], at.initial)
        solver.change_row_bounds(self.balance_rows, rhs, rhs)
        a, capacity, need = supplier_numbers(plan, factors, t_node, w_node)
        solver.change_row_bounds(self.target_rows, target[at.target_pair, at.target_node],
                                 np.full(len(self.target_rows), INF))
        solver.change_row_bounds(self.take_rows, need[at.take_supplier, at.take_node],
                                 np.full(len(self.take_rows), INF))
        solver.change_row_bounds(self.capacity_rows, np.full(len(self.capacity_rows), -INF),
                                 capacity[at.capacity_supplier, at.capacity_node])
        solver.change_coefficients([(row, col, -float(a[supplier, n]))
                                    for row, col, supplier, n in self.project_entries])
        if factors.currency_position and self.build_cols.size:
            # Capex in the planning currency at this scenario's rate (docs/model.md 15.4).
            rates = capex_rates(plan, factors, (1.0,))
            solver.change_costs(self.build_cols, np.array(
                [project.capex * rates[j] for j, project in plan.projects.items()]))
        # A budget counts the scenario's spend per unit, undiscounted.
        spend = unit + freight
        solver.change_coefficients([(row, col, float(spend[i]))
                                    for row, col, i in self.budget_entries])
        n = plan.settings.periods
        until = until if until is not None else {}
        if len(self.floor_rows):
            # A floor binds through the last period of its scenarios (all: the horizon).
            floor = floor_numbers(plan, factors, t_node, w_node)[self.floor_pair,
                                                                 self.floor_node]
            last = np.array([until.get(floor_key(k, g), n) for k, g, _ in self.floor_keys])
            solver.change_row_bounds(self.floor_rows,
                                     np.where(t_node[self.floor_node] <= last, floor, -INF),
                                     np.full(len(self.floor_rows), INF))
        rows = [(row, last <= until.get(limit, n), bound)
                for limit, entries in self.limit_rows.items() for row, bound, last in entries]
        if rows:
            solver.change_row_bounds(
                np.array([row for row, _, _ in rows]),
                np.array([0.0 if on and bound == "min" else -INF for _, on, bound in rows]),
                np.array([0.0 if on and bound == "max" else INF for _, on, bound in rows]))

        if self.contract_rows or self.contract_costs:
            self._set_contracts(factors)

    def _set_contracts(self, factors: ScenarioFactors) -> None:
        """Section 14's numbers of one scenario: the take-or-pay quantities (force majeure
        scales them) and the unit costs of deficiency and make-up (cost factors)."""
        solver, plan = self.solver, self.plan
        ix = build_index(plan, one_scenario(plan, factors), limits=False)
        cx = index_contracts(ix)
        top = {(row.contract, row.year, row.node): row.top for row in cx.years}
        rows, lower, entries = [], [], []
        for key, row in self.contract_rows.items():
            need = top.get(key, 0.0)
            if key[0] in self.sign_cols:
                entries.append((row, self.sign_cols[key[0]], -need))
            else:
                rows.append(row)
                lower.append(need)
        if rows:
            solver.change_row_bounds(np.array(rows), np.array(lower),
                                     np.full(len(rows), INF))
        solver.change_coefficients(entries)
        cols, costs = [], []
        for (family, key), col in self.contract_costs.items():
            cost_key = key if family == "deficiency" else (key[0], key[2], key[3])
            sign = 1.0 if family == "deficiency" else -1.0
            cols.append(col)
            costs.append(sign * cx.unit_cost.get(cost_key, 0.0) * self.discount[key[-1]])
        if cols:
            solver.change_costs(np.array(cols), np.array(costs))

    def fix(self, columns: np.ndarray, values: np.ndarray) -> None:
        """Fix columns at values (clipped into their bounds)."""
        values = np.clip(values, self.lower[columns], self.upper[columns])
        self.solver.change_col_bounds(columns, values, values)

    def release(self, columns: np.ndarray) -> None:
        """Undo `fix` for these columns."""
        self.solver.change_col_bounds(columns, self.lower[columns], self.upper[columns])

    def solve_once(self) -> None:
        """Solve the model as built and keep its basis: every scenario solved after it with
        `solve_from_start` starts from that basis, so its result does not depend on which
        scenarios were solved before (or on which worker)."""
        self.first_solve_seconds = self.solve().seconds
        # A MIP has no basis to start from; branch and bound starts afresh each time.
        self.start_basis = None if self.solver.lp.is_mip else self.solver.basis()

    def solve_from_start(self) -> Solution:
        """Solve the scenario now in the model from the basis `solve_once` kept."""
        if self.start_basis is not None:
            self.solver.start_from(self.start_basis)
        return self.solve()

    def solve(self) -> Solution:
        """Solve the scenario now in the model; its cost (present value) is the solution's
        `optimal_objective`."""
        return self.solver.solve()
