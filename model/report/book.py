"""Workbook helpers shared by every writer (plan, charts, diagnosis, comparison): an xlsxwriter
workbook with cached formats, typed cells (text is always written as text, so a supplier named
`=HYPERLINK(...)` stays a name), tables with unit headers, frozen header rows and filters.

Zip entries carry a fixed timestamp and the document a fixed creation date, so the same plan
gives the same bytes apart from the run stamp.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from model.io.files import atomic_save, scratch_folder
from model.report.xlsx_internals import (
    Deferred,
    fit_cell_text,
    inject_rows,
    plain,
    style_attribute,
)
from model.results.tables import OutTable

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
          "valign": "top", "border": 1, "border_color": "#9BB7D4"}
TITLE = {"bold": True, "font_size": 14, "font_color": "#1F4E78"}
SECTION = {"bold": True, "font_size": 11, "font_color": "#1F4E78"}
FIXED_CREATED = dt.datetime(2000, 1, 1)
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384


class Book:
    """An xlsxwriter workbook with cached formats.

    Data tables are not written cell by cell through xlsxwriter (about 10-20 microseconds a
    cell): xlsxwriter writes their header, column formats, filter and frozen panes, and the
    data rows are generated as sheet XML in bulk and put into the file when it is closed
    (`xlsx_internals.inject_rows`), each cell with its column's style.
    """

    def __init__(self, path: Path, scratch: Path | None = None, title: str = ""):
        self.path = path
        self.deferred: dict[int, list[Deferred]] = {}
        options: dict[str, Any] = {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            # constant_memory: rows go to disk as they are written (each sheet in row order)
            "constant_memory": True}
        if scratch is not None:
            options["tmpdir"] = str(scratch)
        self.workbook = xlsxwriter.Workbook(str(path), options)
        self.workbook.set_properties({"created": FIXED_CREATED, "title": title})
        self._formats: dict[tuple, Any] = {}

    def fmt(self, number_format: str | None = None, **props: Any) -> Any:
        """A cached format: a number format plus any xlsxwriter properties."""
        if number_format:
            props["num_format"] = number_format
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(dict(props)) if props else None
        return self._formats[key]

    def sheet(self, name: str) -> Any:
        """A new worksheet."""
        return self.workbook.add_worksheet(name)

    def defer_rows(self, ws: Any, table: pd.DataFrame, columns: list[str],
                   first_row: int, formats: list[Any] | None = None) -> None:
        """Rows of `table` to be put on `ws` from 0-based `first_row` when the file is
        closed (several tables may share a sheet, one below the other). Each cell takes the
        style of its entry in `formats` (a format of `fmt`, or None for none), else its
        column's."""
        styles = None
        if formats is not None:
            # Registered now, so that the workbook's style table has them when it is written.
            styles = {c: style_attribute(f) for c, f in enumerate(formats)}
        self.deferred.setdefault(ws.index, []).append((table, columns, first_row, styles))

    def close(self) -> None:
        """Write the file."""
        self.workbook.close()
        if self.deferred:
            inject_rows(self.path, self.deferred)


def write_cell(ws: Any, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    """One cell, typed: text as text, numbers as numbers, blanks skipped."""
    value = plain(value)
    if value is None:
        if cell_format is not None:
            ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, str):
        ws.write_string(row, col, fit_cell_text(value), cell_format)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, fit_cell_text(str(value)), cell_format)


LINE_POINTS = 15.0


def wrapped_lines(text: Any, width: float) -> int:
    """Lines a text takes when wrapped (at spaces) in a column `width` characters wide."""
    lines, used = 1, 0
    for word in str(text or "").split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def header_width(text: str, width: float) -> float:
    """A column at least as wide as the longest word of its header (headers wrap at spaces
    only; a longer word would be cut)."""
    return max(width, max((len(word) for word in text.split()), default=0) + 1.5)


