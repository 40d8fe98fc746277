"""Tiny workbooks written from Python lists, a one-call solve, and residual checks that read
the written plan back (independent of the model builder)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from model.domain.data import PlanData
from model.pipeline import RunOutcome, run

TOLERANCE = 1e-6


class Formula(str):
    """A cell to be written as a formula (plain strings are always written as text)."""


class Formatted:
    """A cell written with an Excel number format (`hh:mm`, `yyyy-mm-dd`, `0%`)."""

    def __init__(self, value: Any, number_format: str):
        self.value, self.number_format = value, number_format


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Each sheet is a list of rows; the first row is the header."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                if isinstance(value, Formatted):
                    ws.cell(r, c, value.value).number_format = value.number_format
                    continue
                cell = ws.cell(r, c, value)
                if isinstance(value, str) and not isinstance(value, Formula):
                    cell.data_type = "s"
    wb.save(path)
    return path


def settings(periods: int, start: str = "2027-01", **extra: Any) -> list[list[Any]]:
    rows = [["setting", "value"], ["start_period", start], ["periods", periods]]
    rows += [[k, v] for k, v in extra.items()]
    return rows


def one_commodity(periods: int, demand: float | list[float], suppliers: list[list[Any]],
                  routes: list[list[Any]] | None = None, penalty: float = 100.0,
                  stock: list[Any] | None = None, **extra_sheets: list[list[Any]]
                  ) -> dict[str, list[list[Any]]]:
    """A workbook of one commodity `k` (unit t) in region `home`.

    suppliers: rows [supplier, capacity, unit_cost, (more columns per extra header)]; each gets
    a route to `home` with no lead time unless `routes` is given.
    """
    demand_rows = [["commodity", "region", "period", "demand"]]
    if isinstance(demand, list):
        for t, d in enumerate(demand, start=1):
            demand_rows.append(["k", "home", f"2027-{t:02d}", d])
    else:
        demand_rows.append(["k", "home", None, demand])
    sheets: dict[str, list[list[Any]]] = {
        "Settings": settings(periods),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", penalty]],
        "Demand": demand_rows,
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"]]
        + [[s[0], "k", s[0], s[1], s[2]] for s in suppliers],
        "Routes": routes or ([["route", "supplier", "region"]]
                             + [[f"{s[0]} route", s[0], "home"] for s in suppliers]),
    }
    if stock is not None:
        sheets["Stockpiles"] = [["commodity", "region", "initial_stock", "capacity",
                                 "holding_cost"], ["k", "home", *stock]]
    sheets.update(extra_sheets)
    return sheets


def solve(tmp_path: Path, sheets: dict[str, list[list[Any]]], name: str = "case",
          check: bool = True) -> RunOutcome:
    """Write the workbook, run the planner, and check the written plan's residuals."""
    source = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    outcome = run(source, tmp_path / f"{name}_plan.xlsx", progress=lambda _: None)
    if check:
        check_residuals(outcome.plan, read_plan(outcome.output_path))
    return outcome


