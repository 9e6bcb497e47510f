"""Distribution down the tree against moto (tables from template.yaml): a committee divides its
quota and numbers among its direct children (notice §一.2, §三.2). The helpers at the top (a
small tree with a 2023 plan, registration through the real use case, the invariants of the
storage design) are shared with test_distribution_concurrency.py."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.integration.tables import raw_items
from zhtj.bootstrap import Container
from zhtj.domain.errors import InvalidOrganisation, NotAuthorised, QuotaExceeded, SegmentError
from zhtj.domain.glossary import Domain, Industry, OrgKind, Role
from zhtj.domain.numbers import Segment, parse_member_number
from zhtj.domain.orgs import Organisation, Principal, new_child, new_root
from zhtj.services import distribution, members
from zhtj.services.distribution import HeldRange
from zhtj.services.errors import Conflict, InvalidRequest

YEAR = 2023
JH = Domain.JUNIOR_HIGH.value
_ids = itertools.count(1)


@dataclass
class Tree:
    province: Organisation
    city: Organisation
    county: Organisation
    school: Organisation
    other_school: Organisation
    grade: Organisation
    branch: Organisation
    community: Organisation
    elsewhere: Organisation

    def admin(self, org: Organisation, name: str = "admin") -> Principal:
        return Principal(username=name, org_id=org.org_id, org_path=org.path, role=Role.ADMIN)


def build_tree(container: Container, *, county_first: int = 1, county_size: int = 1000) -> Tree:
    """团省委 → 南京 → 玄武区 (初中 quota = ``county_size``, held [first, first+size−1]) → two
    schools; the first has a grade (团总支) with one branch; 玄武区 also has a community branch.
    The province and city hold quota items that hand everything down."""
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="南京市团委", short_name="南京", kind=OrgKind.CITY, industry=None)
    other_city = new_child(province, org_id="3205", name="苏州市团委", short_name="苏州", kind=OrgKind.CITY,
                           industry=None)
    county = new_child(city, org_id="320102", name="南京市玄武区团委", short_name="玄武区团委", kind=OrgKind.COUNTY,
                       industry=None)
    school = new_child(county, org_id="s1", name="示范初级中学团委", short_name="示范初中团委", kind=OrgKind.COMMITTEE,
                       industry=Industry.JUNIOR_HIGH)
    other_school = new_child(county, org_id="s2", name="第二初级中学团委", short_name="二中团委",
                             kind=OrgKind.COMMITTEE, industry=Industry.JUNIOR_HIGH)
    grade = new_child(school, org_id="g3", name="示范初级中学初三年级团总支", short_name="初三团总支",
                      kind=OrgKind.GENERAL_BRANCH, industry=Industry.JUNIOR_HIGH)
    branch = new_child(grade, org_id="b31", name="示范初级中学初三（1）班团支部", short_name="初三（1）班团支部",
                       kind=OrgKind.BRANCH, industry=Industry.JUNIOR_HIGH)
    community = new_child(county, org_id="c1", name="玄武门街道青年社区团支部", short_name="青年社区团支部",
                          kind=OrgKind.BRANCH, industry=Industry.URBAN_COMMUNITY)
    container.store.add_many([province, city, other_city, county, school, other_school, grade, branch, community])
    segment = Segment(YEAR, Domain.JUNIOR_HIGH, "32", county_first, county_first + county_size - 1)
    container.store.load_plan(
        [("32", YEAR, JH, county_size, county_size), ("3201", YEAR, JH, county_size, county_size),
         ("320102", YEAR, JH, county_size, 0)],
        [("320102", segment)],
    )
    return Tree(province, city, county, school, other_school, grade, branch, community, other_city)


def new_member(sequence: int, *, year: int = YEAR) -> members.NewMember:
    n = next(_ids)
    return members.NewMember(
        name=f"团员{n}", resident_id=f"ID-{n:012d}", gender="女", ethnicity="汉族", political_status="共青团员",
        join_year=year, join_month=3, member_number=parse_member_number(f"{year}32{sequence:06d}"),
        study_status=None, education="初中", mobile="13800000000",
    )


def register(container: Container, tree: Tree, sequence: int, *, branch: Organisation | None = None) -> str:
    """Register one member with number ``sequence`` in the branch (the real use case)."""
    from datetime import UTC, datetime

    target = branch or tree.branch
    return members.register_member(tree.admin(tree.county, "registrar"), target.org_id, new_member(sequence),
                                   orgs=container.store, ledger=container.store,
                                   secret=container.settings.id_hash_key.encode(), now=datetime.now(UTC))


def held_segments(container: Container, year: int = YEAR, domain: str = JH) -> list[HeldRange]:
    from zhtj.adapters.dynamodb_distribution import held_range_from_item

    found = [held_range_from_item(i) for i in raw_items(container) if i.get("type", {}).get("S") == "segment"]
    return sorted((r for r in found if r.year == year and r.domain == domain), key=lambda r: r.first)


def check_invariants(container: Container, *, total: int, year: int = YEAR, domain: str = JH) -> None:
    """What must hold after any mix of distributions and registrations:

    * held segments never overlap and their sizes add up to ``total`` (no number lost or made);
    * every registered member's number lies in a segment held by its branch or an ancestor, and
      that segment records it as used; no segment records a number no member has;
    * every quota holder holds exactly quota − distributed numbers, never uses more than its
      quota, and a parent's ``distributed`` is the sum of its children's quotas.
    """
    from zhtj.adapters.dynamodb import from_item
    from zhtj.adapters.dynamodb_distribution import held_range_from_item

    raw = raw_items(container)
    items = [from_item(i) for i in raw]
    held = sorted((r for r in (held_range_from_item(i) for i in raw if i.get("type", {}).get("S") == "segment")
                   if r.year == year and r.domain == domain), key=lambda r: r.first)
    assert sum(r.size for r in held) == total
    for a, b in itertools.pairwise(held):
        assert a.last < b.first, f"overlap: {a} / {b}"
    for r in held:
        assert all(r.first <= n <= r.last for n in r.used), r
    registered = [i for i in items if i.get("type") == "member" and i["join_year"] == year and i["domain"] == domain]
    numbers = Counter(int(m["member_number"][-6:]) for m in registered)
    assert all(count == 1 for count in numbers.values())
    for member in registered:
        sequence = int(member["member_number"][-6:])
        inside = [r for r in held if r.first <= sequence <= r.last]
        assert len(inside) == 1, f"number {sequence} is in no held segment"
        assert inside[0].holder_id in member["branch_path"], f"number {sequence} is outside its ancestry"
        assert sequence in inside[0].used
    assert {n for r in held for n in r.used} == set(numbers)
    quotas = {i["sk"].removeprefix("ORG#"): i for i in items
              if i.get("type") == "quota" and i["pk"] == f"QUOTA#{year}#{domain}"}
    orgs = {i["org_id"]: i for i in items if i.get("type") == "org"}
    for org_id, quota in quotas.items():
        size = sum(r.size for r in held if r.holder_id == org_id)
        assert size == quota["quota"] - quota["distributed"], org_id
        assert quota["remaining"] == quota["quota"] - quota["used"] >= 0, org_id
        children = [q["quota"] for o, q in quotas.items() if orgs[o].get("parent_id") == org_id]
        if children:
            assert quota["distributed"] == sum(children), org_id


def set_quota(container: Container, tree: Tree, child: Organisation, quota: int, *, domain: str = JH,
              parent: Organisation | None = None, caller: Organisation | None = None,
              ) -> distribution.QuotaChangeResult:
    parent = parent or tree.county
    return distribution.set_child_quota(tree.admin(caller or parent), parent.org_id, child.org_id, year=YEAR,
                                        domain=domain, quota=quota, orgs=container.store, store=container.distribution)


def ranges_of(container: Container, holder: Organisation) -> list[tuple[int, int]]:
    return [(r.first, r.last) for r in container.distribution.held_ranges(holder.org_id, YEAR, JH)]


def quota_of(container: Container, org: Organisation) -> dict[str, int] | None:
    return container.store.get_quota(YEAR, JH, org.org_id)


@pytest.fixture
def tree(container: Container) -> Tree:
    return build_tree(container)


# ---------------------------------------------------------------- increase
def test_an_increase_carves_one_run_of_unused_numbers_from_the_top(container: Container, tree: Tree) -> None:
    for sequence in (1, 2, 3):  # members use numbers from the bottom up
        register(container, tree, sequence)
    result = set_quota(container, tree, tree.school, 100)
    assert result.direction == "increase" and result.delta == 100 and not result.fragmented
    assert [(m.first, m.last) for m in result.moved] == [(901, 1000)]
    assert ranges_of(container, tree.school) == [(901, 1000)]
    assert ranges_of(container, tree.county) == [(1, 900)]
    assert quota_of(container, tree.school) == {"quota": 100, "distributed": 0, "used": 0}
    assert quota_of(container, tree.county) == {"quota": 1000, "distributed": 100, "used": 3}
    check_invariants(container, total=1000)


def test_a_second_increase_joins_the_childs_adjacent_range(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 100)
    result = set_quota(container, tree, tree.school, 150)
    assert [(m.first, m.last) for m in result.moved] == [(851, 900)]
    assert ranges_of(container, tree.school) == [(851, 1000)]  # one segment, not two
    assert ranges_of(container, tree.county) == [(1, 850)]
    check_invariants(container, total=1000)


def test_fragmented_free_numbers_are_given_in_several_runs_and_said_so(container: Container) -> None:
    tree = build_tree(container, county_size=30)
    for sequence in (5, 10, 15, 20, 25):  # free runs: 1–4, 6–9, 11–14, 16–19, 21–24, 26–30
        register(container, tree, sequence)
    result = set_quota(container, tree, tree.school, 8)
    assert result.fragmented
    # no free run holds 8: the top run whole, then the top of the next one
    assert [(m.first, m.last) for m in result.moved] == [(22, 24), (26, 30)]
    assert ranges_of(container, tree.school) == [(22, 24), (26, 30)]
    check_invariants(container, total=30)


def test_used_numbers_are_never_handed_down(container: Container) -> None:
    tree = build_tree(container, county_size=10)
    for sequence in range(1, 9):
        register(container, tree, sequence)
    with pytest.raises(SegmentError) as caught:  # 10 numbers, 8 of them used
        set_quota(container, tree, tree.school, 3)
    assert caught.value.code == "numbers_not_enough" and "未使用的编号只有2个" in caught.value.message
    check_invariants(container, total=10)


def test_children_never_get_more_than_the_parent_holds(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 700)
    with pytest.raises(QuotaExceeded) as caught:
        set_quota(container, tree, tree.other_school, 301)
    assert caught.value.code == "quota_not_enough" and "尚可分配300个" in caught.value.message
    set_quota(container, tree, tree.other_school, 300)
    assert quota_of(container, tree.county)["distributed"] == 1000
    assert ranges_of(container, tree.county) == []
    check_invariants(container, total=1000)


# ---------------------------------------------------------------- decrease
def test_a_decrease_returns_unused_numbers_and_merges_them_at_the_parent(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 100)  # school 901–1000, county 1–900
    result = set_quota(container, tree, tree.school, 0)
    assert result.direction == "decrease" and result.delta == 100
    assert ranges_of(container, tree.county) == [(1, 1000)]  # merged back into one segment
    assert ranges_of(container, tree.school) == []
    assert quota_of(container, tree.school)["quota"] == 0
    check_invariants(container, total=1000)


def test_a_decrease_keeps_used_numbers_with_the_child(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 100)  # school 901–1000
    for sequence in (901, 902, 950):
        register(container, tree, sequence)
    result = set_quota(container, tree, tree.school, 10)  # gives back 90 of the 97 unused
    assert sum(m.size for m in result.moved) == 90
    held = container.distribution.held_ranges(tree.school.org_id, YEAR, JH)
    assert sum(r.size for r in held) == 10 and {n for r in held for n in r.used} == {901, 902, 950}
    check_invariants(container, total=1000)


def test_a_decrease_below_used_and_distributed_is_refused(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 100)
    set_quota(container, tree, tree.grade, 40, parent=tree.school)
    for sequence in (901, 902):
        register(container, tree, sequence)  # in the school's own segment, by a branch under the grade
    with pytest.raises(QuotaExceeded) as caught:
        set_quota(container, tree, tree.school, 41)
    assert caught.value.code == "below_usage"
    assert "已使用2个、已分配给其下级40个，名额不能少于42个" in caught.value.message
    set_quota(container, tree, tree.school, 42)
    check_invariants(container, total=1000)


# ---------------------------------------------------------------- the rules around it
def test_only_direct_children_and_only_within_the_callers_subtree(container: Container, tree: Tree) -> None:
    with pytest.raises(InvalidOrganisation) as caught:
        set_quota(container, tree, tree.grade, 10)  # the county's grandchild
    assert caught.value.code == "not_direct_child"
    with pytest.raises(NotAuthorised):  # the school's admin cannot give itself numbers
        set_quota(container, tree, tree.school, 10, caller=tree.school)
    with pytest.raises(NotAuthorised):
        set_quota(container, tree, tree.county, 10, parent=tree.city, caller=tree.elsewhere)
    # an admin higher up may distribute anywhere below it
    assert set_quota(container, tree, tree.school, 10, caller=tree.province).delta == 10


def test_no_quota_moves_across_domains_or_years(container: Container, tree: Tree) -> None:
    with pytest.raises(QuotaExceeded) as caught:
        set_quota(container, tree, tree.school, 10, domain=Domain.HIGH_SCHOOL.value)  # the county has no 高中
    assert caught.value.code == "no_parent_quota"
    with pytest.raises(QuotaExceeded):
        distribution.set_child_quota(tree.admin(tree.county), "320102", "s1", year=2024, domain=JH, quota=10,
                                     orgs=container.store, store=container.distribution)
    with pytest.raises(InvalidRequest):
        set_quota(container, tree, tree.school, 10, domain="小学")
    check_invariants(container, total=1000)


def test_branches_only_get_domains_their_members_count_in(container: Container, tree: Tree) -> None:
    with pytest.raises(SegmentError) as caught:
        set_quota(container, tree, tree.community, 5)  # a social branch may not admit students
    assert caught.value.code == "branch_domain" and "社会领域" in caught.value.message


def test_quota_must_be_a_sensible_number(container: Container, tree: Tree) -> None:
    for bad in (-1, 1_000_000, "5", True):
        with pytest.raises(InvalidRequest):
            set_quota(container, tree, tree.school, bad)  # type: ignore[arg-type]


def test_setting_the_same_quota_changes_nothing(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 10)
    assert set_quota(container, tree, tree.school, 10).direction == "unchanged"


def test_the_plan_view_shows_holdings_and_children(container: Container, tree: Tree) -> None:
    set_quota(container, tree, tree.school, 100)
    register(container, tree, 901)
    plan = distribution.org_plan(tree.admin(tree.county), "320102", YEAR, orgs=container.store,
                                 store=container.distribution)
    junior = next(d for d in plan.domains if d.domain is Domain.JUNIOR_HIGH)
    assert junior.quota is not None and (junior.quota.quota, junior.quota.distributed, junior.quota.used) == (
        1000, 100, 1)
    assert [(r.first, r.last) for r in junior.ranges] == [(1, 900)]
    school = next(c for c in junior.children if c.org.org_id == "s1")
    assert school.quota is not None and school.quota.used == 1
    assert [(r.first, r.last, len(r.used)) for r in school.ranges] == [(901, 1000, 1)]
    assert {c.org.org_id for c in junior.children} == {"s1", "s2", "c1"}
    social = next(d for d in plan.domains if d.domain is Domain.SOCIAL)
    assert social.quota is None and social.ranges == ()
    with pytest.raises(NotAuthorised):
        distribution.org_plan(tree.admin(tree.school), "320102", YEAR, orgs=container.store,
                              store=container.distribution)


def test_a_registration_in_a_segment_that_moved_meanwhile_fails_cleanly(container: Container, tree: Tree) -> None:
    """Placement read the county's segment, then the numbers moved to the school: the
    registration's own guard (the segment still holds the number) cancels it."""
    from zhtj.services.members import find_segment, place_member

    member = new_member(990)
    chain = [container.store.get(i) for i in tree.branch.path]
    placement = place_member(member, tree.branch, chain, container.store)  # type: ignore[arg-type]
    assert placement.segment.holder_id == "320102"
    set_quota(container, tree, tree.school, 100)  # 901–1000 go to the school
    item = members.member_item(member, placement, member_id="m-stale", actor=tree.admin(tree.county),
                               now=__import__("datetime").datetime(2023, 4, 1), source="test")
    with pytest.raises(Conflict) as caught:
        container.store.register_member(item, member_number=member.member_number.text, counters=placement.counters,
                                        segment=placement.segment)
    assert caught.value.code == "segment_changed"
    assert container.store.get_member("m-stale") is None
    # entered again, it is placed in the school's segment
    assert find_segment(container.store.segments_of(list(tree.branch.path), YEAR, JH),
                        member.member_number).holder_id == "s1"  # type: ignore[union-attr]
    register(container, tree, 990)
    check_invariants(container, total=1000)
