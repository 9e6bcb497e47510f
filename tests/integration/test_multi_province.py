"""Two provinces in one deployment never mix (issue 10.4): each province is its own root of
the organisation tree, every subtree key carries its root, and number segments carry the
province code, so an admin of one province can neither see nor use the other's data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhtj.bootstrap import Container
from zhtj.domain.errors import NotAuthorised, SegmentError
from zhtj.domain.glossary import Domain, Industry, OrgKind, Role
from zhtj.domain.ids import resident_id_check_character
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import Principal, new_child, new_root
from zhtj.services import member_search, members, organisations

NOW = datetime(2023, 5, 1, tzinfo=UTC)


def _rid(prefix: str, order: int) -> str:
    body = f"{prefix}20080105{order * 2 + 1:03d}"
    return body + resident_id_check_character(body)


def _form(resident_id: str, number: str) -> dict[str, str]:
    return {"姓名": "两省测试", "身份证号码": resident_id, "性别": "男", "民族": "汉族", "政治面貌": "共青团员",
            "入团年月": "2023-04", "发展团员编号": number, "全日制学历": "普通高中", "手机号码": "13912345678"}


@pytest.fixture
def provinces(container: Container) -> dict[str, Principal]:
    store = container.store
    admins = {}
    for code, name in (("32", "共青团江苏省委"), ("33", "共青团浙江省委")):
        root = new_root(code, name, "团省委")
        city = new_child(root, org_id=f"{code}01", name=f"{name}某市团委", short_name="某市团委", kind=OrgKind.CITY,
                         industry=None)
        county = new_child(city, org_id=f"{code}0102", name=f"{name}某区团委", short_name="某区团委",
                           kind=OrgKind.COUNTY, industry=None)
        branch = new_child(county, org_id=f"b{code}", name=f"{name}某社区团支部", short_name="社区团支部",
                           kind=OrgKind.BRANCH, industry=Industry.URBAN_COMMUNITY)
        store.add_many([root, city, county, branch])
        store.add_segment(county.org_id, Segment(2023, Domain.SOCIAL, code, 1, 100))
        store.set_quota(2023, "社会", county.org_id, 100)
        admins[code] = Principal(username=f"admin{code}", org_id=code, org_path=(code,), role=Role.ADMIN)
    return admins


def test_each_province_administers_only_its_own_tree(container: Container, provinces) -> None:
    store = container.store
    assert organisations.get_organisation(provinces["33"], "33", store).name == "共青团浙江省委"
    with pytest.raises(NotAuthorised):
        organisations.get_organisation(provinces["33"], "3201", store)
    assert {o.org_id for o in store.subtree(store.get("32"))} == {"32", "3201", "320102", "b32"}


def test_members_and_numbers_stay_in_their_province(container: Container, provinces) -> None:
    store, secret = container.store, container.settings.id_hash_key.encode()
    today = NOW.date()
    jiangsu_member = members.register_member(
        provinces["32"], "b32", members.entry_from_form(_form(_rid("320102", 1), "202332000001"), today),
        orgs=store, ledger=store, secret=secret, now=NOW)
    # A Zhejiang branch cannot use a Jiangsu number (the segment carries province 32) …
    with pytest.raises(SegmentError):
        members.register_member(
            provinces["33"], "b33", members.entry_from_form(_form(_rid("330102", 2), "202332000002"), today),
            orgs=store, ledger=store, secret=secret, now=NOW)
    # … nor enter members into a Jiangsu branch.
    with pytest.raises(NotAuthorised):
        members.register_member(
            provinces["33"], "b32", members.entry_from_form(_form(_rid("330102", 3), "202332000003"), today),
            orgs=store, ledger=store, secret=secret, now=NOW)
    zhejiang_root = store.get("33")
    assert zhejiang_root is not None
    for query in (_rid("320102", 1), "202332000001", "两省测试"):
        assert member_search.search(provinces["33"], zhejiang_root, query, store, secret=secret, today=today) == []
    jiangsu_root = store.get("32")
    assert jiangsu_root is not None
    found = member_search.search(provinces["32"], jiangsu_root, "两省测试", store, secret=secret, today=today)
    assert [m["member_id"] for m in found] == [jiangsu_member]
    page, _ = store.members_under(zhejiang_root)
    assert page == []
