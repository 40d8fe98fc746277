"""The analyses' one shared time budget (model/analyses/budget.py, model/pipeline.py)."""

from __future__ import annotations

import math
import time

import pytest
from helpers import check_residuals, read_plan, write_workbook
from test_bad_workbooks import valid

import model.pipeline as pipeline
from model.analyses.budget import TimeBudget
from model.pipeline import run


def test_without_a_cap_everything_fits_and_the_run_sheet_says_nothing():
    budget = TimeBudget()
    assert not budget.capped and budget.left() == math.inf
    assert budget.fits("sweep", 1e9, "a guess")
    assert budget.left_out == [] and budget.run_facts() == {}


def test_a_capped_budget_leaves_out_what_does_not_fit_with_its_reason():
    budget = TimeBudget(10.0, started=time.perf_counter() - 4.0)  # 6 s left, give or take
    assert budget.capped and 5.0 < budget.left() <= 6.0
    assert budget.fits("prices and sensitivity", 2.0, "half the solve")
    assert not budget.fits("EVPI and VSS", 30.0, "one solve")
    assert [name for name, _ in budget.left_out] == ["EVPI and VSS"]
    why = budget.left_out[0][1]
    assert why.startswith("not computed: it would take about 30.0 s (one solve) and the run's "
                          "analyses had ")
    assert why.endswith(" s left of their shared budget of 10.0 s")
    facts = budget.run_facts()
    assert facts["analyses_budget_seconds"].value == 10.0
    assert facts["analyses_left_out"].value == 1
    assert facts["left out: EVPI and VSS"].value == why


def test_a_spent_budget_never_goes_below_zero():
    assert TimeBudget(1.0, started=time.perf_counter() - 5.0).left() == 0.0


@pytest.mark.slow
def test_small_plans_have_no_shared_cap_and_run_every_analysis(tmp_path):
    outcome = run(write_workbook(tmp_path / "w.xlsx", valid()), tmp_path / "plan.xlsx",
                  progress=lambda _: None)
    run_facts = outcome.result.run_facts
    assert "analyses_left_out" not in run_facts
    assert outcome.result.value_of_information.evpi is not None
    assert outcome.result.tradeoff is not None and len(outcome.result.tradeoff)


@pytest.mark.slow
def test_on_a_national_plan_what_does_not_fit_is_blank_with_its_reason_and_counted(
        tmp_path, monkeypatch):
    # The shipped-size workbook treated as national, with no time at all for the analyses:
    # the checks of prices, the sweep and EVPI/VSS are all left out, and the plan is still
    # written and correct.
    monkeypatch.setattr(pipeline, "NATIONAL_COLUMNS", 0)
    monkeypatch.setattr(pipeline, "WHOLE_RUN_FACTOR", 0.0)
    said: list[str] = []
    outcome = run(write_workbook(tmp_path / "w.xlsx", valid()), tmp_path / "plan.xlsx",
                  progress=said.append)
    tables = read_plan(outcome.output_path)
    check_residuals(outcome.plan, tables)
    run_sheet = dict(zip(tables["Run"]["item"], tables["Run"]["value"], strict=True))
    assert run_sheet["analyses_budget_seconds"] == 0
    assert run_sheet["analyses_left_out"] == 3
    for name in ("prices and sensitivity", "sweep", "EVPI and VSS"):
        assert run_sheet[f"left out: {name}"].startswith("not computed: it would take about ")
    why = run_sheet["left out: prices and sensitivity"]
    assert set(tables["Prices"]["note"]) == {why}
    assert set(tables["Prices"]["method"]) == {"dual (not checked)"}
    assert outcome.result.value_of_information.evpi is None
    assert outcome.result.value_of_information.evpi_text == run_sheet["left out: EVPI and VSS"]
    assert outcome.result.tradeoff is None
    assert any(line.startswith("  warning: EVPI and VSS are left out: not computed")
               for line in said)


@pytest.mark.parametrize("factor", [1e6])
@pytest.mark.slow
def test_on_a_national_plan_with_room_every_analysis_runs(tmp_path, monkeypatch, factor):
    monkeypatch.setattr(pipeline, "NATIONAL_COLUMNS", 0)
    monkeypatch.setattr(pipeline, "WHOLE_RUN_FACTOR", factor)
    outcome = run(write_workbook(tmp_path / "w.xlsx", valid()), tmp_path / "plan.xlsx",
                  progress=lambda _: None)
    run_facts = outcome.result.run_facts
    assert run_facts["analyses_left_out"].value == 0
    assert outcome.result.value_of_information.evpi is not None
    assert outcome.result.tradeoff is not None


@pytest.mark.slow
def test_a_large_plan_frees_the_solver_before_the_plan_is_written(tmp_path, monkeypatch):
    # Once the analyses are done, HiGHS's copy of the LP is freed so that writing the plan does
    # not add its peak memory on top of the solver's; the plan written is the same plan.
    import model.solver.plan as plan_module

    monkeypatch.setattr(pipeline, "LARGE_COLUMNS", 0)
    kept = {}
    real_solve_plan = pipeline.solve_plan

    def keep(*args, **kwargs):
        kept["solved"] = real_solve_plan(*args, **kwargs)
        return kept["solved"]

    monkeypatch.setattr(pipeline, "solve_plan", keep)
    outcome = run(write_workbook(tmp_path / "w.xlsx", valid()), tmp_path / "plan.xlsx",
                  progress=lambda _: None)
    assert kept["solved"].solver.highs is None
    assert outcome.result.value_of_information.evpi is not None  # the analyses ran before
    check_residuals(outcome.plan, read_plan(outcome.output_path))
    assert plan_module.LARGE_COLUMNS == 20_000  # only the pipeline's threshold was lowered
