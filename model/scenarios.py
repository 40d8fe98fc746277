"""Scenario data (model.md, "Scenario data") and the non-anticipativity tree.

For every scenario `w` and period `t` the disruptions active then give factors:
- `a[s,t,w]`, `cs[s,t,w]`: capacity and cost factors of supplier `s` (rows naming the supplier,
  its origin_country or its processing_country);
- `b[r,t,w]`, `cr[r,t,w]`: of route `r` (rows naming the route or one of its chokepoints);
- `e[k,g,t,w]`: demand factors (rows naming `k` or `k@g`).

Non-anticipativity (constraint 9): scenarios whose factors agree in periods 1..t must take the
same decisions in period t. Those classes form a tree; each tree node (one period, a set of
scenarios) carries one copy of the period's decisions, so the constraint holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import PlanData

SIGNATURE_DIGITS = 12  # factors equal to 12 significant digits are the same scenario data


@dataclass(frozen=True)
class ScenarioFactors:
    """Factor arrays, each of shape (entities, scenarios, periods); period index t-1."""

    supplier_capacity: np.ndarray
    supplier_cost: np.ndarray
    route_capacity: np.ndarray
    route_cost: np.ndarray
    demand: np.ndarray
    supplier_index: dict[str, int]
    route_index: dict[str, int]
    demand_index: dict[tuple[str, str], int]


def scenario_factors(plan: PlanData) -> ScenarioFactors:
    """Multiply the factors of all active disruption rows, per entity, scenario and period."""
    scenarios = list(plan.scenarios)
    w_of = {name: i for i, name in enumerate(scenarios)}
    n, n_w = plan.settings.periods, len(scenarios)
    supplier_index = {name: i for i, name in enumerate(plan.suppliers)}
    route_index = {name: i for i, name in enumerate(plan.routes)}
    demand_index = {(k, g): i for i, (k, g) in
                    enumerate((k, g) for k in plan.commodities for g in plan.regions)}
    a = np.ones((len(supplier_index), n_w, n))
    cs = np.ones_like(a)
    b = np.ones((len(route_index), n_w, n))
    cr = np.ones_like(b)
    e = np.ones((len(demand_index), n_w, n))

    by_country: dict[tuple[str, str], list[int]] = {}
    for name, supplier in plan.suppliers.items():
        i = supplier_index[name]
        by_country.setdefault(("origin_country", supplier.origin_country), []).append(i)
        by_country.setdefault(("processing_country", supplier.processing_country), []).append(i)
    by_chokepoint: dict[str, list[int]] = {}
    for name, route in plan.routes.items():
        for point in route.chokepoints:
            by_chokepoint.setdefault(point, []).append(route_index[name])

    for row in plan.disruptions:
        w = w_of[row.scenario]
        window = slice(row.start - 1, row.end)
        kind = row.target_type
        if kind == "demand":
            commodity, _, region = row.target.partition("@")
            regions = [region] if region else plan.regions
            for g in regions:
                e[demand_index[(commodity, g)], w, window] *= row.demand_factor
            continue
        if kind == "supplier":
            targets, capacity, cost = [supplier_index[row.target]], a, cs
        elif kind in ("origin_country", "processing_country"):
            targets, capacity, cost = by_country.get((kind, row.target), []), a, cs
        elif kind == "route":
            targets, capacity, cost = [route_index[row.target]], b, cr
        else:
            targets, capacity, cost = by_chokepoint.get(row.target, []), b, cr
        # A supplier whose origin and processing country are both hit is hit by each row once.
        for i in dict.fromkeys(targets):
            capacity[i, w, window] *= row.capacity_factor
            cost[i, w, window] *= row.cost_factor
    return ScenarioFactors(a, cs, b, cr, e, supplier_index, route_index, demand_index)


@dataclass(frozen=True)
class Node:
    """One period's decision point shared by the scenarios that cannot yet be told apart."""

    id: int
    t: int
    scenarios: tuple[int, ...]
    probability: float
    parent: int | None


@dataclass(frozen=True)
class ScenarioTree:
    """Nodes per period and each scenario's path through them.

    `node_of[w][t-1]` is the node of scenario `w` in period `t`; `ancestor(n, t')` walks back.
    """

    nodes: tuple[Node, ...]
    node_of: tuple[tuple[int, ...], ...]
    scenario_names: tuple[str, ...]
    probabilities: tuple[float, ...]

    def nodes_at(self, t: int) -> list[Node]:
        """Nodes of period t."""
        return [node for node in self.nodes if node.t == t]

    def ancestor(self, node_id: int, t: int) -> int:
        """The node on the same path in an earlier (or the same) period t."""
        node = self.nodes[node_id]
        return self.node_of[node.scenarios[0]][t - 1]

    def path(self, w: int) -> tuple[int, ...]:
        """Nodes of scenario w in periods 1..N."""
        return self.node_of[w]


def build_tree(plan: PlanData, factors: ScenarioFactors) -> ScenarioTree:
    """Group scenarios period by period into classes of identical factor histories."""
    names = tuple(plan.scenarios)
    probabilities = tuple(plan.scenarios[w].probability for w in names)
    n, n_w = plan.settings.periods, len(names)
    stacked = np.concatenate([
        factors.supplier_capacity, factors.supplier_cost, factors.route_capacity,
        factors.route_cost, factors.demand], axis=0) if n_w else np.zeros((0, 0, n))
    rounded = np.round(stacked, SIGNATURE_DIGITS)
    nodes: list[Node] = []
    node_of = [[0] * n for _ in range(n_w)]
    groups: list[tuple[int | None, list[int]]] = [(None, list(range(n_w)))]
    for t in range(1, n + 1):
        next_groups: list[tuple[int | None, list[int]]] = []
        for parent, members in groups:
            classes: dict[bytes, list[int]] = {}
            for w in members:
                classes.setdefault(rounded[:, w, t - 1].tobytes(), []).append(w)
            for scenario_ids in classes.values():
                node = Node(len(nodes), t, tuple(scenario_ids),
                            sum(probabilities[w] for w in scenario_ids), parent)
                nodes.append(node)
                for w in scenario_ids:
                    node_of[w][t - 1] = node.id
                next_groups.append((node.id, scenario_ids))
        groups = next_groups
    return ScenarioTree(tuple(nodes), tuple(tuple(p) for p in node_of), names, probabilities)
