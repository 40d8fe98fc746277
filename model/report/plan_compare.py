"""Compare two plan workbooks (`python run.py --compare OLD NEW`): what changed in the inputs
and what that did to the plan.

A plan workbook keeps every input cell it was made from on its hidden `Inputs` sheet; input
rows are matched by (sheet, key) and their cells by column, so a row that moved keeps its
match. A plan without that sheet (written before plans kept their inputs) is compared by its
Summary facts (input file and its SHA-256) instead. The comparison workbook has:

- Summary: item, old, new, change for the cost figures and shortfalls (change = new - old);
- Inputs changed: sheet, Excel row in the old and the new workbook, key, column, old and new
  value;
- Orders now: the first-period orders by route, old, new and change;
- Binding limits: what one point of each limit is worth in each plan, and whether it binds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from model.domain.errors import InputError, Issue, UsageError
from model.io.files import check_output_target, same_file
from model.io.formats import MONEY, QUANTITY
from model.report.book import (
    SECTION,
    Book,
    Grid,
    fit_to_page_width,
    save_book,
    write_header,
    write_table,
)
from model.results.tables import BINDING_LIMITS, COMPARE_SUMMARY, INPUTS_CHANGED, ORDERS_NOW

Progress = Callable[[str], None]
_UNIT = re.compile(r"\s*\([^)]*\)\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?\s*$")
NOT_A_PLAN = ("a plan workbook written by run.py (with its Summary sheet of item and value); "
              "this workbook has no such sheet")
SUMMARY_FACTS = ("input_file", "input_sha256")


@dataclass
class PlanBook:
    """What a comparison reads from one plan workbook."""

    path: Path
    summary: pd.DataFrame                     # item, value, unit
    inputs: pd.DataFrame | None               # sheet, row, key, column, value
    decisions: pd.DataFrame | None            # Decisions now (first-period orders)
    concentration: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)

    def value(self, item: str) -> Any:
        """A Summary value by item name (None if the plan has no such item)."""
        found = self.summary.loc[self.summary["item"] == item, "value"]
        return found.iloc[0] if len(found) else None

    def units(self) -> dict[str, str]:
        """Commodity units from the stored Commodities inputs."""
        if self.inputs is None:
            return {}
        rows = self.inputs[(self.inputs["sheet"] == "Commodities")]
        names = rows[rows["column"] == "commodity"].set_index("key")["value"]
        units = rows[rows["column"] == "unit"].set_index("key")["value"]
        return {str(names[k]): str(u) for k, u in units.items() if k in names.index}


def _plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers without their units: `cost (USD)` -> `cost`."""
    return frame.rename(columns=lambda c: _UNIT.sub("", str(c)).strip())


def _not_a_plan(path: Path, expected: str = NOT_A_PLAN) -> InputError:
    return InputError([Issue("File", None, None, str(path), expected)], str(path))


def read_plan_book(path: Path) -> PlanBook:
    """The Summary, Inputs, Decisions now and Concentration sheets of a plan workbook;
    refuses (InputError, exit 2) a file that is not one."""
    from model.io.workbook import check_file

    check_file(path)
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            names = list(book.sheet_names)
            if "Summary" not in names:
                raise _not_a_plan(path)

            def sheet(name: str, as_read: bool = False) -> pd.DataFrame | None:
                """A sheet; `as_read` keeps each cell's type (text that looks like a number
                stays text)."""
                if name not in names:
                    return None
                return _plain_columns(pd.read_excel(
                    book, sheet_name=name, keep_default_na=False, na_values=[""],
                    dtype=object if as_read else None))

            summary = sheet("Summary", as_read=True)
            inputs = sheet("Inputs", as_read=True)
            decisions = sheet("Decisions now")
            concentration = sheet("Concentration")
    except InputError:
        raise
    except Exception as exc:  # calamine refuses what it cannot read, with many error types
        raise _not_a_plan(path, f"a readable plan workbook ({exc})") from exc
    assert summary is not None
    if not {"item", "value"} <= set(summary.columns):
        raise _not_a_plan(path)
    summary = summary[[c for c in ("item", "value", "unit") if c in summary.columns]]
    summary = summary[summary["item"].map(lambda v: isinstance(v, str) and v != "")]
    if "unit" not in summary.columns:
        summary = summary.assign(unit="")
    notes = []
    if inputs is not None and {"sheet", "row", "key", "column", "value"} <= set(inputs.columns):
        inputs = inputs[inputs["sheet"].map(lambda v: isinstance(v, str) and v != "")]
    else:
        inputs = None
        notes.append(f"{path.name} does not keep its inputs (it was written before plans kept "
                     "them): its input file and SHA-256 are compared instead")
    return PlanBook(path, summary.reset_index(drop=True), inputs, decisions, concentration,
                    notes)


