"""The input workbook's schema as data: one spec per sheet, one per column.

This is the single source for the reader (which columns exist, their types and defaults), the
validator (ranges, keys), the blank template (headers with units, dropdowns) and the
Instructions sheet. It follows workbook.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ATTRIBUTES = ("origin_country", "processing_country", "origin_group", "processing_group",
              "supplier", "route", "chokepoint")
TARGET_TYPES = ("supplier", "origin_country", "processing_country", "route", "chokepoint",
                "demand")
BASES = ("period", "year", "rolling N", "horizon")
PERIOD_LENGTHS = ("month", "quarter", "year")
HUGE = 1e15  # a number this large is a typo, not a quantity


@dataclass(frozen=True)
class Column:
    """One column of an input sheet.

    kind: key | text | number | int | share | period | span | enum | list | basis. A `span` is
    a period or a calendar year or quarter label coarser than the plan's periods.
    Bounds `lo`/`hi` are inclusive unless `lo_open`/`hi_open`. A percent (`60%`) is read in
    share columns and where `percent` is set (rates and factors), nowhere else.
    """

    name: str
    kind: str
    required: bool = False
    default: object = None
    unit: str = ""
    description: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    percent: bool = False

    @property
    def percent_ok(self) -> bool:
        """Whether a percent cell (`60%`) means a fraction here."""
        return self.percent or self.kind == "share"

    def header(self, currency: str = "USD") -> str:
        """Header text for templates: the name with its unit in brackets."""
        unit = self.unit.replace("money", currency)
        return f"{self.name} ({unit})" if unit else self.name

    def expectation(self) -> str:
        """What a valid cell holds, in words."""
        if self.kind == "share":
            return "a fraction between 0 and 1 (or a percent cell such as 60%)"
        if self.kind == "enum":
            return "one of " + ", ".join(self.choices)
        if self.kind in ("period", "span"):
            return "a date or a period label such as 2027-01, 2027-Q1 or 2027"
        if self.kind == "basis":
            return "one of period, year, horizon, or rolling N (N a whole number of periods)"
        if self.kind in ("key", "text", "list"):
            return "a name (text)"
        if self.kind == "int":
            low = "" if self.lo is None else f" >= {self.lo:g}"
            return f"a whole number{low}"
        if self.kind == "number":
            parts = []
            if self.lo is not None:
                parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
            if self.hi is not None:
                parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}")
            return "a number" + (" " + " and ".join(parts) if parts else "")
        return "a value"


@dataclass(frozen=True)
class Sheet:
    """One input sheet: its columns, which of them form a unique key, and whether it must exist."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})


