"""Scenario data (model.md, "Scenario data") and the non-anticipativity tree.

For every scenario `w` and period `t` the disruptions active then give factors:
- `a[s,t,w]`, `cs[s,t,w]`: capacity and cost factors of supplier `s` (rows naming the supplier,
  its origin_country or its processing_country);
- `b[r,t,w]`, `cr[r,t,w]`: of route `r` (rows naming the route or one of its chokepoints);
- `e[k,g,t,w]`: demand factors (rows naming `k` or `k@g`).
Which rows hit what is decided in `model.domain.semantics`.

Non-anticipativity (constraint 9): scenarios whose factors agree in periods 1..t must take the
same decisions in period t. Those classes form a tree; each tree node (one period, a set of
scenarios) carries one copy of the period's decisions, so the constraint holds by construction.

A `ScenarioSet` is what the formulation is built for: the plan's own scenarios, one scenario
alone (wait-and-see), the expected-value scenario, or one sampled future.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.domain.data import PlanData, Series, series_value
from model.domain.semantics import demand_target, routes_hit, suppliers_hit

SIGNATURE_DIGITS = 12  # factors equal to 12 significant digits are the same scenario data


@dataclass(frozen=True)
class ScenarioFactors:
    """Factor arrays, each of shape (entities, scenarios, periods); period index t-1.

    Besides the five disruption factors, the scenario data of docs/model.md section 15: the
    value of each price index a supplier uses (`index_value`, from the Indices sheet) with the
    factor sampled events move it by (`index_factor`), and the exchange rate of each currency a
    supplier uses (`fx_rate`). Without indices or currencies these have no rows.
    """

    supplier_capacity: np.ndarray
    supplier_cost: np.ndarray
    route_capacity: np.ndarray
    route_cost: np.ndarray
    demand: np.ndarray
    supplier_index: dict[str, int]
    route_index: dict[str, int]
    demand_index: dict[tuple[str, str], int]
    index_value: np.ndarray | None = None
    index_factor: np.ndarray | None = None
    fx_rate: np.ndarray | None = None
    index_position: dict[str, int] = field(default_factory=dict)
    currency_position: dict[str, int] = field(default_factory=dict)

    def _or_empty(self, array: np.ndarray | None) -> np.ndarray:
        return array if array is not None else np.zeros((0, *self.demand.shape[1:]))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every scenario-data array, in a fixed order: the five factors, then the index
        values, the index factors and the exchange rates."""
        return (self.supplier_capacity, self.supplier_cost, self.route_capacity,
                self.route_cost, self.demand, self._or_empty(self.index_value),
                self._or_empty(self.index_factor), self._or_empty(self.fx_rate))

    def disruption_arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays that are 1 where nothing has happened: the five factors and the index
        factors of sampled events."""
        return (self.supplier_capacity, self.supplier_cost, self.route_capacity,
                self.route_cost, self.demand, self._or_empty(self.index_factor))

    def with_arrays(self, arrays: tuple[np.ndarray, ...]) -> ScenarioFactors:
        """The same indices with other arrays (same order as `arrays()`)."""
        return ScenarioFactors(*arrays[:5], self.supplier_index, self.route_index,
                               self.demand_index, *arrays[5:], self.index_position,
                               self.currency_position)

    def select(self, scenarios: list[int]) -> ScenarioFactors:
        """Only these scenarios, in this order."""
        return self.with_arrays(tuple(a[:, scenarios, :] for a in self.arrays()))

    def mean(self, probabilities: tuple[float, ...]) -> ScenarioFactors:
        """One scenario whose factors are the probability-weighted means (probabilities
        normalised; where every scenario agrees, exactly their common value). An index is
        averaged as its value (value x event factor), with factor 1."""
        p = np.asarray(probabilities, dtype=float)
        p = p / p.sum()
        arrays = list(self.arrays())
        arrays[5] = arrays[5] * arrays[6]
        arrays[6] = np.ones_like(arrays[6])
        means = []
        for a in arrays:
            mean = np.einsum("ewt,w->et", a, p)
            same = np.all(a == a[:, :1, :], axis=1)
            means.append(np.where(same, a[:, 0, :], mean)[:, None, :])
        return self.with_arrays(tuple(means))


def factor_indices(plan: PlanData) -> tuple[dict[str, int], dict[str, int],
                                            dict[tuple[str, str], int]]:
    """Positions of suppliers, routes and (commodity, region) pairs in the factor arrays."""
    return ({name: i for i, name in enumerate(plan.suppliers)},
            {name: i for i, name in enumerate(plan.routes)},
            plan.pairs.position)


def scenario_factors(plan: PlanData, scenario_names: list[str] | None = None
                     ) -> ScenarioFactors:
    """Multiply the factors of all active disruption rows, per entity, scenario and period."""
    scenarios = list(plan.scenarios) if scenario_names is None else scenario_names
    w_of = {name: i for i, name in enumerate(scenarios)}
    supplier_index, route_index, demand_index = factor_indices(plan)
    n, n_w = plan.settings.periods, len(scenarios)
    a = np.ones((len(supplier_index), n_w, n))
    cs = np.ones_like(a)
    b = np.ones((len(route_index), n_w, n))
    cr = np.ones_like(b)
    e = np.ones((len(demand_index), n_w, n))
    hit_cache: dict[tuple, tuple[list[int], list[int]]] = {}
    for row in plan.disruptions:
        if row.scenario not in w_of:
            continue
        w = w_of[row.scenario]
        window = slice(row.start - 1, row.end)
        if row.target_type == "index":
            continue  # an index move (sampled events): see _money_arrays
        if row.target_type == "demand":
            commodity, region = demand_target(row)
            for g in ([region] if region else plan.regions):
                e[demand_index[(commodity, g)], w, window] *= row.demand_factor
            continue
        key = (row.target_type, row.target, row.commodity)
        if key not in hit_cache:
            hit_cache[key] = ([supplier_index[s] for s in suppliers_hit(plan, row)],
                              [route_index[r] for r in routes_hit(plan, row)])
        suppliers, routes = hit_cache[key]
        # A supplier whose origin and processing country are both hit is hit by a row once.
        for i in suppliers:
            a[i, w, window] *= row.capacity_factor
            cs[i, w, window] *= row.cost_factor
        for i in routes:
            b[i, w, window] *= row.capacity_factor
            cr[i, w, window] *= row.cost_factor
    values, moved, rates, index_position, currency_position = _money_arrays(plan, scenarios)
    return ScenarioFactors(a, cs, b, cr, e, supplier_index, route_index, demand_index,
                           values, moved, rates, index_position, currency_position)


def _money_arrays(plan: PlanData, scenarios: list[str]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int], dict[str, int]]:
    """Index values, index event factors and exchange rates per (index or currency, scenario,
    period), for the indices and currencies the suppliers use (docs/model.md 15.4). A scenario
    without a value of its own takes the `*` one; a name the workbook has no value for at all
    (a scenario made up for an analysis, such as "nothing happens") takes the first
    scenario's, so its numbers are valid (such models are re-priced before they are solved)."""
    n, n_w = plan.settings.periods, len(scenarios)
    used_indices = list(dict.fromkeys(s.price_index for s in plan.suppliers.values()
                                      if s.price_index is not None))
    used_currencies = list(dict.fromkeys(s.currency for s in plan.suppliers.values()
                                         if s.currency is not None))
    index_position = {name: i for i, name in enumerate(used_indices)}
    currency_position = {name: i for i, name in enumerate(used_currencies)}

    def table(names: list[str], source: dict[str, Series]) -> np.ndarray:
        found = np.ones((len(names), n_w, n))
        for i, name in enumerate(names):
            series = source[name]
            known = [w for w in series if w != "*"]
            for w, scenario in enumerate(scenarios):
                for t in range(1, n + 1):
                    value = series_value(series, scenario, t)
                    if value is None and known:
                        value = series_value(series, known[0], t)
                    found[i, w, t - 1] = value if value is not None else 1.0
        return found

    values = table(used_indices, plan.indices)
    rates = table(used_currencies, plan.fx)
    moved = np.ones_like(values)
    w_of = {name: i for i, name in enumerate(scenarios)}
    for row in plan.disruptions:
        if row.target_type == "index" and row.scenario in w_of \
                and row.target in index_position:
            moved[index_position[row.target], w_of[row.scenario],
                  row.start - 1:row.end] *= row.index_factor
    return values, moved, rates, index_position, currency_position


