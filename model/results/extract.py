"""Tidy result tables and duals from a solved plan: solution arrays in, pandas tables out.

Reads only the compiled LP's layout (which columns and rows each family occupies), the index the
model was built from and the cost terms; never the Pyomo model. Table columns are those of
`tables.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from model.domain.tolerances import BINDS, DUAL_ZERO, ROUND_OFF
from model.formulation import BuiltModel
from model.formulation.costs import COST_PARTS, ONCE, CostTerms
from model.formulation.index import ModelIndex
from model.results.money import budget_table, floor_table
from model.results.tables import (
    CONCENTRATION,
    FIRST_ORDERS,
    INVESTMENTS,
    ORDERS,
    PIPELINE,
    PRICES,
    SCENARIOS,
    STOCKPILE,
    TRANSFERS,
)
from model.solver.handoff import CompiledLP
from model.solver.solve import Solution, SolveStatus


class RunFact(NamedTuple):
    """One item of the Run sheet that a stage adds: its value, unit and note."""

    value: Any
    unit: str = ""
    note: str = ""


@dataclass
class InformationValue:
    """EVPI and VSS as the Summary shows them (docs/model.md section 10), each with its
    sentence, and the WS, EV and EEV they come from. None where not computed; a text of None
    leaves the Summary's own note."""

    evpi: float | None = None
    evpi_text: str | None = None
    vss: float | None = None
    vss_text: str | None = None
    ws: float | None = None
    ev: float | None = None
    eev: float | None = None


@dataclass
class PlanResult:
    """Everything the plan workbook shows, as figures and tables."""

    status: SolveStatus
    objective: float | None
    expected_cost: float
    cvar: float
    cost_parts: dict[str, float]
    total_shortfall: float | None  # None when the commodities' units differ
    shortfall_by_commodity: dict[str, float]
    end_shortfall_by_commodity: dict[str, float]
    orders: pd.DataFrame
    stockpile: pd.DataFrame
    concentration: pd.DataFrame
    prices: pd.DataFrame
    scenarios: pd.DataFrame
    investments: pd.DataFrame
    transfers: pd.DataFrame
    pipeline: pd.DataFrame
    first_period_orders: pd.DataFrame
    tradeoff: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    model_size: tuple[int, int, int] = (0, 0, 0)
    tree_nodes: int = 0
    highs_status: str = ""
    gap: float | None = None
    max_residual: float = 0.0
    method: str = ""
    tried: list[str] = field(default_factory=list)
    has_basis: bool = True
    mip_bound: float | None = None    # a MIP's best bound (model.md 14.5), None for an LP
    mip_gap: float | None = None
    mip_seconds: float | None = None
    floors: pd.DataFrame | None = None     # stock-floor rows with their duals (model.md 15.2)
    budgets: pd.DataFrame | None = None    # budget rows: spend and duals (model.md 15.3)
    # What the analyses and the run add (the pipeline fills these; the report only reads them):
    value_of_information: InformationValue = field(default_factory=InformationValue)
    limit_points: pd.DataFrame | None = None  # what a whole point of each binding limit is worth
    evaluation: Any = None  # the out-of-sample `analyses.evaluate.Evaluation` (--evaluate)
    inputs: list[tuple] | None = None       # every input cell as read (the hidden Inputs sheet)
    run_facts: dict[str, RunFact] = field(default_factory=dict)  # more items of the Run sheet


def cvar_of(costs, probabilities, beta: float) -> float:
    """CVaR_beta = min_zeta zeta + sum_w p_w max(0, Cost_w - zeta) / (1 - beta).

    For a discrete distribution the minimum is the probability-weighted mean of the worst
    costs that make up a tail of mass 1 - beta (the last one counted in part): found by one
    sort, so that millions of costs (out-of-sample futures) take O(n log n) time and O(n)
    memory.
    """
    c = np.asarray(costs, dtype=float)
    if c.size == 0:
        return 0.0
    p = np.asarray(probabilities, dtype=float)
    order = np.argsort(-c, kind="stable")
    c, p = c[order], p[order]
    tail = 1.0 - beta
    if tail <= 0.0:
        return float(c[0])
    before = np.concatenate(([0.0], np.cumsum(p)[:-1]))
    weight = np.clip(tail - before, 0.0, p)
    return float(c @ weight / tail)


