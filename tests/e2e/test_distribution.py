"""Distribution down the tree over real HTTP against ``zhtj local`` (issue 3 part 3): the plan
view, giving a new child unused numbers from the top of 玄武区's segment and taking them back,
the refusals in Chinese, and two admins racing for the county's last numbers.

Only 玄武区's 普通高中 and 中职 numbers are moved here (the demo school's 初中 numbers are used
by other tests), and every test gives back what it took."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import requests

from tests.e2e.conftest import RunningStack

COUNTY = "320102"
YEAR = 2023


def plan_of(session: requests.Session, stack: RunningStack, org_id: str) -> dict[str, Any]:
    response = session.get(stack.api(f"orgs/{org_id}/plan"), params={"year": YEAR}, timeout=30)
    assert response.status_code == 200, response.text
    return {d["domain"]: d for d in response.json()["domains"]}


def new_child(session: requests.Session, stack: RunningStack, label: str) -> str:
    name = f"南京市玄武区（测试）{label}{uuid.uuid4().hex[:6]}团委"  # sorts after the demo children
    response = session.post(stack.api(f"orgs/{COUNTY}/children"),
                            json={"name": name, "short_name": f"{label}团委", "kind": "团委"}, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["org_id"])


def put(session: requests.Session, stack: RunningStack, child: str, domain: str, quota: Any,
        parent: str = COUNTY, year: Any = YEAR) -> requests.Response:
    return session.put(stack.api(f"orgs/{parent}/plan/{child}"), params={"year": year},
                       json={"domain": domain, "quota": quota}, timeout=60)


def test_the_county_plan_shows_its_numbers_and_its_childrens(stack: RunningStack) -> None:
    xuanwu = stack.session("xuanwu")
    plan = plan_of(xuanwu, stack, COUNTY)
    junior = plan["初中"]
    assert junior["has_quota"] and junior["quota"] == 245 and junior["distributed"] >= 120
    school = next(c for c in junior["children"] if c["org"]["name"] == "南京市玄武区示范初级中学团委")
    assert school["quota"] == 120
    assert school["held"]["segments"][0]["first_number"] == "202332000001"
    assert school["held"]["segments"][0]["last_number"] == "202332000120"
    assert plan["社会"]["distributed"] >= 30
    # the school's admin sees its own plan, not the county's
    school_admin = stack.session("school")
    assert school_admin.get(stack.api(f"orgs/{COUNTY}/plan"), params={"year": YEAR}, timeout=30).status_code == 403


def test_a_child_gets_unused_numbers_from_the_top_and_gives_them_back(stack: RunningStack) -> None:
    xuanwu = stack.session("xuanwu")
    before = plan_of(xuanwu, stack, COUNTY)["普通高中"]
    child = new_child(xuanwu, stack, "测试高级中学")
    top = before["held"]["segments"][-1]

    given = put(xuanwu, stack, child, "普通高中", 40)
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["direction"] == "increase" and body["delta"] == 40 and not body["fragmented"]
    assert body["moved"][0]["last_number"] == top["last_number"]  # carved from the top
    assert body["moved"][0]["size"] == 40 and "已为" in body["message"]
    assert body["child"]["quota"] == 40 and body["child"]["held"]["size"] == 40
    assert body["plan"]["distributed"] == before["distributed"] + 40
    own = plan_of(xuanwu, stack, child)["普通高中"]
    assert own["quota"] == 40 and own["held"]["segments"][0]["first_number"] == body["moved"][0]["first_number"]

    back = put(xuanwu, stack, child, "普通高中", 10)
    assert back.status_code == 200 and back.json()["direction"] == "decrease" and back.json()["delta"] == 30
    assert "未使用的编号" in back.json()["message"]
    gone = put(xuanwu, stack, child, "普通高中", 0)
    assert gone.status_code == 200
    after = plan_of(xuanwu, stack, COUNTY)["普通高中"]
    assert after["distributed"] == before["distributed"]
    assert after["held"]["segments"] == before["held"]["segments"]  # merged back, exactly as before


def test_refusals_are_specific_and_in_chinese(stack: RunningStack) -> None:
    xuanwu = stack.session("xuanwu")
    child = new_child(xuanwu, stack, "测试中职学校")
    available = plan_of(xuanwu, stack, COUNTY)["中职"]["undistributed"]

    too_many = put(xuanwu, stack, child, "中职", available + 1)
    assert too_many.status_code == 409 and too_many.json()["code"] == "quota_not_enough"
    assert f"尚可分配{available}个" in too_many.json()["message"] and too_many.json()["field"] == "quota"

    school = stack.session("school")  # the school's admin may not distribute the county's numbers
    assert put(school, stack, child, "中职", 1).status_code == 403

    branch_id = stack.session("branch").get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    grandchild = put(xuanwu, stack, branch_id, "初中", 1)  # not a direct child of the county
    assert grandchild.status_code == 422 and grandchild.json()["code"] == "not_direct_child"

    assert put(xuanwu, stack, child, "小学", 1).json()["code"] == "domain_invalid"
    assert put(xuanwu, stack, child, "中职", -1).json()["code"] == "quota_invalid"
    wrong_year = put(xuanwu, stack, child, "中职", 1, year=2024)
    assert wrong_year.status_code == 409 and "2024年中职" in wrong_year.json()["message"]
    assert put(xuanwu, stack, child, "中职", 1, year=1999).status_code == 422
    assert requests.put(stack.api(f"orgs/{COUNTY}/plan/{child}"), params={"year": YEAR},
                        json={"domain": "中职", "quota": 1}, timeout=10).status_code == 401


def test_two_admins_racing_for_the_last_100_numbers(stack: RunningStack) -> None:
    xuanwu, nanjing = stack.session("xuanwu"), stack.session("nanjing")
    before = plan_of(xuanwu, stack, COUNTY)["中职"]
    filler, first, second = (new_child(xuanwu, stack, label) for label in ("测试职校甲", "测试职校乙", "测试职校丙"))
    assert put(xuanwu, stack, filler, "中职", before["undistributed"] - 100).status_code == 200
    start = Barrier(2)

    def give(job: tuple[requests.Session, str]) -> int:
        session, child = job
        start.wait()
        return put(session, stack, child, "中职", 60).status_code

    try:
        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(give, [(xuanwu, first), (nanjing, second)]))
        assert statuses[0] == 200 and statuses[1] in (409, 422), statuses
        county = plan_of(xuanwu, stack, COUNTY)["中职"]
        assert county["undistributed"] == 40 and county["held"]["size"] == 40
    finally:
        for child in (first, second, filler):
            put(xuanwu, stack, child, "中职", 0)
    after = plan_of(xuanwu, stack, COUNTY)["中职"]
    assert after["distributed"] == before["distributed"]
    assert after["held"]["segments"] == before["held"]["segments"]
