"""Finding members (操作指引 §4.6: 检索团员姓名、身份证号、发展团员编号), always within the
caller's subtree: a member outside it is reported as not found, never shown."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from zhtj.domain.errors import DomainError
from zhtj.domain.ids import is_valid_resident_id, mask_resident_id, normalise_resident_id
from zhtj.domain.numbers import parse_member_number
from zhtj.domain.orgs import Organisation, Principal, can_administer
from zhtj.services.errors import InvalidRequest, NotFound
from zhtj.services.members import member_id_for


class MemberDirectory(Protocol):
    def get_member(self, member_id: str) -> dict[str, Any] | None: ...

    def member_by_number(self, member_number: str) -> dict[str, Any] | None: ...

    def members_named(self, org: Organisation, name: str) -> list[dict[str, Any]]: ...

    def members_under(self, org: Organisation, *, limit: int = 50,
                      after: str | None = None) -> tuple[list[dict[str, Any]], str | None]: ...


def visible(principal: Principal, member: dict[str, Any] | None) -> bool:
    return member is not None and can_administer(principal, member["branch_path"])


def get_member(principal: Principal, member_id: str, directory: MemberDirectory) -> dict[str, Any]:
    member = directory.get_member(member_id)
    if not visible(principal, member):
        raise NotFound("member_not_found", "未找到该团员，或该团员不在您管理的组织范围内")
    assert member is not None
    return member


def refuse_resident_id_in_url(query: str, *, today: date) -> None:
    """ID numbers never travel in URLs (they end up in access logs and browser history)."""
    if is_valid_resident_id(query.strip(), today):
        raise InvalidRequest("resident_id_in_url",
                             "请勿在网址中填写身份证号码：请使用检索表单（POST …/members/search）")


def search(principal: Principal, org: Organisation, query: str, directory: MemberDirectory, *,
           secret: bytes, today: date) -> list[dict[str, Any]]:
    """By ID number, development number or name — whichever the query is."""
    text = query.strip()
    if not text:
        raise InvalidRequest("query_required", "请输入姓名、身份证号码或发展团员编号")
    if len(text) > 60:
        raise InvalidRequest("query_too_long", "检索内容过长，请输入姓名、身份证号码或发展团员编号")
    found: list[dict[str, Any] | None]
    if is_valid_resident_id(text, today):
        found = [directory.get_member(member_id_for(normalise_resident_id(text), secret))]
    elif text.isdigit() and len(text) == 12:
        try:
            found = [directory.member_by_number(parse_member_number(text).text)]
        except DomainError:
            found = []
    else:
        found = list(directory.members_named(org, text))
    return [m for m in found if m is not None and visible(principal, m)
            and can_administer_within(org, m)]


def can_administer_within(org: Organisation, member: dict[str, Any]) -> bool:
    path = member["branch_path"]
    return list(path[: len(org.path)]) == list(org.path)


def summary(member: dict[str, Any]) -> dict[str, Any]:
    """What lists show: the ID number masked (lists are screenshotted and printed)."""
    return {
        "member_id": member["member_id"],
        "name": member["name"],
        "resident_id": mask_resident_id(member["resident_id"]) if member.get("resident_id") else None,
        "member_number": member["member_number"],
        "join_month": f"{member['join_year']}-{int(member['join_month']):02d}",
        "branch_id": member["branch_id"],
        "branch_name": member.get("branch_name"),
        "domain": member.get("domain"),
        "archive_state": member.get("archive_state"),
    }
