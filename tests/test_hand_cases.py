"""The planner on the hand-computed cases of test_reference_lp.py.

Those cases are written once (PlanData built in Python, the hand calculation in comments) and
asserted twice: against the plain reference LP there, and here against the planner, by running
the same test functions with their `objective`, parts and values taken from the planner.
"""

from __future__ import annotations

import inspect
import math

import pytest
import test_reference_lp as cases

from model.analyses.value import value_of_information
from model.domain.data import PlanData
from model.domain.errors import InfeasiblePlan
from model.pipeline import solve_plan
from model.results.extract import extract


def planner_objective(plan: PlanData) -> float:
    solved = solve_plan(plan, progress=lambda _: None)
    assert solved.solution.status == "optimal"
    return solved.solution.objective


def planner_parts(plan: PlanData) -> dict[str, float]:
    solved = solve_plan(plan, progress=lambda _: None)
    result = extract(solved.built, solved.solver.lp, solved.solution)
    return {**result.cost_parts, "expected_cost": result.expected_cost, "cvar": result.cvar}


def planner_values(plan: PlanData) -> dict[str, float | None]:
    try:
        solved = solve_plan(plan, progress=lambda _: None)
    except InfeasiblePlan:
        return {"rp": None, "ws": None, "ev": None, "eev": None, "evpi": None, "vss": None}
    values = value_of_information(plan, solved)
    return {"rp": solved.solution.objective, "ws": values.ws, "ev": values.ev,
            "eev": values.eev, "evpi": values.evpi, "vss": values.vss}


CASES = [name for name, function in inspect.getmembers(cases, inspect.isfunction)
         if name.startswith("test_")]


@pytest.mark.parametrize("name", CASES)
def test_planner_reproduces_the_hand_computed_case(name, monkeypatch):
    monkeypatch.setattr(cases, "objective", planner_objective)
    monkeypatch.setattr(cases, "reference_expected_cost_parts", planner_parts)
    monkeypatch.setattr(cases, "reference_values", planner_values)
    function = getattr(cases, name)
    marks = getattr(function, "pytestmark", [])
    params = [m for m in marks if m.name == "parametrize"]
    if not params:
        function()
        return
    argnames, values = params[0].args[0], params[0].args[1]
    names = [a.strip() for a in (argnames.split(",") if isinstance(argnames, str)
                                 else argnames)]
    for value in values:
        arguments = value if len(names) > 1 else (value,)
        function(**dict(zip(names, arguments, strict=True)))
    assert math.isfinite(len(values))
