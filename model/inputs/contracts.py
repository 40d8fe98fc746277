"""Checks of whole cargoes, minimum lots and the Contracts sheet (model.md section 14).

The Routes `cargo_size`/`max_cargoes` and Suppliers `min_lot` cells are typed by their column
specs; what is checked here needs other sheets: a contract's supplier, its periods against the
plan, and the finite capacity that lots and options need.
"""

from __future__ import annotations

from model.domain.data import Contract, PlanData
from model.domain.tolerances import ROUND_OFF
from model.inputs.cells import Collector, Row, check_reference, check_unique, to_plan_period
from model.inputs.sheets import Known


def check_contracts(rows: list[Row], known: Known, issues: Collector) -> dict[str, Contract]:
    """Contracts: a known supplier, first_period <= last_period, a contract that overlaps the
    plan (warning otherwise), flex_up and take_or_pay that fit together."""
    calendar = known.calendar
    result: dict[str, Contract] = {}
    for row in check_unique(rows, ("contract",), issues):
        ok = check_reference(row, "supplier", known.supplier_names, "supplier (Suppliers sheet)",
                             issues)
        columns = ("acq", "take_or_pay", "flex_up", "make_up_years", "first_period",
                   "last_period", "option_fee")
        if not (ok and row.ok(*columns)) or calendar is None:
            continue
        first = to_plan_period(row, "first_period", calendar, issues, must_be_inside=False)
        last = to_plan_period(row, "last_period", calendar, issues, must_be_inside=False)
        if first is None:
            continue
        if last is not None and last < first:
            issues.error(row.title, row.excel_row, row.header("last_period"),
                         row.raw("last_period"),
                         f"a period on or after first_period ({calendar.label(first)})")
            continue
        if first > calendar.periods or (last is not None and last < 1):
            issues.note(row.title, row.excel_row, row.header("first_period"),
                        f"the contract lies outside the plan's horizon {calendar.label(1)} to "
                        f"{calendar.label(calendar.periods)}; it is ignored", "warning")
            continue
        take_or_pay = row["take_or_pay"] or 0.0
        if row["acq"] <= 0 and take_or_pay > 0:
            issues.error(row.title, row.excel_row, row.header("acq"), row["acq"],
                         "a positive annual contract quantity (take_or_pay is a share of it)")
            continue
        result[row["contract"]] = Contract(
            row["contract"], row["supplier"], row["acq"], take_or_pay, row["flex_up"],
            row["make_up_years"] or 0, first, last, row["option_fee"], row.excel_row)
    return result


def check_lots_and_options(plan: PlanData, issues: Collector) -> None:
    """A supplier with a min_lot or an option contract needs a finite most capacity (its
    Investments projects need a max_capacity); a min_lot above every period's capacity means
    the supplier is never used (warning); a cargo larger than the route's capacity can never
    be ordered (warning)."""
    optioned = {c.supplier for c in plan.contracts.values() if c.is_option}
    for project in plan.projects.values():
        supplier = plan.suppliers.get(project.supplier)
        if supplier is None or project.max_capacity is not None:
            continue
        if supplier.min_lot > 0 or supplier.name in optioned:
            why = "a min_lot" if supplier.min_lot > 0 else "an option contract"
            issues.note("Investments", project.row, "max_capacity",
                        f"max_capacity is blank (unlimited), but supplier \"{supplier.name}\" "
                        f"has {why}, which needs the most it could ever sell to be finite: "
                        "give the project a max_capacity")
    for supplier in plan.suppliers.values():
        if supplier.min_lot > 0 and not plan.projects and \
                supplier.min_lot > max(supplier.capacity_per_period, default=0.0) + ROUND_OFF:
            issues.warn("Suppliers", supplier.row, "min_lot", supplier.min_lot,
                        f"at most the capacity ({max(supplier.capacity_per_period):g} at most "
                        "in any period); as it is, nothing can ever be ordered from "
                        f"\"{supplier.name}\"")
    for route in plan.routes.values():
        if route.cargo_size and route.capacity is not None and route.cargo_size > \
                route.capacity + ROUND_OFF:
            issues.warn("Routes", route.row, "cargo_size", route.cargo_size,
                        f"at most the route's capacity {route.capacity:g}; as it is, no cargo "
                        f"can ever be ordered on \"{route.name}\"")
