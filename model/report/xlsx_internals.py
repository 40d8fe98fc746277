"""The one place the planner relies on xlsxwriter's internals and on the XML it writes.

- `style_attribute`: a format's style index (`Format._get_xf_index`, private), so that rows
  written as XML carry the same style as xlsxwriter's own cells;
- `straight_lines`: replaces a chart's private `_write_c_smooth`, because xlsxwriter leaves
  `<c:smooth val="0"/>` out and LibreOffice then smooths line charts;
- `inject_rows`: data tables are not written cell by cell through xlsxwriter (about 10-20
  microseconds a cell) but generated as sheet XML in bulk and put into the closed file, which
  relies on how xlsxwriter names sheet parts (`xl/worksheets/sheet{i + 1}.xml`) and writes
  `<col>`, `<row r=...>`, `<dimension>` and `<sheetData>` (found with regular expressions).
tests/test_library_contracts.py fails loudly when an xlsxwriter release changes any of these.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from model.io.workbook import column_index, column_letters

# A table whose rows are put into the sheet when the file closes: (rows, columns, first
# 0-based row, cell style attribute per column or None for the columns' own).
Deferred = tuple[pd.DataFrame, list[str], int, "dict[int, str] | None"]


def style_attribute(cell_format: Any) -> str:
    """The ` s="n"` attribute that gives a cell of sheet XML this format ("" for none).
    Registers the format in the workbook's style table (call it before the file closes)."""
    return f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""


def straight_lines(chart: Any) -> Any:
    """Lines drawn straight between points: xlsxwriter leaves `<c:smooth val="0"/>` out, and
    LibreOffice then smooths line charts (curves that overshoot the data)."""

    def write_smooth(smooth: Any) -> None:
        chart._xml_empty_tag("c:smooth", [("val", "1" if smooth else "0")])

    chart._write_c_smooth = write_smooth
    return chart