class SolutionReader:
    """A solution read family by family: the values and duals of each variable and row."""

    def __init__(self, built: BuiltModel, lp: CompiledLP, solution: Solution):
        self.ix: ModelIndex = built.index
        self.costs: CostTerms = built.costs
        self.lp = lp
        self.solution = solution
        self.x = solution.col_value

    def values(self, family: str) -> np.ndarray:
        """Solved values of a variable family, in its declaration order."""
        block = self.lp.layout.columns.get(family)
        if block is None or self.x is None:
            return np.zeros(0)
        return self.x[block.start:block.stop]

    def duals(self, family: str) -> np.ndarray:
        """Duals of a constraint family, in its declaration order (zeros without duals)."""
        block = self.lp.layout.rows.get(family)
        if block is None:
            return np.zeros(0)
        if self.solution.row_dual is None:
            return np.zeros(len(block.keys))
        return self.solution.row_dual[block.start:block.stop]

    def term_columns(self) -> np.ndarray:
        """The LP column of each cost term."""
        starts = {name: block.start for name, block in self.lp.layout.columns.items()}
        offsets = np.array([starts[f] for f in self.costs.family], dtype=np.int64)
        return offsets + self.costs.position

    def node_part_costs(self) -> np.ndarray:
        """Discounted cost per (node, part); the last row holds the once-per-scenario terms."""
        ix = self.ix
        nodes = len(ix.tree.nodes)
        table = np.zeros((nodes + 1, len(COST_PARTS)))
        if self.costs.part.size:
            value = self.costs.discounted(ix.discount) * self.x[self.term_columns()]
            node = np.where(self.costs.node == ONCE, nodes, self.costs.node)
            np.add.at(table, (node, self.costs.part), value)
        return table

    def scenario_parts(self) -> np.ndarray:
        """Cost per (scenario, part): the sum along each scenario's path plus the once-terms."""
        table = self.node_part_costs()
        paths = np.asarray(self.ix.tree.node_of, dtype=np.int64)
        return table[paths].sum(axis=1) + table[-1]


def extract(built: BuiltModel, lp: CompiledLP, solution: Solution) -> PlanResult:
    """All output tables of a solved plan."""
    solved = SolutionReader(built, lp, solution)
    ix = built.index
    plan, tree = ix.plan, ix.tree
    probabilities = np.asarray(tree.probabilities, dtype=float)
    parts = solved.scenario_parts()
    costs = parts.sum(axis=1)
    stock = _Stock(solved)
    shortfall = stock.shortfall_by_scenario()
    end_short = stock.end_shortfall_by_scenario()
    scenarios = SCENARIOS.frame(
        scenario=list(tree.scenario_names), probability=probabilities, cost=costs,
        shortfall=shortfall.sum(axis=1) if same_unit(plan) else np.nan,
        **{part: parts[:, i] for i, part in enumerate(COST_PARTS)})
    commodities = list(plan.commodities)
    scenarios = scenarios.assign(**{f"shortfall: {k}": shortfall[:, i]
                                    for i, k in enumerate(commodities)})
    orders = _orders(solved)
    return PlanResult(
        status=solution.status, objective=solution.objective,
        expected_cost=float(costs @ probabilities),
        cvar=cvar_of(costs.tolist(), probabilities.tolist(), plan.settings.cvar_level),
        cost_parts={part: float(parts[:, i] @ probabilities) for i, part in enumerate(COST_PARTS)},
        total_shortfall=(float(shortfall.sum(axis=1) @ probabilities) if same_unit(plan)
                         else None),
        shortfall_by_commodity={k: float(shortfall[:, i] @ probabilities)
                                for i, k in enumerate(commodities)},
        end_shortfall_by_commodity={k: float(end_short[:, i] @ probabilities)
                                    for i, k in enumerate(commodities)},
        orders=orders, stockpile=stock.table(), concentration=_concentration(solved),
        prices=_prices(solved), scenarios=scenarios, investments=_investments(solved),
        transfers=_transfers(solved), pipeline=_pipeline(solved),
        first_period_orders=_first_period_orders(solved),
        model_size=(lp.num_cols, lp.num_rows, lp.num_nonzeros), tree_nodes=len(tree.nodes),
        highs_status=solution.highs_status, gap=solution.gap,
        max_residual=solution.max_residual, method=solution.method, tried=solution.tried,
        has_basis=solution.has_basis, floors=floor_table(solved),
        budgets=budget_table(solved) if plan.budgets else None, mip_bound=solution.mip_bound,
        mip_gap=solution.mip_gap, mip_seconds=solution.mip_seconds)


