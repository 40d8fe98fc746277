"""Issue 22 features on hand-computed cases: demand by year or quarter, hard stock floors,
budgets, indexed prices and currencies, storage investment, events with several effects."""

from __future__ import annotations

import pytest
from helpers import one_commodity, read_plan, settings, solve, summary, write_workbook

from model.inputs import load_plan

# --- demand by year or quarter ------------------------------------------------------------

@pytest.mark.slow
def test_a_year_or_quarter_label_sets_every_period_inside_it(tmp_path):
    # Monthly plan 2027-11 .. 2028-02. Rows (in this order): 2028-02 -> 5; blank -> 10;
    # 2028 -> 20 (the calendar year, although the plan year runs from November);
    # 2027-Q4 -> 12. The finer label wins: demand 12, 12, 20, 5 (sum 49). One supplier at 2,
    # no stock: the optimum buys exactly the demand, 2 x 49 = 98.
    sheets = one_commodity(4, 0, [["only", 100, 2]])
    sheets["Settings"] = settings(4, start="2027-11")
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["k", "home", "2028-02", 5], ["k", "home", None, 10],
                        ["k", "home", 2028, 20], ["k", "home", "2027-Q4", 12]]
    plan = load_plan(write_workbook(tmp_path / "in.xlsx", sheets))
    assert plan.demand_of("k", "home") == (12.0, 12.0, 20.0, 5.0)
    assert plan.demand_rows[("k", "home")] == (5, 5, 4, 2)
    outcome = solve(tmp_path, sheets)
    assert summary(read_plan(outcome.output_path))["objective"] == 98


@pytest.mark.slow
def test_a_year_label_in_a_quarterly_plan(tmp_path):
    # Quarters 2027-Q3 .. 2028-Q2: blank 3, `2028` 8 -> 3, 3, 8, 8; cost 1: optimum 22.
    sheets = one_commodity(4, 0, [["only", 100, 1]])
    sheets["Settings"] = settings(4, start="2027-Q3", period_length="quarter")
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["k", "home", None, 3], ["k", "home", "2028", 8]]
    outcome = solve(tmp_path, sheets)
    assert outcome.plan.demand_of("k", "home") == (3.0, 3.0, 8.0, 8.0)
    assert summary(read_plan(outcome.output_path))["objective"] == 22


# --- obligations: hard stock floors ---------------------------------------------------------

def floor_sheets(min_stock: float = 5, floor_scenarios: str | None = None,
                 crisis: bool = False) -> dict:
    # Two months, demand 10 a month, one supplier at 1 (capacity 100), holding 2 a unit a month,
    # storage unlimited, no initial stock, penalty 100.
    sheets = one_commodity(2, 10, [["only", 100, 1]])
    sheets["Stockpiles"] = [["commodity", "region", "initial_stock", "holding_cost",
                             "min_stock", "floor_scenarios"],
                            ["k", "home", 0, 2, min_stock, floor_scenarios]]
    if crisis:
        sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["crisis", 0.5]]
        sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                                  "end_period"], ["crisis", "supplier", "only", "2027-02",
                                                  "2027-02"]]
    return sheets


@pytest.mark.slow
def test_a_stock_floor_is_held_at_the_end_of_every_period(tmp_path):
    # Without the floor: buy 10 + 10 = 20. With min_stock 5: buy 15 then 10 (stock 5 at the
    # end of both months): purchase 25 + holding 2 x 5 x 2 = 20 -> 45.
    outcome = solve(tmp_path, floor_sheets())
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == 45
    assert list(tables["Stockpile"]["closing"]) == [5, 5]


