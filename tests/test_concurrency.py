"""Two pieces of work side by side: both results, in order, and either one's error."""

from __future__ import annotations

import threading

import polars as pl
import pytest

from revcli.concurrency import in_halves, side_by_side


def test_side_by_side_runs_the_other_on_a_second_thread_and_returns_both_in_order() -> None:
    here = threading.get_ident()
    other, mine = side_by_side(threading.get_ident, threading.get_ident)
    assert mine == here and other != here


@pytest.mark.parametrize("failing", ["other", "here"])
def test_an_error_of_either_is_raised_after_both_have_ended(failing: str) -> None:
    ended: list[str] = []

    def work(name: str) -> str:
        if name == failing:
            raise ValueError(name)
        ended.append(name)
        return name

    with pytest.raises(ValueError, match=failing):
        side_by_side(lambda: work("other"), lambda: work("here"))
    assert ended == [n for n in ("other", "here") if n != failing]


def test_in_halves_gives_the_first_half_then_the_second() -> None:
    frame = pl.DataFrame({"n": [1, 2, 3, 4, 5]})
    first, second = in_halves(frame, lambda part: part.get_column("n").to_list())
    assert (first, second) == ([1, 2], [3, 4, 5])