def same_unit(plan) -> bool:
    """Whether every commodity shares one unit (so that shortfalls may be added)."""
    return len({c.unit for c in plan.commodities.values()}) <= 1


def relevant_pairs(ix: ModelIndex) -> list[tuple[str, str]]:
    """(commodity, region) pairs that can ever carry anything: demand, a stockpile, arrivals,
    a lane or pipeline goods."""
    plan = ix.plan
    piped = {(plan.commodity_of(plan.routes[a.route]), plan.routes[a.route].region)
             for a in plan.pipeline}
    return [(k, g) for k, g in ix.pairs
            if (k, g) in plan.demand or (k, g) in plan.stockpiles or ix.arrivals[(k, g)]
            or ix.transfers_in[(k, g)] or ix.transfers_out[(k, g)] or (k, g) in piped]


def _labels(ix: ModelIndex, last: int | None = None) -> list[str]:
    """Labels of periods 0..last (index t), for arrival periods past the horizon too."""
    calendar = ix.plan.settings.calendar
    last = last if last is not None else calendar.periods
    return [""] + [calendar.label(t) for t in range(1, last + 1)]


def _order_matrix(solved: SolutionReader) -> tuple[np.ndarray, dict[str, int]]:
    """X[route, node]: solved orders (0 where no order can be placed)."""
    ix = solved.ix
    route_of = {name: i for i, name in enumerate(ix.plan.routes)}
    matrix = np.zeros((len(route_of), len(ix.tree.nodes)))
    if ix.order_keys:
        rows = np.array([route_of[r] for r, _ in ix.order_keys], dtype=np.int64)
        cols = np.array([n for _, n in ix.order_keys], dtype=np.int64)
        matrix[rows, cols] = solved.values("order")
    return matrix, route_of


def _orders(solved: SolutionReader) -> pd.DataFrame:
    ix = solved.ix
    plan, tree = ix.plan, ix.tree
    matrix, route_of = _order_matrix(solved)
    routes = list(plan.routes.values())
    unit = np.zeros_like(matrix)
    freight = np.zeros_like(matrix)
    for (r, n) in ix.order_keys:
        unit[route_of[r], n] = ix.unit_cost[(r, n)]
        freight[route_of[r], n] = ix.freight_cost[(r, n)]
    paths = np.asarray(tree.node_of, dtype=np.int64)          # (W, N)
    quantity = matrix[:, paths]                                # (R, W, N)
    r_idx, w_idx, t_idx = np.nonzero(np.abs(quantity) > ROUND_OFF)
    nodes = paths[w_idx, t_idx]
    q = matrix[r_idx, nodes]
    u = unit[r_idx, nodes]
    f = freight[r_idx, nodes]
    lead = np.array([r.lead_periods for r in routes], dtype=np.int64)[r_idx]
    labels = np.array(_labels(ix), dtype=object)
    order = np.lexsort((r_idx, t_idx, w_idx))
    r_idx, w_idx, t_idx, q, u, f, lead = (a[order] for a in (r_idx, w_idx, t_idx, q, u, f, lead))
    names = np.array([r.name for r in routes], dtype=object)
    suppliers = np.array([r.supplier for r in routes], dtype=object)
    commodities = np.array([plan.commodity_of(r) for r in routes], dtype=object)
    regions = np.array([r.region for r in routes], dtype=object)
    return ORDERS.frame(
        scenario=np.array(tree.scenario_names, dtype=object)[w_idx],
        period=labels[t_idx + 1], arrival_period=labels[t_idx + 1 + lead],
        commodity=commodities[r_idx], supplier=suppliers[r_idx], route=names[r_idx],
        region=regions[r_idx], quantity=q, unit_cost=u, freight_cost=f, cost=q * (u + f))


