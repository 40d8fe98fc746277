"""Everything the constraint functions need, computed once before any Pyomo component exists:
index lists in a fixed order, and every parameter per tree node (model.md notation in comments).

Functions that build constraints only look things up here: no filtering, no factor products,
no tree walks inside a rule. Every decision is indexed by a node `n` of the scenario tree
instead of a (period, scenario) pair; `t(n)` is its period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.domain.data import PairIndex, PlanData
from model.domain.scenarios import (
    ScenarioFactors,
    ScenarioSet,
    ScenarioTree,
    floor_key,
    plan_scenarios,
)
from model.domain.semantics import limit_commodities, limit_expansion, windows

Key = tuple[str, str]  # (commodity, region)
OrderKey = tuple[str, int]  # (route, node)
StockKey = tuple[str, str, int]  # (commodity, region, node)


@dataclass
class ConcentrationRow:
    """One row of constraint (8): a limit, one expansion of its `*`s (commodity, value), one
    bound (`max` or `min`), one window of periods and the scenarios whose decisions in that
    window are the same tree nodes."""

    limit: str
    commodity: str
    region: str
    attribute: str
    value: str
    bound: str                       # "max" (<= m) or "min" (>= m0)
    window: tuple[int, ...]          # the periods it sums over
    scenarios: tuple[int, ...]       # scenarios it binds in along these nodes
    has_orders: list[OrderKey]       # orders whose supply has the value
    scope: int                       # the shared scope-supply total it compares against

    @property
    def first_period(self) -> int:
        """The window's first period."""
        return self.window[0]


@dataclass
class BudgetRow:
    """One row of constraint (11): a Budgets row (its position in plan.budgets), one path of
    tree nodes through its plan year and the scenarios that take it, and the orders in scope
    with their spend per unit (unit cost + freight, factor-scaled, undiscounted)."""

    budget: int
    scenarios: tuple[int, ...]
    orders: list[OrderKey]
    spend: list[float]


@dataclass
class ModelIndex:
    """Index lists and parameters of the LP, for one plan and one scenario set."""

    plan: PlanData
    scenarios: ScenarioSet
    pairs: PairIndex = field(default_factory=lambda: PairIndex(()))  # every (k, g): plan.pairs
    order_keys: list[OrderKey] = field(default_factory=list)             # x[r, n]
    order_upper: dict[OrderKey, float | None] = field(default_factory=dict)  # Cr b, 0 if b=0
    unit_cost: dict[OrderKey, float] = field(default_factory=dict)       # unit_cost cs
    # d unit_cost / d the supplier's own price (cost factor x exchange rate): what one more
    # unit of its unit_cost (or index_constant) in its currency costs in the planning currency
    price_rate: dict[OrderKey, float] = field(default_factory=dict)
    freight_cost: dict[OrderKey, float] = field(default_factory=dict)    # freight cr
    orders_of_supplier: dict[tuple[str, int], list[OrderKey]] = field(default_factory=dict)
    projects_of_supplier: dict[str, list[str]] = field(default_factory=dict)
    projects_of_stock: dict[Key, list[str]] = field(default_factory=dict)  # storage (15.5)
    arrivals: dict[Key, list[tuple[str, int]]] = field(default_factory=dict)  # (route, L_r)
    pipeline: dict[StockKey, float] = field(default_factory=dict)        # sum Q b, > 0 only
    transfers_in: dict[Key, list[tuple[int, int]]] = field(default_factory=dict)  # (f, L_f)
    transfers_out: dict[Key, list[int]] = field(default_factory=dict)
    stock_index: list[StockKey] = field(default_factory=list)  # I, u[k, g, n]: pair-major
    demand: dict[StockKey, float] = field(default_factory=dict)          # D e
    target: dict[StockKey, float] = field(default_factory=dict)          # > 0 only
    supply_factor: dict[tuple[str, int], float] = field(default_factory=dict)  # a
    capacity: dict[tuple[str, int], float] = field(default_factory=dict)  # C a (rows only)
    take_or_pay: dict[tuple[str, int], float] = field(default_factory=dict)  # > 0 only
    end_keys: list[StockKey] = field(default_factory=list)               # vE at leaf nodes
    floor: dict[StockKey, float] = field(default_factory=dict)           # F > 0, binding only
    capex_rate: dict[str, float] = field(default_factory=dict)          # FX of each project
    budgets: list[BudgetRow] = field(default_factory=list)              # (11), model.md 15.3
    concentration: list[ConcentrationRow] = field(default_factory=list)
    scopes: list[list[OrderKey]] = field(default_factory=list)            # orders of each total
    discount: list[float] = field(default_factory=list)                  # d_t(n) per node
    periods_of_node: list[int] = field(default_factory=list)
    cargo_contracts: Any = None  # formulation.contracts.ContractIndex (model.md section 14)

    @property
    def tree(self) -> ScenarioTree:
        """The scenario tree the decisions are indexed by."""
        return self.scenarios.tree

    @property
    def factors(self) -> ScenarioFactors:
        """The scenario factors."""
        return self.scenarios.factors

    @property
    def nodes(self) -> range:
        """Node ids."""
        return range(len(self.tree.nodes))

    def t(self, node: int) -> int:
        """Period of a node."""
        return self.periods_of_node[node]

    def per_pair(self, values) -> np.ndarray:
        """A family in `stock_index` order (stock, unmet, the stock-balance duals) as a
        (pair, node) array, row `pairs.position[(k, g)]`."""
        return np.asarray(values).reshape(len(self.pairs), len(self.tree.nodes))

    def stock_positions(self, pair: Key, nodes) -> np.ndarray:
        """Positions in `stock_index` of (k, g, n) for the nodes n of one pair."""
        return self.pairs.position[pair] * len(self.tree.nodes) + np.asarray(nodes,
                                                                              dtype=np.int64)

    @property
    def leaves(self) -> list[int]:
        """Nodes of the last period N."""
        n = self.plan.settings.periods
        return [node.id for node in self.tree.nodes if node.t == n]


