"""Issue 9, item 4: cells that mean something else than they seem.

Numbers whose separator reads two ways, percents where no percent belongs, names that differ
only by case or spacing, plans that are legal but cannot do what they seem to ask, periods shown
as the user typed them, a long problem list kept in a file, and files that are not .xlsx
workbooks recognised by name.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

import pytest
from helpers import read_plan, settings, write_workbook
from test_bad_workbooks import edit, expect_error, valid

from model.domain.errors import InputError
from model.inputs import load_plan
from model.inputs.cells import read_number

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402


def warnings_of(tmp_path: Path, sheets: dict) -> list[str]:
    return [str(w) for w in load_plan(write_workbook(tmp_path / "w.xlsx", sheets)).warnings]


def warned_by_the_cli(tmp_path: Path, sheets: dict, capsys, message: str) -> None:
    """Exit 0, the warning on the terminal and on the plan's Warnings sheet."""
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"  warning: {message}" in out, out
    assert message in read_plan(tmp_path / "plan.xlsx")["Warnings"]["message"].tolist()


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("text", "number"), [
    ("1,000,000", 1_000_000), ("1 000", 1000), ("1 000 000", 1_000_000), ("1\u00a0000", 1000),
    ("1\u202f000", 1000), ("1'000", 1000), ("1.000.000", 1_000_000), ("1,234.5", 1234.5),
    ("1 000.25", 1000.25), ("0.500", 0.5), ("1.10", 1.1), ("1000.100", 1000.1), ("12", 12),
    (" 7 ", 7), ("1e3", 1000), ("-2.5", -2.5), (".5", 0.5),
])
def test_numbers_that_read_one_way_only(text, number):
    assert read_number(text) == (number, None)


@pytest.mark.parametrize(("text", "thousands", "decimal", "separator"), [
    ("0,500", "500", "0.5", ","), ("2,500", "2500", "2.5", ","), ("1.100", "1100", "1.1", "."),
    ("1,000", "1000", "1", ","), ("-2,500", "-2500", "-2.5", ","), ("10.100", "10100", "10.1", "."),
])
def test_numbers_whose_separator_reads_two_ways_are_refused_with_both_readings(
        text, thousands, decimal, separator):
    assert read_number(text) == (None, (
        f'a number that reads one way only: "{text}" is {thousands} with "{separator}" as a '
        f"thousands separator, or {decimal} with it as a decimal separator; type {thousands} "
        f"or {decimal} as a number"))


@pytest.mark.parametrize(("text", "meant"), [
    ("12,5", "12.5"), ("0,5", "0.5"), ("1.234,5", "1234.5"), ("1 000,5", "1000.5"),
    ("1.000,00", "1000.00"),
])
def test_decimal_commas_say_the_number_meant(text, meant):
    assert read_number(text) == (None, f'a number with a decimal point: if "{text}" means '
                                       f"{meant}, type {meant}")


@pytest.mark.parametrize("text", ["1 5", "1'5", "1,2,3", "$1,000", "(100)", "1_000", "--1"])
def test_text_that_is_no_number_is_not_guessed(text):
    assert read_number(text) == (None, None)


@pytest.mark.parametrize(("value", "message"), [
    ("0,500", 'found "0,500"; expected a number that reads one way only: "0,500" is 500 with '
              '"," as a thousands separator, or 0.5 with it as a decimal separator; type 500 or '
              "0.5 as a number."),
    ("2,500", 'found "2,500"; expected a number that reads one way only: "2,500" is 2500 with '
              '"," as a thousands separator, or 2.5 with it as a decimal separator; type 2500 or '
              "2.5 as a number."),
    ("1.100", 'found "1.100"; expected a number that reads one way only: "1.100" is 1100 with '
              '"." as a thousands separator, or 1.1 with it as a decimal separator; type 1100 or '
              "1.1 as a number."),
    ("60%", 'found "60%"; expected a plain number, not a percent: a percent is only read in '
            "share, probability and factor columns (type 60 if you mean 60 units)."),
])
def test_ambiguous_text_numbers_are_errors_naming_the_cell(tmp_path, capsys, value, message):
    expect_error(tmp_path, edit("Suppliers", 2, "capacity", value), capsys,
                 f'Suppliers row 2, column "capacity": {message}')