# --------------------------------------------------------------------------- inputs


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> float | None:
    if not _NUMBER.match(text):
        return None
    cleaned = text.replace(",", "").strip()
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned)


def same_value(a: str, b: str) -> bool:
    """Two input cells as text: equal as text, or as numbers (`0.5` and `50%`)."""
    if a == b:
        return True
    x, y = _number(a), _number(b)
    return x is not None and y is not None and math.isclose(x, y, rel_tol=1e-12, abs_tol=0.0)


def _rows(inputs: pd.DataFrame) -> dict[tuple[str, str, int], tuple[int | None, dict[str, str]]]:
    """(sheet, key, occurrence) -> (Excel row, {column: value}), in the workbook's order."""
    found: dict[tuple[str, str, int], tuple[int | None, dict[str, str]]] = {}
    seen: dict[tuple[str, str, int | None], int] = {}
    counts: dict[tuple[str, str], int] = {}
    for sheet, row, key, column, value in inputs[["sheet", "row", "key", "column",
                                                   "value"]].itertuples(index=False):
        excel_row = int(row) if isinstance(row, int | float) and row == row else None
        sheet, key = str(sheet), _text(key)
        if (sheet, key, excel_row) not in seen:
            occurrence = counts.get((sheet, key), 0)
            counts[(sheet, key)] = occurrence + 1
            seen[(sheet, key, excel_row)] = occurrence
            found[(sheet, key, occurrence)] = (excel_row, {})
        found[(sheet, key, seen[(sheet, key, excel_row)])][1][str(column)] = _text(value)
    return found


def inputs_changed(old: PlanBook, new: PlanBook) -> pd.DataFrame:
    """Input cells that differ: rows matched by (sheet, key), cells by column; a row only in
    one plan shows each of its cells with the other side blank. Sheets without a key are
    matched by content (`_keyless_changes`)."""
    if old.inputs is None or new.inputs is None:
        records = []
        for item in SUMMARY_FACTS:
            a, b = _text(old.value(item)), _text(new.value(item))
            if a != b:
                records.append(("Summary", None, None, item, "value", a, b))
        return INPUTS_CHANGED.frame(records)
    before, after = _rows(old.inputs), _rows(new.inputs)
    records = []
    keyless = {key[0] for key in list(before) + list(after) if _keyless(key[1])}
    for sheet in dict.fromkeys(sorted(keyless)):
        records += _keyless_changes(sheet, [v for k, v in before.items() if k[0] == sheet],
                                    [v for k, v in after.items() if k[0] == sheet])
    for key in list(before) + [k for k in after if k not in before]:
        sheet, name, _ = key
        if sheet in keyless:
            continue
        old_row, old_cells = before.get(key, (None, {}))
        new_row, new_cells = after.get(key, (None, {}))
        for column in list(old_cells) + [c for c in new_cells if c not in old_cells]:
            a, b = old_cells.get(column, ""), new_cells.get(column, "")
            if not same_value(a, b):
                records.append((sheet, old_row, new_row, name, column, a, b))
    return INPUTS_CHANGED.frame(records)


def _keyless(key: str) -> bool:
    """Whether a row key is a row number (`row 7`: a sheet without key columns)."""
    return key.startswith("row ") and key[4:].isdigit()


def _keyless_changes(sheet: str, old_rows: list[tuple[int | None, dict[str, str]]],
                     new_rows: list[tuple[int | None, dict[str, str]]]) -> list[tuple]:
    """Rows of a sheet without a key, matched by content (a longest common subsequence of
    whole rows, so an inserted or deleted row leaves the rows after it matched): equal rows
    are unchanged; a row only in the old plan is listed once as deleted, one only in the new
    as inserted; rows replaced one for one are compared cell by cell."""
    import difflib

    def content(cells: dict[str, str]) -> tuple:
        return tuple(sorted((c, v) for c, v in cells.items() if v != ""))

    def whole(cells: dict[str, str]) -> str:
        return "; ".join(f"{c}={v}" for c, v in cells.items() if v != "")

    a, b = [content(c) for _, c in old_rows], [content(c) for _, c in new_rows]
    records = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(pairs):
            (old_row, old_cells), (new_row, new_cells) = old_rows[i1 + offset], \
                new_rows[j1 + offset]
            for column in list(old_cells) + [c for c in new_cells if c not in old_cells]:
                x, y = old_cells.get(column, ""), new_cells.get(column, "")
                if not same_value(x, y):
                    records.append((sheet, old_row, new_row, f"row {new_row}", column, x, y))
        for old_row, cells in old_rows[i1 + pairs:i2]:
            records.append((sheet, old_row, None, "row deleted", "(whole row)", whole(cells),
                            ""))
        for new_row, cells in new_rows[j1 + pairs:j2]:
            records.append((sheet, None, new_row, "row inserted", "(whole row)", "",
                            whole(cells)))
    return records


