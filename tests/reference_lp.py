"""A second, deliberately plain implementation of the model (docs/model.md), for cross-checks.

Every decision is indexed by scenario (x[r,t,w], I[k,g,t,w], ...) and non-anticipativity is
written as explicit equalities between scenarios whose factor histories agree, exactly as
model.md states it. Nothing is shared with the planner (model/formulation,
model/domain/scenarios, ...): only the validated inputs (model.domain.data.PlanData) are common.

Public functions
- reference_objective(plan) -> (status, objective): the stochastic LP ("RP").
- reference_values(plan) -> {rp, ws, ev, eev, evpi, vss} as model.md's section 10 ("The value
  of information: EVPI and VSS") defines them.
- reference_expected_cost_parts(plan) -> the RP optimum's expected cost parts, expected_cost
  and cvar.

Interpretations where model.md leaves room (each written where it is used, too):
- Factor matching: a disruption row multiplies a factor at most once per supplier / route /
  (commodity, region), however many of the supplier's countries or route's chokepoints it
  names. An `origin_country` row looks at the origin only, a `processing_country` row at the
  processing country only. A row's `commodity` filter applies to supplier- and route-side
  rows; a `demand` row is matched by its target (`k` or `k@g`) alone.
- Non-anticipativity compares ALL factors (a, cs, b, cr for every supplier and route, e for
  every commodity and region, including ones with zero demand or capacity), each rounded to 12
  significant digits. vE and z are not in the tied list (z is one decision anyway).
- EV: each factor is sum_w p_w f_w / sum_w p_w; where all scenarios agree to 12 significant
  digits the common value itself is used, so that the EV scenario equals the scenarios
  exactly in the periods before they diverge.
- EEV fixing: x, y, u of periods 1..t0 (t0 = last period in which every scenario still has the
  same factor history; 0 if they differ in period 1) and z are fixed to the EV plan's values
  (clipped into their bounds when within 1e-7 of them, infeasible otherwise). I of those periods
  is left free: the balance equalities then recompute it from the fixed flows, so round-off in
  the EV's I cannot make an equality fail. v of those periods is left free as well: with I
  determined, v only appears in I + v >= target with a cost >= 0, so leaving it free gives the
  same optimum as fixing it to the EV's optimal (minimal) value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np

from model.domain.data import Limit, PlanData

INF = highspy.kHighsInf
SUPPLIER_SIDE = ("supplier", "origin_country", "processing_country")
ROUTE_SIDE = ("route", "chokepoint")
PARTS = ("purchase_cost", "freight_cost", "holding_cost", "shortage_penalty", "target_penalty",
         "transfer_cost", "investment_cost", "end_stock_penalty", "terminal_value",
         "contract_deficiency", "make_up_credit", "option_fee")
FIX_TOLERANCE = 1e-7


# ----------------------------------------------------------------------------------------------
# A tiny LP container on raw highspy
# ----------------------------------------------------------------------------------------------
class LP:
    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.integer: list[int] = []  # whole-number columns (model.md section 14)

    def var(self, lower: float = 0.0, upper: float = INF, cost: float = 0.0,
            integer: bool = False) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        if integer:
            self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lower: float, upper: float) -> None:
        coefs = {j: c for j, c in coefs.items() if c != 0.0}
        if not coefs:
            if lower > 1e-9 or upper < -1e-9:  # an empty row that cannot hold
                self.rows.append(({}, lower, upper))
            return
        self.rows.append((coefs, lower, upper))

    def _highs(self) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        n = len(self.cost)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = np.array(self.lower, dtype=float)
        lp.col_upper_ = np.array(self.upper, dtype=float)
        lp.row_lower_ = np.array([r[1] for r in self.rows], dtype=float)
        lp.row_upper_ = np.array([r[2] for r in self.rows], dtype=float)
        columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for i, (coefs, _, _) in enumerate(self.rows):
            for j, v in coefs.items():
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
        if self.integer:
            cols = np.array(self.integer, dtype=np.int32)
            h.changeColsIntegrality(len(cols), cols,
                                    np.full(len(cols), 1, dtype=np.uint8))  # kInteger
            h.setOptionValue("mip_rel_gap", 1e-9)
        return h

    def solve(self) -> tuple[str, float | None, list[float] | None]:
        h = self._highs()
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            # Presolve could not tell which: ask again without it for a definite answer.
            h = self._highs()
            h.setOptionValue("presolve", "off")
            h.run()
            status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", h.getInfo().objective_function_value, list(h.getSolution().col_value)
        return h.modelStatusToString(status), None, None


def _add(coefs: dict[int, float], j: int, v: float) -> None:
    coefs[j] = coefs.get(j, 0.0) + v


# ----------------------------------------------------------------------------------------------
# Scenario factors
# ----------------------------------------------------------------------------------------------
@dataclass
class Factors:
    """Factors of one scenario: a, cs keyed (s, t); b, cr keyed (r, t); e keyed (k, g, t)."""

    a: dict = field(default_factory=dict)
    cs: dict = field(default_factory=dict)
    b: dict = field(default_factory=dict)
    cr: dict = field(default_factory=dict)
    e: dict = field(default_factory=dict)
    P: dict = field(default_factory=dict)  # index value keyed (index, t), event moves included
    X: dict = field(default_factory=dict)  # exchange rate keyed (currency, t)

    def tables(self) -> tuple[dict, ...]:
        return (self.a, self.cs, self.b, self.cr, self.e, self.P, self.X)


def _scenario_names(plan: PlanData) -> list[str]:
    return list(plan.scenarios) or ["base"]


def _probabilities(plan: PlanData) -> dict[str, float]:
    if not plan.scenarios:
        return {"base": 1.0}
    return {w: sc.probability for w, sc in plan.scenarios.items()}


def scenario_factors(plan: PlanData, w: str) -> Factors:
    N = plan.settings.periods
    K, G = list(plan.commodities), list(plan.regions)
    F = Factors()
    for t in range(1, N + 1):
        for s in plan.suppliers:
            F.a[s, t] = 1.0
            F.cs[s, t] = 1.0
        for r in plan.routes:
            F.b[r, t] = 1.0
            F.cr[r, t] = 1.0
        for k in K:
            for g in G:
                F.e[k, g, t] = 1.0
    _money_factors(plan, w, F)
    for d in plan.disruptions:
        if d.scenario != w:
            continue
        for t in range(max(1, d.start), min(N, d.end) + 1):
            if d.target_type in SUPPLIER_SIDE:
                for s, sup in plan.suppliers.items():
                    if d.commodity is not None and d.commodity != sup.commodity:
                        continue
                    hit = ((d.target_type == "supplier" and d.target == s)
                           or (d.target_type == "origin_country"
                               and d.target == sup.origin_country)
                           or (d.target_type == "processing_country"
                               and d.target == sup.processing_country))
                    if hit:  # one row hits a supplier once
                        F.a[s, t] *= d.capacity_factor
                        F.cs[s, t] *= d.cost_factor
            elif d.target_type in ROUTE_SIDE:
                for r, route in plan.routes.items():
                    if d.commodity is not None and d.commodity != plan.commodity_of(route):
                        continue
                    hit = ((d.target_type == "route" and d.target == r)
                           or (d.target_type == "chokepoint" and d.target in route.chokepoints))
                    if hit:  # one row hits a route once, however many chokepoints match
                        F.b[r, t] *= d.capacity_factor
                        F.cr[r, t] *= d.cost_factor
            elif d.target_type == "demand":
                for k in K:
                    for g in G:
                        if d.target == k or d.target == f"{k}@{g}":
                            F.e[k, g, t] *= d.demand_factor
            elif d.target_type == "index" and (d.target, t) in F.P:
                F.P[d.target, t] *= d.index_factor
    return F


def _money_factors(plan: PlanData, w: str, F: Factors) -> None:
    """Index values and exchange rates of scenario w (its own value, else the `*` one), for
    the indices and currencies some supplier uses."""
    def value(series: dict, t: int) -> float:
        own = series.get(w)
        if own is not None and own[t - 1] is not None:
            return own[t - 1]
        return series["*"][t - 1]

    for sup in plan.suppliers.values():
        for t in range(1, plan.settings.periods + 1):
            if sup.price_index is not None:
                F.P[sup.price_index, t] = value(plan.indices[sup.price_index], t)
            if sup.currency is not None:
                F.X[sup.currency, t] = value(plan.fx[sup.currency], t)


def unit_price(plan: PlanData, s: str, t: int, F: Factors) -> float:
    """What one unit costs at supplier s in period t, in the planning currency before the
    disruption cost factor: the index formula or unit_cost, times the exchange rate."""
    sup = plan.suppliers[s]
    if sup.price_index is not None:
        price = sup.index_constant + sup.index_slope * F.P[sup.price_index, t]
    else:
        price = sup.unit_cost_per_period[t - 1]
    return price * rate_of(plan, s, t, F)


def rate_of(plan: PlanData, s: str, t: int, F: Factors) -> float:
    """Planning currency per unit of supplier s's currency in period t."""
    currency = plan.suppliers[s].currency
    return 1.0 if currency is None else F.X[currency, t]


