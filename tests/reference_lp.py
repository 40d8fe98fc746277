"""A second, deliberately plain implementation of model.md, for cross-checking.

Decisions are indexed by scenario (x[r,t,w], ...) and non-anticipativity is written as explicit
equalities between scenarios whose factors agree so far, exactly as model.md states it. It shares
nothing with model/build or model/scenarios: only the validated PlanData is common.
"""

from __future__ import annotations

import math
from collections import defaultdict

import highspy
import numpy as np

from model.data import PlanData

INF = highspy.kHighsInf


class LP:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, lower: float = 0.0, upper: float = INF, cost: float = 0.0) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lower: float, upper: float) -> None:
        self.rows.append((coefs, lower, upper))

    def solve(self) -> tuple[str, float | None]:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        n = len(self.cost)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = np.array(self.cost)
        lp.col_lower_ = np.array(self.lower)
        lp.col_upper_ = np.array(self.upper)
        lp.row_lower_ = np.array([r[1] for r in self.rows])
        lp.row_upper_ = np.array([r[2] for r in self.rows])
        columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for i, (coefs, _, _) in enumerate(self.rows):
            for j, v in coefs.items():
                if v != 0:
                    columns[j].append((i, v))
        start, index, value = [0], [], []
        for col in columns:
            for i, v in col:
                index.append(i)
                value.append(v)
            start.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        h.passModel(lp)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", h.getInfo().objective_function_value
        return h.modelStatusToString(status), None


def _add(coefs: dict[int, float], j: int, v: float) -> None:
    coefs[j] = coefs.get(j, 0.0) + v


