"""Cell typing: turn one raw cell into the value its column expects, or say why it cannot be.

Every function here looks at one cell (or one row) at a time; checks that look across rows or
sheets live in `model.inputs`. Problems are recorded in a `Collector` with the sheet, the
Excel row, the column header as the user wrote it, the value found and what was expected.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from model.domain.errors import Issue, issue_note, show_value
from model.domain.periods import (
    Calendar,
    PeriodError,
    expected_label,
    parse_period,
    parse_span,
)
from model.io.schema import HUGE, Column, normalise_name
from model.io.workbook import (
    NUMBER_KINDS,
    CellError,
    DateCell,
    FormulaWithoutValue,
    PercentCell,
    RawSheet,
)

INVALID = object()  # a cell that failed its type check (its problem is already recorded)
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_COMMA_GROUPS = re.compile(r"^([+-]?)(\d{1,3})((?:,\d{3})+)(\.\d+)?$")
_DOT_GROUPS = re.compile(r"^([+-]?)(\d{1,3})((?:\.\d{3}){2,})$")
_ONE_DOT_THREE = re.compile(r"^([+-]?)([1-9]\d{0,2})\.(\d{3})$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DOTS_AND_DECIMAL_COMMA = re.compile(r"^([+-]?)(\d{1,3}(?:\.\d{3})+),(\d+)$")
_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f'\u2019")
_SPACE_GROUPS = re.compile(r"^([+-]?)(\d{1,3}(?:[ \u00a0\u2009\u202f'\u2019]\d{3})+)([.,]\d+)?$")
PERCENT_PROBLEM = ("a plain number, not a percent: a percent is only read in share, probability "
                   "and factor columns (type {n:g} if you mean {n:g} units)")


class Collector:
    """Collects issues in the order found."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def error(self, sheet: str, row: int | None, column: str | None, value: Any,
              expected: str) -> None:
        """Record a bad cell."""
        self.issues.append(Issue(sheet, row, column, value, expected))

    def warn(self, sheet: str, row: int | None, column: str | None, value: Any,
             expected: str) -> None:
        """Record a suspicious but legal cell."""
        self.issues.append(Issue(sheet, row, column, value, expected, "warning"))

    def note(self, sheet: str, row: int | None, column: str | None, text: str,
             severity: str = "error") -> None:
        """Record a problem that is not about one cell's value."""
        self.issues.append(issue_note(sheet, row, column, text, severity))

    @property
    def has_errors(self) -> bool:
        """Whether any error (not warning) was recorded."""
        return any(i.severity == "error" for i in self.issues)


@dataclass
class Row:
    """A data row with typed values (defaults applied; INVALID where the cell was bad)."""

    sheet: RawSheet
    excel_row: int
    values: dict[str, Any]
    cells: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)

    def ok(self, *columns: str) -> bool:
        """Whether all the named cells passed their type checks."""
        return all(self.values.get(c) is not INVALID for c in columns)

    def header(self, column: str) -> str:
        """The column's header as written in the workbook."""
        return self.sheet.header(column)

    def raw(self, column: str) -> Any:
        """The cell as read, before typing (for messages that quote it as typed)."""
        return self.cells.get(column)

    @property
    def title(self) -> str:
        """The sheet's name as written in the workbook."""
        return self.sheet.title


# --------------------------------------------------------------------------- numbers and names


