"""Read the input workbook into raw tables: the only module that opens the user's Excel file.

The file is opened read-only and never written. Each sheet becomes a `RawSheet`: the Excel row
number of every data row and its cells keyed by canonical column name, so that every later
message can name the sheet, row and column the user sees. Cells keep their Excel type; error
cells and formulas without a stored value are marked, never turned into blanks.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, Issue, issue_note
from .schema import SHEETS, Sheet, clean_text, normalise_name

log = logging.getLogger(__name__)

MAX_UNZIPPED_BYTES = 1_000_000_000
MAX_COMPRESSION_RATIO = 200
HEADER_SEARCH_ROWS = 10
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True)
class CellError:
    """An Excel error value such as #DIV/0! or #REF!."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula whose result was never stored (the file was saved by a tool that does not
    calculate)."""

    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass
class RawRow:
    """One data row: its Excel row number and its cells by canonical column name."""

    excel_row: int
    values: dict[str, Any]


@dataclass
class RawSheet:
    """One input sheet as read: the spec it matched, the headers found, the data rows."""

    spec: Sheet
    title: str
    header_row: int
    headers: dict[str, str]
    rows: list[RawRow] = field(default_factory=list)

    def header(self, column: str) -> str:
        """The header as the user wrote it, for messages (falls back to the canonical name)."""
        return self.headers.get(column, column)


@dataclass
class RawWorkbook:
    """All recognised sheets of the input workbook, with the structural issues found."""

    path: Path
    sheets: dict[str, RawSheet]
    issues: list[Issue]
    epoch: dt.datetime


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every recognised sheet of the workbook at `path`.

    Raises InputError at once for a file that cannot be read as a workbook at all; structural
    problems of sheets and columns are returned in `issues` with the data, so that validation
    can report them together with cell problems.
    """
    path = Path(path)
    check_file(path)
    import openpyxl  # imported here: the package is usable for building models without it

    try:
        book = openpyxl.load_workbook(path, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise _file_error(path, f"a readable .xlsx workbook ({type(exc).__name__}: {exc})"
                          ) from exc
    cached = None
    if _has_formulas(book):
        cached = openpyxl.load_workbook(path, data_only=True, keep_links=False)

    issues: list[Issue] = []
    if zipfile.is_zipfile(path) and _has_macros(path):
        issues.append(issue_note("Workbook", None, None,
                                 "the workbook holds macros; they are ignored", "warning"))
    by_key: dict[str, list[Any]] = {}
    for ws in book.worksheets:
        by_key.setdefault(normalise_name(ws.title), []).append(ws)

    sheets: dict[str, RawSheet] = {}
    for spec in SHEETS:
        key = normalise_name(spec.name)
        found = by_key.get(key, [])
        if len(found) > 1:
            names = ", ".join(f'"{ws.title}"' for ws in found)
            issues.append(issue_note(spec.name, None, None,
                                     f"several sheets match {spec.name}: {names}; keep one"))
            continue
        if not found:
            if spec.required:
                issues.append(_missing_sheet_issue(spec, [ws.title for ws in book.worksheets]))
            continue
        ws = found[0]
        if ws.sheet_state != "visible":
            issues.append(issue_note(ws.title, None, None,
                                     "this sheet is hidden; it is read all the same", "warning"))
        cached_ws = cached[ws.title] if cached is not None else None
        sheet = _read_sheet(ws, cached_ws, spec, issues)
        if sheet is not None:
            sheets[spec.name] = sheet
    _warn_near_miss_sheets(book, sheets, issues)
    return RawWorkbook(path, sheets, issues, book.epoch)


def _file_error(path: Path, expected: str) -> InputError:
    return InputError([Issue("File", None, None, str(path), expected)], str(path))


def check_file(path: Path) -> None:
    """Refuse, with a plain message, anything that is not a readable .xlsx/.xlsm file."""
    if not path.exists():
        raise _file_error(path, "an existing workbook; no file is at that path")
    if path.is_dir():
        raise _file_error(path, "a workbook file, not a folder")
    if path.name.startswith("~$"):
        raise _file_error(path, "the workbook itself: this is the lock file Excel keeps while "
                          f'the workbook is open; give "{path.name[2:]}" instead')
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head == OLE_SIGNATURE:
                body = handle.read(2_000_000)
    except OSError as exc:
        raise _file_error(path, f"a readable file ({exc.strerror})") from exc
    if not head:
        raise _file_error(path, "a workbook, but the file is empty (0 bytes)")
    if head == OLE_SIGNATURE:
        if ENCRYPTION_MARK in body:
            raise _file_error(path, "an unprotected workbook: this one is password-protected; "
                              "open it in Excel, remove the password (File > Info > Protect "
                              "Workbook) and save it as .xlsx")
        raise _file_error(path, "an .xlsx workbook: this is an old-format .xls file; open it "
                          "in Excel and save it as Excel Workbook (.xlsx)")
    if not head.startswith(b"PK"):
        kind = "text (perhaps a CSV file renamed)" if _looks_like_text(head) else "not a workbook"
        raise _file_error(path, f"an .xlsx workbook; the file is {kind}; save it from Excel as "
                          "Excel Workbook (.xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
    except (zipfile.BadZipFile, OSError) as exc:
        raise _file_error(path, f"an .xlsx workbook; the file is damaged ({exc})") from exc
    if "xl/workbook.bin" in names:
        raise _file_error(path, "an .xlsx workbook: this is a binary .xlsb workbook; save it "
                          "as Excel Workbook (.xlsx)")
    if "xl/workbook.xml" not in names:
        raise _file_error(path, "an .xlsx workbook; the file is a zip archive without a "
                          "workbook inside (another document type?)")
    unzipped = sum(e.file_size for e in entries)
    packed = max(1, sum(e.compress_size for e in entries))
    if unzipped > MAX_UNZIPPED_BYTES or (unzipped > 50_000_000
                                         and unzipped / packed > MAX_COMPRESSION_RATIO):
        raise _file_error(path, f"a workbook of sensible size; it unpacks to {unzipped:,} "
                          "bytes, which looks like a zip bomb or a huge stray used range")


def _looks_like_text(head: bytes) -> bool:
    return all(32 <= b < 127 or b in (9, 10, 13) for b in head)


def _has_macros(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith("vbaProject.bin") for n in archive.namelist())


def _has_formulas(book: Any) -> bool:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    return True
    return False


def _missing_sheet_issue(spec: Sheet, titles: list[str]) -> Issue:
    found = ", ".join(f'"{t}"' for t in titles) or "none"
    guess = _closest(normalise_name(spec.name), {normalise_name(t): t for t in titles})
    hint = f'; did you mean "{guess}"?' if guess else ""
    return issue_note(spec.name, None, None,
                      f"the required sheet {spec.name} is missing (sheets found: {found}){hint}")


def _closest(key: str, candidates: dict[str, str], cutoff: float = 0.6) -> str | None:
    """The candidate whose canonical name is closest to `key`, or one that contains it."""
    for norm, original in candidates.items():
        if min(len(key), len(norm)) >= 4 and (key in norm or norm in key) and norm != key:
            return original
    match = difflib.get_close_matches(key, list(candidates), n=1, cutoff=cutoff)
    return candidates[match[0]] if match else None


def _warn_near_miss_sheets(book: Any, sheets: dict[str, RawSheet], issues: list[Issue]) -> None:
    """A sheet named like an absent optional sheet (`Scenario` for `Scenarios`) is ignored;
    say so, since its rows would otherwise vanish silently."""
    known = {normalise_name(s.name) for s in SHEETS}
    absent = {normalise_name(s.name): s.name for s in SHEETS
              if not s.required and s.name not in sheets}
    for ws in book.worksheets:
        key = normalise_name(ws.title)
        if key in known:
            continue
        guess = _closest(key, absent, cutoff=0.8)
        if guess:
            issues.append(issue_note(ws.title, None, None,
                                     f'this sheet is not read; did you mean "{guess}"?',
                                     "warning"))


def _find_header_row(ws: Any, spec: Sheet) -> tuple[int, int, int]:
    """(header row, first data row limit, last row) for the sheet's data.

    Data in an Excel Table is read from the table's range; otherwise the header is the row among
    the first few that names the most known columns (row 1 in a canonical workbook; title rows
    above it are allowed).
    """
    known = {normalise_name(c.name) for c in spec.columns}
    for table in ws.tables.values():
        from openpyxl.utils.cell import range_boundaries

        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        header = {normalise_name(str(ws.cell(min_row, c).value or ""))
                  for c in range(min_col, max_col + 1)}
        if header & known:
            return min_row, min_row + 1, max_row
    best_row, best_hits = 1, 0
    for r in range(1, min(ws.max_row, HEADER_SEARCH_ROWS) + 1):
        names = {normalise_name(str(c.value)) for c in ws[r] if isinstance(c.value, str)}
        hits = len(names & known)
        if hits > best_hits:
            best_row, best_hits = r, hits
    return best_row, best_row + 1, ws.max_row


def _read_sheet(ws: Any, cached_ws: Any, spec: Sheet, issues: list[Issue]) -> RawSheet | None:
    header_row, first_row, last_row = _find_header_row(ws, spec)
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: dict[str, str] = {}
    known = {normalise_name(c.name): c.name for c in spec.columns}
    for cell in ws[header_row]:
        if cell.value is None or str(cell.value).strip() == "":
            continue
        text = clean_text(str(cell.value))
        key = normalise_name(text)
        name = known.get(key)
        if name is None:
            unknown[key] = text
            continue
        if name in headers:
            issues.append(issue_note(ws.title, header_row, text,
                                     f'the column "{name}" appears twice (also as '
                                     f'"{headers[name]}"); keep one'))
            continue
        columns[cell.column] = name
        headers[name] = text
    for key, text in unknown.items():
        guess = _closest(key, {k: v for k, v in known.items() if v not in headers}, cutoff=0.8)
        if guess:
            issues.append(issue_note(ws.title, header_row, text,
                                     f'this column is not read; did you mean "{guess}"? '
                                     "Its values are ignored until it is renamed", "warning"))
    missing = [c.name for c in spec.columns if c.required and c.name not in headers]
    for name in missing:
        guess = _closest(normalise_name(name), unknown)
        hint = f'; did you mean "{guess}"?' if guess else ""
        found = ", ".join(f'"{h}"' for h in list(headers.values()) + list(unknown.values()))
        issues.append(issue_note(ws.title, header_row, name,
                                 f'the required column "{name}" is missing (columns found: '
                                 f'{found or "none"}){hint}'))
    if missing:
        return None

    _check_merged(ws, header_row, set(columns), issues)
    sheet = RawSheet(spec, ws.title, header_row, headers)
    hidden: list[int] = []
    # Only rows that hold something in a read column: a stray format far down the sheet must
    # not make us walk (and, in openpyxl, create) a million empty rows.
    filled: dict[int, dict[int, Any]] = {}
    for (r, c), cell in ws._cells.items():
        if c in columns and first_row <= r <= last_row and cell.value is not None:
            filled.setdefault(r, {})[c] = cell
    for r in sorted(filled):
        values: dict[str, Any] = {}
        for col, cell in filled[r].items():
            value = _cell_value(cell, cached_ws)
            if value is not None:
                values[columns[col]] = value
        if not values:
            continue
        if ws.row_dimensions[r].hidden:
            hidden.append(r)
        sheet.rows.append(RawRow(r, values))
    if hidden:
        shown = ", ".join(str(r) for r in hidden[:10]) + (" ..." if len(hidden) > 10 else "")
        issues.append(issue_note(ws.title, None, None,
                                 f"rows {shown} are hidden or filtered out; they are read all "
                                 "the same", "warning"))
    return sheet


def _check_merged(ws: Any, header_row: int, data_columns: set[int],
                  issues: list[Issue]) -> None:
    for merged in ws.merged_cells.ranges:
        if merged.max_row <= header_row:
            continue
        if not any(merged.min_col <= c <= merged.max_col for c in data_columns):
            continue
        issues.append(issue_note(ws.title, merged.min_row, None,
                                 f"cells {merged.coord} are merged; unmerge them and fill "
                                 "every row (merged cells leave all but the first row blank)"))


def _cell_value(cell: Any, cached_ws: Any) -> Any:
    """The value of a cell as the user sees it: text trimmed, blanks as None, errors and
    formulas without a stored result marked."""
    kind = cell.data_type
    value = cell.value
    if kind == "f":
        stored = cached_ws.cell(cell.row, cell.column) if cached_ws is not None else None
        if stored is None or stored.value is None:
            return FormulaWithoutValue(str(getattr(value, "text", value)))
        kind, value = stored.data_type, stored.value
    if value is None:
        return None
    if kind == "e":
        return CellError(str(value))
    if isinstance(value, str):
        value = clean_text(value)
        return value if value else None
    if isinstance(value, dt.time):
        return None if value == dt.time(0) else value
    return value
