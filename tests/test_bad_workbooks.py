"""Broken workbooks: exit code 2, a message naming sheet, Excel row, column, value and what was
expected, every problem at once, no traceback, and no output file written."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from helpers import Formula, settings, write_workbook
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402


def valid() -> dict:
    return {
        "Settings": settings(3),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["NdPr", "t", 100]],
        "Demand": [["commodity", "region", "period", "demand"], ["NdPr", "Japan", None, 10]],
        "Stockpiles": [["commodity", "region", "initial_stock", "capacity"],
                       ["NdPr", "Japan", 5, 50]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost",
                       "min_take", "available_from", "available_to"],
                      ["Lynas", "NdPr", "Australia", 8, 80, 0, None, None],
                      ["Baotou", "NdPr", "China", 20, 70, 0, None, None]],
        "Routes": [["route", "supplier", "region", "lead_time_days", "chokepoints"],
                   ["r1", "Lynas", "Japan", 0, "Malacca"], ["r2", "Baotou", "Japan", 30, None]],
        "Groups": [["country", "group"], ["China", "FEOC"]],
        "Concentration": [["limit", "commodity", "attribute", "value", "max_share", "basis"],
                          ["FEOC cap", "NdPr", "processing_group", "FEOC", 0.6, "period"]],
        "Scenarios": [["scenario", "probability"], ["base", 0.8], ["cut", 0.2]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period",
                         "capacity_factor"], ["cut", "supplier", "Baotou", "2027-02", "2027-03",
                                              0.5]],
        "Sweep": [["limit", "max_share"], ["FEOC cap", 0.5]],
    }


def run_cli(tmp_path: Path, sheets: dict | None, capsys, name: str = "input") -> tuple[int, str]:
    source = tmp_path / f"{name}.xlsx"
    if sheets is not None:
        write_workbook(source, sheets)
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "--quiet"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def expect_error(tmp_path: Path, sheets: dict, capsys, *fragments: str) -> str:
    code, err = run_cli(tmp_path, sheets, capsys)
    assert code == 2, err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert not (tmp_path / "plan.xlsx").exists()
    return err


def edit(sheet: str, row: int, column: str, value) -> dict:
    sheets = copy.deepcopy(valid())
    header = sheets[sheet][0]
    if column not in header:
        header.append(column)
        for r in sheets[sheet][1:]:
            r.append(None)
    sheets[sheet][row - 1][header.index(column)] = value
    return sheets


@pytest.mark.slow
def test_valid_workbook_runs(tmp_path, capsys):
    code, err = run_cli(tmp_path, valid(), capsys)
    assert code == 0, err
    assert (tmp_path / "plan.xlsx").exists()


def test_missing_required_sheet_suggests_the_near_name(tmp_path, capsys):
    sheets = valid()
    sheets["Supplier list"] = sheets.pop("Suppliers")
    expect_error(tmp_path, sheets, capsys, "the required sheet Suppliers is missing",
                 'did you mean "Supplier list"?')


def test_missing_required_column_suggests_the_near_name(tmp_path, capsys):
    sheets = valid()
    sheets["Suppliers"][0][3] = "capacities"
    expect_error(tmp_path, sheets, capsys, 'Suppliers row 1, column "capacity": the required '
                 'column "capacity" is missing', 'did you mean "capacities"?')


def test_a_missing_unit_cost_column_names_the_rows_that_need_one(tmp_path, capsys):
    # unit_cost may be left out for suppliers priced by an index, so a missing column is
    # reported row by row, beside the column that is not read.
    sheets = valid()
    sheets["Suppliers"][0][4] = "unit costs"
    expect_error(tmp_path, sheets, capsys, 'Suppliers row 2, column "unit_cost": found an empty '
                 "cell; expected a number >= 0 (a unit cost is needed unless price_index names "
                 'an index)', 'Suppliers row 1, column "unit costs": this column is not read; did '
                 'you mean "unit_cost"?')


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("Suppliers", 2, "capacity", "lots",
     'Suppliers row 2, column "capacity": found "lots"; expected a number >= 0.'),
    ("Suppliers", 3, "capacity", -5,
     'Suppliers row 3, column "capacity": found -5; expected a number >= 0.'),
    ("Suppliers", 2, "unit_cost", -1,
     'Suppliers row 2, column "unit_cost": found -1; expected a number >= 0.'),
    ("Routes", 2, "lead_time_days", -3,
     'Routes row 2, column "lead_time_days": found -3; expected a number >= 0.'),
    ("Demand", 2, "demand", -10,
     'Demand row 2, column "demand": found -10; expected a number >= 0.'),
    ("Stockpiles", 2, "initial_stock", -1,
     'Stockpiles row 2, column "initial_stock": found -1; expected a number >= 0.'),
    ("Concentration", 2, "max_share", 60,
     'Concentration row 2, column "max_share": found 60; expected a fraction between 0 and 1; '
     "60 would be 6000%: type 0.6 or 60%."),
    ("Scenarios", 3, "probability", 1.2,
     'Scenarios row 3, column "probability": found 1.2; expected a fraction between 0 and 1'),
    ("Disruptions", 2, "capacity_factor", 1.5,
     'Disruptions row 2, column "capacity_factor": found 1.5; expected a fraction'),
    ("Disruptions", 2, "cost_factor", -2,
     'Disruptions row 2, column "cost_factor": found -2; expected a number >= 0.'),
    ("Commodities", 2, "shortage_penalty", 0,
     'Commodities row 2, column "shortage_penalty": found 0; expected a number > 0.'),
    ("Suppliers", 2, "capacity", 1e16,
     'Suppliers row 2, column "capacity": found 1e+16; expected a number >= 0, below 1e15'),
    ("Settings", 3, "value", "three",
     'Settings row 3, column "value": found "three"; expected a whole number >= 1.'),
])
@pytest.mark.slow
def test_bad_cell_is_named_with_row_column_value_and_expectation(
        tmp_path, capsys, sheet, row, column, value, message):
    expect_error(tmp_path, edit(sheet, row, column, value), capsys, message)


@pytest.mark.slow
def test_probabilities_must_sum_to_one(tmp_path, capsys):
    expect_error(tmp_path, edit("Scenarios", 3, "probability", 0.3), capsys,
                 "probabilities must sum to 1; they sum to 1.1 (0.8 + 0.3)")


@pytest.mark.slow
def test_duplicate_keys_name_both_rows(tmp_path, capsys):
    expect_error(tmp_path, edit("Suppliers", 3, "supplier", "Lynas"), capsys,
                 'Suppliers row 3, column "supplier": found "Lynas"; expected a unique supplier; '
                 "row 2 has the same.")


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("Suppliers", 2, "commodity", "NdPR",
     'Suppliers row 2, column "commodity": found "NdPR"; expected a known commodity '
     '(Commodities sheet) (did you mean "NdPr"? names are case-sensitive).'),
    ("Routes", 2, "supplier", "Lynass",
     'Routes row 2, column "supplier": found "Lynass"; expected a known supplier (Suppliers '
     'sheet) (did you mean "Lynas"?).'),
    ("Routes", 2, "region", "Japn",
     'Routes row 2, column "region": found "Japn"; expected a known region'),
    ("Disruptions", 2, "scenario", "cutt",
     'Disruptions row 2, column "scenario": found "cutt"; expected a known scenario'),
    ("Disruptions", 2, "target", "r9",
     'Disruptions row 2, column "target": found "r9"; expected a known supplier'),
    ("Sweep", 2, "limit", "FEOC",
     'Sweep row 2, column "limit": found "FEOC"; expected a known limit (Concentration sheet) '
     '(did you mean "FEOC cap"?).'),
    ("Concentration", 2, "value", "FEO",
     'Concentration row 2, column "value": found "FEO"; expected a known country group '
     '(Groups sheet) or * (did you mean "FEOC"?).'),
])
@pytest.mark.slow
def test_unknown_references_list_close_matches(tmp_path, capsys, sheet, row, column, value,
                                               message):
    expect_error(tmp_path, edit(sheet, row, column, value), capsys, message)


def test_unknown_route_in_a_disruption(tmp_path, capsys):
    sheets = edit("Disruptions", 2, "target_type", "route")
    sheets["Disruptions"][1][2] = "r3"
    expect_error(tmp_path, sheets, capsys, 'Disruptions row 2, column "target": found "r3"; '
                 "expected a known route (Routes sheet)")


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("Demand", 2, "period", "soon",
     'Demand row 2, column "period": found "soon"; expected a date or a month label like '
     "2027-01, a quarter like 2027-Q1 or a year like 2027."),
    ("Demand", 2, "period", "2030-01",
     'Demand row 2, column "period": found "2030-01"; expected a period inside the plan\'s '
     "horizon 2027-01 to 2027-03."),
    ("Disruptions", 2, "end_period", "2027-01",
     'Disruptions row 2, column "end_period": found "2027-01"; expected a period on or after '
     "start_period (2027-02)."),
    ("Disruptions", 2, "start_period", "2026-01",
     "Disruptions row 2, column \"start_period\": found \"2026-01\"; expected"),
    ("Suppliers", 2, "available_to", "2027-01",
     'Suppliers row 2, column "available_to": found "2027-01"; expected a period on or after '
     "available_from (2027-02)."),
])
def test_bad_periods(tmp_path, capsys, sheet, row, column, value, message):
    sheets = edit(sheet, row, column, value)
    if column == "available_to":
        sheets["Suppliers"][1][6] = "2027-02"
    if column == "start_period":
        sheets["Disruptions"][1][4] = "2026-03"
    expect_error(tmp_path, sheets, capsys, message)


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), [
    ("Settings", 4, "value", "weekly",
     'Settings row 4, column "value": found "weekly"; expected one of month, quarter, year.'),
    ("Concentration", 2, "attribute", "country",
     'Concentration row 2, column "attribute": found "country"; expected one of origin_country'),
    ("Concentration", 2, "basis", "yearly",
     'Concentration row 2, column "basis": found "yearly"; expected one of period, year, '
     "horizon, or rolling N (N a whole number of periods)."),
    ("Concentration", 2, "basis", "rolling 0",
     'Concentration row 2, column "basis": found "rolling 0"; expected one of period, year, '
     "horizon, or rolling N (N a whole number of periods)."),
    ("Disruptions", 2, "target_type", "port",
     'Disruptions row 2, column "target_type": found "port"; expected one of supplier'),
])
def test_invalid_enumerations(tmp_path, capsys, sheet, row, column, value, message):
    if sheet == "Settings":
        sheets = copy.deepcopy(valid())
        sheets["Settings"].append(["period_length", value])
    else:
        sheets = edit(sheet, row, column, value)
    expect_error(tmp_path, sheets, capsys, message)


def test_min_take_above_capacity(tmp_path, capsys):
    expect_error(tmp_path, edit("Suppliers", 2, "min_take", 9), capsys,
                 'Suppliers row 2, column "min_take": found 9; expected at most the capacity 8')


def test_formula_without_a_stored_value_names_the_cell(tmp_path, capsys):
    sheets = edit("Suppliers", 2, "capacity", Formula("=2*4"))
    expect_error(tmp_path, sheets, capsys, 'Suppliers row 2, column "capacity": found =2*4',
                 "holds the formula =2*4 but no stored result")


@pytest.mark.slow
def test_excel_error_cell(tmp_path, capsys):
    source = tmp_path / "input.xlsx"
    write_workbook(source, valid())
    from openpyxl import load_workbook

    wb = load_workbook(source)
    wb["Suppliers"]["E2"] = "#DIV/0!"
    wb.save(source)
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert 'Suppliers row 2, column "unit_cost": found #DIV/0!' in err
    assert "the cell shows the Excel error #DIV/0!" in err


def test_all_problems_are_reported_at_once(tmp_path, capsys):
    sheets = edit("Suppliers", 2, "capacity", "lots")
    sheets["Routes"][2][2] = "Japn"
    sheets["Scenarios"][2][1] = 0.5
    err = expect_error(tmp_path, sheets, capsys, "the workbook has 3 problems",
                       'Suppliers row 2, column "capacity"', 'Routes row 3, column "region"',
                       "probabilities must sum to 1")
    assert err.count("\n  - ") == 3


def test_existing_plan_is_not_overwritten_by_a_broken_run(tmp_path, capsys):
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(b"yesterday's plan")
    code, _ = run_cli(tmp_path, edit("Suppliers", 2, "capacity", -1), capsys)
    assert code == 2
    assert plan.read_bytes() == b"yesterday's plan"


def _file_case(tmp_path: Path, name: str, content: bytes | None) -> Path:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.xlsx", None, "expected an existing workbook; no file is at that path"),
    ("empty.xlsx", b"", "the file is empty (0 bytes)"),
    ("data.xlsx", b"commodity,unit\nNdPr,t\n", "the file is text (perhaps a CSV file renamed)"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
     "this is an old-format .xls file"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100
     + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100, "this one is password-protected"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "the file is damaged"),
    ("~$plan.xlsx", b"lock", 'give "plan.xlsx" instead'),
])
def test_files_that_are_not_workbooks(tmp_path, capsys, name, content, message):
    source = _file_case(tmp_path, name, content)
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "plan.xlsx").exists()


def test_zip_without_a_workbook(tmp_path, capsys):
    import zipfile

    source = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    assert code == 2
    assert "a zip archive without a workbook inside" in capsys.readouterr().err


def test_input_that_is_also_the_output(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    before = source.read_bytes()
    code = cli.main([str(source), "--output", str(source), "-q"])
    err = capsys.readouterr().err
    assert code == 64  # a usage error, as with --compare
    assert err == (f"usage error: --output {source} is the input workbook itself (the input "
                   "is never written); choose another --output (see python run.py --help)\n")
    assert source.read_bytes() == before


@pytest.mark.slow
def test_merged_cells_in_data(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    from openpyxl import load_workbook

    wb = load_workbook(source)
    wb["Suppliers"].merge_cells("B2:B3")
    wb.save(source)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Suppliers row 2: cells B2:B3 are merged; unmerge them" in err


def test_partial_row_is_an_error_but_blank_rows_are_skipped(tmp_path, capsys):
    sheets = valid()
    sheets["Suppliers"].insert(2, [None] * 8)
    sheets["Suppliers"].append(["Mystery", "NdPr", None, 5, 10, 0, None, None])
    expect_error(tmp_path, sheets, capsys,
                 'Suppliers row 5, column "origin_country": found an empty cell; expected a '
                 "name (text) (this column is required).")


@pytest.mark.slow
def test_macro_workbook_is_read_with_a_warning(tmp_path, capsys):
    import zipfile

    source = write_workbook(tmp_path / "input.xlsm", valid())
    with zipfile.ZipFile(source, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx")])
    out = capsys.readouterr().out
    assert code == 0
    assert "the workbook holds macros; they are ignored" in out


@pytest.mark.slow
def test_hidden_sheets_and_rows_are_read_with_a_warning(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    from openpyxl import load_workbook

    wb = load_workbook(source)
    wb["Groups"].sheet_state = "hidden"
    wb["Suppliers"].row_dimensions[3].hidden = True
    wb.save(source)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Groups: this sheet is hidden; it is read all the same" in out
    assert "Suppliers: rows 3 are hidden or filtered out; they are read all the same" in out


@pytest.mark.parametrize(("change", "message", "code"), [
    (lambda s: s["Routes"][0].__setitem__(3, "Lead time (days)"),
     'Routes row 1, column "Lead time (days)": this column is not read; did you mean '
     '"lead_time_days"?', 0),
    (lambda s: s["Suppliers"].append(["Idle", "NdPr", "USA", 5, 10, 0, None, None]),
     '"Idle" has no route in Routes, so it cannot deliver anywhere', 0),
    (lambda s: s["Commodities"].append(["Tb", "t", 100]),
     '"Tb" has no supplier in Suppliers', 0),
    (lambda s: s["Demand"].append(["NdPr", "USA", None, 3])
     or s["Routes"].append(["r3", "Lynas", "USA", 0, None]),
     "NdPr in USA has demand but no Stockpiles row", 0),
    (lambda s: s["Demand"].append(["NdPr", "USA", None, 3]),
     'Demand row 3, column "region": NdPr in USA has demand, but no route in Routes delivers '
     "NdPr to USA (and no transfer lane brings it), so all its demand goes unmet: add a route "
     "with region USA from a supplier of NdPr", 0),
    (lambda s: s["Concentration"].append(["no China", "NdPr", "origin_country", "Australia",
                                          0.1, "period"]) or s["Suppliers"].__setitem__(
        2, ["Baotou", "NdPr", "Australia", 20, 70, 0, None, None]),
     '"no China" cannot be met by any supply of NdPr in 2027-01', 0),
    (lambda s: s["Suppliers"].__setitem__(2, ["Bаotou", "NdPr", "China", 20, 70, 0, None,
                                              None]),
     "this name mixes Latin with Cyrillic letters", 2),
    # The look-alike name is an unknown reference: an error, explained as such.
    (lambda s: s["Routes"].__setitem__(2, ["r2", "Bаotou", "Japan", 30, None]),
     '("Baotou" looks the same, but one of the two is typed with look-alike letters', 2),
])
@pytest.mark.slow
def test_suspicious_but_legal_input_is_a_warning(tmp_path, capsys, change, message, code):
    sheets = copy.deepcopy(valid())
    change(sheets)
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    exit_code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx")])
    captured = capsys.readouterr()
    assert exit_code == code, captured.out + captured.err
    assert message in captured.out + captured.err, captured.out + captured.err
    if code == 0:
        from helpers import read_plan

        warnings = read_plan(tmp_path / "plan.xlsx")["Warnings"]["message"].tolist()
        assert any(message in w for w in warnings)
    else:
        assert not (tmp_path / "plan.xlsx").exists()


@pytest.mark.slow
def test_locked_output_goes_to_a_numbered_copy(tmp_path, capsys, monkeypatch):
    import os

    source = write_workbook(tmp_path / "input.xlsx", valid())
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"open in Excel")
    real_replace = os.replace

    def locked(src, dst):
        if Path(dst) == target:
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    code = cli.main([str(source), "-o", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    assert target.read_bytes() == b"open in Excel"
    assert (tmp_path / "plan (1).xlsx").exists()
    assert (f"{target} cannot be replaced by this user (no permission), so the file was "
            f"written to {tmp_path / 'plan (1).xlsx'} instead") in out
    assert f"plan written to  {tmp_path / 'plan (1).xlsx'}" in out
    assert not list(tmp_path.glob(".~*"))  # no temporary file left behind


def test_unwritable_output_exits_5(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    code = cli.main([str(source), "-o", str(blocker / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 5
    assert "cannot write into the folder" in err


@pytest.mark.slow
def test_time_limit_without_a_plan_exits_4(tmp_path, capsys):
    sheets = valid()
    sheets["Settings"].append(["time_limit_seconds", 1e-9])
    code, err = run_cli(tmp_path, sheets, capsys)
    assert code == 4
    assert "reached the time limit" in err
    assert not (tmp_path / "plan.xlsx").exists()


def test_a_bug_gives_one_line_and_a_log(tmp_path, capsys, monkeypatch):
    import model.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("deliberate")

    monkeypatch.setattr(model.pipeline, "run", boom)
    monkeypatch.setattr(cli, "BUG_LOG", tmp_path / "bug.log")
    code = cli.main([str(tmp_path / "x.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "internal error" in err
    assert "RuntimeError: deliberate" in (tmp_path / "bug.log").read_text()


@pytest.mark.slow
def test_template_is_a_valid_but_incomplete_workbook(tmp_path, capsys):
    template = tmp_path / "blank.xlsx"
    assert cli.main(["--template", str(template), "-q"]) == 0
    code = cli.main([str(template), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the setting start_period is missing" not in err  # the row is there, blank
    assert 'Settings row 2, column "value": found an empty cell' in err
    assert "at least one commodity is needed" in err


def test_empty_workbook_lists_every_missing_sheet(tmp_path, capsys):
    wb = Workbook()
    wb.save(tmp_path / "input.xlsx")
    code, err = run_cli(tmp_path, None, capsys)
    assert code == 2
    for sheet in ("Settings", "Commodities", "Demand", "Suppliers", "Routes"):
        assert f"the required sheet {sheet} is missing" in err


def test_a_bug_of_ours_while_reading_is_not_reported_as_a_damaged_file(tmp_path, monkeypatch):
    # The reader turns what a damaged file raises into "the file is damaged"; an error of the
    # planner's own code (here a TypeError in the zip-part reader) must surface as itself.
    from model.io import workbook

    source = write_workbook(tmp_path / "plan.xlsx", {"Settings": settings(2)})

    def broken(self, path):
        raise TypeError("a bug of ours")

    monkeypatch.setattr(workbook._WorkbookParts, "__init__", broken)
    with pytest.raises(TypeError, match="a bug of ours"):
        workbook.read_workbook(source)


def test_a_zip_with_a_damaged_member_is_a_damaged_file(tmp_path):
    import zipfile

    from model.domain.errors import InputError
    from model.io.workbook import read_workbook

    source = write_workbook(tmp_path / "plan.xlsx", {"Settings": settings(2)})
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(damaged, "w") as copy:
        for item in original.infolist():
            if item.filename != "xl/workbook.xml":
                copy.writestr(item, original.read(item))
    with pytest.raises(InputError, match="damaged|without a workbook"):
        read_workbook(damaged)
