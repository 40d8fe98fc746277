"""Say why no plan exists, in the user's words: which rows of which sheets conflict, in which
scenario and period, and the smallest change that would make a plan possible.

Two views of the same infeasibility:
- HiGHS's irreducible infeasible subsystem (IIS): a minimal set of limits that cannot hold
  together, usually in one scenario and period;
- an elastic re-solve: every hard limit a user can change (take-or-pay, capacities, storage,
  concentration, transfers, projects, budgets, stock obligations) may bend at a cost of 1 per
  unit; the bends of the cheapest such plan are the smallest changes that make the plan
  feasible.
Stock balances stay hard: surplus that cannot be used, stored or moved shows up as "demand too
low to absorb it" on the Demand row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from model.domain.semantics import active, hits_demand, hits_route, hits_supplier
from model.domain.tolerances import ROUND_OFF
from model.formulation import BuiltModel
from model.formulation.contracts import INTEGER_FAMILIES
from model.solver.solve import PlanSolver, Solution, SolveStatus, solve_elastic


@dataclass(frozen=True)
class Source:
    """A limit as the user wrote it: sheet, Excel row, column, its value and what it demands."""

    sheet: str
    row: int | None
    column: str
    value: Any
    text: str
    unit: str = ""

    def label(self) -> str:
        """`Suppliers row 5 min_take`."""
        where = f"{self.sheet} row {self.row}" if self.row else self.sheet
        return f"{where} {self.column}"


@dataclass
class Diagnosis:
    """Why the plan is infeasible (or unbounded), for the terminal and the Diagnosis workbook."""

    status: SolveStatus  # INFEASIBLE or UNBOUNDED
    message: str
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    path: Any = None


class Describer:
    """Maps rows and bounds of the LP back to the workbook rows they come from."""

    def __init__(self, built: BuiltModel, solver: PlanSolver):
        self.built = built
        self.layout = solver.lp.layout
        self.lp_upper = solver.lp.col_upper
        self.ix = built.index
        self.plan = built.index.plan
        self.calendar = self.plan.settings.calendar

    def where(self, node: int) -> tuple[str, str]:
        """(period label, scenario names) of a tree node."""
        tree = self.ix.tree
        info = tree.nodes[node]
        names = ", ".join(tree.scenario_names[w] for w in info.scenarios)
        return self.calendar.label(info.t), names

    def _unit(self, commodity: str) -> str:
        return self.plan.commodities[commodity].unit

    def _disruptions(self, node: int, supplier: str | None = None,
                     route: str | None = None) -> list[Source]:
        """The disruption rows active at the node that scale this supplier or route."""
        tree = self.ix.tree
        info = tree.nodes[node]
        names = {tree.scenario_names[w] for w in info.scenarios}
        found = []
        for d in active(self.plan.disruptions, names, info.t):
            hit = False
            if supplier is not None:
                hit = hits_supplier(d, self.plan.suppliers[supplier])
            if route is not None:
                r = self.plan.routes[route]
                hit = hits_route(d, r, self.plan.commodity_of(r))
            if hit and d.capacity_factor != 1:
                found.append(Source("Disruptions", d.row, "capacity_factor", d.capacity_factor,
                                    f"scenario {d.scenario} scales {d.target} by "
                                    f"{d.capacity_factor:g} from {self.calendar.label(d.start)} "
                                    f"to {self.calendar.label(d.end)}"))
        return found

    def _demand_disruptions(self, node: int, k: str, g: str) -> list[Source]:
        """The demand rows active at the node that scale the demand of k in g."""
        tree = self.ix.tree
        info = tree.nodes[node]
        names = {tree.scenario_names[w] for w in info.scenarios}
        return [Source("Disruptions", d.row, "demand_factor", d.demand_factor,
                       f"scenario {d.scenario} scales the demand of {k} in {g} by "
                       f"{d.demand_factor:g} from {self.calendar.label(d.start)} to "
                       f"{self.calendar.label(d.end)}")
                for d in active(self.plan.disruptions, names, info.t)
                if d.demand_factor != 1 and hits_demand(d, k, g)]

    def row(self, i: int) -> tuple[list[Source], int | None]:
        """Sources of LP row i, and its node (None for rows over several periods)."""
        family, index = self.layout.row(i)
        plan, ix = self.plan, self.ix
        if family == "stock_balance":
            k, g, n = index
            t = ix.t(n)
            rows = plan.demand_rows.get((k, g))
            sources = [Source("Demand", rows[t - 1] if rows else None, "demand",
                              ix.demand[(k, g, n)],
                              f"{k} in {g} uses {ix.demand[(k, g, n)]:g} {self._unit(k)}; what "
                              "arrives must be used, stored or moved on", self._unit(k))]
            if t == 1 and plan.stockpile(k, g).initial_stock:
                stock = plan.stockpile(k, g)
                sources.append(Source("Stockpiles", stock.row, "initial_stock",
                                      stock.initial_stock,
                                      f"{k} in {g} starts with {stock.initial_stock:g} "
                                      f"{self._unit(k)}", self._unit(k)))
            for r, _lead in ix.arrivals[(k, g)]:
                for arrival in plan.pipeline:
                    if arrival.route == r and arrival.period == t:
                        sources.append(Source("Pipeline", arrival.row, "quantity",
                                              arrival.quantity, f"{arrival.quantity:g} "
                                              f"{self._unit(k)} already ordered arrive on {r}",
                                              self._unit(k)))
            return sources + self._demand_disruptions(n, k, g), n
        if family == "take_or_pay":
            s, n = index
            supplier = plan.suppliers[s]
            need = ix.take_or_pay[(s, n)]
            unit = self._unit(supplier.commodity)
            return [Source("Suppliers", supplier.row, "min_take", supplier.min_take,
                           f"{s} must be taken at {need:g} {unit} a period or more "
                           "(take-or-pay)", unit)] + self._disruptions(n, supplier=s), n
        if family == "supplier_capacity":
            s, n = index
            return self._supplier_capacity(s, n), n
        if family == "concentration":
            row = ix.concentration[index]
            limit = plan.limits[row.limit]
            column = "max_share" if row.bound == "max" else "min_share"
            share = limit.max_share if row.bound == "max" else limit.min_share
            scope = {"period": "every period", "year": "each plan year",
                     "horizon": "the whole horizon"}.get(
                limit.basis, f"every {limit.rolling_periods} consecutive periods")
            node = row.has_orders[0][1] if len(row.window) == 1 and row.has_orders else None
            words = "at most" if row.bound == "max" else "at least"
            return [Source("Concentration", limit.row, column, share,
                           f'"{limit.name}": {row.attribute.replace("_", " ")} {row.value} '
                           f"{words} {share:.0%} of {row.commodity} supply in {scope}")], node
        if family == "storage_capacity":
            k, g, n = index
            stock = plan.stockpiles.get((k, g))
            unit = self._unit(k)
            room = stock.capacity if stock is not None else 0.0
            sources = [Source("Stockpiles", stock.row if stock else None, "capacity", room,
                              f"{k} in {g} can hold at most {room:g} {unit}", unit)]
            for j in ix.projects_of_stock[(k, g)]:
                project = plan.projects[j]
                sources.append(Source("Investments", project.row, "max_capacity",
                                      project.max_capacity,
                                      f"project {j} can add room from "
                                      f"{self.calendar.label(project.first_period)}", unit))
            return sources, n
        if family == "budget":
            return [self._budget(index)], None
        if family == "stock_floor":
            k, g, n = index
            return [self._floor(k, g, n)], n
        if family in CONTRACT_ROWS:
            return self._contract_row(family, index)
        # Definitions (scope totals, node costs) are bookkeeping, not limits a user sets.
        return [], None

    def _budget(self, i: int) -> Source:
        """The Budgets cell behind a budget row."""
        row = self.ix.budgets[i]
        budget = self.plan.budgets[row.budget]
        money = self.plan.settings.currency
        what = ("every commodity" if budget.commodity == "*" else budget.commodity)
        where = ("every region" if budget.region == "*" else budget.region)
        label = self.calendar.label
        years = (label(budget.periods[0]) if len(budget.periods) == 1 else
                 f"{label(budget.periods[0])} to {label(budget.periods[-1])}")
        tree = self.ix.tree
        scenarios = ", ".join(tree.scenario_names[w] for w in row.scenarios)
        shared = "" if len(row.scenarios) == len(tree.scenario_names) else \
            f" (scenario {scenarios})"
        return Source("Budgets", budget.row, "max_spend", budget.max_spend,
                      f"purchases and freight of {what} into {where} may cost at most "
                      f"{budget.max_spend:,.6g} {money} in the plan year {years}{shared}", money)

    def _floor(self, k: str, g: str, n: int) -> Source:
        """The Stockpiles cell behind an obligation at a node; when no new order can arrive
        by then, says that the initial stock and the pipeline cannot reach it."""
        plan, ix = self.plan, self.ix
        stock = plan.stockpiles[(k, g)]
        t = ix.t(n)
        floor = ix.floor[(k, g, n)]
        unit = self._unit(k)
        days = floor > stock.min_stock + ROUND_OFF
        column = "min_days" if days else "min_stock"
        value = stock.min_days if days else stock.min_stock
        text = (f"{k} in {g} must hold at least {floor:,.6g} {unit} at the end of "
                f"{self.calendar.label(t)} (obligation)")
        leads = [lead for _r, lead in ix.arrivals[(k, g)]]
        leads += [lead for _f, lead in ix.transfers_in[(k, g)]]
        earliest = 1 + min(leads) if leads else None
        if earliest is None or t < earliest:
            arriving = (f"the earliest new order arrives in {self.calendar.label(earliest)}"
                        if earliest is not None and earliest <= plan.settings.periods
                        else "no new order can arrive")
            text += (f"; the initial stock {stock.initial_stock:g} {unit} and the pipeline "
                     f"arriving by then cannot reach it ({arriving})")
        return Source("Stockpiles", stock.row, column, value, text, unit)

    def _contract(self, name: str, column: str, text: str) -> Source:
        contract = self.plan.contracts[name]
        return Source("Contracts", contract.row, column, getattr(contract, column), text)

    def _contract_row(self, family: str, index: Any) -> tuple[list[Source], int | None]:
        """Sources of a row of model.md section 14 (cargoes, lots, contracts)."""
        plan, ix = self.plan, self.ix
        if family == "whole_cargoes":
            r, n = index
            route = plan.routes[r]
            return [Source("Routes", route.row, "cargo_size", route.cargo_size,
                           f"route {r} carries whole cargoes of {route.cargo_size:g}")], n
        if family in ("lot_floor", "lot_ceiling"):
            s, n = index
            supplier = plan.suppliers[s]
            return [Source("Suppliers", supplier.row, "min_lot", supplier.min_lot,
                           f"{s} is ordered from in lots of at least {supplier.min_lot:g} a "
                           "period, or not at all")] + self._supplier_capacity(s, n), n
        if family == "contract_allocation":
            s, n = index
            rows = [c for c in plan.contracts.values() if c.supplier == s]
            return [Source("Contracts", c.row, "supplier", s,
                           f"{s} sells only under its contracts, in their periods "
                           f"({c.name}: {self.calendar.label(max(c.first_period, 1))} on)")
                    for c in rows], n
        if family == "contract_take_or_pay":
            c, y, n = index
            contract = plan.contracts[c]
            row = next(r for r in ix.cargo_contracts.years if (r.contract, r.year, r.node) ==
                       (c, y, n))
            unit = self._unit(plan.suppliers[contract.supplier].commodity)
            sources = [self._contract(c, "take_or_pay",
                                      f"contract {c} must take or pay {row.top:g} {unit} in its "
                                      f"year ending {self.calendar.label(ix.t(n))}")]
            return sources + self._disruptions(n, supplier=contract.supplier), n
        if family == "contract_ceiling":
            row = [r for r in ix.cargo_contracts.years if r.ceiling is not None][index]
            return [self._contract(row.contract, "flex_up",
                                   f"contract {row.contract} may take at most {row.ceiling:g} "
                                   f"in its year ending {self.calendar.label(ix.t(row.node))}")
                    ], row.node
        if family in ("make_up_switch", "make_up_no_deficiency", "make_up_bank"):
            c = index[0] if isinstance(index, tuple) else \
                ix.cargo_contracts.bank_rows[index][1][0]
            return [self._contract(c, "make_up_years", f"contract {c} may make up volume paid "
                                   "for only after its year's take-or-pay")], None
        if family == "option_link":
            c, n = index
            return [self._contract(c, "option_fee", f"option {c} delivers only if signed")], n
        return [], None

    def _supplier_capacity(self, s: str, n: int) -> list[Source]:
        plan, ix = self.plan, self.ix
        supplier = plan.suppliers[s]
        t = ix.t(n)
        unit = self._unit(supplier.commodity)
        capacity = supplier.capacity_per_period[t - 1] * ix.supply_factor[(s, n)]
        if not supplier.available(t):
            sources = [Source("Suppliers", supplier.row, "available_from/available_to",
                              f"{self.calendar.label(supplier.available_from)} to "
                              f"{self.calendar.label(supplier.available_to)}",
                              f"{s} cannot sell in {self.calendar.label(t)}")]
        elif t in supplier.period_rows:
            sources = [Source("SupplierPeriods", supplier.period_rows[t], "capacity",
                              supplier.capacity_per_period[t - 1],
                              f"{s} sells at most {capacity:g} {unit} in "
                              f"{self.calendar.label(t)}", unit)]
        else:
            sources = [Source("Suppliers", supplier.row, "capacity",
                              supplier.capacity_per_period[t - 1],
                              f"{s} sells at most {capacity:g} {unit} a period", unit)]
        for j in ix.projects_of_supplier[s]:
            project = plan.projects[j]
            sources.append(Source("Investments", project.row, "max_capacity",
                                  project.max_capacity,
                                  f"project {j} can add capacity from "
                                  f"{self.calendar.label(project.first_period)}", unit))
        return sources + self._disruptions(n, supplier=s)

    def _cargo_limit(self, j: int) -> float:
        return float(self.lp_upper[j]) if self.lp_upper is not None else float("nan")

    def bound(self, j: int, side: str) -> tuple[list[Source], int | None]:
        """Sources of LP column j's bound; empty where the bound is plain non-negativity."""
        family, index = self.layout.column(j)
        plan, ix = self.plan, self.ix
        if family == "order" and side != "lower":
            r, n = index
            route = plan.routes[r]
            unit = self._unit(plan.suppliers[route.supplier].commodity)
            closed = self._disruptions(n, route=r)
            if route.capacity is None and closed:
                return closed, n
            return [Source("Routes", route.row, "capacity", route.capacity,
                           f"route {r} carries at most {route.capacity:g} {unit} a period",
                           unit)] + closed, n
        if family == "stock" and side != "lower":
            k, g, n = index
            stock = plan.stockpiles.get((k, g))
            unit = self._unit(k)
            if stock is None:
                rows = plan.demand_rows.get((k, g))
                return [Source("Stockpiles", None, "capacity", 0,
                               f"{k} in {g} has no Stockpiles row, so no stock can be held "
                               f"there (Demand row {rows[0] if rows else '?'})", unit)], n
            return [Source("Stockpiles", stock.row, "capacity", stock.capacity,
                           f"{k} in {g} can hold at most {stock.capacity:g} {unit}", unit)], n
        if family == "unmet":
            k, g, n = index
            rows = plan.demand_rows.get((k, g))
            t = ix.t(n)
            demand = ix.demand[(k, g, n)]
            unit = self._unit(k)
            text = (f"{k} in {g} uses only {demand:g} {unit} in {self.calendar.label(t)}; a "
                    "surplus cannot be thrown away" if side != "upper" else
                    f"unmet demand of {k} in {g} cannot exceed its demand {demand:g} {unit}")
            return [Source("Demand", rows[t - 1] if rows else None, "demand", demand, text,
                           unit)] + self._demand_disruptions(n, k, g), n
        if family == "transfer" and side != "lower":
            f, n = index
            lane = plan.transfers[f]
            return [Source("Transfers", lane.row, "capacity", lane.capacity,
                           f"{lane.name} moves at most {lane.capacity:g} a period")], n
        if family == "cargoes" and side != "lower":
            r, n = index
            route = plan.routes[r]
            return [Source("Routes", route.row, "max_cargoes", route.max_cargoes,
                           f"route {r} takes at most {self._cargo_limit(j):g} cargoes a "
                           "period")] + self._disruptions(n, route=r), n
        if family == "build" and side != "lower":
            project = plan.projects[index]
            return [Source("Investments", project.row, "max_capacity", project.max_capacity,
                           f"project {project.name} adds at most {project.max_capacity:g} a "
                           "period")], None
        return [], None