@pytest.mark.slow
def test_min_days_is_a_floor_in_days_of_the_period_demand(tmp_path):
    # Yearly plan, two years of demand 100, min_days 73 = 73/365 of a year's demand = 20 units.
    # Buy 120 then 100 at 1, hold 20 in both years at 2: 220 + 80 = 300.
    sheets = one_commodity(2, 100, [["only", 1000, 1]])
    sheets["Settings"] = settings(2, start="2027", period_length="year")
    sheets["Stockpiles"] = [["commodity", "region", "holding_cost", "min_days"],
                            ["k", "home", 2, 73]]
    outcome = solve(tmp_path, sheets, check=False)  # (year labels read back as numbers)
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == 300
    assert list(tables["Stockpile"]["closing"]) == [20, 20]


@pytest.mark.slow
def test_a_floor_of_base_may_be_drawn_in_a_crisis(tmp_path):
    # The supplier halts in month 2 of `crisis` (p = 0.5). s = stock carried out of month 1.
    # Floor in base only: month 1 is shared, so s >= 5 there; in month 2 base must end with 5,
    # crisis may empty the store. Cost(s) = (10 + s) + 2s + 0.5 (15 - s + 2 x 5)
    # + 0.5 x 100 (10 - s) for 5 <= s <= 10 falls with s (slope 3 - 0.5 - 50), and beyond 10
    # rises (3 - 0.5 + 0.5 x 2): s = 10, cost 20 + 20 + 7.5 = 47.5.
    outcome = solve(tmp_path, floor_sheets(floor_scenarios="base", crisis=True), name="base")
    assert summary(read_plan(outcome.output_path))["objective"] == 47.5
    # Floor in every scenario: crisis must end month 2 with 5 too, so u >= 15 - s and
    # Cost(s) = (10 + s) + 2s + 0.5 (15 - s + 10) + 0.5 (100 (15 - s) + 10) falls up to
    # s = 15: 25 + 30 + 5 + 5 = 65.
    outcome = solve(tmp_path, floor_sheets(crisis=True), name="all")
    assert summary(read_plan(outcome.output_path))["objective"] == 65


@pytest.mark.slow
def test_the_floor_dual_is_the_cost_of_one_more_unit_of_obligation(tmp_path):
    # floor_sheets: buy 15, 10; stock 5, 5. One more unit of floor in month 2: buy it in
    # month 2 and hold it (1 + 2 = 3). In month 1: buy it in month 1 and hold it a month, and
    # buy one less in month 2 (1 + 2 - 1 = 2). Duals >= 0, in objective units.
    from test_duals import planned

    case = planned(tmp_path, floor_sheets())
    assert case.dual("stock_floor", ("k", "home", 0)) == 2
    assert case.dual("stock_floor", ("k", "home", 1)) == 3
    # Raising min_stock by 0.5 moves both rows: the objective rises by 0.5 x (2 + 3).
    higher = planned(tmp_path, floor_sheets(min_stock=5.5))
    assert higher.objective - case.objective == 2.5


@pytest.mark.slow
def test_an_unreachable_obligation_names_its_row(tmp_path, capsys):
    # Initial stock 3, demand 2 a month, min_stock 5; the only route takes 40 days (one month),
    # so month 1 ends with at most 3 (all its demand left unmet) < 5 whatever is ordered.
    from test_infeasible import named, run_infeasible

    sheets = one_commodity(3, 2, [["far", 100, 1]],
                           routes=[["route", "supplier", "region", "lead_time_days"],
                                   ["sea", "far", "home", 40]])
    sheets["Stockpiles"] = [["commodity", "region", "initial_stock", "min_stock"],
                            ["k", "home", 3, 5]]
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    assert ("Stockpiles", 2, "min_stock") in named(tables["Conflicts"])
    assert ("Stockpiles row 2 min_stock: k in home must hold at least 5 t at the end of 2027-01 "
            "(obligation); the initial stock 3 t and the pipeline arriving by then cannot reach "
            "it (the earliest new order arrives in 2027-02)") in err
    change = tables["Changes"].iloc[0]
    assert (change["sheet"], change["row"], change["column"]) == ("Stockpiles", 2, "min_stock")
    assert change["largest change (unit)"] == 2  # 5 - 3


