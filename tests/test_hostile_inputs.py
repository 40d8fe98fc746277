"""Hostile inputs, round two: nothing misread silently, nothing lost, every refusal before
solving. Each case asserts the exit code, the exact message and the files left."""

from __future__ import annotations

import copy
import re
import sys
import time
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
@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_valid_workbook_unchanged(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", copy.deepcopy(valid()))
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err


# ------------------------------------------------------------------ output files and folders


@pytest.mark.slow
def test_an_output_equal_to_the_input_is_a_usage_error_everywhere(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    before = source.read_bytes()
    link = tmp_path / "same.xlsx"
    link.symlink_to(source)
    for output in (source, link):
        code = cli.main([str(source), "--output", str(output), "-q", "--force"])
        err = capsys.readouterr().err
        assert code == 64, err
        assert err == (f"usage error: --output {output} is the input workbook itself (the "
                       "input is never written); choose another --output (see python run.py "
                       "--help)\n")
    assert source.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_dangling_link_as_output_is_refused_and_creates_nothing(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    link = tmp_path / "plan.xlsx"
    link.symlink_to(tmp_path / "elsewhere" / "plan.xlsx")
    code = cli.main([str(source), "--output", str(link), "-q"])
    err = capsys.readouterr().err
    assert code == 64
    assert err == (f"usage error: the output {link} is a link to {tmp_path}/elsewhere/plan.xlsx "
                   "(which does not exist); the plan would replace that file: give --force to "
                   "write it there, or choose another --output (see python run.py --help)\n")
    assert not (tmp_path / "elsewhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx", "plan.xlsx"]


@pytest.mark.slow
def test_a_libreoffice_lock_beside_the_output_sends_the_plan_to_a_numbered_copy(tmp_path,
                                                                                capsys):
    source = write_workbook(tmp_path / "input.xlsx", one_commodity(1, 5, [["a", 10, 1]]))
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"open in LibreOffice")
    lock = tmp_path / ".~lock.plan.xlsx#"
    lock.write_text(",someone,host,01.01.2027 10:00,file:///home/someone;")
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    copy_path = tmp_path / "plan (1).xlsx"
    assert (f"warning: {target} is open in another program (its lock file .~lock.plan.xlsx# "
            f"is beside it), so the plan will be written to {copy_path} instead") in out
    assert f"plan written to  {copy_path}" in out
    assert target.read_bytes() == b"open in LibreOffice"
    assert summary(read_plan(copy_path))["objective"] == pytest.approx(5.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".~lock.plan.xlsx#", "input.xlsx", "plan (1).xlsx", "plan.xlsx"]


def test_another_users_file_in_a_sticky_folder_is_told_as_permission(tmp_path, monkeypatch):
    import os
    import stat

    import model.io.files as files

    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    target = folder / "plan.xlsx"
    target.write_bytes(b"someone else's plan")
    me = os.geteuid() + 1  # as if the file and the folder belonged to someone else
    monkeypatch.setattr(os, "geteuid", lambda: me)
    assert folder.stat().st_mode & stat.S_ISVTX
    assert files._permission_reason(target) == (
        "belongs to another user, and its folder lets only a file's owner replace it (no "
        "permission)")
    notes = files.check_output_target(target)
    assert notes == [f"{target} belongs to another user, and its folder lets only a file's "
                     "owner replace it (no permission), so the plan will be written to "
                     f"{folder / 'plan (1).xlsx'} instead"]


@pytest.mark.slow
def test_a_long_legal_output_name_is_written(tmp_path, capsys):
    """244 characters: the temporary name stays short, so the name itself is all that counts."""
    source = write_workbook(tmp_path / "input.xlsx", one_commodity(1, 5, [["a", 10, 1]]))
    output = tmp_path / ("p" * 239 + ".xlsx")
    code = cli.main([str(source), "--output", str(output), "-q"])
    assert code == 0, capsys.readouterr().err
    assert output.exists() and leftovers(tmp_path) == []


def test_a_name_too_long_is_refused_before_reading(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    output = tmp_path / ("p" * 250 + ".xlsx")
    code = cli.main([str(source), "--output", str(output), "-q"])
    err = capsys.readouterr().err
    assert code == 5
    assert err == (f"error: the output name {'p' * 40}... is too long for the folder "
                   f"{tmp_path} (255 characters; the file system allows 255 bytes, and a "
                   "numbered copy needs 5 more); choose a shorter --output\n")


# ------------------------------------------------------------------ temporary files and locks


def test_a_live_runs_temporary_files_are_never_removed(tmp_path):
    """A run holding its lock (in any process id namespace: the lock, not the id, decides)
    keeps its files; once no run holds it, the next run removes them."""
    import os

    import model.io.files as files

    identity, lock_path = files._new_lock(tmp_path)
    temporary = tmp_path / f".~planner-{identity}.tmp"
    temporary.write_bytes(b"a plan being written")
    (tmp_path / f".~planner-{identity}.tmp.rows").write_bytes(b"its rows")
    # Another run looks at the folder: the lock is held, so nothing goes. (flock locks belong
    # to an open file, so the check's own open sees the lock even in this process.)
    fd = files._HELD.pop(lock_path)  # as if held by another process
    files._LIVE.discard(lock_path)
    assert files.remove_stale(tmp_path) == []
    assert temporary.exists()
    os.close(fd)  # that run ends without cleaning up (killed)
    removed = files.remove_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(
        [f".~planner-{identity}.tmp", f".~planner-{identity}.tmp.rows",
         f".~planner-{identity}.lock"])
    assert list(tmp_path.iterdir()) == []


def test_without_locks_only_day_old_temporary_files_are_removed(tmp_path, monkeypatch):
    import os

    import model.io.files as files

    monkeypatch.setattr(files, "_lock", lambda fd: None)  # a file system that cannot lock
    for identity in ("young123", "old45678"):
        for suffix in (".lock", ".tmp"):
            (tmp_path / f".~planner-{identity}{suffix}").write_bytes(b"")
    two_days_ago = time.time() - 2 * 86400
    for suffix in (".lock", ".tmp"):
        os.utime(tmp_path / f".~planner-old45678{suffix}", (two_days_ago, two_days_ago))
    files.remove_stale(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".~planner-young123.lock",
                                                          ".~planner-young123.tmp"]


# ------------------------------------------------------------------ problems file


@pytest.mark.slow
def test_the_problems_file_replaces_a_link_never_writes_through_it(tmp_path, capsys):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    sheets = copy.deepcopy(valid())
    for i in range(60):  # more problems than the terminal shows
        sheets["Suppliers"].append([f"s{i}", "NdPr", "Chile", -1, 1, 0, None, None])
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    problems = tmp_path / "input_problems.txt"
    problems.symlink_to(victim)
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"the full list is in {problems}" in err
    assert victim.read_text() == "keep me"
    assert not problems.is_symlink()
    assert 'Suppliers row 63, column "capacity": found -1' in problems.read_text()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ --scheduler


@pytest.mark.parametrize(("address", "message"), [
    ("notaurl", '--scheduler "notaurl" is not a Dask scheduler address; give [tcp://]host:port, '
                "such as tcp://10.0.0.5:8786"),
    ("http://host:8786/x", '--scheduler "http://host:8786/x" is not a Dask scheduler address'),
    ("tcp://127.0.0.1:9", "--scheduler tcp://127.0.0.1:9: no Dask scheduler answers there"),
])
@pytest.mark.slow
def test_a_scheduler_that_cannot_work_is_refused_before_reading(tmp_path, capsys, monkeypatch,
                                                                address, message):
    import model.pipeline

    monkeypatch.setattr(model.pipeline, "read_workbook", lambda *a, **k: pytest.fail("read"))
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "--scheduler",
                     address, "-q"])
    err = capsys.readouterr().err
    assert code == 64
    assert err.startswith(f"usage error: {message}"), err
    assert not (tmp_path / "plan.xlsx").exists()


def test_a_scheduler_without_dask_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "--output", str(tmp_path / "plan.xlsx"), "--scheduler",
                     "tcp://127.0.0.1:8786", "-q"])
    err = capsys.readouterr().err
    assert code == 64
    assert err.startswith("usage error: --scheduler needs Dask distributed, which is not "
                          'installed: python -m pip install ".[cluster]"'), err


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(("target", "shown", "hint"), [
    ("Chna", '"Chna"', '(did you mean "China"?)'),
    ("china", '"china"', '(did you mean "China"? names are case-sensitive)'),
    ("China\u2062", '"China<U+2062>"', '(did you mean "China"? the name "China<U+2062>" holds '
                                      "invisible characters (U+2062 INVISIBLE TIMES): retype it)"),
])
@pytest.mark.slow
def test_a_misspelt_disruption_target_is_an_error_naming_the_known_one(tmp_path, capsys, target,
                                                                     shown, hint):
    sheets = edit("Disruptions", 2, "target_type", "origin_country")
    sheets["Disruptions"][1][2] = target
    expect_error(tmp_path, sheets, capsys,
                 f'Disruptions row 2, column "target": found {shown}; expected an origin country '
                 f"that some supplier has {hint}; as written it matches none, so this row hits "
                 "nothing.")