class _Stock:
    """Stock-balance quantities per (commodity, region, node), gathered along paths."""

    def __init__(self, solved: SolutionReader):
        ix = self.ix = solved.ix
        plan, tree = ix.plan, ix.tree
        self.pairs = relevant_pairs(ix)
        pair_of = ix.pairs.position
        n_nodes = len(tree.nodes)
        shape = (len(ix.pairs), n_nodes)
        self.closing = ix.per_pair(solved.values("stock"))
        self.unmet = ix.per_pair(solved.values("unmet"))
        self.demand = ix.per_pair([ix.demand[key] for key in ix.stock_index])
        self.target = np.zeros(shape)
        below = np.zeros(shape)
        for (k, g, n), value in zip(ix.target, solved.values("below_target"), strict=True):
            self.target[pair_of[(k, g)], n] = ix.target[(k, g, n)]
            below[pair_of[(k, g)], n] = value
        self.below = below
        self.end_short = np.zeros(shape)
        for (k, g, n), value in zip(ix.end_keys, solved.values("end_shortfall"), strict=True):
            self.end_short[pair_of[(k, g)], n] = value
        self.pipeline = np.zeros(shape)
        for (k, g, n), value in ix.pipeline.items():
            self.pipeline[pair_of[(k, g)], n] = value
        sent_from: dict[int, np.ndarray] = {}  # lead -> the node each arrival left from

        def departures(lead: int) -> tuple[np.ndarray, np.ndarray]:
            if lead not in sent_from:
                sent_from[lead] = tree.sent_from_all(lead)
            ok = np.flatnonzero(sent_from[lead] >= 0)
            return ok, sent_from[lead][ok]

        matrix, route_of = _order_matrix(solved)
        self.arrivals = self.pipeline.copy()
        for (k, g), routes in ix.arrivals.items():
            for r, lead in routes:
                ok, source = departures(lead)
                self.arrivals[pair_of[(k, g)], ok] += matrix[route_of[r], source]
        flows = solved.values("transfer").reshape(len(plan.transfers), n_nodes) \
            if plan.transfers else np.zeros((0, n_nodes))
        self.moved_in = np.zeros(shape)
        self.moved_out = np.zeros(shape)
        for f, lane in enumerate(plan.transfers):
            self.moved_out[pair_of[(lane.commodity, lane.from_region)]] += flows[f]
            ok, source = departures(lane.lead_periods)
            self.moved_in[pair_of[(lane.commodity, lane.to_region)], ok] += flows[f, source]
        self.paths = np.asarray(tree.node_of, dtype=np.int64)

    def shortfall_by_scenario(self) -> np.ndarray:
        """Unmet demand per (scenario, commodity), summed over regions and periods."""
        ix = self.ix
        along = ix.tree.along_paths(self.unmet)                # (pairs, W)
        return np.ascontiguousarray(ix.pairs.by_commodity(along, list(ix.plan.commodities)).T)

    def end_shortfall_by_scenario(self) -> np.ndarray:
        """Stock below end_stock per (scenario, commodity) at the end of the horizon."""
        ix = self.ix
        last = self.paths[:, -1] if self.paths.size else np.zeros(0, dtype=np.int64)
        ends = ix.pairs.by_commodity(self.end_short[:, last], list(ix.plan.commodities))
        return np.ascontiguousarray(ends.T)

    def table(self) -> pd.DataFrame:
        ix = self.ix
        plan, tree = ix.plan, ix.tree
        dpp = plan.settings.calendar.days_per_period
        n = plan.settings.periods
        rows = ix.pairs.rows(self.pairs)
        paths = self.paths                                     # (W, N)
        W = paths.shape[0]

        def along(values: np.ndarray) -> np.ndarray:            # (P, W, N) -> flat W, P, N
            return values[rows][:, paths].transpose(1, 0, 2).reshape(-1)

        initial = np.array([plan.stockpile(*key).initial_stock for key in self.pairs])
        closing = self.closing[rows][:, paths]                  # (P, W, N)
        opening = np.concatenate([np.broadcast_to(initial[:, None, None], (len(rows), W, 1)),
                                  closing[:, :, :-1]], axis=2)
        demand = along(self.demand)
        closing_flat = closing.transpose(1, 0, 2).reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(demand > 0, closing_flat * dpp / demand, np.nan)
        target = along(self.target)
        end_stock = np.array([plan.stockpile(*key).end_stock for key in self.pairs])
        last = np.zeros((W, len(rows), n), dtype=bool)
        last[:, :, -1] = True
        end_values = np.broadcast_to(end_stock[None, :, None], (W, len(rows), n)).reshape(-1)
        is_last = last.reshape(-1)
        labels = np.array(_labels(ix)[1:], dtype=object)
        count = W * len(rows) * n
        return STOCKPILE.frame(
            scenario=np.repeat(np.array(tree.scenario_names, dtype=object), len(rows) * n),
            commodity=np.tile(np.repeat(np.array([k for k, _ in self.pairs], dtype=object), n),
                              W),
            region=np.tile(np.repeat(np.array([g for _, g in self.pairs], dtype=object), n), W),
            period=np.tile(labels, W * len(rows)) if count else labels[:0],
            opening=opening.transpose(1, 0, 2).reshape(-1), arrivals=along(self.arrivals),
            transfers_in=along(self.moved_in), transfers_out=along(self.moved_out),
            demand=demand, shortfall=along(self.unmet), closing=closing_flat, target=target,
            below_target=np.maximum(0.0, target - closing_flat), days_of_cover=cover,
            end_stock=np.where(is_last, end_values, np.nan),
            end_shortfall=np.where(is_last, along(self.end_short), np.nan))


