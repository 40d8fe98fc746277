"""Read the input workbook into raw tables: the only module that opens the user's Excel file.

The file is opened read-only and never written. Each sheet becomes a `RawSheet`: the Excel row
number of every data row and its cells keyed by canonical column name, so that every later
message can name the sheet, row and column the user sees. Cells keep their Excel type; error
cells and formulas without a stored value are marked, never turned into blanks.

The bulk of every sheet is read by calamine (a compiled reader, several times faster than a
Python XML parser). What calamine does not tell is read from the sheet's XML itself, and only
where the sheet has it: formulas and error cells (a streaming parse of that one sheet), hidden
rows (a scan for the row attribute). Stray formatting far down a sheet costs nothing: only
cells that hold something are ever looked at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import hashlib
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import python_calamine

from model.domain.errors import InputError, Issue, issue_note
from model.io.schema import SHEETS, Sheet, clean_text, normalise_name

log = logging.getLogger(__name__)

MAX_UNZIPPED_BYTES = 1_000_000_000
MAX_COMPRESSION_RATIO = 200
HEADER_SEARCH_ROWS = 10
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")
EXCEL_1900_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_1904_EPOCH = dt.datetime(1904, 1, 1)
PROGRESS_ROWS = 50_000  # say how far reading got on sheets longer than this

# Plain substring tests first (a few hundred MB a second): the regular expressions and the XML
# parse only run on sheets that may hold what they look for.
_FORMULA_OR_ERROR_HINTS = (b"<f", b":f", b"t=\"e\"", b"t='e'")
_HIDDEN_HINTS = (b"hidden=",)
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


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


class PercentCell(float):
    """A number shown as a percent (the cell has a percent format: `60%` typed into Excel is
    stored as 0.6). It is its number everywhere; a column that takes no percent refuses it."""

    def __str__(self) -> str:
        return f"{float(self) * 100:g}%"

    __repr__ = __str__


class DateCell(float):
    """A number in a cell formatted as a date or a time (`hh:mm`, `yyyy-mm-dd`): the stored
    number is its value (a 0 shown as 00:00 is 0), `shown` is what calamine read it as (a date,
    a time) and `number_format` the format code, for the period columns that read dates as
    dates and for the warning a numeric column gives."""

    shown: Any
    number_format: str

    def __new__(cls, number: float, shown: Any, number_format: str) -> DateCell:
        """The number, remembering how the cell shows it."""
        cell = super().__new__(cls, number)
        cell.shown, cell.number_format = shown, number_format
        return cell

    def __str__(self) -> str:
        """As Excel shows it (messages quote cells as the user sees them)."""
        shown = self.shown
        if isinstance(shown, dt.datetime) and shown.time() == dt.time(0):
            return shown.date().isoformat()
        if isinstance(shown, dt.datetime):
            return shown.isoformat(sep=" ", timespec="seconds")
        if isinstance(shown, dt.date | dt.time):
            return shown.isoformat()
        return str(shown)

    __repr__ = __str__


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
    sha256: str = ""


Progress = Callable[[str], None]


def read_workbook(path: str | Path, progress: Progress | None = None) -> RawWorkbook:
    """Read every recognised sheet of the workbook at `path`.

    Raises InputError at once for a file that cannot be read as a workbook at all; structural
    problems of sheets and columns are returned in `issues` with the data, so that validation
    can report them together with cell problems.
    """
    path = Path(path)
    check_file(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
        parts = _WorkbookParts(path)
    except _unreadable() + (zlib.error, NotImplementedError) as exc:  # damaged or unsupported
        raise _file_error(path, f"a readable .xlsx workbook ({type(exc).__name__}: {exc})"
                          ) from exc
    issues: list[Issue] = []
    unreadable = _unreadable()
    if parts.has_macros:
        issues.append(issue_note("Workbook", None, None,
                                 "the workbook holds macros; they are ignored", "warning"))
    titles = list(book.sheet_names)
    hidden = {m.name for m in book.sheets_metadata if str(m.visible).split(".")[-1] != "Visible"}
    by_key: dict[str, list[str]] = {}
    for title in titles:
        by_key.setdefault(normalise_name(title), []).append(title)
    tables = _tables_by_sheet(book)

    sheets: dict[str, RawSheet] = {}
    for spec in SHEETS:
        found = by_key.get(normalise_name(spec.name), [])
        if len(found) > 1:
            names = ", ".join(f'"{t}"' for t in found)
            issues.append(issue_note(spec.name, None, None,
                                     f"several sheets match {spec.name}: {names}; keep one"))
            continue
        if not found:
            if spec.required:
                issues.append(_missing_sheet_issue(spec, titles))
            continue
        title = found[0]
        if title in hidden:
            issues.append(issue_note(title, None, None,
                                     "this sheet is hidden; it is read all the same", "warning"))
        reader = _SheetReader(book, parts, title, spec, tables.get(title, []), issues, progress)
        try:
            sheet = reader.read()
        except unreadable as exc:  # one damaged sheet: say which, check the rest
            issues.append(issue_note(title, None, None, "this sheet cannot be read: the file "
                                     f"is damaged there ({type(exc).__name__}: {exc}); open "
                                     "the workbook in Excel and save it again"))
            continue
        if sheet is not None:
            sheets[spec.name] = sheet
    _warn_near_miss_sheets(titles, sheets, issues)
    epoch = EXCEL_1904_EPOCH if parts.date1904 else EXCEL_1900_EPOCH
    return RawWorkbook(path, sheets, issues, epoch, file_sha256(path))


def inputs_table(raw: RawWorkbook) -> list[tuple[str, int, str, str, str]]:
    """Every input cell as read, for a plan to keep with it: (sheet, Excel row, row key,
    column, value as text). The key is the row's key columns (`limit=NdPr cap`), or its row
    number on sheets without a key, so that two plans' inputs can be matched row by row."""
    found = []
    for name, sheet in raw.sheets.items():
        key_columns = sheet.spec.key
        for row in sheet.rows:
            if name == "Settings":
                key = f"setting={row.values.get('setting', '')}"
            elif key_columns:
                key = "; ".join(f"{c}={row.values.get(c, '')}" for c in key_columns)
            else:
                key = f"row {row.excel_row}"
            for column, value in row.values.items():
                found.append((name, row.excel_row, key, column, str(value)))
    return found