def read_number(value: Any, percent_ok: bool = False) -> tuple[float | None, str | None]:
    """A numeric cell or numeric text as a float: (number, None), (None, problem) for text
    that is a number read two ways or a percent where none is allowed, (None, None) for
    anything that is no number at all.

    `1,000,000`, `1 000` and `1'000` are thousands; `2,500`, `0,500` and `1.100` could be read
    with the separator as thousands or as decimals, so they are refused with both readings;
    `12,5` and `1.234,5` are refused with the number meant (the planner reads a decimal point).
    """
    if isinstance(value, bool):
        return None, None
    if isinstance(value, PercentCell) and not percent_ok:
        return None, PERCENT_PROBLEM.format(n=float(value) * 100)
    if isinstance(value, int | float):
        return float(value), None
    if not isinstance(value, str):
        return None, None
    text = value.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
        if not percent_ok:
            number, _ = read_number(text)
            if number is None:
                return None, None
            return None, PERCENT_PROBLEM.format(n=number)
    if match := _SPACE_GROUPS.match(text):  # 1 000 and 1'000 are thousands
        sign, whole, decimals = match.groups()
        text = sign + whole.translate(_SPACES) + (decimals or "")
    if match := _COMMA_GROUPS.match(text):
        sign, head, groups, decimals = match.groups()
        if groups.count(",") == 1 and decimals is None:
            thousands = float(sign + head + groups[1:])
            decimal = float(f"{sign}{head}.{groups[1:]}")
            return None, _two_readings(value, thousands, decimal, ",")
        text = sign + head + groups.replace(",", "") + (decimals or "")
    elif match := _DOT_GROUPS.match(text):
        sign, head, groups = match.groups()
        text = sign + head + groups.replace(".", "")
    elif match := _ONE_DOT_THREE.match(text):
        sign, head, tail = match.groups()
        return None, _two_readings(value, float(sign + head + tail), float(text), ".")
    elif _DECIMAL_COMMA.match(text):
        return None, (f'a number with a decimal point: if "{value}" means '
                      f"{text.replace(',', '.')}, type {text.replace(',', '.')}")
    elif match := _DOTS_AND_DECIMAL_COMMA.match(text):
        sign, whole, decimals = match.groups()
        meant = f"{sign}{whole.replace('.', '')}.{decimals}"
        return None, f'a number with a decimal point: if "{value}" means {meant}, type {meant}'

    if not _NUMBER_TEXT.match(text):
        return None, None
    number = float(text)
    return (number / 100.0 if percent else number), None


def _two_readings(value: str, thousands: float, decimal: float, separator: str) -> str:
    return (f'a number that reads one way only: "{value}" is {thousands:g} with "{separator}" '
            f"as a thousands separator, or {decimal:g} with it as a decimal separator; type "
            f"{thousands:g} or {decimal:g} as a number")


def to_name(value: Any) -> str | None:
    """A text cell (or a whole number typed into a name column) as a name."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return None


def mixed_scripts(text: str) -> str | None:
    """The look-alike alphabet (Cyrillic, Greek) a mostly Latin name borrows letters from."""
    scripts = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            scripts.add(name.split(" ")[0])
    if "LATIN" in scripts:
        for other in ("CYRILLIC", "GREEK"):
            if other in scripts:
                return other.capitalize()
    return None


def split_list(text: str) -> tuple[str, ...]:
    """Names separated by `,` or `;`, trimmed, blanks dropped."""
    return tuple(p.strip() for p in re.split(r"[;,]", text) if p.strip())


_BASIS = re.compile(r"^rolling\s*[-_ ]?\s*(\d+)$")


def read_basis(value: Any) -> tuple[str, int | None] | None:
    """A Concentration basis: `period`, `year`, `horizon` or `rolling N` (N >= 1)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    key = normalise_name(text)
    for basis in ("period", "year", "horizon"):
        if key == basis:
            return basis, None
    if key in ("yearly", "annual", "perperiod"):
        return None
    match = _BASIS.match(text)
    if match and int(match.group(1)) >= 1:
        return "rolling", int(match.group(1))
    return None


# --------------------------------------------------------------------------- one cell


def _problem_for_special(value: Any, column: Column) -> str | None:
    if isinstance(value, CellError):
        return (f"{column.expectation()}; the cell shows the Excel error {value.code}: fix "
                "the formula or type the value")
    if isinstance(value, FormulaWithoutValue):
        return (f"{column.expectation()}; the cell holds the formula {value.formula} but no "
                "stored result (the file was saved by a program that does not calculate): "
                "open and save it in Excel, or type the value")
    return None


