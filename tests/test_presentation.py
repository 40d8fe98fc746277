"""The plan a decision-maker reads: Summary blocks, Plan grid, native charts, the trade-off
sweep, text safety, the template and the terminal."""

from __future__ import annotations

import copy
import re
import sys
import zipfile
from pathlib import Path

import pytest
from example_plans import example_outcome
from helpers import one_commodity, read_plan, solve, summary, write_workbook
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402


def sweep_sheets(share: float = 0.5, sweep: list[float] | None = None) -> dict:
    # Demand 100 a month, no storage; China (1, take-or-pay 30) and Australia (2, at most
    # 70); China at most `share` of supply.
    sheets = one_commodity(2, 100, [["China", 1000, 1], ["Australia", 70, 2]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(30)
    sheets["Suppliers"][2].append(0)
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["China cap", "k", "origin_country", "China", share]]
    if sweep:
        sheets["Sweep"] = [["limit", "max_share"]] + [["China cap", s] for s in sweep]
    return sheets


def chart_count(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(1 for n in archive.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n))


@pytest.mark.slow
def test_tradeoff_rows_match_separate_runs(tmp_path):
    shares = [1.0, 0.8, 0.5, 0.3, 0.2]
    outcome = solve(tmp_path, sweep_sheets(0.5, shares), "sweep")
    tradeoff = read_plan(outcome.output_path)["Tradeoff"].set_index("max_share")
    for share in shares:
        row = tradeoff.loc[share]
        if share == 0.2:
            # China takes 30, so at most 20% needs 120 from Australia, which sells 70.
            assert row["status"] == "infeasible"
            assert row["objective"] != row["objective"]  # blank
            continue
        assert row["status"] == "optimal"
        separate = solve(tmp_path, sweep_sheets(share), f"alone{share}", check=False)
        assert row["objective"] == pytest.approx(separate.result.objective, rel=1e-9)
        assert row["expected_cost"] == pytest.approx(separate.result.expected_cost, rel=1e-9)
        assert row["cvar"] == pytest.approx(separate.result.cvar, rel=1e-9)
        assert row["total_shortfall"] == pytest.approx(separate.result.total_shortfall,
                                                       abs=1e-9)
    # By hand: China share s of 100 a month costs 100 s + 200 (1 - s), two months.
    assert tradeoff.loc[1.0, "objective"] == pytest.approx(2 * 100)
    assert tradeoff.loc[0.5, "objective"] == pytest.approx(2 * (50 + 100))
    assert tradeoff.loc[0.3, "objective"] == pytest.approx(2 * (30 + 140))
    # One point more for China saves 1 unit at (2 - 1) a month, twice: 2.
    assert tradeoff.loc[0.5, "marginal_cost_per_point"] == pytest.approx(2)
    # The main plan keeps its own max_share.
    assert summary(read_plan(outcome.output_path))["objective"] == pytest.approx(300)


@pytest.mark.slow
def test_example_plan_has_charts_summary_blocks_and_plan_grid():
    output = example_outcome().output_path  # run.py end to end is tests/test_example.py
    assert chart_count(output) >= 3
    with zipfile.ZipFile(output) as archive:
        kinds = {kind for n in archive.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)
                 for kind in re.findall(r"<c:(bar|line|scatter)Chart>", archive.read(n).decode())}
    assert kinds == {"bar", "line", "scatter"}
    wb = load_workbook(output, read_only=True)  # the full load of every sheet takes seconds
    assert wb.sheetnames[:3] == ["Summary", "Plan", "Charts"]
    summary_ws = wb["Summary"]
    texts = [c.value for row in summary_ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Decisions to take now") for t in texts)
    assert "Binding limits, most costly first" in texts
    assert summary_ws["B3"].number_format == "#,##0"  # objective, money
    tables = read_plan(output)
    grid = tables["Plan"]
    assert {"commodity", "supplier", "route", "2028-01", "2030-12", "total"} <= set(grid.columns)
    orders = tables["Orders"]
    base = orders[orders.scenario == "base"]
    assert grid["total"].sum() == pytest.approx(base["quantity"].sum())
    wb.close()
    book = CalamineWorkbook.from_path(str(output))
    for name in book.sheet_names:  # no solver variable names anywhere
        for row in book.get_sheet_by_name(name).to_python():
            for value in row:
                if isinstance(value, str):
                    assert not re.search(r"\b(order|stock|unmet|transfer)\[", value), value


@pytest.mark.slow
def test_formula_like_names_are_text_everywhere(tmp_path):
    sheets = sweep_sheets(0.5, [0.6])
    evil = '=HYPERLINK("http://x","y")'
    for row in sheets["Suppliers"][1:] + sheets["Routes"][1:]:
        row[:] = [evil if v == "China" else v for v in row]
    sheets["Suppliers"][1][2] = "+China"
    sheets["Concentration"][1][3] = "+China"
    sheets["Stockpiles"] = [["commodity", "region", "capacity"], ["k", "home", 10]]
    outcome = solve(tmp_path, sheets)
    wb = load_workbook(outcome.output_path)
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (evil, "+China"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    found += 1
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert found >= 4


@pytest.mark.slow
def test_template_has_every_sheet_instructions_and_dropdowns(tmp_path):
    path = tmp_path / "blank.xlsx"
    assert cli.main(["--template", str(path), "-q"]) == 0
    wb = load_workbook(path)
    for name in ("Instructions", "Settings", "Commodities", "Demand", "Stockpiles", "Suppliers",
                 "SupplierPeriods", "Routes", "Pipeline", "Groups", "Concentration",
                 "Scenarios", "Disruptions", "Transfers", "Investments", "Sweep", "Events"):
        assert name in wb.sheetnames
    assert wb["Suppliers"]["F1"].value == "unit_cost (USD/unit)"

    def validations(sheet: str) -> dict[str, str]:
        found = {}
        for dv in wb[sheet].data_validations.dataValidation:
            for ref in str(dv.sqref).split():
                found[re.sub(r"\d", "", ref.split(":")[0])] = f"{dv.type} {dv.formula1}"
        return found

    assert validations("Suppliers")["B"] == "list =Commodities!$A$2:$A$2000"
    assert validations("Routes")["B"] == "list =Suppliers!$A$2:$A$2000"
    assert validations("Routes")["C"] == "list =Demand!$B$2:$B$2000"
    assert validations("Disruptions")["A"] == "list =Scenarios!$A$2:$A$2000"
    assert validations("Disruptions")["B"].startswith('list "supplier,origin_country')
    assert validations("Concentration")["D"].startswith('list "origin_country')
    assert validations("Concentration")["H"] == 'list "period,year,rolling 3,rolling 12,horizon"'
    assert validations("Concentration")["F"] == "decimal 0"  # max_share
    assert validations("Concentration")["G"] == "decimal 0"  # min_share
    assert validations("Pipeline")["A"] == "list =Routes!$A$2:$A$2000"
    assert validations("Disruptions")["F"] == "list =Commodities!$A$2:$A$2000"  # commodity
    assert [c.value for c in wb["Stockpiles"][1]][-6:-1] == [
        "end_stock (units)", "terminal_value (USD/unit)", "min_stock (units)", "min_days (days)",
        "floor_scenarios"]
    assert validations("Scenarios")["B"] == "decimal 0"
    assert validations("Disruptions")["G"] == "decimal 0"  # capacity_factor
    assert validations("Settings")["B"] in ('list "month,quarter,year"', "decimal 0")
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows()
                            for c in row if c.value)
    assert "take-or-pay" in instructions and "max_share" in instructions


@pytest.mark.slow
def test_terminal_progress_and_quiet(tmp_path, capsys):
    source = write_workbook(tmp_path / "in.xlsx", sweep_sheets(0.5, [0.8]))
    assert cli.main([str(source), "-o", str(tmp_path / "p.xlsx")]) == 0
    out = capsys.readouterr().out
    for fragment in ("reading", "validated:", "built the model:", "variables", "solving with "
                     "HiGHS", "solved: optimal", "sweeping 1 trade-off points", "writing",
                     "objective", "shortfall k", "binding limit    China cap",
                     "plan written to"):
        assert fragment in out, fragment
    assert cli.main([str(source), "-o", str(tmp_path / "p2.xlsx"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_example_without_sweep_has_no_tradeoff_sheet(tmp_path):
    sheets = copy.deepcopy(sweep_sheets(0.5))
    outcome = solve(tmp_path, sheets)
    wb = load_workbook(outcome.output_path)
    assert "Tradeoff" not in wb.sheetnames
    assert chart_count(outcome.output_path) >= 1
