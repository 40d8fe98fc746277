"""Whole cargoes, minimum lots and contracts: model.md section 14, constraints (14a)-(14h).

`index_contracts` computes every index list and number once (on `ModelIndex.cargo_contracts`);
`add_contract_variables` declares the variables and one `add_<family>` per constraint family
writes the rows, each docstring stating its formula in model.md's notation. A plan that uses
none of the features gets no component from this module, so its LP is exactly sections 6-8's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyomo.core as pyo

from model.domain.tolerances import ROUND_OFF
from model.formulation.index import ModelIndex, OrderKey
from model.formulation.linear import linear, minus, plus, times

YearKey = tuple[str, int, int]  # (contract, contract year y, node n_e of its last period)
MakeUpKey = tuple[str, int, int, int]  # (contract, vintage y0, year y, node n_e of year y)


@dataclass
class YearRow:
    """One contract year along one scenario path: the take T sums `take_keys`."""

    contract: str
    year: int
    node: int                         # n_e, a node of the year's last period in the plan
    take_keys: list[tuple[str, int]]  # (contract, node) of w along the path
    top: float                        # TOP = tau A rho * mean alpha (0 without take-or-pay)
    top_nominal: float                # tau A rho (the most the deficiency can be)
    ceiling: float | None             # (1 + phi) A rho, None without flex_up
    make_ups: list[MakeUpKey]         # m[c, y0, y, n_e] taken in this year


@dataclass
class ContractIndex:
    """Index lists and numbers of section 14 for one plan and scenario set."""

    cargo_keys: list[OrderKey] = field(default_factory=list)          # (r, n) with q_r
    cargo_size: dict[str, float] = field(default_factory=dict)        # q_r
    cargo_upper: dict[OrderKey, float | None] = field(default_factory=dict)
    lot_keys: list[tuple[str, int]] = field(default_factory=list)     # (s, n)
    lot_upper: dict[tuple[str, int], float] = field(default_factory=dict)  # U[s, n]
    take_keys: list[tuple[str, int]] = field(default_factory=list)    # w[c, n]
    allocation: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (s,n) -> c
    years: list[YearRow] = field(default_factory=list)
    deficiency_keys: list[YearKey] = field(default_factory=list)
    make_up_keys: list[MakeUpKey] = field(default_factory=list)
    switch_keys: list[YearKey] = field(default_factory=list)          # mu[c, y, n_e]
    switch_bank: dict[YearKey, float] = field(default_factory=dict)   # B[c, y]
    bank_rows: list[tuple[list[MakeUpKey], YearKey]] = field(default_factory=list)
    options: list[str] = field(default_factory=list)                  # o[c]
    option_links: list[tuple[str, int]] = field(default_factory=list)  # (c, n) in (14h)
    unit_cost: dict[YearKey, float] = field(default_factory=dict)     # c^ at n_e

    @property
    def used(self) -> bool:
        """Whether the plan uses any feature of section 14."""
        return bool(self.cargo_keys or self.lot_keys or self.allocation or self.options)


def available_share(ix: ModelIndex) -> dict[tuple[str, int], float]:
    """alpha[s, n] = a[s, n] * max_{r of s, t + L_r <= N} b[r, n], 0 outside the supplier's
    availability window: the share of the supplier still available, as for min_take (4)."""
    plan, factors = ix.plan, ix.factors
    horizon = plan.settings.periods
    share: dict[tuple[str, int], float] = {}
    for node in ix.tree.nodes:
        t, w = node.t, node.scenarios[0]
        for s in plan.suppliers:
            share[(s, node.id)] = 0.0  # no route that can deliver: nothing available
        for route in plan.routes.values():
            if t + route.lead_periods > horizon or not plan.suppliers[route.supplier].available(t):
                continue
            s = route.supplier
            a = float(factors.supplier_capacity[factors.supplier_index[s], w, t - 1])
            b = float(factors.route_capacity[factors.route_index[route.name], w, t - 1])
            share[(s, node.id)] = max(share[(s, node.id)], a * b)
    return share


def most_sold(ix: ModelIndex, s: str, n: int) -> float:
    """U[s, n] = (C[s, t] + sum of the max_capacity of projects at s supplying by t) a[s, n]."""
    plan = ix.plan
    t = ix.t(n)
    built = sum(plan.projects[j].max_capacity or 0.0 for j in ix.projects_of_supplier[s]
                if t >= plan.projects[j].first_period)
    return (plan.suppliers[s].capacity_per_period[t - 1] + built) * ix.supply_factor[(s, n)]


def contract_years(first: int, last: int | None, horizon: int, ppy: int
                   ) -> list[tuple[int, tuple[int, ...]]]:
    """(y, P[c, y]) of each contract year with periods inside the plan: blocks of ppy periods
    from `first`, cut at `last` and at the horizon."""
    end = horizon if last is None else min(last, horizon)
    years = []
    y = 1 if first >= 1 else (1 - first) // ppy + 1  # the year holding period 1
    while True:
        start = first + ppy * (y - 1)
        if start > end:
            break
        periods = tuple(t for t in range(max(start, 1), min(start + ppy - 1, end) + 1))
        if periods:
            years.append((y, periods))
        y += 1
    return years


def index_contracts(ix: ModelIndex) -> ContractIndex:
    """Every index list and number of section 14 (empty lists for a plan without them)."""
    plan, tree = ix.plan, ix.tree
    found = ContractIndex()
    for r, route in plan.routes.items():
        if route.cargo_size:
            found.cargo_size[r] = route.cargo_size
    for key in ix.order_keys:
        size = found.cargo_size.get(key[0])
        if size is None:
            continue
        found.cargo_keys.append(key)
        upper = ix.order_upper[key]
        most = plan.routes[key[0]].max_cargoes
        if upper is not None:
            # Whole cargoes that fit under the route's limit (a tighter bound helps the MIP).
            fit = math.floor(upper / size + ROUND_OFF)
            most = fit if most is None else min(most, fit)
        found.cargo_upper[key] = None if most is None else float(most)
    for (s, n) in ix.capacity:
        if plan.suppliers[s].min_lot > 0:
            upper = most_sold(ix, s, n)
            if upper > 0:
                found.lot_keys.append((s, n))
                found.lot_upper[(s, n)] = upper
    if plan.contracts:
        _index_contract_rows(ix, found, tree)
    return found


def _index_contract_rows(ix: ModelIndex, found: ContractIndex, tree) -> None:
    plan = ix.plan
    ppy = plan.settings.calendar.periods_per_year
    horizon = plan.settings.periods
    contracted = {c.supplier for c in plan.contracts.values()}
    for (s, n) in ix.orders_of_supplier:
        if s not in contracted:
            continue
        t = ix.t(n)
        takes = [c.name for c in plan.contracts.values() if c.supplier == s
                 and c.first_period <= t and (c.last_period is None or t <= c.last_period)]
        found.allocation[(s, n)] = takes
        found.take_keys.extend((c, n) for c in takes)
    takes = set(found.take_keys)
    alpha = available_share(ix)
    factors = ix.factors
    found.options = [c.name for c in plan.contracts.values() if c.is_option]
    nodes_of_period: dict[int, list[int]] = {}
    for node in tree.nodes:
        nodes_of_period.setdefault(node.t, []).append(node.id)
    for contract in plan.contracts.values():
        c, s = contract.name, contract.supplier
        years = contract_years(contract.first_period, contract.last_period, horizon, ppy)
        ends = {y: periods[-1] for y, periods in years}
        nominal = {y: contract.take_or_pay * contract.acq * len(periods) / ppy
                   for y, periods in years}
        rows_of_year: dict[int, dict[int, YearRow]] = {}
        for y, periods in years:
            rho = len(periods) / ppy
            ceiling = None if contract.flex_up is None else \
                (1.0 + contract.flex_up) * contract.acq * rho
            vintages = [y0 for y0 in ends if y - contract.make_up_years <= y0 < y
                        and nominal[y0] > 0]
            for n_e in nodes_of_period.get(ends[y], []):
                path = [tree.ancestor(n_e, t) for t in periods]
                mean_alpha = sum(alpha[(s, n)] for n in path) / len(path)
                row = YearRow(c, y, n_e, [(c, n) for n in path if (c, n) in takes],
                              nominal[y] * mean_alpha, nominal[y], ceiling,
                              [(c, y0, y, n_e) for y0 in vintages])
                if nominal[y] <= 0 and row.ceiling is None:
                    continue  # no obligation and no cap: the year needs no row
                rows_of_year.setdefault(y, {})[n_e] = row
                found.years.append(row)
                if nominal[y] > 0:
                    key = (c, y, n_e)
                    found.deficiency_keys.append(key)
                    t_e, w = ends[y], tree.nodes[n_e].scenarios[0]
                    found.unit_cost[key] = plan.suppliers[s].unit_cost_per_period[t_e - 1] * \
                        float(factors.supplier_cost[factors.supplier_index[s], w, t_e - 1])
                if row.make_ups:
                    found.make_up_keys.extend(row.make_ups)
                    found.switch_keys.append((c, y, n_e))
                    found.switch_bank[(c, y, n_e)] = sum(nominal[y0] for y0 in vintages)
                    if (c, y, n_e) not in found.unit_cost:
                        t_e, w = ends[y], tree.nodes[n_e].scenarios[0]
                        found.unit_cost[(c, y, n_e)] = \
                            plan.suppliers[s].unit_cost_per_period[t_e - 1] * \
                            float(factors.supplier_cost[factors.supplier_index[s], w, t_e - 1])
        if contract.make_up_years > 0:
            for y0 in ends:
                if nominal[y0] <= 0:
                    continue
                later = [y for y in ends if y0 < y <= y0 + contract.make_up_years]
                if not later:
                    continue
                for n_last in nodes_of_period.get(ends[later[-1]], []):
                    taken = [(c, y0, y, tree.ancestor(n_last, ends[y])) for y in later]
                    found.bank_rows.append((taken, (c, y0, tree.ancestor(n_last, ends[y0]))))
        if contract.is_option and contract.flex_up is None:
            found.option_links.extend(key for key in found.take_keys if key[0] == c)


def add_contract_variables(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """The variables of model.md 14.2 that the plan needs (none for a plan without section 14
    features): `cargoes` nu (integer, <= max_cargoes and the whole cargoes the route takes),
    `lot_used` lambda (binary), `contract_take` w, `deficiency` d, `make_up` m (>= 0),
    `make_up_on` mu (binary), `sign` o (binary, one decision for all scenarios)."""
    if cx.cargo_keys:
        m.cargoes = pyo.Var(cx.cargo_keys, within=pyo.NonNegativeIntegers,
                            doc="nu: whole cargoes ordered on a route",
                            bounds={key: (0.0, ub) for key, ub in cx.cargo_upper.items()})
    if cx.lot_keys:
        m.lot_used = pyo.Var(cx.lot_keys, within=pyo.Binary,
                             doc="lambda: the supplier is ordered from (its minimum lot)")
    if cx.take_keys:
        m.contract_take = pyo.Var(cx.take_keys, within=pyo.NonNegativeReals,
                                  doc="w: bought under a contract")
    if cx.deficiency_keys:
        m.deficiency = pyo.Var(cx.deficiency_keys, within=pyo.NonNegativeReals,
                               doc="d: take-or-pay volume paid but not taken in a contract year")
    if cx.make_up_keys:
        m.make_up = pyo.Var(cx.make_up_keys, within=pyo.NonNegativeReals,
                            doc="m: volume paid earlier, taken in a later contract year")
        m.make_up_on = pyo.Var(cx.switch_keys, within=pyo.Binary,
                               doc="mu: the contract year takes make-up volume")
    if cx.options:
        m.sign = pyo.Var(cx.options, within=pyo.Binary, doc="o: the option is signed")


def add_whole_cargoes(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14a) Whole cargoes, each route r with a cargo size and node n with an order:

        x[r, n] = q_r nu[r, n]          (nu integer, 0 <= nu <= max_cargoes_r)

    Units: the commodity's unit. Dual (of the LP with nu fixed): money per unit."""
    if not cx.cargo_keys:
        return
    x, nu = dict(m.order.items()), dict(m.cargoes.items())

    @m.Constraint(cx.cargo_keys, doc="whole cargoes (14a)")
    def whole_cargoes(m, r, n):
        return linear(plus([x[r, n]]), times(-cx.cargo_size[r], [nu[r, n]])) == 0