CONTRACT_ROWS = ("whole_cargoes", "lot_floor", "lot_ceiling", "contract_allocation",
                 "contract_take_or_pay", "contract_ceiling", "make_up_switch",
                 "make_up_no_deficiency", "make_up_bank", "option_link")


def diagnose(built: BuiltModel, solver: PlanSolver, solution: Solution) -> Diagnosis:
    """Explain an infeasible or unbounded plan. A MIP is first judged by its LP relaxation:
    if even that has no plan, its IIS and smallest changes say why, as for any LP; if it has
    one, the whole-number families are relaxed one at a time to find which makes it fail."""
    if solution.status == SolveStatus.UNBOUNDED:
        return _unbounded(built, solver)
    if solver.is_mip:
        solver.make_continuous()
        relaxed = solver.solve()
        if relaxed.status != SolveStatus.INFEASIBLE:
            return _integer_conflict(built, solver)
    describe = Describer(built, solver)
    conflicts: list[dict[str, Any]] = []
    iis = solver.iis()
    if iis is not None:
        entries = [describe.row(i) for i, _ in iis.rows]
        entries += [describe.bound(j, side) for j, side in iis.cols]
        seen = set()
        for sources, node in entries:
            period, scenarios = describe.where(node) if node is not None else ("horizon", "")
            for source in sources:
                key = (source.label(), period, scenarios)
                if key in seen:
                    continue
                seen.add(key)
                conflicts.append({"scenario": scenarios, "period": period,
                                  "sheet": source.sheet, "row": source.row,
                                  "column": source.column, "value": source.value,
                                  "limit": source.text})
    changes = _smallest_changes(built, solver, describe)
    message = _message(conflicts, changes)
    return Diagnosis(SolveStatus.INFEASIBLE, message, conflicts, changes)