def _sig(value: float) -> str:
    """A factor to 12 significant digits."""
    return f"{value:.11e}"


def _histories(plan: PlanData, factors: dict[str, Factors]) -> dict[str, list[tuple]]:
    """hist[w][t-1] = the factor history of scenario w over periods 1..t (all factors, each to
    12 significant digits)."""
    N = plan.settings.periods
    hist: dict[str, list[tuple]] = {}
    for w, F in factors.items():
        per_period: dict[int, list] = defaultdict(list)
        for name, table in zip("a cs b cr e P X".split(), F.tables(), strict=True):
            for key in sorted(table):
                per_period[key[-1]].append((name, key, _sig(table[key])))
        acc: list[tuple] = []
        so_far: tuple = ()
        for t in range(1, N + 1):
            so_far = so_far + (tuple(per_period[t]),)
            acc.append(so_far)
        hist[w] = acc
    return hist


def _root_periods(plan: PlanData, factors: dict[str, Factors]) -> int:
    """t0: the last period up to which every scenario has the same factor history (0..N)."""
    hist = _histories(plan, factors)
    t0 = 0
    for t in range(1, plan.settings.periods + 1):
        if len({hist[w][t - 1] for w in hist}) == 1:
            t0 = t
        else:
            break
    return t0


def mean_factors(factors: dict[str, Factors], p: dict[str, float]) -> Factors:
    total = sum(p.values())
    names = list(factors)
    out = Factors()
    for i, table in enumerate(out.tables()):
        first = factors[names[0]].tables()[i]
        for key in first:
            values = [factors[w].tables()[i][key] for w in names]
            if len({_sig(v) for v in values}) == 1:
                table[key] = values[0]
            else:
                table[key] = sum(p[w] * factors[w].tables()[i][key] for w in names) / total
    return out