def _unreadable() -> tuple[type[BaseException], ...]:
    """What a damaged sheet raises: calamine's errors, a broken zip member, malformed XML."""
    import xml.etree.ElementTree as ElementTree

    from defusedxml import DefusedXmlException

    return (python_calamine.CalamineError, zipfile.BadZipFile, zipfile.LargeZipFile,
            ElementTree.ParseError, DefusedXmlException, EOFError, OSError, UnicodeError)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_error(path: Path, expected: str) -> InputError:
    return InputError([Issue("File", None, None, str(path), expected)], str(path))


def check_file(path: Path) -> None:
    """Refuse, with a plain message, anything that is not a readable .xlsx/.xlsm file."""
    name = path.name
    if name.startswith(".~lock.") and name.endswith("#"):
        workbook = name[7:-1]
        raise _file_error(path, "the workbook itself: this is the lock file LibreOffice keeps "
                          f'while the workbook is open; give "{workbook}" instead'
                          + _save_as_xlsx(workbook))
    if name.startswith("~$"):
        raise _file_error(path, "the workbook itself: this is the lock file Excel keeps while "
                          f'the workbook is open; give "{name[2:]}" instead'
                          + _save_as_xlsx(name[2:]))
    if path.suffix.lower() in OPEN_DOCUMENT:
        raise _file_error(path, "an .xlsx workbook: this is an OpenDocument spreadsheet "
                          f"({path.suffix.lower()}); open it in LibreOffice or Excel and save as "
                          ".xlsx (Excel 2007-365)")
    if path.suffix.lower() in OTHER_FORMATS:
        raise _file_error(path, f"an .xlsx workbook: this is a {OTHER_FORMATS[path.suffix.lower()]}"
                          " file; open it in Excel or LibreOffice and save as .xlsx (Excel "
                          "2007-365)")
    if not path.exists():
        raise _file_error(path, "an existing workbook; no file is at that path")
    if path.is_dir():
        raise _file_error(path, "a workbook file, not a folder")
    if not path.is_file():
        raise _file_error(path, "a workbook file, not a device or a pipe")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            body = handle.read(2_000_000) if head == OLE_SIGNATURE else b""
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
    if "content.xml" in names and "mimetype" in names:
        raise _file_error(path, "an .xlsx workbook: this is an OpenDocument spreadsheet (.ods) "
                          "renamed; save it as Excel 2007-365 (.xlsx)")
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


