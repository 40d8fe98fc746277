"""Infeasible plans whose conflicting rows are known: the diagnosis must name exactly them, in
the user's terms, with the smallest change that makes a plan possible."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import one_commodity, write_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402


def run_infeasible(tmp_path: Path, sheets: dict, capsys) -> tuple[str, dict[str, pd.DataFrame]]:
    source = write_workbook(tmp_path / "case.xlsx", sheets)
    plan = tmp_path / "out" / "case_plan.xlsx"
    code = cli.main([str(source), "--output", str(plan), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err
    assert not plan.exists()
    diagnosis = tmp_path / "out" / "case_diagnosis.xlsx"
    assert diagnosis.exists()
    assert f"The diagnosis is in {diagnosis}" in err
    tables = pd.read_excel(diagnosis, sheet_name=None, engine="openpyxl")
    return err, tables


def named(table: pd.DataFrame) -> set[tuple[str, int, str]]:
    return {(r.sheet, int(r.row), r.column) for r in table.itertuples() if r.row == r.row}


@pytest.mark.slow
def test_take_or_pay_against_storage(tmp_path, capsys):
    # 12 t must be taken each month, 5 t are used and at most 4 t can be stored.
    sheets = one_commodity(3, 5, [["dear", 20, 5]], stock=[0, 4, 0])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(12)
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    assert named(tables["Conflicts"]) == {("Suppliers", 2, "min_take"),
                                          ("Stockpiles", 2, "capacity"), ("Demand", 2, "demand")}
    assert "Suppliers row 2 min_take: dear must be taken at 12 t a period or more" in err
    assert "Stockpiles row 2 capacity: k in home can hold at most 4 t" in err
    # Month 1: 12 - 5 - 4 = 3 too many; months 2 and 3: 12 + 4 - 5 - 4 = 7 too many.
    changes = tables["Changes"]
    first = changes.iloc[0]
    assert (first["sheet"], first["row"], first["column"]) == ("Suppliers", 2, "min_take")
    assert first["largest change (unit)"] == pytest.approx(7)
    assert first["total change (unit)"] == pytest.approx(17)
    assert "lower min_take by 7 t a period" in err


@pytest.mark.slow
def test_take_or_pay_against_a_concentration_limit(tmp_path, capsys):
    # China must be taken at 10 t and may be at most half of supply, so Australia would
    # have to supply 10 t but sells only 2 t (demand plays no part in this conflict).
    sheets = one_commodity(1, 10, [["China", 50, 1], ["Australia", 2, 2]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(10)
    sheets["Suppliers"][2].append(0)
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["China half", "k", "origin_country", "China", 0.5]]
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    assert named(tables["Conflicts"]) == {("Suppliers", 2, "min_take"),
                                          ("Concentration", 2, "max_share"),
                                          ("Suppliers", 3, "capacity")}
    assert '"China half": origin country China at most 50% of k supply' in err


@pytest.mark.slow
def test_take_or_pay_against_a_demand_slump_names_scenario_and_period(tmp_path, capsys):
    # 8 t must be taken each month and at most 4 t stored. Demand 10 uses it in base; in
    # March of `slump` demand falls to 20% (2 t): 8 - 2 = 6 t would have to be stored.
    sheets = one_commodity(3, 10, [["Qatar", 20, 1]], stock=[0, 4, 0])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(8)
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.9], ["slump", 0.1]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["slump", "demand", "k", "2027-03", "2027-03", 0.2]]
    err, tables = run_infeasible(tmp_path, sheets, capsys)
    conflicts = tables["Conflicts"]
    assert named(conflicts) == {("Suppliers", 2, "min_take"), ("Stockpiles", 2, "capacity"),
                                ("Demand", 2, "demand"), ("Disruptions", 2, "demand_factor")}
    assert set(conflicts["scenario"]) == {"slump"}
    assert set(conflicts["period"]) == {"2027-03"}
    assert "(scenario slump, 2027-03)" in err
    change = tables["Changes"].iloc[0]
    assert change["largest change (unit)"] == pytest.approx(2)


@pytest.mark.slow
def test_diagnosis_workbook_explains_itself(tmp_path, capsys):
    sheets = one_commodity(1, 5, [["dear", 20, 5]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(8)
    _, tables = run_infeasible(tmp_path, sheets, capsys)
    text = " ".join(str(v) for v in tables["Diagnosis"].fillna("").to_numpy().ravel())
    assert "no plan meets every limit" in text
    assert "smallest changes" in text


def test_decisions_are_described_in_words(tmp_path):
    from model.analyses.diagnose import Describer, describe_decision
    from model.formulation import build_model
    from model.inputs import load_plan
    from model.solver.handoff import compile_lp
    from model.solver.solve import PlanSolver

    sheets = one_commodity(2, 5, [["dear", 20, 5]])
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", sheets))
    built = build_model(plan)
    solver = PlanSolver(compile_lp(built.model))
    describe = Describer(built, solver)
    column = solver.lp.col_of
    m = built.model
    assert describe_decision(describe, column[id(m.order["dear route", 1])]) == \
        "orders on route dear route in 2027-02 (scenario base)"
    assert describe_decision(describe, column[id(m.unmet["k", "home", 0])]) == \
        "unmet demand of k in home in 2027-01 (scenario base)"
