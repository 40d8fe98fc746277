"""Checks of the inputs that state money and obligations (docs/model.md section 15): stock
floors on the Stockpiles sheet and the Budgets sheet. Same conventions as `sheets.py`: typed rows
in, validated records out, every problem recorded with its sheet, row and column."""

from __future__ import annotations

from dataclasses import replace

from model.domain.data import Budget, PlanData, Series, Stockpile, Supplier, series_value
from model.domain.periods import SPAN_PERIOD, SPAN_YEAR, Span
from model.domain.tolerances import ROUND_OFF
from model.inputs.cells import (
    Collector,
    Row,
    check_reference,
    check_unique,
    suggestion,
    to_plan_period,
)
from model.inputs.sheets import Known, scenario_list


def add_floors(rows: list[Row], stockpiles: dict[tuple[str, str], Stockpile], known: Known,
               issues: Collector) -> dict[tuple[str, str], Stockpile]:
    """Stockpiles `min_stock`, `min_days` and `floor_scenarios`: a floor within the storage
    capacity (a min_stock above it can never be held), scenarios that exist (or `*`)."""
    result = dict(stockpiles)
    for row in rows:
        key = (row["commodity"], row["region"])
        stock = stockpiles.get(key)
        if stock is None or stock.row != row.excel_row:
            continue  # the row had another problem, already recorded
        if not row.ok("min_stock", "min_days", "floor_scenarios"):
            result.pop(key)
            continue
        minimum, days = row["min_stock"] or 0.0, row["min_days"] or 0.0
        ok = True
        if stock.capacity is not None and minimum > stock.capacity + ROUND_OFF:
            issues.error(row.title, row.excel_row, row.header("min_stock"), minimum,
                         f"at most the capacity {stock.capacity:g} (an obligation above it can "
                         "never be met)")
            ok = False
        scenarios, known_names = scenario_list(row, "floor_scenarios", known, issues)
        ok &= known_names
        if not ok:
            result.pop(key)
            continue
        result[key] = replace(stock, min_stock=minimum, min_days=days,
                              floor_scenarios=scenarios)
    return result


def check_budgets(rows: list[Row], known: Known, issues: Collector) -> tuple[Budget, ...]:
    """Budgets: a plan year inside the horizon (the label of its first period, or the calendar
    year for a plan starting in January), a known commodity and region or `*`."""
    calendar = known.calendar
    result = []
    for row in rows:
        ok = check_reference(row, "commodity", known.commodities,
                             "commodity (Commodities sheet) or *", issues, allow_star=True)
        ok &= check_reference(row, "region", known.regions, "region or *", issues,
                              allow_star=True)
        if not (ok and row.ok("year", "max_spend")) or calendar is None:
            continue
        t = _plan_year_start(row, row["year"], calendar, issues)
        if t is None:
            continue
        if not any(_in_scope(row, route, known) for route in known.routes.values()):
            issues.note(row.title, row.excel_row, row.header("commodity"),
                        "no route carries this commodity into this region, so the budget "
                        "limits nothing", "warning")
        last = min(t + calendar.periods_per_year - 1, calendar.periods)
        result.append(Budget(tuple(range(t, last + 1)), row["commodity"], row["region"],
                             row["max_spend"], row.excel_row))
    return tuple(result)


def _in_scope(row: Row, route, known: Known) -> bool:
    """Whether a budget row's commodity and region (or `*`) take in a route."""
    supplier = known.suppliers.get(route.supplier)
    return (supplier is not None and row["commodity"] in ("*", supplier.commodity)
            and row["region"] in ("*", route.region))


def _plan_year_start(row: Row, span: Span, calendar, issues: Collector) -> int | None:
    """Plan period t starting the plan year a Budgets `year` cell names, or None (recorded)."""
    ppy, n = calendar.periods_per_year, calendar.periods
    starts = [calendar.label(t) for t in range(1, n + 1, ppy)]
    january = calendar.start % ppy == 0
    expected = ("a plan year, written as the label of its first period ("
                + ", ".join(starts[:4]) + (", ..." if len(starts) > 4 else "")
                + (") or as the calendar year" if january and ppy > 1 else ")"))
    if span.level == SPAN_PERIOD or (span.level == SPAN_YEAR and january):
        t = calendar.period_of(span.first)
        if 1 <= t <= n and (t - 1) % ppy == 0:
            return t
    issues.error(row.title, row.excel_row, row.header("year"), row.raw("year"), expected)
    return None