# ----------------------------------------------------------------------------------------------
# Concentration helpers
# ----------------------------------------------------------------------------------------------
def route_values(plan: PlanData, r: str, attribute: str) -> set[str]:
    """The values of `attribute` that route r "has"."""
    route = plan.routes[r]
    sup = plan.suppliers[route.supplier]
    if attribute == "origin_country":
        return {sup.origin_country}
    if attribute == "processing_country":
        return {sup.processing_country}
    if attribute == "origin_group":
        return set(plan.groups.get(sup.origin_country, ()))
    if attribute == "processing_group":
        return set(plan.groups.get(sup.processing_country, ()))
    if attribute == "supplier":
        return {route.supplier}
    if attribute == "route":
        return {r}
    if attribute == "chokepoint":
        return set(route.chokepoints)
    raise ValueError(f"unknown attribute {attribute!r}")


def windows(limit: Limit, N: int, ppy: int) -> list[list[int]]:
    """The windows of periods of a limit's basis."""
    if limit.basis == "period":
        return [[t] for t in range(1, N + 1)]
    if limit.basis == "year":
        return [list(range(s, min(s + ppy - 1, N) + 1)) for s in range(1, N + 1, ppy)]
    if limit.basis == "rolling":
        n = int(limit.rolling_periods or 1)
        if n >= N:
            return [list(range(1, N + 1))]
        return [list(range(s, s + n)) for s in range(1, N - n + 2)]
    if limit.basis == "horizon":
        return [list(range(1, N + 1))]
    raise ValueError(f"unknown basis {limit.basis!r}")


# ----------------------------------------------------------------------------------------------
# The LP, for a list of "worlds" (scenarios with their factors)
# ----------------------------------------------------------------------------------------------
@dataclass
class World:
    name: str
    prob: float
    F: Factors
    all_limits: bool = False  # True: every limit binds here (the EV scenario)

    def binds(self, limit: Limit) -> bool:
        return self.all_limits or not limit.scenarios or self.name in limit.scenarios


@dataclass
class Built:
    lp: LP
    worlds: list[World]
    x: dict = field(default_factory=dict)
    I: dict = field(default_factory=dict)  # noqa: E741 (model.md's name)
    u: dict = field(default_factory=dict)
    v: dict = field(default_factory=dict)
    y: dict = field(default_factory=dict)
    vE: dict = field(default_factory=dict)
    z: dict = field(default_factory=dict)  # (j, w) -> column; w is None when shared
    parts: dict = field(default_factory=dict)  # w -> part -> {column: coefficient}
    infeasible_fix: bool = False
    wc: dict = field(default_factory=dict)   # (contract, t, w) -> take under the contract
    year_vars: dict = field(default_factory=dict)  # (kind, contract, ..., w) -> column, period
    sign: dict = field(default_factory=dict)  # option contract -> its one shared column


