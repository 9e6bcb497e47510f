"""The e-mailed approval link end to end over HTTP against ``zhtj local``: the branch admin
uploads → the school's admin gets one e-mail (the outbox) → opening the link (GET/HEAD of the
page, the view call) changes nothing → 同意 with the last four digits certifies, a wrong
answer changes nothing; 不同意 with a reason → 替换档案 → a new e-mail and link, the old one
refuses; 50 concurrent decisions on one link → exactly one; expired, forged and replayed
links; no token or ID number in the log or in a mail body; ``zhtj remind`` sends once a day.

Members are entered with the county's 初中 numbers 202332000230–245 (玄武区 holds 121–245; a
branch under the school may use them, the county being in its ancestry), which no other
test uses."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import RunningStack
from tests.e2e.test_archives import decide, text_pdf, upload, wait_for
from tests.e2e.test_members import form, resident_id

pytestmark = pytest.mark.e2e

_NUMBERS = iter(range(230, 246))
LINK_RE = re.compile(r"/console/approve\.html#t=([A-Za-z0-9_-]{43})")
APPROVER = "school@demo.zhtj.local"
UPLOADER = "branch@demo.zhtj.local"
PEOPLE: dict[str, str] = {}  # member name → ID number, for the privacy checks


def enter(stack: RunningStack, name: str) -> tuple[str, str]:
    """A new member of 初三（1）班 with one of this module's numbers; (member_id, number)."""
    session = stack.session("branch")
    branch = session.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    person = resident_id(birth="20080623")
    for sequence in _NUMBERS:
        number = f"2023320{sequence:05d}"
        response = session.post(stack.api(f"orgs/{branch}/members"), timeout=10, json=form(**{
            "姓名": name, "身份证号码": person, "发展团员编号": number}))
        if response.status_code == 201:
            PEOPLE[name] = person
            return str(response.json()["member_id"]), number
        assert response.status_code == 409, response.text
    pytest.fail("no free number left in 202332000230–245")


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    return list(requests.get(f"{stack.url}/outbox/messages.json", timeout=10).json()["messages"])


def mails(stack: RunningStack, to: str, name: str, subject: str) -> list[dict[str, Any]]:
    return [m for m in outbox(stack) if to in m["to"] and name in m["subject"] and subject in m["subject"]]


def wait_mails(stack: RunningStack, to: str, name: str, subject: str, count: int) -> list[dict[str, Any]]:
    return list(wait_for(lambda: (found if len(found := mails(stack, to, name, subject)) >= count else None)))


def token_of(message: dict[str, Any]) -> str:
    tokens = set(LINK_RE.findall(message["body"]))
    assert len(tokens) == 1, message["body"]  # one link
    return tokens.pop()


def view(stack: RunningStack, token: str) -> requests.Response:
    return requests.post(stack.api("approval-links/view"), json={"token": token}, timeout=30)


def decision(stack: RunningStack, token: str, approve: bool, **extra: Any) -> requests.Response:
    return requests.post(stack.api("approval-links/decision"), json={"token": token, "approve": approve, **extra},
                         timeout=60)


def archive(stack: RunningStack, member_id: str) -> dict[str, Any]:
    return dict(stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json())


def state(stack: RunningStack, member_id: str) -> tuple[Any, ...]:
    """What a decision would change: state, version, reason, history."""
    seen = archive(stack, member_id)
    return (seen["archive_state"], seen["version"], seen["reason"], len(seen["history"]),
            [v.get("decision") for v in seen["versions"]])


def pending_link(stack: RunningStack, name: str) -> tuple[str, str, str]:
    """Enter a member, upload as the branch admin; (member_id, number, the e-mailed token)."""
    member_id, number = enter(stack, name)
    seen = upload(stack, "branch", member_id, text_pdf(number))
    assert seen["archive_state"] == "待审批", seen
    (message,) = wait_mails(stack, APPROVER, name, "待审批", 1)
    return member_id, number, token_of(message)


