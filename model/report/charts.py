"""Native Excel charts of the plan (xlsxwriter charts, not pictures) and the Plan grid.

Charts show the reference scenario (`base` if there is one, else the most likely): supply mix
by processing country per commodity (stacked columns), stock against target per commodity and
region (lines), and the trade-off curve of a Sweep. Their numbers sit on a `Chart data` sheet,
so a reader can check every point.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data import PlanData
from ..results import PlanResult
from .book import fit_to_page_width, write_cell

ROWS_PER_CHART = 16
COLUMNS_PER_CHART = 10
MAX_STOCK_CHARTS = 12


def reference_scenario(plan: PlanData) -> str:
    """`base` if the workbook has it, else the most likely scenario."""
    if "base" in plan.scenarios:
        return "base"
    return max(plan.scenarios.values(), key=lambda s: s.probability).name


def plan_grid(result: PlanResult, plan: PlanData) -> pd.DataFrame:
    """Orders of the reference scenario: one row per route, one column per period."""
    scenario = reference_scenario(plan)
    labels = plan.settings.calendar.labels()
    orders = result.orders[result.orders["scenario"] == scenario]
    rows = []
    for name, route in plan.routes.items():
        supplier = plan.suppliers[route.supplier]
        mine = orders[orders["route"] == name].groupby("period")["quantity"].sum()
        if mine.empty:
            continue
        record: dict[str, Any] = {
            "commodity": supplier.commodity, "unit": plan.commodities[supplier.commodity].unit,
            "supplier": route.supplier, "route": name, "region": route.region,
            "processing_country": supplier.processing_country}
        record.update({label: float(mine.get(label, 0.0)) for label in labels})
        record["total"] = float(mine.sum())
        rows.append(record)
    columns = ["commodity", "unit", "supplier", "route", "region", "processing_country",
               *labels, "total"]
    grid = pd.DataFrame(rows, columns=columns)
    order = {k: i for i, k in enumerate(plan.commodities)}
    return grid.sort_values(["commodity", "region", "supplier"],
                            key=lambda c: c.map(order) if c.name == "commodity" else c,
                            kind="stable").reset_index(drop=True)


def supply_mix(result: PlanResult, plan: PlanData, commodity: str) -> pd.DataFrame:
    """Reference-scenario orders of one commodity per period and processing country."""
    scenario = reference_scenario(plan)
    orders = result.orders[(result.orders["scenario"] == scenario)
                           & (result.orders["commodity"] == commodity)]
    country = orders["supplier"].map(lambda s: plan.suppliers[s].processing_country)
    table = (orders.assign(country=country)
             .pivot_table(index="period", columns="country", values="quantity", aggfunc="sum",
                          fill_value=0.0))
    return table.reindex(plan.settings.calendar.labels(), fill_value=0.0)


def stock_against_target(result: PlanResult, plan: PlanData) -> list[tuple[str, str, Any]]:
    """(commodity, region, table of closing stock and target per period) worth a chart."""
    scenario = reference_scenario(plan)
    stock = result.stockpile[result.stockpile["scenario"] == scenario]
    found = []
    for (k, g), table in stock.groupby(["commodity", "region"], sort=False):
        if table["closing"].max() > 0 or table["target"].max() > 0:
            found.append((k, g, table.set_index("period")[["closing", "target"]]))
    return found[:MAX_STOCK_CHARTS]


class _ChartData:
    """Writes blocks of numbers to the Chart data sheet and remembers where they are."""

    def __init__(self, book: Any, ws: Any):
        self.book = book
        self.ws = ws
        self.row = 0

    def block(self, title: str, table: pd.DataFrame, index_name: str) -> tuple[int, int, int]:
        """Write title, header and rows; return (header row, first data row, last data row),
        0-based."""
        bold = self.book.fmt(bold=True)
        self.ws.write_string(self.row, 0, title, bold)
        header = self.row + 1
        write_cell(self.ws, header, 0, index_name, bold)
        for c, name in enumerate(table.columns, start=1):
            write_cell(self.ws, header, c, str(name), bold)
        for r, (label, values) in enumerate(table.iterrows(), start=header + 1):
            key = label if isinstance(label, int | float) else str(label)
            write_cell(self.ws, r, 0, key)
            for c, value in enumerate(values.tolist(), start=1):
                write_cell(self.ws, r, c, float(value))
        first, last = header + 1, header + len(table)
        self.row = last + 2
        return header, first, last


def _place(charts_ws: Any, chart: Any, slot: int) -> None:
    chart.set_size({"width": 620, "height": 300})
    chart.set_legend({"position": "right"})
    row = 2 + (slot // 2) * ROWS_PER_CHART
    column = (slot % 2) * COLUMNS_PER_CHART
    charts_ws.insert_chart(row, column, chart)


def _title(text: str) -> dict[str, Any]:
    return {"name": text, "name_font": {"size": 11, "bold": True}}


def add_charts(book: Any, result: PlanResult, plan: PlanData) -> int:
    """Add the Charts and Chart data sheets; returns how many charts were drawn."""
    workbook = book.workbook
    charts_ws = book.sheet("Charts")
    fit_to_page_width(charts_ws)
    data_ws = book.sheet("Chart data")
    data_ws.set_column(0, 0, 14)
    data_ws.set_column(1, 30, 12, book.fmt("#,##0.###"))
    sheet = "Chart data"
    scenario = reference_scenario(plan)
    charts_ws.write_string(0, 0, f"Charts of the {scenario} scenario (numbers on the Chart "
                           "data sheet)", book.fmt(bold=True, font_size=12))
    data = _ChartData(book, data_ws)
    slot = 0
    period_name = plan.settings.calendar.period_length
    for k, commodity in plan.commodities.items():
        table = supply_mix(result, plan, k)
        if table.empty or table.to_numpy().sum() <= 0:
            continue
        header, first, last = data.block(f"Supply of {k} by processing country "
                                         f"({commodity.unit} ordered per {period_name})", table,
                                         "period")
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for c in range(1, len(table.columns) + 1):
            chart.add_series({"name": [sheet, header, c],
                              "categories": [sheet, first, 0, last, 0],
                              "values": [sheet, first, c, last, c], "gap": 50})
        chart.set_title(_title(f"{k}: supply by processing country"))
        chart.set_y_axis({"name": f"{commodity.unit} per {period_name}",
                          "num_format": "#,##0"})
        chart.set_x_axis({"name": "order period"})
        _place(charts_ws, chart, slot)
        slot += 1
    for k, g, table in stock_against_target(result, plan):
        unit = plan.commodities[k].unit
        header, first, last = data.block(f"Stock of {k} in {g} ({unit}, end of period)", table,
                                         "period")
        chart = workbook.add_chart({"type": "line"})
        chart.add_series({"name": [sheet, header, 1], "categories": [sheet, first, 0, last, 0],
                          "values": [sheet, first, 1, last, 1], "line": {"width": 2.25},
                          "smooth": False})
        chart.add_series({"name": [sheet, header, 2], "categories": [sheet, first, 0, last, 0],
                          "values": [sheet, first, 2, last, 2],
                          "line": {"dash_type": "dash", "width": 1.5}, "smooth": False})
        chart.set_title(_title(f"{k} in {g}: stock against target"))
        chart.set_y_axis({"name": unit, "num_format": "#,##0"})
        chart.set_x_axis({"name": "period"})
        _place(charts_ws, chart, slot)
        slot += 1
    tradeoff = result.tradeoff
    if tradeoff is not None and len(tradeoff):
        money = plan.settings.currency
        for limit, points in tradeoff.groupby("limit", sort=False):
            feasible = points.dropna(subset=["objective"]).sort_values("max_share")
            if feasible.empty:
                continue
            table = feasible.set_index("max_share")[["objective"]].astype(float)
            scale, unit = ((1e6, f"million {money}") if table["objective"].abs().max() > 1e7
                           else (1.0, money))
            table["objective"] /= scale
            header, first, last = data.block(f"Trade-off of {limit}: objective ({unit}) per "
                                             "max_share", table, "max_share")
            chart = workbook.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
            chart.add_series({"name": "objective", "categories": [sheet, first, 0, last, 0],
                              "values": [sheet, first, 1, last, 1],
                              "marker": {"type": "circle", "size": 6}})
            chart.set_title(_title(f"Cost of diversification: {limit}"))
            chart.set_x_axis({"name": "max_share (fraction of supply)", "num_format": "0%"})
            chart.set_y_axis({"name": f"objective ({unit})", "num_format": "#,##0.0"})
            _place(charts_ws, chart, slot)
            slot += 1
    return slot
