"""Everything the constraint rules need, computed once before any Pyomo component exists.

Rules then only look things up: no filtering, no factor products, no tree walks inside a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..data import PlanData
from ..scenarios import ScenarioFactors, ScenarioTree, build_tree, scenario_factors
from ..validate import route_values

Key = tuple[str, str]  # (commodity, region)


@dataclass
class ConcentrationRow:
    """One instance of constraint (8): a limit, one expansion of its `*`s, one node (basis
    `period`) or one scenario path (basis `horizon`)."""

    limit: str
    commodity: str
    region: str
    attribute: str
    value: str
    basis: str
    t: int | None                      # None for horizon
    scenarios: tuple[int, ...]         # scenarios it binds in at this node / along this path
    has_orders: list[tuple[str, int]]  # (route, node) whose supply has the value
    all_orders: list[tuple[str, int]]  # (route, node) of the whole scope
    scope: int = -1                    # the shared scope-supply total it compares against


@dataclass
class ModelIndex:
    """Precomputed index lists and parameters of the LP (model.md notation in comments)."""

    plan: PlanData
    factors: ScenarioFactors
    tree: ScenarioTree
    stock_keys: list[Key] = field(default_factory=list)
    orders: list[tuple[str, int]] = field(default_factory=list)            # x[r, n]
    order_upper: dict[tuple[str, int], float | None] = field(default_factory=dict)
    unit_cost: dict[tuple[str, int], float] = field(default_factory=dict)  # unit_cost cs
    freight_cost: dict[tuple[str, int], float] = field(default_factory=dict)  # freight cr
    routes_of_supplier: dict[str, list[str]] = field(default_factory=dict)
    projects_of_supplier: dict[str, list[str]] = field(default_factory=dict)
    arrivals: dict[Key, list[tuple[str, int]]] = field(default_factory=dict)   # (route, L_r)
    transfers_in: dict[Key, list[tuple[int, int]]] = field(default_factory=dict)  # (f, L_f)
    transfers_out: dict[Key, list[int]] = field(default_factory=dict)
    demand: dict[tuple[str, str, int], float] = field(default_factory=dict)  # D e at node
    target: dict[tuple[str, str, int], float] = field(default_factory=dict)  # > 0 only
    supply_factor: dict[tuple[str, int], float] = field(default_factory=dict)  # a at node
    concentration: list[ConcentrationRow] = field(default_factory=list)
    scopes: list[list[tuple[str, int]]] = field(default_factory=list)  # orders of each total

    @property
    def nodes(self) -> range:
        """Node ids."""
        return range(len(self.tree.nodes))

    def t(self, node: int) -> int:
        """Period of a node."""
        return self.tree.nodes[node].t


def build_index(plan: PlanData) -> ModelIndex:
    """Scenario factors, the non-anticipativity tree and every index list of the LP."""
    factors = scenario_factors(plan)
    tree = build_tree(plan, factors)
    index = ModelIndex(plan, factors, tree)
    index.stock_keys = [(k, g) for k in plan.commodities for g in plan.regions]
    _index_orders(index)
    _index_stock(index)
    _index_concentration(index)
    return index


def _index_orders(index: ModelIndex) -> None:
    plan, factors, tree = index.plan, index.factors, index.tree
    for name in plan.suppliers:
        index.routes_of_supplier[name] = []
        index.projects_of_supplier[name] = []
    for project in plan.projects.values():
        index.projects_of_supplier[project.supplier].append(project.name)
    for key in index.stock_keys:
        index.arrivals[key] = []
    for name, route in plan.routes.items():
        supplier = plan.suppliers[route.supplier]
        index.routes_of_supplier[route.supplier].append(name)
        index.arrivals[(supplier.commodity, route.region)].append((name, route.lead_periods))
    routes = [(name, route, factors.supplier_index[route.supplier], factors.route_index[name],
               plan.suppliers[route.supplier].unit_cost_per_period)
              for name, route in plan.routes.items()]
    for node in tree.nodes:
        w, t = node.scenarios[0], node.t
        # One slice of each factor array per node, as Python floats.
        a = factors.supplier_capacity[:, w, t - 1].tolist()
        cs = factors.supplier_cost[:, w, t - 1].tolist()
        b = factors.route_capacity[:, w, t - 1].tolist()
        cr = factors.route_cost[:, w, t - 1].tolist()
        for name, s in factors.supplier_index.items():
            index.supply_factor[(name, node.id)] = a[s]
        for name, route, s, r, unit_cost in routes:
            key = (name, node.id)
            index.orders.append(key)
            if b[r] == 0.0:
                index.order_upper[key] = 0.0
            else:
                index.order_upper[key] = None if route.capacity is None else route.capacity * b[r]
            index.unit_cost[key] = unit_cost[t - 1] * cs[s]
            index.freight_cost[key] = route.freight_cost * cr[r]


def _index_stock(index: ModelIndex) -> None:
    plan, factors, tree = index.plan, index.factors, index.tree
    dpp = plan.settings.calendar.days_per_period
    for key in index.stock_keys:
        index.transfers_in[key] = []
        index.transfers_out[key] = []
    for f, lane in enumerate(plan.transfers):
        index.transfers_in[(lane.commodity, lane.to_region)].append((f, lane.lead_periods))
        index.transfers_out[(lane.commodity, lane.from_region)].append(f)
    for k, g in index.stock_keys:
        base = plan.demand_of(k, g)
        stock = plan.stockpile(k, g)
        e = factors.demand[factors.demand_index[(k, g)]].tolist()
        for node in tree.nodes:
            t, w = node.t, node.scenarios[0]
            demand = base[t - 1] * e[w][t - 1]
            index.demand[(k, g, node.id)] = demand
            target = max(stock.target_stock, stock.target_days * demand / dpp)
            if target > 0:
                index.target[(k, g, node.id)] = target


def _index_concentration(index: ModelIndex) -> None:
    plan, tree = index.plan, index.tree
    all_scenarios = tuple(range(len(tree.scenario_names)))
    w_of = {name: w for w, name in enumerate(tree.scenario_names)}
    scope_ids: dict[tuple, int] = {}
    for limit in plan.limits.values():
        binding = (tuple(w_of[s] for s in limit.scenarios) if limit.scenarios
                   else all_scenarios)
        commodities = list(plan.commodities) if limit.commodity == "*" else [limit.commodity]
        for k in commodities:
            scope = [r for r in plan.routes.values()
                     if plan.suppliers[r.supplier].commodity == k
                     and (limit.region == "*" or r.region == limit.region)]
            values_of = {r.name: route_values(r, plan.suppliers[r.supplier], limit.attribute,
                                              plan.groups) for r in scope}
            if limit.value == "*":
                values = list(dict.fromkeys(v for r in scope for v in values_of[r.name]))
            else:
                values = [limit.value]
            for value in values:
                has = [r.name for r in scope if value in values_of[r.name]]
                if not has:
                    continue
                names = [r.name for r in scope]
                _add_concentration_rows(index, scope_ids, limit, k, value, has, names,
                                        binding, tree)


def _scope_id(index: ModelIndex, scope_ids: dict[tuple, int], key: tuple, orders: Any) -> int:
    """One shared total per (limit, commodity, node or path): every value row of a `*`
    expansion compares against the same scope supply. `orders` builds its order list once."""
    found = scope_ids.get(key)
    if found is None:
        found = scope_ids[key] = len(index.scopes)
        index.scopes.append(orders())
    return found


def _add_concentration_rows(index: ModelIndex, scope_ids: dict[tuple, int], limit, k: str,
                            value: str, has: list[str], scope: list[str],
                            binding: tuple[int, ...], tree: ScenarioTree) -> None:
    if limit.basis == "period":
        for t in range(1, index.plan.settings.periods + 1):
            by_node: dict[int, list[int]] = {}
            for w in binding:
                by_node.setdefault(tree.node_of[w][t - 1], []).append(w)
            for node, members in by_node.items():
                j = _scope_id(index, scope_ids, (limit.name, k, node),
                              lambda n=node: [(r, n) for r in scope])
                index.concentration.append(ConcentrationRow(
                    limit.name, k, limit.region, limit.attribute, value, "period", t,
                    tuple(members), [(r, node) for r in has], index.scopes[j], j))
        return
    by_path: dict[tuple[int, ...], list[int]] = {}
    for w in binding:
        by_path.setdefault(tree.path(w), []).append(w)
    for path, members in by_path.items():
        j = _scope_id(index, scope_ids, (limit.name, k, path),
                      lambda p=path: [(r, n) for n in p for r in scope])
        index.concentration.append(ConcentrationRow(
            limit.name, k, limit.region, limit.attribute, value, "horizon", None,
            tuple(members), [(r, n) for n in path for r in has], index.scopes[j], j))
