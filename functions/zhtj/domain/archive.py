"""The member archive (团员电子档案, one PDF of the 入团志愿书) as a pure state machine.

操作指引 §3–§5 and DESIGN "Archive":

    尚未认证 ──upload by 团支部/团总支──▶ 待审批 ──approve──▶ 团员身份已认证
        │                                  │ ▲                     │
        │                                  │ └─newer upload        │ change request approved
        │                                  ▼   (supersedes)        │ (§4.5) → one replacement
        │                               认证不通过 ──替换档案──▶ 待审批 │
        └──upload by a committee (§3.2.2: 无需审批)──▶ 团员身份已认证 ◀─┘

``version`` counts accepted uploads (0 = nothing uploaded); storage keeps every version's
file, this records only which one is current. Decisions name the version they were made on,
because approval links travel by email and can be opened after a newer upload.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, NoReturn

from zhtj.domain.errors import TransitionNotAllowed
from zhtj.domain.glossary import ArchiveState, OrgKind

REASON_MAX_LENGTH: Final = 500
REASON_FIELD: Final = "reason"


@dataclass(frozen=True, slots=True)
class Archive:
    state: ArchiveState
    version: int  # 0 = nothing uploaded
    change_approved: bool = False  # §4.5: the upper committee agreed to one replacement
    change_requested: bool = False  # §4.5: a change request waits for the upper committee

    def __post_init__(self) -> None:
        # Invariants of every reachable state; a stored record breaking one is corrupt.
        if self.version < 0:
            raise ValueError("version must be ≥ 0")
        if (self.state is ArchiveState.NOT_CERTIFIED) != (self.version == 0):
            raise ValueError(f"{self.state.name} with version {self.version}: only 尚未认证 has no upload")
        if (self.change_approved or self.change_requested) and self.state is not ArchiveState.CERTIFIED:
            raise ValueError("change flags belong to a certified archive only")
        if self.change_approved and self.change_requested:
            raise ValueError("a change is either requested or approved, not both")


NEW_ARCHIVE: Final = Archive(state=ArchiveState.NOT_CERTIFIED, version=0)


@dataclass(frozen=True, slots=True)
class Transition:
    from_state: ArchiveState
    to_state: ArchiveState
    archive: Archive  # the new value
    reason: str | None


def accept_upload(archive: Archive, uploader_kind: OrgKind) -> Transition:
    """A new PDF becomes the current version.

    From 尚未认证 and 认证不通过 (§3.2.1 替换档案); from 待审批 too, the newer upload
    superseding the pending one (its approval link then fails with version_superseded);
    from 团员身份已认证 only after an approved change request (§4.5 "否则无权更改"), and that
    one replacement uses the approval up. A replacement uploaded at a 团支部/团总支 goes
    through approval like any other (§4.5 "重新提交电子档案"), so until the upper committee
    decides, the member is 待审批 again and not counted (Q&A §5.3).
    """
    if archive.state is ArchiveState.CERTIFIED:
        if archive.change_requested:
            _refuse(
                "change_pending",
                archive,
                "变更申请尚待上级团委审批，审批同意后方可重新上传",
            )
        if not archive.change_approved:
            _refuse(
                "change_not_approved",
                archive,
                "如需更换档案，请先提出变更申请，经上级团委审批同意后重新上传（操作指引§4.5）",
            )
    # §3.2.2: an upload by a 领导机关/团委/团工委 admin needs no approval; one by a
    # 团支部/团总支 admin waits for the upper committee (§3.2.1).
    to_state = ArchiveState.CERTIFIED if uploader_kind.is_committee else ArchiveState.PENDING
    new = Archive(state=to_state, version=archive.version + 1)
    return Transition(archive.state, to_state, new, None)


def approve(archive: Archive, version: int) -> Transition:
    """§3.3–3.4: the upper committee agrees → 团员身份已认证."""
    _check_decidable(archive, version)
    new = Archive(state=ArchiveState.CERTIFIED, version=archive.version)
    return Transition(archive.state, ArchiveState.CERTIFIED, new, None)


def reject(archive: Archive, version: int, reason: str) -> Transition:
    """§3.3.1: 如不同意，须写明理由，反馈给下级团组织 → 认证不通过."""
    _check_decidable(archive, version)
    written = _required_reason(reason, archive, "不同意时须写明理由，反馈给下级团组织")
    new = Archive(state=ArchiveState.REJECTED, version=archive.version)
    return Transition(archive.state, ArchiveState.REJECTED, new, written)


def request_change(archive: Archive, reason: str) -> Transition:
    """§4.5: the member's organisation asks to replace a certified archive."""
    if archive.state is not ArchiveState.CERTIFIED:
        _refuse(
            "change_not_applicable",
            archive,
            "只有“团员身份已认证”的档案需要提出变更申请，其他状态可直接上传或替换档案",
        )
    if archive.change_requested:
        _refuse("change_already_requested", archive, "已有一份变更申请等待上级团委审批，请勿重复提交")
    if archive.change_approved:
        _refuse("change_already_approved", archive, "变更申请已获同意，请直接重新上传档案")
    written = _required_reason(reason, archive, "提出变更申请须写明变更理由")
    new = replace(archive, change_requested=True)
    return Transition(archive.state, archive.state, new, written)


