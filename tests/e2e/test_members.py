"""Single entry of a member over HTTP (录入操作步骤 §三) with every stored-state rule, and
search within the subtree (操作指引 §4.6). Numbers come from the demo segments: the demo
school holds 初中 202332000001–120, its county 玄武区 the rest of its 初中 range."""

from __future__ import annotations

import itertools

from tests.e2e.conftest import RunningStack
from zhtj.domain.ids import resident_id_check_character

_serial = itertools.count(100)


def resident_id(birth: str = "20080105", male: bool = True) -> str:
    """A valid GB 11643 number for a 南京玄武 resident, new on each call."""
    order = (next(_serial) * 2 + (1 if male else 0)) % 1000  # 15th–17th digits; odd 17th = 男
    body = f"320102{birth}{order:03d}"
    return body + resident_id_check_character(body)


def form(**changes: str) -> dict[str, str]:
    values = {"姓名": "王小明", "身份证号码": resident_id(), "性别": "男", "民族": "汉族", "政治面貌": "共青团员",
              "入团年月": "2023-04", "发展团员编号": "202332000001", "在读状况": "初中在读",
              "全日制学历": "初中", "手机号码": "13912345678"}
    values.update(changes)
    return values


def branch_id(stack: RunningStack) -> str:
    return stack.session("branch").get(stack.api("me"), timeout=10).json()["org"]["org_id"]


def test_member_entry_and_its_rules(stack: RunningStack) -> None:
    session, branch = stack.session("branch"), branch_id(stack)
    url = stack.api(f"orgs/{branch}/members")
    entered = form(**{"发展团员编号": "202332000011"})
    first = session.post(url, json=entered, timeout=10)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["archive_state"] == "尚未认证" and body["domain"] == "初中"
    assert body["resident_id"] != entered["身份证号码"] and body["resident_id"].startswith("320")

    again = session.post(url, json={**entered, "发展团员编号": "202332000012"}, timeout=10)
    assert again.status_code == 409 and again.json()["code"] == "member_exists"

    reused = session.post(url, json=form(**{"发展团员编号": "202332000011"}), timeout=10)
    assert reused.status_code == 409 and reused.json()["code"] == "number_used"

    foreign = session.post(url, json=form(**{"发展团员编号": "202332099999"}), timeout=10)
    assert foreign.status_code == 422 and foreign.json()["code"] == "number_not_in_segment"
    assert "号段" in foreign.json()["message"]


def test_offline_errors_are_all_reported_per_field(stack: RunningStack) -> None:
    session, branch = stack.session("branch"), branch_id(stack)
    bad = form(**{"身份证号码": resident_id(birth="20120105"), "发展团员编号": "202232000013", "手机号码": "123"})
    response = session.post(stack.api(f"orgs/{branch}/members"), json=bad, timeout=10)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert {"入团年月", "发展团员编号", "手机号码"} <= set(errors)
    assert errors["入团年月"]["code"] == "under_age"
    assert errors["发展团员编号"]["code"] == "number_year"
    assert not errors["入团年月"]["message"].startswith("第")


def test_a_social_branch_cannot_admit_a_student(stack: RunningStack) -> None:
    session = stack.session("community")
    community = session.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    response = session.post(stack.api(f"orgs/{community}/members"),
                            json=form(**{"发展团员编号": "202332158001"}), timeout=10)
    assert response.status_code == 422 and response.json()["code"] == "social_branch_student"
    ok = session.post(stack.api(f"orgs/{community}/members"),
                      json=form(**{"发展团员编号": "202332158001", "在读状况": "", "全日制学历": "普通高中"}),
                      timeout=10)
    assert ok.status_code == 201, ok.text
    assert ok.json()["domain"] == "社会"


def test_search_by_name_id_and_number_within_the_subtree_only(stack: RunningStack) -> None:
    branch = branch_id(stack)
    person = resident_id()
    created = stack.session("branch").post(
        stack.api(f"orgs/{branch}/members"),
        json=form(**{"姓名": "检索测试", "身份证号码": person, "发展团员编号": "202332000021"}), timeout=10)
    assert created.status_code == 201, created.text
    member_id = created.json()["member_id"]
    nanjing = stack.session("nanjing")
    for query in ("检索测试", person, "202332000021"):
        found = nanjing.post(stack.api("orgs/3201/members/search"), json={"q": query}, timeout=10).json()["items"]
        assert [m["member_id"] for m in found] == [member_id], query
    suzhou = stack.session("suzhou")
    assert suzhou.post(stack.api("orgs/3205/members/search"), json={"q": person}, timeout=10).json()["items"] == []
    in_url = nanjing.get(stack.api("orgs/3201/members"), params={"q": person}, timeout=10)
    assert in_url.status_code == 400 and in_url.json()["code"] == "resident_id_in_url"
    assert suzhou.get(stack.api(f"members/{member_id}"), timeout=10).status_code == 404
    detail = nanjing.get(stack.api(f"members/{member_id}"), timeout=10).json()
    assert detail["resident_id"] == person
    listed = nanjing.get(stack.api(f"orgs/{branch}/members"), timeout=10).json()["items"]
    assert member_id in {m["member_id"] for m in listed}
