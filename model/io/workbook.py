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

import datetime as dt
import difflib
import hashlib
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable
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
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\bhidden=[\"'](?:1|true)[\"'][^>]*>")
_ROW_NUMBER = re.compile(rb"\br=[\"'](\d+)[\"']")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_DATE1904 = re.compile(rb"date1904=\"(?:1|true)\"")


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
    macros."""

    def __init__(self, path: Path):
        self.path = path
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise zipfile.BadZipFile("there is no xl/workbook.xml in it")
            workbook = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels") \
                if "xl/_rels/workbook.xml.rels" in names else b""
        self.has_macros = any(n.endswith("vbaProject.bin") for n in names)
        self.percent_styles = _percent_styles(path, names, rels)
        self.date1904 = bool(_DATE1904.search(workbook))
        targets = {}
        for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
            attrs = dict(re.findall(rb"(\w+)=\"([^\"]*)\"", rel.group(0)))
            if b"Id" in attrs and b"Target" in attrs:
                targets[attrs[b"Id"].decode()] = attrs[b"Target"].decode()
        self.sheet_xml: dict[str, str] = {}
        for sheet in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
            tag = sheet.group(0).decode("utf-8", "replace")
            name = re.search(r'\bname="([^"]*)"', tag)
            rid = re.search(r'\b(?:\w+:)?id="([^"]*)"', tag)
            if name and rid and rid.group(1) in targets:
                target = targets[rid.group(1)]
                member = target.lstrip("/") if target.startswith("/") else \
                    str(PurePosixPath("xl") / target)
                if member in names:
                    self.sheet_xml[_unescape(name.group(1))] = member

    def read(self, title: str) -> bytes:
        """The sheet's XML, or b"" when it cannot be found."""
        member = self.sheet_xml.get(title)
        if member is None:
            return b""
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(member)


_BUILTIN_PERCENT_FORMATS = {9, 10}
_NUMBER_FORMAT = re.compile(rb"<(?:\w+:)?numFmt\b[^>]*>")
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b[^>]*>")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _percent_styles(path: Path, names: set[str], rels: bytes) -> frozenset[int]:
    """Indices of the cell styles whose number format shows a percent (`0%`, `0.0%`)."""
    member = "xl/styles.xml"
    target = re.search(rb'Target="/?(?:xl/)?([^"]*styles\.xml)"', rels)
    if target is not None and f"xl/{target.group(1).decode()}" in names:
        member = f"xl/{target.group(1).decode()}"
    if member not in names:
        return frozenset()
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read(member)
    except (OSError, zipfile.BadZipFile, KeyError):
        return frozenset()
    percent_formats = set(_BUILTIN_PERCENT_FORMATS)
    for tag in _NUMBER_FORMAT.findall(styles):
        attrs = dict(re.findall(rb'(\w+)="([^"]*)"', tag))
        code = _unescape(attrs.get(b"formatCode", b"").decode("utf-8", "replace"))
        if "%" in _QUOTED.sub("", code) and attrs.get(b"numFmtId", b"").isdigit():
            percent_formats.add(int(attrs[b"numFmtId"]))
    block = _CELL_XFS.search(styles)
    if block is None:
        return frozenset()
    found = set()
    for index, tag in enumerate(_XF.findall(block.group(1))):
        number = re.search(rb'\bnumFmtId="(\d+)"', tag)
        if number and int(number.group(1)) in percent_formats:
            found.add(index)
    return frozenset(found)