def test_link_approve_with_the_last_four_digits(stack: RunningStack) -> None:
    member_id, number, token = pending_link(stack, "链接甲")
    (message,) = mails(stack, APPROVER, "链接甲", "待审批")  # one e-mail, to the school's admin
    assert message["to"] == [APPROVER] and f"{number[:8]}****" in message["body"]
    assert number not in message["body"] and PEOPLE["链接甲"] not in message["body"]
    before = state(stack, member_id)

    # what a mail scanner does: GET and HEAD of the link (the fragment never reaches the server)
    page = f"{stack.url}/console/approve.html#t={token}"
    for response in (requests.get(page, timeout=10), requests.head(page, timeout=10)):
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    shown = view(stack, token)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    body = shown.json()
    assert body["member"]["name"] == "链接甲" and body["member"]["number_shown"] == number[:8]
    assert number not in shown.text and PEOPLE["链接甲"] not in shown.text
    assert body["file"]["url"].startswith("http://127.0.0.1:")
    pdf = requests.get(body["file"]["url"], headers={"Origin": stack.url}, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert state(stack, member_id) == before  # opening changed nothing

    wrong = decision(stack, token, True, last_four="0000" if number[-4:] != "0000" else "1111")
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_digits" and "未做任何审批" in wrong.text
    assert state(stack, member_id) == before

    done = decision(stack, token, True, last_four=number[-4:])
    assert done.status_code == 200, done.text
    assert done.headers["Cache-Control"] == "no-store" and done.json()["archive_state"] == "团员身份已认证"
    seen = archive(stack, member_id)
    assert seen["archive_state"] == "团员身份已认证" and seen["counts_as_new_member"] is True
    approved = [h for h in seen["history"] if h["action"] == "archive_approved"]
    assert len(approved) == 1 and approved[0]["via"] == "link" and approved[0]["actor"] == "school"
    (outcome,) = wait_mails(stack, UPLOADER, "链接甲", "审批结果", 1)
    assert "同意" in outcome["subject"]

    replay = decision(stack, token, True, last_four=number[-4:])
    assert replay.status_code == 409 and replay.json()["code"] == "already_decided" and "已处理" in replay.text
    assert view(stack, token).json()["code"] == "already_decided"


def test_link_reject_then_replace_gives_a_new_link_and_the_old_refuses(stack: RunningStack) -> None:
    member_id, number, token = pending_link(stack, "链接乙")
    no_reason = decision(stack, token, False, reason="   ")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    done = decision(stack, token, False, reason="第3页缺少团支部大会决议")
    assert done.status_code == 200 and done.json()["archive_state"] == "认证不通过"
    seen = archive(stack, member_id)
    assert seen["reason"] == "第3页缺少团支部大会决议" and seen["actions"]["replace"] is True  # 替换档案
    (outcome,) = wait_mails(stack, UPLOADER, "链接乙", "审批结果", 1)
    assert "第3页缺少团支部大会决议" in outcome["body"]

    replaced = upload(stack, "branch", member_id, text_pdf(number))  # 替换档案
    assert replaced["archive_state"] == "待审批" and replaced["version"] == 2
    second = wait_mails(stack, APPROVER, "链接乙", "待审批", 2)
    fresh = token_of(second[-1])
    assert fresh != token
    old = view(stack, token)
    assert old.status_code == 409 and old.json()["code"] == "already_decided"
    assert decision(stack, token, True, last_four=number[-4:]).status_code == 409
    assert view(stack, fresh).json()["archive"]["version"] == 2

    # a link never used, then its version decided in the console and a newer one uploaded: superseded
    assert decide(stack, "school", member_id, 2, False, "扫描不清晰").status_code == 200
    upload(stack, "branch", member_id, text_pdf(number))
    superseded = decision(stack, fresh, True, last_four=number[-4:])
    assert superseded.status_code == 410 and superseded.json()["code"] == "link_superseded"
    assert "替代" in superseded.json()["message"] and archive(stack, member_id)["archive_state"] == "待审批"


def test_fifty_concurrent_decisions_on_one_link(stack: RunningStack) -> None:
    member_id, number, token = pending_link(stack, "链接丙")
    # 50 open connections first (one after another: the front's listen backlog is small), then
    # the 50 POSTs released at once.
    sessions = []
    for _ in range(50):
        session = requests.Session()
        assert session.get(stack.api("health"), timeout=10).status_code == 200
        sessions.append(session)
    start = threading.Barrier(50)

    def approve(session: requests.Session) -> requests.Response:
        start.wait(timeout=30)
        return session.post(stack.api("approval-links/decision"), timeout=120,
                            json={"token": token, "approve": True, "last_four": number[-4:]})

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(approve, sessions))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1, [(a.status_code, a.text[:120]) for a in answers if a.status_code != 409]
    assert statuses.count(409) == 49
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_decided"}
    assert all("已处理" in a.json()["message"] for a in answers if a.status_code == 409)
    seen = archive(stack, member_id)
    assert seen["archive_state"] == "团员身份已认证"
    assert len([h for h in seen["history"] if h["action"] == "archive_approved"]) == 1
    assert len(wait_mails(stack, UPLOADER, "链接丙", "审批结果", 1)) == 1