def _integer_conflict(built: BuiltModel, solver: PlanSolver) -> Diagnosis:
    """The LP relaxation has a plan but no plan has whole cargoes, lots and contract
    decisions: re-solve with each whole-number family relaxed in turn (the others whole) and
    name the rows of each family that lets a plan exist, where its values are fractional."""
    describe = Describer(built, solver)
    conflicts: list[dict[str, Any]] = []
    layout = solver.lp.layout
    families = [f for f in INTEGER_FAMILIES if f in layout.columns]
    for family in families:
        whole = [f for f in families if f != family]
        solver.make_integer(whole)
        found = solver.solve_mip(fix=False)
        if not found.has_plan:
            continue
        block = layout.columns[family]
        values = found.col_value[block.start:block.stop]
        fractional = [block.start + i for i, v in enumerate(values.tolist())
                      if abs(v - round(v)) > 1e-6]
        for j in fractional:
            sources, node = _integer_sources(describe, j)
            period, scenarios = describe.where(node) if node is not None else ("horizon", "")
            for source in sources:
                conflicts.append({"scenario": scenarios, "period": period,
                                  "sheet": source.sheet, "row": source.row,
                                  "column": source.column, "value": source.value,
                                  "limit": source.text})
    seen, unique = set(), []
    for c in conflicts:
        key = (c["sheet"], c["row"], c["column"], c["period"], c["scenario"])
        if key not in seen:
            seen.add(key)
            unique.append(c)
    lines = ["no plan meets every limit with whole cargoes, lots and contract decisions (a "
             "plan would exist if they could be fractional)."]
    if unique:
        lines.append("These rows force a fraction that cannot be ordered:")
        lines += [f"  - {c['sheet']} row {c['row']} {c['column']}: {c['limit']} (in "
                  f"{c['period']}; scenario {c['scenario'] or 'all'})" for c in unique[:10]]
    return Diagnosis("infeasible", "\n".join(lines), unique, [])


