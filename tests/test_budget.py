"""Time budgets interrupt work that runs past them, also inside another budget."""

from __future__ import annotations

import pytest

from storyplan.budget import OutOfTime, time_budget


def spin() -> None:
    while True:
        pass


def test_work_past_its_budget_is_interrupted() -> None:
    with pytest.raises(OutOfTime), time_budget(0.2):
        spin()


def test_an_inner_budget_ends_where_the_outer_one_does() -> None:
    with pytest.raises(OutOfTime), time_budget(0.2), time_budget(60):
        spin()


def quick_then_spin() -> None:
    with time_budget(60):
        pass
    spin()


def test_the_outer_budget_still_holds_after_an_inner_one_ends() -> None:
    with pytest.raises(OutOfTime), time_budget(0.3):
        quick_then_spin()


def test_work_within_its_budget_runs_to_the_end() -> None:
    with time_budget(60):
        total = sum(range(1000))
    assert total == 499500