@pytest.mark.parametrize(("value", "number"), [("1,000,000", 1e6), ("1 000", 1e3),
                                               ("2,500.0", 2500.0)])
def test_unambiguous_text_numbers_still_read(tmp_path, value, number):
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", edit("Suppliers", 2, "capacity",
                                                              value)))
    assert plan.suppliers["Lynas"].capacity_per_period == (number,) * 3


@pytest.mark.slow
def test_a_percent_typed_into_a_quantity_cell_is_an_error(tmp_path, capsys):
    """Excel stores `60%` typed into a cell as 0.6 with a percent format."""
    from openpyxl import load_workbook

    source = write_workbook(tmp_path / "input.xlsx", valid())
    wb = load_workbook(source)
    wb["Demand"]["D2"] = 0.6
    wb["Demand"]["D2"].number_format = "0%"
    wb["Suppliers"]["D3"] = 0.255
    wb["Suppliers"]["D3"].number_format = "0.0%"
    wb["Concentration"]["E2"].number_format = "0%"  # a share: a percent is right there
    wb["Scenarios"]["B2"].number_format = "0.00%"
    wb.save(source)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n  - ") == 2, err
    assert ('Demand row 2, column "demand": found 60%; expected a plain number, not a percent: a '
            "percent is only read in share, probability and factor columns (type 60 if you "
            "mean 60 units).") in err
    assert ('Suppliers row 3, column "capacity": found 25.5%; expected a plain number, not a '
            "percent: a percent is only read in share, probability and factor columns (type "
            "25.5 if you mean 25.5 units).") in err


def test_percent_cells_in_share_and_rate_columns_are_fractions(tmp_path):
    from openpyxl import load_workbook

    sheets = valid()
    sheets["Settings"].append(["discount_rate", 0.04])
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    wb = load_workbook(source)
    wb["Concentration"]["E2"].number_format = "0%"
    wb["Scenarios"]["B2"].number_format = "0%"
    wb["Settings"]["B5"].number_format = "0.0%"
    wb["Demand"]["D2"].number_format = "#,##0.0"  # not a percent
    wb.save(source)
    plan = load_plan(source)
    assert plan.limits["FEOC cap"].max_share == 0.6
    assert plan.scenarios["base"].probability == 0.8
    assert plan.settings.discount_rate == 0.04
    assert plan.demand[("NdPr", "Japan")] == (10.0,) * 3


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(("change", "message"), [
    # (With a route there: without one, JAPAN would be an error, see test_hostile_inputs.)
    (lambda s: s["Demand"].append(["NdPr", "JAPAN", None, 3])
     or s["Routes"].append(["r3", "Lynas", "JAPAN", 0, None]),
     'Demand row 3, column "region": found "JAPAN"; expected the same region as "Japan" '
     '(Demand row 2): did you mean "Japan"? The two differ only in case, spacing or look-alike '
     "letters, so they are read as two different region names."),
    (lambda s: s["Suppliers"].append(["LYNAS", "NdPr", "Australia", 8, 80, 0, None, None])
     or s["Routes"].append(["r3", "LYNAS", "Japan", 0, None]),
     'Suppliers row 4, column "supplier": found "LYNAS"; expected the same supplier as "Lynas" '
     '(Suppliers row 2): did you mean "Lynas"? The two differ only in case, spacing or '
     "look-alike letters, so they are read as two different supplier names."),
    (lambda s: s["Groups"][1].__setitem__(0, "china"),
     'Groups row 2, column "country": found "china"; expected the same country as "China" '
     '(Suppliers row 3): did you mean "China"? The two differ only in case, spacing or '
     "look-alike letters, so they are read as two different country names."),
    (lambda s: s["Routes"][2].__setitem__(4, "suez") or s["Routes"][1].__setitem__(4, "Suez"),
     'Routes row 3, column "chokepoints": found "suez"; expected the same chokepoint as "Suez" '
     '(Routes row 2): did you mean "Suez"? The two differ only in case, spacing or look-alike '
     "letters, so they are read as two different chokepoint names."),
    (lambda s: s["Suppliers"][2].__setitem__(2, "South-Africa")
     or s["Suppliers"][1].__setitem__(2, "South Africa"),
     'Suppliers row 3, column "origin_country": found "South-Africa"; expected the same '
     'country as "South Africa" (Suppliers row 2): did you mean "South Africa"? The two differ '
     "only in case, spacing or look-alike letters, so they are read as two different country "
     "names."),
])
def test_names_that_differ_only_by_case_or_spacing_are_warned_naming_both_rows(
        tmp_path, change, message):
    sheets = copy.deepcopy(valid())
    change(sheets)
    assert message in warnings_of(tmp_path, sheets)


