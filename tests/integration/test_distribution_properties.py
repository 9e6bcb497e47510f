"""Property tests (hypothesis) of the range arithmetic distribution is built on
(zhtj.services.distribution: free_runs, pick_from_top, subtract, give, merge). Pure: no moto;
kept beside the storage tests of the same feature."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.services.distribution import HeldRange, free_runs, give, merge, pick_from_top, subtract

YEAR, DOMAIN = 2023, "初中"


@st.composite
def holdings(draw: st.DrawFn) -> list[HeldRange]:
    """Disjoint ranges of one holder, some used sequences in each."""
    cuts = sorted(draw(st.sets(st.integers(1, 400), min_size=2, max_size=12)))
    ranges = []
    for first, last in zip(cuts[::2], cuts[1::2], strict=False):
        used = draw(st.sets(st.integers(first, last), max_size=(last - first + 1) // 2))
        ranges.append(HeldRange("p", YEAR, DOMAIN, "32", first, last, frozenset(used)))
    return ranges


def numbers(ranges: list[HeldRange]) -> set[int]:
    return {n for r in ranges for n in range(r.first, r.last + 1)}


@settings(max_examples=300, deadline=None)
@given(parent=holdings(), data=st.data())
def test_moving_unused_numbers_conserves_everything(parent: list[HeldRange], data: st.DataObject) -> None:
    runs = free_runs(parent)
    free = sum(b - a + 1 for a, b in runs)
    count = data.draw(st.integers(0, free))
    moved, fragmented = pick_from_top(runs, count)
    taken = {n for m in moved for n in range(m.first, m.last + 1)}
    used = {n for r in parent for n in r.used}
    assert len(taken) == sum(m.size for m in moved) == count
    assert not taken & used  # only unused numbers move
    assert taken <= numbers(parent)
    if any(b - a + 1 >= count for a, b in runs) and count:
        assert not fragmented and len(moved) == 1
        best = max((run for run in runs if run[1] - run[0] + 1 >= count), key=lambda run: run[1])
        assert moved[0].last == best[1]  # from the top of the highest run that is long enough
    left = subtract(parent, moved)
    received = give("c", [], moved, parent[0])
    assert numbers(left) | taken == numbers(parent) and not numbers(left) & taken
    assert {n for r in left for n in r.used} == used  # used numbers stay where they were
    assert numbers(received) == taken and all(not r.used for r in received)
    back = give("p", left, moved, parent[0])  # giving everything back restores the holding
    assert numbers(back) == numbers(parent) and {n for r in back for n in r.used} == used
    assert back == merge(parent)


@settings(max_examples=200, deadline=None)
@given(parent=holdings())
def test_merge_joins_only_adjacent_ranges(parent: list[HeldRange]) -> None:
    merged = merge(parent)
    assert numbers(merged) == numbers(parent)
    for a, b in itertools.pairwise(merged):
        assert a.last + 1 < b.first