def _prices(solved: SolutionReader) -> pd.DataFrame:
    """Prices.marginal_cost[k, g, t] = sum over the period's nodes of the stock-balance dual."""
    ix = solved.ix
    n = ix.plan.settings.periods
    duals = ix.per_pair(solved.duals("stock_balance"))
    totals = np.zeros((len(ix.pairs), n))
    periods = np.asarray(ix.periods_of_node, dtype=np.int64) - 1
    if duals.size:
        np.add.at(totals, (slice(None), periods), duals)
    pairs = relevant_pairs(ix)
    rows = ix.pairs.rows(pairs)
    labels = np.array(_labels(ix)[1:], dtype=object)
    values = totals[rows].reshape(-1) if len(rows) else np.zeros(0)
    return PRICES.frame(
        commodity=np.repeat(np.array([k for k, _ in pairs], dtype=object), n),
        region=np.repeat(np.array([g for _, g in pairs], dtype=object), n),
        period=np.tile(labels, len(pairs)), marginal_cost=values,
        one_more_unit=np.full(len(values), np.nan), holds_up_to=np.full(len(values), np.nan),
        method="dual (not checked)", note="")


def worth_per_point(dual: float, scope_supply: float) -> float:
    """What one percentage point of a concentration limit's share is worth on one row (money):
    0.01 * |mu| * S, mu the row's dual and S the supply in its scope (docs/model.md, (8))."""
    return 0.01 * abs(dual) * scope_supply


def concentration_windows(ix: ModelIndex) -> list[tuple[tuple, list[int]]]:
    """The Concentration sheet's windows in sheet order: (limit, commodity, value, scope) and
    the concentration rows (positions in `ix.concentration`) of that window, one per bound.
    Each window is one sheet row per scenario sharing it (`ix.concentration[i].scenarios`)."""
    merged: dict[tuple, list[int]] = {}
    for i, row in enumerate(ix.concentration):
        merged.setdefault((row.limit, row.commodity, row.value, row.scope), []).append(i)
    return list(merged.items())


def row_binds(dual: float, slack: float, total: float) -> bool:
    """A concentration row binds when its dual is not 0 or its share sits at the bound."""
    return abs(dual) > DUAL_ZERO or (total > ROUND_OFF and slack <= BINDS * max(1.0, total))


def concentration_binding(solved: SolutionReader) -> np.ndarray:
    """Whether each concentration row binds (`row_binds`), in the rows' order."""
    ix = solved.ix
    order_col = {key: i for i, key in enumerate(ix.order_keys)}
    x = solved.values("order")
    totals = solved.values("scope_supply")
    duals = solved.duals("concentration")
    flags = np.zeros(len(ix.concentration), dtype=bool)
    for i, row in enumerate(ix.concentration):
        limit = ix.plan.limits[row.limit]
        has = float(sum(x[order_col[key]] for key in row.has_orders))
        total = float(totals[row.scope]) if totals.size else 0.0
        share = limit.max_share if row.bound == "max" else limit.min_share
        dual = float(duals[i]) if duals.size else 0.0
        slack = share * total - has if row.bound == "max" else has - share * total
        flags[i] = row_binds(dual, slack, total)
    return flags


