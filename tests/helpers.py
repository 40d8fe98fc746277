"""Tiny workbooks written from Python lists, a one-call solve, and residual checks that read
the written plan back (independent of the model builder)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from model.data import PlanData
from model.pipeline import RunOutcome, run

TOLERANCE = 1e-6


class Formula(str):
    """A cell to be written as a formula (plain strings are always written as text)."""


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
                           engine="openpyxl")
    return {name: df.rename(columns=_column) for name, df in sheets.items()}


def summary(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return dict(zip(tables["Summary"]["item"], tables["Summary"]["value"], strict=True))


def _active(plan: PlanData, scenario: str, t: int, kinds: set[str], names: set[str]):
    for row in plan.disruptions:
        if row.scenario == scenario and row.start <= t <= row.end and row.target_type in kinds \
                and row.target in names:
            yield row


def check_residuals(plan: PlanData, tables: dict[str, pd.DataFrame]) -> None:
    """Balance, capacities, take-or-pay, storage, transfers and concentration limits hold in the
    written Orders and Stockpile sheets to 1e-6 (factors recomputed here from the plan data)."""
    labels = plan.settings.calendar.labels()
    t_of = {label: t for t, label in enumerate(labels, start=1)}
    lead_of = {label: t for t, label in enumerate(
        [plan.settings.calendar.label(t) for t in range(1, 3 * len(labels) + 2)], start=1)}
    orders = tables["Orders"]
    stock = tables["Stockpile"]
    transfers = tables.get("Transfers", pd.DataFrame(columns=[
        "scenario", "period", "arrival_period", "commodity", "from_region", "to_region",
        "quantity"]))

    def qty(frame: pd.DataFrame, **match: Any) -> float:
        mask = pd.Series(True, index=frame.index)
        for key, value in match.items():
            mask &= frame[key] == value
        return float(frame.loc[mask, "quantity"].sum())

    for row in stock.itertuples(index=False):
        lhs = row.opening + row.arrivals + row.transfers_in - row.transfers_out + row.shortfall
        assert math.isclose(lhs, row.demand + row.closing, abs_tol=TOLERANCE), row
        arrived = orders[(orders.scenario == row.scenario) & (orders.commodity == row.commodity)
                         & (orders.region == row.region) & (orders.arrival_period == row.period)]
        assert math.isclose(arrived["quantity"].sum(), row.arrivals, abs_tol=TOLERANCE), row
        moved_in = transfers[(transfers.scenario == row.scenario)
                             & (transfers.commodity == row.commodity)
                             & (transfers.to_region == row.region)
                             & (transfers.arrival_period == row.period)]
        assert math.isclose(moved_in["quantity"].sum(), row.transfers_in, abs_tol=TOLERANCE)
        assert row.shortfall <= row.demand + TOLERANCE
        assert row.closing >= -TOLERANCE
        capacity = plan.stockpile(row.commodity, row.region).capacity
        if capacity is not None:
            assert row.closing <= capacity + TOLERANCE, row
    for name in plan.scenarios:
        for supplier in plan.suppliers.values():
            for t, label in enumerate(labels, start=1):
                names = {supplier.name, supplier.origin_country, supplier.processing_country}
                factor = math.prod(r.capacity_factor for r in _active(
                    plan, name, t, {"supplier", "origin_country", "processing_country"}, names)
                    if (r.target_type == "supplier" and r.target == supplier.name)
                    or (r.target_type == "origin_country" and r.target == supplier.origin_country)
                    or (r.target_type == "processing_country"
                        and r.target == supplier.processing_country))
                bought = qty(orders, scenario=name, supplier=supplier.name, period=label)
                built = 0.0
                if "Investments" in tables:
                    inv = tables["Investments"]
                    for p in plan.projects.values():
                        if p.supplier == supplier.name and t >= p.first_period:
                            built += float(inv.loc[inv.project == p.name, "capacity_built"].sum())
                cap = (supplier.capacity_per_period[t - 1] + built) * factor
                assert bought <= cap + TOLERANCE, (name, supplier.name, label, bought, cap)
                if supplier.available(t) and supplier.min_take > 0:
                    assert bought >= supplier.min_take * factor - TOLERANCE
        for route in plan.routes.values():
            for t, label in enumerate(labels, start=1):
                factor = math.prod(r.capacity_factor for r in _active(
                    plan, name, t, {"route", "chokepoint"}, {route.name, *route.chokepoints}))
                moved = qty(orders, scenario=name, route=route.name, period=label)
                if route.capacity is not None:
                    assert moved <= route.capacity * factor + TOLERANCE
                if factor == 0:
                    assert moved <= TOLERANCE
    for lane in plan.transfers:
        if lane.capacity is not None:
            lane_rows = transfers[(transfers.commodity == lane.commodity)
                                  & (transfers.from_region == lane.from_region)
                                  & (transfers.to_region == lane.to_region)]
            assert (lane_rows["quantity"] <= lane.capacity + TOLERANCE).all()
    table = tables["Concentration"]
    for row in table.itertuples(index=False):
        if isinstance(row.share, float) and not math.isnan(row.share):
            assert row.share <= row.max_share + 1e-6, row
    check_limits_from_orders(plan, orders)
    assert set(orders["period"]).issubset(t_of), "orders outside the horizon"
    assert set(orders["arrival_period"]).issubset(lead_of)


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


def check_limits_from_orders(plan: PlanData, orders: pd.DataFrame) -> None:
    """Every concentration limit holds in the scenarios it names, recomputed from Orders."""
    for limit in plan.limits.values():
        scenarios = limit.scenarios or tuple(plan.scenarios)
        commodities = plan.commodities if limit.commodity == "*" else [limit.commodity]
        for k in commodities:
            scope = orders[(orders.commodity == k)
                           & ((orders.region == limit.region) if limit.region != "*" else True)]
            values = ({v for r in scope.route.unique() for v in _has(plan, r, limit.attribute)}
                      if limit.value == "*" else {limit.value})
            for name in scenarios:
                mine = scope[scope.scenario == name]
                groups = [mine] if limit.basis == "horizon" else [
                    g for _, g in mine.groupby("period")]
                for group in groups:
                    total = group["quantity"].sum()
                    for value in values:
                        has = group[[value in _has(plan, r, limit.attribute)
                                     for r in group.route]]["quantity"].sum()
                        assert has <= limit.max_share * total + 1e-6, (limit.name, name, value)