def significant(values: np.ndarray, digits: int = SIGNATURE_DIGITS) -> np.ndarray:
    """Values rounded to `digits` significant decimal digits (zeros stay zero)."""
    values = np.asarray(values, dtype=float)
    magnitude = np.zeros_like(values)
    nonzero = values != 0
    magnitude[nonzero] = np.floor(np.log10(np.abs(values[nonzero])))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(values * scale) / scale


def single_scenario_node(t: int) -> int:
    """The node of period t in a tree of one scenario: one node a period, numbered t - 1
    (`build_tree` numbers it so; the single-scenario LP's users rely on it)."""
    return t - 1


def single_scenario_period(node: int) -> int:
    """The period of a node in a tree of one scenario (inverse of `single_scenario_node`)."""
    return node + 1


def rounded_factors(factors: ScenarioFactors, w: int | slice = slice(None),
                    t_index: int | slice = slice(None)) -> np.ndarray:
    """The tree signature's data: every factor array stacked in the order of `arrays()` and
    rounded to SIGNATURE_DIGITS significant digits, for scenario(s) w and period index(es)
    t - 1. Scenarios whose rounded factors agree cannot be told apart."""
    return significant(np.concatenate([a[:, w, t_index] for a in factors.arrays()], axis=0))


def period_signature(factors: ScenarioFactors, w: int, t: int) -> bytes:
    """The factors of scenario w in period t, rounded as the tree compares them."""
    return rounded_factors(factors, w, t - 1).tobytes()


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

    def ancestor(self, node_id: int, t: int) -> int:
        """The node on the same path in an earlier (or the same) period t."""
        node = self.nodes[node_id]
        return self.node_of[node.scenarios[0]][t - 1]

    def sent_from(self, node_id: int, lead: int) -> int | None:
        """The node a delivery arriving at `node_id` (period t) after `lead` periods left
        from: anc(n, t - lead), or None when t - lead < 1 (sent before the horizon). The one
        statement of this rule: the stock balance's arrivals (formulation) and the reported
        arrivals (results, through `sent_from_all`) both use it."""
        t = self.nodes[node_id].t
        return self.ancestor(node_id, t - lead) if t - lead >= 1 else None

    def sent_from_all(self, lead: int) -> np.ndarray:
        """`sent_from(n, lead)` for every node n, -1 where there is none."""
        return np.array([-1 if (m := self.sent_from(n, lead)) is None else m
                         for n in range(len(self.nodes))], dtype=np.int64)

    def along_paths(self, per_node: np.ndarray) -> np.ndarray:
        """Sum of a (rows, nodes) array along each scenario's path: (rows, scenarios)."""
        paths = np.asarray(self.node_of, dtype=np.int64)
        if per_node.shape[0] == 0 or paths.size == 0:
            return np.zeros((per_node.shape[0], len(self.node_of)))
        return per_node[:, paths].sum(axis=2)

    def path(self, w: int) -> tuple[int, ...]:
        """Nodes of scenario w in periods 1..N."""
        return self.node_of[w]

    @property
    def shared_periods(self) -> int:
        """t0: the periods 1..t0 before any scenario diverges (each has a single node)."""
        count = 0
        for node in self.nodes:
            if len(node.scenarios) != len(self.scenario_names) or node.t != count + 1:
                break
            count += 1
        return count

    @property
    def periods(self) -> int:
        """N."""
        return len(self.node_of[0]) if self.node_of else 0


