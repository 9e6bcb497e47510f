"""Issue 2 acceptance over real HTTP: health with versions, the home page, sign-in as a demo
admin, 401 without a token, 403 outside the admin's subtree."""

from __future__ import annotations

import requests

from tests.e2e.conftest import RunningStack


def test_health_answers_with_component_versions(stack: RunningStack) -> None:
    response = requests.get(stack.api("health"), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"] == {"table": "ok"}
    assert {"zhtj", "python", "boto3", "aws-lambda-powertools", "pydantic"} <= set(body["versions"])


def test_home_page_and_outbox_load(stack: RunningStack) -> None:
    home = requests.get(stack.url + "/", timeout=10)
    assert home.status_code == 200 and "智慧团建" in home.text
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    outbox = requests.get(stack.url + "/outbox/", timeout=10)
    assert outbox.status_code == 200 and "本地发件箱" in outbox.text


def test_signed_in_admin_reaches_own_subtree(stack: RunningStack) -> None:
    session = stack.session("nanjing")
    me = session.get(stack.api("me"), timeout=10)
    assert me.status_code == 200
    assert me.json()["org"]["org_id"] == "3201"
    county = session.get(stack.api("orgs/320102"), timeout=10)
    assert county.status_code == 200 and county.json()["path"] == ["32", "3201", "320102"]
    children = session.get(stack.api("orgs/3201/children"), timeout=10).json()["items"]
    assert "320102" in {c["org_id"] for c in children}


def test_no_token_is_401_and_a_forged_token_too(stack: RunningStack) -> None:
    assert requests.get(stack.api("me"), timeout=10).status_code == 401
    token = stack.token("nanjing")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = requests.get(stack.api("me"), headers={"Authorization": f"Bearer {forged}"}, timeout=10)
    assert response.status_code == 401


def test_organisation_outside_the_subtree_is_403(stack: RunningStack) -> None:
    session = stack.session("nanjing")
    response = session.get(stack.api("orgs/3205"), timeout=10)  # 苏州: a sibling city
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden" and "无权" in response.json()["message"]
    upward = stack.session("xuanwu").get(stack.api("orgs/3201"), timeout=10)  # the county's parent
    assert upward.status_code == 403


def test_wrong_password_is_a_chinese_401(stack: RunningStack) -> None:
    response = requests.post(stack.api("auth/login"), json={"username": "nanjing", "password": "wrong-Password1"},
                             timeout=10)
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误"


def test_create_a_branch_under_own_county_once(stack: RunningStack) -> None:
    session = stack.session("xuanwu")
    draft = {"name": "玄武区测试社区团支部", "short_name": "测试社区团支部", "kind": "团支部", "industry": "城市社区"}
    first = session.post(stack.api("orgs/320102/children"), json=draft, timeout=10)
    assert first.status_code == 201, first.text
    assert first.json()["path"][:3] == ["32", "3201", "320102"]
    again = session.post(stack.api("orgs/320102/children"), json=draft, timeout=10)
    assert again.status_code == 409 and again.json()["code"] == "org_exists"
    elsewhere = session.post(stack.api("orgs/3205/children"), json={**draft, "name": "别处团支部"}, timeout=10)
    assert elsewhere.status_code == 403
    missing_industry = session.post(stack.api("orgs/320102/children"),
                                    json={**draft, "name": "无行业团支部", "industry": None}, timeout=10)
    assert missing_industry.status_code == 422 and "行业" in missing_industry.json()["message"]
