"""Member placement rules with in-memory ports (no network, no moto)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.unit.fakes import InMemoryStore
from zhtj.domain.errors import AdmissionRefused, NotAuthorised, QuotaExceeded, SegmentError
from zhtj.domain.glossary import Domain, Industry, OrgKind, Role
from zhtj.domain.ids import resident_id_check_character
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import Principal, new_child, new_root
from zhtj.services.errors import Conflict
from zhtj.services.members import EntryRejected, HeldSegment, entry_from_form, register_member

TODAY = date(2023, 5, 1)
NOW = datetime(2023, 5, 1, 9, 0, tzinfo=UTC)
SECRET = b"unit-test-secret-unit-test-secret"


def rid(order: int, birth: str = "20080105") -> str:
    body = f"320102{birth}{order * 2 + 1:03d}"
    return body + resident_id_check_character(body)


@pytest.fixture
def store() -> InMemoryStore:
    s = InMemoryStore()
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="南京市团委", short_name="南京市团委", kind=OrgKind.CITY,
                     industry=None)
    county = new_child(city, org_id="320102", name="玄武区团委", short_name="玄武区团委", kind=OrgKind.COUNTY,
                       industry=None)
    school = new_child(county, org_id="s1", name="某初级中学团委", short_name="某初中团委", kind=OrgKind.COMMITTEE,
                       industry=Industry.JUNIOR_HIGH)
    branch = new_child(school, org_id="b1", name="初三（1）班团支部", short_name="初三1班", kind=OrgKind.BRANCH,
                       industry=Industry.JUNIOR_HIGH)
    other = new_child(province, org_id="3205", name="苏州市团委", short_name="苏州市团委", kind=OrgKind.CITY,
                      industry=None)
    s.add_many([province, city, county, school, branch, other])
    s.segments.append(HeldSegment("s1", Segment(2023, Domain.JUNIOR_HIGH, "32", 1, 3)))
    s.quotas[(2023, "初中", "s1")] = {"quota": 3, "used": 0}
    s.quotas[(2023, "初中", "320102")] = {"quota": 2, "used": 0}
    return s


def admin(org_id: str, path: tuple[str, ...]) -> Principal:
    return Principal(username="u", org_id=org_id, org_path=path, role=Role.ADMIN)


def form(order: int, number: str, **extra: str) -> dict[str, str]:
    return {"姓名": "王小明", "身份证号码": rid(order), "性别": "男", "民族": "汉族", "政治面貌": "共青团员",
            "入团年月": "2023-04", "发展团员编号": number, "在读状况": "初中在读", "全日制学历": "初中",
            "手机号码": "13912345678", **extra}


def enter(store: InMemoryStore, principal: Principal, order: int, number: str, branch: str = "b1") -> str:
    return register_member(principal, branch, entry_from_form(form(order, number), TODAY), orgs=store,
                           ledger=store, secret=SECRET, now=NOW)


SCHOOL = admin("s1", ("32", "3201", "320102", "s1"))


def test_member_is_counted_by_every_quota_holder_of_the_ancestry(store: InMemoryStore) -> None:
    enter(store, SCHOOL, 1, "202332000001")
    assert store.quotas[(2023, "初中", "s1")]["used"] == 1
    assert store.quotas[(2023, "初中", "320102")]["used"] == 1


def test_the_tightest_quota_in_the_ancestry_binds(store: InMemoryStore) -> None:
    enter(store, SCHOOL, 1, "202332000001")
    enter(store, SCHOOL, 2, "202332000002")
    with pytest.raises(QuotaExceeded):  # the county's plan (2) is used up before the school's (3)
        enter(store, SCHOOL, 3, "202332000003")


def test_number_outside_the_ancestrys_segments_is_refused(store: InMemoryStore) -> None:
    with pytest.raises(SegmentError) as caught:
        enter(store, SCHOOL, 1, "202332000004")
    assert caught.value.code == "number_not_in_segment" and caught.value.field == "发展团员编号"


def test_only_a_branch_takes_members(store: InMemoryStore) -> None:
    with pytest.raises(AdmissionRefused) as caught:
        enter(store, SCHOOL, 1, "202332000001", branch="s1")
    assert caught.value.code == "not_a_branch"


def test_outside_the_subtree_is_refused_before_anything_else(store: InMemoryStore) -> None:
    with pytest.raises(NotAuthorised):
        enter(store, admin("3205", ("32", "3205")), 1, "202332000001")
    assert store.members == {}


def test_same_person_twice_is_a_conflict_and_uses_no_quota(store: InMemoryStore) -> None:
    enter(store, SCHOOL, 1, "202332000001")
    with pytest.raises(Conflict):
        enter(store, SCHOOL, 1, "202332000002")
    assert store.quotas[(2023, "初中", "s1")]["used"] == 1


def test_form_errors_are_collected_per_field() -> None:
    with pytest.raises(EntryRejected) as caught:
        entry_from_form(form(1, "202232000001", 手机号码="12", 民族="火星族"), TODAY)
    fields = {e.field for e in caught.value.errors}
    assert {"发展团员编号", "手机号码", "民族"} <= fields
    assert all(not e.message.startswith("第") for e in caught.value.errors)


def test_unknown_form_fields_are_refused() -> None:
    from zhtj.services.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        entry_from_form({**form(1, "202332000001"), "admin": "yes"}, TODAY)
