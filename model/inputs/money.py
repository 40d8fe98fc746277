"""Checks of the inputs that state money and obligations (docs/model.md section 15): stock
floors on the Stockpiles sheet and the Budgets sheet. Same conventions as `sheets.py`: typed rows
in, validated records out, every problem recorded with its sheet, row and column."""

from __future__ import annotations

from dataclasses import replace

from model.domain.data import Stockpile
from model.inputs.cells import Collector, Row, suggestion
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
