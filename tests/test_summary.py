"""A Summary that speaks first: business figures first and the run facts last, whole-number
counts, and the sheets every plan has (Scenario comparison, Sensitivity, Run, hidden Inputs)."""

from __future__ import annotations

import re

import pytest
from example_plans import example_outcome
from helpers import one_commodity, solve
from openpyxl import load_workbook

CONTRACT = ("status", "objective", "expected_cost", "cvar", "purchase_cost", "freight_cost",
            "holding_cost", "shortage_penalty", "target_penalty", "transfer_cost",
            "investment_cost", "end_stock_penalty", "terminal_value", "total_shortfall",
            "evpi", "vss", "solve_seconds", "input_file", "input_sha256", "solver")
RUN_FACTS = ["solve_seconds", "input_file", "input_sha256", "solver"]


def items_of(ws) -> list[tuple]:
    rows = list(ws.iter_rows(min_row=2, max_col=4, values_only=True))
    return [row for row in rows if row and row[0] is not None]


@pytest.mark.slow
def test_summary_puts_business_first_and_run_facts_last():
    outcome = example_outcome()
    wb = load_workbook(outcome.output_path, read_only=True)
    ws = wb["Summary"]
    assert next(ws.iter_rows(max_row=1, max_col=2, values_only=True)) == ("item", "value")
    rows = items_of(ws)
    names = [row[0] for row in rows]
    assert set(CONTRACT) <= set(names)
    assert names[:4] == ["status", "objective", "expected_cost", "cvar"]
    assert names[-4:] == RUN_FACTS
    first_part = names.index("purchase_cost")
    assert names.index("total_shortfall") < names.index("evpi") < first_part
    values = {row[0]: row[1] for row in rows}
    assert values["objective"] == outcome.result.objective
    # Binding limits: whole numbers of windows, e.g. `30 of 36 months`, `2 of 3 years`.
    texts = [c.value for row in ws.iter_rows(min_col=6) for c in row
             if isinstance(c.value, str)]
    binds = [t for t in texts if re.fullmatch(r"\d+ of \d+ \w+", t)]
    assert binds and all(t.split()[-1] in ("months", "years", "windows") for t in binds)
    assert not any(re.search(r"\d\.0 ", t) for t in texts)
    limits = outcome.result.concentration
    # LNG via Hormuz no longer binds once the Qatar SPA sets Qatar's volume; one origin does.
    hormuz = limits[limits["limit"] == "LNG one origin"]
    expected = (f"{hormuz.loc[hormuz['binding'].astype(bool), 'period'].nunique()} of "
                f"{hormuz['period'].nunique()} months")
    assert expected in binds
    # Each scenario's cost against the reference sits next to its cost.
    scenarios = outcome.result.scenarios.set_index("scenario")["cost"]
    row = next(r for r in ws.iter_rows(min_col=6, values_only=True) if r[0] == "Sakhalin-2 halt")
    assert row[2] == scenarios["Sakhalin-2 halt"]
    assert abs(row[4] - (scenarios["Sakhalin-2 halt"] - scenarios["base"])) < 1e-6


@pytest.mark.slow
def test_run_sheet_counts_are_whole_numbers_and_inputs_are_kept_hidden_last():
    outcome = example_outcome()
    wb = load_workbook(outcome.output_path, read_only=True)
    run = {row[0]: row for row in items_of(wb["Run"])}
    for item in ("periods", "scenarios", "variables", "constraints", "nonzeros", "warnings",
                 "scenario_tree_nodes"):
        assert isinstance(run[item][1], int), item
    assert run["periods"][1:3] == (36, "months")
    periods = next(row for row in wb["Run"].iter_rows(max_col=2) if row[0].value == "periods")
    assert periods[1].number_format == "#,##0"
    assert wb.sheetnames[-1] == "Inputs"
    inputs = wb["Inputs"]
    assert inputs.sheet_state == "hidden"
    rows = list(inputs.iter_rows(values_only=True))
    assert rows[0] == ("sheet", "row", "key", "column", "value")
    assert len(rows) - 1 == len(outcome.result.inputs)
    found = [row for row in rows[1:] if row[0] == "Concentration" and row[3] == "max_share"]
    assert ("Concentration", 2, "limit=NdPr FEOC processing", "max_share") in [
        row[:4] for row in found]


@pytest.mark.slow
def test_every_plan_has_the_comparison_sensitivity_and_run_sheets(tmp_path):
    outcome = solve(tmp_path, one_commodity(2, 10, [["A", 100, 1]]), "tiny")
    names = load_workbook(outcome.output_path, read_only=True).sheetnames
    for sheet in ("Scenario comparison", "Sensitivity", "Run", "Decisions now"):
        assert sheet in names, sheet
    assert names[-1] == "Inputs"
    assert names.index("Scenario comparison") == names.index("Scenarios") + 1