def build_index(plan: PlanData, scenarios: ScenarioSet | None = None,
                limits: bool = True) -> ModelIndex:
    """Every index list and parameter of the LP for `plan` under `scenarios` (the plan's own
    scenarios by default); `limits=False` skips the concentration rows (to recompute the
    parameters of another scenario only, see `model.analyses.scenario_lp`)."""
    index = ModelIndex(plan, scenarios if scenarios is not None else plan_scenarios(plan))
    index.periods_of_node = [node.t for node in index.tree.nodes]
    index.discount = [plan.settings.discount_factor(t) for t in index.periods_of_node]
    index.pairs = plan.pairs
    _index_orders(index)
    _index_suppliers(index)
    _index_stock(index)
    _index_floors(index)
    _index_budgets(index)
    index.capex_rate = capex_rates(plan, index.factors, index.scenarios.probabilities)
    if limits:
        _index_concentration(index)
    return index


def _node_arrays(index: ModelIndex) -> tuple[np.ndarray, np.ndarray]:
    """(period t, first scenario w) of every node: factors are the same for all scenarios of
    a node, so the first one's stand for the node."""
    nodes = index.tree.nodes
    return (np.array([n.t for n in nodes], dtype=np.int64),
            np.array([n.scenarios[0] for n in nodes], dtype=np.int64))


