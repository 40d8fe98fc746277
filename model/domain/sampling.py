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


def event_groups(events: tuple[EventKind, ...]) -> list[list[EventKind]]:
    """The effects of each event (Events rows sharing a name), events in order of first row."""
    groups: dict[str, list[EventKind]] = {}
    for event in events:
        groups.setdefault(event.name, []).append(event)
    return list(groups.values())


def period_months(t: int, periods_per_year: int, start: int) -> set[int]:
    """Calendar months (1..12) inside plan period t of a plan whose period 1 is the absolute
    period `start` (periods.Calendar numbering)."""
    index = (start + t - 1) % periods_per_year
    size = 12 // periods_per_year
    return set(range(index * size + 1, index * size + size + 1))


def draw_future(events: tuple[EventKind, ...], periods: int, periods_per_year: int,
                seed: int, stream: int, index: int, start: int = 0) -> list[Occurrence]:
    """The events of one future. An event with several effects is drawn once and every effect
    gets its start and end; an event with `months` may start only in periods containing one of
    them, with its chance per plan year scaled by the share of eligible periods in the block
    (docs/model.md 15.6). `start` is the absolute number of period 1 (for the months)."""
    rng = np.random.default_rng([seed, stream, index])
    found = []
    for effects in event_groups(events):
        event = effects[0]
        months = set(event.months)
        per_year = periods_per_year
        if months:
            per_year = sum(1 for t in range(1, periods_per_year + 1)
                           if months & period_months(t, periods_per_year, start))
        for block in year_blocks(periods, periods_per_year):
            eligible = [t for t in block
                        if not months or months & period_months(t, periods_per_year, start)]
            chance = (event.probability_per_year * len(eligible) / per_year) if per_year else 0.0
            if rng.random() >= chance:
                continue
            first = int(eligible[int(rng.integers(len(eligible)))])
            duration = int(rng.integers(event.min_duration, event.max_duration + 1))
            last = min(periods, first + duration - 1)
            found += [Occurrence(effect, first, last) for effect in effects]
    return found


def future_name(stream: int, index: int) -> str:
    """`future 12` (the plan's own), `test 12` (out of sample), `replication 2 future 12`."""
    if stream == PLAN:
        return f"future {index + 1}"
    if stream == EVALUATION:
        return f"test {index + 1}"
    return f"replication {stream - 1} future {index + 1}"


def disruptions_of(name: str, occurrences: list[Occurrence]) -> list[Disruption]:
    """A future's occurrences as Disruptions rows of scenario `name`: one per target an effect
    hits, and one of target_type `index` per index it moves."""
    rows = []
    for o in occurrences:
        event = o.event
        if event.target_type is not None:
            rows.append(Disruption(name, event.target_type, event.target, o.start, o.end,
                                   event.capacity_factor, event.cost_factor,
                                   event.demand_factor, event.commodity, event.row))
        if event.index is not None:
            rows.append(Disruption(name, "index", event.index, o.start, o.end, 1.0, 1.0, 1.0,
                                   None, event.row, index_factor=event.index_factor))
    return rows


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
                                                 calendar.periods_per_year, seed, stream, i,
                                                 calendar.start))
    return replace(plan, scenarios=scenarios, disruptions=tuple(rows))


def describe(occurrences: list[Occurrence], label) -> str:
    """`China curb 2028-07 to 2028-12; Hormuz 2029-03` (or `no event`)."""
    if not occurrences:
        return "no event"
    # An event with several effects is one occurrence in words.
    named = dict.fromkeys((o.event.name, o.start, o.end) for o in occurrences)
    return "; ".join(f"{name} {label(start)}" + (f" to {label(end)}" if end != start else "")
                     for name, start, end in named)
