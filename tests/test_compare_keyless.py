"""`--compare` on sheets without a key: rows matched by content, so one inserted or deleted
row is listed as such, not as every later row changed."""

from __future__ import annotations

from model.report.plan_compare import _keyless_changes


def rows(*targets: str, first: int = 2) -> list[tuple[int, dict[str, str]]]:
    return [(first + i, {"scenario": "s", "target": t, "capacity_factor": "0"})
            for i, t in enumerate(targets)]


def test_an_inserted_row_is_one_insertion():
    old = rows("A", "B", "C", "D", "E")
    new = rows("A", "B", "X", "C", "D", "E")
    assert _keyless_changes("Disruptions", old, new) == [
        ("Disruptions", None, 4, "row inserted", "(whole row)", "",
         "scenario=s; target=X; capacity_factor=0")]


def test_a_deleted_row_is_one_deletion():
    old = rows("A", "B", "C", "D", "E")
    new = rows("A", "C", "D", "E")
    assert _keyless_changes("Pipeline", old, new) == [
        ("Pipeline", 3, None, "row deleted", "(whole row)",
         "scenario=s; target=B; capacity_factor=0", "")]


def test_a_changed_cell_is_one_change_and_equal_sheets_none():
    old = rows("A", "B", "C")
    new = rows("A", "B", "C")
    assert _keyless_changes("Disruptions", old, new) == []
    new[1][1]["capacity_factor"] = "0.5"
    assert _keyless_changes("Disruptions", old, new) == [
        ("Disruptions", 3, 3, "row 3", "capacity_factor", "0", "0.5")]