# --------------------------------------------------------------------------- results


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def summary_changes(old: PlanBook, new: PlanBook) -> pd.DataFrame:
    """Every Summary item of either plan: old, new, change (new - old, for numbers), unit."""
    a = old.summary.drop_duplicates("item").set_index("item")
    b = new.summary.drop_duplicates("item").set_index("item")
    records = [("plan file", str(old.path), str(new.path), None, "")]
    for item in list(a.index) + [i for i in b.index if i not in a.index]:
        x = a["value"].get(item) if item in a.index else None
        y = b["value"].get(item) if item in b.index else None
        unit = _text(b["unit"].get(item) if item in b.index else a["unit"].get(item))
        change = y - x if _is_number(x) and _is_number(y) else None
        if x is not None and y is not None and not _is_number(x) and not _is_number(y):
            change = "" if _text(x) == _text(y) else "changed"
        records.append((item, x, y, change, unit))
    return COMPARE_SUMMARY.frame(records)


def _first_orders(book: PlanBook) -> pd.Series | None:
    """First-period quantity per (commodity, supplier, route, region[, scenarios])."""
    table = book.decisions
    if table is None or not {"commodity", "supplier", "route", "region",
                             "quantity"} <= set(table.columns):
        return None
    table = table[table["route"].map(lambda v: isinstance(v, str) and v != "")]
    keys = ["commodity", "supplier", "route", "region"]
    if "scenarios" in table.columns and table["scenarios"].nunique() > 1:
        table = table.assign(route=table["route"] + " [" + table["scenarios"].map(_text) + "]")
    quantity = pd.to_numeric(table["quantity"], errors="coerce").fillna(0.0)
    return table.assign(quantity=quantity).groupby(keys, sort=False)["quantity"].sum()


def orders_now(old: PlanBook, new: PlanBook) -> pd.DataFrame:
    """First-period orders by route: old, new and change (a route missing from a plan orders
    nothing there)."""
    a, b = _first_orders(old), _first_orders(new)
    if a is None or b is None:
        return ORDERS_NOW.frame([])
    units = {**old.units(), **new.units()}
    records = []
    for key in list(a.index) + [k for k in b.index if k not in a.index]:
        x, y = float(a.get(key, 0.0)), float(b.get(key, 0.0))
        records.append((*key[:1], key[1], key[2], key[3], units.get(key[0], ""), x, y, y - x))
    return ORDERS_NOW.frame(records)


def _limits(book: PlanBook) -> pd.DataFrame | None:
    table = book.concentration
    if table is None or not {"limit", "binding", "marginal_cost_per_point"} <= set(table.columns):
        return None
    flags = table["binding"].map(lambda v: v is True or str(v).strip().lower() in ("true", "1"))
    worth = pd.to_numeric(table["marginal_cost_per_point"], errors="coerce")
    frame = pd.DataFrame({"limit": table["limit"].map(_text), "binding": flags, "worth": worth})
    grouped = frame.groupby("limit", sort=False)
    # A rate that was not measured stays blank (min_count): never a 0.
    return pd.DataFrame({"binding": grouped["binding"].any(),
                         "worth": grouped["worth"].sum(min_count=1)})


def _measured(value: Any) -> float | None:
    """A number, or None where it is blank (not measured)."""
    return None if value is None or value != value else float(value)


def binding_limits(old: PlanBook, new: PlanBook) -> pd.DataFrame:
    """Each limit of either plan: the dual's rate per point in each (summed over windows and
    scenarios) and whether it binds; the costliest first. A figure not in a plan, or not
    measured, is blank, and so is its change."""
    a, b = _limits(old), _limits(new)
    if a is None or b is None:
        return BINDING_LIMITS.frame([])
    records = []
    for limit in list(a.index) + [name for name in b.index if name not in a.index]:
        x = _measured(a["worth"].get(limit)) if limit in a.index else None
        y = _measured(b["worth"].get(limit)) if limit in b.index else None
        records.append((limit, x, y, y - x if x is not None and y is not None else None,
                        ("yes" if a.loc[limit, "binding"] else "no") if limit in a.index
                        else "not in plan",
                        ("yes" if b.loc[limit, "binding"] else "no") if limit in b.index
                        else "not in plan"))
    table = BINDING_LIMITS.frame(records)
    order = table[["new_worth", "old_worth"]].fillna(0.0).max(axis=1)
    return table.loc[order.sort_values(ascending=False, kind="stable").index].reset_index(
        drop=True)


# --------------------------------------------------------------------------- workbook


