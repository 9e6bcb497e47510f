"""Approvals without AWS: the e-mail templates (every placeholder filled, HTML escaped, the
token only in the link), the link's helpers, the scheduled job's day, and the reminder
planning (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from zhtj.domain.glossary import OrgKind
from zhtj.domain.orgs import new_child, new_root
from zhtj.handlers.scheduled import day_of
from zhtj.mail import Alternatives, names, render
from zhtj.services import approvals, reminders


def test_every_template_renders_and_escapes() -> None:
    assert set(names()) >= {"approval_request", "decision_outcome", "digest_org", "digest_approver"}
    token = approvals.new_token()
    url = approvals.link_url("https://zhtj.example.org/", token)
    assert url == f"https://zhtj.example.org/console/approve.html#t={token}"
    rendered = render("approval_request", {
        "approver": "school", "decider_name": "示范初中团委", "member_name": "<b>王</b>", "branch_name": "初三（1）班",
        "number_masked": approvals.masked_number("202332000231"), "join_month": "2023年4月", "version": "1",
        "uploader_name": "初三（1）班", "submitted_at": "2023-05-10 17:00（北京时间）", "expires_at": "x",
        "link": Alternatives(text=url, html=f'<a href="{url}">打开审批页面</a>'),
    })
    assert "<b>王</b>" in rendered.subject and "&lt;b&gt;王&lt;/b&gt;" in rendered.html
    assert "20233200****" in rendered.text and "202332000231" not in rendered.text
    for body in (rendered.text, rendered.html):
        assert body.count(token) == body.count(f"#t={token}") == 1  # one link, the token only in its fragment
        assert "${" not in body
    with pytest.raises(KeyError):
        render("approval_request", {"approver": "x"})  # never sent half-rendered


def test_tokens_are_256_bit_and_only_their_hash_is_kept() -> None:
    tokens = {approvals.new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    token = tokens.pop()
    assert re.fullmatch(r"[0-9a-f]{64}", approvals.token_hash(token)) and token not in approvals.token_hash(token)


def test_digits_and_times() -> None:
    assert approvals.normalise_digits(" ０２ 31 ") == "0231"
    assert approvals.beijing_time("2023-05-10T09:00:00+00:00") == "2023-05-10 17:00（北京时间）"
    assert day_of({"scheduled_time": "2023-05-10T23:30:00Z"}) == date(2023, 5, 11)  # 07:30 Beijing
    assert day_of({"date": "2023-06-30"}) == date(2023, 6, 30)
    assert day_of({}, now=datetime(2023, 1, 1, 20, tzinfo=UTC)) == date(2023, 1, 2)


@dataclass(frozen=True)
class Admin:
    username: str
    org_id: str
    email: str | None
    is_admin: bool = True


def test_digests_group_members_by_every_watched_ancestor() -> None:
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="南京市团委", short_name="南京", kind=OrgKind.CITY, industry=None)
    county = new_child(city, org_id="320102", name="玄武区团委", short_name="玄武", kind=OrgKind.COUNTY,
                       industry=None)
    school = new_child(county, org_id="sch", name="示范初中团委", short_name="示范", kind=OrgKind.COMMITTEE,
                       industry=None)
    orgs = {o.org_id: o for o in (county, school)}
    admins = {"320102": [Admin("xuanwu", "320102", "X@demo")], "sch": [Admin("school", "sch", "s@demo"),
                                                                       Admin("nomail", "sch", None)]}
    path = ["32", "3201", "320102", "sch", "b1"]
    members = [
        {"name": "甲", "member_number": "202332000001", "branch_name": "一班", "branch_path": path,
         "join_year": 2023, "join_month": 1, "archive_state": "尚未认证"},
        {"name": "乙", "member_number": "202332000002", "branch_name": "一班", "branch_path": path,
         "join_year": 2023, "join_month": 5, "archive_state": "尚未认证"},
        {"name": "丙", "member_number": "202332000003", "branch_name": "一班", "branch_path": path,
         "join_year": 2023, "join_month": 4, "archive_state": "认证不通过", "archive_reason": "缺页"},
    ]
    pending = [{"kind": "archive", "name": "丁", "member_number": "202332000004", "branch_name": "一班",
                "decider_id": "sch", "submitted_at": "2023-05-01T00:00:00+00:00"}]
    digests = reminders.plan_digests(date(2023, 5, 20), admins=admins, orgs=orgs, members=members, pending=pending,
                                     site_origin="http://x")
    kinds = sorted(d.kind for d in digests)
    assert kinds == ["approver:sch", "org:320102", "org:sch"]
    school_digest = next(d for d in digests if d.kind == "org:sch")
    assert school_digest.recipients == ["s@demo"] and school_digest.values["missing_count"] == "2"
    assert school_digest.values["overdue_count"] == "1"
    text = school_digest.values["missing_list"].text
    assert text.index("甲") < text.index("乙") and "已逾期" in text  # overdue first
    waiting = next(d for d in digests if d.kind == "approver:sch")
    assert "20233200****" in waiting.values["pending_list"].text and waiting.values["oldest_days"] == "19"
    assert next(d for d in digests if d.kind == "org:320102").recipients == ["x@demo"]
