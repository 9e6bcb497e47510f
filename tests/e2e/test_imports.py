"""Batch import over real HTTP against ``zhtj local`` (录入操作步骤 §三): ask for the signed
upload, post the file straight to S3, let the queue and the worker run, poll the job, read the
seed's sentence and download the failure report.

Numbers: the demo school holds 初中 202332000001–120 (other tests use 000011–000110, this one
000111–000120); the county 玄武区 holds 000121–245 (this one uses 000200 and up)."""

from __future__ import annotations

import io
import time
from typing import Any

import openpyxl
import requests

from tests.e2e.conftest import RunningStack
from tests.unit.imports._support import filled_template
from zhtj.domain.ids import resident_id_check_character
from zhtj.imports import MEMBER_TEMPLATE


def resident_id(order: int, birth: str = "20080307") -> str:
    """Valid, and unlike the other e2e tests' (another birth date); odd order = 男."""
    body = f"320102{birth}{order:03d}"
    return body + resident_id_check_character(body)


def row(order: int, number: str, **changes: str) -> list[str]:
    name = "导入" + "甲乙丙丁戊己庚辛壬癸"[order % 10] + "子丑寅卯辰巳午未申酉"[order // 10 % 10]  # no digits in names
    values = {"姓名": name, "身份证号码": resident_id(order), "性别": "男", "民族": "汉族",
              "政治面貌": "共青团员", "入团年月": "2023-04", "发展团员编号": number, "在读状况": "初中在读",
              "全日制学历": "初中", "手机号码": "13912345678", "所在团支部": "", "备注": ""}
    values.update(changes)
    return [values[name] for name in MEMBER_TEMPLATE.column_names]


def upload(stack: RunningStack, session: requests.Session, org_id: str, data: bytes, *, file_name: str,
           dry_run: bool = False) -> dict[str, Any]:
    asked = session.post(stack.api(f"orgs/{org_id}/imports"),
                         json={"template": "members", "file_name": file_name, "dry_run": dry_run}, timeout=10)
    assert asked.status_code == 201, asked.text
    ticket = asked.json()
    target = ticket["upload"]
    assert target["key"] == f"uploads/imports/{ticket['job_id']}/source.xlsx" and target["max_bytes"] == 32 << 20
    posted = requests.post(target["url"], data=target["fields"],
                           files={"file": (file_name, data, target["content_type"])}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    return wait(stack, session, ticket["job_id"])


def wait(stack: RunningStack, session: requests.Session, job_id: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = session.get(stack.api(f"imports/{job_id}"), timeout=10)
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        if body["finished"]:
            return body
        assert body["rows_done"] <= body["rows_total"] or body["rows_total"] == 0
        assert time.monotonic() < deadline, f"import not finished in {timeout_s} s:\n{stack.log()[-3000:]}"
        time.sleep(0.3)


def test_a_class_file_with_bad_rows_gives_the_sentence_and_a_report_of_exactly_those_rows(stack: RunningStack) -> None:
    session = stack.session("branch")
    branch = session.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    rows = [
        row(11, "202332000111"),
        row(13, "202332000112"),
        row(15, "202332000113", 身份证号码="320102200803070000"),  # check digit wrong
        row(17, "202332099999"),  # in no segment of the branch's ancestry
        row(19, "202332000114", 入团年月="2021-04"),  # under 14, and the number is not of 2021
        row(21, "202332000115"),
    ]
    status = upload(stack, session, branch, filled_template(rows), file_name="初三（1）班.xlsx")
    assert status["status"] == "done" and status["message"] == "成功导入 3 位团员，3 位团员导入失败", status["failures"]
    assert (status["imported"], status["failed"], status["rows_total"], status["rows_done"]) == (3, 3, 6, 6)
    assert [f["row"] for f in status["failures"]] == [4, 5, 6]
    report = status["report"]
    assert report and report["rows"] == 3
    download = requests.get(report["url"], timeout=30)
    assert download.status_code == 200
    assert "attachment" in download.headers.get("Content-Disposition", "")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0]
    found = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True) if any(r)]
    assert [r[1] for r in found] == ["320102200803070000", resident_id(17), resident_id(19)]
    assert [c.value for c in sheet[1]][-1] == "失败原因"
    assert "身份证号码" in found[0][-1] and "号段" in found[1][-1] and "14周岁" in found[2][-1]
    for number in ("202332000111", "202332000112", "202332000115"):
        listed = session.get(stack.api(f"orgs/{branch}/members"), params={"q": number}, timeout=10).json()["items"]
        assert [m["member_number"] for m in listed] == [number]

    again = upload(stack, session, branch, filled_template(rows), file_name="初三（1）班.xlsx")  # the same file
    assert again["message"] == "成功导入 0 位团员，6 位团员导入失败"
    assert {e["code"] for f in again["failures"] for e in f["errors"]} >= {"id_registered"}


def test_a_county_dry_run_into_a_named_class_writes_nothing(stack: RunningStack) -> None:
    session = stack.session("xuanwu")
    rows = [row(31, "202332000200", 所在团支部="南京市玄武区示范初级中学初三（2）班团支部"),
            row(33, "202332000201", 所在团支部="初三（3）班团支部"),
            row(35, "202332000202", 所在团支部="没有这个团支部")]
    status = upload(stack, session, "320102", filled_template(rows), file_name="玄武区.xlsx", dry_run=True)
    assert status["dry_run"]
    assert status["message"] == "试导入结果：成功导入 2 位团员，1 位团员导入失败（未写入任何数据）"
    assert status["failures"][0]["errors"][0]["code"] == "branch_not_found"
    listed = session.get(stack.api("orgs/320102/members"), params={"q": "202332000200"}, timeout=10).json()["items"]
    assert listed == []
    other = stack.session("suzhou").get(stack.api(f"imports/{status['job_id']}"), timeout=10)
    assert other.status_code == 404 and other.json()["code"] == "import_not_found"