def build_tree(names: tuple[str, ...], probabilities: tuple[float, ...],
               factors: ScenarioFactors, periods: int) -> ScenarioTree:
    """Group scenarios period by period into classes of identical factor histories."""
    n_w = len(names)
    rounded = rounded_factors(factors) if n_w else np.zeros((0, 0, periods))
    nodes: list[Node] = []
    node_of = np.zeros((n_w, periods), dtype=np.int64)
    group = np.zeros(n_w, dtype=np.int64)     # the node each scenario sits in, per period
    parents: list[int | None] = [None]
    p = np.asarray(probabilities, dtype=float)
    for t in range(1, periods + 1):
        if n_w == 1:  # one scenario: one node a period
            node = single_scenario_node(t)
            nodes.append(Node(node, t, (0,), float(p[0]),
                              single_scenario_node(t - 1) if t > 1 else None))
            node_of[0, t - 1] = node
            continue
        # A scenario's class: its parent node and its factors in period t, compared as bytes.
        signature = np.ascontiguousarray(
            np.column_stack([group.astype(float), rounded[:, :, t - 1].T]))
        rows = signature.view(np.dtype((np.void, signature.dtype.itemsize
                                        * signature.shape[1]))).ravel()
        _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        # Number the classes in the order their first scenario appears (stable node ids).
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        classes = rank[inverse]
        base = len(nodes)
        for c in range(len(order)):
            members = np.flatnonzero(classes == c)
            parent = parents[int(group[members[0]])] if t > 1 else None
            nodes.append(Node(base + c, t, tuple(int(w) for w in members),
                              float(p[members].sum()), parent))
        node_of[:, t - 1] = base + classes
        parents = [node.id for node in nodes[base:]]
        group = classes
    return ScenarioTree(tuple(nodes), tuple(tuple(int(n) for n in row) for row in node_of),
                        names, probabilities)