OPEN_DOCUMENT = (".ods", ".fods", ".ots")
OTHER_FORMATS = {".numbers": "Apple Numbers", ".csv": "CSV text", ".tsv": "tab-separated text"}


def _save_as_xlsx(workbook: str) -> str:
    """A hint for a lock file whose workbook is not an .xlsx file."""
    suffix = Path(workbook).suffix.lower()
    if suffix in OPEN_DOCUMENT or suffix in OTHER_FORMATS:
        return " (and that is not an .xlsx workbook: open it and save as .xlsx, Excel 2007-365)"
    return ""


def _looks_like_text(head: bytes) -> bool:
    return all(32 <= b < 127 or b in (9, 10, 13) for b in head)


class _WorkbookParts:
    """The parts of the zip the reader looks at itself: sheet XML by title, the date system,
    the cell styles' number formats, macros. The small XML parts are parsed (any attribute
    quoting, any namespace prefix), never pattern-matched."""

    def __init__(self, path: Path):
        self.path = path
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise zipfile.BadZipFile("there is no xl/workbook.xml in it")
            workbook = _parse_xml(archive.read("xl/workbook.xml"))
            rels = _parse_xml(archive.read("xl/_rels/workbook.xml.rels")) \
                if "xl/_rels/workbook.xml.rels" in names else None
            targets: dict[str, str] = {}
            styles_member = "xl/styles.xml"
            for rel in _elements(rels, "Relationship"):
                rid, target = rel.get("Id"), rel.get("Target")
                if rid is None or target is None:
                    continue
                targets[rid] = target
                if (rel.get("Type") or "").endswith("/styles"):
                    styles_member = _member(target)
            styles = _parse_xml(archive.read(styles_member)) if styles_member in names else None
        self.has_macros = any(n.endswith("vbaProject.bin") for n in names)
        self.date1904 = any((e.get("date1904") or "").strip().lower() in ("1", "true")
                            for e in _elements(workbook, "workbookPr"))
        self.formats = _cell_formats(styles)
        self.percent_styles = frozenset(i for i, code in enumerate(self.formats)
                                        if _is_percent_format(code))
        self.date_styles = frozenset(i for i, code in enumerate(self.formats)
                                     if _is_date_format(code))
        self.sheet_xml: dict[str, str] = {}
        for sheet in _elements(workbook, "sheet"):
            name = sheet.get("name")
            rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
            if name is not None and rid in targets:
                member = _member(targets[rid])
                if member in names:
                    self.sheet_xml[name] = member

    def read(self, title: str) -> bytes:
        """The sheet's XML, or b"" when it cannot be found."""
        member = self.sheet_xml.get(title)
        if member is None:
            return b""
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(member)

    def format_of(self, style: int | None) -> str:
        """The number format code of a cell style (`hh:mm`, `yyyy-mm-dd`), for messages."""
        if style is None or not 0 <= style < len(self.formats):
            return "General"
        return self.formats[style]


def _parse_xml(data: bytes) -> Any:
    from defusedxml.ElementTree import fromstring

    return fromstring(data)


def _local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _elements(root: Any, name: str) -> list[Any]:
    """Every element of that local name under `root` (any namespace)."""
    if root is None:
        return []
    return [e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) == name]


def _member(target: str) -> str:
    """The zip member a workbook relationship's target names."""
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