@pytest.mark.slow
def test_a_target_far_from_any_known_name_is_a_warning(tmp_path, capsys):
    sheets = edit("Disruptions", 2, "target_type", "origin_country")
    sheets["Disruptions"][1][2] = "Peru"
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert ('Disruptions row 2, column "target": no supplier or route has the origin country '
            '"Peru"; this row hits nothing') in out


def test_a_chokepoint_target_with_a_separator_is_an_error(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Routes"][1][4] = "Bab-el-Mandeb; Red Sea"
    sheets["Disruptions"][1][1:3] = ["chokepoint", "Bab-el-Mandeb, Red Sea"]
    expect_error(tmp_path, sheets, capsys,
                 'Disruptions row 2, column "target": found "Bab-el-Mandeb, Red Sea"; expected '
                 "one chokepoint: in Routes, ; and , separate chokepoints, so no route can have "
                 '"Bab-el-Mandeb, Red Sea"; give one row for each of "Bab-el-Mandeb", '
                 '"Red Sea".')


@pytest.mark.slow
def test_a_misspelt_limit_value_is_an_error(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Concentration"].append(["China cap", "NdPr", "origin_country", "Chinaa", 0.5,
                                    "period"])
    expect_error(tmp_path, sheets, capsys,
                 'Concentration row 3, column "value": found "Chinaa"; expected an origin '
                 'country that some supplier has (did you mean "China"?); as written it matches '
                 "none, so this limit constrains nothing.")


