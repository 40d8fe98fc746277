"""Contracts with the private internals of highspy and xlsxwriter the planner relies on (each
kept in one module: model/solver/highs_internals.py, model/report/xlsx_internals.py; Pyomo's
are in model/solver/handoff.py, tested in test_handoff.py). Each test fails loudly, naming
what changed, when a library release breaks them."""

from __future__ import annotations

import re
import threading
import zipfile

import highspy
import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from model.report import xlsx_internals
from model.report.book import Book
from model.solver import highs_internals


def test_highspy_still_has_the_private_thread_scheduler_reset():
    assert callable(getattr(getattr(highspy, "_Highs", None), "resetThreadScheduler", None)), (
        "highspy._Highs.resetThreadScheduler is gone: model/solver/highs_internals.py must "
        "release HiGHS's worker threads another way")


def test_a_solve_in_a_thread_of_ours_ends_and_releases_its_workers():
    # min x subject to x >= 2: 2.
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVar(2.0, highspy.kHighsInf)
    highs.changeColCost(0, 1.0)
    worker = threading.Thread(target=highs_internals.run_and_release, args=(highs,))
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert highs.getInfo().objective_function_value == pytest.approx(2.0)


def test_xlsxwriter_formats_still_expose_their_style_index():
    workbook = xlsxwriter.Workbook(None, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    assert hasattr(bold, "_get_xf_index"), "xlsxwriter Format._get_xf_index is gone"
    assert re.fullmatch(r' s="\d+"', xlsx_internals.style_attribute(bold))
    assert xlsx_internals.style_attribute(None) == ""


def test_xlsxwriter_charts_still_write_smoothing_through_the_patched_method(tmp_path):
    path = tmp_path / "chart.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("S")
    ws.write_column(0, 0, [1, 3, 2])
    chart = workbook.add_chart({"type": "line"})
    assert hasattr(chart, "_write_c_smooth") and hasattr(chart, "_xml_empty_tag"), (
        "xlsxwriter charts no longer have _write_c_smooth / _xml_empty_tag")
    xlsx_internals.straight_lines(chart)
    chart.add_series({"values": "=S!$A$1:$A$3"})
    ws.insert_chart("C1", chart)
    workbook.close()
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/charts/chart1.xml")
    assert b'<c:smooth val="0"/>' in xml


def test_rows_put_into_the_sheet_xml_xlsxwriter_wrote_read_back(tmp_path):
    # The sheet part names and the <col>, <dimension>, <sheetData> and <row r=...> markup
    # inject_rows edits must still be what xlsxwriter writes.
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "rows.xlsx"
    book = Book(path)
    ws = book.sheet("First")
    second = book.sheet("Second")
    for sheet in (ws, second):
        sheet.set_column(0, 1, 12, book.fmt("#,##0.00"))
        sheet.write_string(0, 0, "name")
        sheet.write_string(0, 1, "value")
    table = pd.DataFrame({"name": ["a", "b"], "value": [1.5, np.nan]})
    book.defer_rows(second, table, ["name", "value"], 1)  # below the header (row 0)
    book.close()
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml")
    assert xlsx_internals._COL.search(xml) and xlsx_internals._DIMENSION.search(xml)
    sheet = openpyxl.load_workbook(path)["Second"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["name", "value"], ["a", 1.5], ["b", None]]
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet.dimensions == "A1:B3"