@pytest.mark.slow
def test_a_region_spelled_twice_is_warned_on_the_terminal_and_in_the_plan(tmp_path, capsys):
    sheets = valid()
    sheets["Demand"].append(["NdPr", "JAPAN", None, 3])
    sheets["Routes"].append(["r3", "Lynas", "JAPAN", 0, None])
    warned_by_the_cli(tmp_path, sheets, capsys,
                      'Demand row 3, column "region": found "JAPAN"; expected the same region as '
                      '"Japan" (Demand row 2): did you mean "Japan"? The two differ only in case, '
                      "spacing or look-alike letters, so they are read as two different region "
                      "names.")


# --------------------------------------------------------------------------- legal but idle


def test_a_scenario_with_probability_0_is_warned(tmp_path):
    sheets = valid()
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 1], ["cut", 0]]
    assert ('Scenarios row 3, column "probability": "cut" has probability 0, so it cannot shape '
            "the plan: its figures are not optimised for it.") in warnings_of(tmp_path, sheets)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s["Concentration"].append(["none at all", "NdPr", "origin_country", "*", 0,
                                          "period"]),
     'Concentration row 3, column "max_share": "none at all" caps every origin country at 0%, '
     "which forbids all supply in its scope."),
    (lambda s: s["Concentration"].append(["one supplier", "NdPr", "supplier", "*", 0.9,
                                          "period"]) or s["Suppliers"][2].__setitem__(3, 0),
     'Concentration row 3, column "max_share": "one supplier" cannot be met by any supply of '
     "NdPr in 2027-01: every open route in its scope has supplier Lynas, so the limit allows "
     "buying none of them."),
    (lambda s: s["Concentration"].append(["no Australia", "NdPr", "origin_country",
                                          "Australia", 0.5, "horizon"])
     or s["Suppliers"][2].__setitem__(2, "Australia"),
     'Concentration row 3, column "max_share": "no Australia" cannot be met by any supply of '
     "NdPr in 2027-01 to 2027-03: every open route in its scope has origin_country Australia, "
     "so the limit allows buying none of them."),
    (lambda s: s["Concentration"].append(["some USA", "NdPr", "origin_country", "USA", None,
                                          "period", None]) or s["Concentration"][0].append(
        "min_share") or s["Concentration"][1].append(None)
     or s["Concentration"][2].__setitem__(slice(None), ["some USA", "NdPr", "origin_country",
                                                       "USA", None, "period", 0.2]),
     'Concentration row 3, column "min_share": "some USA": no route of NdPr in its scope has '
     "origin country USA, so the floor can only be met by buying nothing in scope."),
    (lambda s: s["Demand"].append(["NdPr", "Korea", None, 0])
     or s["Routes"].append(["r3", "Lynas", "Korea", 0, None]),
     'Routes row 4, column "region": route "r3" delivers NdPr to Korea, which has no demand for '
     "it, no transfer lane onward and no stock wanted there."),
    (lambda s: s["Stockpiles"][0].append("target_stock") or s["Stockpiles"][1].append(80),
     'Stockpiles row 2, column "target_stock": the target 80 is above the capacity 50; the '
     "stockpile is always below its target."),
    (lambda s: s["Stockpiles"][0].append("target_days") or s["Stockpiles"][1].append(200),
     'Stockpiles row 2, column "target_days": 200 days of NdPr demand in Japan is up to 65.7534 '
     "units, above the capacity 50; the stockpile will sit below its target."),
])
def test_plans_that_cannot_do_what_they_seem_to_ask_are_warned(tmp_path, capsys, change,
                                                               message):
    sheets = copy.deepcopy(valid())
    change(sheets)
    assert message in warnings_of(tmp_path, sheets)