def check_series(rows: list[Row], name_column: str, value_column: str, known: Known,
                 issues: Collector) -> dict[str, Series]:
    """Indices or FX: per name, per scenario (or `*`), a value per plan period (None where
    none is given). Periods outside the horizon are ignored; scenarios must exist."""
    calendar = known.calendar
    found: dict[str, Series] = {}
    if calendar is None:
        return found
    n = calendar.periods
    for row in check_unique(rows, (name_column, "period", "scenario"), issues):
        if not row.ok(value_column):
            continue
        scenario = row["scenario"] or "*"
        if scenario != "*" and not check_reference(row, "scenario", known.scenarios,
                                                   "scenario (Scenarios sheet) or *", issues):
            continue
        t = to_plan_period(row, "period", calendar, issues, must_be_inside=False)
        if t is None or not 1 <= t <= n:
            continue
        values = found.setdefault(row[name_column], {}).setdefault(scenario, (None,) * n)
        found[row[name_column]][scenario] = values[:t - 1] + (row[value_column],) + values[t:]
    return found


def check_supplier_money(rows: list[Row], suppliers: dict[str, Supplier],
                         indices: dict[str, Series], fx: dict[str, Series], known: Known,
                         planning_currency: str, sampled: bool, issues: Collector
                         ) -> dict[str, Supplier]:
    """Suppliers `unit_cost` (or `price_index` with `index_slope` and `index_constant`) and
    `currency`: a known index and currency with a value in every period for every scenario,
    and a unit cost that is never negative."""
    result = dict(suppliers)
    calendar = known.calendar
    if calendar is None:
        return result
    scenarios = ["*"] if sampled else list(known.scenarios)
    for row in rows:
        supplier = suppliers.get(row["supplier"])
        if supplier is None or supplier.row != row.excel_row:
            continue
        if not row.ok("price_index", "index_slope", "index_constant", "currency"):
            result.pop(supplier.name)
            continue
        index, currency = row["price_index"], row["currency"]
        ok = True
        if index is None and row["unit_cost"] is None:
            issues.error(row.title, row.excel_row, row.header("unit_cost"), None,
                         "a number >= 0 (a unit cost is needed unless price_index names an "
                         "index)")
            ok = False
        if index is not None:
            ok &= check_reference(row, "price_index", indices, "index (Indices sheet)", issues)
            if ok:
                ok &= _covered(row, "price_index", index, indices[index], scenarios, calendar,
                               "Indices", issues)
            if ok:
                slope, constant = row["index_slope"] or 0.0, row["index_constant"] or 0.0
                ok &= _never_negative(row, indices[index], scenarios, slope, constant,
                                      calendar, issues)
        if currency == planning_currency:
            currency = None
        if currency is not None:
            if currency not in fx:
                issues.error(row.title, row.excel_row, row.header("currency"), currency,
                             f"the Settings currency {planning_currency} or a currency with "
                             "rates on the FX sheet" + suggestion(currency, list(fx)))
                ok = False
            else:
                ok &= _covered(row, "currency", currency, fx[currency], scenarios, calendar,
                               "FX", issues)
        if not ok:
            result.pop(supplier.name)
            continue
        result[supplier.name] = replace(
            supplier, price_index=index, index_slope=row["index_slope"] or 0.0,
            index_constant=row["index_constant"] or 0.0, currency=currency)
    return result


def _covered(row: Row, column: str, name: str, series: Series, scenarios: list[str],
             calendar, sheet: str, issues: Collector) -> bool:
    """Every plan period has a value of `name` for every scenario (its own or `*`)."""
    for t in range(1, calendar.periods + 1):
        missing = [w for w in scenarios if series_value(series, w, t) is None]
        if missing:
            whom = ("" if missing == ["*"] else " for scenario " + ", ".join(missing))
            issues.error(row.title, row.excel_row, row.header(column), name,
                         f"a value of {name} on the {sheet} sheet in every period; "
                         f"{calendar.label(t)} has none{whom} (give a row with scenario * or "
                         "one per scenario)")
            return False
    return True


def _never_negative(row: Row, series: Series, scenarios: list[str], slope: float,
                    constant: float, calendar, issues: Collector) -> bool:
    """index_constant + index_slope x index value >= 0 in every period and scenario."""
    for t in range(1, calendar.periods + 1):
        for w in scenarios:
            price = constant + slope * (series_value(series, w, t) or 0.0)
            if price < 0:
                issues.error(row.title, row.excel_row, row.header("index_slope"), slope,
                             f"a formula whose unit cost is never negative; in "
                             f"{calendar.label(t)}"
                             + ("" if w == "*" else f" (scenario {w})")
                             + f" it gives {price:g}")
                return False
    return True


def check_storage_projects(plan: PlanData, issues: Collector) -> None:
    """A storage project at a stockpile whose capacity is blank (unlimited) builds room that is
    never needed: a warning."""
    for project in plan.projects.values():
        key = project.stockpile
        if key is not None and key in plan.stockpiles and plan.stockpiles[key].capacity is None:
            issues.note("Investments", project.row, "commodity",
                        f"the stockpile of {key[0]} in {key[1]} has no capacity limit "
                        "(Stockpiles capacity is blank), so room built there is never needed",
                        "warning")