def _integer_sources(describe: Describer, j: int) -> tuple[list[Source], int | None]:
    """Why a whole-number decision cannot be fractional: the sheet row that makes it whole,
    with the storage and demand it has to fit into."""
    family, index = describe.layout.column(j)
    plan, ix = describe.plan, describe.ix
    if family == "cargoes":
        r, n = index
        route = plan.routes[r]
        k = plan.commodity_of(route)
        stock = plan.stockpiles.get((k, route.region))
        unit = plan.commodities[k].unit
        room = "no Stockpiles row (no room)" if stock is None else \
            f"room for {stock.capacity if stock.capacity is not None else 'unlimited'} {unit}"
        sources = [Source("Routes", route.row, "cargo_size", route.cargo_size,
                          f"route {r} carries whole cargoes of {route.cargo_size:g} {unit}; "
                          f"{route.region} has {room}", unit)]
        if stock is not None:
            sources.append(Source("Stockpiles", stock.row, "capacity", stock.capacity,
                                  f"{k} in {route.region} can hold at most {stock.capacity} "
                                  f"{unit}", unit))
        return sources, n
    if family == "lot_used":
        s, n = index
        supplier = plan.suppliers[s]
        return [Source("Suppliers", supplier.row, "min_lot", supplier.min_lot,
                       f"{s} is ordered from in lots of at least {supplier.min_lot:g}")], n
    if family == "make_up_on":
        c, _y, n = index
        return [describe._contract(c, "make_up_years", f"contract {c} makes up volume only "
                                   "after its year's take-or-pay")], n
    if family == "sign":
        return [describe._contract(index, "option_fee", f"option {index} is signed whole or "
                                   "not at all")], None
    _ = ix
    return [], None


