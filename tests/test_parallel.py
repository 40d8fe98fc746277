"""Task state lives only while `run_tasks` runs, under a key no other task shares."""

from __future__ import annotations

import pytest

from model.analyses import parallel
from model.analyses.parallel import Task, Where, run_tasks, task_key


class Square(Task):
    """Squares items plus an offset its set-up computes (the set-up counts its calls)."""

    def __init__(self, fail_on: int | None = None):
        self.key = task_key("square")
        self.fail_on = fail_on

    def setup(self):
        return {"offset": 10}

    def run(self, state, item):
        if item == self.fail_on:
            raise ValueError(f"item {item}")
        return item * item + state["offset"]


def test_keys_are_fresh_tokens_not_object_ids():
    first, second = Square(), Square()
    assert first.key != second.key
    assert str(id(first)) not in first.key
    assert first.key.startswith("square ")


@pytest.mark.parametrize("workers", [1, 2])
def test_nothing_is_held_after_run_tasks(workers):
    task = Square()
    # 1 + 10, 4 + 10, 9 + 10
    assert run_tasks(task, [1, 2, 3], Where(workers)) == [11, 14, 19]
    assert task.key not in parallel._STATES
    assert parallel._STATES == {}


def test_a_state_handed_in_is_used_and_then_released():
    task = Square()
    assert run_tasks(task, [2], Where(1), state={"offset": 100}) == [104]
    assert parallel._STATES == {}
    assert run_tasks(task, [], Where(1), state={"offset": 100}) == []
    assert parallel._STATES == {}


def test_a_failing_item_still_releases_the_state():
    task = Square(fail_on=2)
    with pytest.raises(ValueError, match="item 2"):
        run_tasks(task, [1, 2, 3], Where(1))
    assert parallel._STATES == {}
