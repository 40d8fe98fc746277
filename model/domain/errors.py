"""Errors the planner raises, each with the exit code `run.py` returns for it.

Exit codes: 0 plan written, 1 a bug of ours, 2 the workbook is wrong, 3 the plan is infeasible
or unbounded, 4 solver failure or time limit without a plan, 5 the plan could not be written,
64 the command line is wrong (the BSD `EX_USAGE` convention).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

EXIT_BUG = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER = 4
EXIT_OUTPUT = 5
EXIT_USAGE = 64


def show_value(value: Any) -> str:
    """Render a cell value the way the user typed it, quoted when it is text."""
    if value is None:
        return "an empty cell"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and type(value) is not float:
        return str(value)  # a float that shows itself (a percent cell: 60%)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Issue:
    """One problem (or warning) found in the input workbook, in the user's terms.

    `row` is the row number Excel shows; `column` the header as the user wrote it.
    """

    sheet: str
    row: int | None
    column: str | None
    value: Any
    expected: str
    severity: str = "error"
    has_value: bool = True

    def location(self) -> str:
        """Where the problem is: sheet, Excel row and column."""
        where = self.sheet or "Workbook"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f', column "{self.column}"'
        return where

    def __str__(self) -> str:
        if self.has_value:
            return f"{self.location()}: found {show_value(self.value)}; expected {self.expected}."
        return f"{self.location()}: {self.expected}."


def issue_note(sheet: str, row: int | None, column: str | None, text: str,
               severity: str = "error") -> Issue:
    """An issue that states a problem without quoting a single cell value."""
    return Issue(sheet, row, column, None, text, severity, has_value=False)


class PlannerError(Exception):
    """Base of the errors that end a run with a plain message instead of a traceback."""

    exit_code = EXIT_BUG


class InputError(PlannerError):
    """The workbook is wrong; every problem found is listed at once.

    The message shows at most `MAX_SHOWN` problems; `full_list_path`, once the pipeline has
    written the whole list to a file, is named at the end of it.
    """

    exit_code = EXIT_INPUT
    MAX_SHOWN = 50

    def __init__(self, issues: list[Issue], source: str = ""):
        self.issues = [i for i in issues if i.severity == "error"]
        self.warnings = [i for i in issues if i.severity != "error"]
        self.source = source
        self.full_list_path: Any = None
        super().__init__(self.text(self.MAX_SHOWN))

    def text(self, limit: int | None = None) -> str:
        """The problems, then the warnings: at most `limit` lines of both together."""
        count = len(self.issues)
        head = f"{self.source}: " if self.source else ""
        lines = [f"{head}the workbook has {count} problem{'s' if count != 1 else ''}:"]
        issues = self.issues if limit is None else self.issues[:limit]
        lines += [f"  - {i}" for i in issues]
        room = None if limit is None else max(0, limit - len(issues))
        warnings = self.warnings if room is None else self.warnings[:room]
        if warnings:
            lines.append("Also worth a look (warnings):")
            lines += [f"  * {w}" for w in warnings]
        hidden = self.hidden(limit)
        if hidden:
            where = (f"; the full list is in {self.full_list_path}" if self.full_list_path
                     else ", not shown here")
            lines.append(f"... and {hidden} more{where}")
        return "\n".join(lines)

    def hidden(self, limit: int | None = MAX_SHOWN) -> int:
        """How many problems and warnings `text(limit)` leaves out."""
        if limit is None:
            return 0
        return max(0, len(self.issues) + len(self.warnings) - limit)

    def __str__(self) -> str:
        return self.text(self.MAX_SHOWN)


class InfeasiblePlan(PlannerError):
    """No plan meets every hard limit; `diagnosis` says which rows conflict."""

    exit_code = EXIT_INFEASIBLE

    def __init__(self, message: str, diagnosis: Any = None):
        self.diagnosis = diagnosis
        super().__init__(message)


class SolverFailure(PlannerError):
    """The solver stopped without a usable plan (time limit, numerical trouble)."""

    exit_code = EXIT_SOLVER


class OutputError(PlannerError):
    """The plan could not be written (file locked, disk full, no permission)."""

    exit_code = EXIT_OUTPUT


class UsageError(PlannerError):
    """The command line asks for something impossible (an empty output name, ...)."""

    exit_code = EXIT_USAGE
