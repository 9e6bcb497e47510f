"""Corrections of a member's development number (Q&A §5.7) and 团组织关系转接 (guide §4.4,
Q&A §5.4).

**Number correction.** "系统内团员的发展团员编号必须与其《入团志愿书》首页的一致。如果不一致需要尽快修改，
团员本人、团员所在团组织及其直属上级团组织管理员都有权限修改": admins of the member's branch or
of its direct parent (members have no accounts here). The new number passes the entry rules
(12 digits, the join year's first four, a segment held by the branch's ancestry for the
member's domain and year — notice §三.2) and is used once: the old claim is released and the
new one taken in the same transaction as the member's update. The quota counts do not move:
the member stays in the same branch, domain and year, so the same holders count it.

**Transfer** (minimal but real): the admin of the member's branch (or above it) asks to move a
member to another 团支部; an admin of the target (or above it) accepts or declines; the source
may withdraw while it is open. Refused, at the request and again at the acceptance (the
condition of the write), while the member's identity is not certified or a change of the
archive is open (§4.4 "须完成团员身份认证后再开展团组织关系转接工作"; Q&A §5.4). The member
keeps its number, domain and development year — a transfer is not a new development, and the
quota stays counted where the member was developed (``developed_branch_id`` records it on the
first transfer).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from zhtj.domain import archive as machine
from zhtj.domain.archive import Archive
from zhtj.domain.errors import NotAuthorised, SegmentError, TransitionNotAllowed
from zhtj.domain.glossary import OrgKind
from zhtj.domain.numbers import check_number_join_year, parse_member_number
from zhtj.domain.orgs import Organisation, Principal, can_administer, require_administers
from zhtj.services.archives import Actor, archive_of, audit_entry, timestamp
from zhtj.services.errors import InvalidRequest, NotFound
from zhtj.services.member_search import MemberDirectory, get_member
from zhtj.services.members import HeldSegment, find_segment
from zhtj.services.organisations import get_organisation, load
from zhtj.services.ports import OrganisationRepository


class SegmentLookup(Protocol):
    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]: ...


class TransferLedger(Protocol):
    def member(self, member_id: str) -> dict[str, Any] | None: ...

    def get_transfer(self, member_id: str) -> dict[str, Any] | None: ...

    def change_number(self, member_id: str, *, old: str, new: str, member_values: Mapping[str, Any],
                      audit: Mapping[str, Any]) -> None: ...

    def open_transfer(self, member_id: str, transfer: Mapping[str, Any], *, branch_id: str,
                      expected: Archive, audit: Mapping[str, Any]) -> None: ...

    def complete_transfer(self, member_id: str, *, transfer: Mapping[str, Any], expected: Archive,
                          target: Organisation, name: str, audit: Mapping[str, Any]) -> None: ...

    def close_transfer(self, member_id: str, *, transfer_id: str, audit: Mapping[str, Any]) -> None: ...

    def transfers_into(self, org: Organisation) -> list[dict[str, Any]]: ...


NUMBER_FIELD = "member_number"


# ---------------------------------------------------------------- number correction (Q&A §5.7)
def correct_number(principal: Principal, member_id: str, new_number: str, reason: str | None, *,
                   directory: MemberDirectory, segments: SegmentLookup, ledger: TransferLedger,
                   now: datetime) -> dict[str, Any]:
    member = get_member(principal, member_id, directory)  # 404 outside the caller's subtree
    path = [str(p) for p in member["branch_path"]]
    if principal.org_id not in path[-2:]:
        raise NotAuthorised("not_branch_or_parent",
                            "发展团员编号只能由团员所在团支部或其直属上级组织的管理员修改（问答 5.7）")
    number = parse_member_number(new_number)
    old = str(member["member_number"])
    if number.text == old:
        raise InvalidRequest("number_unchanged", "新编号与系统内的编号相同，无需修改", NUMBER_FIELD)
    check_number_join_year(number, int(member["join_year"]))
    held = find_segment(segments.segments_of(path, int(member["join_year"]), str(member["domain"])), number)
    if held is None:
        raise SegmentError(
            "number_not_in_segment",
            f"发展团员编号 {number.text} 不在本团支部及其上级组织{member['join_year']}年"
            f"{member['domain']}领域分配的号段内，"
            "请核对编号或联系上级团委（通知 三.2：号段不得挤占、挪用）", NUMBER_FIELD)
    written = (reason or "").strip() or None
    if written and len(written) > machine.REASON_MAX_LENGTH:
        raise InvalidRequest("reason_too_long", f"理由不能超过{machine.REASON_MAX_LENGTH}字", "reason")
    at = timestamp(now)
    state = archive_of(member).state
    actor = Actor(principal.username, principal.org_id, "console")
    ledger.change_number(member_id, old=old, new=number.text,
                         member_values={"segment_holder": held.holder_id, "number_corrected_at": at},
                         audit=audit_entry("number_corrected", actor, at, from_state=state, to_state=state,
                                           reason=written, old_number=old, new_number=number.text))
    return {"member_id": member_id, "member_number": number.text, "previous_number": old}


# ---------------------------------------------------------------- transfers (§4.4, Q&A §5.4)
def _transfer_refusal(archive: Archive) -> TransitionNotAllowed | None:
    if not machine.can_transfer(archive):
        return TransitionNotAllowed(
            "transfer_not_certified",
            f"该团员的团员身份尚未认证（当前状态为“{archive.state.value}”），不能发起团组织关系转接"
            "（操作指引 4.4、问答 5.4）")
    if archive.change_requested or archive.change_approved:
        return TransitionNotAllowed("transfer_change_open",
                                    "该团员的电子档案正在变更，请变更完成后再发起团组织关系转接")
    return None


def request_transfer(principal: Principal, member_id: str, target_branch_id: str, reason: str | None, *,
                     directory: MemberDirectory, orgs: OrganisationRepository, ledger: TransferLedger,
                     now: datetime) -> dict[str, Any]:
    member = get_member(principal, member_id, directory)
    current = archive_of(member)
    refusal = _transfer_refusal(current)
    if refusal is not None:
        raise refusal
    target = orgs.get(target_branch_id)
    if target is None:
        raise NotFound("org_not_found", f"组织“{target_branch_id}”不存在，请检查组织编号", field="target_branch_id")
    if target.kind is not OrgKind.BRANCH:
        raise InvalidRequest("target_not_branch", f"“{target.name}”不是团支部：团员组织关系只能转入团支部",
                             "target_branch_id")
    if target.org_id == member["branch_id"]:
        raise InvalidRequest("target_same_branch", "转入组织与团员当前所在团支部相同", "target_branch_id")
    at = timestamp(now)
    actor = Actor(principal.username, principal.org_id, "console")
    written = (reason or "").strip() or None
    transfer = {"transfer_id": "t" + secrets.token_hex(12), "member_id": member_id, "name": member["name"],
                "member_number": member["member_number"], "source_branch_id": member["branch_id"],
                "source_branch_name": member.get("branch_name"), "source_path": list(member["branch_path"]),
                "target_branch_id": target.org_id, "target_branch_name": target.name, "target_path": list(target.path),
                "requested_at": at, "requested_by": principal.username, "requester_org_id": principal.org_id,
                "reason": written}
    ledger.open_transfer(member_id, transfer, branch_id=str(member["branch_id"]), expected=current,
                         audit=audit_entry("transfer_requested", actor, at, from_state=current.state,
                                           to_state=current.state, reason=written, target_branch_id=target.org_id,
                                           transfer_id=transfer["transfer_id"]))
    return _transfer_json(transfer)


def _open_transfer(member_id: str, ledger: TransferLedger) -> dict[str, Any]:
    transfer = ledger.get_transfer(member_id)
    if transfer is None:
        raise NotFound("transfer_not_found", "该团员没有待处理的组织关系转接")
    return transfer


def decide_transfer(principal: Principal, member_id: str, *, accept: bool, reason: str | None,
                    orgs: OrganisationRepository, ledger: TransferLedger, now: datetime) -> dict[str, Any]:
    """The target's admin (or an admin above the target) accepts or declines. The member is
    outside the target's subtree until accepted, so it is found through the open transfer."""
    transfer = _open_transfer(member_id, ledger)
    if not can_administer(principal, transfer["target_path"]):
        raise NotFound("transfer_not_found", "该团员没有转入您管理的组织的组织关系转接")
    member = ledger.member(member_id)
    if member is None:
        raise NotFound("member_not_found", "未找到该团员")
    current = archive_of(member)
    at = timestamp(now)
    actor = Actor(principal.username, principal.org_id, "console")
    written = (reason or "").strip() or None
    if not accept:
        if not written:
            raise InvalidRequest("reason_required", "不接收组织关系转接时须写明理由", "reason")
        ledger.close_transfer(member_id, transfer_id=str(transfer["transfer_id"]),
                              audit=audit_entry("transfer_declined", actor, at, from_state=current.state,
                                                to_state=current.state, reason=written,
                                                transfer_id=transfer["transfer_id"]))
        return {**_transfer_json(transfer), "status": "declined", "reason": written}
    refusal = _transfer_refusal(current)
    if refusal is not None:
        raise refusal
    target = load(orgs, str(transfer["target_branch_id"]))
    ledger.complete_transfer(member_id, transfer=transfer, expected=current, target=target, name=str(member["name"]),
                             audit=audit_entry("transfer_accepted", actor, at, from_state=current.state,
                                               to_state=current.state, reason=written,
                                               source_branch_id=transfer["source_branch_id"],
                                               target_branch_id=target.org_id, transfer_id=transfer["transfer_id"]))
    return {**_transfer_json(transfer), "status": "accepted"}