def _concentration(solved: SolutionReader) -> pd.DataFrame:
    """Share of each limit per scenario and window, whether it binds, and the dual's rate per
    point of the limit: 0.01 * |dual| * supply in scope, split over the scenarios sharing the
    row in proportion to their probability. A limit with both bounds shows one row per window.
    What a whole point is worth (re-solved) is filled in by the sensitivity analysis."""
    ix = solved.ix
    plan, tree = ix.plan, ix.tree
    labels = _labels(ix)
    order_col = {key: i for i, key in enumerate(ix.order_keys)}
    x = solved.values("order")
    totals = solved.values("scope_supply")
    duals = solved.duals("concentration")
    flags = concentration_binding(solved)
    records = []
    for _key, rows in concentration_windows(ix):
        row = ix.concentration[rows[0]]
        has = float(sum(x[order_col[key]] for key in row.has_orders))
        total = float(totals[row.scope]) if totals.size else 0.0
        worth = sum(worth_per_point(float(duals[i]), total) for i in rows) if duals.size else 0.0
        binding = bool(flags[rows].any())
        limit = plan.limits[row.limit]
        weights = np.array([tree.probabilities[w] for w in row.scenarios])
        fractions = weights / weights.sum() if weights.sum() > 0 else \
            np.full(len(weights), 1.0 / len(weights))
        whole = limit.basis != "period" and len(row.window) == plan.settings.periods
        period = "horizon" if whole else labels[row.window[0]]
        for w, fraction in zip(row.scenarios, fractions.tolist(), strict=True):
            records.append((
                row.limit, tree.scenario_names[w], row.commodity, row.region, row.attribute,
                row.value, period, limit.basis_label, labels[row.window[-1]],
                has / total if total > ROUND_OFF else None,
                limit.max_share, limit.min_share, binding, worth * fraction,
                None, None, None, None, "not measured", total))
    return CONCENTRATION.frame(records)


def _investments(solved: SolutionReader) -> pd.DataFrame:
    plan = solved.ix.plan
    built = solved.values("build")
    calendar = plan.settings.calendar
    rate = solved.ix.capex_rate  # capex in the planning currency (docs/model.md 15.4)
    return INVESTMENTS.frame([
        (j, p.supplier if p.stockpile is None else f"storage: {p.commodity} in {p.region}",
         calendar.label(p.first_period), float(built[i]), p.max_capacity,
         p.capex * rate.get(j, 1.0), p.capex * rate.get(j, 1.0) * float(built[i]))
        for i, (j, p) in enumerate(plan.projects.items())])


def _transfers(solved: SolutionReader) -> pd.DataFrame:
    ix = solved.ix
    plan, tree = ix.plan, ix.tree
    lanes = plan.transfers
    if not lanes:
        return TRANSFERS.frame([])
    flows = solved.values("transfer").reshape(len(lanes), len(tree.nodes))
    labels = _labels(ix, plan.settings.periods + max(f.lead_periods for f in lanes))
    records = []
    for w, name in enumerate(tree.scenario_names):
        for t, n in enumerate(tree.node_of[w], start=1):
            for f, lane in enumerate(lanes):
                q = float(flows[f, n])
                if abs(q) > ROUND_OFF:
                    records.append((name, labels[t], labels[t + lane.lead_periods],
                                    lane.commodity, lane.from_region, lane.to_region, q,
                                    q * lane.cost))
    return TRANSFERS.frame(records)


def _pipeline(solved: SolutionReader) -> pd.DataFrame:
    ix = solved.ix
    plan, tree, factors = ix.plan, ix.tree, ix.factors
    labels = _labels(ix)
    records = []
    for w, name in enumerate(tree.scenario_names):
        for arrival in plan.pipeline:
            route = plan.routes[arrival.route]
            b = float(factors.route_capacity[factors.route_index[route.name], w,
                                             arrival.period - 1])
            records.append((name, route.name, route.supplier, plan.commodity_of(route),
                            route.region, labels[arrival.period], arrival.quantity,
                            arrival.quantity * b, arrival.quantity * (1.0 - b)))
    return PIPELINE.frame(records)


def scenario_list(names: list[str], total: int, shown: int = 4) -> str:
    """The scenarios sharing a decision, short enough to read beside it: all of them up to
    `shown`, else how many and the first few (sampled plans have hundreds)."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{len(names)} of {total}: {', '.join(names[:shown - 1])}, ..."


def _first_period_orders(solved: SolutionReader) -> pd.DataFrame:
    """Orders of period 1, one row per route and first-period node (the scenarios sharing it
    named), since a disruption that starts in period 1 is known when the plan is made."""
    ix = solved.ix
    tree = ix.tree
    records = []
    matrix, route_of = _order_matrix(solved)
    for node in tree.nodes:
        if node.t != 1:
            continue
        names = scenario_list([tree.scenario_names[w] for w in node.scenarios],
                              len(tree.scenario_names))
        for r, route in ix.plan.routes.items():
            q = float(matrix[route_of[r], node.id])
            if abs(q) > ROUND_OFF:
                records.append((ix.plan.commodity_of(route), route.supplier, r, route.region, q,
                                names))
    return FIRST_ORDERS.frame(records)
