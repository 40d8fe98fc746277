"""`python run.py --compare OLD NEW`: the inputs that differ and what they did to cost, orders
now, shortfall and binding limits, between two plans of the shipped example."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from example_plans import EXAMPLE, example_outcome, tighter_outcome, with_max_share
from helpers import read_plan, summary
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402
from model.report.plan_compare import compare_plans, same_value  # noqa: E402


def sheets(path: Path, *names: str) -> dict[str, pd.DataFrame]:
    """Some sheets of a workbook, headers without their units."""
    found = pd.read_excel(path, sheet_name=list(names), engine="calamine")
    return {name: frame.rename(columns=lambda c: str(c).split(" (")[0])
            for name, frame in found.items()}


@pytest.mark.slow  # a whole planner run of a few seconds; CI runs it
def test_compare_names_the_changed_limit_and_the_cost_difference(capsys):
    old, new = example_outcome(), tighter_outcome()
    assert cli.main(["--compare", str(old.output_path), str(new.output_path)]) == 0
    written = new.output_path.with_name(f"{old.output_path.stem}_vs_{new.output_path.stem}"
                                        ".xlsx")
    assert f"comparison written to {written}" in capsys.readouterr().out
    tables = sheets(written, "Summary", "Inputs changed", "Orders now", "Binding limits")
    # Exactly one input cell differs: the NdPr FEOC processing row's max_share, 50% -> 40%.
    _, excel_row = with_max_share("NdPr FEOC processing", 0.4)
    changed = tables["Inputs changed"]
    assert len(changed) == 1
    row = changed.iloc[0]
    assert (row["sheet"], row["key"], row["column"]) == (
        "Concentration", "limit=NdPr FEOC processing", "max_share")
    assert row["old_row"] == row["new_row"] == excel_row
    assert same_value(str(row["old_value"]), "0.5") and same_value(str(row["new_value"]),
                                                                   "0.4")
    # The cost difference is the difference of the two objectives, as each plan wrote it.
    items = tables["Summary"].set_index("item")
    before = summary(sheets(old.output_path, "Summary"))
    after_sheets = sheets(new.output_path, "Summary", "Concentration", "Decisions now")
    after = summary(after_sheets)
    assert items.loc["objective", "old"] == before["objective"]
    assert items.loc["objective", "new"] == after["objective"]
    assert items.loc["objective", "change"] == pytest.approx(
        after["objective"] - before["objective"], rel=1e-12)
    assert items.loc["objective", "change"] == pytest.approx(
        new.result.objective - old.result.objective, rel=1e-9)
    # ... which is what the old plan's own trade-off sweep said a 40% cap would cost.
    sweep = old.result.tradeoff.set_index("max_share")
    assert after["objective"] == pytest.approx(sweep.loc[0.4, "objective"], rel=1e-7)
    assert items.loc["objective", "change"] > 0
    # The example's commodities are in t and kt: no total shortfall, so no change of it.
    assert math.isnan(items.loc["total_shortfall", "change"])
    for item in ("expected_cost", "cvar", "purchase_cost"):
        assert items.loc[item, "change"] == pytest.approx(after[item] - before[item],
                                                          rel=1e-12, abs=1e-9)
    # The tighter cap is worth more per point, and still binds.
    limits = tables["Binding limits"].set_index("limit")
    concentration = after_sheets["Concentration"]
    worth = concentration.loc[concentration["limit"] == "NdPr FEOC processing",
                              "marginal_cost_per_point"].sum()
    assert limits.loc["NdPr FEOC processing", "new_worth"] == pytest.approx(worth, rel=1e-12)
    assert limits.loc["NdPr FEOC processing", "new_worth"] > \
        limits.loc["NdPr FEOC processing", "old_worth"]
    assert limits.loc["NdPr FEOC processing", ["binding_old", "binding_new"]].tolist() == \
        ["yes", "yes"]
    # Orders now: every first-period order of either plan, by route.
    orders = tables["Orders now"].set_index("route")
    decisions = after_sheets["Decisions now"].set_index("route")
    assert orders["new"].to_dict() == pytest.approx(decisions["quantity"].to_dict())
    assert (orders["change"] - (orders["new"] - orders["old"])).abs().max() < 1e-9


@pytest.mark.slow
def test_a_plan_compared_with_itself_changes_nothing(tmp_path):
    plan = example_outcome().output_path
    written = compare_plans(plan, plan, tmp_path / "same.xlsx")
    tables = read_plan(written)
    sheet = load_workbook(written, read_only=True)["Inputs changed"]
    assert [c.value for row in sheet.rows for c in row] == [
        "No input cell differs between the two plans."]
    changes = tables["Summary"].set_index("item")["change"]
    numbers = changes.map(lambda v: isinstance(v, float | int) and v == v)
    assert numbers.sum() > 20 and (changes[numbers] == 0).all()
    assert (tables["Binding limits"]["change"] == 0).all()
    assert (tables["Orders now"]["change"] == 0).all()


@pytest.mark.slow
def test_a_plan_without_its_inputs_is_compared_by_its_summary_facts(tmp_path):
    # A plan written before plans kept their inputs: its sheets but no Inputs sheet; here its
    # input hash is made to differ.
    new = example_outcome().output_path
    kept = pd.read_excel(new, sheet_name=["Summary", "Decisions now", "Concentration"],
                         engine="calamine", dtype=object)
    summary_sheet = kept["Summary"]
    summary_sheet.loc[summary_sheet["item"] == "input_sha256", "value"] = "0" * 64
    old = tmp_path / "old.xlsx"
    with pd.ExcelWriter(old, engine="xlsxwriter") as writer:
        for name, frame in kept.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    said: list[str] = []
    written = compare_plans(old, new, tmp_path / "c.xlsx", progress=said.append)
    assert any("old.xlsx does not keep its inputs" in line for line in said)
    changed = pd.read_excel(written, sheet_name="Inputs changed", dtype=object,
                            engine="calamine")
    assert changed[["sheet", "key", "old_value"]].values.tolist() == [
        ["Summary", "input_sha256", "0" * 64]]
    assert changed["new_value"].tolist() == [summary(read_plan(new))["input_sha256"]]
    assert (read_plan(written)["Binding limits"]["change"].abs() < 1e-6).all()


@pytest.mark.parametrize("kind", ["input workbook", "text file", "missing"])
@pytest.mark.slow
def test_what_is_not_a_plan_is_refused_with_exit_2(tmp_path, capsys, kind):
    plan = example_outcome().output_path
    if kind == "input workbook":
        other = EXAMPLE
    elif kind == "text file":
        other = tmp_path / "notes.xlsx"
        other.write_text("objective,1\n")
    else:
        other = tmp_path / "nowhere.xlsx"
    code = cli.main(["--compare", str(other), str(plan), "-o", str(tmp_path / "c.xlsx")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(other) in err
    assert "Traceback" not in err
    assert not (tmp_path / "c.xlsx").exists()
    if kind == "input workbook":
        assert "a plan workbook written by run.py" in err


@pytest.mark.slow
def test_the_comparison_never_overwrites_a_plan(tmp_path, capsys):
    plan = example_outcome().output_path
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(plan.read_bytes())
    assert cli.main(["--compare", str(plan), str(copy), "-o", str(copy)]) == 64
    assert "would overwrite the plan" in capsys.readouterr().err
    assert copy.read_bytes() == plan.read_bytes()
