"""No table is lost to Excel's limits: a table longer than a sheet keeps its first rows in the
workbook and goes whole to a CSV file next to the plan, named in the Summary."""

from __future__ import annotations

import csv

import pytest
from helpers import one_commodity, read_plan, settings, summary, write_workbook

from model.pipeline import RunOptions, run


def _many_identical_scenarios(scenarios: int, periods: int) -> dict:
    # Identical scenarios share every tree node, so the LP stays tiny (one node a period),
    # while Orders and Stockpile hold one row per scenario and period.
    sheets = one_commodity(periods, 10, [["s", 100, 1]])
    sheets["Settings"] = settings(periods)
    sheets["Scenarios"] = [["scenario", "probability"]] + [
        [f"w{i}", 1.0 / scenarios] for i in range(scenarios)]
    return sheets


@pytest.mark.slow
def test_a_table_past_a_row_limit_goes_whole_to_a_csv_file(tmp_path, monkeypatch):
    import model.report.plan as plan_writer

    monkeypatch.setattr(plan_writer, "ROW_LIMIT", 50)
    source = write_workbook(tmp_path / "many.xlsx", _many_identical_scenarios(4, 24))
    outcome = run(source, tmp_path / "plan.xlsx", progress=lambda _: None,
                  options=RunOptions(insight_seconds=0, workers=1))
    tables = read_plan(outcome.output_path)
    side = tmp_path / "plan_orders.csv"
    with side.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 * 24 == len(outcome.result.orders)
    assert {r["scenario"] for r in rows} == {"w0", "w1", "w2", "w3"}
    assert sum(float(r["quantity (commodity unit)"]) for r in rows) == pytest.approx(960)
    orders = tables["Orders"].dropna(subset=["quantity"])
    assert len(orders) == 50
    assert summary(tables)["full table: Orders"] == str(side)
    assert any("all of them are in" in str(v) for v in tables["Orders"]["scenario"])


@pytest.mark.slow
def test_a_plan_past_excels_row_limit_keeps_every_order_in_its_side_file(tmp_path):
    # 1,000 identical scenarios x 1,100 months, one route: 1,100,000 Orders rows, past the
    # 1,048,576 rows of a sheet, with an LP of 1,100 nodes.
    source = write_workbook(tmp_path / "big.xlsx", _many_identical_scenarios(1000, 1100))
    outcome = run(source, tmp_path / "plan.xlsx", progress=lambda _: None,
                  options=RunOptions(insight_seconds=0, workers=1))
    side = tmp_path / "plan_orders.csv"
    with side.open(newline="", encoding="utf-8") as handle:
        count = sum(1 for _ in handle) - 1
    assert count == 1_100_000
    assert outcome.result.orders["quantity"].sum() == pytest.approx(1000 * 1100 * 10)
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(outcome.output_path)).get_sheet_by_name("Orders")
    assert sheet.height == 1_048_576  # header, 1,048,574 rows, the note naming the file
