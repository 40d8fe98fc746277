"""Turn raw sheets into validated `PlanData`, collecting every problem before raising once.

Two passes. `parse_sheet` types each cell by its column spec (numbers, shares, periods, names),
recording a problem for every bad cell. Then one `check_*` function per rule looks across rows
and sheets (duplicate keys, unknown references, windows, probabilities). All problems of the
workbook are raised together as one InputError; warnings travel with the data.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import (
    Commodity,
    Disruption,
    Limit,
    PlanData,
    Project,
    Route,
    Scenario,
    Settings,
    Stockpile,
    Supplier,
    SweepPoint,
    Transfer,
)
from .errors import InputError, Issue, issue_note
from .periods import Calendar, expected_label, parse_period
from .schema import HUGE, SETTING_BY_KEY, SETTINGS_COLUMNS, Column, normalise_name
from .workbook import CellError, FormulaWithoutValue, RawSheet, RawWorkbook, read_workbook

log = logging.getLogger(__name__)

INVALID = object()  # a cell that failed its type check (its problem is already recorded)
PROBABILITY_TOLERANCE = 1e-6
COEFFICIENT_RANGE_WARNING = 1e8
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_TEXT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


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

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)

    def ok(self, *columns: str) -> bool:
        """Whether all the named cells passed their type checks."""
        return all(self.values.get(c) is not INVALID for c in columns)

    def header(self, column: str) -> str:
        """The column's header as written in the workbook."""
        return self.sheet.header(column)

    @property
    def title(self) -> str:
        """The sheet's name as written in the workbook."""
        return self.sheet.title


# --------------------------------------------------------------------------- cell conversion


def _problem_for_special(value: Any, column: Column) -> str | None:
    if isinstance(value, CellError):
        return (f"{column.expectation()}; the cell shows the Excel error {value.code}: fix "
                "the formula or type the value")
    if isinstance(value, FormulaWithoutValue):
        return (f"{column.expectation()}; the cell holds the formula {value.formula} but no "
                "stored result (the file was saved by a program that does not calculate): "
                "open and save it in Excel, or type the value")
    return None