def _elastic_sets(built: BuiltModel, solver: PlanSolver
                  ) -> tuple[list[int], list[int], list[int], list[int]]:
    """Rows and bounds the user can change: take-or-pay and stock floors (lower), supplier
    capacity, budgets, storage room and concentration (upper), finite upper bounds of orders,
    stock, transfers and projects, and the lower bound of unmet demand (a surplus to be thrown
    away)."""
    lp = solver.lp
    rows, columns = lp.layout.rows, lp.layout.columns

    def block(blocks: dict, name: str) -> range:
        found = blocks.get(name)
        return range(found.start, found.stop) if found is not None else range(0)

    rows_lower = list(block(rows, "take_or_pay")) + list(block(rows, "stock_floor"))
    rows_upper = list(block(rows, "supplier_capacity")) + list(block(rows, "budget")) \
        + list(block(rows, "storage_capacity"))
    bounds = [row.bound for row in built.index.concentration]
    for i, bound in zip(block(rows, "concentration"), bounds, strict=True):
        (rows_upper if bound == "max" else rows_lower).append(i)
    cols_upper = [j for name in ("order", "stock", "transfer", "build")
                  for j in block(columns, name) if math.isfinite(lp.col_upper[j])]
    cols_lower = list(block(columns, "unmet"))
    return rows_lower, rows_upper, cols_upper, cols_lower



