"""Corrections of the development number (Q&A §5.7) and 团组织关系转接 (§4.4, Q&A §5.4), against moto."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local.resources import LocalResources
from tests.integration.test_archives import World, build_world, pdf
from zhtj.adapters.dynamodb import number_claim_key
from zhtj.bootstrap import Container
from zhtj.domain.errors import InvalidMemberNumber, NotAuthorised, SegmentError, TransitionNotAllowed
from zhtj.domain.glossary import Domain
from zhtj.domain.numbers import Segment
from zhtj.services import archives, member_search, transfers
from zhtj.services.errors import Conflict, InvalidRequest, NotFound


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    return build_world(container, aws)


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def segments(world: World) -> World:
    world.container.store.add_segment("sch", Segment(year=2023, domain=Domain.JUNIOR_HIGH, province_code="32",
                                                     first=1, last=300))
    return world


def _correct(world: World, who: str, member_id: str, number: str) -> dict[str, Any]:
    c = world.container
    return transfers.correct_number(world.admins[who], member_id, number, "与志愿书首页不一致",
                                    directory=c.store, segments=c.store, ledger=c.archives, now=_now())


def test_number_correction_by_the_branch_or_its_direct_parent(segments: World) -> None:
    world = segments
    member_id = world.member(number="202332000090")
    other = world.member(number="202332000091")
    store = world.container.store
    assert _correct(world, "branch", member_id, "202332000190")["previous_number"] == "202332000090"
    assert store.claim_owner(number_claim_key("202332000190")) == member_id
    assert store.claim_owner(number_claim_key("202332000090")) is None  # released in the same transaction
    assert store.member_by_number("202332000190")["member_id"] == member_id
    assert _correct(world, "grade", member_id, "202332000191")["member_number"] == "202332000191"  # direct parent
    for who in ("school", "xuanwu"):  # higher up: not in §5.7's list
        with pytest.raises(NotAuthorised):
            _correct(world, who, member_id, "202332000192")
    with pytest.raises(NotFound):
        _correct(world, "sz_branch", member_id, "202332000192")
    with pytest.raises(Conflict) as used:
        _correct(world, "branch", member_id, "202332000091")  # the other member's number
    assert used.value.code == "number_used"
    with pytest.raises(SegmentError):
        _correct(world, "branch", member_id, "202332000999")  # outside the ancestry's segments
    with pytest.raises(InvalidMemberNumber) as year:
        _correct(world, "branch", member_id, "202232000193")
    assert year.value.code == "number_year"
    with pytest.raises(InvalidRequest):
        _correct(world, "branch", member_id, "202332000191")
    history = [h for h in world.view("branch", member_id)["history"] if h["action"] == "number_corrected"]
    assert len(history) == 2 and history[0]["actor"] == "branch"
    assert store.claim_owner(number_claim_key("202332000091")) == other
    # a pending archive's list entry follows the correction
    world.upload("branch", other, pdf("202332000091"))
    _correct(world, "branch", other, "202332000291")
    c = world.container
    listed = archives.pending(world.admins["school"], "sch", orgs=c.store, ledger=c.archives)["items"]
    assert [(i["member_id"], i["member_number"]) for i in listed] == [(other, "202332000291")]


def test_concurrent_corrections_to_one_number_exclude_each_other(segments: World) -> None:
    world = segments
    members = [world.member(number=f"2023320000{92 + i}") for i in range(4)]

    def attempt(member_id: str) -> str:
        try:
            _correct(world, "branch", member_id, "202332000200")
        except Conflict as exc:
            return exc.code
        return "won"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, members))
    assert results.count("won") == 1 and set(results) == {"won", "number_used"}
    store = world.container.store
    owner = store.claim_owner(number_claim_key("202332000200"))
    assert owner == members[results.index("won")]
    for member_id in members:  # every member still holds exactly its own number's claim
        assert store.claim_owner(number_claim_key(world.state(member_id)["member_number"])) == member_id
    # the winner's old number was released by its correction and can be used again
    winner = results.index("won")
    loser = members[(winner + 1) % 4]
    assert _correct(world, "branch", loser, f"2023320000{92 + winner}")["member_number"] == f"2023320000{92 + winner}"


def test_a_member_moves_only_when_certified_and_accepted_by_the_target(world: World) -> None:
    member_id = world.member(number="202332000094")
    c = world.container

    def request(who: str = "branch", target: str = "b2") -> Any:
        return transfers.request_transfer(world.admins[who], member_id, target, "升学", directory=c.store,
                                          orgs=c.store, ledger=c.archives, now=_now())

    def answer(who: str, accept: bool, reason: str | None = None) -> Any:
        return transfers.decide_transfer(world.admins[who], member_id, accept=accept, reason=reason, orgs=c.store,
                                         ledger=c.archives, now=_now())

    with pytest.raises(TransitionNotAllowed) as uncertified:  # 尚未认证
        request()
    assert uncertified.value.code == "transfer_not_certified" and "4.4" in uncertified.value.message
    world.upload("branch", member_id, pdf("202332000094"))
    with pytest.raises(TransitionNotAllowed):  # 待审批
        request()
    world.decide("school", member_id, 1, approve=True)
    with pytest.raises(InvalidRequest):
        request(target="grd")  # not a 团支部
    with pytest.raises(InvalidRequest):
        request(target="b1")
    with pytest.raises(NotFound):
        request(who="suzhou")

    opened = request(target="sz1")  # to another city
    with pytest.raises(Conflict) as twice:
        request(target="b2")
    assert twice.value.code == "transfer_pending"
    incoming = transfers.incoming_transfers(world.admins["suzhou"], "3205", orgs=c.store, ledger=c.archives)
    assert [t["transfer_id"] for t in incoming] == [opened["transfer_id"]]
    assert transfers.incoming_transfers(world.admins["school"], "sch", orgs=c.store, ledger=c.archives) == []
    with pytest.raises(NotFound):
        answer("school", True)  # only the target side answers
    with pytest.raises(InvalidRequest):
        answer("sz_branch", False)  # declining needs a reason
    answer("sz_branch", False, "非本支部学生")
    assert c.archives.get_transfer(member_id) is None

    request(target="sz1")
    results: list[str] = []

    def accept() -> None:
        try:
            answer("sz_branch", True)
            results.append("accepted")
        except (Conflict, NotFound) as exc:
            results.append(exc.code)

    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(accept)
    assert results.count("accepted") == 1
    member = world.state(member_id)
    assert member["branch_id"] == "sz1" and member["branch_path"] == ["32", "3205", "320505", "sz1"]
    assert member["developed_branch_id"] == "b1" and member["member_number"] == "202332000094"
    with pytest.raises(NotFound):
        member_search.get_member(world.admins["branch"], member_id, c.store)  # left the source's subtree
    assert member_search.get_member(world.admins["sz_branch"], member_id, c.store)["name"] == "张三"
    suzhou = world.container.store.get("3205")
    assert suzhou is not None
    page, _ = c.store.members_under(suzhou)
    assert [m["member_id"] for m in page] == [member_id]
    actions = [h["action"] for h in world.view("sz_branch", member_id)["history"]]
    assert actions[-4:] == ["transfer_requested", "transfer_declined", "transfer_requested", "transfer_accepted"]


def test_the_source_may_withdraw_an_open_transfer(world: World) -> None:
    member_id = world.member(number="202332000095")
    world.upload("school", member_id, pdf("202332000095"))
    c = world.container
    transfers.request_transfer(world.admins["branch"], member_id, "b2", None, directory=c.store, orgs=c.store,
                               ledger=c.archives, now=_now())
    assert transfers.transfer_of(world.admins["branch"], member_id, directory=c.store, ledger=c.archives)
    transfers.cancel_transfer(world.admins["branch"], member_id, directory=c.store, ledger=c.archives, now=_now())
    assert c.archives.get_transfer(member_id) is None
    with pytest.raises(NotFound):
        transfers.cancel_transfer(world.admins["branch"], member_id, directory=c.store, ledger=c.archives,
                                  now=_now())
