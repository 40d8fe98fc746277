"""Futures sampled from the Events sheet, the way stockpile agencies size stockpiles.

Each event kind has a chance to start in a given plan year and a duration range. A future is
drawn event kind by event kind and plan year by plan year (plan years are blocks of ppy periods
from period 1; the last may be shorter): the event starts in that year with its chance (scaled
down for a shorter last year), in a period drawn uniformly within the year, and lasts a whole
number of periods drawn uniformly from its range (cut at the end of the horizon). Occurrences
may overlap; their factors multiply like Disruptions rows.

A sampled future is an ordinary scenario with ordinary disruption rows, so the scenario tree,
the model and every report work on it unchanged; futures that have seen the same events so far
share tree nodes. Future i is drawn from its own random stream (seed, stream, i): the same seed
gives the same futures, and future i does not depend on how many futures are drawn.
Streams: 0 the plan's own futures, 1 out-of-sample futures, 2 + r replication r.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from model.domain.data import Disruption, EventKind, PlanData, Scenario
from model.domain.periods import year_blocks

PLAN, EVALUATION = 0, 1


def replication_stream(r: int) -> int:
    """The random stream of replication r (r = 0, 1, ...)."""
    return 2 + r


@dataclass(frozen=True)
class Occurrence:
    """One event in one future: which kind, from which period to which."""

    event: EventKind
    start: int
    end: int


def draw_future(events: tuple[EventKind, ...], periods: int, periods_per_year: int,
                seed: int, stream: int, index: int) -> list[Occurrence]:
    """The events of one future."""
    rng = np.random.default_rng([seed, stream, index])
    found = []
    for event in events:
        for block in year_blocks(periods, periods_per_year):
            chance = event.probability_per_year * len(block) / periods_per_year
            if rng.random() >= chance:
                continue
            start = int(block[int(rng.integers(len(block)))])
            duration = int(rng.integers(event.min_duration, event.max_duration + 1))
            found.append(Occurrence(event, start, min(periods, start + duration - 1)))
    return found


def future_name(stream: int, index: int) -> str:
    """`future 12` (the plan's own), `test 12` (out of sample), `replication 2 future 12`."""
    if stream == PLAN:
        return f"future {index + 1}"
    if stream == EVALUATION:
        return f"test {index + 1}"
    return f"replication {stream - 1} future {index + 1}"


def disruptions_of(name: str, occurrences: list[Occurrence]) -> list[Disruption]:
    """A future's occurrences as Disruptions rows of scenario `name`."""
    return [Disruption(name, o.event.target_type, o.event.target, o.start, o.end,
                       o.event.capacity_factor, o.event.cost_factor, o.event.demand_factor,
                       o.event.commodity, o.event.row) for o in occurrences]


def sampled_plan(plan: PlanData, count: int, seed: int, stream: int = PLAN,
                 first: int = 0) -> PlanData:
    """The plan with its scenarios replaced by `count` futures sampled from its events, each
    with probability 1/count."""
    calendar = plan.settings.calendar
    scenarios: dict[str, Scenario] = {}
    rows: list[Disruption] = []
    for i in range(first, first + count):
        name = future_name(stream, i)
        scenarios[name] = Scenario(name, 1.0 / count)
        rows += disruptions_of(name, draw_future(plan.events, calendar.periods,
                                                 calendar.periods_per_year, seed, stream, i))
    return replace(plan, scenarios=scenarios, disruptions=tuple(rows))


def describe(occurrences: list[Occurrence], label) -> str:
    """`China curb 2028-07 to 2028-12; Hormuz 2029-03` (or `no event`)."""
    if not occurrences:
        return "no event"
    return "; ".join(f"{o.event.name} {label(o.start)}" + (f" to {label(o.end)}"
                                                          if o.end != o.start else "")
                     for o in occurrences)
