from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.domain.errors import InvalidOrganisation, NotAuthorised
from zhtj.domain.glossary import Industry, OrgKind, Role
from zhtj.domain.orgs import (
    ALLOWED_CHILDREN,
    FIXED_FIELDS,
    Organisation,
    Principal,
    can_administer,
    check_update,
    is_within,
    nearest_committee,
    new_child,
    new_root,
    path_key,
    require_administers,
)

PROVINCE = new_root("32", "共青团江苏省委员会", "团省委")
CITY = new_child(
    PROVINCE,
    org_id="3201",
    name="共青团南京市委员会",
    short_name="团南京市委",
    kind=OrgKind.CITY,
    industry=None,
)
COUNTY = new_child(
    CITY,
    org_id="320102",
    name="共青团南京市玄武区委员会",
    short_name="团玄武区委",
    kind=OrgKind.COUNTY,
    industry=None,
)
SCHOOL_COMMITTEE = new_child(
    COUNTY,
    org_id="s1",
    name="共青团南京市第九中学委员会",
    short_name="九中团委",
    kind=OrgKind.COMMITTEE,
    industry=Industry.COMPLETE_SECONDARY,
)
GRADE_GENERAL_BRANCH = new_child(
    SCHOOL_COMMITTEE,
    org_id="s1g3",
    name="初三年级团总支",
    short_name="初三团总支",
    kind=OrgKind.GENERAL_BRANCH,
    industry=None,
)
CLASS_BRANCH = new_child(
    GRADE_GENERAL_BRANCH,
    org_id="s1g3c1",
    name="初三（1）班团支部",
    short_name="初三1班",
    kind=OrgKind.BRANCH,
    industry=Industry.COMPLETE_SECONDARY,
)
VILLAGE_BRANCH = new_child(
    COUNTY, org_id="v1", name="某村团支部", short_name="某村", kind=OrgKind.BRANCH, industry=Industry.RURAL
)
CHAIN = (PROVINCE, CITY, COUNTY, SCHOOL_COMMITTEE, GRADE_GENERAL_BRANCH, CLASS_BRANCH)


def org_error(excinfo: pytest.ExceptionInfo[InvalidOrganisation]) -> tuple[str, str | None]:
    return excinfo.value.code, excinfo.value.field


def test_the_tree_records_parent_and_path() -> None:
    assert PROVINCE.kind is OrgKind.PROVINCE and PROVINCE.parent_id is None and PROVINCE.path == ("32",)
    assert CLASS_BRANCH.parent_id == "s1g3"
    assert CLASS_BRANCH.path == ("32", "3201", "320102", "s1", "s1g3", "s1g3c1")
    assert CLASS_BRANCH.path_key == "32/3201/320102/s1/s1g3/s1g3c1/"


@pytest.mark.parametrize("parent_kind", list(OrgKind))
@pytest.mark.parametrize("child_kind", list(OrgKind))
def test_only_allowed_kinds_can_be_created_under_a_parent(parent_kind: OrgKind, child_kind: OrgKind) -> None:
    parent = _organisation_of_kind(parent_kind)
    industry = Industry.RURAL if child_kind is OrgKind.BRANCH else None
    if child_kind in ALLOWED_CHILDREN[parent_kind]:
        child = new_child(
            parent, org_id="child", name="下级组织", short_name="下级", kind=child_kind, industry=industry
        )
        assert child.kind is child_kind and child.path == (*parent.path, "child")
    else:
        with pytest.raises(InvalidOrganisation) as caught:
            new_child(
                parent, org_id="child", name="下级组织", short_name="下级", kind=child_kind, industry=industry
            )
        assert org_error(caught) == ("kind_not_allowed", "kind")
        assert parent_kind.value in caught.value.message


def test_allowed_children_follow_the_brief() -> None:
    units = {OrgKind.COMMITTEE, OrgKind.WORK_COMMITTEE}
    assert ALLOWED_CHILDREN[OrgKind.PROVINCE] == {OrgKind.CITY} | units
    assert ALLOWED_CHILDREN[OrgKind.CITY] == {OrgKind.COUNTY} | units
    for kind in (OrgKind.COUNTY, OrgKind.COMMITTEE, OrgKind.WORK_COMMITTEE):
        assert ALLOWED_CHILDREN[kind] == units | {OrgKind.GENERAL_BRANCH, OrgKind.BRANCH}
    assert ALLOWED_CHILDREN[OrgKind.GENERAL_BRANCH] == {OrgKind.BRANCH}
    assert ALLOWED_CHILDREN[OrgKind.BRANCH] == frozenset()
    assert set(ALLOWED_CHILDREN) == set(OrgKind)