def convert_cell(value: Any, column: Column, period_length: str | None,
                 epoch: Any) -> tuple[Any, str | None]:
    """(typed value, None) or (INVALID, what was expected)."""
    special = _problem_for_special(value, column)
    if special:
        return INVALID, special
    if value is None:
        if column.required:
            return INVALID, f"{column.expectation()} (this column is required)"
        return column.default, None
    kind = column.kind
    if isinstance(value, DateCell) and kind not in NUMERIC_KINDS:
        value = value.shown  # only numeric columns read the stored number of a date cell
    if kind in ("key", "text"):
        name = to_name(value)
        return (name, None) if name is not None else (INVALID, column.expectation())
    if kind == "list":
        name = to_name(value)
        return (split_list(name), None) if name is not None else (INVALID, column.expectation())
    if kind == "enum":
        key = normalise_name(str(value))
        for choice in column.choices:
            if normalise_name(choice) == key:
                return choice, None
        return INVALID, column.expectation()
    if kind == "basis":
        basis = read_basis(value)
        return (basis, None) if basis is not None else (INVALID, column.expectation())
    if kind in ("period", "span"):
        if period_length is None:
            return value, None  # cannot check before Settings is valid; reported there
        try:
            if kind == "span":
                return parse_span(value, period_length, epoch), None
            return parse_period(value, period_length, epoch), None
        except PeriodError as exc:
            reason = f" ({exc.reason})" if exc.reason else ""
            coarser = {"month": ", a quarter like 2027-Q1 or a year like 2027",
                       "quarter": " or a year like 2027", "year": ""}
            return INVALID, expected_label(period_length) + (
                coarser.get(period_length, "") if kind == "span" else "") + reason
        except (ValueError, OverflowError):
            return INVALID, expected_label(period_length)
    number, problem = read_number(value, percent_ok=column.percent_ok)
    if problem:
        return INVALID, problem
    if number is None:
        return INVALID, column.expectation()
    if math.isnan(number) or math.isinf(number) or abs(number) >= HUGE:
        return INVALID, f"{column.expectation()}, below 1e15 in size"
    if kind == "share":
        if number > 1.0:
            return INVALID, (f"a fraction between 0 and 1; {number:g} would be "
                             f"{number * 100:g}%: type {number / 100:g} or {number:g}%")
        if number < 0.0:
            return INVALID, column.expectation()
        return number, None
    if kind == "int" and not number.is_integer():
        return INVALID, column.expectation()
    if column.lo is not None and (number < column.lo or (column.lo_open and number == column.lo)):
        return INVALID, column.expectation()
    if column.hi is not None and (number > column.hi or (column.hi_open and number == column.hi)):
        return INVALID, column.expectation()
    return (int(number) if kind == "int" else number), None


NUMERIC_KINDS = NUMBER_KINDS
# Columns whose cells give things their names (the other name columns refer to them). `*`
# means "each" where names are referred to, so it can name nothing.
NAMING_COLUMNS = {
    "Commodities": ("commodity",), "Demand": ("region",), "Stockpiles": ("region",),
    "Suppliers": ("supplier", "origin_country", "processing_country"), "Routes": ("route",
                                                                                   "chokepoints"),
    "Groups": ("country", "group"), "Concentration": ("limit",), "Scenarios": ("scenario",),
    "Investments": ("project",), "Events": ("event",)}
STAR_PROBLEM = ('a name other than "*": * means "each" (in Concentration, Disruptions and '
                "Events), so it cannot be the name of one {what}")


def date_format_warning(cell: Any, column: Column) -> str | None:
    """What to say about a number in a numeric column that the cell shows as a date or a time:
    the stored number is read, whatever the display, and the user should know (a capacity 0
    shown as 00:00 is a capacity of 0, not a blank)."""
    if not isinstance(cell, DateCell) or column.kind not in NUMERIC_KINDS:
        return None
    return (f"a plain number; the cell is formatted as a date or time ({cell.number_format}), "
            f"so Excel shows {cell}, but its stored number {float(cell):g} "
            "is what is read: format the cell as a number (Home > Number Format > General)")