@pytest.mark.slow
def test_a_limit_that_forbids_all_supply_is_warned_on_the_terminal(tmp_path, capsys):
    sheets = valid()
    sheets["Concentration"].append(["none at all", "NdPr", "origin_country", "*", 0, "period"])
    warned_by_the_cli(tmp_path, sheets, capsys,
                      'Concentration row 3, column "max_share": "none at all" caps every origin '
                      "country at 0%, which forbids all supply in its scope.")


def test_a_star_limit_warns_only_where_every_open_route_shares_a_value(tmp_path):
    sheets = valid()
    sheets["Concentration"].append(["one origin", "*", "origin_country", "*", 0.7, "period"])
    assert not [w for w in warnings_of(tmp_path, sheets) if "one origin" in w]


# --------------------------------------------------------------------------- periods as typed


SPANS = "a date or a month label like 2027-01, a quarter like 2027-Q1 or a year like 2027"


@pytest.mark.parametrize(("value", "message"), [
    (202803, f'Demand row 3, column "period": found 202803; expected {SPANS} (a number such as '
             "202803 is not read as a period: type 2028-03)."),
    ("202803", f'Demand row 3, column "period": found "202803"; expected {SPANS} (a number such '
               "as 202803 is not read as a period: type 2028-03)."),
    ("2027-13", f'Demand row 3, column "period": found "2027-13"; expected {SPANS} (there is no '
                "month 13)."),
    (dt.datetime(2031, 5, 1), 'Demand row 3, column "period": found 2031-05-01; expected a '
                              "period inside the plan's horizon 2027-01 to 2027-03."),
    ("2031", 'Demand row 3, column "period": found "2031"; expected a period inside the plan\'s '
             "horizon 2027-01 to 2027-03."),
])
def test_periods_are_quoted_as_typed(tmp_path, capsys, value, message):
    sheets = valid()
    sheets["Demand"].append(["NdPr", "Japan", value, 4])
    err = expect_error(tmp_path, sheets, capsys, message)
    assert "2455" not in err


@pytest.mark.parametrize(("value", "message"), [
    ("2027-Q1", 'Pipeline row 2, column "arrival_period": found "2027-Q1"; expected a date or a '
                "month label like 2027-01 (this is a quarter label, and the plan's periods are "
                "months)."),
    (2027, 'Pipeline row 2, column "arrival_period": found 2027; expected a date or a month '
           "label like 2027-01 (this is a year label, and the plan's periods are months)."),
])
@pytest.mark.slow
def test_a_coarser_label_is_refused_where_one_period_is_meant(tmp_path, capsys, value, message):
    # Only Demand reads a year or a quarter as every period inside it.
    sheets = valid()
    sheets["Pipeline"] = [["route", "arrival_period", "quantity"], ["r1", value, 4]]
    expect_error(tmp_path, sheets, capsys, message)


@pytest.mark.slow
def test_a_start_period_typed_as_a_number_is_quoted_as_typed(tmp_path, capsys):
    sheets = valid()
    sheets["Settings"][1][1] = 202803
    expect_error(tmp_path, sheets, capsys,
                 'Settings row 2, column "value": found 202803; expected a date or a month label '
                 "like 2027-01 (a number such as 202803 is not read as a period: type 2028-03).")