@pytest.mark.slow
def test_the_summary_lists_binding_obligations_and_periods_below_target(tmp_path):
    # floor_sheets with a soft target of 8 and no target penalty: the plan keeps the floor, 5,
    # so both months sit 3 below the target, with 5 x (365 / 12) / 10 = 15.2 days of cover.
    # The floor binds in both months; one more unit in every month costs 2 + 3 = 5.
    from openpyxl import load_workbook

    sheets = floor_sheets()
    sheets["Stockpiles"][0].append("target_stock")
    sheets["Stockpiles"][1].append(8)
    outcome = solve(tmp_path, sheets)
    ws = load_workbook(outcome.output_path)["Summary"]
    rows = [[c.value for c in row[5:12]] for row in ws.iter_rows()]
    start = rows.index(["Obligations that bind (Stockpiles min_stock / min_days)"]
                       + [None] * 6)
    assert rows[start + 2][:3] == ["k in home (row 2)", "2 of 2 months", 5]
    start = rows.index(["Stock below its target"] + [None] * 6)
    assert rows[start + 1] == ["commodity", "region", "period", "scenarios",
                               "lowest stock (units)", "target (units)", "days of cover"]
    assert rows[start + 2] == ["k", "home", "2027-01", "base", 5, 8,
                               pytest.approx(5 * 365 / 12 / 10)]
    assert rows[start + 3][:6] == ["k", "home", "2027-02", "base", 5, 8]
    assert rows[start + 4][0] is None


# --- budgets --------------------------------------------------------------------------------

def budget_sheets(max_spend: float = 60, year: object = 2027, **extra) -> dict:
    # Two months, demand 10 a month, penalty 100; one supplier at 2 with freight 2 (spend 4 a
    # unit, capacity 100). A budget for 2027 of `max_spend` on everything.
    sheets = one_commodity(2, 10, [["only", 100, 2]],
                           routes=[["route", "supplier", "region", "freight_cost"],
                                   ["only route", "only", "home", 2]])
    sheets["Budgets"] = [["year", "commodity", "region", "max_spend"],
                         [year, "*", "*", max_spend]]
    sheets["Settings"] += [[k, v] for k, v in extra.items()]
    return sheets


@pytest.mark.slow
def test_a_budget_caps_purchases_plus_freight_in_its_plan_year(tmp_path):
    # Unlimited: 20 units at 4 = 80. Budget 60: 15 units (60), 5 unmet at 100: 60 + 500 = 560.
    outcome = solve(tmp_path, budget_sheets())
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == 560
    assert tables["Orders"]["cost"].sum() == 60


@pytest.mark.slow
def test_a_budget_is_undiscounted(tmp_path):
    # With a discount rate the budget still counts money as paid: 15 units whatever the
    # months' discount factors d = 1.2^(-1/12) for month 2. A shortfall is cheaper in month 2
    # (100 d), so month 1 is met in full: 10 x 4 + d (5 x 4 + 5 x 100) = 40 + 520 d.
    outcome = solve(tmp_path, budget_sheets(discount_rate=0.2))
    tables = read_plan(outcome.output_path)
    assert tables["Orders"]["cost"].sum() == pytest.approx(60)
    assert summary(tables)["objective"] == pytest.approx(40 + 520 * 1.2 ** (-1 / 12))


def test_the_budget_dual_is_what_one_more_unit_of_budget_saves(tmp_path):
    # One more unit of budget buys 1/4 unit more, which meets 1/4 unit of demand: it saves
    # 100 / 4 and spends 1: dual = 1 - 25 = -24 (<= 0), in objective units.
    from test_duals import planned

    case = planned(tmp_path, budget_sheets())
    assert case.dual("budget", 0) == pytest.approx(-24)
    assert planned(tmp_path, budget_sheets(61)).objective - case.objective == pytest.approx(-24)


