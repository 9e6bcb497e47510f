"""Largest remainder (Hamilton): exact sums, the quota property, the documented tie-break."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhtj.domain.allocation import apportion_largest_remainder

weights_lists = st.lists(st.integers(0, 10**9), min_size=1, max_size=60).filter(lambda ws: sum(ws) > 0)


@given(total=st.integers(0, 10**6), weights=weights_lists)
def test_parts_sum_exactly_and_each_is_its_exact_share_rounded_down_or_up(total: int, weights: list[int]) -> None:
    parts = apportion_largest_remainder(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert exact - 1 < part < exact + 1  # ⌊exact⌋ ≤ part ≤ ⌈exact⌉
        if weight == 0:
            assert part == 0


@given(total=st.integers(0, 10**5), weights=weights_lists)
def test_larger_remainders_win_the_places_left(total: int, weights: list[int]) -> None:
    parts = apportion_largest_remainder(total, weights)
    weight_sum = sum(weights)
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    raised = [i for i, (p, f) in enumerate(zip(parts, floors, strict=True)) if p > f]
    kept = [i for i, (p, f) in enumerate(zip(parts, floors, strict=True)) if p == f]
    for winner in raised:
        for loser in kept:
            # the winner's remainder is larger, or equal and it comes first (smaller unit id)
            assert (remainders[winner], -winner) > (remainders[loser], -loser)


def test_equal_remainders_go_to_the_earlier_position() -> None:
    assert apportion_largest_remainder(1, [1, 1, 1]) == [1, 0, 0]
    assert apportion_largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    assert apportion_largest_remainder(5, [3, 3]) == [3, 2]


def test_zero_total_and_refusals() -> None:
    assert apportion_largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        apportion_largest_remainder(3, [0, 0])
    with pytest.raises(ValueError):
        apportion_largest_remainder(-1, [1])
    with pytest.raises(ValueError):
        apportion_largest_remainder(1, [1, -1])
