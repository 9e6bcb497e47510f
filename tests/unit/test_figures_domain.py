"""Pure figures rules (zhtj.domain.figures) and the consumer's batching (zhtj.services.figures)
with an in-memory store: deltas OLD → NEW, due dates, milestones, 团青比, chunks within the
100-item transaction limit, exactly-once with watermarks, failure reporting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from zhtj.domain import figures as rules
from zhtj.domain.allocation import DomainFigures
from zhtj.domain.glossary import Domain
from zhtj.services import archives
from zhtj.services import figures as service


def member(state: str = "尚未认证", path: tuple[str, ...] = ("32", "3201", "b1"), month: int = 4,
           domain: str = "初中", member_id: str = "m1") -> dict[str, Any]:
    return {"pk": f"MEMBER#{member_id}", "sk": "MEMBER", "join_year": 2023, "join_month": month, "domain": domain,
            "branch_path": list(path), "archive_state": state, "archive_version": 0 if state == "尚未认证" else 1}


def test_an_insert_counts_in_every_ancestor() -> None:
    d = rules.delta(None, member())
    assert set(d) == {(2023, "初中", "32"), (2023, "初中", "3201"), (2023, "初中", "b1")}
    assert d[(2023, "初中", "32")] == {"entered": 1, "not_certified": 1, "entered_m04": 1, "nc_m04": 1}


def test_a_state_change_moves_one_count() -> None:
    d = rules.delta(member(), member("待审批"))
    assert d[(2023, "初中", "b1")] == {"not_certified": -1, "nc_m04": -1, "pending": 1}
    certified = rules.delta(member("待审批"), member("团员身份已认证"))
    assert certified[(2023, "初中", "32")] == {"pending": -1, "certified": 1}
    assert rules.delta(member("认证不通过"), member("认证不通过")) == {}  # e.g. a name change


def test_a_transfer_moves_the_member_between_subtrees_and_a_deletion_subtracts() -> None:
    d = rules.delta(member("团员身份已认证"), member("团员身份已认证", path=("32", "3205", "b9")))
    assert (2023, "初中", "32") not in d  # the common ancestor keeps it
    assert d[(2023, "初中", "3201")]["entered"] == -1 and d[(2023, "初中", "3205")]["entered"] == 1
    assert rules.delta(member(), None)[(2023, "初中", "b1")]["entered"] == -1


def test_other_items_count_nothing() -> None:
    assert rules.delta(None, {"pk": "MEMBER#m1", "sk": "ARCHIVE#0001", "version": 1}) == {}
    assert rules.delta(None, {"pk": "QUOTA#2023#初中", "sk": "ORG#32", "used": 1}) == {}


@pytest.mark.parametrize("month", range(1, 13))
def test_due_dates_agree_with_the_archive_service(month: int) -> None:
    assert rules.archive_due_date(2024, month) == archives.due_date(2024, month)


def test_overdue_from_the_per_month_counters() -> None:
    counts = rules.Counts.from_counters({"entered": 3, "not_certified": 3, "nc_m03": 1, "nc_m04": 2})
    assert counts.overdue(2023, date(2023, 4, 30)) == 0  # March is due on 4月30日 itself
    assert counts.overdue(2023, date(2023, 5, 1)) == 1
    assert counts.overdue(2023, date(2023, 5, 31)) == 3


def test_milestones_are_due_from_their_day_and_compared_exactly() -> None:
    half = Fraction(1, 2)
    just_below = Fraction(499, 1000)
    assert rules.standing(rules.MILESTONES[0], "usage", half, 2023, date(2023, 6, 29)).standing == "on_track"
    assert rules.standing(rules.MILESTONES[0], "usage", just_below, 2023, date(2023, 6, 29)).standing == "open"
    assert rules.standing(rules.MILESTONES[0], "usage", half, 2023, date(2023, 6, 30)).standing == "met"
    assert rules.standing(rules.MILESTONES[0], "usage", just_below, 2023, date(2023, 6, 30)).standing == "missed"
    late = rules.standing(rules.MILESTONES[1], "usage", Fraction(99, 100), 2023, date(2023, 12, 10))
    assert late.standing == "missed"
    assert rules.standing(rules.MILESTONES[1], "completeness", None, 2023, date(2024, 1, 1)).standing == "no_data"


def test_youth_ratio_before_after_and_guidance() -> None:
    high = rules.youth_ratio(Domain.HIGH_SCHOOL, DomainFigures(youth=1000, members=250), new_members=60, plan=80)
    assert high is not None
    assert (high.before, high.after, high.with_plan) == (Fraction(1, 4), Fraction(31, 100), Fraction(33, 100))
    assert high.within_guidance is False  # above 30 % (notice §二.2)
    vocational = rules.youth_ratio(Domain.SECONDARY_VOCATIONAL, DomainFigures(youth=100, members=10), 6, 10)
    assert vocational is not None and vocational.within_guidance is True  # 16 % within 15–20 %
    assert rules.youth_ratio(Domain.SOCIAL, DomainFigures(), 3, 3) is None  # no figures given


def test_missing_units_are_sorted_worst_first() -> None:
    def unit(org_id: str, plan: int, used: int) -> rules.UnitProgress:
        return rules.UnitProgress(org_id, 2023, (rules.DomainProgress(Domain.JUNIOR_HIGH, plan, used, rules.Counts()),))

    units = [unit("a", 10, 4), unit("b", 10, 1), unit("c", 10, 9), unit("d", 10, 4)]
    ranked = rules.sort_missing([(u, rules.misses(u.standings(date(2023, 7, 1)))) for u in units])
    assert [u.org_id for u, _ in ranked] == ["b", "a", "d"]


# ---------------------------------------------------------------- the consumer
class FakeStore:
    def __init__(self, fail: int = 0) -> None:
        self.counters_: dict[tuple[int, str, str], dict[str, int]] = {}
        self.marks: dict[str, str] = {}
        self.transactions: list[int] = []
        self.fail = fail

    def watermarks(self, member_ids: Sequence[str]) -> dict[str, str]:
        return {m: self.marks[m] for m in member_ids if m in self.marks}

    def apply(self, deltas: Mapping[tuple[int, str, str], Mapping[str, int]], marks: Mapping[str, tuple[str, str]],
              *, expires_at: int) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("throttled")
        if any(self.marks.get(m, "") >= first for m, (first, _) in marks.items()):
            raise service.WatermarkConflict()
        assert len(deltas) + len(marks) <= service.TRANSACTION_LIMIT
        self.transactions.append(len(deltas) + len(marks))
        rules.merge(self.counters_, deltas)  # type: ignore[arg-type]
        self.marks.update({m: last for m, (_, last) in marks.items()})


def records(n: int, start: int = 1, branches: int = 1) -> list[service.StreamRecord]:
    return [service.StreamRecord(str(1000 + start + i), {"pk": f"MEMBER#m{start + i}", "sk": "MEMBER"}, None,
                                 member(path=("32", f"c{(start + i) % branches}", f"b{(start + i) % branches}"),
                                        member_id=f"m{start + i}"))
            for i in range(n)]


def test_a_batch_is_one_transaction_and_a_replay_changes_nothing() -> None:
    store = FakeStore()
    batch = records(40)
    result = service.consume(batch, store)
    assert result.transactions == 1 and result.failed_from is None
    assert store.counters_[(2023, "初中", "32")]["entered"] == 40
    again = service.consume(batch, store)
    assert again.transactions == 0 and again.skipped_duplicates == 40
    assert store.counters_[(2023, "初中", "32")]["entered"] == 40


def test_chunks_stay_within_the_transaction_limit() -> None:
    store = FakeStore()
    result = service.consume(records(150, branches=50), store)  # 101 counters + 150 watermarks
    assert result.transactions == len(store.transactions) > 1
    assert all(n <= 100 for n in store.transactions)
    assert store.counters_[(2023, "初中", "32")]["entered"] == 150


def test_a_failure_reports_the_first_record_not_applied() -> None:
    store = FakeStore(fail=3)
    batch = records(5)
    result = service.consume(batch, store)
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": batch[0].sequence}]}
    assert store.counters_ == {}
    assert service.consume(batch, store).response() == {"batchItemFailures": []}  # the retry
    assert store.counters_[(2023, "初中", "32")]["entered"] == 5


def test_youth_figures_come_from_the_allocation_units() -> None:
    from infra.demo.jiangsu_2023 import demo_units

    units = demo_units()
    entries = service.youth_entries(2023, units)
    nanjing = next(u for u in units if u.unit_id == "3201")
    assert (2023, "初中", "3201", nanjing.of(Domain.JUNIOR_HIGH)) in entries
    assert len(entries) == sum(len(u.figures) for u in units)