def add_minimum_lot(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14b) Minimum lot, each supplier s with min_lot l_s > 0 and node n with U[s, n] > 0:

        sum_{r of s} x[r, n] >= l_s lambda[s, n]    and    sum_{r of s} x[r, n] <= U[s, n] lambda

    So the supplier's orders of the period are 0 or at least l_s."""
    if not cx.lot_keys:
        return
    plan = ix.plan
    x, used = dict(m.order.items()), dict(m.lot_used.items())

    @m.Constraint(cx.lot_keys, doc="minimum lot (14b): orders >= min_lot when ordered")
    def lot_floor(m, s, n):
        supply = [x[key] for key in ix.orders_of_supplier[(s, n)]]
        return linear(plus(supply), times(-plan.suppliers[s].min_lot, [used[s, n]])) >= 0

    @m.Constraint(cx.lot_keys, doc="minimum lot (14b): no orders when not ordered")
    def lot_ceiling(m, s, n):
        supply = [x[key] for key in ix.orders_of_supplier[(s, n)]]
        return linear(plus(supply), times(-cx.lot_upper[(s, n)], [used[s, n]])) <= 0


def add_contract_allocation(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14c) Contract allocation, each supplier s on the Contracts sheet and node n:

        sum_{r of s} x[r, n] = sum_{c of s in force at t(n)} w[c, n]

    A supplier named on the Contracts sheet sells only under its contracts, in their periods.
    Dual: money per unit."""
    if not cx.allocation:
        return
    x = dict(m.order.items())
    w = dict(m.contract_take.items()) if cx.take_keys else {}

    @m.Constraint(list(cx.allocation), doc="contract allocation (14c)")
    def contract_allocation(m, s, n):
        supply = [x[key] for key in ix.orders_of_supplier[(s, n)]]
        return linear(plus(supply), minus([w[c, n] for c in cx.allocation[(s, n)]])) == 0


def _year_take(m: pyo.ConcreteModel, row: YearRow) -> list:
    if not row.take_keys:
        return []  # the supplier cannot deliver in this year at all
    w = m.contract_take
    return [w[key] for key in row.take_keys]


def add_contract_take_or_pay(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14d) Contract take-or-pay, each contract year y with tau > 0 and node n_e of its last
    period:

        T[c, y, n_e] - sum_{y0} m[c, y0, y, n_e] + d[c, y, n_e] >= TOP[c, y, n_e] o_c

    T sums w along the path to n_e over P[c, y]; TOP = tau A rho times the year's mean alpha
    (force majeure); o_c = 1 for a signed contract. Dual: money per unit of obligation."""
    rows = [row for row in cx.years if (row.contract, row.year, row.node) in
            set(cx.deficiency_keys)]
    if not rows:
        return
    d = dict(m.deficiency.items())
    made = dict(m.make_up.items()) if cx.make_up_keys else {}
    sign = dict(m.sign.items()) if cx.options else {}
    options = set(cx.options)
    by_key = {(row.contract, row.year, row.node): row for row in rows}

    @m.Constraint(list(by_key), doc="contract take-or-pay (14d)")
    def contract_take_or_pay(m, c, y, n_e):
        row = by_key[(c, y, n_e)]
        top = [(-row.top, sign[c])] if c in options else []
        body = linear(plus(_year_take(m, row)), minus([made[k] for k in row.make_ups]),
                      plus([d[c, y, n_e]]), top)
        return body >= (0.0 if c in options else row.top)