def decide_change(archive: Archive, approved: bool, reason: str | None) -> Transition:
    """§4.5: the upper committee agrees to a change request (one replacement upload is then
    allowed) or refuses it (with a reason, as for any refusal, §3.3.1)."""
    if archive.state is not ArchiveState.CERTIFIED or not archive.change_requested:
        _refuse("no_change_requested", archive, "该档案没有待审批的变更申请")
    written: str | None
    if approved:
        written = reason.strip() if reason and reason.strip() else None
    else:
        written = _required_reason(reason, archive, "不同意变更申请时须写明理由")
    new = replace(archive, change_requested=False, change_approved=approved)
    return Transition(archive.state, archive.state, new, written)


def counts_as_new_member(archive: Archive) -> bool:
    """Q&A §5.3–5.4: a member whose identity is not certified is not counted."""
    return archive.state is ArchiveState.CERTIFIED


def can_transfer(archive: Archive) -> bool:
    """§4.4 and Q&A §5.4: no 团组织关系转接 before the member's identity is certified."""
    return archive.state is ArchiveState.CERTIFIED


def _check_decidable(archive: Archive, version: int) -> None:
    # The version is checked first: an old email link opened after a newer upload (whatever
    # happened to that newer one since) is best answered with "superseded".
    if version < archive.version:
        _refuse(
            "version_superseded",
            archive,
            f"第{version}版档案已被新上传的第{archive.version}版替代，请审批最新版本",
        )
    if version > archive.version:
        _refuse("version_unknown", archive, f"第{version}版档案不存在，当前为第{archive.version}版")
    if archive.state is not ArchiveState.PENDING:
        _refuse("not_pending", archive, "只有“待审批”的档案可以审批")


def _required_reason(reason: str | None, archive: Archive, requirement: str) -> str:
    written = (reason or "").strip()
    if not written:
        raise TransitionNotAllowed("reason_required", _in_state(archive, requirement), REASON_FIELD)
    if len(written) > REASON_MAX_LENGTH:
        raise TransitionNotAllowed(
            "reason_too_long",
            _in_state(archive, f"理由不能超过{REASON_MAX_LENGTH}字，当前为{len(written)}字"),
            REASON_FIELD,
        )
    return written


def _refuse(code: str, archive: Archive, explanation: str) -> NoReturn:
    raise TransitionNotAllowed(code, _in_state(archive, explanation))


def _in_state(archive: Archive, explanation: str) -> str:
    return f"该档案当前状态为“{_describe(archive)}”：{explanation}"


def _describe(archive: Archive) -> str:
    if archive.change_requested:
        return f"{archive.state.value}（变更申请待审批）"
    if archive.change_approved:
        return f"{archive.state.value}（变更申请已同意）"
    return archive.state.value
