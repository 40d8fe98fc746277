"""Solver statuses are one enum whose members still read, compare and print as their words."""

from __future__ import annotations

import json

from model.solver.solve import SolveStatus


def test_a_status_is_its_word():
    assert SolveStatus.OPTIMAL == "optimal"
    assert SolveStatus("time_limit") is SolveStatus.TIME_LIMIT
    assert str(SolveStatus.INFEASIBLE) == "infeasible"
    assert f"{SolveStatus.UNBOUNDED}" == "unbounded"
    assert f"{SolveStatus.ERROR:>7}" == "  error"
    assert json.dumps({"status": SolveStatus.OPTIMAL}) == '{"status": "optimal"}'


def test_the_words_are_those_the_output_workbook_documents():
    assert [s.value for s in SolveStatus] == [
        "optimal", "time_limit", "infeasible", "unbounded", "error",
        "rounded"]  # a MIP's LP relaxation rounded up, the last rung (model.md 14.5)