def _build(plan: PlanData, worlds: list[World], *, shared_z: bool,
           na_classes: dict[int, list[list[str]]] | None = None,
           fixed: dict[tuple, float] | None = None) -> Built:
    st_ = plan.settings
    N = st_.periods
    ppy = st_.calendar.periods_per_year
    dpp = st_.calendar.days_per_period
    T = range(1, N + 1)
    K, G = list(plan.commodities), list(plan.regions)
    lam, beta = st_.risk_weight, st_.cvar_level
    dN = st_.discount_factor(N)
    lp = LP()
    B = Built(lp, worlds)

    def zkey(j: str, w: str) -> tuple:
        return (j, None) if shared_z else (j, w)

    for j, pr in plan.projects.items():
        for w in ([None] if shared_z else [wd.name for wd in worlds]):
            B.z[j, w] = lp.var(0.0, INF if pr.max_capacity is None else pr.max_capacity)

    for name, contract in plan.contracts.items():
        if contract.option_fee is not None:  # one decision, now, for every scenario
            B.sign[name] = lp.var(0.0, 1.0, integer=True)

    for wd in worlds:
        w, F = wd.name, wd.F
        parts = {name: defaultdict(float) for name in PARTS}
        B.parts[w] = parts
        for j, pr in plan.projects.items():
            # once, not discounted; in the planning currency at the period-1 rate, averaged
            # over the scenarios that share the decision (z is shared: all of them)
            parts["investment_cost"][B.z[zkey(j, w)]] += pr.capex * capex_rate(
                plan, pr, worlds if shared_z else [wd])
        for name, col in B.sign.items():
            parts["option_fee"][col] += plan.contracts[name].option_fee  # once, now
        for t in T:
            d = st_.discount_factor(t)
            for r, route in plan.routes.items():
                sup = plan.suppliers[route.supplier]
                if t + route.lead_periods > N:
                    upper = 0.0  # an order must arrive within the horizon
                elif route.capacity is None:
                    upper = 0.0 if F.b[r, t] == 0 else INF
                else:
                    upper = route.capacity * F.b[r, t]
                B.x[r, t, w] = lp.var(0.0, upper)
                parts["purchase_cost"][B.x[r, t, w]] += (
                    d * unit_price(plan, route.supplier, t, F) * F.cs[route.supplier, t])
                parts["freight_cost"][B.x[r, t, w]] += (
                    d * route.freight_cost * F.cr[r, t] * rate_of(plan, route.supplier, t, F))
            for k in K:
                com = plan.commodities[k]
                for g in G:
                    sp = plan.stockpile(k, g)
                    D = plan.demand_of(k, g)[t - 1] * F.e[k, g, t]
                    room = [j for j, pr in plan.projects.items()
                            if pr.supplier is None and (pr.commodity, pr.region) == (k, g)]
                    B.I[k, g, t, w] = lp.var(0.0, INF if sp.capacity is None or room
                                             else sp.capacity)
                    if room and sp.capacity is not None:
                        # storage room that can be built: I - sum of z (built by t) <= capacity
                        row = {B.I[k, g, t, w]: 1.0}
                        for j in room:
                            if t >= plan.projects[j].first_period:
                                _add(row, B.z[zkey(j, w)], -1.0)
                        lp.row(row, -INF, sp.capacity)
                    B.u[k, g, t, w] = lp.var(0.0, D)
                    B.v[k, g, t, w] = lp.var()
                    parts["holding_cost"][B.I[k, g, t, w]] += d * sp.holding_cost
                    parts["shortage_penalty"][B.u[k, g, t, w]] += d * com.shortage_penalty
                    parts["target_penalty"][B.v[k, g, t, w]] += d * com.target_penalty
            for f, lane in enumerate(plan.transfers):
                B.y[f, t, w] = lp.var(0.0, INF if lane.capacity is None else lane.capacity)
                parts["transfer_cost"][B.y[f, t, w]] += d * lane.cost
        for k in K:
            com = plan.commodities[k]
            for g in G:
                sp = plan.stockpile(k, g)
                B.vE[k, g, w] = lp.var()
                parts["end_stock_penalty"][B.vE[k, g, w]] += dN * com.shortage_penalty
                parts["terminal_value"][B.I[k, g, N, w]] -= dN * sp.terminal_value

    # Pipeline Q[r, t] (several rows may name one route and period: they add up).
    Q: dict[tuple[str, int], float] = defaultdict(float)
    for arrival in plan.pipeline:
        if 1 <= arrival.period <= N:
            Q[arrival.route, arrival.period] += arrival.quantity

    for wd in worlds:
        w, F = wd.name, wd.F
        for t in T:
            for k in K:
                for g in G:
                    sp = plan.stockpile(k, g)
                    D = plan.demand_of(k, g)[t - 1] * F.e[k, g, t]
                    # (1) balance: I[t-1] + arrivals + pipeline*b + transfers in - out + u
                    #              - I[t] = D e
                    row: dict[int, float] = {}
                    rhs = D
                    if t == 1:
                        rhs -= sp.initial_stock
                    else:
                        _add(row, B.I[k, g, t - 1, w], 1.0)
                    for r, route in plan.routes.items():
                        if plan.commodity_of(route) != k or route.region != g:
                            continue
                        if t - route.lead_periods >= 1:
                            _add(row, B.x[r, t - route.lead_periods, w], 1.0)
                        rhs -= Q.get((r, t), 0.0) * F.b[r, t]
                    for f, lane in enumerate(plan.transfers):
                        if lane.commodity != k:
                            continue
                        if lane.to_region == g and t - lane.lead_periods >= 1:
                            _add(row, B.y[f, t - lane.lead_periods, w], 1.0)
                        if lane.from_region == g:
                            _add(row, B.y[f, t, w], -1.0)
                    _add(row, B.u[k, g, t, w], 1.0)
                    _add(row, B.I[k, g, t, w], -1.0)
                    lp.row(row, rhs, rhs)
                    # (6) target, on demand after its factor
                    target = max(sp.target_stock, sp.target_days * D / dpp)
                    lp.row({B.I[k, g, t, w]: 1.0, B.v[k, g, t, w]: 1.0}, target, INF)
            for s, sup in plan.suppliers.items():
                mine = [r for r, route in plan.routes.items() if route.supplier == s]
                a = F.a[s, t]
                # (2) supplier capacity, with built capacity
                row = {B.x[r, t, w]: 1.0 for r in mine}
                for j, pr in plan.projects.items():
                    if pr.supplier == s and t >= pr.first_period:
                        _add(row, B.z[zkey(j, w)], -a)
                lp.row(row, -INF, sup.capacity_per_period[t - 1] * a)
                # (4) take-or-pay, shrunk by a and by the most open route that can deliver
                if sup.available(t) and sup.min_take > 0:
                    deliverable = [r for r in mine if t + plan.routes[r].lead_periods <= N]
                    if deliverable:
                        need = sup.min_take * a * max(F.b[r, t] for r in deliverable)
                        if need > 0:
                            lp.row({B.x[r, t, w]: 1.0 for r in mine}, need, INF)
        _cargoes_lots_contracts(plan, B, wd)
        # (7b) end of horizon
        for k in K:
            for g in G:
                E = plan.stockpile(k, g).end_stock
                lp.row({B.I[k, g, N, w]: 1.0, B.vE[k, g, w]: 1.0}, E, INF)
        # (10) obligations: a hard floor on the closing stock in the scenarios it binds in
        # (the EV scenario: all). A floor of `base` also holds for scenarios while they share
        # base's decisions: the non-anticipativity equalities below carry it over.
        for (k, g), sp in plan.stockpiles.items():
            if not (sp.min_stock > 0 or sp.min_days > 0):
                continue
            if not (wd.all_limits or not sp.floor_scenarios or w in sp.floor_scenarios):
                continue
            for t in T:
                D = plan.demand_of(k, g)[t - 1] * F.e[k, g, t]
                floor = max(sp.min_stock, sp.min_days * D / dpp)
                if floor > 0:
                    lp.row({B.I[k, g, t, w]: 1.0}, floor, INF)
        # (11) budgets: purchases plus freight of the orders placed in the plan year, with
        # this scenario's cost factors, undiscounted, in every scenario.
        for budget in plan.budgets:
            row = {}
            for t in budget.periods:
                for r, route in plan.routes.items():
                    if budget.commodity not in ("*", plan.commodity_of(route)):
                        continue
                    if budget.region not in ("*", route.region):
                        continue
                    sup = plan.suppliers[route.supplier]
                    _add(row, B.x[r, t, w],
                         unit_price(plan, route.supplier, t, F) * F.cs[route.supplier, t]
                         + route.freight_cost * F.cr[r, t] * rate_of(plan, route.supplier, t, F))
            lp.row(row, -INF, budget.max_spend)

    # (8) concentration
    for limit in plan.limits.values():
        for k in (K if limit.commodity == "*" else [limit.commodity]):
            scope = [r for r, route in plan.routes.items()
                     if plan.commodity_of(route) == k
                     and (limit.region == "*" or route.region == limit.region)]
            if not scope:
                continue
            if limit.value == "*":
                values = sorted({val for r in scope for val in
                                 route_values(plan, r, limit.attribute)})
            else:
                values = [limit.value]
            for val in values:
                has = {r: val in route_values(plan, r, limit.attribute) for r in scope}
                for wd in worlds:
                    if not wd.binds(limit):
                        continue
                    for window in windows(limit, N, ppy):
                        for share, upper in ((limit.max_share, True), (limit.min_share, False)):
                            if share is None:
                                continue
                            row = {}
                            for t in window:
                                for r in scope:
                                    _add(row, B.x[r, t, wd.name],
                                         (1.0 if has[r] else 0.0) - share)
                            if upper:
                                lp.row(row, -INF, 0.0)
                            else:
                                lp.row(row, 0.0, INF)

    # (9) non-anticipativity: equalities against the first scenario of each class
    for t, classes in (na_classes or {}).items():
        for members in classes:
            first = members[0]
            for w in members[1:]:
                pairs = [(B.x[r, t, first], B.x[r, t, w]) for r in plan.routes]
                pairs += [(m[k, g, t, first], m[k, g, t, w]) for m in (B.I, B.u, B.v)
                          for k in K for g in G]
                pairs += [(B.y[f, t, first], B.y[f, t, w]) for f in range(len(plan.transfers))]
                pairs += [(B.wc[c, t, first], B.wc[c, t, w]) for c in plan.contracts
                          if (c, t, first) in B.wc]
                pairs += [(col, B.year_vars[(*key[:-1], w)][0])
                          for key, (col, period) in B.year_vars.items()
                          if key[-1] == first and period == t]
                for j1, j2 in pairs:
                    lp.row({j1: 1.0, j2: -1.0}, 0.0, 0.0)

    # Fixed values (EEV): set both bounds, clipped into the original bounds within a tolerance.
    for key, value in (fixed or {}).items():
        kind, rest = key[0], key[1:]
        if kind == "z":
            cols = [B.z[rest[0], None if shared_z else wd.name] for wd in worlds]
        else:
            table = {"x": B.x, "y": B.y, "u": B.u}[kind]
            cols = [table[(*rest, wd.name)] for wd in worlds]
        for j in set(cols):
            lo, hi = lp.lower[j], lp.upper[j]
            tol = FIX_TOLERANCE * max(1.0, abs(value))
            if value < lo - tol or value > hi + tol:
                B.infeasible_fix = True
            clipped = min(max(value, lo), hi)
            lp.lower[j] = lp.upper[j] = clipped

    # Objective: (1 - lambda) E[Cost] + lambda (zeta + E[eta] / (1 - beta))
    for wd in worlds:
        for part in B.parts[wd.name].values():
            for j, c in part.items():
                lp.cost[j] += (1 - lam) * wd.prob * c
    if lam > 0:
        zeta = lp.var(-INF, INF, lam)
        for wd in worlds:
            eta = lp.var(0.0, INF, lam * wd.prob / (1 - beta))
            row = {eta: 1.0, zeta: 1.0}
            for part in B.parts[wd.name].values():
                for j, c in part.items():
                    _add(row, j, -c)
            lp.row(row, 0.0, INF)  # eta >= Cost_w - zeta
    return B