@pytest.mark.slow
def test_a_budget_year_is_a_plan_year(tmp_path, capsys):
    # A plan from July: plan years start in July, and a calendar year is not one of them.
    from test_bad_workbooks import expect_error

    sheets = budget_sheets(year="2027")
    sheets["Settings"] = settings(14, start="2027-07")
    expect_error(tmp_path, sheets, capsys, 'Budgets row 2, column "year": found "2027"; '
                 "expected a plan year, written as the label of its first period (2027-07, "
                 "2028-07).")
    sheets["Budgets"][1][0] = "2028-07"
    plan = load_plan(write_workbook(tmp_path / "july.xlsx", sheets))
    assert plan.budgets[0].periods == (13, 14)


@pytest.mark.slow
def test_an_infeasible_budget_names_its_row(tmp_path, capsys):
    # Take-or-pay 10 a month at 4 a unit spends 80 in 2027; the budget allows 60.
    from test_infeasible import named, run_infeasible

    sheets = budget_sheets()
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(10)
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    assert named(tables["Conflicts"]) == {("Budgets", 2, "max_spend"),
                                          ("Suppliers", 2, "min_take")}
    assert ("Budgets row 2 max_spend: purchases and freight of every commodity into every "
            "region may cost at most 60 USD in the plan year 2027-01 to 2027-02") in err
    # The smallest change counts units and money alike: 20 USD over budget is 5 units at 4 of
    # take-or-pay, in one month or spread over both.
    change = tables["Changes"].iloc[0]
    assert (change["sheet"], change["row"], change["column"]) == ("Suppliers", 2, "min_take")
    assert change["total change (unit)"] == 5


@pytest.mark.slow
def test_the_plan_shows_what_one_more_unit_of_budget_saves(tmp_path):
    # budget_sheets: the budget binds (spend 60 of 60) and one more USD saves 24 (its dual).
    from openpyxl import load_workbook

    outcome = solve(tmp_path, budget_sheets())
    tables = read_plan(outcome.output_path)
    budgets = tables["Budgets"]
    assert list(budgets.columns) == ["row", "year", "commodity", "region", "scenarios",
                                     "spend", "max_spend", "saving_per_unit"]
    assert budgets.iloc[0].tolist() == [2, "2027-01", "*", "*", "base", 60, 60, 24]
    ws = load_workbook(outcome.output_path)["Summary"]
    rows = [[c.value for c in row[5:8]] for row in ws.iter_rows()]
    start = rows.index(["Budgets that bind (Budgets sheet)", None, None])
    assert rows[start + 1] == ["budget", "binds on", "saving of 1 USD more, a rate (USD/USD)"]
    assert rows[start + 2] == ["row 2: 2027-01, all commodities into all regions",
                               "its only path", 24]


# --- indexed prices and currencies ----------------------------------------------------------

def two_suppliers(first: list, second: list, extra_header: list[str]) -> dict:
    sheets = one_commodity(2, 10, [["first", 100, first[0]], ["second", 100, second[0]]])
    sheets["Suppliers"][0] += extra_header
    sheets["Suppliers"][1] += first[1:]
    sheets["Suppliers"][2] += second[1:]
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["other", 0.5]]
    return sheets


@pytest.mark.slow
def test_an_indexed_price_follows_its_index_in_each_scenario(tmp_path):
    # `first` pays 2 + 0.1 x Brent: Brent 80 (every scenario) gives 10, but 120 in month 2 of
    # `other` gives 14, where `second` at 12 is cheaper. Demand 10 a month, no storage:
    # 100 + 0.5 x 100 + 0.5 x 120 = 210. The index splits the tree in month 2.
    sheets = two_suppliers([None, "Brent", 0.1, 2], [12, None, None, None],
                           ["price_index", "index_slope", "index_constant"])
    sheets["Indices"] = [["index", "period", "scenario", "value"],
                         ["Brent", "2027-01", "*", 80], ["Brent", "2027-02", "*", 80],
                         ["Brent", "2027-02", "other", 120]]
    outcome = solve(tmp_path, sheets)
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == pytest.approx(210)
    assert outcome.result.tree_nodes == 3
    orders = tables["Orders"].set_index(["scenario", "period", "supplier"])["unit_cost"]
    assert orders[("other", "2027-02", "second")] == 12
    assert orders[("base", "2027-02", "first")] == pytest.approx(10)


