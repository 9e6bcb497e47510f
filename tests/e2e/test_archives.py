"""Electronic archives end to end over HTTP against ``zhtj local``: the branch admin asks for an
upload, posts a real PDF straight to the embedded S3 as a browser would (CORS included), the SQS
pump runs the worker, the school decides; rejection → 替换档案; refused files; other cities."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.e2e.test_members import form, resident_id
from tests.unit.readers import pdf_corpus

# Numbers of the demo school's 初中 segment (202332000001–120) not used by the other e2e tests.
_NUMBERS = iter(range(101, 121))


def _org_of(stack: RunningStack, username: str) -> str:
    return str(stack.session(username).get(stack.api("me"), timeout=10).json()["org"]["org_id"])


def enter_member(stack: RunningStack, name: str) -> tuple[str, str]:
    """A new member of 初三（1）班 (the demo ``branch``); returns (member_id, number). Skips a
    number or an ID another test of the session already took."""
    session, branch = stack.session("branch"), _org_of(stack, "branch")
    for sequence in _NUMBERS:
        number = f"2023320{sequence:05d}"
        response = session.post(stack.api(f"orgs/{branch}/members"), timeout=10, json=form(**{
            "姓名": name, "身份证号码": resident_id(birth="20080512"), "发展团员编号": number}))
        if response.status_code == 201:
            return str(response.json()["member_id"]), number
        assert response.status_code == 409, response.text
    pytest.fail("no free number left in the demo school's segment")


def text_pdf(number: str) -> bytes:
    return pdf_corpus.text_pdf(number=number, pages=4, lines_per_page=5)


def ask_upload(stack: RunningStack, session: requests.Session, member_id: str) -> dict[str, Any]:
    response = session.post(stack.api(f"members/{member_id}/archive/uploads"), timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def post_to_s3(stack: RunningStack, ticket: dict[str, Any], data: bytes) -> requests.Response:
    """What the console's browser does: a multipart form POST to the presigned URL, from the site's origin."""
    response = requests.post(ticket["url"], data=ticket["fields"], headers={"Origin": stack.url}, timeout=30,
                             files={"file": ("入团志愿书.pdf", data, "application/pdf")})
    assert response.status_code in (200, 201, 204), response.text
    return response


def wait_for(check: Callable[[], Any], timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("the upload worker did not process the file in time")
        time.sleep(0.2)


def upload(stack: RunningStack, username: str, member_id: str, data: bytes) -> dict[str, Any]:
    """Ask, post, and wait until the worker has processed this upload; returns the archive view."""
    session = stack.session(username)
    ticket = ask_upload(stack, session, member_id)
    post_to_s3(stack, ticket, data)

    def processed() -> dict[str, Any] | None:
        view = session.get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
        mine = [u for u in view["uploads"] if u["upload_id"] == ticket["upload_id"]]
        return view if mine and mine[0]["status"] != "requested" else None

    return dict(wait_for(processed))


def decide(stack: RunningStack, username: str, member_id: str, version: int, approve: bool,
           reason: str | None = None) -> requests.Response:
    return stack.session(username).post(stack.api(f"members/{member_id}/archive/decision"), timeout=10,
                                        json={"version": version, "approve": approve, "reason": reason})


def test_upload_by_the_branch_then_approval_by_the_school(stack: RunningStack) -> None:
    member_id, number = enter_member(stack, "档案甲")
    branch = stack.session("branch")
    ticket = ask_upload(stack, branch, member_id)
    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    assert {"key": ticket["key"]} in policy["conditions"]
    assert ["content-length-range", 1, 20 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ticket["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert ticket["key"] == f"uploads/archives/{member_id}/{ticket['upload_id']}.pdf"
    assert ticket["url"].startswith("http://127.0.0.1:")  # the embedded S3, reached directly

    # A browser on the site's origin: preflight (sent when a page adds headers) and the POST itself.
    preflight = requests.options(ticket["url"], timeout=10, headers={
        "Origin": stack.url, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers.get("Access-Control-Allow-Origin") in (stack.url, "*")
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", "")
    posted = post_to_s3(stack, ticket, text_pdf(number))
    assert posted.headers.get("Access-Control-Allow-Origin") in (stack.url, "*")  # the page can read the answer

    def pending() -> dict[str, Any] | None:
        view = branch.get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
        return view if view["archive_state"] == "待审批" else None

    view = wait_for(pending)
    assert view["version"] == 1 and view["decider"]["name"] == "南京市玄武区示范初级中学团委"
    assert view["actions"]["decide"] is False and view["current"]["pages"] == 4
    assert view["uploads"][0]["verdict"]["ok"] is True

    school_org = _org_of(stack, "school")
    listed = stack.session("school").get(stack.api(f"orgs/{school_org}/archives/pending"), timeout=10,
                                         params={"mine": "true", "kind": "archive"}).json()["items"]
    assert member_id in {i["member_id"] for i in listed}
    county = stack.session("xuanwu").get(stack.api("orgs/320102/archives/pending"), timeout=10,
                                         params={"q": "档案甲"}).json()["items"]
    assert [i["member_id"] for i in county] == [member_id] and county[0]["can_decide"] is False

    assert decide(stack, "branch", member_id, 1, True).status_code == 403
    refused = decide(stack, "xuanwu", member_id, 1, True)
    assert refused.status_code == 403 and refused.json()["code"] == "not_the_decider"
    approved = decide(stack, "school", member_id, 1, True)
    assert approved.status_code == 200, approved.text
    assert approved.json()["archive_state"] == "团员身份已认证"
    again = decide(stack, "school", member_id, 1, False, "重复")
    assert again.status_code == 409 and again.json()["code"] == "not_pending"

    final = branch.get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert final["archive_state"] == "团员身份已认证" and final["counts_as_new_member"] is True
    assert [h["action"] for h in final["history"]] == ["created", "archive_uploaded", "archive_approved"]
    pdf_bytes = requests.get(final["download"]["url"], timeout=10)
    assert pdf_bytes.status_code == 200 and pdf_bytes.content.startswith(b"%PDF-")
    # certified: a new upload needs an approved change request (§4.5)
    blocked = branch.post(stack.api(f"members/{member_id}/archive/uploads"), timeout=10)
    assert blocked.status_code == 409 and blocked.json()["code"] == "change_not_approved"


def test_reject_with_a_reason_then_replace_and_refused_files(stack: RunningStack) -> None:
    member_id, number = enter_member(stack, "档案乙")
    view = upload(stack, "branch", member_id, text_pdf(number))
    assert view["archive_state"] == "待审批"
    no_reason = decide(stack, "school", member_id, 1, False, " ")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    rejected = decide(stack, "school", member_id, 1, False, "第2页团支部意见未签名")
    assert rejected.status_code == 200 and rejected.json()["archive_state"] == "认证不通过"
    view = stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert (view["archive_state"], view["reason"], view["actions"]["replace"]) == (
        "认证不通过", "第2页团支部意见未签名", True)

    # refused files (encrypted, not a PDF): their Chinese reason is shown, the archive stays as it was
    encrypted = pdf_corpus.encrypt(text_pdf(number), user="123456", owner="owner", algorithm="AES-128")
    for data, code, words in ((encrypted, "encrypted", "加密"), (pdf_corpus.docx_bytes(), "not_pdf", "Word")):
        view = upload(stack, "branch", member_id, data)
        assert (view["archive_state"], view["version"], view["reason"]) == ("认证不通过", 1, "第2页团支部意见未签名")
        error = view["uploads"][0]["verdict"]["errors"][0]
        assert error["code"] == code and words in error["message"], error
        assert view["history"][-1]["action"] == "upload_refused"

    view = upload(stack, "branch", member_id, text_pdf(number))  # 替换档案
    assert (view["archive_state"], view["version"]) == ("待审批", 2)
    assert [v["version"] for v in view["versions"]] == [1, 2]
    superseded = decide(stack, "school", member_id, 1, True)
    assert superseded.status_code == 409 and superseded.json()["code"] == "version_superseded"
    old = stack.session("school").get(stack.api(f"members/{member_id}/archive/versions/1/file"), timeout=10)
    assert old.status_code == 200 and requests.get(old.json()["url"], timeout=10).content.startswith(b"%PDF-")


def test_a_committee_upload_is_certified_directly(stack: RunningStack) -> None:
    member_id, number = enter_member(stack, "档案丙")
    view = upload(stack, "school", member_id, text_pdf(number))
    assert (view["archive_state"], view["version"], view["decider"]) == ("团员身份已认证", 1, None)


def test_summary_and_the_banner(stack: RunningStack) -> None:
    enter_member(stack, "档案丁")  # at least one member without an archive
    school_org = _org_of(stack, "school")
    summary = stack.session("school").get(stack.api(f"orgs/{school_org}/archives/summary"), timeout=10).json()
    assert summary["members_without_archive"] >= 1 and summary["banner"] == "组织内有团员档案尚未上传"
    assert sum(summary["counts"].values()) == summary["members"] and summary["complete"] is True
    missing = stack.session("school").get(stack.api(f"orgs/{school_org}/archives/missing"), timeout=10).json()
    assert "档案丁" in {m["name"] for m in missing["items"]}
    community = _org_of(stack, "community")
    empty = stack.session("community").get(stack.api(f"orgs/{community}/archives/summary"), timeout=10).json()
    assert empty["banner"] is None or empty["members_without_archive"] > 0


def test_another_city_sees_nothing(stack: RunningStack) -> None:
    member_id, number = enter_member(stack, "档案戊")
    upload(stack, "branch", member_id, text_pdf(number))
    suzhou = stack.session("suzhou")
    assert suzhou.get(stack.api(f"members/{member_id}/archive"), timeout=10).status_code == 404
    assert suzhou.post(stack.api(f"members/{member_id}/archive/uploads"), timeout=10).status_code == 404
    assert suzhou.get(stack.api(f"members/{member_id}/archive/versions/1/file"), timeout=10).status_code == 404
    decision = suzhou.post(stack.api(f"members/{member_id}/archive/decision"), timeout=10,
                           json={"version": 1, "approve": True})
    assert decision.status_code == 404
    school_org = _org_of(stack, "school")
    assert suzhou.get(stack.api(f"orgs/{school_org}/archives/pending"), timeout=10).status_code == 403
    assert suzhou.get(stack.api(f"orgs/{school_org}/archives/summary"), timeout=10).status_code == 403
    assert requests.get(stack.api(f"members/{member_id}/archive"), timeout=10).status_code == 401


def test_number_correction_and_a_transfer(stack: RunningStack) -> None:
    member_id, number = enter_member(stack, "档案己")
    branch = stack.session("branch")
    early = branch.post(stack.api(f"members/{member_id}/transfer"), timeout=10,
                        json={"target_branch_id": _org_of(stack, "community")})
    assert early.status_code == 409 and early.json()["code"] == "transfer_not_certified"
    for spare in _NUMBERS:  # skip numbers another test of the session took
        corrected = branch.post(stack.api(f"members/{member_id}/number"), timeout=10,
                                json={"member_number": f"2023320{spare:05d}", "reason": "与志愿书首页不一致"})
        if corrected.status_code != 409:
            break
    assert corrected.status_code == 200, corrected.text
    number = corrected.json()["member_number"]
    assert stack.session("xuanwu").post(stack.api(f"members/{member_id}/number"), timeout=10,
                                        json={"member_number": number}).status_code == 403
    upload(stack, "school", member_id, text_pdf(number))  # certified directly
    target = _org_of(stack, "community")
    opened = branch.post(stack.api(f"members/{member_id}/transfer"), timeout=10,
                         json={"target_branch_id": target, "reason": "毕业"})
    assert opened.status_code == 201, opened.text
    community = stack.session("community")
    incoming = community.get(stack.api(f"orgs/{target}/transfers/incoming"), timeout=10).json()["items"]
    assert member_id in {t["member_id"] for t in incoming}
    accepted = community.post(stack.api(f"members/{member_id}/transfer/decision"), timeout=10,
                              json={"accept": True})
    assert accepted.status_code == 200, accepted.text
    assert branch.get(stack.api(f"members/{member_id}"), timeout=10).status_code == 404
    moved = community.get(stack.api(f"members/{member_id}"), timeout=10).json()
    assert moved["branch_id"] == target and moved["member_number"] == number
