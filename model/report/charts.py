"""Native Excel charts of the plan (xlsxwriter charts, not pictures) and the Plan grid.

The Charts sheet has four sections: the supply mix of the reference scenario (`base` if there
is one, else the most likely) by processing country per commodity (stacked columns) with the
concentration caps that constrain it as lines; each scenario against the reference (cost and
shortfall, and the change in supply by processing country per commodity); stock against target
per commodity and region (lines); and the trade-off curve of a Sweep. Every processing country
has one colour on every chart. The numbers sit on a `Chart data` sheet, so a reader can check
every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.domain.data import PlanData
from model.domain.semantics import limit_commodities, limit_scope, values_of
from model.domain.tolerances import NOTHING, ROUND_OFF
from model.io.formats import COUNT, FINE_QUANTITY, QUANTITY, SHARE, WHOLE_SHARE
from model.report.book import write_cell
from model.report.xlsx_internals import fit_cell_text, straight_lines
from model.results.extract import PlanResult
from model.results.scenario_compare import (
    reference_label,
    reference_scenario,
    scenario_costs,
    shortfall_by_commodity,
)
from model.results.scenario_compare import supply_change_by_country as supply_change

__all__ = ["add_charts", "plan_grid", "reference_label", "reference_scenario", "country_colours",
           "cap_lines"]

ROWS_PER_CHART = 19
COLUMNS_PER_CHART = 10
CHART_SIZE = {"width": 620, "height": 360}
CHART_ROWS_PER_PAGE = 2
MAX_STOCK_CHARTS = 12
MAX_SCENARIOS_CHARTED = 20
# A fixed palette (Tableau 20): the n-th processing country of the Suppliers sheet gets the
# n-th colour, on every chart.
PALETTE = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1", "#76B7B2", "#EDC948",
           "#9C755F", "#FF9DA7", "#BAB0AC", "#A0CBE8", "#FFBE7D", "#8CD17D", "#FF9D9A",
           "#D4A6C8", "#86BCB6", "#F1CE63", "#D7B5A6", "#FABFD2", "#79706E")
CAP_COLOURS = ("#000000", "#7F7F7F", "#C00000")
COST_COLOUR = "#1F4E78"
SHORTFALL_MARKERS = ("diamond", "triangle", "square", "circle", "x")
SHORTFALL_COLOURS = ("#C00000", "#7030A0", "#00B050", "#FFC000", "#404040")
CAPPED_ATTRIBUTES = ("processing_country", "processing_group", "origin_country",
                     "origin_group")
MILLION = 1e6
CHART_DATA = "Chart data"


def country_colours(plan: PlanData) -> dict[str, str]:
    """One colour per processing country, in the order the countries first appear on the
    Suppliers sheet (the palette repeats after 20 countries)."""
    countries = dict.fromkeys(s.processing_country for s in plan.suppliers.values())
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(countries)}


def plan_grid(result: PlanResult, plan: PlanData) -> pd.DataFrame:
    """Orders of the reference scenario: one row per route, one column per period."""
    scenario = reference_scenario(plan)
    labels = plan.settings.calendar.labels()
    orders = result.orders[result.orders["scenario"] == scenario]
    columns = ["commodity", "unit", "supplier", "route", "region", "processing_country",
               *labels, "total"]
    if not len(orders):
        return pd.DataFrame(columns=columns)
    table = orders.pivot_table(index="route", columns="period", values="quantity",
                               aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=labels, fill_value=0.0)
    rows = []
    for name in (r for r in plan.routes if r in table.index):
        route = plan.routes[name]
        supplier = plan.suppliers[route.supplier]
        values = table.loc[name].to_numpy(dtype=float)
        rows.append([supplier.commodity, plan.commodities[supplier.commodity].unit,
                     route.supplier, name, route.region, supplier.processing_country,
                     *values.tolist(), float(values.sum())])
    grid = pd.DataFrame(rows, columns=columns)
    order = {k: i for i, k in enumerate(plan.commodities)}
    return grid.sort_values(["commodity", "region", "supplier"],
                            key=lambda c: c.map(order) if c.name == "commodity" else c,
                            kind="stable").reset_index(drop=True)


def supply_mix(result: PlanResult, plan: PlanData, commodity: str) -> pd.DataFrame:
    """Reference-scenario orders of one commodity per period and processing country (columns
    in colour order)."""
    scenario = reference_scenario(plan)
    orders = result.orders[(result.orders["scenario"] == scenario)
                           & (result.orders["commodity"] == commodity)]
    country = orders["supplier"].map(lambda s: plan.suppliers[s].processing_country)
    table = (orders.assign(country=country)
             .pivot_table(index="period", columns="country", values="quantity", aggfunc="sum",
                          fill_value=0.0))
    colours = list(country_colours(plan))
    table = table[sorted(table.columns, key=colours.index)]
    table.columns.name = None
    return table.reindex(plan.settings.calendar.labels(), fill_value=0.0)


@dataclass(frozen=True)
class CapLine:
    """A concentration cap drawn on a supply-mix chart: max_share x each period's supply in
    the limit's scope (reference scenario), and the processing countries it holds down."""

    limit: str
    name: str
    values: pd.Series
    countries: tuple[str, ...]
    basis: str