def parse_sheet(raw: RawSheet | None, issues: Collector, period_length: str | None,
                epoch: Any) -> list[Row]:
    """Type every cell of a sheet; bad cells become INVALID with their problem recorded."""
    if raw is None:
        return []
    rows = []
    columns = raw.spec.columns
    headers = {c.name: raw.header(c.name) for c in columns}
    naming = NAMING_COLUMNS.get(raw.spec.name, ())
    for raw_row in raw.rows:
        values: dict[str, Any] = {}
        cells = raw_row.values
        for column in columns:
            cell = cells.get(column.name)
            typed, problem = convert_cell(cell, column, period_length, epoch)
            if problem:
                issues.error(raw.title, raw_row.excel_row, headers[column.name], cell, problem)
            elif (warning := date_format_warning(cell, column)) is not None:
                issues.warn(raw.title, raw_row.excel_row, headers[column.name], cell, warning)
            elif column.name in naming and (typed == "*" or (
                    isinstance(typed, tuple) and "*" in typed)):
                issues.error(raw.title, raw_row.excel_row, headers[column.name], cell,
                             STAR_PROBLEM.format(what=column.name.replace("_", " ").rstrip("s")))
                typed = INVALID
            elif column.kind in ("key", "text") and isinstance(typed, str) and not typed.isascii():
                mixed = mixed_scripts(typed)
                if mixed:
                    issues.warn(raw.title, raw_row.excel_row, headers[column.name], typed,
                                f"letters of one alphabet; this name mixes Latin with {mixed} "
                                "letters that look alike, so it will not match the same name "
                                "typed in Latin letters")
            values[column.name] = typed
        rows.append(Row(raw, raw_row.excel_row, values, cells))
    return rows


# --------------------------------------------------------------------------- rows


def as_typed(row: Row, column: str) -> str:
    """A cell for a message as the user typed it: a period as its cell (`2027-03`, a date, an
    Excel number), never the planner's internal period number."""
    spec = row.sheet.spec.column_index.get(column)
    typed_as_cell = spec is not None and spec.kind in ("period", "span", "list")
    value = row.raw(column) if typed_as_cell else row[column]
    shown = show_value(value)
    return value if isinstance(value, str) else shown


def check_unique(rows: list[Row], columns: tuple[str, ...], issues: Collector) -> list[Row]:
    """Key columns unique within the sheet; both rows of a duplicate are named. Returns the
    rows whose key is valid and first of its kind."""
    first: dict[tuple[Any, ...], Row] = {}
    kept = []
    for row in rows:
        if not row.ok(*columns):
            continue
        key = tuple(row[c] for c in columns)
        if key in first:
            shown = ", ".join(as_typed(row, c) for c in columns if row[c] is not None)
            issues.error(row.title, row.excel_row, row.header(columns[0]), shown,
                         f"a unique {' + '.join(columns)}; row {first[key].excel_row} has the "
                         "same")
            continue
        first[key] = row
        kept.append(row)
    return kept


_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕΑΒΕΖΗΙΚΜΝΟΡΤΥΧοι",
    "ABEKMHOPCTXaeopcyxijsABEZHIKMNOPTYXoi")


def fold_name(name: str) -> str:
    """A name as people mean it: case, spacing, separators and look-alike letters ignored."""
    return re.sub(r"[\s_\-]+", " ", name.translate(_LOOK_ALIKES)).strip().casefold()


def _hidden(char: str) -> bool:
    """A character that shows as nothing or as a plain space: format and control characters,
    and spaces other than the ordinary one."""
    category = unicodedata.category(char)
    return category in ("Cf", "Cc", "Cn", "Co") or (category.startswith("Z") and char != " ")