def _smallest_changes(built: BuiltModel, solver: PlanSolver,
                      describe: Describer) -> list[dict[str, Any]]:
    lp = solver.lp
    rows_lower, rows_upper, cols_upper, cols_lower = _elastic_sets(built, solver)
    relaxed = solve_elastic(lp, rows_lower, rows_upper, cols_upper, cols_lower)
    if relaxed.status != SolveStatus.OPTIMAL:
        return []
    grouped: dict[tuple[str, int | None, str], dict[str, Any]] = {}
    items = [(describe.row(i), amount) for i, amount in relaxed.rows.items()]
    items += [(describe.bound(j, "upper"), amount) for j, amount in relaxed.col_upper.items()]
    items += [(describe.bound(j, "lower"), amount) for j, amount in relaxed.col_lower.items()]
    needed_share = _needed_shares(built, solver, relaxed)
    for (sources, node), amount in items:
        if not sources:
            continue
        source = sources[0]
        period, scenarios = describe.where(node) if node is not None else ("horizon", "")
        key = (source.sheet, source.row, source.column)
        entry = grouped.setdefault(key, {
            "sheet": source.sheet, "row": source.row, "column": source.column,
            "value": source.value, "limit": source.text, "unit": source.unit,
            "largest_change": 0.0, "total_change": 0.0, "periods": [], "scenarios": []})
        if source.sheet == "Concentration":
            entry["needed_share"] = max(entry.get("needed_share", 0.0),
                                        needed_share.get(source.row, 0.0))
        entry["largest_change"] = max(entry["largest_change"], amount)
        entry["total_change"] += amount
        if period not in entry["periods"]:
            entry["periods"].append(period)
        for name in scenarios.split(", "):
            if name and name not in entry["scenarios"]:
                entry["scenarios"].append(name)
    changes = sorted(grouped.values(), key=lambda e: -e["total_change"])
    for entry in changes:
        entry["change"] = _change_text(entry)
        entry["periods"] = ", ".join(entry["periods"])
        entry["scenarios"] = ", ".join(entry["scenarios"])
    return changes