def cancel_transfer(principal: Principal, member_id: str, *, directory: MemberDirectory, ledger: TransferLedger,
                    now: datetime) -> None:
    member = get_member(principal, member_id, directory)  # the source side: the member is still in its subtree
    transfer = _open_transfer(member_id, ledger)
    at = timestamp(now)
    state = archive_of(member).state
    ledger.close_transfer(member_id, transfer_id=str(transfer["transfer_id"]),
                          audit=audit_entry("transfer_cancelled", Actor(principal.username, principal.org_id), at,
                                            from_state=state, to_state=state, transfer_id=transfer["transfer_id"]))


def incoming_transfers(principal: Principal, org_id: str, *, orgs: OrganisationRepository,
                       ledger: TransferLedger) -> list[dict[str, Any]]:
    org = get_organisation(principal, org_id, orgs)
    require_administers(principal, org.path)
    return [_transfer_json(t) for t in ledger.transfers_into(org)]


def transfer_of(principal: Principal, member_id: str, *, directory: MemberDirectory,
                ledger: TransferLedger) -> dict[str, Any] | None:
    get_member(principal, member_id, directory)
    transfer = ledger.get_transfer(member_id)
    return _transfer_json(transfer) if transfer else None


def _transfer_json(transfer: Mapping[str, Any]) -> dict[str, Any]:
    return {key: transfer.get(key) for key in (
        "transfer_id", "member_id", "name", "member_number", "source_branch_id", "source_branch_name",
        "target_branch_id", "target_branch_name", "requested_at", "requested_by", "reason")}