def visible(name: str) -> str:
    """A name with its invisible characters spelled out (`China<U+2062>`), so that a message
    never shows two different names that look exactly alike."""
    if name.isascii() and name.isprintable():
        return name
    return "".join(f"<U+{ord(c):04X}>" if _hidden(c) else c for c in name)


def _strip_hidden(name: str) -> str:
    return "".join(c for c in name if not _hidden(c))


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one inserted, deleted, replaced or swapped character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1:]


MIN_LENGTH_FOR_ONE_EDIT = 5


def close_name(value: str, known: Iterable[str]) -> str | None:
    """The known name `value` is surely a misspelling of: one that differs from it only by
    case, spacing, separators, invisible characters or look-alike letters, or (for known names
    of 5 characters or more) by one edit. None if there is no such name (or `value` is
    known)."""
    known = [k for k in known if isinstance(k, str)]
    if value in known:
        return None
    folded = fold_name(_strip_hidden(value))
    for k in known:
        if fold_name(_strip_hidden(k)) == folded:
            return k
    for k in known:
        if len(k) >= MIN_LENGTH_FOR_ONE_EDIT and _one_edit(folded, fold_name(k)):
            return k
    return None


def suggestion(value: str, known: list[str]) -> str:
    """` (did you mean "X"?)` for a name that is not known, or the names that are."""
    stripped = _strip_hidden(value)
    if stripped != value:
        hidden = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}"
                           for c in dict.fromkeys(c for c in value if _hidden(c)))
        near = close_name(value, known)
        meant = f'did you mean "{visible(near)}"? ' if near else ""
        return (f" ({meant}the name \"{visible(value)}\" holds invisible characters "
                f"({hidden}): retype it)")
    folded = value.translate(_LOOK_ALIKES)
    for k in known:
        if k != value and k.translate(_LOOK_ALIKES) == folded:
            return (f' ("{k}" looks the same, but one of the two is typed with look-alike '
                    "letters of another alphabet: retype it)")
    lowered = {k.lower(): k for k in known}
    if value.lower() in lowered:
        return f' (did you mean "{lowered[value.lower()]}"? names are case-sensitive)'
    folded_known = {fold_name(k): k for k in known}
    if fold_name(value) in folded_known:
        return (f' (did you mean "{folded_known[fold_name(value)]}"? spaces, hyphens and '
                "underscores count in names)")
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(f'"{c}"' for c in close) + "?)"
    shown = ", ".join(f'"{k}"' for k in known[:8]) + (", ..." if len(known) > 8 else "")
    return f" ({shown or 'none are defined'})"


def check_reference(row: Row, column: str, known: Iterable[str], what: str,
                    issues: Collector, allow_star: bool = False,
                    defined: Iterable[str] = ()) -> bool:
    """The cell names something defined elsewhere (or `*` where allowed); suggest near names.
    A name in `defined` (named by a row that has a problem of its own, already reported) is
    refused without a second message."""
    value = row[column]
    if value is INVALID:
        return False
    if allow_star and value == "*":
        return True
    known = list(known)
    if value in known:
        return True
    if value in defined:
        return False
    issues.error(row.title, row.excel_row, row.header(column), visible(value),
                 f"a known {what}{suggestion(value, known)}")
    return False


def to_plan_period(row: Row, column: str, calendar: Calendar, issues: Collector,
                   must_be_inside: bool) -> int | None:
    """Plan period t of a period cell; None if blank or invalid. Outside the horizon is an
    error when `must_be_inside`, otherwise the caller clips it. Messages quote the cell as
    typed and the horizon as labels."""
    absolute = row[column]
    if absolute is None or absolute is INVALID:
        return None
    t = calendar.period_of(absolute)
    if must_be_inside and not 1 <= t <= calendar.periods:
        issues.error(row.title, row.excel_row, row.header(column), row.raw(column),
                     f"a period inside the plan's horizon {calendar.label(1)} to "
                     f"{calendar.label(calendar.periods)}")
        return None
    return t
