"""Checks of the inputs that state money and obligations (docs/model.md section 15): stock
floors on the Stockpiles sheet and the Budgets sheet. Same conventions as `sheets.py`: typed rows
in, validated records out, every problem recorded with its sheet, row and column."""

from __future__ import annotations

from dataclasses import replace

from model.domain.data import Budget, Stockpile
from model.domain.periods import SPAN_PERIOD, SPAN_YEAR, Span
from model.inputs.cells import Collector, Row, check_reference, suggestion
from model.inputs.sheets import Known


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
        if stock.capacity is not None and minimum > stock.capacity + 1e-9:
            issues.error(row.title, row.excel_row, row.header("min_stock"), minimum,
                         f"at most the capacity {stock.capacity:g} (an obligation above it can "
                         "never be met)")
            ok = False
        scenarios = tuple(row["floor_scenarios"] or ("*",))
        if "*" in scenarios:
            scenarios = ()
        for name in scenarios:
            if name not in known.scenarios:
                ok = False
                issues.error(row.title, row.excel_row, row.header("floor_scenarios"), name,
                             "a known scenario (Scenarios sheet) or *"
                             + suggestion(name, list(known.scenarios)))
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
        last = min(t + calendar.periods_per_year - 1, calendar.periods)
        result.append(Budget(tuple(range(t, last + 1)), row["commodity"], row["region"],
                             row["max_spend"], row.excel_row))
    return tuple(result)


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