def normalise_name(text: str) -> str:
    """Canonical form of a sheet, column or setting name.

    Case-insensitive, surrounding spaces ignored, spaces, hyphens and underscores the same, and a
    trailing unit in brackets dropped: `Capacity per period (t)` -> `capacityperperiod`.
    Separators are removed entirely so `SupplierPeriods` and `Supplier periods` agree.
    """
    text = clean_text(str(text)).lower()
    text = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]\s*$", "", text)
    return re.sub(r"[\s_\-]+", "", text)


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def clean_text(text: str) -> str:
    """Trim a text cell: Unicode NFC, zero-width characters removed, non-breaking spaces as
    spaces, inner runs of whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _money(name: str, description: str, required: bool = False, default: object = 0.0,
           unit: str = "money/unit") -> Column:
    return Column(name, "number", required, default, unit, description, lo=0.0)


def _qty(name: str, description: str, required: bool = False, default: object = None,
         unit: str = "units/period") -> Column:
    return Column(name, "number", required, default, unit, description, lo=0.0)


SETTINGS_COLUMNS = (
    Column("start_period", "period", True, None, "", "first period of the plan (date or label)"),
    Column("period_length", "enum", False, "month", "", "length of a period",
           choices=PERIOD_LENGTHS),
    Column("periods", "int", True, None, "", "number of periods N in the plan", lo=1, hi=100_000),
    Column("currency", "text", False, "USD", "",
           "the planning currency: of every cost, budget and output (FX converts others)"),
    Column("discount_rate", "number", False, 0.0, "fraction/year",
           "annual discount rate (0.05 = 5%)", lo=0.0, hi=1.0, hi_open=True, percent=True),
    Column("risk_weight", "share", False, 0.0, "", "lambda: weight of CVaR in the objective"),
    Column("cvar_level", "number", False, 0.95, "",
           "beta: tail level of CVaR, in [0, 1)", lo=0.0, hi=1.0, hi_open=True),
    Column("time_limit_seconds", "number", False, 600.0, "s", "solver time limit",
           lo=0.0, lo_open=True),
    Column("sample_scenarios", "int", False, 0, "",
           "N > 0: plan for N futures sampled from the Events sheet instead of the Scenarios "
           "sheet", lo=0, hi=100_000),
    Column("sample_seed", "int", False, 1, "",
           "seed of the sampled futures (the same seed gives the same futures)", lo=0,
           hi=2**31 - 1),
    Column("ph_gap", "number", False, 1e-4, "",
           "with --decompose: stop when the bounds are this close (relative to the plan's "
           "cost)", lo=0.0, lo_open=True, hi=1.0),
    Column("mip_gap", "number", False, 1e-6, "fraction",
           "relative gap at which a plan with whole cargoes, lots or contracts is accepted as "
           "optimal", lo=0.0, hi=1.0, percent=True),
)

SHEETS: tuple[Sheet, ...] = (
    Sheet("Settings", True, (
        Column("setting", "key", True, None, "", "name of the setting"),
        Column("value", "text", False, None, "", "its value"),
    ), key=("setting",), description="Plan-wide settings, one per row."),
    Sheet("Commodities", True, (
        Column("commodity", "key", True, None, "", "name, e.g. NdPr oxide or LNG"),
        Column("unit", "text", True, None, "", "unit of quantity, e.g. t or kt"),
        Column("shortage_penalty", "number", True, None, "money/unit",
               "cost of one unit of demand left unmet", lo=0.0, lo_open=True),
        _money("target_penalty", "cost per unit per period a stockpile sits below its target",
               unit="money/unit/period"),
    ), key=("commodity",), description="What is bought and held."),
    Sheet("Demand", True, (
        Column("commodity", "key", True, None, "", "commodity consumed"),
        Column("region", "key", True, None, "", "region that consumes and holds stock"),
        Column("period", "span", False, None, "",
               "blank = every period; a year (2028) or quarter (2028-Q1) sets every period "
               "inside it; a period overrides that one period (the finer label wins)"),
        _qty("demand", "units consumed per period", required=True),
    ), key=("commodity", "region", "period"),
        description="Demand per commodity, region and period."),
    Sheet("Stockpiles", False, (
        Column("commodity", "key", True, None, "", "commodity held"),
        Column("region", "key", True, None, "", "region holding it"),
        _qty("initial_stock", "units held at the start", default=0.0, unit="units"),
        _qty("capacity", "most units it can hold (blank = unlimited)", unit="units"),
        _qty("target_stock", "soft floor", default=0.0, unit="units"),
        Column("target_days", "number", False, 0.0, "days",
               "soft floor in days of that period's demand", lo=0.0),
        _money("holding_cost", "cost per unit held per period", unit="money/unit/period"),
        _qty("end_stock", "units wanted at the end of the last period (short of it costs the "
             "shortage penalty per unit)", default=0.0, unit="units"),
        _money("terminal_value", "value of a unit still held at the end of the last period"),
        _qty("min_stock", "obligation: hard floor on the stock at the end of each period",
             default=0.0, unit="units"),
        Column("min_days", "number", False, 0.0, "days",
               "obligation: hard floor in days of that period's demand", lo=0.0),
        Column("floor_scenarios", "list", False, ("*",), "",
               "scenarios the floor binds in, separated by ; (* = all; base: in sampled "
               "futures until the first event)"),
    ), key=("commodity", "region"), description="Strategic or commercial stock per region."),
    Sheet("Suppliers", True, (
        Column("supplier", "key", True, None, "", "name of the supplier"),
        Column("commodity", "key", True, None, "", "what it sells"),
        Column("origin_country", "text", True, None, "", "where it is mined or produced"),
        Column("processing_country", "text", False, None, "",
               "where it is refined or liquefied (blank = origin_country)"),
        _qty("capacity", "units per period it can sell to this plan", required=True),
        _money("unit_cost", "price at the supplier (FOB), in its currency (required unless "
               "price_index is set)", default=None),
        _qty("min_take", "take-or-pay: units per period that must be taken", default=0.0),
        Column("available_from", "period", False, None, "", "first period it can supply"),
        Column("available_to", "period", False, None, "", "last period it can supply"),
        _qty("min_lot", "smallest order in a period, all its routes together: orders are 0 or "
             "at least this (blank = no minimum)", default=0.0),
        Column("price_index", "key", False, None, "",
               "an index (Indices sheet): the unit cost is index_constant + index_slope x index"),
        Column("index_slope", "number", False, None, "", "multiplies the index value"),
        Column("index_constant", "number", False, None, "money/unit",
               "added to index_slope x index value"),
        Column("currency", "text", False, None, "",
               "currency of its unit cost, freight and capex (blank = Settings currency; "
               "others need FX rates)"),
    ), key=("supplier",), description="Who sells, how much and at what price."),
    Sheet("SupplierPeriods", False, (
        Column("supplier", "key", True, None, "", "supplier"),
        Column("period", "period", True, None, "", "the period overridden"),
        _qty("capacity", "capacity in that period (blank keeps Suppliers)"),
        _money("unit_cost", "price in that period (blank keeps Suppliers)", default=None),
    ), key=("supplier", "period"), description="Per-period capacity and price overrides."),
    Sheet("Routes", True, (
        Column("route", "key", True, None, "", "name of the route"),
        Column("supplier", "key", True, None, "", "supplier it carries from"),
        Column("region", "key", True, None, "", "destination region"),
        Column("lead_time_days", "number", False, 0.0, "days", "door-to-door days", lo=0.0),
        _money("freight_cost", "freight per unit"),
        _qty("capacity", "units per period (blank = no route limit)"),
        Column("chokepoints", "list", False, (), "",
               "straits or canals passed, separated by ; or ,"),
        Column("cargo_size", "number", False, None, "units/cargo",
               "orders are whole cargoes of this size (blank = any quantity)", lo=0.0,
               lo_open=True),
        Column("max_cargoes", "int", False, None, "cargoes/period",
               "most cargoes per period, e.g. berth slots (blank = no limit)", lo=0),
    ), key=("route",), description="How supply reaches each region."),
    Sheet("Pipeline", False, (
        Column("route", "key", True, None, "", "route the goods travel on"),
        Column("arrival_period", "period", True, None, "", "period they arrive in"),
        _qty("quantity", "units already ordered (sunk: no cost, no part of any share)",
             required=True, unit="units"),
    ), description="Goods already on the water or under a fixed contract."),
    Sheet("Groups", False, (
        Column("country", "key", True, None, "", "country"),
        Column("group", "key", True, None, "", "group it belongs to, e.g. FEOC or Partners"),
    ), key=("country", "group"), description="Country groupings used by limits."),
    Sheet("Concentration", False, (
        Column("limit", "key", True, None, "", "name of the limit"),
        Column("commodity", "key", True, None, "", "a commodity, or * for each"),
        Column("region", "key", False, "*", "", "a region, or * for all regions pooled"),
        Column("attribute", "enum", True, None, "", "what the share is measured on",
               choices=ATTRIBUTES),
        Column("value", "key", True, None, "", "one value of the attribute, or * for each"),
        Column("max_share", "share", False, None, "",
               "largest share of supply allowed (blank = no upper limit)"),
        Column("min_share", "share", False, None, "",
               "least share of supply required (blank = no lower limit)"),
        Column("basis", "basis", False, ("period", None), "",
               "period (every period), year (each plan year), rolling N (every N consecutive "
               "periods) or horizon (whole horizon)", choices=BASES),
        Column("scenarios", "list", False, ("*",), "",
               "scenarios it binds in, separated by ; or , (* = all)"),
    ), key=("limit",), description="Diversification limits on shares of supply."),
    Sheet("Scenarios", False, (
        Column("scenario", "key", True, None, "", "name of the scenario"),
        Column("probability", "share", True, None, "", "probability; all must sum to 1"),
    ), key=("scenario",), description="Futures the plan must survive."),
    Sheet("Disruptions", False, (
        Column("scenario", "key", True, None, "", "scenario it belongs to"),
        Column("target_type", "enum", True, None, "", "what it hits", choices=TARGET_TYPES),
        Column("target", "key", True, None, "",
               "name it hits; for demand a commodity or commodity@region"),
        Column("start_period", "period", True, None, "", "first period (inclusive)"),
        Column("end_period", "period", True, None, "", "last period (inclusive)"),
        Column("commodity", "key", False, None, "",
               "only suppliers and routes of this commodity are hit (blank = all)"),
        Column("capacity_factor", "share", False, None, "",
               "multiplies capacity while active (blank = 1 on a row that sets cost_factor or "
               "demand_factor, else 0: a halt)"),
        Column("cost_factor", "number", False, None, "", "multiplies cost while active (1)",
               lo=0.0, percent=True),
        Column("demand_factor", "number", False, None, "",
               "multiplies demand while active, demand rows (1)", lo=0.0, percent=True),
    ), description="What goes wrong in each scenario, and when."),
    Sheet("Transfers", False, (
        Column("commodity", "key", True, None, "", "commodity moved"),
        Column("from_region", "key", True, None, "", "region lending"),
        Column("to_region", "key", True, None, "", "region receiving"),
        Column("lead_time_days", "number", False, 0.0, "days", "days in transit", lo=0.0),
        _money("cost", "cost per unit moved"),
        _qty("capacity", "units per period (blank = unlimited)"),
    ), key=("commodity", "from_region", "to_region"),
        description="Lanes to lend and share stock between partner regions."),
    Sheet("Investments", False, (
        Column("project", "key", True, None, "", "name of the project"),
        Column("supplier", "key", False, None, "",
               "supplier whose capacity it adds to (or blank, and a stockpile below)"),
        _money("capex", "cost per unit of capacity per period (storage: per unit of room)",
               required=True, default=None, unit="money per unit/period"),
        _qty("max_capacity", "most capacity it can add (blank = unlimited)"),
        Column("first_period", "period", False, None, "",
               "earliest period the new capacity supplies (blank = first period)"),
        Column("commodity", "key", False, None, "",
               "storage: the commodity of the stockpile it adds room to"),
        Column("region", "key", False, None, "",
               "storage: the region of the stockpile it adds room to"),
    ), key=("project",),
        description="Capacity that can be funded: supply at a supplier, or storage room."),
    Sheet("Contracts", False, (
        Column("contract", "key", True, None, "", "name of the contract"),
        Column("supplier", "key", True, None, "",
               "supplier it buys from (a supplier named here sells only under its contracts)"),
        _qty("acq", "annual contract quantity", required=True, unit="units/contract year"),
        Column("take_or_pay", "share", False, 0.0, "",
               "share of the ACQ paid for whether taken or not"),
        Column("flex_up", "number", False, None, "fraction",
               "share above the ACQ that may be taken (blank = no cap)", lo=0.0, percent=True),
        Column("make_up_years", "int", False, 0, "years",
               "later contract years in which volume paid for but not taken may be taken "
               "without paying again (blank = 0)", lo=0, hi=100),
        Column("first_period", "period", True, None, "",
               "first period of the contract; contract years are blocks of 12 months from it "
               "(may be before the plan)"),
        Column("last_period", "period", False, None, "",
               "last period of the contract (blank = beyond the plan)"),
        _money("option_fee", "blank: the contract is signed; a number: the plan decides now "
               "whether to sign it for this fee", default=None, unit="money"),
    ), key=("contract",), description="Long-term contracts: ACQ, take-or-pay, flex, make-up, "
        "options."),
    Sheet("Sweep", False, (
        Column("limit", "key", True, None, "", "a Concentration limit"),
        Column("max_share", "share", True, None, "", "the max_share to try"),
    ), description="Re-solve with a limit at each max_share to trace cost vs concentration."),
    Sheet("Events", False, (
        Column("event", "key", True, None, "",
               "name of the kind of disruption; rows with the same name are one event with "
               "several effects"),
        Column("target_type", "enum", False, None, "", "what it hits", choices=TARGET_TYPES),
        Column("target", "key", False, None, "",
               "name it hits; for demand a commodity or commodity@region"),
        Column("commodity", "key", False, None, "",
               "only suppliers and routes of this commodity are hit (blank = all)"),
        Column("capacity_factor", "share", False, None, "",
               "multiplies capacity while active (blank: as in Disruptions)"),
        Column("cost_factor", "number", False, None, "", "multiplies cost while active (1)",
               lo=0.0, percent=True),
        Column("demand_factor", "number", False, None, "",
               "multiplies demand while active, demand rows (1)", lo=0.0, percent=True),
        Column("probability_per_year", "share", False, None, "",
               "chance it starts in a given plan year (on the event's first row)"),
        Column("min_duration", "int", False, None, "periods",
               "shortest duration (on the event's first row)", lo=1),
        Column("max_duration", "int", False, None, "periods",
               "longest duration (on the event's first row)", lo=1),
        Column("index", "key", False, None, "", "an index (Indices sheet) the event moves"),
        Column("index_factor", "number", False, None, "",
               "multiplies the index value while active (1)", lo=0.0, percent=True),
        Column("months", "list", False, (), "",
               "calendar months it may start in, separated by ; (12;1;2 = winter; blank = any)"),
    ),
        description="Kinds of disruption to sample futures from (Settings sample_scenarios)."),
    Sheet("Indices", False, (
        Column("index", "key", True, None, "", "name of the price index, e.g. Brent or JKM"),
        Column("period", "period", True, None, "", "the period"),
        Column("scenario", "key", False, "*", "", "a scenario, or * for every scenario"),
        Column("value", "number", True, None, "", "the index value in that period"),
    ), key=("index", "period", "scenario"),
        description="Price indices for indexed supplier prices; values may differ by scenario."),
    Sheet("FX", False, (
        Column("currency", "key", True, None, "", "a supplier's currency"),
        Column("period", "period", True, None, "", "the period"),
        Column("scenario", "key", False, "*", "", "a scenario, or * for every scenario"),
        Column("rate", "number", True, None, "", "Settings currency per unit of this currency",
               lo=0.0, lo_open=True),
    ), key=("currency", "period", "scenario"),
        description="Exchange rates into the planning currency (Settings currency)."),
    Sheet("Budgets", False, (
        Column("year", "span", True, None, "",
               "plan year: the label of its first period (2027-07), or the calendar year (2027) "
               "for a plan starting in January"),
        Column("commodity", "key", False, "*", "", "a commodity, or * for all pooled"),
        Column("region", "key", False, "*", "", "a region, or * for all pooled"),
        _money("max_spend", "most spent in that plan year on purchases plus freight "
               "(undiscounted), in every scenario", required=True, default=None, unit="money"),
    ), description="Yearly purchase budgets: a hard limit in every scenario."),
)

SETTING_BY_KEY: dict[str, Column] = {normalise_name(c.name): c for c in SETTINGS_COLUMNS}