def _percent_cells(xml: bytes, styles: frozenset[int]) -> set[tuple[int, int]]:
    """(Excel row, column index) of the cells that carry a percent style."""
    if not styles or not any(b's="%d"' % s in xml for s in styles):
        return set()
    wanted = b"|".join(b"%d" % s for s in sorted(styles))
    pattern = re.compile(rb'<(?:\w+:)?c\b[^>]*?\bs="(?:' + wanted + rb')"[^>]*>')
    found = set()
    for match in pattern.finditer(xml):
        ref = re.search(rb'\br="([A-Z]+)(\d+)"', match.group(0))
        if ref is not None:
            found.add((int(ref.group(2)), column_index(ref.group(1).decode())))
    return found


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
    """A sheet named like an absent optional sheet (`Scenario` for `Scenarios`) is ignored;
    say so, since its rows would otherwise vanish silently."""
    known = {normalise_name(s.name) for s in SHEETS}
    absent = {normalise_name(s.name): s.name for s in SHEETS
              if not s.required and s.name not in sheets}
    for title in titles:
        key = normalise_name(title)
        if key in known:
            continue
        guess = _closest(key, absent, cutoff=0.8)
        if guess:
            issues.append(issue_note(title, None, None,
                                     f'this sheet is not read; did you mean "{guess}"?',
                                     "warning"))


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
        marks = _marked_cells(xml) if any(h in xml for h in _FORMULA_OR_ERROR_HINTS) else {}
        percent = _percent_cells(xml, self.parts.percent_styles)
        self._check_merged(ws, header_row, set(columns))
        sheet = RawSheet(self.spec, self.title, header_row,
                         {name: text for name, text in columns.values()})
        positions = [(c - left, name) for c, (name, _) in columns.items()]
        marks_by_row: dict[int, dict[int, Any]] = {}
        for (r, c), value in marks.items():
            marks_by_row.setdefault(r, {})[c] = value
        rows = sheet.rows
        total = max(0, min(last, len(grid)) - first)
        for i in range(first, min(last, len(grid))):
            line = grid[i]
            excel_row = top + i + 1
            values: dict[str, Any] = {}
            width = len(line)
            for offset, name in positions:
                if offset < width:
                    value = _clean(line[offset])
                    if value is not None:
                        if percent and isinstance(value, int | float) and \
                                not isinstance(value, bool) and \
                                (excel_row, offset + left) in percent:
                            value = PercentCell(value)
                        values[name] = value
            marked = marks_by_row.get(excel_row)
            if marked:
                for c, value in marked.items():
                    if c in columns:
                        values[columns[c][0]] = value
            if values:
                rows.append(RawRow(excel_row, values))
            done = i + 1 - first
            if self.progress and done % PROGRESS_ROWS == 0:
                self.progress(f"  read {done:,} of {total:,} rows of {self.title} ...")
        # Marked cells in rows past calamine's grid (a formula without a result is blank to
        # calamine, so a row of nothing else ends its grid early).
        end_row = top + len(grid)
        beyond = [r for r in marks_by_row if r > max(end_row, header_row)] \
            if last >= len(grid) else []
        for excel_row in sorted(beyond):
            values = {columns[c][0]: v for c, v in marks_by_row[excel_row].items()
                      if c in columns}
            if values:
                rows.append(RawRow(excel_row, values))
        self._warn_hidden_rows(xml, {r.excel_row for r in rows})
        return sheet

    def _layout(self, grid: list[list[Any]], top: int, left: int) -> tuple[int, int, int]:
        """(header index, first data index, end index) in the grid.

        Data in an Excel Table is read from the table's range; otherwise the header is the row
        among the first few that names the most known columns (row 1 in a canonical workbook;
        title rows above it are allowed).
        """
        for table in self.tables:
            names = {normalise_name(str(c)) for c in table.columns}
            if names & set(self.known):
                data_top, _ = table.start
                data_end, _ = table.end
                header = data_top - 1 - top
                return header, header + 1, data_end - top + 1
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

    def _warn_hidden_rows(self, xml: bytes, data_rows: set[int]) -> None:
        hidden: list[int] = []
        if not any(h in xml for h in _HIDDEN_HINTS):
            return
        for match in _HIDDEN_ROW.finditer(xml):
            number = _ROW_NUMBER.search(match.group(0))
            if number and int(number.group(1)) in data_rows:
                hidden.append(int(number.group(1)))
        if hidden:
            shown = ", ".join(str(r) for r in hidden[:10]) + (" ..." if len(hidden) > 10 else "")
            self.issues.append(issue_note(
                self.title, None, None, f"rows {shown} are hidden or filtered out; they are "
                "read all the same", "warning"))


def _clean(value: Any) -> Any:
    """A cell as the user sees it: text trimmed (blank text is no value), midnight-only times
    are blanks."""
    if isinstance(value, str):
        return clean_text(value) or None if value else None
    if isinstance(value, dt.time):
        return None if value == dt.time(0) else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _marked_cells(xml: bytes) -> dict[tuple[int, int], Any]:
    """(Excel row, column index) -> CellError or FormulaWithoutValue, from the sheet's XML.

    Formulas with a stored result read as that result (calamine has it already); only error
    values and formulas without a result are marked.
    """
    from defusedxml.ElementTree import iterparse

    found: dict[tuple[int, int], Any] = {}
    for _, element in iterparse(io.BytesIO(xml), events=("end",)):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag != "c":
            if tag == "row":
                element.clear()
            continue
        kind = element.get("t")
        formula = value = None
        for child in element:
            child_tag = child.tag.rsplit("}", 1)[-1]
            if child_tag == "f":
                formula = child.text or ""
            elif child_tag == "v":
                value = child.text
        ref = _CELL_REF.match(element.get("r", ""))
        if ref is not None:
            key = (int(ref.group(2)), column_index(ref.group(1)))
            if kind == "e" and value:
                found[key] = CellError(value)
            elif formula is not None and (value is None or value == ""):
                found[key] = FormulaWithoutValue("=" + formula if formula else "a formula")
    return found