@pytest.mark.slow
def test_a_foreign_currency_is_converted_at_the_period_and_scenario_rate(tmp_path):
    # `first` sells at 10 EUR with 1 EUR freight; EUR is 1.1 USD, 1.2 in month 2 of `other`.
    # `second` sells at 12.5 USD. Month 1: 11 x 1.1 = 12.1 < 12.5; month 2 of `other`:
    # 13.2 > 12.5. 121 + 0.5 x 121 + 0.5 x 125 = 244.
    sheets = two_suppliers([10, "EUR"], [12.5, None], ["currency"])
    sheets["Routes"] = [["route", "supplier", "region", "freight_cost"],
                        ["a", "first", "home", 1], ["b", "second", "home", 0]]
    sheets["FX"] = [["currency", "period", "scenario", "rate"],
                    ["EUR", "2027-01", "*", 1.1], ["EUR", "2027-02", None, 1.1],
                    ["EUR", "2027-02", "other", 1.2]]
    outcome = solve(tmp_path, sheets)
    assert summary(read_plan(outcome.output_path))["objective"] == pytest.approx(244)


@pytest.mark.slow
def test_a_missing_rate_or_index_value_is_named(tmp_path, capsys):
    from test_bad_workbooks import expect_error

    sheets = two_suppliers([10, "EUR"], [12.5, None], ["currency"])
    sheets["FX"] = [["currency", "period", "scenario", "rate"], ["EUR", "2027-01", "*", 1.1],
                    ["EUR", "2027-02", "base", 1.1]]
    expect_error(tmp_path, sheets, capsys,
                 'Suppliers row 2, column "currency": found "EUR"; expected a value of EUR on '
                 "the FX sheet in every period; 2027-02 has none for scenario other")
    sheets = two_suppliers([None, None], [12.5, None], ["price_index"])
    expect_error(tmp_path, sheets, capsys,
                 'Suppliers row 2, column "unit_cost": found an empty cell; expected a number '
                 ">= 0 (a unit cost is needed unless price_index names an index)")


# --- events with several effects, seasons, index moves ------------------------------------

def _old_draw(events, periods, ppy, seed, stream, index):
    # The draw of one-row events without months before issue 22, copied here: existing seeds
    # must keep giving the same futures.
    import numpy as np

    rng = np.random.default_rng([seed, stream, index])
    found = []
    for event in events:
        for first in range(1, periods + 1, ppy):
            block = list(range(first, min(first + ppy, periods + 1)))
            if rng.random() >= event.probability_per_year * len(block) / ppy:
                continue
            start = block[int(rng.integers(len(block)))]
            duration = int(rng.integers(event.min_duration, event.max_duration + 1))
            found.append((event.name, start, min(periods, start + duration - 1)))
    return found


def test_one_row_events_draw_the_same_futures_as_before():
    from model.domain.data import EventKind
    from model.domain.sampling import draw_future

    events = (EventKind("cut", "supplier", "s", 0.4, 2, 5),
              EventKind("jam", "route", "r", 0.7, 1, 3))
    for i in range(200):
        new = [(o.event.name, o.start, o.end) for o in draw_future(events, 30, 12, 5, 0, i)]
        assert new == _old_draw(events, 30, 12, 5, 0, i)


