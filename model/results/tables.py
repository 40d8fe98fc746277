"""The plan's output tables as data: one spec per table, one per column.

Like `schema.py` for the input, this is the single source for the result tables (`extract.py`
builds data frames with exactly these columns), the sweep and the evaluation (their rows), and
the plan writer (headers with units, number formats, widths). Column names follow the output
contract; the unit in brackets is added to the header only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from model.formulation.costs import COST_PARTS
from model.io.formats import FORMATS


@dataclass(frozen=True)
class OutColumn:
    """One output column: its contract name, unit (`money` stands for the currency), the kind
    of number it holds (for its format) and a width."""

    name: str
    kind: str = "text"
    unit: str = ""
    width: float = 14

    def header(self, currency: str) -> str:
        """`cost (USD, present value)`: the name with its unit in brackets."""
        unit = self.unit.replace("money", currency)
        return f"{self.name} ({unit})" if unit else self.name

    @property
    def number_format(self) -> str | None:
        """The Excel number format of the column."""
        return FORMATS[self.kind]


@dataclass(frozen=True)
class OutTable:
    """One output sheet: its name, columns and what it says."""

    name: str
    columns: tuple[OutColumn, ...]
    description: str = ""

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return [c.name for c in self.columns]

    def frame(self, records: list | None = None, **arrays) -> pd.DataFrame:
        """A data frame with exactly these columns, from records (tuples in column order) or
        from one array per column."""
        if arrays:
            missing = set(self.names) - set(arrays)
            if missing:
                raise KeyError(f"{self.name}: no values for {sorted(missing)}")
            return pd.DataFrame({name: arrays[name] for name in self.names})
        return pd.DataFrame.from_records(records or [], columns=self.names)


def _text(name: str, width: float = 14) -> OutColumn:
    return OutColumn(name, "text", "", width)


def _qty(name: str, unit: str = "unit", width: float = 14) -> OutColumn:
    return OutColumn(name, "quantity", unit, width)


def _money(name: str, unit: str = "money", width: float = 16) -> OutColumn:
    return OutColumn(name, "money", unit, width)


ORDERS = OutTable("Orders", (
    _text("scenario", 16), _text("period", 10), _text("arrival_period", 12),
    _text("commodity", 14), _text("supplier", 24), _text("route", 28), _text("region", 12),
    _qty("quantity", "commodity unit"), OutColumn("unit_cost", "price", "money/unit"),
    OutColumn("freight_cost", "price", "money/unit"), _money("cost", "money, undiscounted")),
    "What to order in each period on each route, per scenario, when it arrives and what it "
    "costs.")

STOCKPILE = OutTable("Stockpile", (
    _text("scenario", 16), _text("commodity", 14), _text("region", 12), _text("period", 10),
    _qty("opening"), _qty("arrivals"), _qty("transfers_in"), _qty("transfers_out"),
    _qty("demand"), _qty("shortfall"), _qty("closing"), _qty("target"), _qty("below_target"),
    OutColumn("days_of_cover", "days", "days"), _qty("end_stock"), _qty("end_shortfall")),
    "Stock per scenario, commodity, region and period; arrivals include the pipeline; "
    "end_stock and end_shortfall are filled in the last period.")

CONCENTRATION = OutTable("Concentration", (
    _text("limit", 24), _text("scenario", 16), _text("commodity", 14), _text("region", 10),
    _text("attribute", 18), _text("value", 16), _text("period", 10), _text("basis", 10),
    _text("through", 10), OutColumn("share", "share", "%"), OutColumn("max_share", "share", "%"),
    OutColumn("min_share", "share", "%"), _text("binding", 10),
    _money("marginal_cost_per_point", "money per 1%, rate of a small change", 22),
    _money("cost_of_one_more_point", "money, window's share 1% tighter, re-solved", 24),
    _money("saving_of_one_point_less", "money, window's share 1% looser, re-solved", 24),
    _money("rate_of_one_more_point", "money per 1%, window's rate, tighter side", 22),
    _money("rate_of_one_point_less", "money per 1%, window's rate, looser side", 22),
    _text("point_method", 40), _qty("supply", "unit", 14)),
    "Each limit's share of supply per scenario and window (period = the window's first period, "
    "or horizon), whether it binds, and what a point of the window's limit is worth: "
    "`marginal_cost_per_point` is the dual's rate times one point (0.01 * |dual| * supply, "
    "split over the scenarios sharing the window in proportion to their probability); "
    "`cost_of_one_more_point` and `saving_of_one_point_less` are whole points re-solved with "
    "only this window's share moved by 0.01 (a cap down or a floor up; a cap up or a floor "
    "down), the same figure on each scenario row sharing the window; `rate_of_one_more_point` "
    "and `rate_of_one_point_less` the window's one-sided rates (they differ where the dual is "
    "not unique: the dual's rate where the optimal basis holds for a small step that way, "
    "else the slope at a re-solve a small step along); `point_method` says how they were "
    "found or why they are blank.")

PRICES = OutTable("Prices", (
    _text("commodity", 14), _text("region", 12), _text("period", 10),
    OutColumn("marginal_cost", "price", "money/unit, present value, small change", 22),
    OutColumn("one_more_unit", "price", "money/unit, present value", 18),
    _qty("holds_up_to", "units", 14), _text("method", 30), _text("note", 60)),
    "Prices of demand, in present value: `marginal_cost` is the sum of the stock-balance duals "
    "over the period's scenarios (the rate of a small change in every scenario); "
    "`one_more_unit` what one whole unit more costs, where it is known (the dual where the "
    "optimal basis holds for it, else a re-solve); `holds_up_to` how many units the rate "
    "holds for. One more unit is one more unit on the period's balance in every scenario; "
    "editing the Demand cell instead also moves the days-of-cover targets set from demand.")

SENSITIVITY = OutTable("Sensitivity", (
    _text("kind", 26), _text("name", 28), _text("commodity", 14), _text("finding", 70),
    _qty("largest_capacity", "commodity unit/period, the largest over the periods", 18),
    _money("saving_per_unit_of_capacity", "money per commodity unit/period more", 22),
    OutColumn("price", "price", "money/commodity unit", 16),
    _money("spend_in_objective", "money, present value, as weighted in the objective", 22),
    OutColumn("break_even", "price", "money/commodity unit", 16),
    OutColumn("entry_price", "price", "money/commodity unit", 16),
    OutColumn("price_fall_to_enter", "price", "money/commodity unit", 16),
    _money("insurance_value", "money, objective without the stockpile's room to grow", 22),
    _money("expected_cost_change", "money, present value", 18),
    _qty("shortfall_change", "commodity unit, expected", 18),
    _text("unit", 10), _text("method", 36)),
    "How sure the plan is, one column per meaning: for a binding capacity, its largest value "
    "over the periods and "
    "what one more unit per period saves; for a used supplier, its price, its spend (as "
    "weighted in the objective) and the break-even price above which the plan buys less; for "
    "a supplier left out, its price, the entry price below which the plan would buy from it "
    "and the fall that takes; for a stockpile, its insurance value: how much the objective, "
    "the expected cost and the commodity's expected shortfall rise when it cannot hold more "
    "than its initial stock and has no target or end stock (a re-solve); `unit` is the "
    "commodity's unit.")

BUDGETS = OutTable("Budgets", (
    OutColumn("row", "count", "Budgets sheet row", 10), _text("year", 10),
    _text("commodity", 14), _text("region", 12), _text("scenarios", 30),
    _money("spend", "money, undiscounted"), _money("max_spend", "money"),
    OutColumn("saving_per_unit", "price", "money per money, present value, a rate", 22)),
    "Each budget per plan year and scenario path: the spend on purchases and freight "
    "(undiscounted), the budget, and what one more unit of budget saves (minus the dual of the "
    "budget row: a rate, exact for a small change).")

SCENARIOS = OutTable("Scenarios", (
    _text("scenario", 18), OutColumn("probability", "share", "%"),
    _money("cost", "money, present value", 18), _qty("shortfall", "units, all commodities", 18),
    *[_money(part) for part in COST_PARTS]),
    "Probability, cost and shortfall of each scenario, with the cost by part.")

INVESTMENTS = OutTable("Investments", (
    _text("project", 24), _text("supplier", 24), _text("first_period", 12),
    _qty("capacity_built", "unit/period", 16), _qty("max_capacity", "unit/period", 16),
    OutColumn("capex_per_unit", "price", "money per unit/period", 16),
    _money("investment_cost")),
    "Capacity the plan funds.")

TRANSFERS = OutTable("Transfers", (
    _text("scenario", 16), _text("period", 10), _text("arrival_period", 12),
    _text("commodity", 14), _text("from_region", 14), _text("to_region", 14), _qty("quantity"),
    _money("cost")),
    "Stock moved between partner regions.")

PIPELINE = OutTable("Pipeline", (
    _text("scenario", 16), _text("route", 28), _text("supplier", 24), _text("commodity", 14),
    _text("region", 12), _text("arrival_period", 12), _qty("quantity"), _qty("arriving"),
    _qty("held_back")),
    "Goods already ordered before the plan: what arrives, and what a disruption of the route "
    "holds back.")

FIRST_ORDERS = OutTable("Decisions now", (
    _text("commodity", 14), _text("supplier", 24), _text("route", 28), _text("region", 12),
    _qty("quantity"), _text("scenarios", 30)),
    "Orders of the first period: the decisions to take now.")

def scenarios_table(units: dict[str, str]) -> OutTable:
    """The Scenarios sheet of a plan: one shortfall column per commodity, in its unit; the
    all-commodity `shortfall` only when every commodity shares one unit (else blank: no total
    adds different units)."""
    shared = set(units.values())
    total = _qty("shortfall", f"{next(iter(shared))}, all commodities" if len(shared) == 1
                 else "blank: the commodities' units differ", 18)
    return OutTable(SCENARIOS.name, (
        *SCENARIOS.columns[:3], total,
        *[_qty(f"shortfall: {k}", unit, max(14, len(k) + 12)) for k, unit in units.items()],
        *SCENARIOS.columns[4:]),
        "Probability, cost and shortfall of each scenario (per commodity, each in its unit), "
        "with the cost by part.")


TRADEOFF = OutTable("Tradeoff", (
    _text("limit", 24), OutColumn("max_share", "share", "%"), _text("status", 12),
    _money("objective"), _money("expected_cost"), _money("cvar"),
    _qty("total_shortfall", "units"), _money("marginal_cost_per_point", "money per 1%", 18),
    _money("cost_of_one_more_point", "money, cap 1% lower, re-solved", 20)),
    "The plan re-solved with one limit at each max_share of the Sweep sheet: "
    "`marginal_cost_per_point` is the duals' rate (0 where one more point costs nothing: the "
    "limit does not bind there), `cost_of_one_more_point` the objective re-solved with the cap "
    "0.01 lower.")

# Scenario comparison sheet: each scenario against the reference scenario (`base`, else the
# most likely); a change is the scenario's figure minus the reference's.
# Headers wrap at spaces only, so each column is at least as wide as its name.
SCENARIO_COSTS = OutTable("Scenario costs", (
    _text("scenario", 20), OutColumn("probability", "share", "%", 12),
    _money("cost", "money, present value", 18), _money("cost_change", "money", 16),
    _qty("shortfall", "units, all commodities", 19), _qty("shortfall_change", "units", 18),
    *[_money(part, "money, change", max(15, len(part) + 2)) for part in COST_PARTS]),
    "Cost and shortfall of each scenario, and the change of the cost and of each cost part "
    "against the reference scenario.")

SCENARIO_SHORTFALL = OutTable("Scenario shortfall", (
    _text("scenario", 20), _text("commodity", 14), _text("unit", 6), _qty("shortfall"),
    _qty("reference_shortfall", "unit", 21), _qty("change", "unit", 14)),
    "Unmet demand per commodity over the horizon, against the reference scenario.")

SCENARIO_VOLUMES = OutTable("Scenario volumes", (
    _text("scenario", 20), _text("commodity", 14), _text("supplier", 24), _text("route", 28),
    _text("processing_country", 20), _text("unit", 6), _qty("quantity"),
    _qty("reference_quantity", "unit", 20), _qty("change", "unit", 14),
    OutColumn("change_share", "share", "% of reference", 14)),
    "Suppliers and routes that gain or lose volume (orders over the horizon), biggest changes "
    "first.")

SCENARIO_LOWEST = OutTable("Scenario lowest stock", (
    _text("scenario", 20), _text("commodity", 14), _text("region", 12), _text("unit", 6),
    _qty("lowest_stock", "unit", 14), _text("period", 10),
    OutColumn("days_of_cover", "days", "days", 14),
    OutColumn("periods_empty", "count", "periods", 15), _qty("reference_lowest", "unit", 18),
    _text("reference_period", 18), OutColumn("reference_periods_empty", "count", "periods", 24),
    _qty("change", "unit", 14)),
    "Stock at its lowest (end of period) per commodity and region, when it first gets there, "
    "and in how many periods the stockpile is empty, against the reference scenario.")

INPUTS = OutTable("Inputs", (
    _text("sheet", 16), OutColumn("row", "count", "", 8), _text("key", 50),
    _text("column", 22), _text("value", 30)),
    "Every input cell the plan was made from, as read (kept so that two plans can be "
    "compared).")

# Comparison workbook (`run.py --compare OLD NEW`).
COMPARE_SUMMARY = OutTable("Summary", (
    _text("item", 28), OutColumn("old", "price", "", 20), OutColumn("new", "price", "", 20),
    OutColumn("change", "price", "", 18), _text("unit", 10)),
    "Cost figures and shortfalls of the two plans.")

INPUTS_CHANGED = OutTable("Inputs changed", (
    _text("sheet", 16), OutColumn("old_row", "count", "", 9),
    OutColumn("new_row", "count", "", 9), _text("key", 44), _text("column", 20),
    _text("old_value", 24), _text("new_value", 24)),
    "Input cells that differ: rows matched by sheet and key, cells by column (a blank row "
    "number: the row is not in that plan).")

ORDERS_NOW = OutTable("Orders now", (
    _text("commodity", 14), _text("supplier", 24), _text("route", 28), _text("region", 12),
    _text("unit", 6), _qty("old"), _qty("new"), _qty("change")),
    "Orders of the first period by route, old plan against new.")

BINDING_LIMITS = OutTable("Binding limits", (
    _text("limit", 26), _money("old_worth", "money per 1%, dual's rate", 18),
    _money("new_worth", "money per 1%, dual's rate", 18),
    _money("change", "money per 1%, dual's rate", 18),
    _text("binding_old", 12), _text("binding_new", 12)),
    "The dual's rate per point of each limit (summed over its windows and scenarios; the "
    "cost of a whole point is on each plan's Summary) and whether it binds, old plan against "
    "new; blank where a plan does not have it.")
