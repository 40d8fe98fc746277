"""What was not measured is blank (never 0), and no total adds different units."""

from __future__ import annotations

import pytest
from helpers import one_commodity, read_plan, solve, summary


def two_units(gas_unit: str) -> dict:
    # k (t): demand 10, A sells 6 at 1, 4 unmet at 100: shortfall 4 t.
    # g (gas_unit): demand 5, nobody sells: shortfall 5.
    sheets = one_commodity(1, 10, [["A", 6, 1]])
    sheets["Commodities"].append(["g", gas_unit, 100])
    sheets["Demand"].append(["g", "home", None, 5])
    return sheets


@pytest.mark.parametrize("gas_unit, total", [("t", 9.0), ("kt", None)])
@pytest.mark.slow
def test_total_shortfall_only_when_every_commodity_shares_one_unit(tmp_path, gas_unit, total):
    outcome = solve(tmp_path, two_units(gas_unit))
    tables = read_plan(outcome.output_path)
    values = summary(tables)
    scenarios = tables["Scenarios"]
    assert scenarios.loc[0, "shortfall: k"] == pytest.approx(4)
    assert scenarios.loc[0, "shortfall: g"] == pytest.approx(5)
    if total is None:
        assert outcome.result.total_shortfall is None
        assert values["total_shortfall"] != values["total_shortfall"]  # blank (NaN)
        note = tables["Summary"].set_index("item").loc["total_shortfall", "note"]
        assert note.startswith("blank: the commodities come in different units (kt, t)")
        assert scenarios["shortfall"].isna().all()
    else:
        assert values["total_shortfall"] == pytest.approx(total)
        assert scenarios.loc[0, "shortfall"] == pytest.approx(total)


@pytest.mark.slow
def test_an_unmeasured_value_of_hedging_is_blank_not_zero(tmp_path):
    # Two scenarios that differ from the first month: no decision precedes them, VSS is not
    # measured: the Summary's cell is blank and its note says why.
    sheets = one_commodity(1, 10, [["A", 100, 1]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["surge", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["surge", "demand", "k", "2027-01", "2027-01", 2]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.value_of_information.vss is None
    tables = read_plan(outcome.output_path)
    row = tables["Summary"].set_index("item").loc["vss"]
    assert row["value"] != row["value"]
    assert row["note"].startswith("not measured")


def _sampled(chance: float, futures: int = 6) -> dict:
    # A year of months, demand 10 a month; the cheap supplier is cut for a month with the
    # given chance a year, in futures sampled with seed 11.
    from helpers import settings

    sheets = one_commodity(12, 10, [["cheap", 10, 1], ["dear", 100, 5]])
    sheets["Settings"] = settings(12, sample_scenarios=futures, sample_seed=11)
    sheets["Events"] = [["event", "target_type", "target", "probability_per_year",
                         "min_duration", "max_duration"],
                        ["cut", "supplier", "cheap", chance, 1, 1]]
    return sheets


def test_a_sampled_plan_is_read_against_its_calm_future(tmp_path):
    from model.inputs import load_plan
    from model.pipeline import sample_if_asked
    from model.results.scenario_compare import reference_label, reference_scenario

    path = tmp_path / "sampled.xlsx"
    from helpers import write_workbook

    write_workbook(path, _sampled(0.5))
    plan = sample_if_asked(load_plan(path), lambda _: None)
    touched = {d.scenario for d in plan.disruptions}
    calm = [name for name in plan.scenarios if name not in touched]
    assert calm and touched  # the seed gives both kinds
    assert reference_scenario(plan) == calm[0]
    assert reference_label(plan) == f"{calm[0]} (the calm future: no event in the horizon)"
    # With the event near certain every future has it: the most probable path is named as such.
    write_workbook(path, _sampled(0.999))
    plan = sample_if_asked(load_plan(path), lambda _: None)
    assert {d.scenario for d in plan.disruptions} == set(plan.scenarios)
    assert reference_label(plan).endswith("(the most probable path: no sampled future is calm)")