@dataclass(frozen=True)
class ScenarioSet:
    """The scenarios a formulation is built for: names, probabilities, factors, the tree, and
    for each limit and scenario the last period through which the limit binds in it (N: all
    the horizon, 0: never)."""

    names: tuple[str, ...]
    probabilities: tuple[float, ...]
    factors: ScenarioFactors
    tree: ScenarioTree
    limit_until: dict[str | tuple, tuple[int, ...]]

    def binding(self, limit: str | tuple, last_period: int) -> list[int]:
        """Scenarios a limit binds in over a window that ends in `last_period`."""
        return [w for w, until in enumerate(self.limit_until.get(limit, ()))
                if until >= last_period]


def undisrupted_through(factors: ScenarioFactors) -> np.ndarray:
    """Per scenario, the last period t through which nothing has happened yet (every factor
    1 in periods 1..t)."""
    calm = np.ones(factors.supplier_capacity.shape[1:], dtype=bool)  # (scenarios, periods)
    for array in factors.disruption_arrays():
        calm &= np.all(array == 1.0, axis=0)
    periods = calm.shape[1]
    stirred = np.where(~calm, np.arange(1, periods + 1)[None, :], periods + 1).min(axis=1)
    return stirred - 1


def floor_key(commodity: str, region: str) -> tuple[str, str, str]:
    """The key of a stockpile's obligation (hard floor) among the limits of `limit_until`."""
    return ("floor", commodity, region)


def limit_until(plan: PlanData, names: tuple[str, ...], factors: ScenarioFactors,
                sampled: bool) -> dict[str | tuple, tuple[int, ...]]:
    """How long each limit binds in each scenario. A limit binds over the whole horizon in
    the scenarios it names (all for `*`). In sampled futures there are no named scenarios: a
    limit that names any (as `base`) binds in each future until its first event, the
    undisrupted path a limit of `base` follows in hand-written scenarios. Stock floors
    (obligations, keyed by `floor_key`) follow the same rule with their `floor_scenarios`."""
    n = plan.settings.periods
    calm = undisrupted_through(factors) if sampled else None
    found: dict[str | tuple, tuple[int, ...]] = {}
    bound = [(name, limit.scenarios) for name, limit in plan.limits.items()]
    bound += [(floor_key(*key), stock.floor_scenarios) for key, stock in plan.stockpiles.items()
              if stock.has_floor]
    for name, scenarios in bound:
        if not scenarios:
            found[name] = (n,) * len(names)
        elif sampled:
            found[name] = tuple(int(t) for t in calm)
        else:
            found[name] = tuple(n if w in scenarios else 0 for w in names)
    return found


def plan_scenarios(plan: PlanData) -> ScenarioSet:
    """The plan's own scenarios (hand-written, or sampled futures when sample_scenarios > 0
    and the plan's scenarios were replaced by `sampling.sampled_plan`)."""
    names = tuple(plan.scenarios)
    probabilities = tuple(plan.scenarios[w].probability for w in names)
    factors = scenario_factors(plan, list(names))
    tree = build_tree(names, probabilities, factors, plan.settings.periods)
    sampled = plan.settings.sample_scenarios > 0
    return ScenarioSet(names, probabilities, factors, tree,
                       limit_until(plan, names, factors, sampled))


def every_limit(plan: PlanData) -> dict[str | tuple, tuple[int, ...]]:
    """Every limit and stock floor binding over the whole horizon, in one scenario."""
    n = plan.settings.periods
    found: dict[str | tuple, tuple[int, ...]] = {name: (n,) for name in plan.limits}
    found.update({floor_key(*key): (n,) for key, stock in plan.stockpiles.items()
                  if stock.has_floor})
    return found
