"""Everything the constraint functions need, computed once before any Pyomo component exists:
index lists in a fixed order, and every parameter per tree node (model.md notation in comments).

Functions that build constraints only look things up here: no filtering, no factor products,
no tree walks inside a rule. Every decision is indexed by a node `n` of the scenario tree
instead of a (period, scenario) pair; `t(n)` is its period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import PlanData
from ..scenarios import ScenarioFactors, ScenarioSet, ScenarioTree, plan_scenarios
from ..semantics import limit_commodities, limit_expansion, windows

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
class ModelIndex:
    """Index lists and parameters of the LP, for one plan and one scenario set."""

    plan: PlanData
    scenarios: ScenarioSet
    stock_keys: list[Key] = field(default_factory=list)                  # every (k, g)
    order_keys: list[OrderKey] = field(default_factory=list)             # x[r, n]
    order_upper: dict[OrderKey, float | None] = field(default_factory=dict)  # Cr b, 0 if b=0
    unit_cost: dict[OrderKey, float] = field(default_factory=dict)       # unit_cost cs
    freight_cost: dict[OrderKey, float] = field(default_factory=dict)    # freight cr
    orders_of_supplier: dict[tuple[str, int], list[OrderKey]] = field(default_factory=dict)
    projects_of_supplier: dict[str, list[str]] = field(default_factory=dict)
    arrivals: dict[Key, list[tuple[str, int]]] = field(default_factory=dict)  # (route, L_r)
    pipeline: dict[StockKey, float] = field(default_factory=dict)        # sum Q b, > 0 only
    transfers_in: dict[Key, list[tuple[int, int]]] = field(default_factory=dict)  # (f, L_f)
    transfers_out: dict[Key, list[int]] = field(default_factory=dict)
    stock_index: list[StockKey] = field(default_factory=list)             # I, u[k, g, n]
    demand: dict[StockKey, float] = field(default_factory=dict)          # D e
    target: dict[StockKey, float] = field(default_factory=dict)          # > 0 only
    supply_factor: dict[tuple[str, int], float] = field(default_factory=dict)  # a
    capacity: dict[tuple[str, int], float] = field(default_factory=dict)  # C a (rows only)
    take_or_pay: dict[tuple[str, int], float] = field(default_factory=dict)  # > 0 only
    end_keys: list[StockKey] = field(default_factory=list)               # vE at leaf nodes
    concentration: list[ConcentrationRow] = field(default_factory=list)
    scopes: list[list[OrderKey]] = field(default_factory=list)            # orders of each total
    discount: list[float] = field(default_factory=list)                  # d_t(n) per node
    periods_of_node: list[int] = field(default_factory=list)

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

    @property
    def leaves(self) -> list[int]:
        """Nodes of the last period N."""
        n = self.plan.settings.periods
        return [node.id for node in self.tree.nodes if node.t == n]


def build_index(plan: PlanData, scenarios: ScenarioSet | None = None,
                limits: bool = True) -> ModelIndex:
    """Every index list and parameter of the LP for `plan` under `scenarios` (the plan's own
    scenarios by default); `limits=False` skips the concentration rows (to recompute the
    parameters of another scenario only, see `model.futures`)."""
    index = ModelIndex(plan, scenarios if scenarios is not None else plan_scenarios(plan))
    index.periods_of_node = [node.t for node in index.tree.nodes]
    index.discount = [plan.settings.discount_factor(t) for t in index.periods_of_node]
    index.stock_keys = [(k, g) for k in plan.commodities for g in plan.regions]
    _index_orders(index)
    _index_suppliers(index)
    _index_stock(index)
    if limits:
        _index_concentration(index)
    return index


def _index_orders(index: ModelIndex) -> None:
    """x[r, n] exists where its arrival t + L_r lies within the horizon."""
    plan, factors, tree = index.plan, index.factors, index.tree
    horizon = plan.settings.periods
    for key in index.stock_keys:
        index.arrivals[key] = []
    routes = []
    for name, route in plan.routes.items():
        supplier = plan.suppliers[route.supplier]
        index.arrivals[(supplier.commodity, route.region)].append((name, route.lead_periods))
        routes.append((name, route, factors.supplier_index[route.supplier],
                       factors.route_index[name], supplier.unit_cost_per_period))
    for node in tree.nodes:
        w, t = node.scenarios[0], node.t
        cs = factors.supplier_cost[:, w, t - 1].tolist()
        b = factors.route_capacity[:, w, t - 1].tolist()
        cr = factors.route_cost[:, w, t - 1].tolist()
        for name, route, s, r, unit_cost in routes:
            if t + route.lead_periods > horizon:
                continue
            key = (name, node.id)
            index.order_keys.append(key)
            if b[r] == 0.0:
                index.order_upper[key] = 0.0
            else:
                index.order_upper[key] = None if route.capacity is None else route.capacity * b[r]
            index.unit_cost[key] = unit_cost[t - 1] * cs[s]
            index.freight_cost[key] = route.freight_cost * cr[r]
            index.orders_of_supplier.setdefault((route.supplier, node.id), []).append(key)


def _index_suppliers(index: ModelIndex) -> None:
    """a[s, n], the capacity right-hand side C a and take-or-pay
    min_take a max_{r of s, t + L_r <= N} b[r, n]."""
    plan, factors, tree = index.plan, index.factors, index.tree
    horizon = plan.settings.periods
    index.projects_of_supplier = {name: [] for name in plan.suppliers}
    for project in plan.projects.values():
        index.projects_of_supplier[project.supplier].append(project.name)
    routes_of: dict[str, list[tuple[int, int]]] = {name: [] for name in plan.suppliers}
    for name, route in plan.routes.items():
        routes_of[route.supplier].append((factors.route_index[name], route.lead_periods))
    for node in tree.nodes:
        w, t = node.scenarios[0], node.t
        a = factors.supplier_capacity[:, w, t - 1].tolist()
        b = factors.route_capacity[:, w, t - 1]
        for name, supplier in plan.suppliers.items():
            factor = a[factors.supplier_index[name]]
            index.supply_factor[(name, node.id)] = factor
            if (name, node.id) not in index.orders_of_supplier:
                continue  # no order can be placed: nothing to cap or oblige
            index.capacity[(name, node.id)] = supplier.capacity_per_period[t - 1] * factor
            if supplier.min_take > 0 and supplier.available(t):
                open_routes = [float(b[r]) for r, lead in routes_of[name] if t + lead <= horizon]
                need = supplier.min_take * factor * max(open_routes, default=0.0)
                if need > 0:
                    index.take_or_pay[(name, node.id)] = need


def _index_stock(index: ModelIndex) -> None:
    """D e, targets max(target_stock, target_days D e / dpp), pipeline arrivals Q b and the
    end-of-horizon keys."""
    plan, factors, tree = index.plan, index.factors, index.tree
    dpp = plan.settings.calendar.days_per_period
    for key in index.stock_keys:
        index.transfers_in[key] = []
        index.transfers_out[key] = []
    for f, lane in enumerate(plan.transfers):
        index.transfers_in[(lane.commodity, lane.to_region)].append((f, lane.lead_periods))
        index.transfers_out[(lane.commodity, lane.from_region)].append(f)
    pipeline: dict[tuple[str, str, int], list[tuple[int, float]]] = {}
    for arrival in plan.pipeline:
        route = plan.routes[arrival.route]
        key = (plan.commodity_of(route), route.region, arrival.period)
        pipeline.setdefault(key, []).append((factors.route_index[route.name], arrival.quantity))
    leaves = set(index.leaves)
    for k, g in index.stock_keys:
        base = plan.demand_of(k, g)
        stock = plan.stockpile(k, g)
        e = factors.demand[factors.demand_index[(k, g)]].tolist()
        for node in tree.nodes:
            t, w = node.t, node.scenarios[0]
            key = (k, g, node.id)
            index.stock_index.append(key)
            demand = base[t - 1] * e[w][t - 1]
            index.demand[key] = demand
            target = max(stock.target_stock, stock.target_days * demand / dpp)
            if target > 0:
                index.target[key] = target
            arriving = pipeline.get((k, g, t))
            if arriving:
                b = factors.route_capacity[:, w, t - 1]
                quantity = sum(q * float(b[r]) for r, q in arriving)
                if quantity:
                    index.pipeline[key] = quantity
            if stock.end_stock > 0 and node.id in leaves:
                index.end_keys.append(key)


def _index_concentration(index: ModelIndex) -> None:
    plan, tree = index.plan, index.tree
    ppy = plan.settings.calendar.periods_per_year
    horizon = plan.settings.periods
    orders = set(index.order_keys)
    scope_ids: dict[tuple, int] = {}
    for limit in plan.limits.values():
        binding = index.scenarios.limit_scenarios.get(limit.name, ())
        if not binding:
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
                    for w in binding:
                        paths.setdefault(tuple(tree.node_of[w][t - 1] for t in span),
                                         []).append(w)
                    for nodes, members in paths.items():
                        j = _scope_id(index, scope_ids, (limit.name, k, nodes), names, nodes,
                                      orders)
                        has_orders = [(r, n) for n in nodes for r in has if (r, n) in orders]
                        for bound in bounds:
                            if bound == "max" and not has_orders:
                                continue  # nothing in scope has the value: 0 <= m * supply
                            if not index.scopes[j] and not has_orders:
                                continue  # nothing can be ordered in this window
                            index.concentration.append(ConcentrationRow(
                                limit.name, k, limit.region, limit.attribute, value, bound, span,
                                tuple(members), has_orders, j))


def _scope_id(index: ModelIndex, scope_ids: dict[tuple, int], key: tuple, names: list[str],
              nodes: tuple[int, ...], orders: set[OrderKey]) -> int:
    """One shared total per (limit, commodity, nodes of a window): every value row of a `*`
    expansion compares against the same scope supply."""
    found = scope_ids.get(key)
    if found is None:
        found = scope_ids[key] = len(index.scopes)
        index.scopes.append([(r, n) for n in nodes for r in names if (r, n) in orders])
    return found
