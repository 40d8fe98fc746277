"""The Evaluation sheet: how the plan does in fresh futures (out of sample), with a histogram of
their costs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model.analyses.evaluate import Evaluation
from model.domain.data import PlanData
from model.io.formats import FINE_MONEY, MONEY, PRICE, SHARE, WHOLE
from model.report.book import HEADER, SECTION, Book, Grid, fit_to_page_width, write_table
from model.results.tables import OutColumn, OutTable

BINS = 20


def futures_table(evaluation: Evaluation, plan: PlanData) -> tuple[OutTable, pd.DataFrame]:
    """One row per fresh future: its events, how long it followed the plan, its cost and its
    shortfall per commodity."""
    commodities = evaluation.commodities
    spec = OutTable("Evaluation", (
        OutColumn("future", "text", "", 26), OutColumn("events", "text", "", 60),
        OutColumn("periods_following_the_plan", "count", "", 14),
        OutColumn("status", "text", "", 10),
        OutColumn("cost", "money", "money, present value", 18),
        *[OutColumn(f"shortfall: {k}", "quantity", plan.commodities[k].unit, 16)
          for k in commodities]))
    rows = []
    for f in evaluation.futures:
        rows.append((f"test {f.index + 1}", f.events, f.followed_periods, f.status, f.cost,
                     *[s + e for s, e in zip(f.shortfall, f.end_shortfall, strict=True)]))
    return spec, spec.frame(rows)


def summary_items(evaluation: Evaluation, money: str) -> list[tuple[str, Any, str, str]]:
    """(item, value, unit, note) of the evaluation."""
    mean, sd, low, high = evaluation.cost_interval
    items = [
        ("fresh futures", evaluation.count, "", "drawn from the Events sheet (seed in "
         "Settings), each played with the plan"
         + ("" if len(evaluation.futures) >= evaluation.count else
            f"; the first {len(evaluation.futures):,} are listed one per row")),
        ("with a plan", len(evaluation.costs), "", "futures the plan could be completed in"),
        ("expected cost", mean, money, "mean cost of the fresh futures (present value)"),
        ("95% interval: low", low, money, "confidence interval of the expected cost"),
        ("95% interval: high", high, money, ""),
        ("standard deviation", sd, money, "of one future's cost"),
        ("objective estimate", evaluation.objective_estimate, money,
         "(1 - risk_weight) x mean + risk_weight x CVaR of the fresh futures"),
        ("in-sample expected cost", evaluation.in_sample_expected_cost, money,
         "what the plan promised on the futures it was made for"),
        ("optimism", evaluation.optimism, money, "out-of-sample minus in-sample expected "
         "cost: how much planning on a sample flatters the plan"),
    ]
    found = evaluation.bound_estimate_gap()
    if found is not None:
        bound, _estimate, gap, why = found
        b_mean = evaluation.lower_bound[0]
        items += [
            ("lower bound (97.5%)", bound, money, "one-sided: the true optimal objective is "
             f"above this with 97.5% confidence, from {len(evaluation.replications)} "
             "replications on fresh samples (Mak, Morton and Wood 1999)"),
            ("replications' mean optimum", b_mean, money, "the bound's point estimate"),
            ("gap estimate", gap, money, f"objective estimate minus the 97.5% lower bound: {why}"),
        ]
    items.append(("futures per second", round(evaluation.solves_per_second, 1), "",
                  "on all the workers"))
    return items


def histogram(costs: list[float], bins: int = BINS) -> tuple[pd.DataFrame, str]:
    """Counts of costs in equal bins, labelled by their centre in a readable scale, and the
    scale's name (`billion`, `million` or empty)."""
    counts, edges = np.histogram(costs, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    top = float(np.max(np.abs(costs))) if len(costs) else 0.0
    scale, name = (1e9, "billion ") if top >= 1e10 else (1e6, "million ") if top >= 1e7 \
        else (1.0, "")
    return pd.DataFrame({"cost": centres / scale, "futures": counts}), name


def add_evaluation(book: Book, evaluation: Evaluation, plan: PlanData) -> None:
    """The Evaluation sheet: the figures, the shortfall per commodity, a histogram of costs
    and one row per future."""
    money = plan.settings.currency
    ws = book.sheet("Evaluation")
    fit_to_page_width(ws)
    for column, width in enumerate((26, 20, 8, 70)):
        ws.set_column(column, column, width)
    grid = Grid()
    header, section = book.fmt(**HEADER), book.fmt(**SECTION)
    grid.put(0, 0, f"How the plan does in {evaluation.count:,} fresh futures", section)
    for c, text in enumerate(("item", "value", "unit", "note")):
        grid.put(1, c, text, header)
    row = 2
    for item, value, unit, note in summary_items(evaluation, money):
        number = MONEY if unit == money else None
        grid.put(row, 0, item)
        grid.put(row, 1, value, book.fmt(number))
        grid.put(row, 2, unit)
        grid.put(row, 3, note)
        row += 1
    row += 1
    grid.put(row, 0, "Shortfall per commodity", section)
    row += 1
    for c, text in enumerate(("commodity", "chance of a shortfall", "unit",
                              "mean shortfall when short / over all futures")):
        grid.put(row, c, text, header)
    row += 1
    for k, chance, size, mean in evaluation.shortfall():
        grid.put(row, 0, k)
        grid.put(row, 1, chance, book.fmt(SHARE))
        grid.put(row, 2, plan.commodities[k].unit)
        grid.put(row, 3, f"{size:,.2f} when short; {mean:,.2f} on average")
        row += 1
    row += 1
    costs = evaluation.costs
    chart_top = row
    if len(costs):
        table, scale = histogram(costs)
        grid.put(row, 5, f"cost of a future ({scale}{money}, bin centre)", header)
        grid.put(row, 6, "futures", header)
        for i, record in enumerate(table.itertuples(index=False), start=row + 1):
            grid.put(i, 5, float(record.cost), book.fmt(FINE_MONEY))
            grid.put(i, 6, int(record.futures))
        chart = book.workbook.add_chart({"type": "column"})
        chart.add_series({"name": "futures", "categories": ["Evaluation", row + 1, 5,
                                                            row + len(table), 5],
                          "values": ["Evaluation", row + 1, 6, row + len(table), 6],
                          "gap": 10, "fill": {"color": "#1F4E78"}})
        chart.set_title({"name": "Cost of the plan in fresh futures",
                         "name_font": {"size": 11, "bold": True}})
        chart.set_x_axis({"name": f"cost of a future ({scale}{money}, present value)",
                          "num_format": PRICE, "num_font": {"rotation": -45}})
        chart.set_y_axis({"name": "futures", "num_format": WHOLE})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 300})
        ws.insert_chart(chart_top, 0, chart)
        row += max(len(table) + 2, 17)
    grid.write(ws)
    spec, frame = futures_table(evaluation, plan)
    write_table(book, ws, frame, spec, money, first_row=row, filters=False, freeze=False)