def _column(header: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", str(header)).strip()


def read_plan(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a written plan, headers without their units."""
    sheets = pd.read_excel(path, sheet_name=None, keep_default_na=False, na_values=[""],
                           engine="calamine")
    return {name: df.rename(columns=_column) for name, df in sheets.items()}


def summary(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return dict(zip(tables["Summary"]["item"], tables["Summary"]["value"], strict=True))


def _factor(plan: PlanData, scenario: str, t: int, field: str, supplier=None,
            route=None) -> float:
    """Product of a factor over the active disruption rows that hit a supplier or a route
    (model.md, "Scenario data"), recomputed here from the plan data alone."""
    product = 1.0
    for d in plan.disruptions:
        if d.scenario != scenario or not d.start <= t <= d.end:
            continue
        if supplier is not None:
            if d.commodity is not None and d.commodity != supplier.commodity:
                continue
            hit = (d.target_type, d.target) in {("supplier", supplier.name),
                                                ("origin_country", supplier.origin_country),
                                                ("processing_country",
                                                 supplier.processing_country)}
        else:
            commodity = plan.suppliers[route.supplier].commodity
            if d.commodity is not None and d.commodity != commodity:
                continue
            hit = (d.target_type == "route" and d.target == route.name) or (
                d.target_type == "chokepoint" and d.target in route.chokepoints)
        if hit:
            product *= getattr(d, field)
    return product


def _sums(frame: pd.DataFrame, keys: list[str]) -> dict:
    if not len(frame):
        return {}
    return frame.groupby(keys)["quantity"].sum().to_dict()


def check_residuals(plan: PlanData, tables: dict[str, pd.DataFrame]) -> None:
    """Every limit of model.md holds in the written Orders, Stockpile and Transfers sheets to
    1e-6, with the scenario factors recomputed here from the plan data (not by the planner)."""
    calendar = plan.settings.calendar
    n = calendar.periods
    labels = calendar.labels()
    t_of = {label: t for t, label in enumerate(labels, start=1)}
    orders = tables["Orders"]
    stock = tables["Stockpile"]
    transfers = tables.get("Transfers", pd.DataFrame(columns=[
        "scenario", "period", "arrival_period", "commodity", "from_region", "to_region",
        "quantity"]))
    assert set(orders["period"]).issubset(t_of), "orders outside the horizon"
    assert set(orders["arrival_period"]).issubset(t_of), "an order arrives after the horizon"

    # (1) balance, row by row, and where its arrivals come from.
    lhs = stock.opening + stock.arrivals + stock.transfers_in - stock.transfers_out \
        + stock.shortfall
    assert ((lhs - stock.demand - stock.closing).abs() <= TOLERANCE).all(), "balance"
    built_room = {}
    if "Investments" in tables:
        inv = tables["Investments"]
        built_room = dict(zip(inv.project, inv.capacity_built, strict=True))
    arrived = _sums(orders, ["scenario", "commodity", "region", "arrival_period"])
    moved_in = _sums(transfers, ["scenario", "commodity", "to_region", "arrival_period"])
    piped: dict = {}
    for w in plan.scenarios:
        for a in plan.pipeline:
            route = plan.routes[a.route]
            key = (w, plan.suppliers[route.supplier].commodity, route.region, labels[a.period - 1])
            b = _factor(plan, w, a.period, "capacity_factor", route=route)
            piped[key] = piped.get(key, 0.0) + a.quantity * b
    for row in stock.itertuples(index=False):
        key = (row.scenario, row.commodity, row.region, row.period)
        assert math.isclose(arrived.get(key, 0.0) + piped.get(key, 0.0), row.arrivals,
                            abs_tol=TOLERANCE), row
        assert math.isclose(moved_in.get(key, 0.0), row.transfers_in, abs_tol=TOLERANCE), row
        assert row.shortfall <= row.demand + TOLERANCE
        assert row.closing >= -TOLERANCE
        stockpile = plan.stockpile(row.commodity, row.region)
        if stockpile.capacity is not None:
            room = sum(built_room.get(p.name, 0.0) for p in plan.projects.values()
                       if p.stockpile == (row.commodity, row.region)
                       and t_of[row.period] >= p.first_period)
            assert row.closing <= stockpile.capacity + room + TOLERANCE, row
        if row.period == labels[-1] and stockpile.end_stock > 0:  # (7b)
            assert row.end_shortfall >= stockpile.end_stock - row.closing - TOLERANCE, row

    # (2) supplier capacity and (4) take-or-pay; (3) route capacity.
    bought = _sums(orders, ["scenario", "supplier", "period"])
    carried = _sums(orders, ["scenario", "route", "period"])
    built = {}
    if "Investments" in tables:
        inv = tables["Investments"]
        built = dict(zip(inv.project, inv.capacity_built, strict=True))
    routes_of: dict[str, list] = {}
    for route in plan.routes.values():
        routes_of.setdefault(route.supplier, []).append(route)
    for w in plan.scenarios:
        for supplier in plan.suppliers.values():
            for t, label in enumerate(labels, start=1):
                a = _factor(plan, w, t, "capacity_factor", supplier=supplier)
                extra = sum(built.get(p.name, 0.0) for p in plan.projects.values()
                            if p.supplier == supplier.name and t >= p.first_period)
                q = bought.get((w, supplier.name, label), 0.0)
                assert q <= (supplier.capacity_per_period[t - 1] + extra) * a + TOLERANCE, \
                    (w, supplier.name, label, q)
                deliver = [_factor(plan, w, t, "capacity_factor", route=r)
                           for r in routes_of.get(supplier.name, []) if t + r.lead_periods <= n]
                if supplier.available(t) and supplier.min_take > 0 and deliver:
                    assert q >= supplier.min_take * a * max(deliver) - TOLERANCE, \
                        (w, supplier.name, label, q)
        for route in plan.routes.values():
            for t, label in enumerate(labels, start=1):
                b = _factor(plan, w, t, "capacity_factor", route=route)
                q = carried.get((w, route.name, label), 0.0)
                if route.capacity is not None:
                    assert q <= route.capacity * b + TOLERANCE
                if b == 0:
                    assert q <= TOLERANCE
    # (7) transfer capacity.
    for lane in plan.transfers:
        if lane.capacity is not None:
            lane_rows = transfers[(transfers.commodity == lane.commodity)
                                  & (transfers.from_region == lane.from_region)
                                  & (transfers.to_region == lane.to_region)]
            assert (lane_rows["quantity"] <= lane.capacity + TOLERANCE).all()
    check_limits_from_orders(plan, orders)


def _has(plan: PlanData, route_name: str, attribute: str) -> set[str]:
    route = plan.routes[route_name]
    supplier = plan.suppliers[route.supplier]
    if attribute == "origin_country":
        return {supplier.origin_country}
    if attribute == "processing_country":
        return {supplier.processing_country}
    if attribute == "origin_group":
        return set(plan.groups.get(supplier.origin_country, ()))
    if attribute == "processing_group":
        return set(plan.groups.get(supplier.processing_country, ()))
    if attribute == "supplier":
        return {supplier.name}
    if attribute == "route":
        return {route.name}
    return set(route.chokepoints)


def _windows(plan: PlanData, basis: str, rolling: int | None) -> list[list[int]]:
    n, ppy = plan.settings.periods, plan.settings.calendar.periods_per_year
    if basis == "period":
        return [[t] for t in range(1, n + 1)]
    if basis == "year":
        return [list(range(t, min(t + ppy, n + 1))) for t in range(1, n + 1, ppy)]
    if basis == "rolling" and rolling < n:
        return [list(range(t, t + rolling)) for t in range(1, n - rolling + 2)]
    return [list(range(1, n + 1))]


def check_limits_from_orders(plan: PlanData, orders: pd.DataFrame) -> None:
    """Every concentration limit holds in the scenarios it names and the windows of its basis,
    recomputed from Orders."""
    labels = plan.settings.calendar.labels()
    for limit in plan.limits.values():
        scenarios = limit.scenarios or tuple(plan.scenarios)
        commodities = plan.commodities if limit.commodity == "*" else [limit.commodity]
        for k in commodities:
            scope_routes = [r.name for r in plan.routes.values()
                            if plan.suppliers[r.supplier].commodity == k
                            and (limit.region == "*" or r.region == limit.region)]
            scope = orders[orders.route.isin(scope_routes)]
            values = ({v for r in scope_routes for v in _has(plan, r, limit.attribute)}
                      if limit.value == "*" else {limit.value})
            for value in values:
                having = [r for r in scope_routes if value in _has(plan, r, limit.attribute)]
                for name in scenarios:
                    mine = scope[scope.scenario == name]
                    by_period = mine.groupby("period")["quantity"].sum().to_dict()
                    has_by_period = mine[mine.route.isin(having)].groupby(
                        "period")["quantity"].sum().to_dict()
                    for window in _windows(plan, limit.basis, limit.rolling_periods):
                        total = sum(by_period.get(labels[t - 1], 0.0) for t in window)
                        has = sum(has_by_period.get(labels[t - 1], 0.0) for t in window)
                        if limit.max_share is not None:
                            assert has <= limit.max_share * total + 1e-6, (limit.name, name,
                                                                            value, window)
                        if limit.min_share is not None:
                            assert has >= limit.min_share * total - 1e-6, (limit.name, name,
                                                                            value, window)
