"""Decisions (§3.3), replacement (§3.2.1 替换档案), change requests (§4.5), pending lists and
the banner's summary, against moto."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest

from infra.local.resources import LocalResources
from tests.integration.test_archives import World, build_world, pdf
from zhtj.bootstrap import Container
from zhtj.domain.errors import NotAuthorised, TransitionNotAllowed
from zhtj.services import archives
from zhtj.services.errors import InvalidRequest, NotFound


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    return build_world(container, aws)


def _now() -> datetime:
    return datetime.now(UTC)


def _pending(world: World, who: str, org_id: str, **filters: Any) -> list[dict[str, Any]]:
    c = world.container
    return archives.pending(world.admins[who], org_id, orgs=c.store, ledger=c.archives, **filters)["items"]


def test_only_the_deciding_committee_decides(world: World) -> None:
    member_id = world.member(number="202332000080")
    world.upload("branch", member_id, pdf("202332000080"))
    for who in ("branch", "grade", "xuanwu", "nanjing"):  # below it, or above it (§3.3.2: view, not decide)
        with pytest.raises(NotAuthorised) as refused:
            world.decide(who, member_id, 1, approve=True)
        assert refused.value.code == "not_the_decider"
    with pytest.raises(NotFound):
        world.decide("suzhou", member_id, 1, approve=True)
    assert world.state(member_id)["archive_state"] == "待审批"


def test_reject_needs_a_reason_then_replace_makes_a_new_pending_version(world: World) -> None:
    member_id = world.member(number="202332000081")
    world.upload("branch", member_id, pdf("202332000081"))
    with pytest.raises(InvalidRequest) as no_reason:
        world.decide("school", member_id, 1, approve=False, reason="  ")
    assert no_reason.value.code == "reason_required" and "理由" in no_reason.value.message
    world.decide("school", member_id, 1, approve=False, reason="第3页缺少团支部意见")
    view = world.view("branch", member_id)
    assert view["archive_state"] == "认证不通过" and view["reason"] == "第3页缺少团支部意见"
    assert view["actions"]["replace"] is True and view["counts_as_new_member"] is False
    assert view["versions"][0]["decision"] == "rejected"

    world.upload("branch", member_id, pdf("202332000081"))  # 替换档案
    view = world.view("branch", member_id)
    assert (view["archive_state"], view["version"], view["reason"]) == ("待审批", 2, None)
    assert world.keys(f"archives/{member_id}/") == [f"archives/{member_id}/v1.pdf", f"archives/{member_id}/v2.pdf"]
    assert [v["version"] for v in view["versions"]] == [1, 2]
    with pytest.raises(TransitionNotAllowed) as superseded:  # an old decision link / stale console page
        world.decide("school", member_id, 1, approve=True)
    assert superseded.value.code == "version_superseded"
    world.decide("school", member_id, 2, approve=True)
    assert world.state(member_id)["archive_state"] == "团员身份已认证"
    c = world.container
    old = archives.download(world.admins["branch"], member_id, 1, directory=c.store, ledger=c.archives,
                            files=c.archive_files, expires_in=60, now=_now())
    assert "versionId=" in old["url"]


def test_a_newer_upload_supersedes_a_pending_one(world: World) -> None:
    member_id = world.member(number="202332000082")
    world.upload("branch", member_id, pdf("202332000082"))
    world.upload("branch", member_id, pdf("202332000082"))
    assert world.state(member_id)["archive_version"] == 2
    items = _pending(world, "school", "sch")
    assert [(i["member_id"], i["version"]) for i in items] == [(member_id, 2)]
    with pytest.raises(TransitionNotAllowed):
        world.decide("school", member_id, 1, approve=False, reason="旧版")


def test_two_deciders_at_once_exactly_one_wins(world: World) -> None:
    member_id = world.member(number="202332000083")
    world.upload("branch", member_id, pdf("202332000083"))

    def attempt(approve: bool) -> str:
        try:
            world.decide("school", member_id, 1, approve=approve, reason=None if approve else "不清晰")
        except TransitionNotAllowed as exc:
            return exc.code
        return "won"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, [True, False] * 8))
    assert results.count("won") == 1
    assert set(results) - {"won"} == {"not_pending"}
    decided = [h for h in world.view("school", member_id)["history"] if h["action"].startswith("archive_")
               and h["action"] != "archive_uploaded"]
    assert len(decided) == 1
    assert _pending(world, "school", "sch") == []


def test_pending_lists_of_a_subtree_and_their_filters(world: World) -> None:
    first = world.member(number="202332000084", name="李雷")
    second = world.member(branch="b2", number="202332000085", name="韩梅梅")
    third = world.member(number="202332000086", name="王强")
    for member_id, number in ((first, "202332000084"), (second, "202332000085"), (third, "202332000086")):
        world.upload("branch" if member_id != second else "branch2", member_id, pdf(number))
    world.decide("school", third, 1, approve=True)
    c = world.container
    archives.request_change(world.admins["branch"], third, "首页编号填写有误", directory=c.store, orgs=c.store,
                            ledger=c.archives, now=_now())

    assert {i["member_id"] for i in _pending(world, "school", "sch")} == {first, second, third}
    assert {i["member_id"] for i in _pending(world, "xuanwu", "320102")} == {first, second, third}  # §3.3.2
    assert all(not i["can_decide"] for i in _pending(world, "xuanwu", "320102"))
    assert _pending(world, "xuanwu", "320102", mine=True) == []
    assert {i["member_id"] for i in _pending(world, "school", "sch", mine=True)} == {first, second, third}
    assert [i["member_id"] for i in _pending(world, "school", "sch", kind="change")] == [third]
    assert _pending(world, "school", "sch", kind="change")[0]["reason"] == "首页编号填写有误"
    assert {i["member_id"] for i in _pending(world, "school", "sch", kind="archive")} == {first, second}
    assert [i["member_id"] for i in _pending(world, "school", "sch", under="b2")] == [second]
    assert [i["member_id"] for i in _pending(world, "school", "sch", q="韩梅")] == [second]
    assert [i["member_id"] for i in _pending(world, "school", "sch", q="202332000084")] == [first]
    assert _pending(world, "branch", "b1", kind="archive")[0]["member_id"] == first
    with pytest.raises(NotAuthorised):
        _pending(world, "suzhou", "sch")
    with pytest.raises(InvalidRequest):
        _pending(world, "school", "sch", kind="other")
    page = archives.pending(world.admins["school"], "sch", orgs=c.store, ledger=c.archives, limit=1)
    assert len(page["items"]) == 1 and page["next"]
    rest = archives.pending(world.admins["school"], "sch", orgs=c.store, ledger=c.archives, limit=5,
                            after=page["next"])
    assert {i["member_id"] for i in page["items"] + rest["items"]} == {first, second, third}


def test_a_certified_archive_changes_only_through_an_approved_change_request(world: World) -> None:
    member_id = world.member(number="202332000087")
    world.upload("branch", member_id, pdf("202332000087"))
    world.decide("school", member_id, 1, approve=True)
    c = world.container

    def ask(who: str, reason: str = "首页盖章不清") -> Any:
        return archives.request_change(world.admins[who], member_id, reason, directory=c.store, orgs=c.store,
                                       ledger=c.archives, now=_now())

    def answer(who: str, approve: bool, reason: str | None = None) -> Any:
        return archives.decide_change(world.admins[who], member_id, approve=approve, reason=reason,
                                      directory=c.store, ledger=c.archives, now=_now())

    # The view offers the change request to exactly those who may make it (§4.5).
    offered = {who: world.view(who, member_id)["actions"]["request_change"] for who in ("branch", "grade", "school")}
    assert offered == {"branch": True, "grade": True, "school": False}
    with pytest.raises(NotAuthorised):  # the committee that decides does not ask itself
        ask("school")
    with pytest.raises(InvalidRequest):
        ask("branch", reason="")
    assert ask("grade")["decider_id"] == "sch"  # a 团总支 between branch and committee may ask
    with pytest.raises(TransitionNotAllowed) as twice:
        ask("branch")
    assert twice.value.code == "change_already_requested"
    assert world.view("branch", member_id)["actions"]["request_change"] is False  # one is waiting
    with pytest.raises(TransitionNotAllowed):
        world.ticket("branch", member_id)  # change_pending
    with pytest.raises(NotAuthorised):
        answer("xuanwu", True)
    with pytest.raises(InvalidRequest):
        answer("school", False)  # refusing needs a reason
    answer("school", False, "理由不充分")
    assert world.state(member_id)["archive_change_requested"] is False
    ask("branch", "首页编号写错")
    answer("school", True)
    view = world.view("branch", member_id)
    assert view["change_approved"] is True and view["actions"]["upload"] is True

    world.upload("branch", member_id, pdf("202332000087"))  # the one replacement
    member = world.state(member_id)
    assert (member["archive_state"], member["archive_version"]) == ("待审批", 2)
    assert member["archive_change_approved"] is False
    world.decide("school", member_id, 2, approve=True)
    with pytest.raises(TransitionNotAllowed):
        world.ticket("branch", member_id)  # used up
    actions = [h["action"] for h in world.view("branch", member_id)["history"]]
    assert actions == ["created", "archive_uploaded", "archive_approved", "change_requested", "change_rejected",
                       "change_requested", "change_approved", "archive_uploaded", "archive_approved"]


def test_summary_counts_and_the_banner(world: World) -> None:
    ids = [world.member(number=f"2023320001{i:02d}", join_month=m) for i, m in enumerate((1, 4, 4, 4, 5))]
    world.upload("branch", ids[1], pdf("202332000101"))  # pending
    world.upload("school", ids[2], pdf("202332000102"))  # certified
    world.upload("branch", ids[3], pdf("202332000103"))
    world.decide("school", ids[3], 1, approve=False, reason="模糊")  # rejected
    c = world.container

    def summary(who: str, org_id: str, today: date) -> dict[str, Any]:
        return archives.summary(world.admins[who], org_id, orgs=c.store, ledger=c.archives, today=today)

    today = date(2023, 5, 31)
    school = summary("school", "sch", today)
    assert school["counts"] == {"尚未认证": 2, "待审批": 1, "团员身份已认证": 1, "认证不通过": 1}
    assert school["members"] == 5 and school["members_without_archive"] == 2 and school["complete"] is True
    assert school["banner"] == "组织内有团员档案尚未上传"
    # due: 30 days after the last day of the join month (the form has 入团年月 only)
    assert archives.due_date(2023, 1) == date(2023, 3, 2) and archives.due_date(2023, 5) == date(2023, 6, 30)
    assert school["overdue"] == 1  # the January member; the May one is due on 30 June
    assert summary("school", "sch", date(2023, 7, 1))["overdue"] == 2
    assert summary("branch2", "b2", today)["banner"] is None
    assert summary("branch2", "b2", today)["members"] == 0
    assert summary("nanjing", "3201", today)["counts"] == school["counts"]
    capped = archives.summary(world.admins["school"], "sch", orgs=c.store, ledger=c.archives, today=today, cap=3)
    assert capped["members"] == 3 and capped["complete"] is False
    with pytest.raises(NotAuthorised):
        summary("suzhou", "sch", today)
    missing = archives.members_without_archive(world.admins["school"], "sch", orgs=c.store, ledger=c.archives,
                                               today=today)
    assert [m["member_id"] for m in missing["items"]] == [ids[0], ids[4]]
    assert missing["items"][0] == {**missing["items"][0], "due_date": "2023-03-02", "overdue": True}
    overdue = archives.members_without_archive(world.admins["school"], "sch", orgs=c.store, ledger=c.archives,
                                               today=today, overdue_only=True)
    assert [m["member_id"] for m in overdue["items"]] == [ids[0]]
    view = world.view("branch", ids[0])
    assert view["due_date"] == "2023-03-02" and view["overdue"] is True