def order_numbers(plan: PlanData, factors: ScenarioFactors, r: np.ndarray, t: np.ndarray,
                  w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For orders on routes r (positions in plan.routes) in periods t of scenarios w: the
    upper bound Cr b (0 where b = 0, NaN without a route limit), the unit cost c a_cost and
    the freight f b_cost."""
    routes = list(plan.routes.values())
    horizon = plan.settings.periods
    route_factor = np.array([factors.route_index[x.name] for x in routes], dtype=np.int64)[r]
    supplier_factor = np.array([factors.supplier_index[x.supplier] for x in routes],
                               dtype=np.int64)[r]
    b = factors.route_capacity[route_factor, w, t - 1]
    capacity = np.array([np.nan if x.capacity is None else x.capacity for x in routes])[r]
    upper = np.where(b == 0.0, 0.0, capacity * b)
    unit_cost = np.array([plan.suppliers[x.supplier].unit_cost_per_period for x in routes]
                         ).reshape(len(routes), horizon)[r, t - 1]
    rate = np.ones(len(r))
    if factors.index_position or factors.currency_position:
        unit_cost, rate = _indexed_cost_and_rate(plan, factors, routes, unit_cost, r, t, w)
    unit = unit_cost * factors.supplier_cost[supplier_factor, w, t - 1] * rate
    freight = np.array([x.freight_cost for x in routes])[r] * \
        factors.route_cost[route_factor, w, t - 1] * rate
    return upper, unit, freight


def order_price_rates(plan: PlanData, factors: ScenarioFactors, r: np.ndarray, t: np.ndarray,
                      w: np.ndarray) -> np.ndarray:
    """For orders on routes r in periods t of scenarios w: how much the unit cost in the
    planning currency moves per unit of the supplier's own price (its unit_cost, or for an
    indexed supplier its index_constant): the cost factor times the exchange rate."""
    routes = list(plan.routes.values())
    supplier_factor = np.array([factors.supplier_index[x.supplier] for x in routes],
                               dtype=np.int64)[r]
    rate = np.ones(len(r))
    if factors.currency_position:
        rate = _indexed_cost_and_rate(plan, factors, routes, np.zeros(len(r)), r, t, w)[1]
    return factors.supplier_cost[supplier_factor, w, t - 1] * rate


def _indexed_cost_and_rate(plan: PlanData, factors: ScenarioFactors, routes: list,
                           unit_cost: np.ndarray, r: np.ndarray, t: np.ndarray, w: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """The unit cost c = index_constant + index_slope x index value (x event factor) for
    indexed suppliers, and the exchange rate of each supplier's currency (1: the planning
    currency), for orders on routes r in periods t of scenarios w (docs/model.md 15.4)."""
    suppliers = [plan.suppliers[x.supplier] for x in routes]
    index = np.array([factors.index_position.get(s.price_index, -1) if s.price_index else -1
                      for s in suppliers], dtype=np.int64)[r]
    if (index >= 0).any():
        slope = np.array([s.index_slope for s in suppliers])[r]
        constant = np.array([s.index_constant for s in suppliers])[r]
        at = index.clip(0)
        value = factors.index_value[at, w, t - 1] * factors.index_factor[at, w, t - 1]
        unit_cost = np.where(index >= 0, constant + slope * value, unit_cost)
    currency = np.array([factors.currency_position.get(s.currency, -1) if s.currency else -1
                         for s in suppliers], dtype=np.int64)[r]
    rate = np.ones(len(r))
    if (currency >= 0).any():
        rate = np.where(currency >= 0, factors.fx_rate[currency.clip(0), w, t - 1], 1.0)
    return unit_cost, rate


def capex_rates(plan: PlanData, factors: ScenarioFactors, probabilities: tuple[float, ...]
                ) -> dict[str, float]:
    """Per project, the rate its capex is converted at: its supplier's currency in period 1,
    the probability-weighted mean over the scenarios (1 in the planning currency)."""
    p = np.asarray(probabilities, dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / max(len(p), 1))
    found = {}
    for name, project in plan.projects.items():
        supplier = plan.suppliers.get(project.supplier)
        currency = supplier.currency if supplier is not None else None
        position = factors.currency_position.get(currency) if currency else None
        found[name] = 1.0 if position is None else float(factors.fx_rate[position, :, 0] @ p)
    return found


def supplier_numbers(plan: PlanData, factors: ScenarioFactors, t_node: np.ndarray,
                     w_node: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per supplier (rows, in plan.suppliers order) and node (columns) of periods t_node in
    scenarios w_node: the factor a, the capacity right-hand side C a, and the take-or-pay
    need min_take a max_{r of s, t + L_r <= N} b[r] (0 outside the availability window)."""
    horizon = plan.settings.periods
    names = list(plan.suppliers)
    rows = np.array([factors.supplier_index[s] for s in names], dtype=np.int64)
    a = factors.supplier_capacity[rows[:, None], w_node[None, :], t_node[None, :] - 1]
    capacity = np.array([plan.suppliers[s].capacity_per_period for s in names]
                        ).reshape(len(names), horizon)[:, t_node - 1] * a
    # The most open route of each supplier that can still deliver, per node.
    position = {s: i for i, s in enumerate(names)}
    open_route = np.zeros_like(a)
    for route in plan.routes.values():
        s = position[route.supplier]
        b = factors.route_capacity[factors.route_index[route.name], w_node, t_node - 1]
        deliverable = t_node + route.lead_periods <= horizon
        open_route[s] = np.maximum(open_route[s], np.where(deliverable, b, 0.0))
    suppliers = [plan.suppliers[s] for s in names]
    min_take = np.array([s.min_take for s in suppliers])[:, None]
    available = np.array([s.available(t_node) for s in suppliers], dtype=bool).reshape(
        len(suppliers), len(t_node))
    need = np.where(available & (min_take > 0), min_take * a * open_route, 0.0)
    return a, capacity, need


