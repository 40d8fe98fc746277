"""The Settings sheet: `setting, value` rows into `Settings`, read once.

The period length is needed to type every period cell of the other sheets, so it comes back
even when other settings are wrong (then `settings` is None and the run stops after every sheet
has been checked).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from model.domain.data import Settings
from model.domain.periods import Calendar
from model.inputs.cells import INVALID, Collector, convert_cell, date_format_warning
from model.io.schema import SETTING_BY_KEY, SETTINGS_COLUMNS, normalise_name
from model.io.workbook import RawSheet

START = next(c for c in SETTINGS_COLUMNS if c.name == "start_period")


@dataclass(frozen=True)
class SettingsRead:
    """The typed settings (None if any is wrong) and the period length to read periods with
    (None if even that is wrong)."""

    settings: Settings | None
    period_length: str | None


def _rows_by_setting(raw: RawSheet, issues: Collector) -> dict[str, tuple[Any, int]]:
    """Setting name -> (value cell, Excel row); unknown and repeated settings are reported."""
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
    return found


def read_settings(raw: RawSheet | None, issues: Collector, epoch: Any) -> SettingsRead:
    """Type every setting; report each problem with its Excel row."""
    if raw is None:
        return SettingsRead(None, None)
    found = _rows_by_setting(raw, issues)
    typed: dict[str, Any] = {}
    value_header = raw.header("value")
    for column in SETTINGS_COLUMNS:
        if column is START:
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
        elif (warning := date_format_warning(cell, column)) is not None:
            issues.warn(raw.title, row, value_header, cell, warning)
        typed[column.name] = value

    period_length = typed["period_length"]
    start_cell, start_row = found.get("start_period", (None, None))
    start: Any = INVALID
    if start_row is None:
        issues.note(raw.title, None, "setting", "the setting start_period is missing; add a "
                    "row with start_period and the first period (a date or a label like 2027-01)")
    elif period_length is not INVALID:
        start, problem = convert_cell(start_cell, START, period_length, epoch)
        if problem:
            issues.error(raw.title, start_row, value_header, start_cell, problem)
    length = None if period_length is INVALID else period_length
    if start is INVALID or any(v is INVALID for v in typed.values()):
        return SettingsRead(None, length)
    settings = Settings(
        calendar=Calendar(period_length, start, typed["periods"]),
        currency=typed["currency"],
        discount_rate=typed["discount_rate"],
        risk_weight=typed["risk_weight"],
        cvar_level=typed["cvar_level"],
        time_limit_seconds=typed["time_limit_seconds"],
        sample_scenarios=typed["sample_scenarios"],
        sample_seed=typed["sample_seed"],
        ph_gap=typed["ph_gap"],
        mip_gap=typed["mip_gap"],
    )
    return SettingsRead(settings, length)
