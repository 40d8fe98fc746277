"""Tidy result tables and duals from a solved model. Writers never see Pyomo; this module
turns the solved model into pandas tables with the output contract's column names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from .build import BuiltModel
from .solve import PlanSolver, Solution

QUANTITY_EPSILON = 1e-9
COST_PARTS = ("purchase_cost", "freight_cost", "holding_cost", "shortage_penalty",
              "target_penalty", "transfer_cost", "investment_cost")


@dataclass
class PlanResult:
    """Everything the plan workbook shows, as tables."""

    status: str
    objective: float | None
    expected_cost: float
    cvar: float
    cost_parts: dict[str, float]
    total_shortfall: float
    shortfall_by_commodity: dict[str, float]
    orders: pd.DataFrame
    stockpile: pd.DataFrame
    concentration: pd.DataFrame
    prices: pd.DataFrame
    scenarios: pd.DataFrame
    investments: pd.DataFrame
    transfers: pd.DataFrame
    first_period_orders: pd.DataFrame
    tradeoff: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    model_size: tuple[int, int, int] = (0, 0, 0)
    highs_status: str = ""
    gap: float | None = None
    max_residual: float = 0.0


def cvar_of(costs: list[float], probabilities: list[float], beta: float) -> float:
    """CVaR_beta = min_zeta zeta + sum_w p_w max(0, Cost_w - zeta) / (1 - beta).

    The minimum lies at one of the scenario costs, so it is found by trying each.
    """
    if not costs:
        return 0.0
    best = float("inf")
    for zeta in costs:
        tail = sum(p * max(0.0, c - zeta) for c, p in zip(costs, probabilities, strict=True))
        best = min(best, zeta + tail / (1.0 - beta))
    return best


def values_from(solver: PlanSolver, solution: Solution, component: Any) -> dict[Any, float]:
    """Solved values of an indexed variable by index, read from the solution array.

    A component's variables occupy consecutive columns (the hand-off numbers them in model
    order), so its values are one slice.
    """
    variables = list(component.values())
    if not variables or solution.col_value is None:
        return {}
    col_of = solver.lp.col_of
    first = col_of[id(variables[0])]
    if col_of[id(variables[-1])] == first + len(variables) - 1:
        values = solution.col_value[first:first + len(variables)].tolist()
    else:  # not contiguous (never expected): one lookup per variable
        values = [float(solution.col_value[col_of[id(v)]]) for v in variables]
    return dict(zip(component.keys(), values, strict=True))


def cached_labels(calendar: Any) -> Any:
    """calendar.label, remembered per period."""
    known: dict[int, str] = {}

    def label(t: int) -> str:
        found = known.get(t)
        if found is None:
            found = known[t] = calendar.label(t)
        return found
    return label


def extract(built: BuiltModel, solver: PlanSolver, solution: Solution) -> PlanResult:
    """All output tables of a solved plan."""
    with PauseGC():  # hundreds of thousands of row dicts; no cycles among them
        return _extract(built, solver, solution)


def _extract(built: BuiltModel, solver: PlanSolver, solution: Solution) -> PlanResult:
    m, ix = built.model, built.index
    plan, tree = ix.plan, ix.tree
    calendar = plan.settings.calendar
    n_periods = plan.settings.periods
    names = tree.scenario_names
    probabilities = tree.probabilities
    discount = [plan.settings.discount_factor(t) for t in range(1, n_periods + 1)]

    def solved(component: Any) -> dict[Any, float]:
        return values_from(solver, solution, component)

    order_value = solved(m.order)
    transfer_value, stock_value = solved(m.transfer), solved(m.stock)
    unmet_value, below_value = solved(m.unmet), solved(m.below_target)
    label = cached_labels(calendar)
    parts = {w: dict.fromkeys(COST_PARTS, 0.0) for w in range(len(names))}
    shortfall = {w: 0.0 for w in range(len(names))}
    shortfall_k = {w: dict.fromkeys(plan.commodities, 0.0) for w in range(len(names))}

    built_value = solved(m.build)
    invest_cost = sum(p.capex * built_value[j] for j, p in plan.projects.items())
    for w in parts:
        parts[w]["investment_cost"] = invest_cost

    order_rows = []
    for w, name in enumerate(names):
        for t in range(1, n_periods + 1):
            n = tree.node_of[w][t - 1]
            for r, route in plan.routes.items():
                q = order_value[(r, n)]
                if abs(q) <= QUANTITY_EPSILON:
                    continue
                unit, freight = ix.unit_cost[(r, n)], ix.freight_cost[(r, n)]
                parts[w]["purchase_cost"] += discount[t - 1] * unit * q
                parts[w]["freight_cost"] += discount[t - 1] * freight * q
                order_rows.append((
                    name, label(t), label(t + route.lead_periods),
                    plan.suppliers[route.supplier].commodity, route.supplier, r, route.region,
                    q, unit, freight, q * (unit + freight), t + route.lead_periods <= n_periods))
    orders = pd.DataFrame.from_records(order_rows, columns=[
        "scenario", "period", "arrival_period", "commodity", "supplier", "route", "region",
        "quantity", "unit_cost", "freight_cost", "cost", "arrives_in_horizon"])

    transfer_rows = []
    stock_rows = []
    dpp = calendar.days_per_period
    for w, name in enumerate(names):
        path = tree.node_of[w]
        for k, g in ix.stock_keys:
            commodity = plan.commodities[k]
            stock = plan.stockpile(k, g)
            opening = stock.initial_stock
            if not _relevant(plan, ix, k, g):
                continue
            for t in range(1, n_periods + 1):
                n = path[t - 1]
                arrivals = sum(order_value[(r, path[t - lead - 1])]
                               for r, lead in ix.arrivals[(k, g)] if t - lead >= 1)
                t_in = sum(transfer_value[f, path[t - lead - 1]]
                           for f, lead in ix.transfers_in[(k, g)] if t - lead >= 1)
                t_out = sum(transfer_value[f, n] for f in ix.transfers_out[(k, g)])
                closing = stock_value[k, g, n]
                unmet = unmet_value[k, g, n]
                demand = ix.demand[(k, g, n)]
                target = ix.target.get((k, g, n), 0.0)
                below = below_value[k, g, n] if (k, g, n) in ix.target else 0.0
                d = discount[t - 1]
                parts[w]["holding_cost"] += d * stock.holding_cost * closing
                parts[w]["shortage_penalty"] += d * commodity.shortage_penalty * unmet
                parts[w]["target_penalty"] += d * commodity.target_penalty * below
                shortfall[w] += unmet
                shortfall_k[w][k] += unmet
                stock_rows.append((
                    name, k, g, label(t), opening, arrivals, t_in, t_out, demand, unmet,
                    closing, target, max(0.0, target - closing),
                    closing * dpp / demand if demand > 0 else None))
                opening = closing
        for f, lane in enumerate(plan.transfers):
            for t in range(1, n_periods + 1):
                q = transfer_value[f, path[t - 1]]
                parts[w]["transfer_cost"] += discount[t - 1] * lane.cost * q
                if abs(q) > QUANTITY_EPSILON:
                    transfer_rows.append((
                        name, label(t), label(t + lane.lead_periods), lane.commodity,
                        lane.from_region, lane.to_region, q, q * lane.cost))
    stockpile = pd.DataFrame.from_records(stock_rows, columns=[
        "scenario", "commodity", "region", "period", "opening", "arrivals", "transfers_in",
        "transfers_out", "demand", "shortfall", "closing", "target", "below_target",
        "days_of_cover"])
    transfers = pd.DataFrame.from_records(transfer_rows, columns=[
        "scenario", "period", "arrival_period", "commodity", "from_region", "to_region",
        "quantity", "cost"])

    costs = [sum(parts[w].values()) for w in range(len(names))]
    expected = float(np.dot(costs, probabilities)) if costs else 0.0
    cvar = cvar_of(costs, list(probabilities), plan.settings.cvar_level)
    scenarios = pd.DataFrame({
        "scenario": list(names), "probability": list(probabilities), "cost": costs,
        "shortfall": [shortfall[w] for w in range(len(names))],
        **{part: [parts[w][part] for w in range(len(names))] for part in COST_PARTS},
    })
    expected_parts = {part: float(sum(p * parts[w][part] for w, p in enumerate(probabilities)))
                      for part in COST_PARTS}

    prices = _prices(built, solver, solution)
    concentration = _concentration(built, solver, solution, order_value)
    investments = pd.DataFrame([{
        "project": j, "supplier": p.supplier, "first_period": calendar.label(p.first_period),
        "capacity_built": built_value[j], "max_capacity": p.max_capacity,
        "capex_per_unit": p.capex, "investment_cost": p.capex * built_value[j],
    } for j, p in plan.projects.items()], columns=[
        "project", "supplier", "first_period", "capacity_built", "max_capacity",
        "capex_per_unit", "investment_cost"])
    first = orders[orders["period"] == calendar.label(1)]
    first = (first.groupby(["commodity", "supplier", "route", "region"], as_index=False,
                           sort=False)["quantity"].first() if len(first) else
             first[["commodity", "supplier", "route", "region", "quantity"]])
    return PlanResult(
        status=solution.status, objective=solution.objective, expected_cost=expected,
        cvar=cvar, cost_parts=expected_parts,
        total_shortfall=float(sum(p * shortfall[w] for w, p in enumerate(probabilities))),
        shortfall_by_commodity={k: float(sum(p * shortfall_k[w][k]
                                             for w, p in enumerate(probabilities)))
                                for k in plan.commodities},
        orders=orders.drop(columns=["arrives_in_horizon"]), stockpile=stockpile,
        concentration=concentration, prices=prices, scenarios=scenarios,
        investments=investments, transfers=transfers, first_period_orders=first,
        model_size=solver.size, highs_status=solution.highs_status, gap=solution.gap,
        max_residual=solution.max_residual)


def _relevant(plan: Any, ix: Any, k: str, g: str) -> bool:
    """Whether (k, g) can ever carry anything: demand, a stockpile, arrivals or a lane."""
    return ((k, g) in plan.demand or (k, g) in plan.stockpiles or bool(ix.arrivals[(k, g)])
            or bool(ix.transfers_in[(k, g)]) or bool(ix.transfers_out[(k, g)]))


def _prices(built: BuiltModel, solver: PlanSolver, solution: Solution) -> pd.DataFrame:
    """Prices.marginal_cost[k, g, t] = sum over the period's nodes of the balance dual."""
    m, ix = built.model, built.index
    calendar = ix.plan.settings.calendar
    totals: dict[tuple[str, str, int], float] = {}
    for k, g, n in m.STOCK:
        key = (k, g, ix.t(n))
        totals[key] = totals.get(key, 0.0) + solver.dual(solution, m.stock_balance[k, g, n])
    rows = [{"commodity": k, "region": g, "period": calendar.label(t), "marginal_cost": v}
            for (k, g, t), v in totals.items() if _relevant(ix.plan, ix, k, g)]
    return pd.DataFrame(rows, columns=["commodity", "region", "period", "marginal_cost"])


