"""Charts a reader can trust: one colour per processing country on every chart, the caps as
lines on the supply mix they constrain, straight lines, and a trade-off axis near the data;
read from the chart XML of the shipped example's plan."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from example_plans import example_outcome
from helpers import read_plan

from model.report.charts import PALETTE, cap_lines, country_colours, stock_against_target
from model.results.scenario_compare import supply_change_by_country as supply_change

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@dataclass
class Series:
    kind: str            # barChart, lineChart, scatterChart
    name: str
    colour: str | None   # the fill (bars) or line colour, RRGGBB
    categories: list
    values: list[float | None]
    smooth: str | None


@dataclass
class Chart:
    title: str
    series: list[Series]
    axes: list[ElementTree.Element]


def _points(node: ElementTree.Element | None) -> list:
    if node is None:
        return []
    cache = node.find(f".//{C}numCache")
    if cache is None:
        cache = node.find(f".//{C}strCache")
    count = int(cache.find(f"{C}ptCount").get("val"))
    found: list = [None] * count
    for pt in cache.findall(f"{C}pt"):
        text = pt.find(f"{C}v").text
        try:
            found[int(pt.get("idx"))] = float(text)
        except ValueError:
            found[int(pt.get("idx"))] = text
    return found


def charts_of(path: Path) -> list[Chart]:
    """Every chart of a workbook, in order, with its series."""
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist()
                        if re.match(r"xl/charts/chart\d+\.xml$", n)),
                       key=lambda n: int(re.search(r"(\d+)\.xml$", n).group(1)))
        roots = [ElementTree.fromstring(archive.read(n)) for n in names]
    charts = []
    for root in roots:
        title = "".join(t.text or "" for t in root.find(f"{C}chart/{C}title").iter(f"{A}t"))
        series = []
        plot = root.find(f"{C}chart/{C}plotArea")
        for group in plot:
            kind = group.tag.replace(C, "")
            for ser in group.findall(f"{C}ser"):
                colour = ser.find(f"{C}spPr//{A}srgbClr")
                smooth = ser.find(f"{C}smooth")
                series.append(Series(
                    kind, ser.find(f"{C}tx/{C}v").text,
                    colour.get("val") if colour is not None else None,
                    _points(ser.find(f"{C}cat")) or _points(ser.find(f"{C}xVal")),
                    _points(ser.find(f"{C}val")) or _points(ser.find(f"{C}yVal")),
                    smooth.get("val") if smooth is not None else None))
        axes = [a for a in plot if a.tag in (f"{C}valAx", f"{C}catAx")]
        charts.append(Chart(title, series, axes))
    return charts


@pytest.mark.slow
def test_one_colour_per_country_on_every_chart_and_the_charts_expected():
    outcome = example_outcome()
    plan, result = outcome.plan, outcome.result
    charts = charts_of(outcome.output_path)
    colours = country_colours(plan)
    # A fixed palette in the order the countries first appear on the Suppliers sheet.
    assert list(colours.values()) == list(PALETTE[:len(colours)])
    assert colours["China"] == "#4E79A7"
    seen: dict[str, set[str]] = {}
    for chart in charts:
        for series in chart.series:
            if series.name in colours:
                seen.setdefault(series.name, set()).add(series.colour)
    assert set(seen) == set(colours)  # every processing country is on some chart
    assert len(set(colours.values())) == len(colours) == 13
    for country, found in seen.items():
        assert found == {colours[country].lstrip("#")}, country
    # China appears on the supply mix of each rare earth and on the scenario charts.
    china = [c.title for c in charts if any(s.name == "China" for s in c.series)]
    assert {"NdPr oxide: supply by processing country", "Dy oxide: supply by processing "
            "country", "Tb oxide: supply by processing country"} <= set(china)
    assert any("against base" in title for title in china)
    # Count: supply mix per commodity, cost and shortfall by scenario, supply change per
    # commodity, stock per stockpile, one trade-off.
    changes = [k for k in plan.commodities
               if supply_change(result, plan, k, "base").shape[1]]
    expected = (len(plan.commodities) + 1 + len(changes)
                + len(stock_against_target(result, plan)) + 1)
    assert len(charts) == expected == 17
    titles = [c.title for c in charts]
    assert "Cost and shortfall of each scenario against base" in titles


@pytest.mark.slow
def test_caps_are_lines_on_the_supply_mix_they_constrain():
    outcome = example_outcome()
    plan = outcome.plan
    tables = read_plan(outcome.output_path)
    charts = {c.title: c for c in charts_of(outcome.output_path)}
    orders = tables["Orders"]
    base = orders[orders.scenario == "base"]
    for commodity, name, share in (
            ("NdPr oxide", "NdPr FEOC processing: 50% cap, yearly limit", 0.5),
            ("Tb oxide", "Tb FEOC processing: 65% cap, yearly limit", 0.65),
            ("LNG", "LNG one origin: 40% cap on each origin country", 0.4)):
        chart = charts[f"{commodity}: supply by processing country"]
        lines = [s for s in chart.series if s.kind == "lineChart"]
        assert len(lines) == 1 and lines[0].name.startswith(name)
        supply = base[base.commodity == commodity].groupby("period")["quantity"].sum()
        labels = lines[0].categories
        assert labels == plan.settings.calendar.labels()
        if "yearly" in name:
            # A yearly cap is not drawn over the months (it would read as a monthly breach):
            # the legend gives each year's share beside the cap instead.
            assert all(value is None for value in lines[0].values)
            assert re.search(r"\(not drawn over months; share 20\d\d \d+(\.\d+)?%", lines[0].name)
            continue
        for label, value in zip(labels, lines[0].values, strict=True):
            total = supply.get(label, 0.0)
            if total > 0:
                assert value == pytest.approx(share * total, rel=1e-12)
            else:
                assert value is None  # no supply, no line
        # The countries under the cap are stacked first.
        bars = [s.name for s in chart.series if s.kind == "barChart"]
        if commodity != "LNG":
            assert bars[0] == "China"
    # A floor (min_share) and a chokepoint cap draw no line.
    assert [c.name for c in cap_lines(outcome.result, plan, "LNG")] == [
        "LNG one origin: 40% cap on each origin country"]
    assert "NdPr Partners floor" not in str([s.name for c in charts.values()
                                            for s in c.series])


@pytest.mark.slow
def test_lines_are_straight_and_the_tradeoff_axis_starts_near_the_data():
    outcome = example_outcome()
    charts = charts_of(outcome.output_path)
    for chart in charts:
        for series in chart.series:
            if series.kind in ("lineChart", "scatterChart"):
                assert series.smooth == "0", (chart.title, series.name)
    tradeoff = [c for c in charts if c.title.startswith("Cost of diversification")]
    assert len(tradeoff) == 1
    points = tradeoff[0].series[0]
    shares = outcome.result.tradeoff.dropna(subset=["objective"]).sort_values("max_share")
    assert points.categories == pytest.approx(shares["max_share"].tolist())
    assert points.values == pytest.approx((shares["objective"] / 1e6).tolist(), rel=1e-12)
    low, high = min(points.values), max(points.values)
    axes = {a.find(f"{C}axPos").get("val"): a for a in tradeoff[0].axes}
    y_axis, x_axis = axes["l"], axes["b"]
    y_min = float(y_axis.find(f"{C}scaling/{C}min").get("val"))
    y_max = float(y_axis.find(f"{C}scaling/{C}max").get("val"))
    assert 0 < y_min <= low and high <= y_max
    assert (y_max - y_min) < 3 * (high - low)  # the differences fill the chart
    y_title = "".join(t.text for t in y_axis.iter(f"{A}t"))
    x_title = "".join(t.text for t in x_axis.iter(f"{A}t"))
    assert "million USD" in y_title and "%" in x_title
    assert x_axis.find(f"{C}numFmt").get("formatCode") == "0%"
    assert float(x_axis.find(f"{C}scaling/{C}max").get("val")) == pytest.approx(1.0)


@pytest.mark.slow
def test_many_scenarios_chart_the_twenty_whose_cost_changes_most(tmp_path):
    from helpers import one_commodity, solve

    # Demand 10 a month for 3 months; A (100 at 1) and B (100 at 2). Scenario i (i = 1..30)
    # leaves A i/3 units in month 3, so it buys 10 - i/3 from B: 10 - i/3 more than base; the
    # twenty whose cost changes most are cut 1 .. cut 20.
    sheets = one_commodity(3, 10, [["A", 100, 1], ["B", 100, 2]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.4]] + [
        [f"cut {i}", 0.02] for i in range(1, 31)]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"]] + [
        [f"cut {i}", "supplier", "A", "2027-03", "2027-03", 0.1 * i / 30] for i in range(1, 31)]
    outcome = solve(tmp_path, sheets, "many", check=False)
    charts = {c.title: c for c in charts_of(outcome.output_path)}
    cost = charts["Cost and shortfall of each scenario against base"].series[0]
    assert cost.categories == ["base"] + [f"cut {i}" for i in range(1, 21)]
    assert cost.values[1:] == pytest.approx([10 - i / 3 for i in range(1, 21)])
    change = charts["k: supply gained and lost by processing country, against base"]
    assert change.series[0].categories == [f"cut {i}" for i in range(1, 21)]


@pytest.mark.slow
def test_identical_caps_share_one_line(tmp_path):
    from helpers import one_commodity, solve

    sheets = one_commodity(2, 100, [["China", 1000, 1], ["Australia", 1000, 2]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["China cap A", "k", "origin_country", "China", 0.5],
                               ["China cap B", "k", "origin_country", "China", 0.5]]
    outcome = solve(tmp_path, sheets)
    lines = cap_lines(outcome.result, outcome.plan, "k")
    assert [line.name for line in lines] == ["China cap A: 50% cap = China cap B: 50% cap"]
    assert lines[0].values.tolist() == pytest.approx([50, 50])


@pytest.mark.slow
def test_shortfalls_in_different_units_are_charted_as_shares_of_demand(tmp_path):
    from helpers import one_commodity, solve

    # k (t): demand 10, A sells 6: 4 unmet (40%); g (kt): demand 5, nobody sells: 5 unmet
    # (100%); a `surge` scenario doubles k's demand: 14 of 20 unmet (70%).
    sheets = one_commodity(1, 10, [["A", 6, 1]])
    sheets["Commodities"].append(["g", "kt", 100])
    sheets["Demand"].append(["g", "home", None, 5])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["surge", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["surge", "demand", "k", "2027-01", "2027-01", 2]]
    outcome = solve(tmp_path, sheets)
    chart = next(c for c in charts_of(outcome.output_path)
                 if c.title.startswith("Cost and shortfall of each scenario"))
    markers = {s.name: s.values for s in chart.series if s.kind == "lineChart"}
    assert markers["k shortfall (% of its demand)"] == pytest.approx([0.4, 0.7])
    assert markers["g shortfall (% of its demand)"] == pytest.approx([1.0, 1.0])