@pytest.mark.parametrize(("sheet", "row", "column", "header"), [
    ("Commodities", 2, "commodity", "commodity"),
    ("Demand", 2, "region", "region"),
    ("Suppliers", 3, "origin_country", "origin country"),
])
@pytest.mark.slow
def test_a_star_is_not_a_name(tmp_path, capsys, sheet, row, column, header):
    sheets = edit(sheet, row, column, "*")
    expect_error(tmp_path, sheets, capsys,
                 f'{sheet} row {row}, column "{column}": found "*"; expected a name other than '
                 '"*": * means "each" (in Concentration, Disruptions and Events), so it cannot '
                 f"be the name of one {header}.")


def test_demand_in_a_misspelt_region_is_an_error(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Demand"].append(["NdPr", "Japna", None, 3])
    expect_error(tmp_path, sheets, capsys,
                 'Demand row 3, column "region": found "Japna"; expected a region that goods '
                 'reach: did you mean "Japan"? As written no route in Routes delivers NdPr to '
                 "Japna, so all its demand would go unmet.")


def test_a_sheet_named_like_an_optional_sheet_is_an_error(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Disruption"] = sheets.pop("Disruptions")
    expect_error(tmp_path, sheets, capsys,
                 'Disruption: this sheet is not read, so its rows would be lost: the planner '
                 'reads a sheet named "Disruptions"; rename it')


# ------------------------------------------------------------------ no follow-on noise


@pytest.mark.slow
def test_a_refused_start_period_adds_no_false_warnings(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Settings"][1][1] = "27/01/2028"
    sheets["Concentration"].append(["China cap", "NdPr", "origin_country", "China", 0.5,
                                    "period"])
    err = expect_error(tmp_path, sheets, capsys, 'Settings row 2, column "value": found '
                       '"27/01/2028"')
    assert "the workbook has 1 problem:" in err
    assert "constrains nothing" not in err and "warning" not in err


@pytest.mark.slow
def test_a_negative_shortage_penalty_adds_no_follow_on_errors(tmp_path, capsys):
    err = expect_error(tmp_path, edit("Commodities", 2, "shortage_penalty", -5), capsys,
                       'Commodities row 2, column "shortage_penalty": found -5')
    assert "the workbook has 1 problem:" in err
    assert "known commodity" not in err


# ------------------------------------------------------------------ text beyond Excel's limit


@pytest.mark.slow
def test_text_longer_than_an_excel_cell_is_cut_with_a_marker(tmp_path, capsys):
    from openpyxl import load_workbook

    name = "x" * 40_000
    source = write_workbook(tmp_path / "input.xlsx", one_commodity(1, 5, [[name, 10, 1]]))
    code, out, err = run_main(tmp_path, source, capsys, "-q")
    assert code == 0, err
    # The name itself is read as the 32,767 characters a cell holds; the inputs kept with the
    # plan quote it with its column name ("supplier=xxx..."), which is longer: cut, marked.
    marker = re.compile(r" \.\.\. \[cut: the text has 32,7\d\d characters, and an Excel cell "
                        r"holds 32,767\]$")
    found = 0
    for ws in load_workbook(tmp_path / "plan.xlsx", read_only=True):
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert len(value) <= 32_767, ws.title
                    found += bool(marker.search(value)) and "x" * 1000 in value
    assert found >= 2
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_link_where_the_diagnosis_goes_is_replaced_never_written_through(tmp_path, capsys):
    sheets = copy.deepcopy(valid())
    sheets["Suppliers"][1][5] = 8  # Lynas must take 8 a period ...
    sheets["Routes"][1][4] = None
    sheets["Stockpiles"][1][3] = 5  # ... that Japan can neither use nor store
    sheets["Demand"][1][3] = 0
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    victim = tmp_path / "precious.xlsx"
    victim.write_bytes(b"keep me")
    diagnosis = tmp_path / "input_diagnosis.xlsx"
    diagnosis.symlink_to(victim)
    code, out, err = run_main(tmp_path, source, capsys, "-q")
    assert code == 3, err
    assert f"The diagnosis is in {diagnosis}" in err
    assert victim.read_bytes() == b"keep me"
    assert not diagnosis.is_symlink() and zipfile.is_zipfile(diagnosis)
    assert not (tmp_path / "plan.xlsx").exists() and leftovers(tmp_path) == []


@pytest.mark.slow
def test_hidden_rows_are_found_without_row_references(tmp_path, capsys):
    from openpyxl import load_workbook

    source = write_workbook(tmp_path / "input.xlsx", valid())
    wb = load_workbook(source)
    wb["Suppliers"].row_dimensions[3].hidden = True
    wb.save(source)
    _rewrite(source, lambda name, text: re.sub(r'<c r="[A-Z]+\d+"', "<c", re.sub(
        r'<row r="\d+"', "<row", text)) if name.endswith("sheet5.xml") else text)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert "Suppliers: rows 3 are hidden or filtered out; they are read all the same" in out


@pytest.mark.slow
def test_a_setting_shown_as_a_time_is_its_number_and_a_start_date_stays_a_date(tmp_path,
                                                                              capsys):
    import datetime as dt

    sheets = one_commodity(2, 5, [["a", 10, 1]])
    sheets["Settings"][1][1] = Formatted(dt.date(2027, 1, 1), "yyyy-mm-dd")
    sheets["Settings"].append(["risk_weight", Formatted(0, "hh:mm")])
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code, out, err = run_main(tmp_path, source, capsys)
    assert code == 0, err
    assert ('Settings row 4, column "value": found 00:00:00; expected a plain number; the cell '
            "is formatted as a date or time (hh:mm), so Excel shows 00:00:00, but its stored "
            "number 0 is what is read") in out
    assert "Settings row 2" not in out  # the start date is a date
    # 5 t a period for 2 periods, bought at 1.
    assert summary(read_plan(tmp_path / "plan.xlsx"))["objective"] == pytest.approx(10.0)