def _concentration(built: BuiltModel, solver: PlanSolver, solution: Solution,
                   order_value: dict[tuple[str, int], float]) -> pd.DataFrame:
    """Share of each limit per scenario and period, whether it binds, and what a point of
    max_share is worth: 0.01 * |dual| * supply in scope, split over the scenarios sharing the
    row in proportion to their probability."""
    m, ix = built.model, built.index
    tree = ix.tree
    label = cached_labels(ix.plan.settings.calendar)
    shares = {name: float(pyo.value(m.max_share[name])) for name in ix.plan.limits}
    totals = [sum(order_value[key] for key in scope) for scope in ix.scopes]
    rows = []
    for i, row in enumerate(ix.concentration):
        share_limit = shares[row.limit]
        has = sum(order_value[key] for key in row.has_orders)
        total = totals[row.scope]
        dual = solver.dual(solution, m.concentration[i])
        slack = share_limit * total - has
        binding = abs(dual) > 1e-9 or (total > QUANTITY_EPSILON
                                       and slack <= 1e-7 * max(1.0, total))
        worth = 0.01 * abs(dual) * total
        weights = [tree.probabilities[w] for w in row.scenarios]
        weight_sum = sum(weights)
        for w, weight in zip(row.scenarios, weights, strict=True):
            fraction = weight / weight_sum if weight_sum > 0 else 1.0 / len(row.scenarios)
            rows.append({
                "limit": row.limit, "scenario": tree.scenario_names[w],
                "commodity": row.commodity, "region": row.region,
                "attribute": row.attribute, "value": row.value,
                "period": "horizon" if row.t is None else label(row.t),
                "share": has / total if total > QUANTITY_EPSILON else None,
                "max_share": share_limit, "binding": bool(binding),
                "marginal_cost_per_point": worth * fraction,
                "supply": total,
            })
    return pd.DataFrame(rows, columns=[
        "limit", "scenario", "commodity", "region", "attribute", "value", "period", "share",
        "max_share", "binding", "marginal_cost_per_point", "supply"])