def _needed_shares(built: BuiltModel, solver: PlanSolver, relaxed: Any) -> dict[int, float]:
    """Per Concentration row, the largest share its value takes in the relaxed plan."""
    if relaxed.values is None:
        return {}
    ix, lp = built.index, solver.lp
    value = relaxed.values
    first = lp.layout.columns["order"].start
    column = {key: first + i for i, key in enumerate(ix.order_keys)}
    shares: dict[int, float] = {}
    for row in ix.concentration:
        has = sum(value[column[key]] for key in row.has_orders)
        total = sum(value[column[key]] for key in ix.scopes[row.scope])
        if total > ROUND_OFF:
            limit_row = ix.plan.limits[row.limit].row
            shares[limit_row] = max(shares.get(limit_row, 0.0), has / total)
    return shares


def _change_text(entry: dict[str, Any]) -> str:
    amount = entry["largest_change"]
    unit = f" {entry['unit']}" if entry["unit"] else ""
    column = entry["column"]
    if entry["sheet"] == "Demand":
        return (f"{amount:,.6g}{unit} a period more would have to be used (or that much less "
                "supplied)")
    if column == "min_take":
        return f"lower min_take by {amount:,.6g}{unit} a period"
    if column in ("min_stock", "min_days"):
        return f"lower {column} (the stock falls short of the obligation by {amount:,.6g}{unit})"
    if column == "max_share":
        share = entry.get("needed_share")
        target = f" to {share:.1%}" if share else ""
        return f"raise max_share{target} (it holds back {amount:,.6g} units of supply)"
    if column == "min_share":
        return f"lower min_share (it forces {amount:,.6g} units of supply)"
    return f"raise {column} by {amount:,.6g}{unit}"


def _message(conflicts: list[dict[str, Any]], changes: list[dict[str, Any]]) -> str:
    lines = ["no plan meets every limit."]
    if conflicts:
        first = conflicts[0]
        lines.append(f"These limits cannot all hold (scenario {first['scenario'] or 'all'}, "
                     f"{first['period']}):")
        for c in conflicts:
            where = f"{c['sheet']} row {c['row']}" if c["row"] else c["sheet"]
            lines.append(f"  - {where} {c['column']}: {c['limit']}")
    if changes:
        lines.append("Smallest change found that makes a plan possible:")
        for c in changes[:5]:
            where = f"{c['sheet']} row {c['row']}" if c["row"] else c["sheet"]
            lines.append(f"  - {where} {c['column']}: {c['change']} (in {c['periods']}; "
                         f"scenario {c['scenarios']})")
    return "\n".join(lines)


DECISIONS = {"order": "orders on route {0}", "stock": "stock of {0} in {1}",
             "unmet": "unmet demand of {0} in {1}", "below_target": "stock of {0} in {1} below "
             "target", "transfer": "transfers on lane {0}", "build": "capacity built by {0}",
             "node_cost": "cost of a period", "cvar_threshold": "the CVaR threshold",
             "cost_excess": "a scenario's cost above the CVaR threshold"}


def describe_decision(describe: Describer, j: int) -> str:
    """A decision in words: `orders on route X in 2027-03 (scenario base)`."""
    family, index = describe.layout.column(j)
    index = index if isinstance(index, tuple) else (index,)
    if family == "transfer":
        index = (describe.plan.transfers[index[0]].name, index[1])
    text = DECISIONS.get(family, family).format(*[str(i) for i in index])
    if family in ("order", "stock", "unmet", "below_target", "transfer"):
        period, scenarios = describe.where(index[-1])
        text += f" in {period} (scenario {scenarios})"
    return text


def _unbounded(built: BuiltModel, solver: PlanSolver) -> Diagnosis:
    """Name the decisions that can grow without limit at no cost (from the primal ray)."""
    describe = Describer(built, solver)
    names: list[str] = []
    ray = solver.primal_ray()
    if ray is not None:
        for j, value in enumerate(ray.tolist()):
            if abs(value) > ROUND_OFF and not math.isnan(value):
                names.append(describe_decision(describe, j))
    shown = ", ".join(names[:10]) or "unknown"
    message = ("the plan is unbounded: some decision can grow without limit while lowering the "
               f"cost ({shown}); check for negative costs or missing capacities")
    return Diagnosis(SolveStatus.UNBOUNDED, message, [{"limit": n} for n in names])