def test_a_branch_is_a_leaf_and_says_so() -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        new_child(
            CLASS_BRANCH, org_id="x", name="x", short_name="x", kind=OrgKind.BRANCH, industry=Industry.RURAL
        )
    assert "不能创建下级组织" in caught.value.message


def test_a_branch_needs_an_industry_other_kinds_may_have_one() -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        new_child(
            COUNTY, org_id="b", name="某团支部", short_name="某支部", kind=OrgKind.BRANCH, industry=None
        )
    assert org_error(caught) == ("industry_required", "industry")
    assert SCHOOL_COMMITTEE.industry is Industry.COMPLETE_SECONDARY
    assert GRADE_GENERAL_BRANCH.industry is None


@pytest.mark.parametrize(
    ("name", "short_name", "expected"),
    [
        ("", "简称", ("name_empty", "name")),
        (" \u3000", "简称", ("name_empty", "name")),
        ("全" * 61, "简称", ("name_too_long", "name")),
        ("全称", "", ("short_name_empty", "short_name")),
        ("全称", "简" * 21, ("short_name_too_long", "short_name")),
    ],
)
def test_names_must_be_present_and_bounded(name: str, short_name: str, expected: tuple[str, str]) -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        new_child(COUNTY, org_id="c", name=name, short_name=short_name, kind=OrgKind.COMMITTEE, industry=None)
    assert org_error(caught) == expected
    with pytest.raises(InvalidOrganisation) as caught:
        new_root("r", name, short_name)
    assert org_error(caught) == expected


def test_names_at_the_limits_are_accepted_and_stored_trimmed() -> None:
    org = new_child(
        COUNTY,
        org_id="c",
        name=" " + "全" * 60 + " ",
        short_name="简" * 20,
        kind=OrgKind.COMMITTEE,
        industry=None,
    )
    assert org.name == "全" * 60 and org.short_name == "简" * 20


@pytest.mark.parametrize("org_id", ["", "32/01", "a b", "x" * 65])
def test_org_ids_must_be_safe_in_a_path_key(org_id: str) -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        new_child(
            COUNTY, org_id=org_id, name="全称", short_name="简称", kind=OrgKind.COMMITTEE, industry=None
        )
    assert org_error(caught) == ("org_id_invalid", "org_id")
    with pytest.raises(InvalidOrganisation):
        new_root(org_id, "全称", "简称")


def test_an_org_id_already_on_the_path_is_refused() -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        new_child(
            COUNTY, org_id="3201", name="全称", short_name="简称", kind=OrgKind.COMMITTEE, industry=None
        )
    assert caught.value.code == "org_id_cycle"


def test_an_inconsistent_record_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        Organisation("a", "n", "s", OrgKind.BRANCH, "p", ("p", "b"), Industry.RURAL)  # path ends elsewhere
    with pytest.raises(ValueError):
        Organisation("a", "n", "s", OrgKind.BRANCH, "q", ("p", "a"), Industry.RURAL)  # wrong parent
    with pytest.raises(ValueError):
        Organisation("a", "n", "s", OrgKind.PROVINCE, None, (), None)


@pytest.mark.parametrize("field", FIXED_FIELDS)
def test_fixed_fields_cannot_change(field: str) -> None:
    new_values: dict[str, object] = {
        "name": "新名称",
        "short_name": "新简称",
        "kind": OrgKind.GENERAL_BRANCH,
        "industry": Industry.HIGH_SCHOOL,
    }
    with pytest.raises(InvalidOrganisation) as caught:
        check_update(CLASS_BRANCH, {field: new_values[field]})
    assert org_error(caught) == ("field_fixed", field)
    assert "创建后不可修改" in caught.value.message


def test_sending_fixed_fields_unchanged_and_other_fields_is_fine() -> None:
    check_update(
        CLASS_BRANCH,
        {
            "name": CLASS_BRANCH.name,
            "short_name": CLASS_BRANCH.short_name,
            "kind": "团支部",  # the enum's value is the same thing
            "industry": Industry.COMPLETE_SECONDARY,
            "contact_phone": "025-83393560",
        },
    )


