"""Electronic archives against moto (in process, resources from template.yaml): the presigned
upload's policy, the validation worker fed through the real S3 → SQS notification and the
pump (TestEvent, duplicates, out-of-order events), refusals, and the S3 layout."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from infra.local.pump import SqsPump
from infra.local.resources import LocalResources
from infra.local.template import load_template, queue_triggers
from tests.integration.conftest import client
from tests.unit.readers import pdf_corpus
from zhtj.bootstrap import Container
from zhtj.domain.errors import TransitionNotAllowed
from zhtj.domain.glossary import Industry, OrgKind, Role
from zhtj.domain.orgs import Organisation, Principal, new_child, new_root
from zhtj.handlers import workers
from zhtj.readers.pdf import MAX_PDF_BYTES
from zhtj.services import archives
from zhtj.services.errors import NotFound

# Upload requests are dated NOW; everything after them (worker, decisions) runs on the clock.
NOW = datetime(2023, 5, 10, 9, 0, tzinfo=UTC)


@dataclass
class World:
    container: Container
    aws: LocalResources
    orgs: dict[str, Organisation]
    admins: dict[str, Principal]
    bucket: str
    members: int = 0
    tickets: int = 0

    # -------------------------------------------------------------- members
    def member(self, branch: str = "b1", number: str | None = None, name: str = "张三", *,
               join_month: int = 4) -> str:
        self.members += 1
        org = self.orgs[branch]
        member_id = f"m{self.members:031x}"
        number = number or f"2023320000{self.members:02d}"
        self.container.store.register_member({
            "member_id": member_id, "name": name, "member_number": number, "join_year": 2023,
            "join_month": join_month, "branch_id": org.org_id, "branch_name": org.name, "branch_path": list(org.path),
            "domain": "初中", "archive_state": "尚未认证", "archive_version": 0, "resident_id": "x",
            "created_at": "2023-05-01T08:00:00+00:00", "created_by": "tester", "segment_holder": "sch",
        }, member_number=number, counters=[])
        return member_id

    def state(self, member_id: str) -> dict[str, Any]:
        member = self.container.archives.member(member_id)
        assert member is not None
        return member

    # -------------------------------------------------------------- uploads
    def ticket(self, who: str, member_id: str, now: datetime | None = None) -> archives.UploadTicket:
        c = self.container
        self.tickets += 1
        now = now or NOW + timedelta(seconds=self.tickets)
        return archives.request_upload(self.admins[who], member_id, directory=c.store, orgs=c.store,
                                       ledger=c.archives, files=c.archive_files,
                                       expires_in=c.settings.url_ttl_seconds, now=now)

    def post(self, ticket: archives.UploadTicket, data: bytes) -> None:
        """What the browser does: a multipart form POST straight to S3."""
        response = requests.post(ticket.url, data=ticket.fields,
                                 files={"file": ("rutuan.pdf", data, "application/pdf")}, timeout=30)
        assert response.status_code in (200, 201, 204), response.text

    def pump(self) -> SqsPump:
        trigger = queue_triggers(load_template())[0]
        pump = SqsPump(client("sqs"), trigger, queue_url=self.aws.physical("UploadQueue"),
                       queue_arn=self.aws.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0,
                       handler=workers.upload_handler)
        while pump.poll_once():
            pass
        return pump

    def upload(self, who: str, member_id: str, data: bytes, now: datetime | None = None) -> archives.UploadTicket:
        ticket = self.ticket(who, member_id, now)
        self.post(ticket, data)
        pump = self.pump()
        assert pump.stats.failed == 0, pump.stats.errors
        return ticket

    def decide(self, who: str, member_id: str, version: int, approve: bool, reason: str | None = None) -> Any:
        c = self.container
        return archives.decide_from_console(self.admins[who], member_id, version=version, approve=approve,
                                            reason=reason, directory=c.store, ledger=c.archives,
                                            now=datetime.now(UTC))

    def view(self, who: str, member_id: str) -> dict[str, Any]:
        c = self.container
        return archives.archive_view(self.admins[who], member_id, directory=c.store, orgs=c.store,
                                     ledger=c.archives, files=c.archive_files, expires_in=300, now=NOW)

    def keys(self, prefix: str) -> list[str]:
        listed = client("s3").list_object_versions(Bucket=self.bucket, Prefix=prefix)
        return sorted(v["Key"] for v in listed.get("Versions", []))


def pdf(number: str) -> bytes:
    return pdf_corpus.text_pdf(number=number, pages=4, lines_per_page=5)


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    return build_world(container, aws)


def build_world(container: Container, aws: LocalResources) -> World:
    """A school under 玄武区 (团委 → 团总支 → two 团支部) and a branch in another city."""
    province = new_root("32", "共青团江苏省委", "团省委")
    nanjing = new_child(province, org_id="3201", name="共青团南京市委", short_name="南京团市委", kind=OrgKind.CITY,
                        industry=None)
    suzhou = new_child(province, org_id="3205", name="共青团苏州市委", short_name="苏州团市委", kind=OrgKind.CITY,
                       industry=None)
    county = new_child(nanjing, org_id="320102", name="共青团南京市玄武区委", short_name="玄武团区委",
                       kind=OrgKind.COUNTY, industry=None)
    school = new_child(county, org_id="sch", name="示范初级中学团委", short_name="示范初中团委",
                       kind=OrgKind.COMMITTEE, industry=Industry.JUNIOR_HIGH)
    grade = new_child(school, org_id="grd", name="初三年级团总支", short_name="初三团总支",
                      kind=OrgKind.GENERAL_BRANCH, industry=Industry.JUNIOR_HIGH)
    b1 = new_child(grade, org_id="b1", name="初三（1）班团支部", short_name="初三1班", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    b2 = new_child(grade, org_id="b2", name="初三（2）班团支部", short_name="初三2班", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    sz_county = new_child(suzhou, org_id="320505", name="共青团苏州市虎丘区委", short_name="虎丘团区委",
                          kind=OrgKind.COUNTY, industry=None)
    sz_branch = new_child(sz_county, org_id="sz1", name="某高中团支部", short_name="高中团支部", kind=OrgKind.BRANCH,
                          industry=Industry.HIGH_SCHOOL)
    orgs = {o.org_id: o for o in (province, nanjing, suzhou, county, school, grade, b1, b2, sz_county, sz_branch)}
    container.store.add_many(orgs.values())

    def admin(username: str, org_id: str) -> Principal:
        return Principal(username=username, org_id=org_id, org_path=orgs[org_id].path, role=Role.ADMIN)

    admins = {"branch": admin("branch", "b1"), "branch2": admin("branch2", "b2"), "grade": admin("grade", "grd"),
              "school": admin("school", "sch"), "xuanwu": admin("xuanwu", "320102"),
              "nanjing": admin("nanjing", "3201"), "suzhou": admin("suzhou", "3205"),
              "sz_branch": admin("sz_branch", "sz1")}
    return World(container, aws, orgs, admins, aws.physical("ArchiveBucket"))


# ------------------------------------------------------------------ 1. the signed upload
def test_presigned_post_policy_pins_every_condition(world: World) -> None:
    """moto enforces none of these (DESIGN.md), so the decoded policy is asserted instead."""
    member_id = world.member()
    ticket = world.ticket("branch", member_id)
    fields = ticket.fields
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": world.bucket} in conditions
    assert {"key": f"uploads/archives/{member_id}/{ticket.upload_id}.pdf"} in conditions  # exact, no starts-with
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    assert {"Content-Type": "application/pdf"} in conditions and fields["Content-Type"] == "application/pdf"
    assert ["content-length-range", 1, 20 * 1024 * 1024] in conditions
    assert archives.MAX_ARCHIVE_BYTES == MAX_PDF_BYTES
    # SigV4, not SigV2 (DESIGN.md known traps)
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and "x-amz-signature" in fields
    assert "AWSAccessKeyId" not in fields and "signature" not in fields
    credential = next(c["x-amz-credential"] for c in conditions if isinstance(c, dict) and "x-amz-credential" in c)
    assert credential.endswith("/us-east-1/s3/aws4_request")
    assert len(conditions) == 7  # nothing else is allowed in the form
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    ttl = world.container.settings.url_ttl_seconds
    assert abs((expiration - datetime.now(UTC)) - timedelta(seconds=ttl)) < timedelta(seconds=30)
    assert fields["key"] == ticket.key and "张三" not in ticket.key
    # the request is recorded: who, when, which member, the uploader's organisation kind
    upload = world.container.archives.get_upload(member_id, ticket.upload_id)
    assert upload is not None
    assert upload["status"] == "requested" and upload["requested_by"] == "branch"
    assert upload["requester_org_id"] == "b1" and upload["requester_kind"] == "团支部"
    assert upload["requested_at"].startswith("2023-05-10T09:00:")


def test_the_bucket_lets_the_site_post_and_read_across_origins(world: World) -> None:
    """Real S3 applies the bucket's CORS rules to the form POST (the local moto server answers
    every origin, so the rule itself is checked here, as the template creates it)."""
    rules = client("s3").get_bucket_cors(Bucket=world.bucket)["CORSRules"]
    assert any("POST" in r["AllowedMethods"] and "http://127.0.0.1:8000" in r["AllowedOrigins"] for r in rules)


def test_only_admins_of_the_branch_or_above_may_ask(world: World) -> None:
    member_id = world.member()
    for outsider in ("suzhou", "branch2", "sz_branch"):  # another city, a sibling branch
        with pytest.raises(NotFound):
            world.ticket(outsider, member_id)
    for insider in ("branch", "grade", "school", "xuanwu", "nanjing"):  # Q&A §5.5, §3.2.2
        assert world.ticket(insider, member_id).upload_id


# ------------------------------------------------------------------ 2. the worker
def test_branch_upload_is_pending_for_the_school_then_certified(world: World) -> None:
    member_id = world.member(number="202332000050")
    ticket = world.upload("branch", member_id, pdf("202332000050"))
    member = world.state(member_id)
    assert member["archive_state"] == "待审批" and member["archive_version"] == 1
    assert member["archive_decider_id"] == "sch"  # nearest committee above 团支部 → 团总支 → 团委
    version = world.container.archives.get_version(member_id, 1)
    assert version is not None
    assert version["s3_key"] == f"archives/{member_id}/v1.pdf" and version["s3_version_id"]
    assert version["uploader_kind"] == "团支部" and version["pages"] == 4
    assert world.keys(f"archives/{member_id}/") == [f"archives/{member_id}/v1.pdf"]
    assert world.keys(ticket.key) == []  # removed from the live prefix, every version of it
    upload = world.container.archives.get_upload(member_id, ticket.upload_id)
    assert upload is not None and upload["status"] == "accepted" and upload["version"] == 1
    assert upload["verdict"]["ok"] is True

    view = world.view("school", member_id)
    assert view["archive_state"] == "待审批" and view["actions"]["decide"] is True
    assert view["decider"] == {"org_id": "sch", "name": "示范初级中学团委"}
    assert view["download"]["url"] and "X-Amz-Signature" in view["download"]["url"]
    assert "versionId=" in view["download"]["url"]
    pdf_bytes = requests.get(view["download"]["url"], timeout=10).content
    assert pdf_bytes.startswith(b"%PDF-")
    assert world.view("branch", member_id)["actions"]["decide"] is False

    result = world.decide("school", member_id, 1, approve=True)
    assert result["archive_state"] == "团员身份已认证"
    after = world.view("branch", member_id)
    assert after["archive_state"] == "团员身份已认证" and after["counts_as_new_member"] is True
    actions = [(h["action"], h["from_state"], h["to_state"]) for h in after["history"]]
    assert actions == [("created", None, "尚未认证"), ("archive_uploaded", "尚未认证", "待审批"),
                       ("archive_approved", "待审批", "团员身份已认证")]
    uploaded = after["history"][1]
    assert uploaded["actor"] == "branch" and uploaded["at"] and after["history"][2]["actor"] == "school"


def test_committee_upload_is_certified_without_approval(world: World) -> None:
    member_id = world.member(number="202332000051")
    world.upload("school", member_id, pdf("202332000051"))
    member = world.state(member_id)
    assert member["archive_state"] == "团员身份已认证" and member["archive_version"] == 1
    assert not member.get("archive_decider_id")
    c = world.container
    assert archives.pending(world.admins["school"], "sch", orgs=c.store, ledger=c.archives)["items"] == []


def test_scan_without_text_layer_is_accepted_with_a_warning(world: World) -> None:
    member_id = world.member()
    world.upload("branch", member_id, pdf_corpus.phone_app_pdf(pages=3, size=(300, 420)))
    view = world.view("branch", member_id)
    assert view["archive_state"] == "待审批"
    codes = [w["code"] for w in view["current"]["warnings"]]
    assert "number_unchecked" in codes


@pytest.mark.parametrize(("make", "code", "words"), [
    (lambda n: pdf_corpus.encrypt(pdf(n), user="secret", owner="owner", algorithm="AES-128"), "encrypted", "加密"),
    (lambda n: pdf_corpus.xlsx_bytes(), "not_pdf", "Excel"),
    (lambda n: pdf("202332000999"), "number_mismatch", "不一致"),
    (lambda n: pdf_corpus.truncate(pdf(n), 0.4), None, None),
])
def test_a_refused_file_never_becomes_the_archive(world: World, make: Any, code: str | None,
                                                  words: str | None) -> None:
    member_id = world.member(number="202332000060")
    world.upload("school", member_id, pdf("202332000060"))  # v1, certified
    c = world.container
    archives.request_change(world.admins["branch"], member_id, "首页盖章不清", directory=c.store, orgs=c.store,
                            ledger=c.archives, now=datetime.now(UTC))
    archives.decide_change(world.admins["school"], member_id, approve=True, reason=None, directory=c.store,
                           ledger=c.archives, now=datetime.now(UTC))
    ticket = world.upload("branch", member_id, make("202332000060"))
    member = world.state(member_id)
    assert (member["archive_state"], member["archive_version"]) == ("团员身份已认证", 1)  # intact
    assert member["archive_change_approved"] is True  # the one replacement is not used up
    upload = c.archives.get_upload(member_id, ticket.upload_id)
    assert upload is not None and upload["status"] == "refused"
    errors = upload["verdict"]["errors"]
    assert errors and all(e["message"] for e in errors)
    if code:
        assert errors[0]["code"] == code and words in errors[0]["message"]
    assert world.keys(f"refused/archives/{member_id}/") == [f"refused/archives/{member_id}/{ticket.upload_id}.pdf"]
    assert world.keys(ticket.key) == []
    assert world.keys(f"archives/{member_id}/") == [f"archives/{member_id}/v1.pdf"]
    view = world.view("branch", member_id)
    assert view["uploads"][0]["status"] == "refused" and view["uploads"][0]["verdict"]["errors"] == errors
    assert view["history"][-1]["action"] == "upload_refused"


def test_size_and_magic_bytes_are_checked_again_after_upload(world: World) -> None:
    """moto ignores content-length-range: a 21 MB object still arrives, and is refused
    without being read."""
    member_id = world.member()
    ticket = world.ticket("branch", member_id)
    client("s3").put_object(Bucket=world.bucket, Key=ticket.key, Body=b"%PDF-1.7\n" + b"0" * (MAX_PDF_BYTES + 10))
    world.pump()
    upload = world.container.archives.get_upload(member_id, ticket.upload_id)
    assert upload is not None and upload["status"] == "refused"
    assert upload["verdict"]["errors"][0]["code"] == "too_large" and "20 MB" in upload["verdict"]["errors"][0][
        "message"]
    empty = world.ticket("branch", member_id)
    client("s3").put_object(Bucket=world.bucket, Key=empty.key, Body=b"")
    world.pump()
    refused = world.container.archives.get_upload(member_id, empty.upload_id)
    assert refused is not None and refused["verdict"]["errors"][0]["code"] == "empty"
    assert world.state(member_id)["archive_version"] == 0


def _notification(world: World, key: str, size: int) -> str:
    return json.dumps({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
                                    "s3": {"bucket": {"name": world.bucket}, "object": {"key": key, "size": size}}}]})


def test_test_event_and_duplicate_events_change_nothing_twice(world: World) -> None:
    member_id = world.member(number="202332000070")
    ticket = world.ticket("branch", member_id)
    data = pdf("202332000070")
    world.post(ticket, data)  # S3 itself notifies the queue once
    sqs = client("sqs")
    queue = world.aws.physical("UploadQueue")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                                                             "Bucket": world.bucket}))
    for _ in range(2):  # the same event delivered again (at-least-once), URL-encoded key
        sqs.send_message(QueueUrl=queue, MessageBody=_notification(world, ticket.key, len(data)))
    pump = world.pump()
    # moto's own TestEvent (sent when the notification was configured), ours, S3's event, two duplicates
    assert pump.stats.failed == 0 and pump.stats.succeeded == 5
    member = world.state(member_id)
    assert (member["archive_state"], member["archive_version"]) == ("待审批", 1)
    history = world.view("branch", member_id)["history"]
    assert [h["action"] for h in history].count("archive_uploaded") == 1
    assert world.container.archives.get_version(member_id, 2) is None
    # a late duplicate after the decision changes nothing either
    world.decide("school", member_id, 1, approve=True)
    sqs.send_message(QueueUrl=queue, MessageBody=_notification(world, ticket.key, len(data)))
    world.pump()
    assert world.state(member_id)["archive_state"] == "团员身份已认证"


def test_out_of_order_events_keep_the_later_upload(world: World) -> None:
    member_id = world.member(number="202332000071")
    first = world.ticket("branch", member_id, NOW)
    second = world.ticket("branch", member_id, NOW + timedelta(minutes=2))
    s3 = client("s3")
    s3.put_object(Bucket=world.bucket, Key=second.key, Body=pdf("202332000071"))
    world.pump()  # the later file arrives first
    s3.put_object(Bucket=world.bucket, Key=first.key, Body=pdf("202332000071"))
    world.pump()
    member = world.state(member_id)
    assert member["archive_version"] == 1
    version = world.container.archives.get_version(member_id, 1)
    assert version is not None and version["upload_id"] == second.upload_id
    stale = world.container.archives.get_upload(member_id, first.upload_id)
    assert stale is not None and stale["status"] == "refused"
    assert stale["verdict"]["errors"][0]["code"] == "superseded_upload"


def test_an_unknown_object_is_not_retried(world: World) -> None:
    client("s3").put_object(Bucket=world.bucket, Key="uploads/archives/nobody/u1.pdf", Body=b"%PDF-1.4")
    pump = world.pump()
    assert pump.stats.failed == 0 and pump.stats.succeeded >= 1


def test_a_crash_after_the_commit_is_completed_by_the_retry(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The state changed but the file was not copied yet: the redelivered event copies it."""
    member_id = world.member(number="202332000072")
    ticket = world.ticket("branch", member_id)
    world.post(ticket, pdf("202332000072"))
    files = world.container.archive_files
    original = files.copy
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("network down after the commit")
        return original(*args, **kwargs)

    monkeypatch.setattr(files, "copy", flaky)
    pump = world.pump()
    assert pump.stats.failed == 1 and pump.stats.succeeded == 2  # retried once, then done (+ moto's TestEvent)
    version = world.container.archives.get_version(member_id, 1)
    assert version is not None and version.get("file_at")
    assert world.state(member_id)["archive_version"] == 1
    assert world.keys(ticket.key) == []


def test_upload_refused_up_front_when_certified_without_a_change_request(world: World) -> None:
    member_id = world.member(number="202332000073")
    world.upload("school", member_id, pdf("202332000073"))
    with pytest.raises(TransitionNotAllowed) as refused:
        world.ticket("branch", member_id)
    assert refused.value.code == "change_not_approved" and "变更申请" in refused.value.message