def _cargoes_lots_contracts(plan: PlanData, B: Built, wd: World) -> None:
    """model.md section 14 for one scenario, written directly from its text."""
    lp, w, F = B.lp, wd.name, wd.F
    st_ = plan.settings
    N = st_.periods
    ppy = st_.calendar.periods_per_year
    routes_of = defaultdict(list)
    for r, route in plan.routes.items():
        routes_of[route.supplier].append(r)

    def deliverable(s: str, t: int) -> list[str]:
        return [r for r in routes_of[s] if t + plan.routes[r].lead_periods <= N]

    def most(s: str, t: int) -> float:
        extra = sum(pr.max_capacity or 0.0 for pr in plan.projects.values()
                    if pr.supplier == s and t >= pr.first_period)
        return (plan.suppliers[s].capacity_per_period[t - 1] + extra) * F.a[s, t]

    # (14a) x = q * (whole number of cargoes), at most max_cargoes.
    for r, route in plan.routes.items():
        if not route.cargo_size:
            continue
        for t in range(1, N - route.lead_periods + 1):
            n = lp.var(0.0, INF if route.max_cargoes is None else route.max_cargoes,
                       integer=True)
            lp.row({B.x[r, t, w]: 1.0, n: -route.cargo_size}, 0.0, 0.0)
    # (14b) 0 or at least min_lot per period, all routes of the supplier together.
    for s, sup in plan.suppliers.items():
        if sup.min_lot <= 0:
            continue
        for t in range(1, N + 1):
            mine = deliverable(s, t)
            big = most(s, t)
            if not mine or big <= 0:
                continue
            used = lp.var(0.0, 1.0, integer=True)
            lp.row({**{B.x[r, t, w]: 1.0 for r in mine}, used: -sup.min_lot}, 0.0, INF)
            lp.row({**{B.x[r, t, w]: 1.0 for r in mine}, used: -big}, -INF, 0.0)
    # (14c) a contracted supplier sells only under contracts in force.
    contracted = {c.supplier for c in plan.contracts.values()}
    for s in contracted:
        for t in range(1, N + 1):
            mine = deliverable(s, t)
            if not mine:
                continue
            row = {B.x[r, t, w]: 1.0 for r in mine}
            for c in plan.contracts.values():
                if c.supplier == s and c.first_period <= t and \
                        (c.last_period is None or t <= c.last_period):
                    B.wc[c.name, t, w] = lp.var()
                    row[B.wc[c.name, t, w]] = -1.0
            lp.row(row, 0.0, 0.0)
    for c in plan.contracts.values():
        s = c.supplier
        sup = plan.suppliers[s]
        sign = B.sign.get(c.name)
        # Contract years: periods bucketed by (t - first) // ppy, within [first, last] and
        # [1, N]; each counts by its months inside the plan.
        years: dict[int, list[int]] = defaultdict(list)
        for t in range(1, N + 1):
            if t >= c.first_period and (c.last_period is None or t <= c.last_period):
                years[(t - c.first_period) // ppy].append(t)
        deficiency, makeups = {}, defaultdict(dict)
        for y, P in sorted(years.items()):
            e = P[-1]
            share = len(P) / ppy
            take = {B.wc[c.name, t, w]: 1.0 for t in P if (c.name, t, w) in B.wc}
            price = st_.discount_factor(e) * sup.unit_cost_per_period[e - 1] * F.cs[s, e]
            if c.take_or_pay > 0:
                alpha = [F.a[s, t] * max([F.b[r, t] for r in deliverable(s, t)], default=0.0)
                         if sup.available(t) else 0.0 for t in P]
                top = c.take_or_pay * c.acq * share * sum(alpha) / len(P)
                d = lp.var()
                B.year_vars["d", c.name, y, w] = (d, e)
                B.parts[w]["contract_deficiency"][d] += price
                deficiency[y] = (d, c.take_or_pay * c.acq * share)
                row = {**take, d: 1.0}
                for y0 in years:
                    if y - c.make_up_years <= y0 < y and c.take_or_pay > 0:
                        m = lp.var()
                        B.year_vars["m", c.name, y0, y, w] = (m, e)
                        B.parts[w]["make_up_credit"][m] -= price
                        makeups[y][y0] = m
                        _add(row, m, -1.0)
                if sign is None:
                    lp.row(row, top, INF)
                else:
                    _add(row, sign, -top)
                    lp.row(row, 0.0, INF)
                if makeups[y]:
                    on = lp.var(0.0, 1.0, integer=True)
                    B.year_vars["mu", c.name, y, w] = (on, e)
                    bank = sum(c.take_or_pay * c.acq * len(years[y0]) / ppy for y0 in makeups[y])
                    lp.row({**{m: 1.0 for m in makeups[y].values()}, on: -bank}, -INF, 0.0)
                    lp.row({d: 1.0, on: deficiency[y][1]}, -INF, deficiency[y][1])
            if c.flex_up is not None:
                cap = (1 + c.flex_up) * c.acq * share
                if sign is None:
                    lp.row(take, -INF, cap)
                else:
                    lp.row({**take, sign: -cap}, -INF, 0.0)
            elif sign is not None:
                for t in P:
                    if (c.name, t, w) in B.wc:
                        lp.row({B.wc[c.name, t, w]: 1.0, sign: -most(s, t)}, -INF, 0.0)
        # (14f) what year y0 paid for is taken at most once, within its make-up years.
        for y0, (d, _) in deficiency.items():
            taken = {makeups[y][y0]: 1.0 for y in makeups if y0 in makeups[y]}
            if taken:
                lp.row({**taken, d: -1.0}, -INF, 0.0)


# ----------------------------------------------------------------------------------------------
# The problems: RP, WS, EV, EEV
# ----------------------------------------------------------------------------------------------
def _worlds(plan: PlanData) -> tuple[list[World], dict[str, Factors]]:
    p = _probabilities(plan)
    factors = {w: scenario_factors(plan, w) for w in _scenario_names(plan)}
    return [World(w, p[w], factors[w]) for w in factors], factors


def _na_classes(plan: PlanData, factors: dict[str, Factors]) -> dict[int, list[list[str]]]:
    hist = _histories(plan, factors)
    out: dict[int, list[list[str]]] = {}
    for t in range(1, plan.settings.periods + 1):
        classes: dict[tuple, list[str]] = defaultdict(list)
        for w in factors:
            classes[hist[w][t - 1]].append(w)
        out[t] = [m for m in classes.values() if len(m) > 1]
    return out


def capex_rate(plan: PlanData, project, worlds: list[World]) -> float:
    """The rate a project's capex is converted at: its supplier's currency in period 1, the
    probability-weighted mean over the worlds sharing the decision (1 in the planning
    currency or for storage)."""
    if project.supplier is None or plan.suppliers[project.supplier].currency is None:
        return 1.0
    currency = plan.suppliers[project.supplier].currency
    total = sum(wd.prob for wd in worlds)
    if total <= 0:
        return sum(wd.F.X[currency, 1] for wd in worlds) / len(worlds)
    return sum(wd.prob * wd.F.X[currency, 1] for wd in worlds) / total


def _solve_rp(plan: PlanData, fixed: dict[tuple, float] | None = None
              ) -> tuple[str, float | None, list[float] | None, Built]:
    worlds, factors = _worlds(plan)
    built = _build(plan, worlds, shared_z=True, na_classes=_na_classes(plan, factors),
                   fixed=fixed)
    if built.infeasible_fix:
        return "Infeasible", None, None, built
    status, obj, sol = built.lp.solve()
    return status, obj, sol, built


def reference_objective(plan: PlanData) -> tuple[str, float | None]:
    """Solve model.md's stochastic LP for `plan`: ("optimal", objective) or (status, None)."""
    status, obj, _, _ = _solve_rp(plan)
    return status, obj


def _cvar(costs: dict[str, float], p: dict[str, float], beta: float) -> float:
    """min_zeta zeta + sum_w p_w max(0, Cost_w - zeta) / (1 - beta): the minimum of this convex
    piecewise-linear function lies at one of the Cost_w."""
    return min(zeta + sum(p[w] * max(0.0, c - zeta) for w, c in costs.items()) / (1 - beta)
               for zeta in costs.values())


def reference_expected_cost_parts(plan: PlanData) -> dict[str, float]:
    """The RP optimum's expected cost parts (terminal_value negative), expected_cost, cvar."""
    status, _, sol, built = _solve_rp(plan)
    if status != "optimal":
        raise RuntimeError(f"reference LP not optimal: {status}")
    p = {wd.name: wd.prob for wd in built.worlds}
    out = {part: 0.0 for part in PARTS}
    costs: dict[str, float] = {}
    for wd in built.worlds:
        total = 0.0
        for part, coefs in built.parts[wd.name].items():
            value = sum(c * sol[j] for j, c in coefs.items())
            out[part] += p[wd.name] * value
            total += value
        costs[wd.name] = total
    out["expected_cost"] = sum(p[w] * c for w, c in costs.items())
    out["cvar"] = _cvar(costs, p, plan.settings.cvar_level)
    return out


def reference_values(plan: PlanData) -> dict[str, float | None]:
    """RP, WS, EV, EEV, EVPI = RP - WS and VSS = EEV - RP (EEV, VSS infinite when fixing the EV
    plan's root decisions makes the LP infeasible; None where a problem has no optimum)."""
    out: dict[str, float | None] = dict.fromkeys(("rp", "ws", "ev", "eev", "evpi", "vss"))
    worlds, factors = _worlds(plan)
    p = {wd.name: wd.prob for wd in worlds}

    _, rp, _, _ = _solve_rp(plan)
    out["rp"] = rp

    # WS: every decision (z included) per scenario, no non-anticipativity, same objective.
    ws_built = _build(plan, worlds, shared_z=False)
    _, ws, _ = ws_built.lp.solve()
    out["ws"] = ws

    # EV: one scenario with the probability-weighted mean factors, every limit binding.
    ev_world = World("EV", 1.0, mean_factors(factors, p), all_limits=True)
    ev_built = _build(plan, [ev_world], shared_z=True)
    _, ev, ev_sol = ev_built.lp.solve()
    out["ev"] = ev

    if ev_sol is not None and rp is not None:
        N = plan.settings.periods
        t0 = _root_periods(plan, factors)
        fixed: dict[tuple, float] = {}
        for t in range(1, t0 + 1):
            for r in plan.routes:
                fixed["x", r, t] = ev_sol[ev_built.x[r, t, "EV"]]
            for f in range(len(plan.transfers)):
                fixed["y", f, t] = ev_sol[ev_built.y[f, t, "EV"]]
            for k in plan.commodities:
                for g in plan.regions:
                    fixed["u", k, g, t] = ev_sol[ev_built.u[k, g, t, "EV"]]
        for j in plan.projects:
            fixed["z", j] = ev_sol[ev_built.z[j, None]]
        assert t0 <= N
        eev_status, eev, _, _ = _solve_rp(plan, fixed)
        if eev is None and eev_status in ("Infeasible", "Primal infeasible or unbounded"):
            eev = math.inf
        out["eev"] = eev
        if eev is not None:
            out["vss"] = eev - rp
    if rp is not None and ws is not None:
        out["evpi"] = rp - ws
    return out
