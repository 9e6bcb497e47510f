"""The storage design: organisations, uniqueness claims and quota counters, against moto."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from zhtj.adapters.dynamodb import number_claim_key
from zhtj.bootstrap import Container
from zhtj.domain.errors import QuotaExceeded
from zhtj.domain.glossary import Domain, Industry, OrgKind
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import new_child, new_root
from zhtj.services.errors import Conflict
from zhtj.services.members import HeldSegment, QuotaUse, member_id_for


@pytest.fixture
def tree(container: Container):
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="共青团南京市委", short_name="南京团市委", kind=OrgKind.CITY,
                     industry=None)
    other = new_child(province, org_id="3205", name="共青团苏州市委", short_name="苏州团市委", kind=OrgKind.CITY,
                      industry=None)
    county = new_child(city, org_id="320102", name="共青团南京市玄武区委", short_name="玄武团区委",
                       kind=OrgKind.COUNTY, industry=None)
    branch = new_child(county, org_id="b1", name="某社区团支部", short_name="社区团支部", kind=OrgKind.BRANCH,
                       industry=Industry.URBAN_COMMUNITY)
    container.store.add_many([province, city, other, county, branch])
    return {"province": province, "city": city, "other": other, "county": county, "branch": branch}


def test_organisations_round_trip_and_children(container: Container, tree) -> None:
    store = container.store
    assert store.get("320102") == tree["county"]
    assert store.get("nope") is None
    assert {o.org_id for o in store.children("32")} == {"3201", "3205"}
    assert {o.org_id for o in store.subtree(tree["city"])} == {"3201", "320102", "b1"}
    assert set(store.get_many(["32", "b1", "missing"])) == {"32", "b1"}


def test_adding_an_existing_organisation_is_a_conflict(container: Container, tree) -> None:
    with pytest.raises(Conflict) as caught:
        container.store.add(tree["branch"])
    assert caught.value.code == "org_exists"


def test_claims_are_exclusive_and_idempotent_for_their_owner(container: Container) -> None:
    store = container.store
    key = number_claim_key("202332000001")
    assert store.claim(key, "m1") is True
    assert store.claim(key, "m1") is True  # a retry of the same owner
    assert store.claim(key, "m2") is False
    store.release(key, "m2")  # not the owner: nothing happens
    assert store.claim_owner(key) == "m1"
    store.release(key, "m1")
    assert store.claim_owner(key) is None


def _member(member_id: str, name: str = "张三") -> dict:
    return {"member_id": member_id, "name": name, "branch_id": "b1", "branch_path": ["32", "3201", "320102", "b1"],
            "created_at": "2023-04-01T10:00:00", "created_by": "tester", "archive_state": "尚未认证"}


def test_register_member_enforces_unique_id_and_number(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "b1", 5)
    secret = container.settings.id_hash_key.encode()
    first = member_id_for("11010519491231002X", secret)
    counters = [QuotaUse(2023, "社会", "b1")]
    store.register_member(_member(first), member_number="202332000001", counters=counters)
    assert store.get_member(first)["name"] == "张三"

    with pytest.raises(Conflict) as same_id:  # same ID number → same member id
        store.register_member(_member(first, "李四"), member_number="202332000002", counters=counters)
    assert same_id.value.code == "member_exists"
    other = member_id_for("110105194912310029", secret)
    with pytest.raises(Conflict) as same_number:
        store.register_member(_member(other), member_number="202332000001", counters=counters)
    assert same_number.value.code == "number_used"
    # Nothing of the refused registrations was written: the quota counts one member.
    assert store.get_quota(2023, "社会", "b1") == {"quota": 5, "distributed": 0, "used": 1}
    assert store.get_member(other) is None
    assert store.get_member(first)["name"] == "张三"
    assert store.claim_owner(number_claim_key("202332000002")) is None


def test_registration_stops_at_the_quota(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "b1", 1)
    store.set_quota(2023, "社会", "320102", 10)
    counters = [QuotaUse(2023, "社会", "320102"), QuotaUse(2023, "社会", "b1")]
    secret = container.settings.id_hash_key.encode()
    store.register_member(_member(member_id_for("11010519491231002X", secret)), member_number="202332000001",
                          counters=counters)
    with pytest.raises(QuotaExceeded):
        store.register_member(_member(member_id_for("110105194912310029", secret)), member_number="202332000002",
                              counters=counters)
    # The county's counter moved once, not twice: the cancelled transaction changed nothing.
    assert store.get_quota(2023, "社会", "320102")["used"] == 1


def test_no_id_number_appears_in_any_key(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "b1", 1)
    member_id = member_id_for("11010519491231002X", container.settings.id_hash_key.encode())
    store.register_member({**_member(member_id), "resident_id": "11010519491231002X"}, member_number="202332000001",
                          counters=[QuotaUse(2023, "社会", "b1")])
    items = store.client.scan(TableName=store.table_name)["Items"]
    keys = " ".join(v["S"] for i in items for k, v in i.items() if k.endswith(("pk", "sk")))
    assert "11010519491231002X" not in keys and "19491231" not in keys


def test_segments_and_quota_holders_of_an_ancestry(container: Container, tree) -> None:
    store = container.store
    store.add_segment("320102", Segment(2023, Domain.SOCIAL, "32", 1, 100))
    store.add_segment("320102", Segment(2023, Domain.JUNIOR_HIGH, "32", 101, 200))
    store.add_segment("3201", Segment(2023, Domain.SOCIAL, "32", 1000, 1999))
    store.set_quota(2023, "社会", "320102", 100)
    held = store.segments_of(["32", "3201", "320102", "b1"], 2023, "社会")
    assert sorted((h.holder_id, h.segment.first) for h in held) == [("3201", 1000), ("320102", 1)]
    assert store.quota_holders(["32", "3201", "320102", "b1"], 2023, "社会") == ["320102"]
    with pytest.raises(Conflict):
        store.add_segment("320102", Segment(2023, Domain.SOCIAL, "32", 1, 100))


def test_quota_is_never_exceeded_by_concurrent_writers(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "b1", 10)

    def take(_: int) -> bool:
        try:
            store.use_quota(QuotaUse(2023, "社会", "b1"))
        except QuotaExceeded:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(take, range(40)))
    assert outcomes.count(True) == 10
    assert store.get_quota(2023, "社会", "b1")["used"] == 10


def test_quota_cannot_be_set_below_usage(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "b1", 3)
    store.use_quota(QuotaUse(2023, "社会", "b1", delta=2))
    with pytest.raises(QuotaExceeded):
        store.set_quota(2023, "社会", "b1", 1)
    store.set_quota(2023, "社会", "b1", 2)
    assert store.get_quota(2023, "社会", "b1")["quota"] == 2


def test_registration_records_the_used_number_in_its_held_segment(container: Container, tree) -> None:
    store = container.store
    held = HeldSegment("320102", Segment(2023, Domain.SOCIAL, "32", 1, 100))
    store.add_segment(held.holder_id, held.segment)
    store.set_quota(2023, "社会", "320102", 100)
    secret = container.settings.id_hash_key.encode()
    store.register_member(_member(member_id_for("11010519491231002X", secret)), member_number="202332000007",
                          counters=[QuotaUse(2023, "社会", "320102")], segment=held)
    item = store.client.get_item(TableName=store.table_name,
                                 Key={"pk": {"S": "ORG#320102"}, "sk": {"S": "SEGMENT#2023#社会#000001"}})["Item"]
    assert item["used_sequences"]["NS"] == ["7"]


def test_a_number_whose_segment_moved_away_registers_nothing(container: Container, tree) -> None:
    store = container.store
    store.set_quota(2023, "社会", "320102", 100)
    gone = HeldSegment("320102", Segment(2023, Domain.SOCIAL, "32", 1, 100))  # never stored / already split
    secret = container.settings.id_hash_key.encode()
    member_id = member_id_for("11010519491231002X", secret)
    with pytest.raises(Conflict) as caught:
        store.register_member(_member(member_id), member_number="202332000007",
                              counters=[QuotaUse(2023, "社会", "320102")], segment=gone)
    assert caught.value.code == "segment_changed"
    assert store.get_member(member_id) is None
    assert store.get_quota(2023, "社会", "320102")["used"] == 0