def _share_text(share: float) -> str:
    return f"{100 * share:.4g}%"


def cap_lines(result: PlanResult, plan: PlanData, commodity: str) -> list[CapLine]:
    """The caps (max_share) on a commodity's processing or origin countries or groups that hold
    in the reference scenario, each as max_share x that period's supply in its scope."""
    reference = reference_scenario(plan)
    labels = plan.settings.calendar.labels()
    orders = result.orders[(result.orders["scenario"] == reference)
                           & (result.orders["commodity"] == commodity)]
    lines = []
    for limit in plan.limits.values():
        if (limit.max_share is None or limit.attribute not in CAPPED_ATTRIBUTES
                or commodity not in limit_commodities(plan, limit)
                or (limit.scenarios and reference not in limit.scenarios)):
            continue
        scope = limit_scope(plan, limit, commodity)
        if not scope:
            continue
        names = {r.name for r in scope}
        supply = (orders[orders["route"].isin(names)].groupby("period")["quantity"].sum()
                  .reindex(labels, fill_value=0.0))
        if limit.value == "*":
            countries: tuple[str, ...] = ()
            what = f" on each {limit.attribute.replace('_', ' ')}"
        else:
            countries = tuple(dict.fromkeys(
                plan.suppliers[r.supplier].processing_country for r in scope
                if limit.value in values_of(plan, r, limit.attribute)))
            what = ""
        everywhere = all(r.region == limit.region for r in plan.routes.values()
                         if plan.commodity_of(r) == commodity)
        where = f" into {limit.region}" if limit.region != "*" and not everywhere else ""
        basis = {"period": "", "year": ", yearly limit", "horizon": ", limit on the horizon"}.get(
            limit.basis, f", {limit.basis_label}-period limit")
        name = f"{limit.name}: {_share_text(limit.max_share)} cap{what}{where}{basis}"
        if limit.basis == "period":
            cap = (limit.max_share * supply).where(supply > 0)  # no supply, no line
        else:
            # A cap on a longer window holds on the window's sum: a line over the periods'
            # bars would read as a breach wherever one period exceeds it. It is named in the
            # legend with the window's share beside it, and not drawn.
            cap = pd.Series(np.nan, index=labels)
            held = (orders[orders["route"].isin({r.name for r in scope if limit.value in
                                                 values_of(plan, r, limit.attribute)})]
                    .groupby("period")["quantity"].sum().reindex(labels, fill_value=0.0))
            if limit.value != "*" and supply.sum() > 0:
                if limit.basis == "year":
                    years = pd.Series([label[:4] for label in labels], index=labels)
                    shares = [f"{year} {_share_text(held[years == year].sum() / total)}"
                              for year in dict.fromkeys(years)
                              if (total := supply[years == year].sum()) > 0]
                else:
                    shares = [f"horizon {_share_text(held.sum() / supply.sum())}"]
                name += f" (not drawn over {calendar_name(plan)}s; share {', '.join(shares)})"
        lines.append(CapLine(limit.name, name, cap, countries, limit.basis_label))
    return distinct(lines)


def calendar_name(plan: PlanData) -> str:
    """What a period is called: `month`, `quarter`, `year`."""
    return plan.settings.calendar.period_length


