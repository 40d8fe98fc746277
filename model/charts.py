"""Native Excel charts of the plan (openpyxl charts, not pictures) and the Plan grid.

Charts show the reference scenario (`base` if there is one, else the most likely): supply mix
by processing country per commodity (stacked columns), stock against target per commodity and
region (lines), and the trade-off curve of a Sweep. Their numbers sit on a `Chart data` sheet,
so a reader can check every point.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.utils import get_column_letter

from .data import PlanData
from .results import PlanResult

CHART_WIDTH_CM = 16.0
CHART_HEIGHT_CM = 7.5
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

    def __init__(self, ws: Any, write_row: Any):
        self.ws = ws
        self.write_row = write_row
        self.row = 0

    def block(self, title: str, table: pd.DataFrame, index_name: str) -> tuple[int, int, int]:
        """Write title, header and rows; return (header row, first data row, last data row)."""
        self.write_row(self.ws, [title], bold=True)
        self.write_row(self.ws, [index_name, *map(str, table.columns)], bold=True)
        header = self.row + 2
        for label, values in table.iterrows():
            key = label if isinstance(label, int | float) else str(label)
            self.write_row(self.ws, [key, *[float(v) for v in values]])
        first, last = header + 1, header + len(table)
        self.write_row(self.ws, [])
        self.row = last + 1
        return header, first, last


def _place(charts_ws: Any, chart: Any, slot: int) -> None:
    # openpyxl 3.1 marks axes as deleted unless told otherwise; Excel then hides their labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    column = 1 + (slot % 2) * COLUMNS_PER_CHART
    row = 3 + (slot // 2) * ROWS_PER_CHART
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    charts_ws.add_chart(chart, f"{get_column_letter(column)}{row}")


def add_charts(wb: Any, result: PlanResult, plan: PlanData, write_row: Any) -> int:
    """Add the Charts and Chart data sheets; returns how many charts were drawn."""
    from .report import fit_to_page_width

    charts_ws = wb.create_sheet("Charts")
    fit_to_page_width(charts_ws)
    data_ws = wb.create_sheet("Chart data")
    data_ws.column_dimensions["A"].width = 14
    scenario = reference_scenario(plan)
    write_row(charts_ws, [f"Charts of the {scenario} scenario (numbers on the Chart data sheet)"],
              bold=True)
    data = _ChartData(data_ws, write_row)
    slot = 0
    period_name = plan.settings.calendar.period_length
    for k, commodity in plan.commodities.items():
        table = supply_mix(result, plan, k)
        if table.empty or table.to_numpy().sum() <= 0:
            continue
        header, first, last = data.block(f"Supply of {k} by processing country "
                                         f"({commodity.unit} ordered per {period_name})", table,
                                         "period")
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title = f"{k}: supply by processing country"
        chart.y_axis.title = f"{commodity.unit} per {period_name}"
        chart.x_axis.title = "order period"
        values = Reference(data_ws, min_col=2, max_col=1 + len(table.columns), min_row=header,
                           max_row=last)
        chart.add_data(values, titles_from_data=True)
        chart.set_categories(Reference(data_ws, min_col=1, min_row=first, max_row=last))
        _place(charts_ws, chart, slot)
        slot += 1
    for k, g, table in stock_against_target(result, plan):
        unit = plan.commodities[k].unit
        header, first, last = data.block(f"Stock of {k} in {g} ({unit}, end of period)", table,
                                         "period")
        chart = LineChart()
        chart.title = f"{k} in {g}: stock against target"
        chart.y_axis.title = unit
        chart.x_axis.title = "period"
        chart.add_data(Reference(data_ws, min_col=2, max_col=3, min_row=header, max_row=last),
                       titles_from_data=True)
        chart.set_categories(Reference(data_ws, min_col=1, min_row=first, max_row=last))
        for series in chart.series:
            series.smooth = False
        if len(chart.series) > 1:
            chart.series[1].graphicalProperties.line.dashStyle = "dash"
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
            scale, unit = (1e6, f"million {money}") if table["objective"].abs().max() > 1e7 \
                else (1.0, money)
            table["objective"] /= scale
            header, first, last = data.block(f"Trade-off of {limit}: objective ({unit}) per "
                                             "max_share", table, "max_share")
            chart = ScatterChart()
            chart.title = f"Cost of diversification: {limit}"
            chart.style = 13
            chart.x_axis.title = "max_share (fraction of supply)"
            chart.y_axis.title = f"objective ({unit})"
            chart.y_axis.number_format = "#,##0.0"
            chart.x_axis.number_format = "0%"
            series = Series(Reference(data_ws, min_col=2, min_row=first, max_row=last),
                            Reference(data_ws, min_col=1, min_row=first, max_row=last),
                            title="objective")
            series.marker.symbol = "circle"
            series.smooth = False
            chart.series.append(series)
            _place(charts_ws, chart, slot)
            slot += 1
    return slot