# Excel's built-in number formats by id (those a cell can carry without a numFmt element).
_BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss",
    47: "mmss.0", 48: "##0.0E+0", 49: "@"}
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _cell_formats(styles: Any) -> list[str]:
    """The number format code of each cell style (cellXfs), by style index."""
    custom = {}
    for fmt in _elements(styles, "numFmt"):
        number = (fmt.get("numFmtId") or "").strip()
        if number.isdigit():
            custom[int(number)] = fmt.get("formatCode") or ""
    found: list[str] = []
    for block in _elements(styles, "cellXfs"):
        for xf in block:
            if not isinstance(xf.tag, str) or _local(xf.tag) != "xf":
                continue
            number = (xf.get("numFmtId") or "0").strip()
            index = int(number) if number.isdigit() else 0
            found.append(custom.get(index, _BUILTIN_FORMATS.get(index, f"format {index}")))
        break
    return found


def _is_percent_format(code: str) -> bool:
    return "%" in _QUOTED.sub("", code)


_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.I)


def _is_date_format(code: str) -> bool:
    """Whether a number format may show a number as a date or a time (generously: it only
    narrows where the reader looks first; a cell missed here is found by the full parse)."""
    if _ELAPSED.search(code):
        return True
    return code != "General" and bool(re.search(r"[ymdhs]", _QUOTED.sub("", code), re.I))


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _tables_by_sheet(book: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    try:
        names = list(book.table_names)
    except python_calamine.CalamineError:  # tables are optional: without any it reads the same
        return found
    for name in names:
        try:
            table = book.get_table_by_name(name)
        except python_calamine.CalamineError:  # unreadable table: read as plain cells instead
            continue
        found.setdefault(table.sheet, []).append(table)
    return found


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


def _warn_near_miss_sheets(titles: list[str], sheets: dict[str, RawSheet],
                           issues: list[Issue]) -> None:
    """A sheet named like an absent optional sheet (`Disruption` for `Disruptions`) would be
    ignored and its rows lost without a word: an error naming the sheet expected."""
    known = {normalise_name(s.name) for s in SHEETS}
    absent = {normalise_name(s.name): s.name for s in SHEETS
              if not s.required and s.name not in sheets}
    for title in titles:
        key = normalise_name(title)
        if key in known:
            continue
        guess = _closest(key, absent, cutoff=0.8)
        if guess:
            issues.append(issue_note(
                title, None, None, f'this sheet is not read, so its rows would be lost: the '
                f'planner reads a sheet named "{guess}"; rename it (or rename it to something '
                "else if it is not meant as input)"))


def column_letters(index: int) -> str:
    """Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based column index of Excel column letters (the inverse of `column_letters`)."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


class _SheetReader:
    """Reads one sheet: header row, data cells, and the marks calamine does not give."""

    def __init__(self, book: Any, parts: _WorkbookParts, title: str, spec: Sheet,
                 tables: list[Any], issues: list[Issue], progress: Progress | None):
        self.book, self.parts, self.title, self.spec = book, parts, title, spec
        self.tables, self.issues, self.progress = tables, issues, progress
        self.known = {normalise_name(c.name): c.name for c in spec.columns}
        self.table_rows: tuple[str, int, int] | None = None  # (name, first, last data row)

    def read(self) -> RawSheet | None:
        ws = self.book.get_sheet_by_name(self.title)
        grid = ws.to_python(skip_empty_area=True)
        top, left = ws.start if grid else (0, 0)
        header_index, first, last = self._layout(grid, top, left)
        header = grid[header_index] if grid else []
        columns = self._columns(header, left, top + header_index + 1)
        if columns is None:
            return None
        header_row = top + header_index + 1
        xml = self.parts.read(self.title)
        self._check_merged(ws, header_row, set(columns))
        sheet = RawSheet(self.spec, self.title, header_row,
                         {name: text for name, text in columns.values()})
        positions = [(c - left, name) for c, (name, _) in columns.items()]
        numeric = {c.name for c in self.spec.columns if c.kind in NUMBER_KINDS}
        if self.spec.name == "Settings":
            numeric.add("value")  # typed per setting later: a number, a date or a text
        rows = sheet.rows
        dated: list[tuple[dict[str, Any], str, tuple[int, int]]] = []
        total = max(0, min(last, len(grid)) - first)
        for i in range(first, min(last, len(grid))):
            line = grid[i]
            excel_row = top + i + 1
            values: dict[str, Any] = {}
            width = len(line)
            for offset, name in positions:
                if offset < width:
                    cell = line[offset]
                    if isinstance(cell, _DATE_TYPES):
                        values[name] = cell
                        if name in numeric:  # its stored number and format are read below
                            dated.append((values, name, (excel_row, offset + left)))
                        continue
                    value = _clean(cell)
                    if value is not None:
                        values[name] = value
            if values:
                rows.append(RawRow(excel_row, values))
            done = i + 1 - first
            if self.progress and done % PROGRESS_ROWS == 0:
                self.progress(f"  read {done:,} of {total:,} rows of {self.title} ...")
        styles = self.parts.percent_styles
        if dated or any(h in xml for h in _FORMULA_OR_ERROR_HINTS) or (
                styles and any(b's="%d"' % s in xml or b"s='%d'" % s in xml for s in styles)):
            wanted = {pos for _, _, pos in dated}
            scan = _scan_fast(xml, wanted, styles, self.parts.date_styles)
            if scan is None:
                scan = _scan_cells(xml, wanted, styles)
            self._apply_scan(sheet, scan, dated, columns, header_row,
                             top + last if last < len(grid) else None)
        self._warn_outside_table(rows)
        self._warn_hidden(xml, {r.excel_row for r in rows}, columns)
        return sheet

    def _apply_scan(self, sheet: RawSheet, scan: _Scan,
                    dated: list[tuple[dict[str, Any], str, tuple[int, int]]],
                    columns: dict[int, tuple[str, str]], header_row: int,
                    end_row: int | None) -> None:
        """Put what only the XML tells into the rows: the stored number of a cell shown as a
        date or time, percent marks, error values and formulas without a stored result."""
        for values, name, pos in dated:
            stored = scan.numbers.get(pos)
            shown = values[name]
            if stored is not None:
                number, style = stored
                values[name] = DateCell(number, shown, self.parts.format_of(style))
        rows = sheet.rows
        by_row = {r.excel_row: r for r in rows} if (scan.percent or scan.marks) else {}
        for r, c in scan.percent:
            row = by_row.get(r)
            name = columns.get(c, (None,))[0]
            if row is None or name is None:
                continue
            value = row.values.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool | DateCell):
                row.values[name] = PercentCell(value)
        added = False
        for (r, c), mark in sorted(scan.marks.items()):
            if c not in columns or r <= header_row or (end_row is not None and r > end_row):
                continue
            row = by_row.get(r)
            if row is None:
                row = by_row[r] = RawRow(r, {})
                rows.append(row)
                added = True
            row.values[columns[c][0]] = mark
        if added:
            rows.sort(key=lambda row: row.excel_row)

    def _layout(self, grid: list[list[Any]], top: int, left: int) -> tuple[int, int, int]:
        """(header index, first data index, end index) in the grid.

        The header of an Excel Table over the sheet's columns is the header; the data is read
        from below it to the end of the sheet all the same (rows outside the table are
        warned about, never dropped). Otherwise the header is the row among the first few that
        names the most known columns (row 1 in a canonical workbook; title rows above it are
        allowed).
        """
        for table in self.tables:
            names = {normalise_name(str(c)) for c in table.columns}
            if names & set(self.known):
                data_top, _ = table.start
                data_end, _ = table.end
                header = data_top - 1 - top
                if 0 <= header < len(grid):
                    self.table_rows = (str(table.name), data_top + 1, data_end + 1)
                    return header, header + 1, len(grid)
        best, best_hits = 0, 0
        for i, line in enumerate(grid[:HEADER_SEARCH_ROWS]):
            names = {normalise_name(clean_text(v)) for v in line if isinstance(v, str)}
            hits = len(names & set(self.known))
            if hits > best_hits:
                best, best_hits = i, hits
        return best, best + 1, len(grid)

    def _columns(self, header: list[Any], left: int, header_row: int
                 ) -> dict[int, tuple[str, str]] | None:
        """Sheet column index -> (canonical name, header as written); None if a required
        column is missing (reported)."""
        columns: dict[int, tuple[str, str]] = {}
        written: dict[str, str] = {}
        unknown: dict[str, str] = {}
        for offset, cell in enumerate(header):
            if cell is None or str(cell).strip() == "":
                continue
            text = clean_text(str(cell))
            key = normalise_name(text)
            name = self.known.get(key)
            if name is None:
                unknown[key] = text
                continue
            if name in written:
                self.issues.append(issue_note(
                    self.title, header_row, text, f'the column "{name}" appears twice (also as '
                    f'"{written[name]}"); keep one'))
                continue
            columns[left + offset] = (name, text)
            written[name] = text
        for key, text in unknown.items():
            guess = _closest(key, {k: v for k, v in self.known.items() if v not in written},
                             cutoff=0.8)
            if guess:
                self.issues.append(issue_note(
                    self.title, header_row, text, f'this column is not read; did you mean '
                    f'"{guess}"? Its values are ignored until it is renamed', "warning"))
        missing = [c.name for c in self.spec.columns if c.required and c.name not in written]
        for name in missing:
            guess = _closest(normalise_name(name), unknown)
            hint = f'; did you mean "{guess}"?' if guess else ""
            found = ", ".join(f'"{h}"' for h in list(written.values()) + list(unknown.values()))
            self.issues.append(issue_note(
                self.title, header_row, name, f'the required column "{name}" is missing '
                f'(columns found: {found or "none"}){hint}'))
        return None if missing else columns

    def _check_merged(self, ws: Any, header_row: int, data_columns: set[int]) -> None:
        try:
            merged = ws.merged_cell_ranges or []
        except python_calamine.CalamineError:  # a check, not data: never fail the read on it
            return
        for (r0, c0), (r1, c1) in merged:
            if r1 + 1 <= header_row:
                continue
            if not any(c0 <= c <= c1 for c in data_columns):
                continue
            coord = f"{column_letters(c0)}{r0 + 1}:{column_letters(c1)}{r1 + 1}"
            self.issues.append(issue_note(
                self.title, r0 + 1, None, f"cells {coord} are merged; unmerge them and fill "
                "every row (merged cells leave all but the first row blank)"))

    def _warn_outside_table(self, rows: list[RawRow]) -> None:
        """An Excel Table never hides data: rows below (or beside) its range are read all the
        same; say which, since Excel's filters and formulas skip them."""
        if self.table_rows is None:
            return
        name, first_row, last_row = self.table_rows
        outside = [r.excel_row for r in rows if not first_row <= r.excel_row <= last_row]
        if outside:
            shown = ", ".join(str(r) for r in outside[:10]) + (" ..." if len(outside) > 10
                                                               else "")
            self.issues.append(issue_note(
                self.title, outside[0], None, f"rows {shown} lie outside the Excel Table "
                f'"{name}" (rows {first_row} to {last_row}); they are read all the same: '
                "extend the table over them (Table Design > Resize Table) or delete them",
                "warning"))

    def _warn_hidden(self, xml: bytes, data_rows: set[int],
                     columns: dict[int, tuple[str, str]]) -> None:
        """Hidden or filtered-out rows and hidden columns are read like any other; say so."""
        if not any(h in xml for h in _HIDDEN_HINTS):
            return
        hidden: list[int] = []
        number = 0
        for tag in _ROW_TAG.findall(xml):
            attrs = _attributes(tag)
            written = attrs.get("r", "").strip()
            number = int(written) if written.isdigit() else number + 1  # no r: the next row
            if attrs.get("hidden", "").lower() in ("1", "true") and number in data_rows:
                hidden.append(number)
        if hidden:
            shown = ", ".join(str(r) for r in hidden[:10]) + (" ..." if len(hidden) > 10 else "")
            self.issues.append(issue_note(
                self.title, None, None, f"rows {shown} are hidden or filtered out; they are "
                "read all the same", "warning"))
        head = xml[:xml.find(b"sheetData")] if b"sheetData" in xml else xml
        hidden_columns = []
        for tag in _COL_TAG.findall(head):
            attrs = _attributes(tag)
            low, high = attrs.get("min", ""), attrs.get("max", "")
            if attrs.get("hidden", "").lower() not in ("1", "true") or not (
                    low.isdigit() and high.isdigit()):
                continue
            for index in sorted(columns):
                if int(low) <= index + 1 <= int(high):
                    hidden_columns.append((index, columns[index][1]))
        for index, text in hidden_columns:
            self.issues.append(issue_note(
                self.title, None, text, f"column {column_letters(index)} (\"{text}\") is "
                "hidden; it is read all the same", "warning"))


_DATE_TYPES = (dt.date, dt.time, dt.timedelta)  # dt.datetime is a dt.date
# Column kinds that hold numbers: there a cell shown as a date or time is its stored number
# (read from the XML, with its format for the warning); elsewhere dates stay dates.
NUMBER_KINDS = ("number", "int", "share")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:[\w.-]+:)?col\b[^>]*>")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attributes(tag: bytes) -> dict[str, str]:
    """The attributes of one start tag (either quoting), by local name."""
    text = tag.decode("utf-8", "replace")
    return {_local(name.split(":")[-1]): _unescape(a if a or not b else b)
            for name, a, b in _ATTRIBUTE.findall(text)}