def add_make_up_switch(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14e) Make-up only after the obligation, each contract year with make-up volume:

        sum_{y0} m[c, y0, y, n_e] <= B[c, y] mu[c, y, n_e]
        d[c, y, n_e] <= tau A rho[c, y] (1 - mu[c, y, n_e])

    A year that takes make-up volume owes no deficiency, so by (14d) it took its whole
    take-or-pay quantity first."""
    if not cx.switch_keys:
        return
    made, on = dict(m.make_up.items()), dict(m.make_up_on.items())
    d = dict(m.deficiency.items())
    rows = {(row.contract, row.year, row.node): row for row in cx.years}

    @m.Constraint(cx.switch_keys, doc="make-up only in a year that met its take-or-pay (14e)")
    def make_up_switch(m, c, y, n_e):
        row = rows[(c, y, n_e)]
        return linear(plus([made[k] for k in row.make_ups]),
                      times(-cx.switch_bank[(c, y, n_e)], [on[c, y, n_e]])) <= 0

    keys = [key for key in cx.switch_keys if key in d]

    @m.Constraint(keys, doc="no deficiency in a year that takes make-up volume (14e)")
    def make_up_no_deficiency(m, c, y, n_e):
        nominal = rows[(c, y, n_e)].top_nominal
        return linear(plus([d[c, y, n_e]]), times(nominal, [on[c, y, n_e]])) <= nominal


def add_make_up_bank(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14f) Make-up bank, each contract with make-up years, year y0 with a deficiency and
    node n_e of the last year that may make it up:

        sum_{y = y0+1}^{min(y0 + M, last)} m[c, y0, y, anc(n_e, e_y)] <= d[c, y0, anc(n_e, e_y0)]
    """
    if not cx.bank_rows:
        return
    made, d = dict(m.make_up.items()), dict(m.deficiency.items())
    bank = cx.bank_rows

    @m.Constraint(range(len(bank)), doc="make-up bank (14f)")
    def make_up_bank(m, i):
        taken, paid = bank[i]
        return linear(plus([made[k] for k in taken]), minus([d[paid]])) <= 0