def test_rows_sharing_an_event_name_are_drawn_together():
    from model.domain.data import EventKind
    from model.domain.sampling import describe, draw_future

    closure = EventKind("Hormuz", "chokepoint", "Hormuz", 0.5, 1, 4)
    spike = EventKind("Hormuz", "supplier", "spot", 0.5, 1, 4, 1.0, 2.0)
    seen = 0
    for i in range(300):
        found = draw_future((closure, spike), 24, 12, 9, 0, i)
        assert [o.event for o in found] == [closure, spike] * (len(found) // 2)
        for a, b in zip(found[::2], found[1::2], strict=True):
            assert (a.start, a.end) == (b.start, b.end)
            seen += 1
        if found:
            assert describe(found[:2], str).count("Hormuz") == 1
    assert seen > 100


def test_an_event_with_months_starts_only_in_them():
    # A winter event (12;1;2), certain each plan year: in a monthly plan from 2027-01 it starts
    # in January, February or December; in 14 months the second plan year (Jan and Feb 2028)
    # has 2 of its 3 eligible months, so a chance of 2/3.
    from model.domain.data import EventKind
    from model.domain.periods import parse_period
    from model.domain.sampling import draw_future

    winter = EventKind("cold", "demand", "k", 1.0, 1, 1, months=(12, 1, 2))
    start = parse_period("2027-01", "month")
    starts, second_year = set(), 0
    for i in range(600):
        for o in draw_future((winter,), 14, 12, 2, 0, i, start):
            starts.add(o.start)
            second_year += o.start > 12
    assert starts == {1, 2, 12, 13, 14}
    assert abs(second_year - 400) < 4 * (600 * 2 / 9) ** 0.5
    # Quarterly plan from 2027-Q3: eligible quarters are Q4 (December) and Q1 (Jan, Feb).
    start = parse_period("2027-Q3", "quarter")
    starts = {o.start for i in range(300)
              for o in draw_future((winter,), 8, 4, 2, 0, i, start)}
    assert starts == {2, 3, 6, 7}


@pytest.mark.slow
def test_an_event_moves_an_index_in_sampled_futures(tmp_path):
    # A one-year plan (one period), the supplier priced 2 + 0.1 x Brent with Brent 80 (10 a
    # unit). An event certain each year multiplies Brent by 1.5 (120: 14 a unit) and, as a
    # second effect of the same event, demand by 2 (20 units). Every future: 14 x 20 = 280.
    sheets = one_commodity(1, 10, [["lng", 1000, None]])
    sheets["Settings"] = settings(1, start="2027", period_length="year", sample_scenarios=3)
    sheets["Suppliers"][0] += ["price_index", "index_slope", "index_constant"]
    sheets["Suppliers"][1] += ["Brent", 0.1, 2]
    sheets["Indices"] = [["index", "period", "value"], ["Brent", "2027", 80]]
    sheets["Events"] = [["event", "target_type", "target", "demand_factor",
                         "probability_per_year", "min_duration", "max_duration", "index",
                         "index_factor"],
                        ["war", None, None, None, 1, 1, 1, "Brent", 1.5],
                        ["war", "demand", "k", 2, None, None, None, None, None]]
    outcome = solve(tmp_path, sheets, check=False)  # (year labels read back as numbers)
    assert summary(read_plan(outcome.output_path))["objective"] == pytest.approx(280)


@pytest.mark.slow
def test_a_later_row_of_an_event_may_not_change_its_timing(tmp_path, capsys):
    from test_bad_workbooks import expect_error, valid

    sheets = valid()
    sheets["Events"] = [["event", "target_type", "target", "probability_per_year",
                         "min_duration", "max_duration", "months"],
                        ["winter", "supplier", "Lynas", 0.2, 1, 2, "12;1"],
                        ["winter", "supplier", "Baotou", 0.3, None, None, None],
                        ["typhoon", "supplier", "Baotou", 0.1, 1, 1, "13"]]
    expect_error(tmp_path, sheets, capsys,
                 'Events row 3, column "probability_per_year": found 0.3; expected blank or 0.2, '
                 'as on the first row of event "winter" (row 2): an event is drawn once, with '
                 "one chance, duration and season.",
                 'Events row 4, column "months": found "13"; expected calendar months as numbers '
                 "1 to 12 separated by ; (12;1;2).")


# --- storage investment ---------------------------------------------------------------------

def storage_sheets() -> dict:
    # Two months, demand 10 a month, penalty 100. The only supplier sells in month 1 only (at
    # 1, capacity 100). The store holds 4; a project adds room at 3 a unit.
    sheets = one_commodity(2, 10, [["once", 100, 1]])
    sheets["Suppliers"][0].append("available_to")
    sheets["Suppliers"][1].append("2027-01")
    sheets["Stockpiles"] = [["commodity", "region", "capacity"], ["k", "home", 4]]
    sheets["Investments"] = [["project", "supplier", "commodity", "region", "capex"],
                             ["tank", None, "k", "home", 3]]
    return sheets


@pytest.mark.slow
def test_storage_room_can_be_built(tmp_path):
    # Without building: month 2 gets the 4 held, 6 go unmet: 14 + 600 = 614. Building 6 units
    # of room (18) lets month 1 buy 20 and carry 10: 20 + 18 = 38.
    outcome = solve(tmp_path, storage_sheets())
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == 38
    investment = tables["Investments"].iloc[0]
    assert (investment["supplier"], investment["capacity_built"]) == ("storage: k in home", 6)
    assert list(tables["Stockpile"]["closing"]) == [10, 0]


def test_the_storage_dual_prices_room_at_the_capex(tmp_path):
    # Room binds at the end of month 1 only; with 0 < z < max the capex, 3, is minus the sum
    # of the room duals over the periods it serves: -3 in month 1, 0 in month 2.
    from test_duals import planned

    case = planned(tmp_path, storage_sheets())
    assert case.dual("storage_capacity", ("k", "home", 0)) == pytest.approx(-3)
    assert case.dual("storage_capacity", ("k", "home", 1)) == pytest.approx(0)


# --- template -------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_template_has_the_new_sheets_columns_and_dropdowns(tmp_path):
    import re

    from openpyxl import load_workbook

    from model.io.template import write_template

    wb = load_workbook(write_template(tmp_path / "blank.xlsx"))
    headers = {ws.title: [c.value for c in ws[1]] for ws in wb.worksheets}
    assert headers["Budgets"][:4] == ["year", "commodity", "region", "max_spend (USD)"]
    assert headers["Indices"][:4] == ["index", "period", "scenario", "value"]
    assert headers["FX"][:4] == ["currency", "period", "scenario", "rate"]
    for column in ("price_index", "index_slope", "index_constant (USD/unit)", "currency"):
        assert column in headers["Suppliers"]
    for column in ("min_stock (units)", "min_days (days)", "floor_scenarios"):
        assert column in headers["Stockpiles"]
    for column in ("index", "index_factor", "months"):
        assert column in headers["Events"]
    assert "commodity" in headers["Investments"] and "region" in headers["Investments"]

    def validations(sheet: str) -> dict[str, str]:
        found = {}
        for dv in wb[sheet].data_validations.dataValidation:
            for ref in str(dv.sqref).split():
                found[re.sub(r"\d", "", ref.split(":")[0])] = f"{dv.type} {dv.formula1}"
        return found

    letter = {name: chr(ord("A") + i) for i, name in enumerate(
        [h.split(" (")[0] for h in headers["Suppliers"]])}
    assert validations("Suppliers")[letter["price_index"]] == "list =Indices!$A$2:$A$2000"
    assert validations("Suppliers")[letter["currency"]] == "list =FX!$A$2:$A$2000"
    assert validations("Budgets")["B"] == "list =Commodities!$A$2:$A$2000"
    assert validations("Indices")["C"] == "list =Scenarios!$A$2:$A$2000"
    assert validations("FX")["D"] == "decimal 0"  # rate
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows()
                            for c in row if c.value)
    assert "Budgets" in instructions and "min_days" in instructions and "FX" in instructions