@pytest.mark.parametrize(("first", "second", "shown"), [
    ("2027-02", "2027-02", "NdPr, Japan, 2027-02"),
    (dt.datetime(2027, 2, 1), "2027-02", "NdPr, Japan, 2027-02"),
    ("2027-02", dt.datetime(2027, 2, 14), "NdPr, Japan, 2027-02-14"),
    ("2027-02", "Feb 2027", "NdPr, Japan, Feb 2027"),
])
def test_duplicate_dated_rows_quote_the_period_as_typed(tmp_path, capsys, first, second,
                                                        shown):
    sheets = valid()
    sheets["Demand"] += [["NdPr", "Japan", first, 4], ["NdPr", "Japan", second, 5]]
    expect_error(tmp_path, sheets, capsys,
                 f'Demand row 4, column "commodity": found "{shown}"; expected a unique '
                 "commodity + region + period; row 3 has the same.")


@pytest.mark.slow
def test_duplicate_supplier_periods_quote_the_period_as_typed(tmp_path, capsys):
    sheets = valid()
    sheets["SupplierPeriods"] = [["supplier", "period", "capacity"], ["Lynas", "2027-02", 4],
                                 ["Lynas", dt.date(2027, 2, 3), 5]]
    expect_error(tmp_path, sheets, capsys,
                 'SupplierPeriods row 3, column "supplier": found "Lynas, 2027-02-03"; expected '
                 "a unique supplier + period; row 2 has the same.")


@pytest.mark.slow
def test_quarterly_plans_label_quarters(tmp_path, capsys):
    sheets = valid()
    sheets["Settings"] = settings(4, start="2027-Q1") + [["period_length", "quarter"]]
    sheets["Disruptions"][1][3:5] = ["2027-Q3", "2027-Q2"]
    expect_error(tmp_path, sheets, capsys,
                 'Disruptions row 2, column "end_period": found "2027-Q2"; expected a period on '
                 "or after start_period (2027-Q3).")


# --------------------------------------------------------------------------- long lists


def many_problems(count: int) -> dict:
    sheets = valid()
    sheets["Demand"] += [["NdPr", f"region {i}", None, -i - 1] for i in range(count)]
    return sheets


