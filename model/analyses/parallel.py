"""Independent solves on both cores, or on a Dask cluster, through one code path.

A `Task` says how a worker sets itself up (build its model once) and how it runs one item
(change the model, solve, return a few numbers). `run_tasks` runs the items:
- in this process, when there is one worker or one item;
- on a local process pool (by default one process per core). Where processes can be forked,
  workers inherit what this process has already built (the set-up is not repeated);
  elsewhere each worker builds it once;
- on a Dask distributed cluster when a scheduler address is given: each Dask worker builds the
  task's set-up once and keeps it for every item it runs.
Each item's result depends on the item alone (the worker restores its model, and solves each
item from the same starting basis), so the three give the same numbers for the same seed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Progress = Callable[[str], None]


class Task:
    """A kind of independent work; subclasses must be picklable (for spawned processes and
    Dask workers) and define `key`, `setup` and `run`."""

    key: str = "task"

    def setup(self) -> Any:
        """Build what every item needs (a model); called once per worker."""
        raise NotImplementedError

    def run(self, state: Any, item: Any) -> Any:
        """Run one item with the worker's state."""
        raise NotImplementedError


_STATES: dict[str, Any] = {}  # per process: the set-up of each task key


def _state(task: Task) -> Any:
    state = _STATES.get(task.key)
    if state is None:
        state = _STATES[task.key] = task.setup()
    return state


def forget(key: str) -> None:
    """Drop this process's set-up of a task (one that must not outlive its caller)."""
    _STATES.pop(key, None)


def _run_chunk(task: Task, chunk: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    state = _state(task)
    return [(index, task.run(state, item)) for index, item in chunk]


def _pool_chunk(arguments: tuple[Task, list[tuple[int, Any]]]) -> list[tuple[int, Any]]:
    return _run_chunk(*arguments)


def _worker_start() -> None:
    """Workers leave SIGTERM and Ctrl-C to the parent, which stops and cleans up the pool."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True)
class Where:
    """Where independent solves run: `workers` processes (None: one per core) or a Dask
    scheduler address."""

    workers: int | None = None
    scheduler: str | None = None

    @property
    def processes(self) -> int:
        """How many local processes to use."""
        return self.workers or os.cpu_count() or 1


def _chunks(items: Sequence[Any], count: int) -> list[list[tuple[int, Any]]]:
    indexed = list(enumerate(items))
    size = max(1, -(-len(indexed) // count))
    return [indexed[i:i + size] for i in range(0, len(indexed), size)]


SERIAL_BELOW_SECONDS = 1.0  # local work expected to take less stays in this process


def run_tasks(task: Task, items: Sequence[Any], where: Where | None = None,
              progress: Progress | None = None, state: Any = None,
              label: str = "solves", item_seconds: float | None = None) -> list[Any]:
    """Run every item; results in the order of `items`. `state`, when this process has
    already built the task's set-up, is reused here and by forked workers. Local work that
    `item_seconds` says takes under a second in all stays in this process: a new process pays
    for every page of the parent it touches, which small solves do not recover."""
    where = where or Where()
    if state is not None:
        _STATES[task.key] = state
    if not items:
        return []
    if where.scheduler:
        return _run_dask(task, items, where.scheduler, progress, label)
    processes = min(where.processes, len(items))
    if item_seconds is not None and item_seconds * len(items) < SERIAL_BELOW_SECONDS:
        processes = 1
    if processes <= 1:
        return [result for _, result in _report(_run_chunk_each(task, items), len(items),
                                                progress, label)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunks = _chunks(items, processes * 4)
    found: list[tuple[int, Any]] = []
    pool = context.Pool(processes, initializer=_worker_start)
    try:
        for batch in pool.imap_unordered(_pool_chunk, [(task, c) for c in chunks]):
            found += batch
            if progress:
                progress(f"  {len(found):,} of {len(items):,} {label} done")
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return [result for _, result in sorted(found, key=lambda pair: pair[0])]


def _run_chunk_each(task: Task, items: Sequence[Any]) -> Iterable[tuple[int, Any]]:
    state = _state(task)
    for index, item in enumerate(items):
        yield index, task.run(state, item)


def _report(found: Iterable[tuple[int, Any]], total: int, progress: Progress | None,
            label: str) -> list[tuple[int, Any]]:
    results = []
    step = max(1, total // 10)
    for pair in found:
        results.append(pair)
        if progress and (len(results) % step == 0 or len(results) == total):
            progress(f"  {len(results):,} of {total:,} {label} done")
    return results


def _run_dask(task: Task, items: Sequence[Any], address: Any, progress: Progress | None,
              label: str) -> list[Any]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # an optional dependency: say how to get it
        from model.domain.errors import UsageError

        raise UsageError("--scheduler needs Dask distributed: python -m pip install "
                         "\".[cluster]\"") from exc
    client = address if isinstance(address, Client) else Client(address)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        futures = [client.submit(_run_chunk, task, chunk, pure=False)
                   for chunk in _chunks(items, workers * 4)]
        found: list[tuple[int, Any]] = []
        for future in as_completed(futures):
            found += future.result()
            if progress:
                progress(f"  {len(found):,} of {len(items):,} {label} done (Dask)")
    finally:
        if not isinstance(address, Client):
            client.close()
    return [result for _, result in sorted(found, key=lambda pair: pair[0])]