def to_number(value: Any) -> float | None:
    """A numeric cell or numeric text (`1,000`, `60%`) as a float, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        percent = text.endswith("%")
        if percent:
            text = text[:-1]
        if _THOUSANDS_TEXT.match(text):
            text = text.replace(",", "")
        if not _NUMBER_TEXT.match(text):
            return None
        number = float(text)
        return number / 100.0 if percent else number
    return None


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
    if kind == "period":
        if period_length is None:
            return value, None  # cannot check before Settings is valid; reported there
        try:
            return parse_period(value, period_length, epoch), None
        except (ValueError, OverflowError):
            return INVALID, expected_label(period_length)
    number = to_number(value)
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


def parse_sheet(raw: RawSheet | None, issues: Collector, period_length: str | None,
                epoch: Any) -> list[Row]:
    """Type every cell of a sheet; bad cells become INVALID with their problem recorded."""
    if raw is None:
        return []
    rows = []
    for raw_row in raw.rows:
        values: dict[str, Any] = {}
        for column in raw.spec.columns:
            cell = raw_row.values.get(column.name)
            typed, problem = convert_cell(cell, column, period_length, epoch)
            if problem:
                issues.error(raw.title, raw_row.excel_row, raw.header(column.name), cell, problem)
            elif column.kind in ("key", "text") and isinstance(typed, str):
                mixed = mixed_scripts(typed)
                if mixed:
                    issues.warn(raw.title, raw_row.excel_row, raw.header(column.name), typed,
                                f"letters of one alphabet; this name mixes Latin with {mixed} "
                                "letters that look alike, so it will not match the same name "
                                "typed in Latin letters")
            values[column.name] = typed
        rows.append(Row(raw, raw_row.excel_row, values))
    return rows


# --------------------------------------------------------------------------- settings


def check_settings(raw: RawSheet | None, issues: Collector, epoch: Any) -> Settings | None:
    """Read the Settings sheet (setting, value rows) into Settings; None if unusable."""
    if raw is None:
        return None
    found: dict[str, tuple[Any, int]] = {}
    for raw_row in raw.rows:
        name = raw_row.values.get("setting")
        if name is None:
            issues.error(raw.title, raw_row.excel_row, raw.header("setting"), None,
                         "the name of a setting")
            continue
        key = normalise_name(str(name))
        column = SETTING_BY_KEY.get(key)
        if column is None:
            guess = difflib.get_close_matches(key, list(SETTING_BY_KEY), n=1, cutoff=0.7)
            hint = f'; did you mean "{SETTING_BY_KEY[guess[0]].name}"?' if guess else ""
            issues.warn(raw.title, raw_row.excel_row, raw.header("setting"), name,
                        "a known setting (" + ", ".join(c.name for c in SETTINGS_COLUMNS)
                        + f"); this row is ignored{hint}")
            continue
        if column.name in found:
            issues.error(raw.title, raw_row.excel_row, raw.header("setting"), name,
                         f"each setting once; {column.name} is also set in row "
                         f"{found[column.name][1]}")
            continue
        found[column.name] = (raw_row.values.get("value"), raw_row.excel_row)

    typed: dict[str, Any] = {}
    value_header = raw.header("value")
    for column in SETTINGS_COLUMNS:
        if column.name == "start_period":
            continue
        cell, row = found.get(column.name, (None, None))
        if row is None and column.required:
            issues.note(raw.title, None, "setting",
                        f"the setting {column.name} is missing; add a row with "
                        f"{column.name} and {column.expectation()}")
            typed[column.name] = INVALID
            continue
        value, problem = convert_cell(cell, column, None, epoch)
        if problem:
            issues.error(raw.title, row, value_header, cell, problem)
        typed[column.name] = value

    period_length = typed["period_length"]
    start_cell, start_row = found.get("start_period", (None, None))
    start: Any = INVALID
    if start_row is None:
        issues.note(raw.title, None, "setting", "the setting start_period is missing; add a "
                    "row with start_period and the first period (a date or a label like 2027-01)")
    elif period_length is not INVALID:
        start, problem = convert_cell(start_cell, SETTINGS_COLUMNS[0], period_length, epoch)
        if problem:
            issues.error(raw.title, start_row, value_header, start_cell, problem)
    if INVALID in (start, typed["periods"], period_length) or any(
            v is INVALID for v in typed.values()):
        return None
    return Settings(
        calendar=Calendar(period_length, start, typed["periods"]),
        currency=typed["currency"],
        discount_rate=typed["discount_rate"],
        risk_weight=typed["risk_weight"],
        cvar_level=typed["cvar_level"],
        time_limit_seconds=typed["time_limit_seconds"],
    )


def settings_period_length(raw: RawSheet | None) -> str | None:
    """The period length from Settings, if it can be read, to type period cells elsewhere."""
    if raw is None:
        return None
    for raw_row in raw.rows:
        if normalise_name(str(raw_row.values.get("setting", ""))) == "periodlength":
            value, problem = convert_cell(raw_row.values.get("value"), SETTINGS_COLUMNS[1],
                                          None, None)
            return None if problem else value
    return "month"


# --------------------------------------------------------------------------- generic checks


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
            shown = ", ".join(str(row[c]) for c in columns if row[c] is not None)
            issues.error(row.title, row.excel_row, row.header(columns[0]), shown,
                         f"a unique {' + '.join(columns)}; row {first[key].excel_row} has the "
                         "same")
            continue
        first[key] = row
        kept.append(row)
    return kept


def check_reference(row: Row, column: str, known: Iterable[str], what: str,
                    issues: Collector, allow_star: bool = False) -> bool:
    """The cell names something defined elsewhere (or `*` where allowed); suggest near names."""
    value = row[column]
    if value is INVALID:
        return False
    if allow_star and value == "*":
        return True
    known = list(known)
    if value in known:
        return True
    issues.error(row.title, row.excel_row, row.header(column), value,
                 f"a known {what}{_suggestion(value, known)}")
    return False


_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕΑΒΕΖΗΙΚΜΝΟΡΤΥΧοι",
    "ABEKMHOPCTXaeopcyxijsABEZHIKMNOPTYXoi")


def _suggestion(value: str, known: list[str]) -> str:
    folded = value.translate(_LOOK_ALIKES)
    for k in known:
        if k != value and k.translate(_LOOK_ALIKES) == folded:
            return (f' ("{k}" looks the same, but one of the two is typed with look-alike '
                    "letters of another alphabet: retype it)")
    lowered = {k.lower(): k for k in known}
    if value.lower() in lowered:
        return f' (did you mean "{lowered[value.lower()]}"? names are case-sensitive)'
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(f'"{c}"' for c in close) + "?)"
    shown = ", ".join(f'"{k}"' for k in known[:8]) + (", ..." if len(known) > 8 else "")
    return f" ({shown or 'none are defined'})"


def to_plan_period(row: Row, column: str, calendar: Calendar, issues: Collector,
                   must_be_inside: bool) -> int | None:
    """Plan period t of a period cell; None if blank or invalid. Outside the horizon is an
    error when `must_be_inside`, otherwise the caller clips it."""
    absolute = row[column]
    if absolute is None or absolute is INVALID:
        return None
    t = calendar.period_of(absolute)
    if must_be_inside and not 1 <= t <= calendar.periods:
        issues.error(row.title, row.excel_row, row.header(column), calendar.label(t),
                     f"a period inside the plan's horizon {calendar.label(1)} to "
                     f"{calendar.label(calendar.periods)}")
        return None
    return t


# --------------------------------------------------------------------------- sheets


def check_commodities(rows: list[Row], issues: Collector) -> dict[str, Commodity]:
    """Commodities: unique names, positive shortage penalty."""
    if not rows:
        issues.note("Commodities", None, None, "at least one commodity is needed")
    result = {}
    for row in check_unique(rows, ("commodity",), issues):
        if row.ok("unit", "shortage_penalty", "target_penalty"):
            result[row["commodity"]] = Commodity(row["commodity"], row["unit"],
                                                 row["shortage_penalty"],
                                                 row["target_penalty"], row.excel_row)
    return result


def check_demand(rows: list[Row], commodities: dict[str, Commodity], calendar: Calendar | None,
                 issues: Collector
                 ) -> tuple[dict[tuple[str, str], tuple[float, ...]], tuple[str, ...],
                            dict[tuple[str, str], tuple[int | None, ...]]]:
    """Demand: blank-period rows apply to every period, dated rows override one period.

    Also returns, per (commodity, region), the Excel row that sets each period's demand.
    """
    if not rows:
        issues.note("Demand", None, None, "at least one demand row is needed (a zero row "
                    "names a region)")
    regions: dict[str, None] = {}
    for row in rows:
        if row.ok("region"):
            regions.setdefault(row["region"], None)
    unique = check_unique(rows, ("commodity", "region", "period"), issues)
    if calendar is None:
        return {}, tuple(regions), {}
    n = calendar.periods
    base: dict[tuple[str, str], list[float]] = {}
    source: dict[tuple[str, str], list[int | None]] = {}
    overrides = []
    for row in unique:
        if not check_reference(row, "commodity", commodities, "commodity (Commodities sheet)",
                               issues) or not row.ok("demand"):
            continue
        key = (row["commodity"], row["region"])
        base.setdefault(key, [0.0] * n)
        source.setdefault(key, [row.excel_row] * n)
        if row["period"] is None:
            base[key] = [row["demand"]] * n
            source[key] = [row.excel_row] * n
        else:
            overrides.append((key, row))
    for key, row in overrides:
        t = to_plan_period(row, "period", calendar, issues, must_be_inside=True)
        if t is not None:
            base[key][t - 1] = row["demand"]
            source[key][t - 1] = row.excel_row
    return ({k: tuple(v) for k, v in base.items()}, tuple(regions),
            {k: tuple(v) for k, v in source.items()})


def check_stockpiles(rows: list[Row], commodities: dict[str, Commodity],
                     regions: tuple[str, ...], issues: Collector
                     ) -> dict[tuple[str, str], Stockpile]:
    """Stockpiles: known commodity and region, initial stock within capacity."""
    result = {}
    for row in check_unique(rows, ("commodity", "region"), issues):
        ok = check_reference(row, "commodity", commodities, "commodity (Commodities sheet)",
                             issues)
        ok &= check_reference(row, "region", regions, "region (regions are named in Demand)",
                              issues)
        columns = ("initial_stock", "capacity", "target_stock", "target_days", "holding_cost")
        if not (ok and row.ok(*columns)):
            continue
        if row["capacity"] is not None and row["initial_stock"] > row["capacity"] + 1e-9:
            # Legal: first-period demand may draw the excess down; otherwise infeasible.
            issues.note(row.title, row.excel_row, row.header("initial_stock"),
                        f"initial stock {row['initial_stock']:g} is above the capacity "
                        f"{row['capacity']:g}; the excess must be used in the first period",
                        "warning")
        result[(row["commodity"], row["region"])] = Stockpile(
            row["commodity"], row["region"], row["initial_stock"], row["capacity"],
            row["target_stock"], row["target_days"], row["holding_cost"], row.excel_row)
    return result


def check_suppliers(rows: list[Row], period_rows: list[Row], commodities: dict[str, Commodity],
                    calendar: Calendar | None, issues: Collector,
                    invested: set[str] | None = None) -> dict[str, Supplier]:
    """Suppliers with their SupplierPeriods overrides resolved into per-period paths.

    min_take above capacity is an error unless an Investments project can add capacity.
    """
    invested = invested or set()
    result = {}
    unique = check_unique(rows, ("supplier",), issues)
    names = {row["supplier"] for row in unique}
    overrides: dict[str, list[tuple[int, Row]]] = {}
    for row in check_unique(period_rows, ("supplier", "period"), issues):
        if not check_reference(row, "supplier", names, "supplier (Suppliers sheet)", issues):
            continue
        if calendar is None or not row.ok("capacity", "unit_cost"):
            continue
        t = to_plan_period(row, "period", calendar, issues, must_be_inside=True)
        if t is not None:
            overrides.setdefault(row["supplier"], []).append((t, row))
    for row in unique:
        ok = check_reference(row, "commodity", commodities, "commodity (Commodities sheet)",
                             issues)
        columns = ("origin_country", "processing_country", "capacity", "unit_cost", "min_take",
                   "available_from", "available_to")
        if not (ok and row.ok(*columns)) or calendar is None:
            continue
        n = calendar.periods
        first = to_plan_period(row, "available_from", calendar, issues, must_be_inside=False)
        last = to_plan_period(row, "available_to", calendar, issues, must_be_inside=False)
        first = 1 if first is None else first
        last = n if last is None else last
        if last < first:
            issues.error(row.title, row.excel_row, row.header("available_to"),
                         calendar.label(last),
                         f"a period on or after available_from ({calendar.label(first)})")
            continue
        if row["min_take"] > row["capacity"] + 1e-9 and row["supplier"] not in invested:
            issues.error(row.title, row.excel_row, row.header("min_take"), row["min_take"],
                         f"at most the capacity {row['capacity']:g} (take-or-pay cannot exceed "
                         "what the supplier can sell)")
            continue
        if last < 1 or first > n:
            issues.note(row.title, row.excel_row, row.header("available_from"),
                        f"the window {calendar.label(first)} to {calendar.label(last)} lies "
                        "outside the plan's horizon; this supplier can never supply", "warning")
        capacity = [row["capacity"]] * n
        unit_cost = [row["unit_cost"]] * n
        period_row_numbers = {}
        for t, override in overrides.get(row["supplier"], []):
            period_row_numbers[t] = override.excel_row
            if override["capacity"] is not None:
                capacity[t - 1] = override["capacity"]
                if (first <= t <= last and row["min_take"] > override["capacity"] + 1e-9
                        and row["supplier"] not in invested):
                    issues.error(override.title, override.excel_row, override.header("capacity"),
                                 override["capacity"],
                                 f"at least the supplier's min_take {row['min_take']:g} (Suppliers"
                                 f" row {row.excel_row}), or lower min_take")
            if override["unit_cost"] is not None:
                unit_cost[t - 1] = override["unit_cost"]
        for t in range(1, n + 1):
            if not first <= t <= last:
                capacity[t - 1] = 0.0
        result[row["supplier"]] = Supplier(
            row["supplier"], row["commodity"], row["origin_country"],
            row["processing_country"] or row["origin_country"], tuple(capacity),
            tuple(unit_cost), row["min_take"], max(first, 1), min(last, n), row.excel_row,
            period_row_numbers)
    return result


def check_routes(rows: list[Row], suppliers: dict[str, Supplier], supplier_names: set[str],
                 regions: tuple[str, ...], calendar: Calendar | None,
                 issues: Collector) -> dict[str, Route]:
    """Routes: known supplier and region; lead times in whole periods."""
    result = {}
    for row in check_unique(rows, ("route",), issues):
        ok = check_reference(row, "supplier", supplier_names, "supplier (Suppliers sheet)",
                             issues)
        ok &= check_reference(row, "region", regions, "region (regions are named in Demand)",
                              issues)
        if not (ok and row.ok("lead_time_days", "freight_cost", "capacity", "chokepoints")):
            continue
        if calendar is None or row["supplier"] not in suppliers:
            continue
        result[row["route"]] = Route(
            row["route"], row["supplier"], row["region"], row["lead_time_days"],
            calendar.lead_periods(row["lead_time_days"]), row["freight_cost"], row["capacity"],
            tuple(dict.fromkeys(row["chokepoints"] or ())), row.excel_row)
    return result


def check_groups(rows: list[Row], issues: Collector) -> dict[str, tuple[str, ...]]:
    """Groups: country -> its groups (a country may belong to several)."""
    groups: dict[str, list[str]] = {}
    for row in check_unique(rows, ("country", "group"), issues):
        groups.setdefault(row["country"], []).append(row["group"])
    return {country: tuple(names) for country, names in groups.items()}


def check_scenarios(rows: list[Row], issues: Collector) -> dict[str, Scenario]:
    """Scenarios: unique names, probabilities summing to 1. Absent: `base` with 1."""
    if not rows:
        return {"base": Scenario("base", 1.0, None)}
    result = {}
    for row in check_unique(rows, ("scenario",), issues):
        if row.ok("probability"):
            result[row["scenario"]] = Scenario(row["scenario"], row["probability"],
                                               row.excel_row)
    if len(result) == len(rows):
        total = sum(s.probability for s in result.values())
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            listing = " + ".join(f"{s.probability:g}" for s in result.values())
            issues.note(rows[0].title, None, rows[0].header("probability"),
                        f"probabilities must sum to 1; they sum to {total:.6g} ({listing})")
    return result


def check_limits(rows: list[Row], data: dict[str, Any], issues: Collector) -> dict[str, Limit]:
    """Concentration: known commodity, region, value and scenarios."""
    result = {}
    group_names = sorted({g for names in data["groups"].values() for g in names})
    for row in check_unique(rows, ("limit",), issues):
        ok = check_reference(row, "commodity", data["commodities"],
                             "commodity (Commodities sheet) or *", issues, allow_star=True)
        ok &= check_reference(row, "region", data["regions"], "region or *", issues,
                              allow_star=True)
        if not (ok and row.ok("attribute", "value", "max_share", "basis", "scenarios")):
            continue
        attribute, value = row["attribute"], row["value"]
        if attribute == "supplier":
            ok = check_reference(row, "value", data["supplier_names"],
                                 "supplier (Suppliers sheet) or *", issues, allow_star=True)
        elif attribute == "route":
            ok = check_reference(row, "value", data["route_names"],
                                 "route (Routes sheet) or *", issues, allow_star=True)
        elif attribute in ("origin_group", "processing_group"):
            ok = check_reference(row, "value", group_names, "country group (Groups sheet) or *",
                                 issues, allow_star=True)
        elif value != "*" and value not in _attribute_values(attribute, data):
            issues.note(row.title, row.excel_row, row.header("value"),
                        f'no supplier or route has the {attribute.replace("_", " ")} "{value}"; '
                        "this limit constrains nothing", "warning")
        scenarios = tuple(row["scenarios"] or ("*",))
        if "*" in scenarios:
            scenarios = ()
        for name in scenarios:
            if name not in data["scenarios"]:
                ok = False
                issues.error(row.title, row.excel_row, row.header("scenarios"), name,
                             "a known scenario (Scenarios sheet) or *"
                             + _suggestion(name, list(data["scenarios"])))
        if ok:
            result[row["limit"]] = Limit(row["limit"], row["commodity"], row["region"],
                                         attribute, value, row["max_share"], row["basis"],
                                         scenarios, row.excel_row)
    return result


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _attribute_values(attribute: str, data: dict[str, Any]) -> set[str]:
    suppliers = data["suppliers"].values()
    if attribute == "origin_country":
        return {s.origin_country for s in suppliers}
    if attribute == "processing_country":
        return {s.processing_country for s in suppliers}
    if attribute == "chokepoint":
        return {c for r in data["routes"].values() for c in r.chokepoints}
    return set()


def check_disruptions(rows: list[Row], data: dict[str, Any], calendar: Calendar | None,
                      issues: Collector) -> tuple[Disruption, ...]:
    """Disruptions: known scenario and target, end not before start; clipped to the horizon."""
    result = []
    countries = {"origin_country": _attribute_values("origin_country", data),
                 "processing_country": _attribute_values("processing_country", data),
                 "chokepoint": _attribute_values("chokepoint", data)}
    for row in rows:
        ok = check_reference(row, "scenario", data["scenarios"], "scenario (Scenarios sheet)",
                             issues)
        ok &= row.ok("target_type", "target", "capacity_factor", "cost_factor", "demand_factor")
        if ok:
            ok = _check_disruption_target(row, data, countries, issues)
        if not ok or calendar is None or not row.ok("start_period", "end_period"):
            continue
        start = to_plan_period(row, "start_period", calendar, issues, must_be_inside=False)
        end = to_plan_period(row, "end_period", calendar, issues, must_be_inside=False)
        if start is None or end is None:
            continue
        if end < start:
            issues.error(row.title, row.excel_row, row.header("end_period"), calendar.label(end),
                         f"a period on or after start_period ({calendar.label(start)})")
            continue
        if end < 1 or start > calendar.periods:
            issues.error(row.title, row.excel_row, row.header("start_period"),
                         calendar.label(start), "a disruption that overlaps the plan's horizon "
                         f"{calendar.label(1)} to {calendar.label(calendar.periods)}")
            continue
        if start < 1 or end > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("start_period"),
                        f"the disruption runs {calendar.label(start)} to {calendar.label(end)}, "
                        "beyond the plan's horizon; only its periods inside the horizon count",
                        "warning")
        result.append(Disruption(row["scenario"], row["target_type"], row["target"],
                                 max(start, 1), min(end, calendar.periods),
                                 row["capacity_factor"], row["cost_factor"],
                                 row["demand_factor"], row.excel_row))
    return tuple(result)


def _check_disruption_target(row: Row, data: dict[str, Any], countries: dict[str, set[str]],
                             issues: Collector) -> bool:
    kind, target = row["target_type"], row["target"]
    if kind == "supplier":
        return check_reference(row, "target", data["supplier_names"],
                               "supplier (Suppliers sheet)", issues)
    if kind == "route":
        return check_reference(row, "target", data["route_names"], "route (Routes sheet)",
                               issues)
    if kind == "demand":
        commodity, _, region = target.partition("@")
        commodity, region = commodity.strip(), region.strip()
        if commodity not in data["commodities"]:
            issues.error(row.title, row.excel_row, row.header("target"), target,
                         "a commodity, or commodity@region"
                         + _suggestion(commodity, list(data["commodities"])))
            return False
        if region and region not in data["regions"]:
            hint = _suggestion(region, list(data["regions"]))
            issues.error(row.title, row.excel_row, row.header("target"), target,
                         f"commodity@region with a known region{hint}")
            return False
        if region:
            row.values["target"] = f"{commodity}@{region}"
        else:
            row.values["target"] = commodity
        return True
    if target not in countries[kind]:
        issues.note(row.title, row.excel_row, row.header("target"),
                    f'no supplier or route has the {kind.replace("_", " ")} "{target}"; this '
                    "disruption hits nothing", "warning")
    return True


def check_transfers(rows: list[Row], data: dict[str, Any], calendar: Calendar | None,
                    issues: Collector) -> tuple[Transfer, ...]:
    """Transfers: known commodity and regions, two different regions."""
    result = []
    for row in check_unique(rows, ("commodity", "from_region", "to_region"), issues):
        ok = check_reference(row, "commodity", data["commodities"],
                             "commodity (Commodities sheet)", issues)
        ok &= check_reference(row, "from_region", data["regions"], "region (named in Demand)",
                              issues)
        ok &= check_reference(row, "to_region", data["regions"], "region (named in Demand)",
                              issues)
        if not (ok and row.ok("lead_time_days", "cost", "capacity")) or calendar is None:
            continue
        if row["from_region"] == row["to_region"]:
            issues.error(row.title, row.excel_row, row.header("to_region"), row["to_region"],
                         "a region other than from_region")
            continue
        result.append(Transfer(row["commodity"], row["from_region"], row["to_region"],
                               row["lead_time_days"], calendar.lead_periods(row["lead_time_days"]),
                               row["cost"], row["capacity"], row.excel_row))
    return tuple(result)


def check_projects(rows: list[Row], data: dict[str, Any], calendar: Calendar | None,
                   issues: Collector) -> dict[str, Project]:
    """Investments: known supplier; first period clipped to the horizon."""
    result = {}
    for row in check_unique(rows, ("project",), issues):
        ok = check_reference(row, "supplier", data["supplier_names"],
                             "supplier (Suppliers sheet)", issues)
        if not (ok and row.ok("capex", "max_capacity", "first_period")) or calendar is None:
            continue
        first = to_plan_period(row, "first_period", calendar, issues, must_be_inside=False)
        first = 1 if first is None else max(first, 1)
        if first > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("first_period"),
                        f"{calendar.label(first)} is after the plan's horizon; this project "
                        "would never supply", "warning")
        result[row["project"]] = Project(row["project"], row["supplier"], row["capex"],
                                         row["max_capacity"], first, row.excel_row)
    return result


def check_sweep(rows: list[Row], limits: dict[str, Limit], limit_names: set[str],
                issues: Collector) -> tuple[SweepPoint, ...]:
    """Sweep: each row names a Concentration limit and a share to try."""
    result = []
    for row in rows:
        if check_reference(row, "limit", limit_names, "limit (Concentration sheet)", issues) \
                and row.ok("max_share") and row["limit"] in limits:
            result.append(SweepPoint(row["limit"], row["max_share"], row.excel_row))
    return tuple(result)


# --------------------------------------------------------------------------- warnings


def check_take_or_pay_routes(suppliers: dict[str, Supplier], routes: dict[str, Route],
                             issues: Collector) -> None:
    """A take-or-pay supplier needs a route: what must be taken has to go somewhere."""
    routed = {r.supplier for r in routes.values()}
    for supplier in suppliers.values():
        if supplier.min_take > 0 and supplier.name not in routed:
            issues.error("Suppliers", supplier.row, "min_take", supplier.min_take,
                         "0 for a supplier without any route in Routes (take-or-pay volumes "
                         "must be delivered somewhere), or add a route")


def check_coverage(plan: dict[str, Any], issues: Collector) -> None:
    """Legal but suspicious: suppliers without routes, commodities without suppliers, demand
    without a stockpile row."""
    routed = {r.supplier for r in plan["routes"].values()}
    for supplier in plan["suppliers"].values():
        if supplier.name not in routed:
            issues.note("Suppliers", supplier.row, "supplier",
                        f'"{supplier.name}" has no route in Routes, so it cannot deliver '
                        "anywhere", "warning")
    supplied = {s.commodity for s in plan["suppliers"].values()}
    for commodity in plan["commodities"].values():
        if commodity.name not in supplied:
            issues.note("Commodities", commodity.row, "commodity",
                        f'"{commodity.name}" has no supplier in Suppliers; all its demand '
                        "beyond stock goes unmet", "warning")
    for (k, g), rows in plan["demand_rows"].items():
        if (k, g) not in plan["stockpiles"] and any(plan["demand"].get((k, g), ())):
            issues.note("Demand", rows[0], "region",
                        f"{k} in {g} has demand but no Stockpiles row, so no stock can be "
                        "held there (capacity 0)", "warning")


def check_limit_satisfiable(plan: dict[str, Any], issues: Collector) -> None:
    """A limit whose scope has only routes with its value can only be met by buying nothing
    from that scope (when max_share < 1): warn, naming the first such period."""
    routes = plan["routes"].values()
    suppliers = plan["suppliers"]
    for limit in plan["limits"].values():
        if limit.value == "*" or limit.max_share >= 1.0:
            continue
        scope = [r for r in routes
                 if (limit.commodity == "*" or suppliers[r.supplier].commodity == limit.commodity)
                 and (limit.region == "*" or r.region == limit.region)]
        for t in range(1, plan["settings"].periods + 1):
            open_routes = [r for r in scope
                           if suppliers[r.supplier].capacity_per_period[t - 1] > 0]
            if open_routes and all(
                    limit.value in route_values(r, suppliers[r.supplier], limit.attribute,
                                                plan["groups"]) for r in open_routes):
                issues.note("Concentration", limit.row, "max_share",
                            f'"{limit.name}" cannot be met by any supply in '
                            f"{plan['settings'].calendar.label(t)}: every open route in its "
                            f"scope has {limit.attribute} {limit.value}, so the limit allows "
                            "buying none of them", "warning")
                break


def route_values(route: Route, supplier: Supplier, attribute: str,
                 groups: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The values a route "has" for a concentration attribute (model.md, constraint 8)."""
    if attribute == "origin_country":
        return (supplier.origin_country,)
    if attribute == "processing_country":
        return (supplier.processing_country,)
    if attribute == "origin_group":
        return groups.get(supplier.origin_country, ())
    if attribute == "processing_group":
        return groups.get(supplier.processing_country, ())
    if attribute == "supplier":
        return (supplier.name,)
    if attribute == "route":
        return (route.name,)
    return route.chokepoints