def add_contract_ceiling(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14g) Contract ceiling (flex), each contract with flex_up, year y and node n_e:

    T[c, y, n_e] <= (1 + phi_c) A_c rho[c, y] o_c"""
    rows = [row for row in cx.years if row.ceiling is not None]
    if not rows:
        return
    sign = dict(m.sign.items()) if cx.options else {}
    options = set(cx.options)

    @m.Constraint(range(len(rows)), doc="contract ceiling, flex_up (14g)")
    def contract_ceiling(m, i):
        row = rows[i]
        if row.contract in options:
            return linear(plus(_year_take(m, row)),
                          times(-row.ceiling, [sign[row.contract]])) <= 0
        return linear(plus(_year_take(m, row))) <= row.ceiling


def add_option_link(m: pyo.ConcreteModel, ix: ModelIndex, cx: ContractIndex) -> None:
    """(14h) Option not signed, no volume, each option without flex_up and node n:

    w[c, n] <= U[s(c), n] o_c"""
    if not cx.option_links:
        return
    w, sign = dict(m.contract_take.items()), dict(m.sign.items())
    supplier = {c.name: c.supplier for c in ix.plan.contracts.values()}

    @m.Constraint(cx.option_links, doc="option not signed, no volume (14h)")
    def option_link(m, c, n):
        return linear(plus([w[c, n]]), times(-most_sold(ix, supplier[c], n), [sign[c]])) <= 0


def add_contracts(m: pyo.ConcreteModel, ix: ModelIndex) -> ContractIndex:
    """Section 14's variables and constraint families (nothing without its features)."""
    cx = index_contracts(ix)
    ix.cargo_contracts = cx
    if not cx.used:
        return cx
    add_contract_variables(m, ix, cx)
    add_whole_cargoes(m, ix, cx)
    add_minimum_lot(m, ix, cx)
    add_contract_allocation(m, ix, cx)
    add_contract_take_or_pay(m, ix, cx)
    add_make_up_switch(m, ix, cx)
    add_make_up_bank(m, ix, cx)
    add_contract_ceiling(m, ix, cx)
    add_option_link(m, ix, cx)
    return cx


# The whole-number variable families of section 14 (model.md 14.2), in the order the
# diagnosis relaxes them one at a time.
INTEGER_FAMILIES = ("cargoes", "lot_used", "make_up_on", "sign")