@pytest.mark.parametrize(("scenarios", "eventful"), [("base", 15), ("*", 30)])
@pytest.mark.slow
def test_a_base_floor_binds_in_sampled_futures_until_the_first_event(tmp_path, scenarios,
                                                                     eventful):
    # One month, 24 sampled futures. An event certain each year (a chance of 1/12 in a
    # one-month plan) raises demand from 10 to 15. Supplier at 1, holding 2, min_stock 5.
    # A future without the event keeps the floor: 15 + 5 x 2 = 25. With the event in month 1:
    # a `base` floor no longer binds (15 bought, nothing held: 15); a `*` floor does
    # (20 + 10 = 30). Objective = (25 (24 - c) + eventful c) / 24, c futures with the event.
    sheets = one_commodity(1, 10, [["only", 100, 1]])
    sheets["Settings"] = settings(1, sample_scenarios=24, sample_seed=4)
    sheets["Stockpiles"] = [["commodity", "region", "holding_cost", "min_stock",
                             "floor_scenarios"], ["k", "home", 2, 5, scenarios]]
    sheets["Events"] = [["event", "target_type", "target", "demand_factor",
                         "probability_per_year", "min_duration", "max_duration"],
                        ["surge", "demand", "k", 1.5, 1, 1, 1]]
    outcome = solve(tmp_path, sheets, name=scenarios.replace("*", "all"))
    c = len({d.scenario for d in outcome.plan.disruptions})
    assert 0 < c < 24
    assert outcome.result.objective == pytest.approx((25 * (24 - c) + eventful * c) / 24)


