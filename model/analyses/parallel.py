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

A task's set-up is held per process under the task's key (a fresh random token, never an
object id that a long-lived worker could see reused) only while `run_tasks` runs: it is
released when `run_tasks` returns, here and on every Dask worker.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


def task_key(kind: str) -> str:
    """A key no other task of any process or client shares: the kind and a random token."""
    return f"{kind} {uuid.uuid4().hex}"


class Task:
    """A kind of independent work; subclasses must be picklable (for spawned processes and
    Dask workers) and define `key` (from `task_key`), `setup` and `run`."""

    key: str = "task"

    def setup(self) -> Any:
        """Build what every item needs (a model); called once per worker."""
        raise NotImplementedError

    def run(self, state: Any, item: Any) -> Any:
        """Run one item with the worker's state."""
        raise NotImplementedError


_STATES: dict[str, Any] = {}  # per process: the set-up of each running task, by its key


def _forget(key: str) -> None:
    """Release a task's set-up in this process (on a Dask worker, through `Client.run`)."""
    _STATES.pop(key, None)


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
    """Workers leave SIGTERM and Ctrl-C to the parent, which stops and cleans up the pool; a
    closed terminal (SIGHUP) stops neither them nor the parent."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)


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


MAX_CHUNK_ITEMS = 1_000  # items per chunk at most: memory and progress stay bounded
PROGRESS_EVERY_SECONDS = 5.0


def _chunks(items: Sequence[Any], count: int) -> Iterator[list[tuple[int, Any]]]:
    """About `count` chunks of (index, item), at most MAX_CHUNK_ITEMS each, made one at a time
    (millions of items are never all indexed at once)."""
    total = len(items)
    size = min(MAX_CHUNK_ITEMS, max(1, -(-total // count)))
    for start in range(0, total, size):
        yield [(i, items[i]) for i in range(start, min(start + size, total))]


class _Reporter:
    """Progress lines: one at every tenth of the items and at least every few seconds (so a
    long run never looks stuck), with the rate and the time left."""

    def __init__(self, total: int, progress: Progress | None, label: str, where: str = ""):
        self.total, self.progress, self.label, self.where = total, progress, label, where
        self.done = 0
        self.started = self.last_time = time.monotonic()
        self.last_done = 0

    def add(self, count: int) -> None:
        """`count` more items are done."""
        self.done += count
        if self.progress is None:
            return
        now = time.monotonic()
        step = max(1, self.total // 10)
        if self.done < self.total and self.done - self.last_done < step and \
                now - self.last_time < PROGRESS_EVERY_SECONDS:
            return
        self.last_time, self.last_done = now, self.done
        line = f"  {self.done:,} of {self.total:,} {self.label} done{self.where}"
        elapsed = now - self.started
        if self.done < self.total and elapsed >= PROGRESS_EVERY_SECONDS:
            rate = self.done / elapsed
            left = (self.total - self.done) / rate if rate > 0 else float("inf")
            line += f" ({rate:,.0f} a second, about {_duration(left)} left)"
        self.progress(line)


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "an unknown time"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


SERIAL_BELOW_SECONDS = 1.0  # local work expected to take less stays in this process


def run_tasks(task: Task, items: Sequence[Any], where: Where | None = None,
              progress: Progress | None = None, state: Any = None,
              label: str = "solves", item_seconds: float | None = None,
              consume: Callable[[int, Any], None] | None = None) -> list[Any]:
    """Run every item; results in the order of `items`. `state`, when this process has
    already built the task's set-up, is reused here and by forked workers. Local work that
    `item_seconds` says takes under a second in all stays in this process: a new process pays
    for every page of the parent it touches, which small solves do not recover.

    With `consume`, each result is handed to `consume(index, result)` as it arrives (in any
    order) and none is kept: the memory stays bounded however many items there are."""
    where = where or Where()
    try:
        if state is not None:
            _STATES[task.key] = state
        return _run_items(task, items, where, progress, label, item_seconds, consume)
    finally:
        _forget(task.key)


def _run_items(task: Task, items: Sequence[Any], where: Where, progress: Progress | None,
               label: str, item_seconds: float | None,
               consume: Callable[[int, Any], None] | None) -> list[Any]:
    if not len(items):
        return []
    if where.scheduler:
        pairs = _run_dask(task, items, where.scheduler, _Reporter(len(items), progress, label,
                                                                  " (Dask)"))
    else:
        processes = min(where.processes, len(items))
        if item_seconds is not None and item_seconds * len(items) < SERIAL_BELOW_SECONDS:
            processes = 1
        reporter = _Reporter(len(items), progress, label)
        pairs = _run_serial(task, items, reporter) if processes <= 1 else \
            _run_pool(task, items, processes, reporter)
    if consume is not None:
        for index, result in pairs:
            consume(index, result)
        return []
    return [result for _, result in sorted(pairs, key=lambda pair: pair[0])]


def _run_serial(task: Task, items: Sequence[Any], reporter: _Reporter
                ) -> Iterator[tuple[int, Any]]:
    state = _state(task)
    for index in range(len(items)):
        result = task.run(state, items[index])
        reporter.add(1)
        yield index, result


def _run_pool(task: Task, items: Sequence[Any], processes: int, reporter: _Reporter
              ) -> Iterator[tuple[int, Any]]:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = context.Pool(processes, initializer=_worker_start)
    try:
        work = ((task, chunk) for chunk in _chunks(items, processes * 4))
        for batch in pool.imap_unordered(_pool_chunk, work):
            reporter.add(len(batch))
            yield from batch
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
SCHEDULER_CONNECT_SECONDS = 5.0


def check_scheduler(address: str) -> None:
    """Refuse, before any solving, a --scheduler that cannot work: Dask distributed not
    installed, an address that is not `[tcp://]host:port` (or tls://, ws://, ...), or one
    where nothing answers. Raises UsageError with what to do."""
    from urllib.parse import urlsplit

    from model.domain.errors import UsageError

    try:
        import distributed  # noqa: F401
    except ImportError as exc:  # an optional dependency: say how to get it
        raise UsageError("--scheduler needs Dask distributed, which is not installed: "
                         'python -m pip install ".[cluster]" (or leave out --scheduler to '
                         "solve on this machine's cores)") from exc
    text = address.strip()
    example = "such as tcp://10.0.0.5:8786"
    split = urlsplit(text if "://" in text else f"tcp://{text}")
    try:
        port = split.port
    except ValueError:
        port = None
    if split.scheme not in SCHEDULER_SCHEMES or not split.hostname or port is None \
            or split.path not in ("", "/") or split.query or split.fragment:
        raise UsageError(f'--scheduler "{address}" is not a Dask scheduler address; give '
                         f"[tcp://]host:port, {example}")
    import socket

    try:
        with socket.create_connection((split.hostname, port),
                                      timeout=SCHEDULER_CONNECT_SECONDS):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UsageError(f"--scheduler {address}: no Dask scheduler answers there ({reason}, "
                         f"tried for {SCHEDULER_CONNECT_SECONDS:g} s); start it (dask "
                         "scheduler) or check the address") from exc


def _run_dask(task: Task, items: Sequence[Any], address: Any, reporter: _Reporter
              ) -> Iterator[tuple[int, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # an optional dependency: say how to get it
        from model.domain.errors import UsageError

        raise UsageError("--scheduler needs Dask distributed: python -m pip install "
                         "\".[cluster]\"") from exc
    if isinstance(address, Client):
        client = address
    else:
        try:
            client = Client(address, timeout=f"{SCHEDULER_CONNECT_SECONDS * 6:g}s")
        except (OSError, TimeoutError, ValueError) as exc:
            from model.domain.errors import SolverFailure

            raise SolverFailure(f"the Dask scheduler at {address} stopped answering after the "
                                f"plan was solved ({type(exc).__name__}: {exc}); the plan's "
                                "own solve is done: run again without --scheduler, or restart "
                                "the scheduler") from exc
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        chunks = _chunks(items, workers * 4)
        # A bounded number of chunks in flight: the next is sent as one comes back.
        waiting = as_completed([client.submit(_run_chunk, task, chunk, pure=False)
                                for chunk in itertools.islice(chunks, workers * 8)])
        for future in waiting:
            batch = future.result()
            future.release()
            reporter.add(len(batch))
            following = next(chunks, None)
            if following is not None:
                waiting.add(client.submit(_run_chunk, task, following, pure=False))
            yield from batch
    finally:
        try:
            client.run(_forget, task.key)
        except (OSError, TimeoutError) as exc:  # a lost worker or connection holds nothing
            log.debug("could not release %s: %s", task.key, exc)
        if not isinstance(address, Client):
            client.close()