def distinct(lines: list[CapLine]) -> list[CapLine]:
    """One line per distinct cap: limits with the same line over the same countries share it
    (their names joined)."""
    kept: list[CapLine] = []
    for line in lines:
        twin = next((k for k in kept if k.countries == line.countries and np.allclose(
            k.values.to_numpy(dtype=float), line.values.to_numpy(dtype=float),
            equal_nan=True) and line.values.notna().any()), None)
        if twin is None:
            kept.append(line)
        else:
            kept[kept.index(twin)] = CapLine(twin.limit, f"{twin.name} = {line.name}",
                                             twin.values, twin.countries, twin.basis)
    return kept


@dataclass
class Block:
    """A block of numbers on the Chart data sheet: where it is and what it holds."""

    table: pd.DataFrame
    header: int
    first: int
    last: int

    def series(self, column: int, **options: Any) -> dict[str, Any]:
        """A chart series of the block's column (1-based after the index), its categories
        and values cached in the chart too: a workbook written row by row cannot give
        xlsxwriter the cells, and without the cache Excel takes text categories for numbers."""
        values = [None if pd.isna(v) else float(v) for v in self.table.iloc[:, column - 1]]
        labels = [v if isinstance(v, int | float) else str(v) for v in self.table.index]
        found = {"name": str(self.table.columns[column - 1]),
                 "categories": [CHART_DATA, self.first, 0, self.last, 0],
                 "values": [CHART_DATA, self.first, column, self.last, column],
                 "categories_data": labels, "values_data": values}
        found.update(options)
        return found


class _ChartData:
    """Writes blocks of numbers to the Chart data sheet and remembers where they are."""

    def __init__(self, book: Any, ws: Any):
        self.book = book
        self.ws = ws
        self.row = 0

    def block(self, title: str, table: pd.DataFrame, index_name: str) -> Block:
        """Write title, header and rows."""
        bold = self.book.fmt(bold=True)
        self.ws.write_string(self.row, 0, fit_cell_text(title), bold)
        header = self.row + 1
        write_cell(self.ws, header, 0, index_name, bold)
        for c, name in enumerate(table.columns, start=1):
            write_cell(self.ws, header, c, str(name), bold)
        values = table.to_numpy(dtype=float)
        for r, (label, row) in enumerate(zip(table.index, values.tolist(), strict=True),
                                         start=header + 1):
            write_cell(self.ws, r, 0, label if isinstance(label, int | float) else str(label))
            for c, value in enumerate(row, start=1):
                if value == value:  # NaN stays blank
                    self.ws.write_number(r, c, value)
        first, last = header + 1, header + len(table)
        self.row = last + 2
        return Block(table, header, first, last)


class _Layout:
    """Places charts two to a row in sections, each section under a heading, with a page
    break after every two rows of charts."""

    def __init__(self, book: Any, ws: Any):
        self.book = book
        self.ws = ws
        self.row = 2
        self.column = 0
        self.count = 0
        self.rows_on_page = 0
        self.breaks: list[int] = []

    def section(self, title: str) -> None:
        """A heading on a new row of charts."""
        if self.column:
            self._next_row()
        if self.rows_on_page >= CHART_ROWS_PER_PAGE:
            self._page_break()
        self.ws.write_string(self.row, 0, fit_cell_text(title),
                             self.book.fmt(bold=True, font_size=12, font_color="#1F4E78"))
        self.row += 1

    def _page_break(self) -> None:
        """A new page here; its first row stays empty (a chart drawn right on the break
        shows its top edge at the foot of the page before)."""
        self.breaks.append(self.row)
        self.row += 1
        self.rows_on_page = 0

    def _next_row(self) -> None:
        self.row += ROWS_PER_CHART
        self.column = 0
        self.rows_on_page += 1

    def place(self, chart: Any, legend: str = "right") -> None:
        """Insert a chart in the next slot."""
        if self.column == 0 and self.rows_on_page >= CHART_ROWS_PER_PAGE:
            self._page_break()
        chart.set_size(CHART_SIZE)
        chart.set_legend({"position": legend, "font": {"size": 8}})
        self.ws.insert_chart(self.row, self.column * COLUMNS_PER_CHART, chart)
        self.count += 1
        self.column += 1
        if self.column == 2:
            self._next_row()

    def finish(self) -> None:
        """Print: landscape A4 at a fixed scale, two rows of charts a page. The columns get
        explicit widths: charts are anchored to cells, and LibreOffice's default column is
        wider than Excel's."""
        ws = self.ws
        ws.set_column(0, 2 * COLUMNS_PER_CHART - 1, 8.43)
        ws.set_landscape()
        ws.set_paper(9)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.fit_to_pages(1, 0)
        if self.breaks:
            ws.set_h_pagebreaks(self.breaks)
        ws.print_area(0, 0, self.row + (ROWS_PER_CHART if self.column else 0),
                      2 * COLUMNS_PER_CHART - 1)