@pytest.mark.parametrize(("field", "value"), [("org_id", "other"), ("parent_id", "3201"), ("path", ("32",))])
def test_the_place_in_the_tree_cannot_be_edited(field: str, value: object) -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        check_update(CLASS_BRANCH, {field: value})
    assert caught.value.code == "field_structural"


def test_path_keys_never_match_a_sibling_with_a_longer_id() -> None:
    assert path_key(("32", "3")) == "32/3/"
    assert not path_key(("32", "31")).startswith(path_key(("32", "3")))
    assert path_key(("32", "3", "9")).startswith(path_key(("32", "3")))
    with pytest.raises(ValueError):
        path_key(())


def test_is_within() -> None:
    assert is_within(CLASS_BRANCH.path, CLASS_BRANCH.path)
    assert is_within(CLASS_BRANCH.path, COUNTY.path)
    assert is_within(CLASS_BRANCH.path, PROVINCE.path)
    assert not is_within(COUNTY.path, CLASS_BRANCH.path)  # an ancestor is not inside
    assert not is_within(VILLAGE_BRANCH.path, SCHOOL_COMMITTEE.path)  # a cousin neither
    assert not is_within(("32", "31"), ("32", "3"))
    assert not is_within(CLASS_BRANCH.path, ())  # an empty path never means "everything"
    assert is_within(list(CLASS_BRANCH.path), list(COUNTY.path))  # any sequence


def test_nearest_committee_is_strictly_above_the_organisation() -> None:
    assert nearest_committee(CHAIN) is SCHOOL_COMMITTEE  # branch under a general branch
    assert nearest_committee(CHAIN[:-1]) is SCHOOL_COMMITTEE  # the general branch itself
    assert nearest_committee(CHAIN[:4]) is COUNTY  # a committee is approved by the one above
    assert nearest_committee((PROVINCE, CITY, COUNTY, VILLAGE_BRANCH)) is COUNTY
    assert nearest_committee((PROVINCE, CITY)) is PROVINCE
    assert nearest_committee((PROVINCE,)) is None
    assert nearest_committee(()) is None


def test_nearest_committee_refuses_a_broken_chain() -> None:
    with pytest.raises(ValueError):
        nearest_committee((PROVINCE, COUNTY, VILLAGE_BRANCH))


def admin_of(org: Organisation) -> Principal:
    return Principal(username=f"admin-{org.org_id}", org_id=org.org_id, org_path=org.path, role=Role.ADMIN)


def test_an_admin_administers_its_own_subtree_only() -> None:
    county_admin = admin_of(COUNTY)
    assert can_administer(county_admin, COUNTY.path)
    assert can_administer(county_admin, CLASS_BRANCH.path)
    assert not can_administer(county_admin, CITY.path)
    assert not can_administer(admin_of(SCHOOL_COMMITTEE), VILLAGE_BRANCH.path)
    assert can_administer(admin_of(PROVINCE), VILLAGE_BRANCH.path)
    require_administers(county_admin, CLASS_BRANCH.path)
    with pytest.raises(NotAuthorised) as caught:
        require_administers(admin_of(CLASS_BRANCH), GRADE_GENERAL_BRANCH.path)
    assert caught.value.code == "forbidden"
    assert caught.value.message.startswith("您无权管理该组织")


def test_a_principal_must_be_bound_to_the_end_of_its_path() -> None:
    with pytest.raises(ValueError):
        Principal(username="u", org_id="3201", org_path=("32",), role=Role.ADMIN)
    with pytest.raises(ValueError):
        Principal(username="u", org_id="32", org_path=(), role=Role.ADMIN)


org_ids = st.text(alphabet="0123456789ab", min_size=1, max_size=3)
paths = st.lists(org_ids, min_size=1, max_size=5).map(tuple)


@settings(database=None, max_examples=300)
@given(path=paths, ancestor=paths)
def test_is_within_agrees_with_a_prefix_query_on_path_keys(
    path: tuple[str, ...], ancestor: tuple[str, ...]
) -> None:
    assert is_within(path, ancestor) == path_key(path).startswith(path_key(ancestor))


def _organisation_of_kind(kind: OrgKind) -> Organisation:
    by_kind = {org.kind: org for org in (*CHAIN, VILLAGE_BRANCH)}
    if kind in by_kind:
        return by_kind[kind]
    return new_child(COUNTY, org_id="wc", name="某团工委", short_name="团工委", kind=kind, industry=None)
