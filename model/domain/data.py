"""Validated inputs as plain frozen data classes: what the formulation reads.

Quantities are in the commodity's unit per period, money in the workbook's currency, periods
are plan periods `t = 1..N` (already resolved from dates and labels). Every record keeps the
Excel row it came from (`row`), so that a diagnosis can point back at it. Defaults that depend
on other cells are already resolved here (a blank `processing_country` is the origin, a blank
`capacity_factor` is 1 or 0 as model.md says), so the formulation never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from model.domain.errors import Issue
from model.domain.periods import Calendar


@dataclass(frozen=True)
class Settings:
    """Plan-wide settings (Settings sheet)."""

    calendar: Calendar
    currency: str = "USD"
    discount_rate: float = 0.0
    risk_weight: float = 0.0
    cvar_level: float = 0.95
    time_limit_seconds: float = 600.0
    sample_scenarios: int = 0
    sample_seed: int = 1
    ph_gap: float = 1e-4  # --decompose stops at this relative gap between its bounds
    mip_gap: float = 1e-6

    @property
    def periods(self) -> int:
        """N, the number of plan periods."""
        return self.calendar.periods

    def discount_factor(self, t: int) -> float:
        """d_t = (1 + discount_rate) ^ (-(t-1) / ppy)."""
        return (1.0 + self.discount_rate) ** (-(t - 1) / self.calendar.periods_per_year)


@dataclass(frozen=True)
class Commodity:
    """A commodity with the penalties that price unmet demand and stock below target."""

    name: str
    unit: str
    shortage_penalty: float
    target_penalty: float = 0.0
    row: int | None = None


@dataclass(frozen=True)
class Stockpile:
    """Stock of one commodity in one region; `capacity` None means unlimited.

    `end_stock` is E (units wanted at the end of period N, short of it costs the commodity's
    shortage penalty per unit); `terminal_value` is TV (money per unit still held then).
    `min_stock` (units) and `min_days` (days of the period's demand) are the hard floor of an
    obligation; `floor_scenarios` the scenarios it binds in (empty: all).
    """

    commodity: str
    region: str
    initial_stock: float = 0.0
    capacity: float | None = 0.0
    target_stock: float = 0.0
    target_days: float = 0.0
    holding_cost: float = 0.0
    end_stock: float = 0.0
    terminal_value: float = 0.0
    row: int | None = None
    min_stock: float = 0.0
    min_days: float = 0.0
    floor_scenarios: tuple[str, ...] = ()

    @property
    def has_floor(self) -> bool:
        """Whether an obligation (a hard floor) is set."""
        return self.min_stock > 0 or self.min_days > 0


@dataclass(frozen=True)
class Supplier:
    """A seller of one commodity; capacity and price per plan period (index t-1).

    `capacity_per_period` is already 0 outside the availability window.
    """

    name: str
    commodity: str
    origin_country: str
    processing_country: str
    capacity_per_period: tuple[float, ...]
    unit_cost_per_period: tuple[float, ...]
    min_take: float = 0.0
    available_from: int = 1
    available_to: int = 1
    row: int | None = None
    min_lot: float = 0.0
    period_rows: dict[int, int] = field(default_factory=dict, compare=False)
    price_index: str | None = None   # an index: the unit cost is constant + slope x index
    index_slope: float = 0.0
    index_constant: float = 0.0
    currency: str | None = None      # None: the planning currency

    def available(self, t: Any) -> Any:
        """Whether period t lies inside the supplier's availability window (t an int, or a
        numpy array of periods for an array of answers): the one statement of the window."""
        return (self.available_from <= t) & (t <= self.available_to)


@dataclass(frozen=True)
class Route:
    """A way from a supplier to a region; `capacity` None means no route limit.

    `lead_periods` is L_r = floor(lead_time_days / dpp + 0.5).
    """

    name: str
    supplier: str
    region: str
    lead_time_days: float = 0.0
    lead_periods: int = 0
    freight_cost: float = 0.0
    capacity: float | None = None
    chokepoints: tuple[str, ...] = ()
    row: int | None = None
    cargo_size: float | None = None
    max_cargoes: int | None = None


@dataclass(frozen=True)
class Contract:
    """A long-term contract with one supplier (Contracts sheet, model.md section 14).

    `acq` is A (units per contract year), `take_or_pay` tau and `flex_up` phi (None: no cap)
    fractions of it; `first_period` and `last_period` are plan periods (first may be <= 0: the
    contract began before the plan; last is None: beyond the plan); `option_fee` None means
    the contract is signed, a number that the plan decides whether to sign it for that fee.
    """

    name: str
    supplier: str
    acq: float
    take_or_pay: float = 0.0
    flex_up: float | None = None
    make_up_years: int = 0
    first_period: int = 1
    last_period: int | None = None
    option_fee: float | None = None
    row: int | None = None

    @property
    def is_option(self) -> bool:
        """Whether the plan decides whether to sign it."""
        return self.option_fee is not None


@dataclass(frozen=True)
class PipelineArrival:
    """Q[r, t]: goods already ordered that arrive on `route` in plan period `period` (sunk)."""

    route: str
    period: int
    quantity: float
    row: int | None = None


@dataclass(frozen=True)
class Limit:
    """A concentration limit (Concentration sheet).

    `max_share` / `min_share` are None where blank (at least one is set). `basis` is `period`,
    `year`, `rolling` (windows of `rolling_periods` consecutive periods) or `horizon`.
    `scenarios` empty means all.
    """

    name: str
    commodity: str
    region: str
    attribute: str
    value: str
    max_share: float | None
    min_share: float | None = None
    basis: str = "period"
    rolling_periods: int | None = None
    scenarios: tuple[str, ...] = ()
    row: int | None = None

    @property
    def basis_label(self) -> str:
        """The basis as the user writes it (`rolling 3`)."""
        return f"rolling {self.rolling_periods}" if self.basis == "rolling" else self.basis


@dataclass(frozen=True)
class Scenario:
    """A future with its probability."""

    name: str
    probability: float
    row: int | None = None


@dataclass(frozen=True)
class Disruption:
    """A disruption active in plan periods start..end (already clipped to the horizon).

    `commodity` (None = all) restricts supplier- and route-side rows to that commodity.
    `capacity_factor` is already resolved: a blank cell is 1 on a row that sets a cost or
    demand factor, 0 (a halt) otherwise.
    """

    scenario: str
    target_type: str
    target: str
    start: int
    end: int
    capacity_factor: float = 0.0
    cost_factor: float = 1.0
    demand_factor: float = 1.0
    commodity: str | None = None
    row: int | None = None
    index_factor: float = 1.0   # on rows of target_type `index` (sampled index moves)


@dataclass(frozen=True)
class Transfer:
    """A lane that moves stock of one commodity between two regions."""

    commodity: str
    from_region: str
    to_region: str
    lead_time_days: float = 0.0
    lead_periods: int = 0
    cost: float = 0.0
    capacity: float | None = None
    row: int | None = None

    @property
    def name(self) -> str:
        """How the lane is named in outputs."""
        return f"{self.commodity}: {self.from_region} -> {self.to_region}"


@dataclass(frozen=True)
class Project:
    """Capacity that can be built from `first_period` on: supply at a supplier, or storage room
    at the stockpile (`commodity`, `region`) when `supplier` is None."""

    name: str
    supplier: str | None
    capex: float
    max_capacity: float | None = None
    first_period: int = 1
    row: int | None = None
    commodity: str | None = None
    region: str | None = None

    @property
    def stockpile(self) -> tuple[str, str] | None:
        """(commodity, region) of a storage project, None for a supply project."""
        return None if self.supplier is not None else (self.commodity, self.region)


@dataclass(frozen=True)
class SweepPoint:
    """One point of the trade-off sweep: re-solve with `limit` at `max_share`."""

    limit: str
    max_share: float
    row: int | None = None


@dataclass(frozen=True)
class EventKind:
    """One effect of a kind of disruption for sampled futures (an Events row): what it hits
    and how (a target, and/or an index it moves), the chance the event starts in a given plan
    year, how long it lasts (periods, inclusive range) and the calendar months it may start in.
    Effects with the same `name` are one event: drawn together, with one start and duration.
    `target_type` is None on a row that only moves an index."""

    name: str
    target_type: str | None
    target: str | None
    probability_per_year: float
    min_duration: int
    max_duration: int
    capacity_factor: float = 0.0
    cost_factor: float = 1.0
    demand_factor: float = 1.0
    commodity: str | None = None
    row: int | None = None
    index: str | None = None      # an index the event moves, by index_factor
    index_factor: float = 1.0
    months: tuple[int, ...] = ()  # calendar months it may start in (empty: any)


Series = dict[str, tuple[float | None, ...]]  # scenario (or `*`) -> value per plan period


def series_value(series: Series, scenario: str, t: int) -> float | None:
    """The value of an index or exchange rate in plan period t for a scenario: the scenario's
    own, else the `*` one (None where neither is given)."""
    own = series.get(scenario)
    if own is not None and own[t - 1] is not None:
        return own[t - 1]
    every = series.get("*")
    return every[t - 1] if every is not None else None


@dataclass(frozen=True)
class Budget:
    """A yearly purchase budget (Budgets sheet): purchases plus freight of the orders placed in
    plan periods `periods` (one plan year, inside the horizon) on routes of `commodity` into
    `region` (`*`: all pooled), at most `max_spend` in the planning currency, undiscounted."""

    periods: tuple[int, ...]
    commodity: str
    region: str
    max_spend: float
    row: int | None = None


class PairIndex:
    """The (commodity, region) pairs in one fixed order: the rows of every per-pair array (the
    demand factors, `stock_numbers`, a stock family read per pair) and the order of the pairs'
    blocks in the stock families. Consumers look a pair up here (`position`, `rows`) and label
    rows from here (`commodities`, `regions`) instead of counting on an order of their own."""

    def __init__(self, keys):
        self.keys: tuple[tuple[str, str], ...] = tuple(keys)
        self.position: dict[tuple[str, str], int] = {key: i for i, key in
                                                     enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        return iter(self.keys)

    def rows(self, keys) -> np.ndarray:
        """The row of each pair of `keys`, in their order."""
        return np.array([self.position[key] for key in keys], dtype=np.int64)

    def commodity_rows(self, commodities) -> np.ndarray:
        """For each pair, the place of its commodity in `commodities` (a list of names)."""
        at = {k: i for i, k in enumerate(commodities)}
        return np.array([at[k] for k, _ in self.keys], dtype=np.int64)

    def by_commodity(self, values: np.ndarray, commodities) -> np.ndarray:
        """Per-pair rows summed per commodity: (pairs, ...) -> (len(commodities), ...)."""
        values = np.asarray(values, dtype=float)
        total = np.zeros((len(commodities), *values.shape[1:]))
        np.add.at(total, self.commodity_rows(commodities), values)
        return total

    def __reduce__(self):
        return PairIndex, (self.keys,)


@dataclass(frozen=True)
class PlanData:
    """Everything the model needs, validated. Dicts keep the workbook's row order."""

    settings: Settings
    commodities: dict[str, Commodity]
    regions: tuple[str, ...]
    demand: dict[tuple[str, str], tuple[float, ...]]
    stockpiles: dict[tuple[str, str], Stockpile]
    suppliers: dict[str, Supplier]
    routes: dict[str, Route]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    limits: dict[str, Limit] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    disruptions: tuple[Disruption, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    projects: dict[str, Project] = field(default_factory=dict)
    pipeline: tuple[PipelineArrival, ...] = ()
    sweep: tuple[SweepPoint, ...] = ()
    events: tuple[EventKind, ...] = ()
    contracts: dict[str, Contract] = field(default_factory=dict)
    budgets: tuple[Budget, ...] = ()
    indices: dict[str, Series] = field(default_factory=dict)   # Indices sheet
    fx: dict[str, Series] = field(default_factory=dict)        # FX sheet: rate per currency
    warnings: tuple[Issue, ...] = ()
    source: str = ""
    source_sha256: str = ""
    demand_rows: dict[tuple[str, str], tuple[int | None, ...]] = field(default_factory=dict,
                                                                    compare=False)

    @cached_property
    def pairs(self) -> PairIndex:
        """Every (commodity, region) pair, commodities first: the one order of the balance
        rows, the demand factors and every per-pair array."""
        return PairIndex((k, g) for k in self.commodities for g in self.regions)

    def stockpile(self, commodity: str, region: str) -> Stockpile:
        """The stockpile of (commodity, region); none on the sheet means no room for stock."""
        found = self.stockpiles.get((commodity, region))
        return found if found is not None else Stockpile(commodity, region)

    def demand_of(self, commodity: str, region: str) -> tuple[float, ...]:
        """Base demand D[k,g,t] per period (zeros where the workbook has none)."""
        found = self.demand.get((commodity, region))
        return found if found is not None else (0.0,) * self.settings.periods

    def commodity_of(self, route: Route) -> str:
        """k(s(r)): the commodity a route carries."""
        return self.suppliers[route.supplier].commodity