def _title(text: str) -> dict[str, Any]:
    return {"name": text, "name_font": {"size": 11, "bold": True}}


def _axis_font() -> dict[str, Any]:
    return {"size": 8}


def _nice_step(span: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near span / 5."""
    raw = span / 5 if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def near_data(low: float, high: float) -> tuple[float, float, float]:
    """Axis (min, max, major unit) that starts near the data, so that differences show."""
    span = high - low
    if span <= 0:
        span = max(abs(high) * 0.01, ROUND_OFF)
    step = _nice_step(span)
    return (math.floor((low - 0.1 * span) / step) * step,
            math.ceil((high + 0.1 * span) / step) * step, step)


def _money_scale(values: list[float], money: str) -> tuple[float, str]:
    biggest = max((abs(v) for v in values), default=0.0)
    return (MILLION, f"million {money}") if biggest >= 10 * MILLION else (1.0, money)


def _supply_mix_charts(book: Any, layout: _Layout, data: _ChartData, result: PlanResult,
                       plan: PlanData, colours: dict[str, str]) -> None:
    workbook = book.workbook
    period_name = plan.settings.calendar.period_length
    for k, commodity in plan.commodities.items():
        table = supply_mix(result, plan, k)
        if table.empty or table.to_numpy().sum() <= 0:
            continue
        caps = cap_lines(result, plan, k)
        capped = list(dict.fromkeys(c for cap in caps for c in cap.countries
                                    if c in table.columns))
        countries = capped + [c for c in table.columns if c not in capped]
        table = table[countries]
        for cap in caps:
            table[cap.name] = cap.values.to_numpy()
        note = ""
        if caps:
            windows = {cap.basis for cap in caps} - {"period"}
            note = (f"; a cap line is max_share x each {period_name}'s supply in the limit's "
                    "scope" + (f" (a limit on a {', '.join(sorted(windows))} basis holds on "
                               "sums over its window: it is named with the window's share, "
                               "not drawn)" if windows else ""))
        block = data.block(
            f"Supply of {k} by processing country ({commodity.unit} ordered per "
            f"{period_name}, {reference_label(plan)} scenario){note}", table, "period")
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for c, country in enumerate(countries, start=1):
            chart.add_series(block.series(c, gap=40, fill={"color": colours[country]},
                                          border={"none": True}))
        if caps:
            line = straight_lines(workbook.add_chart({"type": "line"}))
            for i in range(len(caps)):
                line.add_series(block.series(
                    len(countries) + 1 + i, marker={"type": "none"},
                    line={"color": CAP_COLOURS[i % len(CAP_COLOURS)], "width": 1.75,
                          "dash_type": "dash"}))
            chart.combine(line)
        chart.set_title(_title(f"{k}: supply by processing country"))
        chart.set_y_axis({"name": f"{commodity.unit} per {period_name}", "num_format": COUNT,
                          "num_font": _axis_font()})
        chart.set_x_axis({"name": "order period", "num_font": _axis_font()})
        layout.place(chart, legend="bottom" if caps else "right")


def _scenario_charts(book: Any, layout: _Layout, data: _ChartData, result: PlanResult,
                     plan: PlanData, colours: dict[str, str]) -> None:
    workbook = book.workbook
    reference = reference_scenario(plan)
    money = plan.settings.currency
    costs = scenario_costs(result, reference).set_index("scenario")
    shown = ""
    if len(costs) > MAX_SCENARIOS_CHARTED + 1:  # sampled futures: the costliest changes
        biggest = costs["cost_change"].abs().drop(reference).nlargest(MAX_SCENARIOS_CHARTED)
        costs = costs[costs.index.isin([reference, *biggest.index])]
        shown = (f"; the {MAX_SCENARIOS_CHARTED} scenarios whose cost changes most, of "
                 f"{len(plan.scenarios) - 1}")
    scale, unit = _money_scale(costs["cost_change"].tolist(), money)
    shortfall = shortfall_by_commodity(result, plan).unstack("commodity")
    short = [k for k in plan.commodities if shortfall[k].abs().max() > NOTHING]
    table = pd.DataFrame({f"cost against {reference} ({unit})": costs["cost_change"] / scale},
                         index=costs.index)
    # Markers share one axis: in the commodities' unit when they have one, else as a share of
    # each commodity's demand over the horizon (kt of LNG and t of gallium on one axis would
    # hide the smaller).
    one_unit = len({plan.commodities[k].unit for k in short}) <= 1
    demand = (result.stockpile.groupby(["scenario", "commodity"])["demand"].sum()
              .unstack("commodity") if not one_unit else None)
    for k in short:
        values = shortfall[k].reindex(costs.index)
        if one_unit:
            table[f"{k} shortfall ({plan.commodities[k].unit})"] = values.to_numpy()
        else:
            total = demand[k].reindex(costs.index) if k in demand else values * np.nan
            table[f"{k} shortfall (% of its demand)"] = (values / total.where(total > 0)
                                                         ).to_numpy()
    layout.section(f"Each scenario against {reference_label(plan)}")
    block = data.block(
        f"Cost of each scenario against {reference} ({unit}, present value) and its shortfall "
        "(unmet demand over the horizon, "
        + ("in the commodities' unit" if one_unit else "as a share of each commodity's demand "
           "over the horizon, as the commodities' units differ") + f"){shown}", table,
        "scenario")
    chart = workbook.add_chart({"type": "column"})
    chart.add_series(block.series(1, gap=60, fill={"color": COST_COLOUR},
                                  border={"none": True}))
    if short:
        markers = straight_lines(workbook.add_chart({"type": "line"}))
        for i in range(len(short)):
            colour = SHORTFALL_COLOURS[i % len(SHORTFALL_COLOURS)]
            markers.add_series(block.series(
                2 + i, y2_axis=True, line={"none": True},
                marker={"type": SHORTFALL_MARKERS[i % len(SHORTFALL_MARKERS)], "size": 8,
                        "fill": {"color": colour}, "border": {"color": colour}}))
        markers.set_y2_axis({"name": (f"shortfall ({plan.commodities[short[0]].unit})"
                                      if one_unit else "shortfall (% of each commodity's "
                                      "demand)"),
                             "num_format": COUNT if one_unit else SHARE,
                             "num_font": _axis_font(), "min": 0})
        chart.combine(markers)
    chart.set_title(_title(f"Cost and shortfall of each scenario against {reference}"))
    chart.set_y_axis({"name": f"cost against {reference} ({unit})", "num_format": COUNT,
                      "num_font": _axis_font()})
    chart.set_x_axis({"num_font": {"size": 8, "rotation": -30}, "label_position": "low"})
    layout.place(chart, legend="bottom")
    for k, commodity in plan.commodities.items():
        change = supply_change(result, plan, k, reference)
        change = change[change.index.isin(costs.index)]
        change = change.loc[:, (change.abs() > 0).any(axis=0)]
        if change.empty or not change.shape[1]:
            continue
        block = data.block(
            f"Change of {k} orders over the horizon by processing country against {reference} "
            f"({commodity.unit}){shown}", change, "scenario")
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for c, country in enumerate(change.columns, start=1):
            chart.add_series(block.series(c, gap=60, fill={"color": colours[country]},
                                          border={"none": True}))
        chart.set_title(_title(f"{k}: supply gained and lost by processing country, against "
                               f"{reference}"))
        chart.set_y_axis({"name": f"{commodity.unit} over the horizon", "num_format": COUNT,
                          "num_font": _axis_font()})
        chart.set_x_axis({"num_font": {"size": 8, "rotation": -30}, "label_position": "low"})
        layout.place(chart)


def stock_against_target(result: PlanResult, plan: PlanData) -> list[tuple[str, str, Any]]:
    """(commodity, region, table of closing stock and target per period) worth a chart."""
    scenario = reference_scenario(plan)
    stock = result.stockpile[result.stockpile["scenario"] == scenario]
    found = []
    for (k, g), table in stock.groupby(["commodity", "region"], sort=False):
        if table["closing"].max() > 0 or table["target"].max() > 0:
            found.append((k, g, table.set_index("period")[["closing", "target"]].rename(
                columns={"closing": "closing stock"})))
    return found[:MAX_STOCK_CHARTS]


def _stock_charts(book: Any, layout: _Layout, data: _ChartData, result: PlanResult,
                  plan: PlanData) -> None:
    workbook = book.workbook
    found = stock_against_target(result, plan)
    if found:
        layout.section(f"Stock against target, {reference_label(plan)} scenario")
    for k, g, table in found:
        unit = plan.commodities[k].unit
        block = data.block(f"Stock of {k} in {g} ({unit}, end of period)", table, "period")
        chart = straight_lines(workbook.add_chart({"type": "line"}))
        chart.add_series(block.series(1, line={"width": 2.25, "color": COST_COLOUR}))
        chart.add_series(block.series(2, line={"dash_type": "dash", "width": 1.5,
                                               "color": "#C00000"}))
        chart.set_title(_title(f"{k} in {g}: stock against target"))
        chart.set_y_axis({"name": unit, "num_format": COUNT, "num_font": _axis_font(),
                          "min": 0})
        chart.set_x_axis({"name": "end of period", "num_font": _axis_font()})
        layout.place(chart, legend="bottom")


def _tradeoff_charts(book: Any, layout: _Layout, data: _ChartData, result: PlanResult,
                     plan: PlanData) -> None:
    workbook = book.workbook
    tradeoff = result.tradeoff
    if tradeoff is None or not len(tradeoff):
        return
    money = plan.settings.currency
    first_chart = True
    for limit, points in tradeoff.groupby("limit", sort=False):
        feasible = points.dropna(subset=["objective"]).sort_values("max_share")
        if feasible.empty:
            continue
        if first_chart:
            layout.section("Cost of diversification (Sweep)")
            first_chart = False
        table = feasible.set_index("max_share")[["objective"]].astype(float)
        scale, unit = _money_scale(table["objective"].tolist(), money)
        table["objective"] /= scale
        table.columns = [f"objective ({unit})"]
        block = data.block(f"Trade-off of {limit}: objective ({unit}) per max_share", table,
                           "max_share")
        chart = straight_lines(workbook.add_chart({"type": "scatter",
                                              "subtype": "straight_with_markers"}))
        chart.add_series(block.series(1, line={"color": COST_COLOUR, "width": 2},
                                      marker={"type": "circle", "size": 6,
                                              "fill": {"color": COST_COLOUR},
                                              "border": {"color": COST_COLOUR}}))
        chart.set_title(_title(f"Cost of diversification: {limit}"))
        shares = table.index.to_numpy(dtype=float)
        low = math.floor(shares.min() * 10 + ROUND_OFF) / 10
        high = math.ceil(shares.max() * 10 - ROUND_OFF) / 10
        if high <= low:
            low, high = max(0.0, low - 0.1), high + 0.1
        chart.set_x_axis({"name": f"max_share of {limit} (% of supply in its scope)",
                          "num_format": WHOLE_SHARE, "min": low, "max": high, "major_unit": 0.1,
                          "num_font": _axis_font(),
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        values = table.iloc[:, 0]
        y_min, y_max, step = near_data(float(values.min()), float(values.max()))
        chart.set_y_axis({"name": f"objective ({unit})",
                          "num_format": COUNT if step >= 1 else FINE_QUANTITY,
                          "min": y_min, "max": y_max, "major_unit": step,
                          "num_font": _axis_font()})
        layout.place(chart, legend="none")


def add_charts(book: Any, result: PlanResult, plan: PlanData) -> int:
    """Add the Charts and Chart data sheets; returns how many charts were drawn."""
    charts_ws = book.sheet("Charts")
    data_ws = book.sheet("Chart data")
    data_ws.set_column(0, 0, 20)
    data_ws.set_column(1, 40, 13, book.fmt(QUANTITY))
    scenario = reference_scenario(plan)
    charts_ws.write_string(0, 0, f"Charts of the plan: the {scenario} scenario, and each "
                           f"scenario against {scenario} (numbers on the Chart data sheet)",
                           book.fmt(bold=True, font_size=13, font_color="#1F4E78"))
    data = _ChartData(book, data_ws)
    layout = _Layout(book, charts_ws)
    colours = country_colours(plan)
    layout.section(f"Supply mix, {scenario} scenario: orders by processing country, with the "
                   "caps on them")
    _supply_mix_charts(book, layout, data, result, plan, colours)
    if len(plan.scenarios) > 1 and len(result.scenarios) > 1:
        _scenario_charts(book, layout, data, result, plan, colours)
    _stock_charts(book, layout, data, result, plan)
    _tradeoff_charts(book, layout, data, result, plan)
    layout.finish()
    return layout.count
