"""Hostile inputs, round two: nothing misread silently, nothing lost, every refusal before
solving. Each case asserts the exit code, the exact message and the files left."""

from __future__ import annotations

import copy
import re
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import Formatted, Formula, one_commodity, read_plan, summary, write_workbook
from test_bad_workbooks import edit, expect_error, valid

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402


def run_main(tmp_path: Path, source: Path, capsys, *extra: str) -> tuple[int, str, str]:
    """Run the CLI on `source` into tmp_path/plan.xlsx; (exit code, stdout, stderr)."""
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in a folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~"))


# ------------------------------------------------------------------ dates and times on numbers

# One supplier (capacity 10, cost 1 a t) and one route into `home`; demand 5 t a period over 2
# periods, shortage penalty 100 a t. A route capacity of 0 lets nothing through: 10 t short,
# objective 10 * 100 = 1,000. Read as blank (no limit) it would be 10 t bought at 1 = 10.
@pytest.mark.parametrize("number_format", ["hh:mm", "yyyy-mm-dd", "d-mmm", "[h]:mm"])
def test_zero_shown_as_a_time_or_date_is_zero(tmp_path, capsys, number_format):
    routes = [["route", "supplier", "region", "capacity"],
              ["a route", "a", "home", Formatted(0, number_format)]]
    source = write_workbook(tmp_path / "input.xlsx",
                            one_commodity(2, 5, [["a", 10, 1]], routes=routes))
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert 'Routes row 2, column "capacity": found ' in out
    assert (f"expected a plain number; the cell is formatted as a date or time "
            f"({number_format}), so Excel shows") in out
    assert "but its stored number 0 is what is read" in out
    tables = read_plan(tmp_path / "plan.xlsx")
    assert summary(tables)["objective"] == pytest.approx(1000.0)


def test_capacity_factor_zero_shown_as_a_date_is_a_halt(tmp_path, capsys):
    """A capacity_factor 0 formatted d-mmm, with a cost_factor 1.2, halts the supplier (not a
    price rise). Supplier capacity 10 at cost 1, demand 5 for 2 periods, penalty 100; the one
    scenario halts it in period 2: period 1 buys 5 (cost 5), period 2 is 5 short (500)."""
    sheets = one_commodity(2, 5, [["a", 10, 1]])
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor", "cost_factor"],
                             ["base", "supplier", "a", "2027-02", "2027-02",
                              Formatted(0, "d-mmm"), 1.2]]
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert 'Disruptions row 2, column "capacity_factor"' in out
    assert summary(read_plan(tmp_path / "plan.xlsx"))["objective"] == pytest.approx(505.0)


def test_a_date_formatted_period_is_still_a_date(tmp_path, capsys):
    """Period columns read dates as dates: 2027-02-15 in a date cell is the period 2027-02."""
    import datetime as dt

    sheets = one_commodity(2, [5, 0], [["a", 10, 1]])
    sheets["Demand"][2][2] = Formatted(dt.date(2027, 2, 15), "yyyy-mm-dd")
    sheets["Demand"][2][3] = 7
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert "formatted as a date" not in out
    # 5 + 7 t bought at 1 each.
    assert summary(read_plan(tmp_path / "plan.xlsx"))["objective"] == pytest.approx(12.0)


# ------------------------------------------------------------------ Excel Tables


def test_rows_below_an_excel_table_are_read_with_a_warning(tmp_path, capsys):
    from openpyxl import load_workbook
    from openpyxl.worksheet.table import Table

    sheets = one_commodity(1, 5, [["a", 100, 1]])
    sheets["Demand"] = [["commodity", "region", "period", "demand"], ["k", "home", None, 5],
                        ["k", "home2", None, 7]]
    sheets["Routes"].append(["a route 2", "a", "home2"])
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    wb = load_workbook(source)
    wb["Demand"].add_table(Table(displayName="DemandTable", ref="A1:D2"))
    wb.save(source)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert ('Demand row 3: rows 3 lie outside the Excel Table "DemandTable" (rows 2 to 2); '
            "they are read all the same") in out
    # Both regions' demand is bought at 1 a t: 5 + 7 = 12.
    assert summary(read_plan(tmp_path / "plan.xlsx"))["objective"] == pytest.approx(12.0)


# ------------------------------------------------------------------ formulas, parsed


def _rewrite(source: Path, change) -> None:
    """Rewrite every XML member of an .xlsx with `change(name, text) -> text`."""
    with zipfile.ZipFile(source) as archive:
        members = [(i, archive.read(i.filename)) for i in archive.infolist()]
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename.endswith((".xml", ".rels")):
                data = change(info.filename, data.decode("utf-8")).encode("utf-8")
            archive.writestr(info, data)


def _single_quotes(text: str) -> str:
    return re.sub(r'(\s[\w:]+)="([^"]*)"', r"\1='\2'", text)


@pytest.mark.parametrize("how", ["no cell references", "single quotes", "prefixed"])
def test_formula_without_a_value_is_found_however_the_xml_is_written(tmp_path, capsys, how):
    source = write_workbook(tmp_path / "input.xlsx",
                            edit("Suppliers", 2, "capacity", Formula("=2*4")))

    def change(name: str, text: str) -> str:
        if how == "no cell references" and name.startswith("xl/worksheets/"):
            return re.sub(r'<c r="[A-Z]+\d+"', "<c", re.sub(r'<row r="\d+"', "<row", text))
        if how == "single quotes":
            return _single_quotes(text)
        if how == "prefixed" and name.startswith("xl/worksheets/"):
            text = text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                'main"', 'xmlns:x="http://schemas.openxmlformats.org/'
                                'spreadsheetml/2006/main"')
            return re.sub(r"<(/?)(?!\?)(\w+)", r"<\1x:\2", text)
        return text

    _rewrite(source, change)
    code, out, err = run_main(tmp_path, source, capsys, "-q")
    assert code == 2, out + err
    assert 'Suppliers row 2, column "capacity": found =2*4' in err
    assert "holds the formula =2*4 but no stored result" in err
    assert not (tmp_path / "plan.xlsx").exists()


# ------------------------------------------------------------------ hidden columns, periods


def test_hidden_column_is_read_with_a_warning(tmp_path, capsys):
    from openpyxl import load_workbook

    source = write_workbook(tmp_path / "input.xlsx", valid())
    wb = load_workbook(source)
    wb["Demand"].column_dimensions["D"].hidden = True
    wb.save(source)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert ('Demand, column "demand": column D ("demand") is hidden; it is read all the '
            "same") in out


def test_a_date_followed_by_garbage_is_not_a_period(tmp_path, capsys):
    sheets = edit("Disruptions", 2, "start_period", "2027-01-15 garbage")
    expect_error(tmp_path, sheets, capsys, 'Disruptions row 2, column "start_period": found '
                 '"2027-01-15 garbage"; expected a date or a month label like 2027-01.')


def test_valid_workbook_unchanged(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", copy.deepcopy(valid()))
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