@pytest.mark.slow
def test_more_than_50_problems_are_capped_and_kept_in_a_file_next_to_the_input(tmp_path,
                                                                             capsys):
    source = write_workbook(tmp_path / "input.xlsx", many_problems(60))
    code = cli.main([str(source), "-o", str(tmp_path / "out" / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    listed = tmp_path / "input_problems.txt"
    assert err.count("\n  - ") == 50
    assert err.endswith(f"\n... and 10 more; the full list is in {listed}\n")
    assert err.startswith(f"error: {source}: the workbook has 60 problems:\n")
    full = listed.read_text(encoding="utf-8")
    assert full.count("\n  - ") == 60
    assert 'Demand row 62, column "demand": found -60; expected a number >= 0.' in full
    assert "... and" not in full
    assert not (tmp_path / "out" / "plan.xlsx").exists()


def test_problems_and_warnings_together_are_capped_at_50(tmp_path, capsys):
    sheets = many_problems(45)
    sheets["Settings"] += [[f"my note {i}", "x"] for i in range(10)]  # unknown: warnings
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    assert cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n  - ") == 45 and err.count("\n  * ") == 5
    assert err.endswith(f"... and 5 more; the full list is in {tmp_path / 'input_problems.txt'}"
                        "\n")
    full = (tmp_path / "input_problems.txt").read_text(encoding="utf-8")
    assert full.count("\n  - ") == 45 and full.count("\n  * ") == 10


def test_the_problem_list_falls_back_to_the_output_folder_then_the_temporary_folder(
        tmp_path, capsys, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    source = write_workbook(inputs / "input.xlsx", many_problems(51))
    (inputs / "input_problems.txt").mkdir()  # cannot be written as a file
    out = tmp_path / "out"
    assert cli.main([str(source), "-o", str(out / "plan.xlsx"), "-q"]) == 2
    assert capsys.readouterr().err.endswith(
        f"... and 1 more; the full list is in {out / 'input_problems.txt'}\n")
    assert (out / "input_problems.txt").read_text().count("\n  - ") == 51

    from model.domain.errors import Issue
    from model.pipeline import keep_full_list

    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "tmp"))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    error = InputError([Issue("Demand", r, "demand", -1, "a number >= 0")
                        for r in range(2, 60)], str(source))
    assert keep_full_list(error, source, blocked / "sub") == tmp_path / "tmp" / \
        "input_problems.txt"
    assert str(error).endswith(f"... and 8 more; the full list is in "
                               f"{tmp_path / 'tmp' / 'input_problems.txt'}")


def test_a_short_problem_list_writes_no_file(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", many_problems(50))
    assert cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n  - ") == 50 and "... and" not in err
    assert not (tmp_path / "input_problems.txt").exists()


# --------------------------------------------------------------------------- not .xlsx


@pytest.mark.parametrize(("name", "content", "message"), [
    (".~lock.plan.xlsx#", b",someone,host,01.01.2027 10:00,file:///home/someone;",
     'File: found "{path}"; expected the workbook itself: this is the lock file LibreOffice '
     'keeps while the workbook is open; give "plan.xlsx" instead.'),
    (".~lock.plan.ods#", b",someone,host,01.01.2027 10:00,file:///home/someone;",
     'File: found "{path}"; expected the workbook itself: this is the lock file LibreOffice '
     'keeps while the workbook is open; give "plan.ods" instead (and that is not an .xlsx '
     "workbook: open it and save as .xlsx, Excel 2007-365)."),
    ("~$plan.xlsx", b"\x05someone", 'give "plan.xlsx" instead.'),
    ("plan.ods", b"PK\x03\x04" + b"\0" * 30 + b"mimetypeapplication/vnd.oasis.opendocument",
     'File: found "{path}"; expected an .xlsx workbook: this is an OpenDocument spreadsheet '
     "(.ods); open it in LibreOffice or Excel and save as .xlsx (Excel 2007-365)."),
    ("plan.ODS", b"", "this is an OpenDocument spreadsheet (.ods)"),
    ("plan.numbers", b"PK\x03\x04", "this is a Apple Numbers file"),
    ("plan.csv", b"commodity,unit\n", "this is a CSV text file; open it in Excel or "
                                      "LibreOffice and save as .xlsx (Excel 2007-365)."),
])
def test_lock_files_and_other_spreadsheets_are_recognised_by_name(tmp_path, capsys, name,
                                                                  content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code = cli.main([str(path), "-o", str(tmp_path / "out.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert message.format(path=path) in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_an_ods_file_renamed_to_xlsx_is_recognised_by_content(tmp_path, capsys):
    import zipfile

    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert cli.main([str(path), "-o", str(tmp_path / "out.xlsx"), "-q"]) == 2
    assert "this is an OpenDocument spreadsheet (.ods) renamed" in capsys.readouterr().err


@pytest.mark.slow
def test_a_folder_or_a_device_as_input_is_refused(tmp_path, capsys):
    assert cli.main([str(tmp_path), "-o", str(tmp_path / "out.xlsx"), "-q"]) == 2
    assert "expected a workbook file, not a folder." in capsys.readouterr().err
    assert cli.main(["/dev/null", "-o", str(tmp_path / "out.xlsx"), "-q"]) == 2
    assert "expected a workbook file, not a device or a pipe." in capsys.readouterr().err


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2030-01", None, 'Suppliers row 2, column "available_from": the window from 2030-01 on lies '
                      "outside the plan's horizon 2027-01 to 2027-03; this supplier can never "
                      "supply."),
    ("2030-01", "2030-06", 'Suppliers row 2, column "available_from": the window 2030-01 to '
                           "2030-06 lies outside the plan's horizon 2027-01 to 2027-03; this "
                           "supplier can never supply."),
])
def test_a_supplier_available_only_after_the_horizon_is_a_warning(tmp_path, start, end,
                                                                   message):
    sheets = edit("Suppliers", 2, "available_from", start)
    sheets["Suppliers"][1][7] = end
    assert message in warnings_of(tmp_path, sheets)