@dataclass
class PointSummary:
    """The few figures a trade-off point needs, without building the full tables."""

    expected_cost: float
    cvar: float
    total_shortfall: float
    limit_worth: dict[str, float]


class PointEvaluator:
    """Scenario costs, shortfall and limit worth straight from the solver's arrays.

    Built once per model (a sparse map from columns to each node's discounted cost), then
    cheap for every re-solve of a sweep.
    """

    def __init__(self, built: BuiltModel, solver: PlanSolver):
        from .build.objective import NodeCosts, investment_terms

        m, ix = built.model, built.index
        col_of = solver.lp.col_of
        self.tree = ix.tree
        self.beta = ix.plan.settings.cvar_level
        self.node_terms = []
        costs = NodeCosts(m, ix)
        for n in ix.nodes:
            terms = costs.terms(n)
            self.node_terms.append((np.array([col_of[id(v)] for _, v in terms], dtype=np.int64),
                                    np.array([c for c, _ in terms], dtype=float)))
        capex = investment_terms(m, ix)
        self.capex = (np.array([col_of[id(v)] for _, v in capex], dtype=np.int64),
                      np.array([c for c, _ in capex], dtype=float))
        self.unmet = [np.array([col_of[id(m.unmet[k, g, n])] for k, g in ix.stock_keys],
                               dtype=np.int64) for n in ix.nodes]
        self.limit_rows: dict[str, list[tuple[int, np.ndarray]]] = {}
        for i, row in enumerate(ix.concentration):
            cols = np.array([col_of[id(m.order[key])] for key in row.all_orders], dtype=np.int64)
            self.limit_rows.setdefault(row.limit, []).append(
                (solver.lp.row_of[id(m.concentration[i])], cols))

    def evaluate(self, solution: Solution) -> PointSummary:
        """Expected cost, CVaR, expected shortfall and each limit's worth of one point."""
        x = solution.col_value
        node_cost = np.array([float(c @ x[cols]) for cols, c in self.node_terms])
        node_short = np.array([float(x[cols].sum()) for cols in self.unmet])
        invest = float(self.capex[1] @ x[self.capex[0]]) if self.capex[0].size else 0.0
        costs = [float(node_cost[list(path)].sum()) + invest for path in self.tree.node_of]
        shortfalls = [float(node_short[list(path)].sum()) for path in self.tree.node_of]
        p = list(self.tree.probabilities)
        duals = solution.row_dual if solution.row_dual is not None else np.zeros(0)
        worth = {limit: float(sum(0.01 * abs(duals[row]) * x[cols].sum() for row, cols in rows))
                 if duals.size else 0.0 for limit, rows in self.limit_rows.items()}
        return PointSummary(float(np.dot(costs, p)), cvar_of(costs, p, self.beta),
                            float(np.dot(shortfalls, p)), worth)