def _clean(value: Any) -> Any:
    """A cell as the user sees it: text trimmed (blank text is no value); whole floats as
    ints. (Dates and times are left to `_SheetReader`, which reads their stored number.)"""
    if isinstance(value, str):
        return clean_text(value) or None if value else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@dataclass
class _Scan:
    """What the sheet's XML tells about its cells beyond calamine's values."""

    marks: dict[tuple[int, int], Any] = field(default_factory=dict)
    numbers: dict[tuple[int, int], tuple[float, int | None]] = field(default_factory=dict)
    percent: set[tuple[int, int]] = field(default_factory=set)


_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)
_CELL_ATTRIBUTE = re.compile(rb"""\b([rts])\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\b[^>]*>([^<]*)<")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>([^<]*)<)")


def _all_cells_have_references(xml: bytes) -> bool:
    """Whether every row and cell of the sheet carries its `r` attribute (as Excel and most
    writers save them): then positions can be read cell by cell, without a full parse. A
    sheet this cheap count cannot vouch for is parsed in full."""
    tags = sum(xml.count(t) for t in (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/",
                                      b"<row ", b"<row>", b":row ", b":row>"))
    return xml.count(b' r="') + xml.count(b" r='") >= tags


_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c\s")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>")


def _styled_cells(xml: bytes, styles: list[int]) -> Iterator[tuple[bytes, bytes]]:
    """(attributes, body) of the cells carrying one of these styles, found by their `s`
    attribute (a fast search) rather than by walking every cell."""
    ids = b"|".join(b"%d" % s for s in styles)
    for match in re.finditer(rb"""\ss\s*=\s*["'](?:""" + ids + rb""")["']""", xml):
        start = xml.rfind(b"<", 0, match.start())
        close = xml.find(b">", match.end())
        if start < 0 or close < 0 or not _CELL_START.match(xml, start):
            continue
        head = xml[start:close]
        if head.endswith(b"/"):
            yield head, b""
            continue
        end = _CELL_END.search(xml, close)
        yield head, xml[close + 1:end.start() if end else close + 1]


def _scan_fast(xml: bytes, wanted: set[tuple[int, int]], percent_styles: frozenset[int],
               date_styles: frozenset[int]) -> _Scan | None:
    """What `_scan_cells` finds, by regular expressions over the cells that matter (those
    with a date, time or percent style; every cell only when the sheet has formulas or
    errors), for sheets whose cells all carry their `r` attribute. None when this cannot be
    vouched for: the full parse then decides."""
    if not _all_cells_have_references(xml):
        return None
    found = _Scan()
    if any(h in xml for h in _FORMULA_OR_ERROR_HINTS):
        cells: Iterator[tuple[bytes, bytes]] = (
            (m.group(1), m.group(2) or b"") for m in _CELL.finditer(xml))
    else:
        styles = sorted(s for s in percent_styles | (date_styles if wanted else frozenset())
                        if b's="%d"' % s in xml or b"s='%d'" % s in xml)
        if not styles:
            return found if not wanted else None
        cells = _styled_cells(xml, styles)
    for attributes_text, body in cells:
        attributes = dict(_CELL_ATTRIBUTE.findall(attributes_text))
        ref = _CELL_REF.match(attributes.get(b"r", b"").decode("ascii", "replace").strip())
        if ref is None:
            return None
        position = (int(ref.group(2)), column_index(ref.group(1).upper()))
        value_match = _VALUE.search(body)
        value = _unescape(value_match.group(1).decode("utf-8", "replace")) \
            if value_match else None
        formula_match = _FORMULA.search(body)
        kind = attributes.get(b"t", b"n").decode("ascii", "replace")
        style_text = attributes.get(b"s", b"").strip()
        style = int(style_text) if style_text.isdigit() else None
        if kind == "e" and value:
            found.marks[position] = CellError(value.strip())
        elif formula_match is not None and not value:
            formula = _unescape((formula_match.group(1) or b"").decode("utf-8", "replace"))
            found.marks[position] = FormulaWithoutValue("=" + formula if formula else
                                                        "a formula")
        elif value is not None and kind == "n":
            if style is not None and style in percent_styles:
                found.percent.add(position)
            if position in wanted:
                with contextlib.suppress(ValueError):
                    found.numbers[position] = (float(value), style)
    if not wanted <= found.numbers.keys():
        return None  # a date cell of a style not recognised above: the full parse finds it
    return found


def _scan_cells(xml: bytes, wanted: set[tuple[int, int]], percent_styles: frozenset[int]
                ) -> _Scan:
    """One streaming parse of the sheet's XML: (Excel row, column index) of error values and
    formulas without a stored result (CellError, FormulaWithoutValue), the stored number and
    style of the `wanted` cells (those calamine showed as dates or times), and the cells with
    a percent style.

    Positions follow the OOXML rules: a row or cell without an `r` attribute is the one after
    the previous; any namespace prefix and attribute quoting is read.
    """
    from defusedxml.ElementTree import iterparse

    found = _Scan()
    row_number, column = 0, -1
    position = (0, 0)
    for event, element in iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                number = (element.get("r") or "").strip()
                row_number = int(number) if number.isdigit() else row_number + 1
                column = -1
            elif tag == "c":
                ref = _CELL_REF.match((element.get("r") or "").strip())
                if ref is not None:
                    column = column_index(ref.group(1).upper())
                    row_number = int(ref.group(2))
                else:
                    column += 1
                position = (row_number, column)
            continue
        if tag == "row":
            element.clear()
            continue
        if tag != "c":
            continue
        kind = element.get("t")
        formula = value = None
        for child in element:
            child_tag = _local(child.tag)
            if child_tag == "f":
                formula = child.text or ""
            elif child_tag == "v":
                value = child.text
        style_text = (element.get("s") or "").strip()
        style = int(style_text) if style_text.isdigit() else None
        if kind == "e" and value:
            found.marks[position] = CellError(value.strip())
        elif formula is not None and (value is None or value == ""):
            found.marks[position] = FormulaWithoutValue("=" + formula if formula else "a formula")
        elif value is not None and kind in (None, "n"):
            if style is not None and style in percent_styles:
                found.percent.add(position)
            if position in wanted:
                with contextlib.suppress(ValueError):
                    found.numbers[position] = (float(value), style)
    return found
