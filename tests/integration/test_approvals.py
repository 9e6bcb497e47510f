"""Approvals against moto (in process, resources from template.yaml): the e-mailed link from
the worker's 待审批 hook to the decision, its refusals, the outcome e-mail, the console path
racing the link, the routes' statuses and headers, and the daily reminders."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from infra.local.front import LambdaContext, http_api_event
from infra.local.pump import SqsPump
from infra.local.resources import LocalResources
from infra.local.stack import ses_outbox
from infra.local.template import ApiRoute, load_template, queue_triggers
from tests.integration.conftest import client
from tests.unit.readers import pdf_corpus
from zhtj import bootstrap
from zhtj.bootstrap import Container
from zhtj.domain.errors import TransitionNotAllowed
from zhtj.domain.glossary import Industry, OrgKind, Role
from zhtj.domain.orgs import Organisation, Principal, new_child, new_root
from zhtj.handlers import api, workers
from zhtj.services import approvals, archives, reminders
from zhtj.services.approvals import LinkRefused, token_hash

PASSWORD = "Integration-2023-x"
NUMBER_RE = re.compile(r"approve\.html#t=([A-Za-z0-9_-]{43})")
PUBLIC = ApiRoute(function="ApiFunction", handler="", method="POST", path="/api/approval-links/view", public=True)


@dataclass
class World:
    container: Container
    aws: LocalResources
    orgs: dict[str, Organisation]
    members: int = 0

    def principal(self, username: str, org_id: str) -> Principal:
        return Principal(username=username, org_id=org_id, org_path=self.orgs[org_id].path, role=Role.ADMIN)

    def member(self, number: str, name: str = "李晓华", branch: str = "b1", join_month: int = 4) -> str:
        self.members += 1
        org = self.orgs[branch]
        member_id = f"a{self.members:031x}"
        self.container.store.register_member({
            "member_id": member_id, "name": name, "member_number": number, "join_year": 2023,
            "join_month": join_month, "branch_id": org.org_id, "branch_name": org.name,
            "branch_path": list(org.path), "domain": "初中", "archive_state": "尚未认证", "archive_version": 0,
            "resident_id": "320102200801051234", "gender": "女", "ethnicity": "汉族", "created_at": "2023-05-01",
            "created_by": "tester", "segment_holder": "sch",
        }, member_number=number, counters=[])
        return member_id

    def upload(self, member_id: str, number: str, who: tuple[str, str] = ("branch1", "b1")) -> None:
        c = self.container
        ticket = archives.request_upload(self.principal(*who), member_id, directory=c.store, orgs=c.store,
                                         ledger=c.archives, files=c.archive_files, expires_in=300,
                                         now=datetime.now(UTC))
        data = pdf_corpus.text_pdf(number=number, pages=3, lines_per_page=4)
        response = requests.post(ticket.url, data=ticket.fields,
                                 files={"file": ("a.pdf", data, "application/pdf")}, timeout=30)
        assert response.status_code in (200, 201, 204), response.text
        trigger = queue_triggers(load_template())[0]
        pump = SqsPump(client("sqs"), trigger, queue_url=self.aws.physical("UploadQueue"),
                       queue_arn=self.aws.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0,
                       handler=workers.upload_handler)
        while pump.poll_once():
            pass
        assert pump.stats.failed == 0, pump.stats.errors

    def member_item(self, member_id: str) -> dict[str, Any]:
        item = self.container.archives.member(member_id)
        assert item is not None
        return item

    def ctx(self) -> approvals.LinkContext:
        return bootstrap.link_context(self.container)


def mails(to: str | None = None, subject: str = "") -> list[dict[str, Any]]:
    return [m for m in ses_outbox() if (to is None or to in m["to"]) and subject in m["subject"]]


def tokens_in(message: dict[str, Any]) -> list[str]:
    return NUMBER_RE.findall(message["body"])


def school_tree() -> dict[str, Organisation]:
    """团省委 → 南京 → 玄武区 → a school's 团委 (``sch``, the decider) → 团总支 → 初三（1）班 (``b1``)."""
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="共青团南京市委", short_name="南京团市委", kind=OrgKind.CITY,
                     industry=None)
    county = new_child(city, org_id="320102", name="共青团南京市玄武区委", short_name="玄武团区委",
                       kind=OrgKind.COUNTY, industry=None)
    school = new_child(county, org_id="sch", name="示范初级中学团委", short_name="示范初中团委",
                       kind=OrgKind.COMMITTEE, industry=Industry.JUNIOR_HIGH)
    grade = new_child(school, org_id="grd", name="初三年级团总支", short_name="初三团总支",
                      kind=OrgKind.GENERAL_BRANCH, industry=Industry.JUNIOR_HIGH)
    b1 = new_child(grade, org_id="b1", name="初三（1）班团支部", short_name="初三1班", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    return {o.org_id: o for o in (province, city, county, school, grade, b1)}


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    orgs = school_tree()
    container.store.add_many(orgs.values())
    for username, org_id in (("school1", "sch"), ("school2", "sch"), ("branch1", "b1"), ("xuanwu1", "320102")):
        container.identity.create_admin(username=username, password=PASSWORD, org_id=org_id, role="admin",
                                        email=f"{username}@test.zhtj.local")
    container.directory.forget()
    return World(container, aws, orgs)


def link_for(world: World, username: str = "school1") -> str:
    (message,) = [m for m in mails(f"{username}@test.zhtj.local", "待审批")][-1:]
    (token,) = tokens_in(message)
    return token


# ------------------------------------------------------------------ the e-mail
def test_each_approver_gets_one_email_with_one_personal_link(world: World) -> None:
    member_id = world.member("202332000231")
    world.upload(member_id, "202332000231")
    assert world.member_item(member_id)["archive_state"] == "待审批"
    sent = mails(subject="待审批")
    assert sorted(m["to"][0] for m in sent) == ["school1@test.zhtj.local", "school2@test.zhtj.local"]
    first, second = (tokens_in(m) for m in sent)
    assert len(first) == 1 and len(second) == 1 and first != second  # one link each, bound to its approver
    body = sent[0]["body"]
    assert "李晓华" in sent[0]["subject"] and "初三（1）班团支部" in body and "20233200****" in body
    assert "202332000231" not in body  # the last four are the approver's question
    assert "320102200801051234" not in body  # never the ID number
    # the token only inside the link's fragment
    assert body.count(first[0]) == len(re.findall(r"#t=" + re.escape(first[0]), body))
    stored = world.container.approval_links.get_link(token_hash(first[0]))
    assert stored is not None and stored["version"] == 1 and stored["approver"] in ("school1", "school2")
    assert first[0] not in json.dumps(stored)  # only the hash is stored
    expires = datetime.fromisoformat(stored["link_expires_at"]) - datetime.fromisoformat(stored["created_at"])
    assert expires == timedelta(days=world.container.settings.approval_link_days) == timedelta(days=14)


def test_a_retried_pending_hook_sends_nothing_twice(world: World) -> None:
    member_id = world.member("202332000232")
    world.upload(member_id, "202332000232")
    events = world.container.archive_events
    member = world.member_item(member_id)
    events.archive_pending(member, 1, "sch")
    events.archive_pending(member, 1, "sch")
    assert len(mails(subject="待审批")) == 2


def test_a_failed_send_is_retried_for_that_approver_only(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    member_id = world.member("202332000233")
    world.upload(member_id, "202332000233")  # v1: both e-mailed
    events = world.container.archive_events
    real = events.mailer.send
    calls: list[str] = []

    def flaky(to: str, message: Any) -> str:
        calls.append(to)
        if to.startswith("school2"):
            raise RuntimeError("SES throttled")
        return real(to, message)

    monkeypatch.setattr(events.mailer, "send", flaky)
    member = world.member_item(member_id)
    # as if v2 had just been accepted: the hook fails for school2 and raises (the worker retries)
    with pytest.raises(RuntimeError):
        events.archive_pending({**member, "archive_version": 2}, 2, "sch")
    monkeypatch.setattr(events.mailer, "send", real)
    events.archive_pending({**member, "archive_version": 2}, 2, "sch")
    v2 = [m for m in mails(subject="待审批")][2:]
    assert sorted(m["to"][0] for m in v2) == ["school1@test.zhtj.local", "school2@test.zhtj.local"]
    # school2's first (unsent) link was deleted when its link was re-issued
    sent = world.container.approval_links.get_sent(member_id, 2, "school2")
    assert sent is not None and sent["sent_at"]


# ------------------------------------------------------------------ using the link
def test_viewing_changes_nothing_and_approving_needs_the_last_four(world: World) -> None:
    member_id = world.member("202332000234")
    world.upload(member_id, "202332000234")
    token = link_for(world)
    before = world.container.archives.member_items(member_id)
    view = approvals.view_link(token, ctx=world.ctx(), now=datetime.now(UTC))
    assert view["status"] == "open" and view["member"]["number_shown"] == "20233200"
    assert "resident_id" not in json.dumps(view) and "320102200801051234" not in json.dumps(view)
    assert view["file"]["url"].startswith("http") and view["archive"]["version"] == 1
    assert world.container.archives.member_items(member_id) == before  # GET/view changes nothing

    with pytest.raises(LinkRefused) as wrong:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0000", ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert wrong.value.code == "wrong_digits" and wrong.value.status == 422 and "不一致" in wrong.value.message
    assert world.member_item(member_id)["archive_state"] == "待审批"
    with pytest.raises(LinkRefused) as missing:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="", ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert missing.value.code == "digits_required"

    done = approvals.decide_by_link(token, approve=True, reason=None, last_four="０２３４", ctx=world.ctx(),
                                    now=datetime.now(UTC))  # full-width digits from a Chinese IME
    assert done["archive_state"] == "团员身份已认证"
    member = world.member_item(member_id)
    assert member["archive_state"] == "团员身份已认证"
    items = world.container.archives.member_items(member_id)
    audit = [i for i in items if str(i["sk"]).startswith("AUDIT#") and i["action"] == "archive_approved"]
    assert len(audit) == 1 and audit[0]["via"] == approvals.VIA_LINK and audit[0]["actor"] == "school1"
    outcome = mails("branch1@test.zhtj.local", "审批结果")
    assert len(outcome) == 1 and "同意" in outcome[0]["subject"] and "邮件中的审批链接" in outcome[0]["body"]

    with pytest.raises(LinkRefused) as again:  # replayed
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0234", ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert again.value.code == "already_decided" and "已处理" in again.value.message
    other = link_for(world, "school2")  # the other approver's link: the version is decided
    with pytest.raises(LinkRefused) as late:
        approvals.view_link(other, ctx=world.ctx(), now=datetime.now(UTC))
    assert late.value.code == "already_decided"


def test_five_wrong_answers_lock_the_link(world: World) -> None:
    member_id = world.member("202332000235")
    world.upload(member_id, "202332000235")
    token = link_for(world)
    for left in range(approvals.MAX_WRONG_ANSWERS - 1, -1, -1):
        with pytest.raises(LinkRefused) as wrong:
            approvals.decide_by_link(token, approve=True, reason=None, last_four="1111", ctx=world.ctx(),
                                     now=datetime.now(UTC))
        assert wrong.value.code == "wrong_digits" and wrong.value.details["attempts_left"] == left
    with pytest.raises(LinkRefused) as locked:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0235", ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert locked.value.code == "link_locked"
    assert world.member_item(member_id)["archive_state"] == "待审批"  # the console remains


def test_reject_needs_a_reason_and_a_new_upload_supersedes_the_link(world: World) -> None:
    member_id = world.member("202332000236")
    world.upload(member_id, "202332000236")
    token = link_for(world)
    with pytest.raises(LinkRefused) as no_reason:
        approvals.decide_by_link(token, approve=False, reason="  ", last_four=None, ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert no_reason.value.code == "reason_required" and no_reason.value.field == "reason"
    done = approvals.decide_by_link(token, approve=False, reason="第2页缺少团支部意见", last_four=None,
                                    ctx=world.ctx(), now=datetime.now(UTC))
    assert done["archive_state"] == "认证不通过"
    member = world.member_item(member_id)
    assert member["archive_state"] == "认证不通过" and member["archive_reason"] == "第2页缺少团支部意见"
    assert "第2页缺少团支部意见" in mails("branch1@test.zhtj.local", "审批结果")[0]["body"]

    world.upload(member_id, "202332000236")  # 替换档案 → v2, new links
    assert world.member_item(member_id)["archive_version"] == 2
    fresh = link_for(world)
    assert fresh != token
    with pytest.raises(LinkRefused) as old:
        approvals.view_link(token, ctx=world.ctx(), now=datetime.now(UTC))
    assert old.value.code == "already_decided"  # consumed by its own decision
    untouched = link_for(world, "school2")  # school2's newest link is the v2 one
    assert approvals.view_link(untouched, ctx=world.ctx(), now=datetime.now(UTC))["archive"]["version"] == 2


def test_a_link_of_a_superseded_version_refuses(world: World) -> None:
    member_id = world.member("202332000237")
    world.upload(member_id, "202332000237")
    token = link_for(world)
    c = world.container
    archives.decide_from_console(world.principal("school2", "sch"), member_id, version=1, approve=False,
                                 reason="扫描不清晰", directory=c.store, ledger=c.archives, now=datetime.now(UTC))
    with pytest.raises(LinkRefused) as decided:  # the console decided first
        approvals.view_link(token, ctx=world.ctx(), now=datetime.now(UTC))
    assert decided.value.code == "already_decided" and "在控制台" in decided.value.message
    world.upload(member_id, "202332000237")
    with pytest.raises(LinkRefused) as superseded:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0237", ctx=world.ctx(),
                                 now=datetime.now(UTC))
    assert superseded.value.code == "link_superseded" and superseded.value.status == 410
    assert world.member_item(member_id)["archive_state"] == "待审批"


def test_expired_forged_and_reassigned(world: World) -> None:
    member_id = world.member("202332000238")
    world.upload(member_id, "202332000238")
    token = link_for(world)
    later = datetime.now(UTC) + timedelta(days=15)
    with pytest.raises(LinkRefused) as expired:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0238", ctx=world.ctx(), now=later)
    assert expired.value.code == "link_expired" and "过期" in expired.value.message
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (forged, "", "not-a-token", token + "x", "../" * 20):
        with pytest.raises(LinkRefused) as invalid:
            approvals.view_link(bad, ctx=world.ctx(), now=datetime.now(UTC))
        assert invalid.value.code == "link_invalid" and invalid.value.status == 404
    # an approver moved to another organisation can no longer use the old e-mail
    client("cognito-idp").admin_update_user_attributes(
        UserPoolId=world.aws.physical("UserPool"), Username="school1",
        UserAttributes=[{"Name": "custom:org_id", "Value": "320102"}])
    with pytest.raises(LinkRefused) as moved:
        approvals.view_link(token, ctx=world.ctx(), now=datetime.now(UTC))
    assert moved.value.code == "approver_changed"
    assert world.member_item(member_id)["archive_state"] == "待审批"


# ------------------------------------------------------------------ the routes
def call(app: Any, path: str, body: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    event = http_api_event("POST", path, "", {"content-type": "application/json"}, data, PUBLIC, None, "127.0.0.1")
    response = app.resolve(event, LambdaContext("ApiFunction"))
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = ", ".join(values)
    return int(response["statusCode"]), json.loads(response["body"]), headers


def test_routes_answer_no_store_json_in_chinese_and_never_500(world: World) -> None:
    member_id = world.member("202332000239")
    world.upload(member_id, "202332000239")
    token = link_for(world)
    app = api.build_app(world.container)
    status, body, headers = call(app, "/api/approval-links/view", {"token": token})
    assert status == 200 and body["member"]["name"] == "李晓华" and headers["cache-control"] == "no-store"
    cases = [({"token": "x" * 43}, 404, "link_invalid"), ({}, 400, "invalid_request"),
             (b"{not json", 400, "invalid_request"), ({"token": token, "approve": "maybe"}, 400, "invalid_request")]
    for request, expected, code in cases:
        path = "/api/approval-links/decision" if isinstance(request, dict) and "approve" in request \
            else "/api/approval-links/view"
        status, body, headers = call(app, path, request)
        assert (status, body["code"]) == (expected, code), body
        assert headers["cache-control"] == "no-store" and re.search(r"[\u4e00-\u9fff]", body["message"])
    status, body, _ = call(app, "/api/approval-links/decision", {"token": token, "approve": True, "last_four": "9"})
    assert status == 400 and body["field"] == "last_four"
    status, body, _ = call(app, "/api/approval-links/decision", {"token": token, "approve": True, "last_four": "9999"})
    assert status == 422 and body["code"] == "wrong_digits"
    status, body, _ = call(app, "/api/approval-links/decision", {"token": token, "approve": True, "last_four": "0239"})
    assert status == 200 and body["archive_state"] == "团员身份已认证"
    status, body, _ = call(app, "/api/approval-links/decision", {"token": token, "approve": False, "reason": "x"})
    assert status == 409 and body["code"] == "already_decided"


# ------------------------------------------------------------------ reminders
def test_reminders_are_sent_once_a_day(world: World) -> None:
    world.member("202332000240", name="赵逾期", join_month=1)
    world.member("202332000241", name="钱未传", join_month=5)
    pending = world.member("202332000242", name="孙待审")
    world.upload(pending, "202332000242")
    rejected = world.member("202332000243", name="周不通过")
    world.upload(rejected, "202332000243")
    c = world.container
    archives.decide_from_console(world.principal("school1", "sch"), rejected, version=1, approve=False,
                                 reason="缺页", directory=c.store, ledger=c.archives, now=datetime.now(UTC))
    before = len(ses_outbox())
    day = date(2023, 5, 20)

    def run() -> reminders.ReminderRun:
        return reminders.run_reminders(day, store=c.approval_links, directory=c.directory, orgs=c.store,
                                       mailer=c.mailer, site_origin="http://127.0.0.1:8000")

    first = run()
    sent = ses_outbox()[before:]
    assert first.failed == 0 and first.sent == len(sent) > 0
    branch = [m for m in sent if m["to"] == ["branch1@test.zhtj.local"]]
    assert len(branch) == 1 and "赵逾期" in branch[0]["body"] and "已逾期" in branch[0]["body"]
    assert "钱未传" in branch[0]["body"] and "周不通过" in branch[0]["body"] and "缺页" in branch[0]["body"]
    assert "孙待审" not in branch[0]["body"]  # pending is the approvers' digest
    approver = [m for m in sent if m["to"] == ["school1@test.zhtj.local"] and "等待您审批" in m["subject"]]
    assert len(approver) == 1 and "孙待审" in approver[0]["body"] and "202332000242" not in approver[0]["body"]
    county = [m for m in sent if m["to"] == ["xuanwu1@test.zhtj.local"]]
    assert len(county) == 1 and "赵逾期" in county[0]["body"]  # §4.3: every level watches its members
    assert all("320102200801051234" not in m["body"] for m in sent)

    second = run()  # a retried run the same day
    assert second.sent == 0 and second.skipped == first.sent and len(ses_outbox()) == before + first.sent
    next_day = reminders.run_reminders(day + timedelta(days=1), store=c.approval_links, directory=c.directory,
                                       orgs=c.store, mailer=c.mailer, site_origin="http://127.0.0.1:8000")
    assert next_day.sent == first.sent


def test_a_failed_digest_is_released_for_the_retry(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.member("202332000244", name="吴未传")
    c = world.container
    real = c.mailer.send

    def failing(to: str, message: Any) -> str:
        if to.startswith("xuanwu1"):
            raise RuntimeError("throttled")
        return real(to, message)

    monkeypatch.setattr(c.mailer, "send", failing)
    day = date(2023, 5, 21)
    first = reminders.run_reminders(day, store=c.approval_links, directory=c.directory, orgs=c.store,
                                    mailer=c.mailer, site_origin="http://x")
    assert first.failed == 1 and first.sent >= 1
    monkeypatch.setattr(c.mailer, "send", real)
    retry = reminders.run_reminders(day, store=c.approval_links, directory=c.directory, orgs=c.store,
                                    mailer=c.mailer, site_origin="http://x")
    assert retry.sent == 1 and retry.failed == 0 and retry.skipped == first.sent


def test_concurrent_decisions_run_one_transaction(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    member_id = world.member("202332000245")
    world.upload(member_id, "202332000245")
    token = link_for(world)
    commits: list[int] = []
    real = world.container.archives.commit

    def counted(change: Any) -> None:
        commits.append(1)
        real(change)

    monkeypatch.setattr(world.container.archives, "commit", counted)

    def attempt(_: int) -> str:
        try:
            approvals.decide_by_link(token, approve=True, reason=None, last_four="0245", ctx=world.ctx(),
                                     now=datetime.now(UTC))
        except LinkRefused as exc:
            return exc.code
        return "decided"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = sorted(pool.map(attempt, range(12)))
    assert outcomes == ["already_decided"] * 11 + ["decided"]
    assert len(commits) == 1  # the losers waited for the holder instead of racing its transaction


def test_a_held_link_is_waited_for_then_reported(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    member_id = world.member("202332000230")
    world.upload(member_id, "202332000230")
    token = link_for(world)
    links = world.container.approval_links
    now = datetime.now(UTC)
    assert links.claim(token_hash(token), claim_id="other", now=archives.timestamp(now),
                       until=archives.timestamp(now + timedelta(seconds=30)), max_wrong=5)
    monkeypatch.setattr(approvals, "CLAIM_WAIT_SECONDS", 0.5)
    with pytest.raises(LinkRefused) as busy:
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0230", ctx=world.ctx(), now=now)
    assert busy.value.code == "decision_in_progress" and busy.value.status == 409
    assert world.member_item(member_id)["archive_state"] == "待审批"
    links.release(token_hash(token), claim_id="other")  # the holder gave up: the link works again
    done = approvals.decide_by_link(token, approve=True, reason=None, last_four="0230", ctx=world.ctx(),
                                    now=datetime.now(UTC))
    assert done["archive_state"] == "团员身份已认证"


def _fail_outcome_mails(events: Any, monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> Any:
    """Every outcome e-mail (审批结果) raises ``failure`` from now on — SES refusing it, or the
    process dying there (_Killed); other mail goes out. Returns the real send."""
    real = events.mailer.send

    def failing(to: str, message: Any) -> str:
        if "审批结果" in message.subject:
            raise failure
        return real(to, message)

    monkeypatch.setattr(events.mailer, "send", failing)
    return real


def test_an_outcome_email_that_failed_is_sent_by_a_retry_of_the_link(world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    member_id = world.member("202332000246")
    world.upload(member_id, "202332000246")
    token = link_for(world)
    events = world.container.archive_events
    real = _fail_outcome_mails(events, monkeypatch, RuntimeError("SES throttled"))
    done = approvals.decide_by_link(token, approve=True, reason=None, last_four="0246", ctx=world.ctx(),
                                    now=datetime.now(UTC))
    assert done["archive_state"] == "团员身份已认证"  # the decision stands; the e-mail is still due
    assert mails("branch1@test.zhtj.local", "审批结果") == []
    assert world.container.approval_links.get_link(token_hash(token))["followup_due"]  # type: ignore[index]
    monkeypatch.setattr(events.mailer, "send", real)
    for _ in range(2):  # the approver taps again: 已处理, and the outcome goes out once
        with pytest.raises(LinkRefused) as again:
            approvals.decide_by_link(token, approve=True, reason=None, last_four="0246", ctx=world.ctx(),
                                     now=datetime.now(UTC))
        assert again.value.code == "already_decided"
        assert len(mails("branch1@test.zhtj.local", "审批结果")) == 1
    link = world.container.approval_links.get_link(token_hash(token))
    assert link is not None and "followup_due" not in link and link["followed_up_at"]
    audit = [i for i in world.container.archives.member_items(member_id) if i.get("action") == "archive_approved"]
    assert len(audit) == 1


_DECIDED = (archives.Conflict, TransitionNotAllowed)  # what a retry of a decided version is told (409)


class _Killed(BaseException):
    """The process dies here (Lambda's timeout, an out-of-memory kill): nothing after it runs."""


def _console_decide(world: World, member_id: str, now: datetime) -> dict[str, Any]:
    c = world.container
    return archives.decide_from_console(world.principal("school1", "sch"), member_id, version=1, approve=True,
                                        reason=None, directory=c.store, ledger=c.archives, now=now,
                                        events=c.archive_events)


def _outcome_mails() -> list[str]:
    return sorted(to for m in mails(subject="审批结果") for to in m["to"])


@pytest.mark.parametrize("dies_at", ["first outcome e-mail", "after the outcome e-mails"])
def test_a_console_decision_killed_after_its_transaction_is_finished_by_the_retry(
        world: World, monkeypatch: pytest.MonkeyPatch, dies_at: str) -> None:
    """The console's decision dies after its transaction (before the outcome e-mail, or after
    it and before the follow-up is marked done): the decider's retry is told 409 while the dead
    attempt's lease runs, and once it ran out the retry sends exactly what is missing."""
    member_id = world.member("202332000247" if dies_at.startswith("first") else "202332000248")
    world.upload(member_id, "202332000247" if dies_at.startswith("first") else "202332000248")
    events, ledger = world.container.archive_events, world.container.archives
    before = _outcome_mails()
    real_send, real_finish = events.mailer.send, ledger.finish_follow_up

    def dying_finish(*args: Any, **kwargs: Any) -> None:
        raise _Killed()

    if dies_at.startswith("first"):
        _fail_outcome_mails(events, monkeypatch, _Killed())
    else:
        monkeypatch.setattr(ledger, "finish_follow_up", dying_finish)
    now = datetime.now(UTC)
    with pytest.raises(_Killed):
        _console_decide(world, member_id, now)
    monkeypatch.setattr(events.mailer, "send", real_send)
    monkeypatch.setattr(ledger, "finish_follow_up", real_finish)
    sent_by_the_attempt = _outcome_mails()
    assert world.member_item(member_id)["archive_state"] == "团员身份已认证"
    assert ledger.get_version(member_id, 1)["followup_due"]  # type: ignore[index]

    with pytest.raises(_DECIDED):  # within the dead attempt's lease: nothing is raced
        _console_decide(world, member_id, now + timedelta(seconds=5))
    assert _outcome_mails() == sent_by_the_attempt
    for _ in range(2):  # after it: the retry finishes the follow-up, and only once
        with pytest.raises(_DECIDED):
            _console_decide(world, member_id, now + timedelta(seconds=archives.FOLLOW_UP_LEASE_SECONDS + 1))
    new = list(_outcome_mails())
    for address in before:
        new.remove(address)
    assert new == ["branch1@test.zhtj.local"]  # the uploading branch's one admin, exactly once
    record = ledger.get_version(member_id, 1)
    assert record is not None and "followup_due" not in record and record["followed_up_at"]
    audit = [i for i in ledger.member_items(member_id) if i.get("action") == "archive_approved"]
    assert len(audit) == 1


def test_a_console_outcome_email_that_failed_is_sent_by_the_next_try(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    member_id = world.member("202332000249")
    world.upload(member_id, "202332000249")
    events = world.container.archive_events
    before = len(mails(subject="审批结果"))
    real = _fail_outcome_mails(events, monkeypatch, RuntimeError("SES throttled"))
    assert _console_decide(world, member_id, datetime.now(UTC))["archive_state"] == "团员身份已认证"
    assert len(mails(subject="审批结果")) == before  # the decision stands; the e-mail is still due
    monkeypatch.setattr(events.mailer, "send", real)
    with pytest.raises(_DECIDED):  # the lease was given back at once: this try sends it
        _console_decide(world, member_id, datetime.now(UTC))
    after = len(mails(subject="审批结果"))
    assert after > before
    with pytest.raises(_DECIDED):
        _console_decide(world, member_id, datetime.now(UTC))
    assert len(mails(subject="审批结果")) == after


# ------------------------------------------------------------------ the follow-up sweeper
def _all_listed(world: World) -> list[Any]:
    return world.container.archives.due_follow_ups(decided_after="0", decided_before="9", limit=1000)


def test_a_link_decision_no_one_retries_is_told_by_the_sweeper(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The approver's page died after the decision's transaction and the approver never taps
    again: the sweeper sends the outcome e-mail once GRACE has passed, once, and the follow-up
    leaves the list."""
    from zhtj.handlers import scheduled
    from zhtj.services import follow_ups

    member_id = world.member("202332000250")
    world.upload(member_id, "202332000250")
    token = link_for(world)
    real = _fail_outcome_mails(world.container.archive_events, monkeypatch, _Killed())
    now = datetime.now(UTC)
    with pytest.raises(_Killed):
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0250", ctx=world.ctx(), now=now)
    monkeypatch.setattr(world.container.archive_events.mailer, "send", real)
    before = len(mails("branch1@test.zhtj.local", "审批结果"))
    listed = [f for f in _all_listed(world) if f.link_hash == token_hash(token)]
    assert len(listed) == 1

    early = scheduled.sweep(world.container, now + timedelta(seconds=30))  # within GRACE: the attempt's
    assert early.resumed == 0 and len(mails("branch1@test.zhtj.local", "审批结果")) == before
    later = now + follow_ups.GRACE + timedelta(seconds=1)
    assert scheduled.sweep(world.container, later).resumed == 1
    assert len(mails("branch1@test.zhtj.local", "审批结果")) == before + 1
    assert scheduled.sweep(world.container, later + timedelta(minutes=10)).as_dict() == {"due": 0, "resumed": 0}
    assert len(mails("branch1@test.zhtj.local", "审批结果")) == before + 1
    link = world.container.approval_links.get_link(token_hash(token))
    assert link is not None and "followup_due" not in link and "gsi1pk" not in link
    assert [f for f in _all_listed(world) if f.link_hash == token_hash(token)] == []


def test_a_console_decision_left_due_is_told_by_the_sweeper_and_old_ones_are_left(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from zhtj.handlers import scheduled
    from zhtj.services import follow_ups

    member_id = world.member("202332000251")
    world.upload(member_id, "202332000251")
    real = _fail_outcome_mails(world.container.archive_events, monkeypatch, _Killed())
    now = datetime.now(UTC)
    with pytest.raises(_Killed):
        _console_decide(world, member_id, now)
    monkeypatch.setattr(world.container.archive_events.mailer, "send", real)
    before = _outcome_mails()
    mine = [f for f in _all_listed(world) if f.member_id == member_id]
    assert [(f.version, f.link_hash) for f in mine] == [(1, None)]

    # two weeks on, no run had told it (the function was down): left for an operator, still listed
    stale = scheduled.sweep(world.container, now + follow_ups.HORIZON + timedelta(days=1))
    assert stale.resumed == 0 and _outcome_mails() == before
    assert [f.member_id for f in _all_listed(world) if f.member_id == member_id] == [member_id]

    assert scheduled.sweep(world.container, now + follow_ups.GRACE + timedelta(seconds=1)).resumed == 1
    new = _outcome_mails()
    for address in before:
        new.remove(address)
    assert new == ["branch1@test.zhtj.local"]
    record = world.container.archives.get_version(member_id, 1)
    assert record is not None and "followup_due" not in record and "gsi1pk" not in record
    assert [f for f in _all_listed(world) if f.member_id == member_id] == []


def test_decisions_that_told_their_outcome_leave_nothing_listed(world: World) -> None:
    member_id = world.member("202332000252")
    world.upload(member_id, "202332000252")
    token = link_for(world)
    approvals.decide_by_link(token, approve=False, reason="首页编号与系统不一致", last_four=None, ctx=world.ctx(),
                             now=datetime.now(UTC))
    other = world.member("202332000253")
    world.upload(other, "202332000253")
    _console_decide(world, other, datetime.now(UTC))
    listed = _all_listed(world)
    assert [f for f in listed if f.link_hash == token_hash(token) or f.member_id in (member_id, other)] == []


def _allowed(statements: list[dict[str, Any]], action: str, resource: str, leading_key: str | None) -> bool:
    """A small evaluator of the function's own Allow statements: the action, the resource
    (``table`` or ``index/NAME``, from the template's GetAtt/Sub) and the LeadingKeys patterns."""
    import fnmatch

    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action not in actions:
            continue
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        names = ["table" if target == {"Fn::GetAtt": ["Table", "Arn"]} else
                 str(target.get("Fn::Sub", "")).replace("${Table.Arn}/", "") if isinstance(target, dict) else target
                 for target in targets]
        if action.startswith("dynamodb:") and resource not in names:
            continue
        patterns = (statement.get("Condition", {}).get("ForAllValues:StringLike", {})
                    .get("dynamodb:LeadingKeys"))
        if patterns is None or (leading_key is not None and any(fnmatch.fnmatchcase(leading_key, p)
                                                                for p in patterns)):
            return True
    return False


def test_the_sweeper_needs_nothing_its_policy_does_not_allow(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call a sweep makes — a link's and a console decision's follow-up — checked against
    template.yaml's FollowUpFunction statements: least privilege that is also enough."""
    from zhtj.handlers import scheduled
    from zhtj.services import follow_ups

    link_member = world.member("202332000254")
    world.upload(link_member, "202332000254")
    token = link_for(world)
    console_member = world.member("202332000255")
    world.upload(console_member, "202332000255")
    real = _fail_outcome_mails(world.container.archive_events, monkeypatch, _Killed())
    now = datetime.now(UTC)
    with pytest.raises(_Killed):
        approvals.decide_by_link(token, approve=True, reason=None, last_four="0254", ctx=world.ctx(), now=now)
    with pytest.raises(_Killed):
        _console_decide(world, console_member, now)
    monkeypatch.setattr(world.container.archive_events.mailer, "send", real)
    world.container.directory.forget()  # the run lists the admins itself, as a fresh function would

    calls: list[tuple[str, str, str | None]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        action = f"{service}:{model.name}"
        if service != "dynamodb":
            calls.append((action, "", None))
            return
        resource = f"index/{params['IndexName']}" if params.get("IndexName") else "table"
        key = params.get("Key", {}).get("pk", {}).get("S") or params.get("Item", {}).get("pk", {}).get("S")
        if key is None and "ExpressionAttributeValues" in params:  # a Query: its partition value
            key = params["ExpressionAttributeValues"].get(":pk", {}).get("S")
        calls.append((action, resource, key))

    for service in ("dynamodb", "ses", "cognito-idp"):
        world.container.clients.client(service).meta.events.register("provide-client-params", record)
    run = scheduled.sweep(world.container, now + follow_ups.GRACE + timedelta(seconds=1))
    assert run.resumed == 2

    statements = load_template()["Resources"]["FollowUpFunction"]["Properties"]["Policies"][0]["Statement"]
    assert {action for action, _, _ in calls} >= {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem",
                                                  "dynamodb:PutItem", "email:SendTemplatedEmail",
                                                  "cognito-idp:ListUsers"}
    refused = [(action, resource, key and key.split("#")[0]) for action, resource, key in calls
               if not _allowed(statements, action.replace("email:", "ses:"), resource, key)]
    assert refused == []