def stock_numbers(plan: PlanData, factors: ScenarioFactors, t_node: np.ndarray,
                  w_node: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (commodity, region) pair (rows, commodities then regions) and node (columns): the
    demand D e, the target max(target_stock, target_days D e / dpp) and the pipeline
    arrivals Q b."""
    dpp = plan.settings.calendar.days_per_period
    pairs = plan.pairs
    pipeline = np.zeros((len(pairs), len(t_node)))
    for arrival in plan.pipeline:
        route = plan.routes[arrival.route]
        at = t_node == arrival.period
        b = factors.route_capacity[factors.route_index[route.name], w_node[at], arrival.period
                                   - 1]
        pipeline[pairs.position[(plan.commodity_of(route), route.region)], at] += \
            arrival.quantity * b
    demand = np.zeros((len(pairs), len(t_node)))
    target = np.zeros((len(pairs), len(t_node)))
    for (k, g), i in pairs.position.items():
        stock = plan.stockpile(k, g)
        base = np.asarray(plan.demand_of(k, g), dtype=float)
        e = factors.demand[factors.demand_index[(k, g)], w_node, t_node - 1]
        demand[i] = base[t_node - 1] * e
        target[i] = np.maximum(stock.target_stock, stock.target_days * demand[i] / dpp)
    return demand, target, pipeline


def floor_numbers(plan: PlanData, factors: ScenarioFactors, t_node: np.ndarray,
                  w_node: np.ndarray) -> np.ndarray:
    """Per (commodity, region) pair (rows) and node (columns): the hard floor of an obligation
    F = max(min_stock, min_days D e / dpp) (docs/model.md 15.2), 0 without one."""
    dpp = plan.settings.calendar.days_per_period
    pairs = plan.pairs
    floor = np.zeros((len(pairs), len(t_node)))
    for (k, g), i in pairs.position.items():
        stock = plan.stockpiles.get((k, g))
        if stock is None or not stock.has_floor:
            continue
        base = np.asarray(plan.demand_of(k, g), dtype=float)
        e = factors.demand[factors.demand_index[(k, g)], w_node, t_node - 1]
        floor[i] = np.maximum(stock.min_stock, stock.min_days * base[t_node - 1] * e / dpp)
    return floor


def _index_orders(index: ModelIndex) -> None:
    """x[r, n] exists where its arrival t + L_r lies within the horizon: its upper bound
    Cr b (0 where b = 0, none without a route limit), its unit cost and freight."""
    plan, factors = index.plan, index.factors
    horizon = plan.settings.periods
    for key in index.pairs:
        index.arrivals[key] = []
    names = list(plan.routes)
    routes = list(plan.routes.values())
    for route in routes:
        index.arrivals[(plan.commodity_of(route), route.region)].append(
            (route.name, route.lead_periods))
    t_node, w_node = _node_arrays(index)
    lead = np.array([r.lead_periods for r in routes], dtype=np.int64)
    node, r = np.nonzero(t_node[:, None] + lead[None, :] <= horizon)  # node-major order
    upper, unit, freight = order_numbers(plan, factors, r, t_node[node], w_node[node])
    keys = list(zip([names[i] for i in r.tolist()], node.tolist(), strict=True))
    index.order_keys = keys
    index.order_upper = dict(zip(keys, [None if v != v else v for v in upper.tolist()],
                                 strict=True))
    index.unit_cost = dict(zip(keys, unit.tolist(), strict=True))
    index.price_rate = dict(zip(keys, order_price_rates(plan, factors, r, t_node[node],
                                                        w_node[node]).tolist(), strict=True))
    index.freight_cost = dict(zip(keys, freight.tolist(), strict=True))
    suppliers = [routes[i].supplier for i in r.tolist()]
    for key, supplier in zip(keys, suppliers, strict=True):
        index.orders_of_supplier.setdefault((supplier, key[1]), []).append(key)


def _index_suppliers(index: ModelIndex) -> None:
    """a[s, n], the capacity right-hand side C a and take-or-pay
    min_take a max_{r of s, t + L_r <= N} b[r, n]."""
    plan, factors = index.plan, index.factors
    index.projects_of_supplier = {name: [] for name in plan.suppliers}
    for project in plan.projects.values():
        if project.stockpile is not None:
            index.projects_of_stock.setdefault(project.stockpile, []).append(project.name)
        else:
            index.projects_of_supplier[project.supplier].append(project.name)
    t_node, w_node = _node_arrays(index)
    names = list(plan.suppliers)
    a, capacity, need = supplier_numbers(plan, factors, t_node, w_node)
    index.supply_factor = {(s, n): value for s, values in zip(names, a.tolist(), strict=True)
                           for n, value in enumerate(values)}
    position = {s: i for i, s in enumerate(names)}
    for (s, n) in index.orders_of_supplier:
        i = position[s]
        index.capacity[(s, n)] = float(capacity[i, n])
        if need[i, n] > 0:
            index.take_or_pay[(s, n)] = float(need[i, n])


def _index_stock(index: ModelIndex) -> None:
    """D e, targets max(target_stock, target_days D e / dpp), pipeline arrivals Q b and the
    end-of-horizon keys."""
    plan, factors, tree = index.plan, index.factors, index.tree
    n_nodes = len(tree.nodes)
    for key in index.pairs:
        index.transfers_in[key] = []
        index.transfers_out[key] = []
    for f, lane in enumerate(plan.transfers):
        index.transfers_in[(lane.commodity, lane.to_region)].append((f, lane.lead_periods))
        index.transfers_out[(lane.commodity, lane.from_region)].append(f)
    t_node, w_node = _node_arrays(index)
    demand, target, pipeline = stock_numbers(plan, factors, t_node, w_node)
    leaves = np.flatnonzero(t_node == plan.settings.periods).tolist()
    for (k, g), i in index.pairs.position.items():  # pair-major, node-minor (`per_pair`)
        stock = plan.stockpile(k, g)
        keys = [(k, g, n) for n in range(n_nodes)]
        index.stock_index.extend(keys)
        index.demand.update(zip(keys, demand[i].tolist(), strict=True))
        for n in np.flatnonzero(target[i] > 0).tolist():
            index.target[(k, g, n)] = float(target[i, n])
        for n in np.flatnonzero(pipeline[i]).tolist():
            index.pipeline[(k, g, n)] = float(pipeline[i, n])
        if stock.end_stock > 0:
            index.end_keys.extend((k, g, n) for n in leaves)


def _index_concentration(index: ModelIndex) -> None:
    plan, tree = index.plan, index.tree
    ppy = plan.settings.calendar.periods_per_year
    horizon = plan.settings.periods
    orders = set(index.order_keys)
    scope_ids: dict[tuple, int] = {}
    for limit in plan.limits.values():
        if not any(index.scenarios.limit_until.get(limit.name, ())):
            continue
        spans = windows(limit.basis, horizon, ppy, limit.rolling_periods)
        bounds = [b for b, share in (("max", limit.max_share), ("min", limit.min_share))
                  if share is not None and not (b == "min" and share <= 0)]
        for k in limit_commodities(plan, limit):
            for value, having, scope in limit_expansion(plan, limit, k):
                has = [r.name for r in having]
                names = [r.name for r in scope]
                for span in spans:
                    paths: dict[tuple[int, ...], list[int]] = {}
                    for w in index.scenarios.binding(limit.name, span[-1]):
                        paths.setdefault(tuple(tree.node_of[w][t - 1] for t in span),
                                         []).append(w)
                    for nodes, members in paths.items():
                        key = scope_key(limit.name, names, nodes)
                        j = _scope_id(index, scope_ids, key, names, nodes, orders)
                        has_orders = [(r, n) for n in nodes for r in has if (r, n) in orders]
                        for bound in bounds:
                            if bound == "max" and not has_orders:
                                continue  # nothing in scope has the value: 0 <= m * supply
                            if not index.scopes[j] and not has_orders:
                                continue  # nothing can be ordered in this window
                            index.concentration.append(ConcentrationRow(
                                limit.name, k, limit.region, limit.attribute, value, bound, span,
                                tuple(members), has_orders, j))


def scope_key(limit: str, routes: list[str], nodes: tuple[int, ...]) -> tuple:
    """What makes two scope totals one: the routes counted and the tree nodes of the window,
    whichever limit asks (`limit` is not part of it; tests/test_highs_solve_error.py puts it
    back to rebuild the LP on which HiGHS 1.16 fails)."""
    return tuple(routes), nodes


def _scope_id(index: ModelIndex, scope_ids: dict[tuple, int], key: tuple, names: list[str],
              nodes: tuple[int, ...], orders: set[OrderKey]) -> int:
    """One shared total per (scope's routes, nodes of a window): every value row of a `*`
    expansion, and every limit over the same routes and window, compares against the same
    scope supply (two totals of the same orders are a redundant pair of columns forced equal,
    which made HiGHS's dual simplex fail on a national plan: docs/highs_solve_error.md)."""
    found = scope_ids.get(key)
    if found is None:
        found = scope_ids[key] = len(index.scopes)
        index.scopes.append([(r, n) for n in nodes for r in names if (r, n) in orders])
    return found


def _index_floors(index: ModelIndex) -> None:
    """F[k, g, n] > 0 at the nodes where the obligation binds: nodes that a scenario it binds
    in passes through (`floor_scenarios`, as for limits naming scenarios)."""
    plan = index.plan
    if not any(stock.has_floor for stock in plan.stockpiles.values()):
        return
    t_node, w_node = _node_arrays(index)
    floor = floor_numbers(plan, index.factors, t_node, w_node)
    for (k, g), i in index.pairs.position.items():
        stock = plan.stockpiles.get((k, g))
        if stock is None or not stock.has_floor:
            continue
        until = index.scenarios.limit_until.get(floor_key(k, g))
        for n in np.flatnonzero(floor[i] > 0).tolist():
            node = index.tree.nodes[n]
            if until is None or any(until[w] >= node.t for w in node.scenarios):
                index.floor[(k, g, n)] = float(floor[i, n])


def budget_scope(plan: PlanData, commodity: str, region: str) -> list[str]:
    """Routes a budget's spend counts: of `commodity` into `region` (`*`: any)."""
    return [name for name, r in plan.routes.items()
            if (commodity == "*" or plan.commodity_of(r) == commodity)
            and (region == "*" or r.region == region)]


def _index_budgets(index: ModelIndex) -> None:
    """One row per Budgets row and distinct path of nodes through its plan year (every
    scenario: a budget is hard everywhere); rows with no order in scope are left out."""
    plan, tree = index.plan, index.tree
    if not plan.budgets:
        return
    orders = set(index.order_keys)
    for b, budget in enumerate(plan.budgets):
        scope = budget_scope(plan, budget.commodity, budget.region)
        paths: dict[tuple[int, ...], list[int]] = {}
        for w in range(len(tree.scenario_names)):
            paths.setdefault(tuple(tree.node_of[w][t - 1] for t in budget.periods),
                             []).append(w)
        for nodes, members in paths.items():
            keys = [(r, n) for n in nodes for r in scope if (r, n) in orders]
            if keys:
                index.budgets.append(BudgetRow(
                    b, tuple(members), keys,
                    [index.unit_cost[key] + index.freight_cost[key] for key in keys]))