def write_header(book: Book, ws: Any, headers: list[str], widths: list[float],
                 formats: list[str | None], first_row: int = 0, freeze: bool = True,
                 columns: bool = True) -> None:
    """A styled header row, tall enough for its longest header; each column gets its width
    (at least its header's longest word) and number format, unless `columns` is False: a
    table sharing its sheet leaves the sheet's columns alone."""
    header = book.fmt(**HEADER)
    lines = 2
    for i, (text, width, number_format) in enumerate(zip(headers, widths, formats, strict=True)):
        width = header_width(text, width)
        if columns:
            ws.set_column(i, i, width, book.fmt(number_format))
        ws.write_string(first_row, i, fit_cell_text(text), header)
        lines = max(lines, wrapped_lines(text, width))
    if freeze:
        ws.freeze_panes(first_row + 1, 0)
    ws.set_row(first_row, LINE_POINTS * lines)


def write_rows(book: Book, ws: Any, table: pd.DataFrame, columns: list[str],
               first_row: int, formats: list[str | None] | None = None) -> int:
    """Data rows from 0-based `first_row` on, each cell in its column's format (set by
    `write_header`) or, given `formats`, in its own number format; nothing else may be
    written on the sheet below `first_row` except rows after the table. Returns how many rows
    there are."""
    if len(table):
        book.defer_rows(ws, table, columns, first_row,
                        None if formats is None else [book.fmt(f) for f in formats])
    return len(table)


def write_table(book: Book, ws: Any, table: pd.DataFrame, spec: OutTable, currency: str,
                first_row: int = 0, filters: bool = True, max_rows: int | None = None,
                freeze: bool = True, shared: bool = False) -> int:
    """Header row (names with units) plus one row per record, at most `max_rows` of them.
    Returns the number of data rows written. A `shared` table (one of several with other
    columns on a sheet) sets no column widths or formats, freezes nothing, has no filter and
    styles its own cells."""
    formats = [c.number_format for c in spec.columns]
    write_header(book, ws, [c.header(currency) for c in spec.columns],
                 [c.width for c in spec.columns], formats, first_row, freeze and not shared,
                 columns=not shared)
    shown = table if max_rows is None or len(table) <= max_rows else table.iloc[:max_rows]
    count = write_rows(book, ws, shown, spec.names, first_row + 1,
                       formats if shared else None)
    if filters and not shared:
        ws.autofilter(first_row, 0, first_row + max(count, 1), len(spec.columns) - 1)
    return count


def fit_to_page_width(ws: Any) -> None:
    """Print landscape on A4, one page wide."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


class Grid:
    """Cells collected in any order and written row by row (constant-memory mode needs rows in
    order)."""

    def __init__(self) -> None:
        self.cells: dict[int, list[tuple[int, Any, Any]]] = {}
        self.heights: dict[int, float] = {}

    def put(self, row: int, col: int, value: Any, cell_format: Any = None) -> None:
        """Remember one cell."""
        self.cells.setdefault(row, []).append((col, value, cell_format))

    def height(self, row: int, points: float) -> None:
        """Make a row at least this tall (for wrapped text)."""
        self.heights[row] = max(points, self.heights.get(row, 0.0))

    def write(self, ws: Any) -> None:
        """Write every cell, rows in ascending order."""
        for row in sorted(set(self.cells) | set(self.heights)):
            if row in self.heights:
                ws.set_row(row, self.heights[row])
            for col, value, cell_format in sorted(self.cells.get(row, []), key=lambda c: c[0]):
                write_cell(ws, row, col, value, cell_format)


def save_book(fill: Callable[[Book], None], path: Path, title: str) -> tuple[Path, list[str]]:
    """Fill a new workbook and write it atomically (see `files.atomic_save`); the writer's own
    scratch files live in a private folder that is removed afterwards."""

    def save(temporary: Path) -> None:
        with scratch_folder(temporary.parent) as scratch:
            book = Book(temporary, scratch, title)
            fill(book)
            try:
                book.close()
            except FileCreateError as exc:
                cause = exc.args[0] if exc.args else exc
                raise OSError(getattr(cause, "errno", None),
                              getattr(cause, "strerror", None) or str(exc)) from exc

    return atomic_save(save, path)
