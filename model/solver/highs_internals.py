"""The one place the planner reaches into highspy's private API.

highspy's threaded `Highs.solve` releases the worker threads HiGHS starts from a thread by
calling the private `highspy._Highs.resetThreadScheduler(True)` when the solve ends. The
planner solves in a thread of its own (so Ctrl-C can interrupt the simplex), so it must do the
same, or HiGHS's workers are left running at exit. tests/test_library_contracts.py fails loudly
when a highspy release renames or drops it.
"""

from __future__ import annotations

import highspy


def release_thread_workers() -> None:
    """Let go of the worker threads HiGHS started from the calling thread."""
    highspy._Highs.resetThreadScheduler(True)


def run_and_release(highs: highspy.Highs) -> None:
    """Solve in this (worker) thread, then let go of the worker threads HiGHS started from it
    (as highspy's own threaded solve does), so that none is left running at exit."""
    try:
        highs.run()
    finally:
        release_thread_workers()