def reference_objective(plan: PlanData) -> tuple[str, float | None]:
    """Solve model.md for `plan` in its plain scenario form."""
    s_ = plan.settings
    N = s_.periods
    dpp = 365.0 / s_.calendar.periods_per_year
    T = range(1, N + 1)
    W = list(plan.scenarios)
    p = {w: plan.scenarios[w].probability for w in W}
    K, G = list(plan.commodities), list(plan.regions)

    def active(w: str, t: int):
        return [d for d in plan.disruptions if d.scenario == w and d.start <= t <= d.end]

    def a(s: str, t: int, w: str, field: str) -> float:
        sup = plan.suppliers[s]
        out = 1.0
        for d in active(w, t):
            if (d.target_type == "supplier" and d.target == s) or \
                    (d.target_type == "origin_country" and d.target == sup.origin_country) or \
                    (d.target_type == "processing_country" and d.target == sup.processing_country):
                out *= getattr(d, field)
        return out

    def b(r: str, t: int, w: str, field: str) -> float:
        route = plan.routes[r]
        out = 1.0
        for d in active(w, t):
            if (d.target_type == "route" and d.target == r) or \
                    (d.target_type == "chokepoint" and d.target in route.chokepoints):
                out *= getattr(d, field)
        return out

    def e(k: str, g: str, t: int, w: str) -> float:
        out = 1.0
        for d in active(w, t):
            if d.target_type == "demand" and d.target in (k, f"{k}@{g}"):
                out *= d.demand_factor
        return out

    def signature(w: str, t: int) -> tuple:
        sig = [round(a(s, t, w, f), 12) for s in plan.suppliers
               for f in ("capacity_factor", "cost_factor")]
        sig += [round(b(r, t, w, f), 12) for r in plan.routes
                for f in ("capacity_factor", "cost_factor")]
        sig += [round(e(k, g, t, w), 12) for k in K for g in G]
        return tuple(sig)

    def L(days: float) -> int:
        return math.floor(days / dpp + 0.5)

    def d(t: int) -> float:
        return (1 + s_.discount_rate) ** (-(t - 1) / s_.calendar.periods_per_year)

    lp = LP()
    lam, beta = s_.risk_weight, s_.cvar_level
    z = {j: lp.var(0.0, INF if pr.max_capacity is None else pr.max_capacity)
         for j, pr in plan.projects.items()}
    x, I, u, v, y = {}, {}, {}, {}, {}  # noqa: E741 (model.md names)
    cost_terms: dict[str, dict[int, float]] = {w: defaultdict(float) for w in W}
    for w in W:
        for t in T:
            for r, route in plan.routes.items():
                sup = plan.suppliers[route.supplier]
                upper = INF if route.capacity is None else route.capacity
                factor = b(r, t, w, "capacity_factor")
                upper = 0.0 if factor == 0 else upper * factor
                x[r, t, w] = lp.var(0.0, upper)
                price = (sup.unit_cost_per_period[t - 1] * a(route.supplier, t, w, "cost_factor")
                         + route.freight_cost * b(r, t, w, "cost_factor"))
                cost_terms[w][x[r, t, w]] += d(t) * price
            for k in K:
                com = plan.commodities[k]
                for g in G:
                    st = plan.stockpile(k, g)
                    D = plan.demand_of(k, g)[t - 1] * e(k, g, t, w)
                    I[k, g, t, w] = lp.var(0.0, INF if st.capacity is None else st.capacity)
                    u[k, g, t, w] = lp.var(0.0, D)
                    v[k, g, t, w] = lp.var()
                    cost_terms[w][I[k, g, t, w]] += d(t) * st.holding_cost
                    cost_terms[w][u[k, g, t, w]] += d(t) * com.shortage_penalty
                    cost_terms[w][v[k, g, t, w]] += d(t) * com.target_penalty
            for f, lane in enumerate(plan.transfers):
                y[f, t, w] = lp.var(0.0, INF if lane.capacity is None else lane.capacity)
                cost_terms[w][y[f, t, w]] += d(t) * lane.cost
        for j, pr in plan.projects.items():
            cost_terms[w][z[j]] += pr.capex

    for w in W:
        for t in T:
            for k in K:
                for g in G:
                    st = plan.stockpile(k, g)
                    D = plan.demand_of(k, g)[t - 1] * e(k, g, t, w)
                    row: dict[int, float] = {}
                    rhs = D
                    if t == 1:
                        rhs -= st.initial_stock
                    else:
                        _add(row, I[k, g, t - 1, w], 1)
                    for r, route in plan.routes.items():
                        if plan.suppliers[route.supplier].commodity == k and route.region == g:
                            tt = t - L(route.lead_time_days)
                            if tt >= 1:
                                _add(row, x[r, tt, w], 1)
                    for f, lane in enumerate(plan.transfers):
                        if lane.commodity != k:
                            continue
                        if lane.to_region == g and t - L(lane.lead_time_days) >= 1:
                            _add(row, y[f, t - L(lane.lead_time_days), w], 1)
                        if lane.from_region == g:
                            _add(row, y[f, t, w], -1)
                    _add(row, u[k, g, t, w], 1)
                    _add(row, I[k, g, t, w], -1)
                    lp.row(row, rhs, rhs)
                    target = max(st.target_stock, st.target_days * D / dpp)
                    lp.row({I[k, g, t, w]: 1, v[k, g, t, w]: 1}, target, INF)
            for s, sup in plan.suppliers.items():
                routes = [r for r, rt in plan.routes.items() if rt.supplier == s]
                fac = a(s, t, w, "capacity_factor")
                row = {x[r, t, w]: 1.0 for r in routes}
                for j, pr in plan.projects.items():
                    if pr.supplier == s and t >= pr.first_period:
                        _add(row, z[j], -fac)
                lp.row(row, -INF, sup.capacity_per_period[t - 1] * fac)
                if sup.available(t) and sup.min_take > 0:
                    lp.row({x[r, t, w]: 1.0 for r in routes}, sup.min_take * fac, INF)

    def has(r: str, attribute: str) -> set[str]:
        route = plan.routes[r]
        sup = plan.suppliers[route.supplier]
        return {
            "origin_country": {sup.origin_country},
            "processing_country": {sup.processing_country},
            "origin_group": set(plan.groups.get(sup.origin_country, ())),
            "processing_group": set(plan.groups.get(sup.processing_country, ())),
            "supplier": {sup.name}, "route": {r}, "chokepoint": set(route.chokepoints),
        }[attribute]

    for limit in plan.limits.values():
        scenarios = limit.scenarios or tuple(W)
        for k in (K if limit.commodity == "*" else [limit.commodity]):
            scope = [r for r, rt in plan.routes.items()
                     if plan.suppliers[rt.supplier].commodity == k
                     and (limit.region == "*" or rt.region == limit.region)]
            values = ({val for r in scope for val in has(r, limit.attribute)}
                      if limit.value == "*" else {limit.value})
            for val in values:
                for w in scenarios:
                    periods = [[t] for t in T] if limit.basis == "period" else [list(T)]
                    for ts in periods:
                        row = {}
                        for t in ts:
                            for r in scope:
                                coef = -limit.max_share + (1.0 if val in has(r, limit.attribute)
                                                           else 0.0)
                                _add(row, x[r, t, w], coef)
                        lp.row(row, -INF, 0.0)

    # Non-anticipativity, pairwise against the first scenario of each class.
    for t in T:
        classes: dict[tuple, list[str]] = defaultdict(list)
        for w in W:
            classes[tuple(signature(w, tt) for tt in range(1, t + 1))].append(w)
        for members in classes.values():
            first = members[0]
            for w in members[1:]:
                pairs = [(x[r, t, first], x[r, t, w]) for r in plan.routes]
                pairs += [(m[k, g, t, first], m[k, g, t, w]) for m in (I, u, v)
                          for k in K for g in G]
                pairs += [(y[f, t, first], y[f, t, w]) for f in range(len(plan.transfers))]
                for j1, j2 in pairs:
                    lp.row({j1: 1.0, j2: -1.0}, 0.0, 0.0)

    # Objective: (1 - lambda) E[Cost] + lambda CVaR.
    for w in W:
        for j, c in cost_terms[w].items():
            lp.cost[j] += (1 - lam) * p[w] * c
    if lam > 0:
        zeta = lp.var(-INF, INF, lam)
        for w in W:
            eta = lp.var(0.0, INF, lam * p[w] / (1 - beta))
            row = {eta: 1.0, zeta: 1.0}
            for j, c in cost_terms[w].items():
                _add(row, j, -c)
            lp.row(row, 0.0, INF)
    return lp.solve()
