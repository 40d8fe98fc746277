"""Every figure printed on Prices, Sensitivity, Concentration, Tradeoff-like limit points and
the Summary's binding limits equals a fresh solve of the edited problem (to 1e-6 of the
objective), or is blank with its reason: random small plans (the cross-check's generator),
each figure against a new model built and solved from scratch.

Edits: Prices, one more unit on the period's balance in every scenario (the documented meaning,
applied to a fresh LP); a window's point, that window's rows in a fresh LP; a limit's point,
the plan's max_share or min_share moved by 0.01; a capacity, the supplier's capacity (or the
route's) one unit higher in every period; a break-even or entry price, the supplier's price
path moved to just before and just past it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from helpers import write_workbook
from test_cross_check import random_plan

from model.analyses.sensitivity import insight
from model.domain.errors import InfeasiblePlan
from model.inputs import load_plan
from model.results.extract import (
    SolutionReader,
    concentration_binding,
    concentration_windows,
    extract,
)
from model.solver.plan import solve_plan

SEEDS = range(8)


def fresh(plan):
    """A new model of the plan, solved from scratch; None without an optimal plan."""
    try:
        solved = solve_plan(plan, progress=lambda _: None)
    except InfeasiblePlan:
        return None
    return solved if solved.solution.status == "optimal" else None


def lp_edit_objective(plan, edit) -> float | None:
    """A fresh model of the plan with `edit(solved)` applied to its LP, solved from scratch."""
    solved = fresh(plan)
    edit(solved)
    solved.solver.highs.clearSolver()
    solution = solved.solver.solve()
    return solution.objective if solution.status == "optimal" else None


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.slow
def test_every_printed_figure_equals_a_fresh_solve_of_the_edited_problem(tmp_path, seed):
    path = write_workbook(tmp_path / f"plan{seed}.xlsx", random_plan(seed))
    plan = load_plan(path)
    solved = fresh(plan)
    if solved is None:
        pytest.skip("no optimal plan for this seed")
    f = solved.solution.objective
    tolerance = 1e-6 * max(1.0, abs(f))
    result = extract(solved.built, solved.solver.lp, solved.solution)
    prices, sensitivity, info = insight(solved.built, solved.solver, solved.solution,
                                        result.prices, math.inf, result.concentration)
    assert info["left_for_budget"] == 0
    checked = 0

    # Prices: one more unit in every scenario of the period.
    ix = solved.built.index
    calendar = plan.settings.calendar
    period_of = {calendar.label(t): t for t in range(1, calendar.periods + 1)}
    for row in prices.itertuples(index=False):
        if row.one_more_unit is None or np.isnan(row.one_more_unit):
            assert row.note, "a blank price says why"
            continue
        t = period_of[row.period]

        def more_demand(s, k=row.commodity, g=row.region, t=t):
            lp, index = s.solver.lp, s.built.index
            pair = index.pairs.position[(k, g)]
            nodes = [n.id for n in index.tree.nodes if n.t == t]
            balance = lp.layout.rows["stock_balance"].start + pair * len(index.tree.nodes)
            unmet = lp.layout.columns["unmet"].start + pair * len(index.tree.nodes)
            rows = np.array([balance + n for n in nodes])
            cols = np.array([unmet + n for n in nodes])
            s.solver.change_row_bounds(rows, lp.row_lower[rows] + 1, lp.row_upper[rows] + 1)
            s.solver.change_col_bounds(cols, lp.col_lower[cols], lp.col_upper[cols] + 1)

        edited = lp_edit_objective(plan, more_demand)
        assert edited is not None
        assert edited - f == pytest.approx(row.one_more_unit, abs=tolerance), row
        checked += 1

    # Concentration: each window's whole points (that window's binding rows alone).
    table = info["concentration"]
    windows = concentration_windows(ix)
    binding = concentration_binding(SolutionReader(solved.built, solved.solver.lp, solved.solution))
    at = 0
    for _key, rows in windows:
        shared = len(ix.concentration[rows[0]].scenarios)
        row = table.iloc[at]
        at += shared
        moved = [i for i in rows if binding[i]]
        for column, tighter in (("cost_of_one_more_point", True),
                                ("saving_of_one_point_less", False)):
            figure = row[column]
            if figure is None or (isinstance(figure, float) and np.isnan(figure)):
                assert row["point_method"], "a blank point says why"
                continue

            def point(s, moved=moved, tighter=tighter):
                lp, index = s.solver.lp, s.built.index
                first = lp.layout.rows["concentration"].start
                col0 = lp.layout.columns["scope_supply"].start
                entries = []
                for i in moved:
                    c = index.concentration[i]
                    limit = index.plan.limits[c.limit]
                    share = limit.max_share if c.bound == "max" else limit.min_share
                    towards_zero = tighter == (c.bound == "max")
                    entries.append((first + i, col0 + c.scope,
                                    -(share - 0.01 if towards_zero else share + 0.01)))
                s.solver.change_coefficients(entries)

            edited = lp_edit_objective(plan, point)
            assert edited is not None
            expected = edited - f if tighter else f - edited
            assert expected == pytest.approx(figure, abs=tolerance), (column, row.to_dict())
            checked += 1

    # The Summary's binding limits: the workbook's share moved by 0.01.
    for row in info["limits"].itertuples(index=False):
        limit = plan.limits[row.limit]
        bounds = {c.bound for i, c in enumerate(ix.concentration)
                  if c.limit == row.limit and binding[i]}
        for figure, tighter in ((row.cost_of_one_more_point, True),
                                (row.saving_of_one_point_less, False)):
            if figure is None or np.isnan(figure):
                continue
            step = -0.01 if tighter else 0.01
            changes = {}
            if "max" in bounds:
                changes["max_share"] = limit.max_share + step
            if "min" in bounds:
                changes["min_share"] = limit.min_share - step
            edited_plan = dataclasses.replace(plan, limits={
                **plan.limits, row.limit: dataclasses.replace(limit, **changes)})
            edited = fresh(edited_plan)
            assert edited is not None
            value = edited.solution.objective
            expected = value - f if tighter else f - value
            assert expected == pytest.approx(figure, abs=tolerance), row
            checked += 1

    # Sensitivity: capacities one unit higher, and the suppliers' breakpoints.
    for row in sensitivity.itertuples(index=False):
        if row.kind == "supplier capacity" and not np.isnan(row.saving_per_unit_of_capacity):
            supplier = plan.suppliers[row.name]
            more = tuple(c + 1 if supplier.available(t) else c for t, c in enumerate(
                supplier.capacity_per_period, start=1))
            edited = fresh(dataclasses.replace(plan, suppliers={
                **plan.suppliers, row.name: dataclasses.replace(
                    supplier, capacity_per_period=more)}))
            assert f - edited.solution.objective == pytest.approx(
                row.saving_per_unit_of_capacity, abs=tolerance), row
            checked += 1
        elif row.kind == "route capacity" and not np.isnan(row.saving_per_unit_of_capacity):
            route = plan.routes[row.name]
            edited = fresh(dataclasses.replace(plan, routes={
                **plan.routes, row.name: dataclasses.replace(route, capacity=route.capacity + 1)}))
            assert f - edited.solution.objective == pytest.approx(
                row.saving_per_unit_of_capacity, abs=tolerance), row
            checked += 1
        elif row.kind == "insurance value of a stockpile":
            if row.insurance_value is None or np.isnan(float(row.insurance_value)):
                assert row.finding
                continue
            key = next(key for key in plan.stockpiles if f"{key[0]} in {key[1]}" == row.name)
            pile = plan.stockpiles[key]
            bare = dataclasses.replace(pile, capacity=pile.initial_stock, target_stock=0.0,
                                       target_days=0.0, end_stock=0.0)
            edited = fresh(dataclasses.replace(plan, stockpiles={**plan.stockpiles, key: bare}))
            assert edited.solution.objective - f == pytest.approx(row.insurance_value,
                                                                  abs=tolerance), row
            checked += 1
        elif row.kind.startswith("price of a supplier"):
            point = row.break_even if row.kind.endswith("used") else row.entry_price
            if point is None or np.isnan(point):
                assert row.finding
                continue
            supplier = plan.suppliers[row.name]

            def priced(move, supplier=supplier, name=row.name):
                # The supplier's own price: its unit cost, or for an indexed supplier the
                # constant of its price formula, in its own currency.
                if supplier.price_index:
                    edited = dataclasses.replace(
                        supplier, index_constant=supplier.index_constant + move)
                else:
                    edited = dataclasses.replace(supplier, unit_cost_per_period=tuple(
                        c + move for c in supplier.unit_cost_per_period))
                s = fresh(dataclasses.replace(plan, suppliers={**plan.suppliers,
                                                               name: edited}))
                return s.solution.objective

            move = point - row.price
            h = 1e-3 * max(1.0, abs(move)) * (1 if move >= 0 else -1)
            # f is linear from today to the breakpoint, and bends there.
            if move:
                rate = (priced(move / 2) - f) / (move / 2)
                assert priced(move - h) == pytest.approx(f + rate * (move - h),
                                                         abs=tolerance), row
                assert priced(move + h) < f + rate * (move + h) - 1e-9 * max(1.0, abs(f)), row
            checked += 1
    assert checked > 0 or len(prices) == 0
