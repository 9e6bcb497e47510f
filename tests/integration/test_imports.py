"""Batch imports against moto (in process, resources from template.yaml): the signed upload,
the worker fed through the real S3 → SQS notification and the pump, every stored-state rule of
member entry per row, quota, the failure report (re-uploadable as is), dry runs, branch
imports, and files written by another program (LibreOffice .xls, GB18030 .csv).

Exactly-once behaviour (duplicate events, re-uploads, crashes, races) is in
``test_imports_exactly_once.py``; both build on the world below."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import openpyxl
import pytest
import requests

from infra.local.pump import SqsPump
from infra.local.resources import LocalResources, create_resources
from infra.local.template import load_template, queue_triggers
from tests.integration.conftest import client
from tests.unit.imports._support import LibreOffice, filled_template, find_soffice, member, resident_id
from zhtj import bootstrap
from zhtj.adapters.dynamodb import from_item, number_claim_key, quota_key
from zhtj.adapters.dynamodb_imports import DynamoImportStore
from zhtj.bootstrap import Container
from zhtj.domain.glossary import Domain, Industry, OrgKind, Role
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import Organisation, Principal, new_child, new_root
from zhtj.handlers import import_worker, workers
from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE
from zhtj.services import import_jobs, members
from zhtj.services.errors import InvalidRequest, NotFound
from zhtj.services.organisations import child_id
from zhtj.settings import Settings

YEAR = 2023
JH, SOCIAL = Domain.JUNIOR_HIGH.value, Domain.SOCIAL.value
SCHOOL_QUOTA = 8
NAMES = {
    "b1": "南京市玄武区示范初级中学初三（1）班团支部",
    "b2": "南京市玄武区示范初级中学初三（2）班团支部",
    "grd": "南京市玄武区示范初级中学初三年级团总支",
    "sch": "南京市玄武区示范初级中学团委",
    "c1": "南京市玄武区第二中学初三（1）班团支部",
    "sb": "南京市玄武区玄武门街道青年社区团支部",
    "sz1": "苏州市虎丘区某中学初三（1）班团支部",
}


# ------------------------------------------------------------------ the world
@dataclass
class World:
    container: Container
    aws: LocalResources
    orgs: dict[str, Organisation]
    admins: dict[str, Principal]
    bucket: str
    pumps: list[SqsPump] = field(default_factory=list)

    @property
    def store(self) -> DynamoImportStore:
        return import_worker.import_store(self.container)

    def request(self, who: str, *, org: str | None = None, template: str = "members",
                file_name: str = "团员.xlsx", dry_run: bool = False) -> import_jobs.ImportTicket:
        principal = self.admins[who]
        store = self.store
        return import_jobs.request_import(
            principal, self.orgs[org].org_id if org else principal.org_id, template=template, file_name=file_name,
            dry_run=dry_run, orgs=store.tree, jobs=store, files=import_worker.import_files(self.container),
            expires_in=300, now=datetime.now(UTC))

    def post(self, ticket: import_jobs.ImportTicket, data: bytes) -> None:
        """What the browser does: a multipart form POST straight to S3."""
        body = ticket.to_json()["upload"]
        response = requests.post(ticket.url, data=ticket.fields,
                                 files={"file": ("upload", data, body["content_type"])}, timeout=30)
        assert response.status_code in (200, 201, 204), response.text

    def pump(self) -> SqsPump:
        trigger = queue_triggers(load_template())[0]
        pump = SqsPump(client("sqs"), trigger, queue_url=self.aws.physical("UploadQueue"),
                       queue_arn=self.aws.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0,
                       handler=workers.upload_handler)
        while pump.poll_once():
            pass
        self.pumps.append(pump)
        return pump

    def status(self, who: str, job_id: str) -> dict[str, Any]:
        return import_jobs.import_status(self.admins[who], job_id, jobs=self.store,
                                         files=import_worker.import_files(self.container), expires_in=300)

    def run(self, who: str, data: bytes, **options: Any) -> dict[str, Any]:
        """Ask, upload, let the queue run the worker; the job's final status."""
        ticket = self.request(who, **options)
        self.post(ticket, data)
        pump = self.pump()
        assert pump.stats.failed == 0, pump.stats.errors
        return self.status(who, str(ticket.job["job_id"]))

    # ------------------------------------------------------------------ reading the table
    def items(self) -> list[dict[str, Any]]:
        table = self.container.settings.table_name
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
        while True:
            page = self.container.clients.client("dynamodb").scan(**kwargs)
            found += [from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def members(self) -> dict[str, dict[str, Any]]:
        return {m["member_id"]: m for m in self.items() if m.get("type") == "member"}

    def quota(self, org: str, domain: str = JH) -> dict[str, Any]:
        item = self.store._get(quota_key(YEAR, domain, self.orgs[org].org_id))
        assert item is not None
        return item

    def claim_owner(self, number: str) -> str | None:
        return self.container.store.claim_owner(number_claim_key(number))

    def used_sequences(self, holder: str, domain: str = JH) -> set[int]:
        for item in self.items():
            prefix = f"SEGMENT#{YEAR}#{domain}#"
            if item["pk"] == f"ORG#{self.orgs[holder].org_id}" and str(item["sk"]).startswith(prefix):
                return set(item.get("used_sequences") or set())
        raise AssertionError(f"no segment held by {holder}")

    def register(self, who: str, index: int, **values: Any) -> str:
        """Single entry of one member (the console form's path), before an import."""
        form = row_values(index, **values)
        entry = members.entry_from_form({k: v for k, v in form.items() if v}, date(2023, 6, 30))
        branch = self.admins[who].org_id
        return members.register_member(self.admins[who], branch, entry, orgs=self.container.store,
                                       ledger=self.container.store, secret=self.secret, now=datetime.now(UTC))

    @property
    def secret(self) -> bytes:
        return self.container.settings.id_hash_key.encode()


def build_world(container: Container, aws: LocalResources) -> World:
    province = new_root("32", "共青团江苏省委", "团省委")
    nanjing = new_child(province, org_id="3201", name="共青团南京市委", short_name="南京团市委", kind=OrgKind.CITY,
                        industry=None)
    suzhou = new_child(province, org_id="3205", name="共青团苏州市委", short_name="苏州团市委", kind=OrgKind.CITY,
                       industry=None)
    county = new_child(nanjing, org_id="320102", name="共青团南京市玄武区委", short_name="玄武团区委",
                       kind=OrgKind.COUNTY, industry=None)
    school = new_child(county, org_id="sch", name=NAMES["sch"], short_name="示范初中团委", kind=OrgKind.COMMITTEE,
                       industry=Industry.JUNIOR_HIGH)
    grade = new_child(school, org_id="grd", name=NAMES["grd"], short_name="初三年级团总支",
                      kind=OrgKind.GENERAL_BRANCH, industry=Industry.JUNIOR_HIGH)
    b1 = new_child(grade, org_id="b1", name=NAMES["b1"], short_name="初三（1）班团支部", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    b2 = new_child(grade, org_id="b2", name=NAMES["b2"], short_name="初三（2）班团支部", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    school2 = new_child(county, org_id="sch2", name="南京市玄武区第二中学团委", short_name="二中团委",
                        kind=OrgKind.COMMITTEE, industry=Industry.JUNIOR_HIGH)
    c1 = new_child(school2, org_id="c1", name=NAMES["c1"], short_name="初三（1）班团支部", kind=OrgKind.BRANCH,
                   industry=Industry.JUNIOR_HIGH)
    street = new_child(county, org_id="wc", name="南京市玄武区玄武门街道团工委", short_name="玄武门街道团工委",
                       kind=OrgKind.WORK_COMMITTEE, industry=None)
    social = new_child(street, org_id="sb", name=NAMES["sb"], short_name="青年社区团支部", kind=OrgKind.BRANCH,
                       industry=Industry.URBAN_COMMUNITY)
    sz_county = new_child(suzhou, org_id="320505", name="共青团苏州市虎丘区委", short_name="虎丘团区委",
                          kind=OrgKind.COUNTY, industry=None)
    sz_branch = new_child(sz_county, org_id="sz1", name=NAMES["sz1"], short_name="初三（1）班团支部",
                          kind=OrgKind.BRANCH, industry=Industry.JUNIOR_HIGH)
    orgs = [province, nanjing, suzhou, county, school, grade, b1, b2, school2, c1, street, social, sz_county,
            sz_branch]
    container.store.add_many(orgs)
    quotas = [("32", YEAR, JH, 1000, 600), ("3201", YEAR, JH, 500, 100), ("320102", YEAR, JH, 100, SCHOOL_QUOTA),
              ("sch", YEAR, JH, SCHOOL_QUOTA, 0), ("3205", YEAR, JH, 100, 0),
              ("32", YEAR, SOCIAL, 100, 50), ("3201", YEAR, SOCIAL, 50, 10), ("320102", YEAR, SOCIAL, 10, 0)]
    segments = [("sch", Segment(YEAR, Domain.JUNIOR_HIGH, "32", 1, 20)),
                ("320102", Segment(YEAR, Domain.JUNIOR_HIGH, "32", 21, 60)),
                ("320102", Segment(YEAR, Domain.SOCIAL, "32", 101, 110)),
                ("3205", Segment(YEAR, Domain.JUNIOR_HIGH, "32", 201, 210))]
    container.store.load_plan(quotas, segments)
    by_id = {o.org_id: o for o in orgs}

    def admin(org_id: str) -> Principal:
        return Principal(username=f"admin-{org_id}", org_id=org_id, org_path=by_id[org_id].path, role=Role.ADMIN)

    admins = {"branch": admin("b1"), "branch2": admin("b2"), "grade": admin("grd"), "school": admin("sch"),
              "xuanwu": admin("320102"), "nanjing": admin("3201"), "suzhou": admin("3205"), "social": admin("sb")}
    return World(container, aws, by_id, admins, aws.physical("ArchiveBucket"))


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    return build_world(container, aws)


def second_stack(stage: str) -> tuple[Container, LocalResources]:
    """Another complete set of the template's resources in the same moto (its own table,
    bucket and queue): a clean run to compare a crashed one with."""
    resources = create_resources(boto3.session.Session(), endpoint_url=None,
                                 parameters={"Stage": stage, "SiteOrigin": "http://127.0.0.1:8000"})
    built = bootstrap.build(Settings.from_environ({**resources.environment, "AWS_REGION": "us-east-1"}))
    return built, resources


# ------------------------------------------------------------------ rows and files
def row_values(index: int, **overrides: Any) -> dict[str, Any]:
    """A valid member row (numbers 20233200{index:04d}); keyword names are column names."""
    defaults: dict[str, Any] = {"所在团支部": "", "身份证号码": resident_id(date(2008, 1, 1), 2 * index + 1)}
    cells = member(index, **{**defaults, **overrides})
    return dict(zip(MEMBER_TEMPLATE.column_names, cells, strict=True))


def member_file(rows: Sequence[dict[str, Any]]) -> bytes:
    return filled_template([[r[name] for name in MEMBER_TEMPLATE.column_names] for r in rows])


def branch_row(**values: Any) -> list[Any]:
    defaults = {"组织类别": "团支部", "组织简称": "", "组织全称": "", "单位所属行业类别": "初中", "上级组织全称": "",
                "书记姓名": "", "书记身份证号码": "", "书记手机号码": "", "备注": ""}
    merged = {**defaults, **values}
    return [merged[name] for name in BRANCH_TEMPLATE.column_names]


def report_rows(url: str) -> tuple[list[str], list[list[Any]]]:
    """The failure report as the admin downloads it: header, then the data rows."""
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [str(c).lstrip("*") for c in rows[0]]
    return header, [r for r in rows[1:] if any(c not in (None, "") for c in r)]


def codes(status: dict[str, Any]) -> dict[int, set[str]]:
    return {f["row"]: {e["code"] for e in f["errors"]} for f in status["failures"]}


def no_reservations_left(world: World) -> None:
    for item in world.items():
        if item.get("type") == "quota":
            assert not [k for k in item if k.startswith("rsv_")], item
            assert item["used"] + item["remaining"] == item["quota"], item


# ------------------------------------------------------------------ 1. the signed upload
def test_presigned_post_pins_key_type_and_size(world: World) -> None:
    """moto enforces none of a POST policy's conditions (DESIGN.md): the decoded policy is asserted."""
    for file_name, content_type in (("团员.xlsx", import_jobs.REPORT_CONTENT_TYPE),
                                    ("团员.XLS", "application/vnd.ms-excel"), ("团员.csv", "text/csv")):
        ticket = world.request("branch", file_name=file_name)
        job_id = ticket.job["job_id"]
        extension = file_name.rsplit(".", 1)[1].lower()
        conditions = json.loads(base64.b64decode(ticket.fields["policy"]))["conditions"]
        assert {"key": f"uploads/imports/{job_id}/source.{extension}"} in conditions
        assert {"Content-Type": content_type} in conditions and ticket.fields["Content-Type"] == content_type
        assert ["content-length-range", 1, 32 * 1024 * 1024] in conditions
        assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
        assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
        job = world.store.get_job(str(job_id))
        assert job is not None
        assert job["status"] == "waiting_upload" and job["requested_by"] == "admin-b1" and job["org_id"] == "b1"
        assert job["template"] == "members" and job["dry_run"] is False and job["file_name"] == file_name
        assert "团员" not in job["key"]
        view = world.status("branch", str(job_id))
        assert view["status_text"] == "等待上传文件" and view["progress"] == 0.0 and view["report"] is None


def test_requests_that_cannot_be_imported_are_refused_up_front(world: World) -> None:
    with pytest.raises(InvalidRequest) as wrong_type:
        world.request("branch", file_name="团员.pdf")
    assert wrong_type.value.code == "file_type" and ".xlsx" in wrong_type.value.message
    with pytest.raises(InvalidRequest) as unknown:
        world.request("branch", template="cadres")
    assert unknown.value.code == "template_unknown"
    with pytest.raises(InvalidRequest) as leaf:
        world.request("branch", template="branches")
    assert leaf.value.code == "leaf_org" and "最基层" in leaf.value.message
    with pytest.raises((NotFound, Exception)) as outside:
        world.request("suzhou", org="b1")
    assert getattr(outside.value, "code", "") in ("forbidden", "org_not_found")
    ticket = world.request("branch")
    with pytest.raises(NotFound):
        world.status("branch2", str(ticket.job["job_id"]))  # a sibling does not see the job
    assert world.status("school", str(ticket.job["job_id"]))["status"] == "waiting_upload"  # an ancestor does


# ------------------------------------------------------------------ 2. the import
def test_a_class_file_gives_the_seed_sentence_and_a_report_of_exactly_the_failed_rows(world: World) -> None:
    rows = [row_values(i) for i in (1, 2, 3, 4)]
    rows.insert(2, row_values(5, 身份证号码="320102200801010000"))  # check digit wrong (offline)
    rows.append(row_values(6, 发展团员编号="202332000500"))  # in no segment of the ancestry
    status = world.run("branch", member_file(rows))
    assert status["status"] == "done" and status["finished"]
    assert status["message"] == "成功导入 4 位团员，2 位团员导入失败"
    assert (status["imported"], status["failed"], status["rows_total"], status["rows_done"]) == (4, 2, 6, 6)
    assert status["progress"] == 1.0
    assert codes(status) == {4: {"id_checksum"}, 7: {"number_not_in_segment"}}
    assert "团员电子数据库" in (status["next_step"] or "")  # Q&A §5.1: new members need their archives

    imported = world.members()
    assert len(imported) == 4
    assert {m["member_number"] for m in imported.values()} == {f"2023320000{i:02d}" for i in (1, 2, 3, 4)}
    assert all(m["branch_id"] == "b1" and m["domain"] == JH and m["created_via"] == "import" for m in imported.values())
    for number in (f"2023320000{i:02d}" for i in (1, 2, 3, 4)):
        owner = world.claim_owner(number)
        assert owner in imported and imported[owner]["member_number"] == number
    for org in ("sch", "320102", "3201", "32"):  # every quota holder of the ancestry counts them
        assert world.quota(org)["used"] == 4
    assert world.quota("sch")["remaining"] == SCHOOL_QUOTA - 4
    assert world.used_sequences("sch") == {1, 2, 3, 4}
    no_reservations_left(world)

    report = status["report"]
    assert report["rows"] == 2 and report["file_name"] == "智慧团建导入团员团干部数据模板-导入失败2条.xlsx"
    header, data = report_rows(report["url"])
    assert header == [*MEMBER_TEMPLATE.column_names, "失败原因"]
    assert [r[1] for r in data] == ["320102200801010000", rows[5]["身份证号码"]]
    assert "第4行“身份证号码”" in data[0][-1] and "号段" in data[1][-1]
    # the source file is gone (it holds ID numbers); the report stays under reports/
    keys = {v["Key"] for v in client("s3").list_object_versions(Bucket=world.bucket).get("Versions", [])}
    assert not [k for k in keys if k.startswith("uploads/imports/")]
    assert f"reports/{status['job_id']}/failures.xlsx" in keys


def test_the_report_goes_back_as_is_and_a_corrected_one_imports_the_rest(world: World) -> None:
    rows = [row_values(1), row_values(2, 入团年月="2021-03"), row_values(3, 发展团员编号="202332000500")]
    first = world.run("branch", member_file(rows))
    assert first["message"] == "成功导入 1 位团员，2 位团员导入失败"
    report = requests.get(first["report"]["url"], timeout=30).content
    again = world.run("branch", report)  # uploaded as downloaded: the 失败原因 column is ignored
    assert again["message"] == "成功导入 0 位团员，2 位团员导入失败"
    assert codes(first) == {3: {"under_age", "number_year"}, 4: {"number_not_in_segment"}}
    assert codes(again) == {2: {"under_age", "number_year"}, 3: {"number_not_in_segment"}}  # the report's own rows
    workbook = openpyxl.load_workbook(io.BytesIO(report))
    sheet = workbook.worksheets[0]
    sheet.cell(row=2, column=MEMBER_TEMPLATE.column_names.index("入团年月") + 1, value="2023-03")
    sheet.cell(row=3, column=MEMBER_TEMPLATE.column_names.index("发展团员编号") + 1, value="202332000003")
    fixed = io.BytesIO()
    workbook.save(fixed)
    done = world.run("branch", fixed.getvalue())
    assert done["message"] == "成功导入 2 位团员，0 位团员导入失败" and done["report"] is None
    assert len(world.members()) == 3 and world.quota("sch")["used"] == 3


def test_every_stored_state_rule_fails_only_its_own_row(world: World) -> None:
    world.register("branch", 40, 发展团员编号="202332000021")  # registered before: its ID and number are taken
    rows = [
        row_values(1, 所在团支部=NAMES["b1"]),  # 2 full name
        row_values(2, 所在团支部="初三（2）班团支部"),  # 3 unique short name
        row_values(3, 所在团支部="初三(1)班团支部"),  # 4 short name of b1 and c1
        row_values(4, 所在团支部="不存在的团支部"),  # 5 nowhere
        row_values(5, 所在团支部=NAMES["sz1"]),  # 6 another city's branch
        row_values(6, 所在团支部=NAMES["grd"]),  # 7 a 团总支, not a branch
        row_values(7, 所在团支部=NAMES["sb"], 发展团员编号="202332000101"),  # 8 social branch, a student
        row_values(8, 所在团支部=NAMES["sb"], 发展团员编号="202332000102", 在读状况="", 全日制学历="普通高中"),  # 9 ok
        row_values(9, 所在团支部=NAMES["sb"], 发展团员编号="202332000022", 在读状况="", 全日制学历="普通高中"),  # 10
        row_values(10, 所在团支部=NAMES["b1"], 发展团员编号="202332000021"),  # 11 number used
        row_values(40, 所在团支部=NAMES["b2"], 发展团员编号="202332000023"),  # 12 ID registered
        row_values(12, 发展团员编号="202332000024"),  # 13 the county is no branch
        row_values(13, 所在团支部=NAMES["c1"], 发展团员编号="202332000025"),  # 14 county's segment: ok
    ]
    status = world.run("xuanwu", member_file(rows))
    assert status["message"] == "成功导入 4 位团员，9 位团员导入失败"
    assert codes(status) == {4: {"branch_ambiguous"}, 5: {"branch_not_found"}, 6: {"branch_not_found"},
                             7: {"not_a_branch"}, 8: {"social_branch_student"}, 10: {"number_not_in_segment"},
                             11: {"number_used"}, 12: {"id_registered"}, 13: {"not_a_branch"}}
    messages = {f["row"]: f["errors"][0] for f in status["failures"]}
    assert messages[4]["column"] == "所在团支部" and "2个组织" in messages[4]["message"]
    assert messages[8]["column"] == "在读状况" and messages[11]["column"] == "发展团员编号"
    assert messages[12]["column"] == "身份证号码" and messages[12]["message"].startswith("第12行“身份证号码”")
    by_number = {m["member_number"]: m for m in world.members().values()}
    assert by_number["202332000102"]["domain"] == SOCIAL and by_number["202332000102"]["branch_id"] == "sb"
    assert by_number["202332000025"]["branch_id"] == "c1" and by_number["202332000002"]["branch_id"] == "b2"
    assert world.quota("320102")["used"] == 4 and world.quota("320102", SOCIAL)["used"] == 1
    assert world.quota("sch")["used"] == 3  # rows 3, 4 and the member registered before
    assert world.used_sequences("320102") == {21, 25} and world.used_sequences("320102", SOCIAL) == {102}
    no_reservations_left(world)


def test_the_tightest_quota_holder_is_never_exceeded(world: World) -> None:
    rows = [row_values(i) for i in range(1, 12)]  # 11 rows, the school's plan has 8 places
    status = world.run("branch", member_file(rows))
    assert status["message"] == f"成功导入 {SCHOOL_QUOTA} 位团员，3 位团员导入失败"
    assert codes(status) == {10: {"quota_exceeded"}, 11: {"quota_exceeded"}, 12: {"quota_exceeded"}}
    assert NAMES["sch"] in status["failures"][0]["errors"][0]["message"]
    assert world.quota("sch")["remaining"] == 0 and world.quota("320102")["used"] == SCHOOL_QUOTA
    no_reservations_left(world)


def test_a_dry_run_reports_the_same_and_writes_nothing(world: World) -> None:
    world.register("branch", 40, 发展团员编号="202332000019")
    rows = [row_values(i) for i in range(1, 10)] + [row_values(40), row_values(41, 发展团员编号="202332000019"),
                                                     row_values(42, 发展团员编号="202332000999")]
    before = [i for i in world.items() if not str(i["pk"]).startswith("IMPORT#")]
    dry = world.run("branch", member_file(rows), dry_run=True)
    after = [i for i in world.items() if not str(i["pk"]).startswith("IMPORT#")]
    assert sorted(map(repr, before)) == sorted(map(repr, after))  # not one item changed
    assert dry["message"] == "试导入结果：成功导入 7 位团员，5 位团员导入失败（未写入任何数据）" and dry["dry_run"]
    real = world.run("branch", member_file(rows))
    assert real["message"] == "成功导入 7 位团员，5 位团员导入失败"
    assert codes(dry) == codes(real) == {9: {"quota_exceeded"}, 10: {"quota_exceeded"}, 11: {"id_registered"},
                                          12: {"number_used"}, 13: {"number_not_in_segment"}}
    assert report_rows(dry["report"]["url"])[1] == report_rows(real["report"]["url"])[1]


def test_a_file_that_is_no_template_is_refused_as_a_whole(world: World) -> None:
    status = world.run("branch", "姓名,年龄\n张三,15\n".encode(), file_name="名单.csv")
    assert status["status"] == "refused" and status["status_text"] == "文件无法导入"
    assert status["refusal"]["code"] == "not_template" and "导入模板" in status["message"]
    wrong = world.run("branch", filled_template([branch_row(组织简称="一班", 组织全称="一班团支部")], BRANCH_TEMPLATE))
    assert wrong["status"] == "refused" and "智慧团建导入团员团干部数据模板" in wrong["message"]
    assert world.members() == {}


def test_size_is_checked_again_after_upload(world: World) -> None:
    """moto ignores the POST policy's content-length-range: the worker refuses by the object's size."""
    ticket = world.request("branch")
    client("s3").put_object(Bucket=world.bucket, Key=str(ticket.job["key"]), Body=b"PK\x03\x04" + b"\0" * (33 << 20))
    world.pump()
    status = world.status("branch", str(ticket.job["job_id"]))
    assert status["status"] == "refused" and status["refusal"]["code"] == "file_too_large"
    assert "32 MB" in status["message"]


def test_an_imported_member_is_stored_exactly_as_single_entry_stores_one(world: World) -> None:
    single = world.register("branch", 30, 发展团员编号="202332000010")
    world.run("branch", member_file([row_values(31, 发展团员编号="202332000011")]))
    items = world.items()
    by_member: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if str(item["pk"]).startswith("MEMBER#"):
            by_member.setdefault(str(item["pk"]), []).append(item)
    (imported_pk,) = [pk for pk in by_member if pk != f"MEMBER#{single}"]
    shape = {pk: sorted((str(i["sk"]).split("#")[0], tuple(sorted(set(i) - {"import_job"}))) for i in found)
             for pk, found in by_member.items()}
    assert shape[imported_pk] == shape[f"MEMBER#{single}"]
    imported = next(i for i in by_member[imported_pk] if i["sk"] == "MEMBER")
    assert imported["gsi2sk"].startswith("MEMBER#32/3201/320102/sch/grd/b1/")
    assert imported["archive_state"] == "尚未认证"


# ------------------------------------------------------------------ 3. branches (下级组织)
def test_branch_import_creates_sub_organisations_once(world: World) -> None:
    grade2 = "南京市玄武区示范初级中学初二年级团总支"
    rows = [
        branch_row(组织类别="团总支", 组织简称="初二年级团总支", 组织全称=grade2, 单位所属行业类别=""),  # 2
        branch_row(组织简称="初二（1）班团支部", 组织全称="南京市玄武区示范初级中学初二（1）班团支部",
                   上级组织全称=grade2, 书记姓名="李四", 书记手机号码="13912345678"),  # 3 under row 2
        branch_row(组织简称="初二（2）班团支部", 组织全称="南京市玄武区示范初级中学初二（2）班团支部",
                   上级组织全称=grade2, 单位所属行业类别=""),  # 4 no industry
        branch_row(组织简称="某班团支部", 组织全称="某班下的团支部", 上级组织全称=NAMES["b1"]),  # 5 under a branch
        branch_row(组织简称="初三（1）班团支部", 组织全称=NAMES["b1"], 上级组织全称=NAMES["grd"]),  # 6 exists
        branch_row(组织简称="某团支部", 组织全称="苏州的团支部", 上级组织全称=NAMES["sz1"]),  # 7 outside
        branch_row(组织类别="团委", 组织简称="示范初中分团委", 组织全称="南京市玄武区示范初级中学分团委",
                   单位所属行业类别="初中"),  # 8 团委 under 团委
    ]
    data = filled_template(rows, BRANCH_TEMPLATE)
    dry = world.run("school", data, template="branches", file_name="组织.xlsx", dry_run=True)
    assert dry["message"] == "试导入结果：成功导入 3 个组织，4 个组织导入失败（未写入任何数据）"
    status = world.run("school", data, template="branches", file_name="组织.xlsx")
    assert status["message"] == "成功导入 3 个组织，4 个组织导入失败"
    assert codes(status) == codes(dry) == {4: {"industry_required"}, 5: {"kind_not_allowed"}, 6: {"org_exists"},
                                           7: {"parent_not_found"}}
    store = world.container.store
    grade_id = child_id("sch", grade2)
    created = store.get(grade_id)
    assert created is not None and created.kind is OrgKind.GENERAL_BRANCH and created.path == ("32", "3201", "320102",
                                                                                           "sch", grade_id)
    class_id = child_id(grade_id, "南京市玄武区示范初级中学初二（1）班团支部")
    branch = store.get(class_id)
    assert branch is not None and branch.industry is Industry.JUNIOR_HIGH and branch.parent_id == grade_id
    assert {o.org_id for o in store.children(grade_id)} == {class_id}
    header, failed = report_rows(status["report"]["url"])
    assert header[-1] == "失败原因" and [r[2] for r in failed] == [
        "南京市玄武区示范初级中学初二（2）班团支部", "某班下的团支部", NAMES["b1"], "苏州的团支部"]
    again = world.run("school", data, template="branches", file_name="组织.xlsx")  # nothing is created twice
    assert again["message"] == "成功导入 0 个组织，7 个组织导入失败"
    assert {3: {"org_exists"}, 2: {"org_exists"}, 8: {"org_exists"}}.items() <= codes(again).items()
    orgs = [i for i in world.items() if i.get("type") == "org"]
    assert len(orgs) == len(world.orgs) + 3


# ------------------------------------------------------------------ 4. files written by another program
@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOffice]:
    binary = find_soffice()
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed: the .xls written by another program cannot be made")
    workdir: Path = tmp_path_factory.mktemp("libreoffice-imports")
    yield LibreOffice(binary, workdir)


def test_an_xls_saved_by_libreoffice_imports_end_to_end(world: World, libreoffice: LibreOffice) -> None:
    xlsx = member_file([row_values(1), row_values(2), row_values(3, 性别="女")])
    xls = libreoffice.convert(xlsx, ".xlsx", "xls")
    assert xls.startswith(b"\xd0\xcf\x11\xe0")
    status = world.run("branch", xls, file_name="智慧团建导入团员团干部导入模板.xls")
    assert status["message"] == "成功导入 2 位团员，1 位团员导入失败"
    assert codes(status) == {4: {"gender_mismatch"}}
    job = world.store.get_job(status["job_id"])
    assert job is not None and job["sheet_format"] == "xls"


def test_a_gb18030_csv_imports_end_to_end(world: World) -> None:
    header = ",".join(MEMBER_TEMPLATE.column_names)
    lines = [header] + [",".join(str(v) for v in row_values(i).values()) for i in (1, 2)]
    status = world.run("branch", "\r\n".join(lines).encode("gb18030"), file_name="团员.csv")
    assert status["message"] == "成功导入 2 位团员，0 位团员导入失败"
    assert {m["name"] for m in world.members().values()} == {row_values(1)["姓名"], row_values(2)["姓名"]}


# ------------------------------------------------------------------ helpers for other modules
def matrix_import_job(org: Organisation) -> str:
    """An import job of ``org`` in the current container (the access matrix's GET target)."""
    container = bootstrap.container()
    store = import_worker.import_store(container)
    admin = Principal(username="matrix", org_id=org.org_id, org_path=org.path, role=Role.ADMIN)
    return str(import_jobs.request_import(admin, org.org_id, template="members", file_name="团员.xlsx", dry_run=False,
                                          orgs=store.tree, jobs=store, files=import_worker.import_files(container),
                                          expires_in=300, now=datetime.now(UTC)).job["job_id"])