@pytest.mark.slow
def test_capex_in_a_foreign_currency_is_converted_at_the_first_period_rate(tmp_path):
    # One month, demand 10, penalty 100. `euro` sells at 1 EUR but has no capacity until a
    # project adds it at 2 EUR per unit; EUR is 1.5 USD. Building 10 costs 10 x 2 x 1.5 = 30,
    # buying 10 x 1 x 1.5 = 15: 45 < 1,000 unmet.
    sheets = one_commodity(1, 10, [["euro", 0, 1]])
    sheets["Suppliers"][0].append("currency")
    sheets["Suppliers"][1].append("EUR")
    sheets["FX"] = [["currency", "period", "rate"], ["EUR", "2027-01", 1.5]]
    sheets["Investments"] = [["project", "supplier", "capex"], ["mine", "euro", 2]]
    outcome = solve(tmp_path, sheets)
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == pytest.approx(45)
    assert summary(tables)["investment_cost"] == pytest.approx(30)
    investment = tables["Investments"].iloc[0]
    assert investment["capex_per_unit"] == pytest.approx(3)
    assert tables["Orders"]["unit_cost"].iloc[0] == pytest.approx(1.5)


def test_a_budget_nothing_flows_through_is_a_warning(tmp_path):
    sheets = budget_sheets()
    sheets["Demand"].append(["k", "away", None, 0])
    sheets["Budgets"][1][2] = "away"
    plan = load_plan(write_workbook(tmp_path / "in.xlsx", sheets))
    assert [str(w) for w in plan.warnings if w.sheet == "Budgets"] == [
        'Budgets row 2, column "commodity": no route carries this commodity into this region, '
        "so the budget limits nothing."]


@pytest.mark.slow
def test_an_obligation_in_days_above_the_storage_capacity_names_both_rows(tmp_path, capsys):
    # Demand 30 a month and min_days 30: a floor of 30 x 30 / (365 / 12) = 29.589 t, but the
    # store holds 20 t. Short by 9.589 t in each of the three months.
    from test_infeasible import named, run_infeasible

    sheets = one_commodity(3, 30, [["s", 100, 1]])
    sheets["Stockpiles"] = [["commodity", "region", "capacity", "min_days"],
                            ["k", "home", 20, 30]]
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    assert named(tables["Conflicts"]) == {("Stockpiles", 2, "min_days"),
                                          ("Stockpiles", 2, "capacity")}
    assert ("Stockpiles row 2 min_days: k in home must hold at least 29.589 t at the end of "
            "2027-01 (obligation)") in err
    change = tables["Changes"].iloc[0]
    assert change["largest change (unit)"] == pytest.approx(30 * 30 / (365 / 12) - 20)