@dataclass
class Comparison:
    """The comparison's tables."""

    old: PlanBook
    new: PlanBook
    summary: pd.DataFrame
    inputs: pd.DataFrame
    orders: pd.DataFrame
    limits: pd.DataFrame


def compare(old: PlanBook, new: PlanBook) -> Comparison:
    """Every table of the comparison; the Summary says first how many input cells differ."""
    inputs = inputs_changed(old, new)
    summary = summary_changes(old, new)
    count = COMPARE_SUMMARY.frame([("input cells changed", None, None, len(inputs),
                                    "cells")])
    summary = pd.concat([summary.iloc[:1], count, summary.iloc[1:]], ignore_index=True)
    return Comparison(old, new, summary, inputs, orders_now(old, new), binding_limits(old, new))


def _currency(plan: PlanBook) -> str:
    """The plan's currency: the unit of its objective."""
    found = plan.summary.loc[plan.summary["item"] == "objective", "unit"]
    return _text(found.iloc[0]) if len(found) else ""


def _write_summary(book: Book, comparison: Comparison, currency: str) -> None:
    ws = book.sheet("Summary")
    spec = COMPARE_SUMMARY
    write_header(book, ws, spec.names, [c.width for c in spec.columns], [None] * 5)
    ws.set_column(1, 2, 48)
    fit_to_page_width(ws)
    grid = Grid()
    table = comparison.summary
    for r, row in enumerate(table.itertuples(index=False), start=1):
        money = row.unit == currency and currency != ""
        number_format = MONEY if money else QUANTITY
        for c, value in enumerate((row.item, row.old, row.new, row.change, row.unit)):
            is_number = _is_number(value)
            grid.put(r, c, value, book.fmt(number_format if is_number else None,
                                           bold=row.item == "objective"))
    last = len(table) + 2
    notes = comparison.old.notes + comparison.new.notes
    italic = book.fmt(italic=True)
    grid.put(last, 0, f"old: {comparison.old.path}", italic)
    grid.put(last + 1, 0, f"new: {comparison.new.path}", italic)
    grid.put(last + 2, 0, "change = new - old; a money change is in present value, like the "
             "figures", italic)
    for i, note in enumerate(notes):
        grid.put(last + 3 + i, 0, note, italic)
    grid.write(ws)


def _write_table_sheet(book: Book, name: str, spec: Any, table: pd.DataFrame, currency: str,
                       empty: str) -> None:
    ws = book.sheet(name)
    if not len(table):
        ws.set_column(0, 0, 100)
        ws.write_string(0, 0, empty, book.fmt(**SECTION))
        return
    write_table(book, ws, table, spec, currency)
    fit_to_page_width(ws)


def fill_comparison(book: Book, comparison: Comparison) -> None:
    """The comparison workbook's sheets."""
    currency = _currency(comparison.new) or _currency(comparison.old)
    _write_summary(book, comparison, currency)
    _write_table_sheet(book, "Inputs changed", INPUTS_CHANGED, comparison.inputs, currency,
                       "No input cell differs between the two plans.")
    _write_table_sheet(book, "Orders now", ORDERS_NOW, comparison.orders, currency,
                       "Neither plan orders anything in its first period, or a plan has no "
                       "Decisions now sheet.")
    _write_table_sheet(book, "Binding limits", BINDING_LIMITS, comparison.limits, currency,
                       "Neither plan has a concentration limit.")
    book.workbook.worksheets()[0].activate()


def default_comparison_path(old: Path, new: Path) -> Path:
    """`<old stem>_vs_<new stem>.xlsx` next to the new plan."""
    return new.with_name(f"{old.stem}_vs_{new.stem}.xlsx")


def compare_plans(old: Path, new: Path, output: Path | None = None,
                  progress: Progress | None = None, force: bool = False) -> Path:
    """Read two plan workbooks and write their comparison; returns where it went."""
    say: Progress = progress or (lambda _: None)
    old, new = Path(old), Path(new)
    output = Path(output) if output is not None else default_comparison_path(old, new)
    for plan in (old, new):
        if output.exists() and plan.exists() and same_file(plan, output):
            raise UsageError(f"the comparison would overwrite the plan {plan}; choose another "
                             "--output")
    for note in check_output_target(output, force):
        say(f"  warning: {note}")
    if output.is_symlink():  # allowed by --force: write the file it points to
        output = output.resolve()
    say(f"reading {old}")
    before = read_plan_book(old)
    say(f"reading {new}")
    after = read_plan_book(new)
    comparison = compare(before, after)
    for note in before.notes + after.notes:
        say(f"  note: {note}")
    say(f"{len(comparison.inputs):,} input cell(s) differ; writing {output}")
    written, notes = save_book(lambda book: fill_comparison(book, comparison), output,
                               "Plan comparison")
    for note in notes:
        say(f"  note: {note}")
    return written

