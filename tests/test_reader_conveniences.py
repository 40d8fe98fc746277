"""Everything workbook.md allows reads exactly like the canonical form."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from helpers import settings, solve, write_workbook
from openpyxl import Workbook
from openpyxl.worksheet.table import Table

from model.inputs import load_plan

IGNORED = {"row", "period_rows", "source", "source_sha256", "warnings", "demand_rows"}


def content(value: Any) -> Any:
    """The plan data without row numbers, file names and warnings."""
    if dataclasses.is_dataclass(value):
        return {f.name: content(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in IGNORED}
    if isinstance(value, dict):
        return {k: content(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [content(v) for v in value]
    return value


def canonical() -> dict:
    return {
        "Settings": settings(3, start="2027-01"),
        "Commodities": [["commodity", "unit", "shortage_penalty", "target_penalty"],
                        ["NdPr oxide", "t", 500, 2], ["NA", "t", 100, 0]],
        "Demand": [["commodity", "region", "period", "demand"],
                   ["NdPr oxide", "Japan", None, 10], ["NdPr oxide", "Japan", "2027-02", 12],
                   ["NA", "Japan", None, 1]],
        "Stockpiles": [["commodity", "region", "initial_stock", "capacity", "target_days"],
                       ["NdPr oxide", "Japan", 5, 50, 30]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost",
                       "available_from"],
                      ["=Lynas", "NdPr oxide", "Australia", 8, 80, "2027-01"],
                      ["007", "NdPr oxide", "China", 20, 70, None],
                      ["@mine", "NA", "NA", 5, 10, None]],
        "Routes": [["route", "supplier", "region", "lead_time_days", "chokepoints"],
                   ["r1", "=Lynas", "Japan", 0, "Malacca; South China Sea"],
                   ["r2", "007", "Japan", 30, None], ["r3", "@mine", "Japan", 0, None]],
        "Concentration": [["limit", "commodity", "attribute", "value", "max_share"],
                          ["China", "NdPr oxide", "origin_country", "China", 0.6]],
        "Scenarios": [["scenario", "probability"], ["base", 0.75], ["-cut", 0.25]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period",
                         "capacity_factor"],
                        ["-cut", "supplier", "007", "2027-02", "2027-03", 0.5]],
    }


def awkward(path) -> None:
    """The same plan, written the way people really fill in workbooks."""
    wb = Workbook()
    wb.remove(wb.active)

    def sheet(name: str, rows: list[list[Any]]):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        return ws

    ws = sheet("SETTINGS", [["My plan settings"], [], ["Setting ", "Value"],
                            ["Start Period", dt.datetime(2027, 1, 17)], ["PERIODS", 3]])
    ws = sheet("commodities", [["Commodity", "Unit", "Shortage penalty (USD/t)",
                                "Target-Penalty (USD/t/month)", "My notes"],
                               ["NdPr oxide", "t", 500, 2, "magnets"], [None] * 5,
                               ["NA", "t", "100", 0, "Namibia? no: a commodity code"]])
    sheet("Demand", [["COMMODITY", "Region", "Period", "Demand (t/month)"],
                     ["NdPr oxide", " Japan ", None, 10],
                     ["NdPr oxide", "Japan", dt.date(2027, 2, 28), 12], [],
                     ["NA", "Japan", None, 1]])
    sheet("Stock piles", [["commodity", "region", "initial stock (t)", "capacity (t)",
                           "target days"], ["NdPr oxide", "Japan", 5, 50, 30]])
    ws = sheet("Suppliers", [["Supplier", "Commodity", "Origin country", "Capacity (t/month)",
                              "Unit cost (USD/t)", "available-from"]])
    for row in (["=Lynas", "NdPr oxide", "Australia", 8, 80, "Jan 2027"],
                ["007", "NdPr oxide", "China", 20, 70, None],
                ["@mine", "NA", "NA", 5, 10, None]):
        ws.append(row)
    ws["A2"].data_type = "s"
    ws.add_table(Table(displayName="SupplierTable", ref="A1:F4"))
    sheet("routes", [["route", "supplier", "region", "Lead time days", "Chokepoints"],
                     ["r1", "=Lynas", "Japan", 0, "Malacca, South China Sea"],
                     ["r2", "007", "Japan", "30", None], ["r3", "@mine", "Japan", 0, None]])
    wb["routes"]["B2"].data_type = "s"
    ws = sheet("Concentration", [["Limit", "Commodity", "Attribute", "Value", "Max share (%)"],
                                 ["China", "NdPr oxide", "Origin Country", "China", 0.6]])
    ws["E2"].number_format = "0%"
    sheet("scenarios", [["Scenario", "Probability"], ["base", "75%"], ["-cut", 0.25]])
    sheet("Disruptions", [["scenario", "target type", "target", "start period", "end period",
                           "capacity factor"],
                          ["-cut", "Supplier", "007", "2027-2", dt.datetime(2027, 3, 1), 0.5]])
    wb["Disruptions"]["A2"].data_type = "s"
    wb["scenarios"]["A3"].data_type = "s"
    wb.save(path)


def test_awkward_workbook_reads_like_the_canonical_one(tmp_path):
    plain = load_plan(write_workbook(tmp_path / "plain.xlsx", canonical()))
    awkward(tmp_path / "awkward.xlsx")
    messy = load_plan(tmp_path / "awkward.xlsx")
    assert content(messy) == content(plain)
    # The keys that look like other things stay what they are.
    assert set(messy.suppliers) == {"=Lynas", "007", "@mine"}
    assert "NA" in messy.commodities
    assert messy.routes["r1"].chokepoints == ("Malacca", "South China Sea")
    assert messy.demand[("NdPr oxide", "Japan")] == (10, 12, 10)


@pytest.mark.slow
def test_awkward_workbook_solves_like_the_canonical_one(tmp_path):
    plain = solve(tmp_path, canonical(), "plain")
    awkward(tmp_path / "awkward.xlsx")
    from model.pipeline import run

    messy = run(tmp_path / "awkward.xlsx", tmp_path / "awkward_plan.xlsx",
                progress=lambda _: None)
    assert messy.result.objective == pytest.approx(plain.result.objective, rel=1e-12)


@pytest.mark.slow
def test_formula_like_names_stay_text_in_the_plan(tmp_path):
    from openpyxl import load_workbook

    outcome = solve(tmp_path, canonical())
    orders = load_workbook(outcome.output_path)["Orders"]
    suppliers = {c.value: c.data_type for c in orders["E"][1:]}
    assert suppliers.get("=Lynas") == "s"


def test_optional_sheets_absent_take_their_defaults(tmp_path):
    sheets = canonical()
    for name in ("Stockpiles", "Concentration", "Scenarios", "Disruptions"):
        del sheets[name]
    plan = load_plan(write_workbook(tmp_path / "minimal.xlsx", sheets))
    assert list(plan.scenarios) == ["base"]
    assert plan.scenarios["base"].probability == 1.0
    assert plan.stockpile("NdPr oxide", "Japan").capacity == 0.0
    assert plan.settings.currency == "USD"
    assert plan.settings.time_limit_seconds == 600
    assert plan.settings.cvar_level == 0.95
    assert any("Stockpiles row" in str(w) for w in plan.warnings)


@pytest.mark.parametrize(("cell", "length", "expected_t"), [
    ("2027-Q2", "quarter", 2), (dt.date(2027, 5, 1), "quarter", 2), ("2027-04", "quarter", 2),
    ("2028", "year", 2), (2028, "year", 2), (46447, "month", 3),  # 46447 = 2027-03-01
])
def test_period_cells_as_labels_dates_and_serials(tmp_path, cell, length, expected_t):
    start = {"quarter": "2027-Q1", "year": "2027", "month": "2027-01"}[length]
    sheets = canonical()
    sheets["Settings"] = settings(3, start=start, period_length=length)
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["NdPr oxide", "Japan", None, 10], ["NdPr oxide", "Japan", cell, 99],
                        ["NA", "Japan", None, 1]]
    sheets["Suppliers"][1][5] = None
    sheets["Disruptions"] = [sheets["Disruptions"][0]]
    plan = load_plan(write_workbook(tmp_path / "periods.xlsx", sheets))
    demand = plan.demand[("NdPr oxide", "Japan")]
    assert demand[expected_t - 1] == 99
    assert sum(1 for d in demand if d == 99) == 1