def test_expired_forged_and_malformed_links(stack: RunningStack) -> None:
    member_id, number, token = pending_link(stack, "链接丁")
    before = state(stack, member_id)
    for forged in (secrets.token_urlsafe(32), token[:-2] + ("AA" if token[-2:] != "AA" else "BB")):
        for answer in (view(stack, forged), decision(stack, forged, True, last_four=number[-4:])):
            assert answer.status_code == 404 and answer.json()["code"] == "link_invalid"
            assert answer.headers["Cache-Control"] == "no-store"
    for bad in ({"token": "a"}, {"token": "x" * 100}, {}, {"token": token, "approve": "yes"}):
        answer = requests.post(stack.api("approval-links/decision"), json=bad, timeout=10)
        assert answer.status_code in (400, 404) and re.search(r"[\u4e00-\u9fff]", answer.json()["message"])
    answer = requests.post(stack.api("approval-links/view"), data=b"{not json", timeout=10,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400

    # expiry: the stored link's expiry moved into the past (the clock of the running stack is real)
    import hashlib

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint(), region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    key = {"pk": {"S": f"APPROVALLINK#{hashlib.sha256(token.encode()).hexdigest()}"}, "sk": {"S": "LINK"}}
    dynamodb.update_item(TableName="zhtj-local", Key=key, UpdateExpression="SET link_expires_at = :past",
                         ExpressionAttributeValues={":past": {"S": "2023-01-01T00:00:00.000000+00:00"}})
    for answer in (view(stack, token), decision(stack, token, True, last_four=number[-4:])):
        assert answer.status_code == 410 and answer.json()["code"] == "link_expired" and "过期" in answer.text
    assert state(stack, member_id) == before


def test_remind_sends_each_digest_once_a_day(stack: RunningStack) -> None:
    enter(stack, "提醒甲")  # no archive uploaded

    def remind() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
        for key in [k for k in env if k.startswith("ZHTJ_")]:
            env.pop(key)
        return subprocess.run(
            [sys.executable, "-m", "zhtj.cli", "remind", "--date", "2023-07-01", "--aws-endpoint", stack.aws_endpoint(),
             "--site-origin", stack.url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)

    before = len(outbox(stack))
    first = remind()
    assert first.returncode == 0, first.stdout + first.stderr
    sent = outbox(stack)[before:]
    branch = [m for m in sent if m["to"] == [UPLOADER]]
    assert len(branch) == 1 and "提醒甲" in branch[0]["body"] and "2023-07-01" in branch[0]["subject"]
    assert any(m["to"] == [APPROVER] for m in sent)
    again = remind()
    assert again.returncode == 0 and '"sent": 0' in again.stdout
    assert len(outbox(stack)) == before + len(sent)


def test_no_token_and_no_id_number_in_the_log_or_the_mail(stack: RunningStack) -> None:
    if not PEOPLE:
        pending_link(stack, "链接戊")
    messages = outbox(stack)
    log = stack.log()
    tokens = {t for m in messages for t in LINK_RE.findall(m["body"])}
    assert tokens
    for message in messages:
        for found in set(re.findall(r"[A-Za-z0-9_-]{43}", message["body"])) & tokens:
            # the token appears only as the fragment of the link
            assert message["body"].count(found) == message["body"].count(f"#t={found}")
        for person in PEOPLE.values():
            assert person not in message["body"] and person not in message["subject"]
    for token in tokens:
        assert token not in log
    for person in PEOPLE.values():
        assert person not in log