def check_coefficient_ranges(plan: dict[str, Any], issues: Collector) -> None:
    """Warn when money or quantities span more than 1e8: LP solvers lose accuracy there."""
    costs = [c.shortage_penalty for c in plan["commodities"].values()]
    costs += [c for s in plan["suppliers"].values() for c in s.unit_cost_per_period if c > 0]
    costs += [r.freight_cost for r in plan["routes"].values() if r.freight_cost > 0]
    quantities = [d for v in plan["demand"].values() for d in v if d > 0]
    quantities += [c for s in plan["suppliers"].values() for c in s.capacity_per_period if c > 0]
    for label, values, unit in (("costs", costs, plan["settings"].currency),
                                ("quantities", quantities, "units")):
        if values and min(values) > 0 and max(values) / min(values) > COEFFICIENT_RANGE_WARNING:
            issues.note("Workbook", None, None,
                        f"{label} range from {min(values):g} to {max(values):g} {unit}, a ratio "
                        "above 1e8; the solver may lose accuracy: express them in larger or "
                        "smaller units", "warning")


# --------------------------------------------------------------------------- entry points


def validate(raw: RawWorkbook) -> PlanData:
    """Validate a raw workbook; raise InputError listing every problem, else the PlanData."""
    issues = Collector()
    issues.issues.extend(raw.issues)
    sheets = raw.sheets
    epoch = raw.epoch
    period_length = settings_period_length(sheets.get("Settings"))
    settings = check_settings(sheets.get("Settings"), issues, epoch)
    calendar = settings.calendar if settings else None

    def rows_of(name: str) -> list[Row]:
        return parse_sheet(sheets.get(name), issues, period_length, epoch)

    commodities = check_commodities(rows_of("Commodities"), issues)
    demand, regions, demand_rows = check_demand(rows_of("Demand"), commodities, calendar, issues)
    stockpiles = check_stockpiles(rows_of("Stockpiles"), commodities, regions, issues)
    supplier_rows = rows_of("Suppliers")
    supplier_names = {r["supplier"] for r in supplier_rows if r.ok("supplier")}
    investment_rows = rows_of("Investments")
    invested = {r["supplier"] for r in investment_rows if r.ok("supplier")}
    suppliers = check_suppliers(supplier_rows, rows_of("SupplierPeriods"), commodities, calendar,
                                issues, invested)
    route_rows = rows_of("Routes")
    routes = check_routes(route_rows, suppliers, supplier_names, regions, calendar, issues)
    check_take_or_pay_routes(suppliers, routes, issues)
    groups = check_groups(rows_of("Groups"), issues)
    scenarios = check_scenarios(rows_of("Scenarios"), issues)
    context = {
        "commodities": commodities, "regions": regions, "suppliers": suppliers,
        "routes": routes, "groups": groups, "scenarios": scenarios,
        "supplier_names": supplier_names,
        "route_names": {r["route"] for r in route_rows if r.ok("route")},
    }
    limit_rows = rows_of("Concentration")
    limits = check_limits(limit_rows, context, issues)
    disruptions = check_disruptions(rows_of("Disruptions"), context, calendar, issues)
    transfers = check_transfers(rows_of("Transfers"), context, calendar, issues)
    projects = check_projects(investment_rows, context, calendar, issues)
    sweep = check_sweep(rows_of("Sweep"), limits,
                        {r["limit"] for r in limit_rows if r.ok("limit")}, issues)
    if issues.has_errors or settings is None:
        raise InputError(issues.issues, str(raw.path))

    plan = dict(context, settings=settings, demand=demand, demand_rows=demand_rows,
                stockpiles=stockpiles, limits=limits)
    check_coverage(plan, issues)
    check_limit_satisfiable(plan, issues)
    check_coefficient_ranges(plan, issues)
    warnings = tuple(i for i in issues.issues if i.severity != "error")
    for warning in warnings:
        log.info("warning: %s", warning)
    return PlanData(
        settings=settings, commodities=commodities, regions=regions, demand=demand,
        stockpiles=stockpiles, suppliers=suppliers, routes=routes, groups=groups,
        limits=limits, scenarios=scenarios, disruptions=disruptions, transfers=transfers,
        projects=projects, sweep=sweep, warnings=warnings, source=str(raw.path),
        source_sha256=_sha256(raw.path), demand_rows=demand_rows,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_plan(path: str | Path) -> PlanData:
    """Read and validate the workbook at `path`."""
    return validate(read_workbook(path))