def plain(value: Any) -> Any:
    """A value xlsxwriter writes as is: NaN and None become blanks, numpy scalars Python."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


EXCEL_CELL_CHARACTERS = 32_767  # the most text an Excel cell holds (UTF-16 code units)


def _excel_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def fit_cell_text(text: str) -> str:
    """Text as an Excel cell can hold it: longer than Excel's 32,767 characters, it is cut
    with a marker that says so (Excel would refuse to open the file, or cut it silently)."""
    if len(text) <= EXCEL_CELL_CHARACTERS // 2 or _excel_length(text) <= EXCEL_CELL_CHARACTERS:
        return text
    marker = (f" ... [cut: the text has {len(text):,} characters, and an Excel cell holds "
              f"{EXCEL_CELL_CHARACTERS:,}]")
    room = EXCEL_CELL_CHARACTERS - len(marker)
    head = text[:room]
    while (excess := _excel_length(head) - room) > 0:
        head = head[:len(head) - excess]
    return head + marker


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text_cell(value: str) -> str:
    text = escape(fit_cell_text(value))
    if _CONTROL.search(text):  # as Excel stores them: _x0001_
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<is><t{space}>{text}</t></is>'


def _column_cells(series: pd.Series, letter: str, style: str, first: int) -> list[str]:
    """The cell XML of one column, row by row (empty strings for blanks)."""
    rows = range(first, first + len(series))
    if series.dtype.kind in "fiu":
        values = series.astype(float).tolist()
        return [f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>'
                if v == v and v not in (math.inf, -math.inf) else ""
                for r, v in zip(rows, values, strict=True)]
    if series.dtype.kind == "b":
        return [f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>'
                for r, v in zip(rows, series.tolist(), strict=True)]
    cache: dict[Any, str] = {}
    cells = []
    for r, raw in zip(rows, series.tolist(), strict=True):
        if raw.__class__ is str:  # the common case: names and labels
            body = cache.get(raw)
            if body is None:
                body = cache[raw] = _text_cell(raw)
            cells.append(f'<c r="{letter}{r}"{style} t="inlineStr">{body}</c>')
            continue
        value = plain(raw)
        if value is None:
            cells.append("")
            continue
        if isinstance(value, bool):
            cells.append(f'<c r="{letter}{r}"{style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            cells.append(f'<c r="{letter}{r}"{style}><v>{float(value)!r}</v></c>')
        else:
            body = cache.get(value)
            if body is None:
                body = cache[value] = _text_cell(str(value))
            cells.append(f'<c r="{letter}{r}"{style} t="inlineStr">{body}</c>')
    return cells


def _rows_xml(table: pd.DataFrame, columns: list[str], first_row: int,
              styles: dict[int, str]) -> Iterator[bytes]:
    """Sheet XML rows of a table, in chunks (1-based Excel rows from first_row + 1)."""
    first = first_row + 1
    chunk = 20_000
    for start in range(0, len(table), chunk):
        part = table.iloc[start:start + chunk]
        cells = [_column_cells(part[name], column_letters(c), styles.get(c, ""), first + start)
                 for c, name in enumerate(columns)]
        yield "".join(f'<row r="{first + start + i}">{"".join(row)}</row>'
                      for i, row in enumerate(zip(*cells, strict=True))).encode("utf-8")


_COL = re.compile(rb'<col min="(\d+)" max="(\d+)"[^>]*?style="(\d+)"')
_ROW_START = re.compile(rb'<row r="(\d+)"')
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def _inject(xml: bytes, tables: list[Deferred]) -> Iterator[bytes]:
    """The sheet XML with the tables' rows put in place (each before the first row xlsxwriter
    wrote below its header) and the dimension widened."""
    styles: dict[int, str] = {}
    for low, high, style in _COL.findall(xml[:xml.find(b"<sheetData")]):
        for c in range(int(low) - 1, int(high)):
            styles[c] = f' s="{int(style)}"'
    tables = sorted(tables, key=lambda entry: entry[2])
    last_row = max(first + len(table) for table, _, first, _ in tables)
    width = max(len(columns) for _, columns, _, _ in tables)
    found = _DIMENSION.search(xml)
    current = re.search(rb":([A-Z]+)(\d+)", found.group(0)) if found else None
    if current:  # what xlsxwriter wrote itself (a note below a table) counts too
        last_row = max(last_row, int(current.group(2)))
        width = max(width, column_index(current.group(1).decode()) + 1)
    ref = f"A1:{column_letters(width - 1)}{last_row}".encode()
    xml = _DIMENSION.sub(b'<dimension ref="' + ref + b'"/>', xml, count=1)
    if b"<sheetData/>" in xml:
        xml = xml.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
    begin = xml.index(b"<sheetData")
    end = xml.index(b"</sheetData>")
    starts = [(int(m.group(1)), m.start()) for m in _ROW_START.finditer(xml, begin, end)]
    position = 0
    for table, columns, first_row, own in tables:
        point = next((at for number, at in starts if number > first_row), end)
        point = max(point, position)
        yield xml[position:point]
        yield from _rows_xml(table, columns, first_row, styles if own is None else own)
        position = point
    yield xml[position:]


def inject_rows(path: Path, deferred: dict[int, list[Deferred]]) -> None:
    """Rewrite the closed workbook at `path` with the deferred tables' rows in their sheets
    (xlsxwriter names sheet i `xl/worksheets/sheet{i + 1}.xml`); every other entry is copied
    with its own timestamp, so the same plan still gives the same bytes."""
    temporary = path.with_name(path.name + ".rows")
    with zipfile.ZipFile(path) as source, \
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        wanted = {f"xl/worksheets/sheet{index + 1}.xml": entry
                  for index, entry in deferred.items()}
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename not in wanted:
                target.writestr(info, data)
                continue
            out = zipfile.ZipInfo(info.filename, info.date_time)
            out.compress_type = zipfile.ZIP_DEFLATED
            out._compresslevel = 1  # big generated sheets: fast compression, a little larger
            out.external_attr = info.external_attr
            with target.open(out, "w", force_zip64=True) as handle:
                _write_behind(handle, _inject(data, wanted[info.filename]))
    os.replace(temporary, path)


def _write_behind(handle: Any, pieces: Iterator[bytes]) -> None:
    """Write (and so compress) each piece in a second thread while the next is generated:
    zlib works without the interpreter lock, so the two overlap."""
    import queue
    import threading

    waiting: queue.Queue = queue.Queue(maxsize=4)
    failure: list[BaseException] = []

    def drain() -> None:
        while (piece := waiting.get()) is not None:
            if not failure:
                try:
                    handle.write(piece)
                except BaseException as exc:  # handed back to the generating thread
                    failure.append(exc)

    writer = threading.Thread(target=drain, daemon=True)
    writer.start()
    try:
        for piece in pieces:
            if failure:
                break
            waiting.put(piece)
    finally:
        waiting.put(None)
        writer.join()
    if failure:
        raise failure[0]
