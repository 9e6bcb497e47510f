"""Electronic archives (团员电子档案: one PDF of the 入团志愿书 per member, 操作指引 §2–§5).

The use cases, in the order an archive lives through them:

1. :func:`request_upload` — an admin of the member's branch or of any organisation above it
   (Q&A §5.5, §3.2.2) gets a presigned S3 POST for one server-chosen key; the request is
   recorded as an *upload* (who, when, which member, the uploader's organisation kind);
2. :func:`process_upload` — the validation worker: re-checks size and magic bytes, runs the PDF
   check with the member's number (§4.1, §5.7), then either refuses the file (kept under
   ``refused/``, never the archive) or makes it version *n* and applies the state machine
   (:mod:`zhtj.domain.archive`): a 团支部/团总支 upload → 待审批 for the nearest committee above
   the branch (§3.2.1), a committee upload → 团员身份已认证 (§3.2.2);
3. :func:`decide_archive` — the deciding committee approves or rejects one *version* (§3.3);
   the console route and the e-mailed link (Approvals) both call it;
4. :func:`request_change` / :func:`decide_change` — §4.5: a certified archive changes only
   after the upper committee agrees, and then for one replacement upload;
5. reading: :func:`archive_view`, :func:`download`, :func:`pending`, :func:`summary`,
   :func:`members_without_archive`.

**Who decides** (§3.3): the nearest committee (团委/团工委/领导机关) strictly above the
member's branch — :func:`zhtj.domain.orgs.nearest_committee` — recorded on the member when the
archive enters 待审批, so the decider cannot drift while a decision is open. Only that
committee's admins decide; its ancestors see the pending lists of their subtree (§3.3.2
"查看下级团员电子档案审批情况，开展线上团员电子档案核查" — viewing and checking) but do not
decide in its place: the upper committee is the one that approved the admission (§2 "上级团委审批
同意入团"), holds the sealed paper form (§4.2 加盖公章) and is the one the e-mailed link goes to,
so both decision paths have the same deciders.

**Consistency.** Every change of a member's archive is one :class:`ArchiveChange`, written by
the ledger in one TransactWriteItems conditioned on the member's archive being exactly what the
use case read (state, version, change flags): two deciders, or a decision racing a new upload,
cannot both win; the loser re-reads and gets the domain's own Chinese refusal. An upload is
processed once: the transaction also moves its record from ``requested`` to ``accepted``, so a
duplicate or concurrent S3 event changes nothing twice. One transaction per human action
(upload, decision) keeps moto's per-item transaction cost (DESIGN.md) irrelevant.

**Deadline** (§2, Q&A §5.6: "审批同意后30日内"): the member form records only 入团年月, not the
day the committee approved the admission. The due date is taken as 30 days after the *last*
day of the join month, so no member is ever flagged overdue before 30 days can have passed
since the real admission (a first-of-month reading would flag members admitted late in the
month up to 30 days early). A member is overdue while nothing has been accepted (尚未认证) after
that date.
"""

from __future__ import annotations

import base64
import calendar
import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from zhtj.domain import archive as machine
from zhtj.domain.archive import Archive, Transition
from zhtj.domain.errors import NotAuthorised, TransitionNotAllowed
from zhtj.domain.glossary import ArchiveState, OrgKind
from zhtj.domain.orgs import Organisation, Principal, nearest_committee, require_administers
from zhtj.services.errors import Conflict, InvalidRequest, NotFound
from zhtj.services.member_search import MemberDirectory, get_member
from zhtj.services.organisations import ancestry, get_organisation, load
from zhtj.services.ports import OrganisationRepository

log = logging.getLogger(__name__)

# 操作指引 §3.2.1 / §4.1 "文件大小不超过20M"; equal to zhtj.readers.pdf.MAX_PDF_BYTES (a unit
# test keeps the two equal; the API function must not import the reader module).
MAX_ARCHIVE_BYTES: Final = 20 * 1024 * 1024
CONTENT_TYPE: Final = "application/pdf"
UPLOAD_PREFIX: Final = "uploads/archives/"
ARCHIVE_DUE_DAYS: Final = 30
# Upper bound of members read by one summary (a bounded query, see summary()).
SUMMARY_MAX_MEMBERS: Final = 20_000
PENDING_PAGE: Final = 50
BANNER: Final = "组织内有团员档案尚未上传"

_UPLOAD_KEY_RE: Final = re.compile(r"^uploads/archives/([A-Za-z0-9_-]{1,64})/(u[0-9a-z]{1,64})\.pdf$")


class UploadStatus:
    REQUESTED: Final = "requested"
    ACCEPTED: Final = "accepted"
    REFUSED: Final = "refused"


class PendingKind:
    ARCHIVE: Final = "archive"  # 团员电子档案审批 (§3.3)
    CHANGE: Final = "change"  # 电子档案变更申请 (§4.5)


PENDING_KIND_LABELS: Final = {PendingKind.ARCHIVE: "团员电子档案审批", PendingKind.CHANGE: "电子档案变更申请"}


# ---------------------------------------------------------------- errors
class FileMissing(Exception):
    """The object (or the asked-for version of it) is not in the bucket (raised by ArchiveFiles)."""


class ExtraConditionFailed(Conflict):
    """One of ArchiveChange.extra's conditions failed (e.g. an e-mailed token already used)."""

    def __init__(self, index: int) -> None:
        super().__init__("condition_failed", "该操作已失效，请刷新后重试")
        self.index = index


class ArchiveChanged(Conflict):
    """The member's archive changed between read and write (a conditional write failed)."""

    def __init__(self) -> None:
        super().__init__("archive_changed", "该档案刚刚被他人更新，请刷新后重试")


class UploadAlreadyProcessed(Conflict):
    def __init__(self) -> None:
        super().__init__("upload_processed", "该文件已处理过")


class AlreadyDecided(Conflict):
    def __init__(self) -> None:
        super().__init__("already_decided", "该版本档案已审批，请勿重复操作")


# ---------------------------------------------------------------- values and ports
@dataclass(frozen=True)
class Actor:
    """Who acts: an admin account, the organisation it acts for, and how (``console``,
    ``email`` for the e-mailed link, ``worker`` for the validation worker)."""

    username: str
    org_id: str
    via: str = "console"


@dataclass(frozen=True)
class ArchiveChange:
    """One change of a member's archive, written atomically (ledger.commit).

    The write happens only if the member's archive is still ``expected``; ``member_values``
    are extra member attributes (None removes one). The optional parts: ``new_version``
    creates ``ARCHIVE#{new.version}``; ``decided_version`` records a decision on one version
    (once only); ``upload`` moves an upload from ``requested`` to its outcome (once only);
    ``pending`` puts the member's pending-decision item, ``clear_pending`` deletes it;
    ``extra`` are further adapter-level transaction items (e.g. consuming an e-mailed token in
    the same transaction)."""

    member_id: str
    expected: Archive
    new: Archive
    audit: Mapping[str, Any]
    member_values: Mapping[str, Any] = field(default_factory=dict)
    new_version: Mapping[str, Any] | None = None
    decided_version: tuple[int, Mapping[str, Any]] | None = None
    upload: tuple[str, Mapping[str, Any]] | None = None
    pending: Mapping[str, Any] | None = None
    clear_pending: bool = False
    extra: tuple[Mapping[str, Any], ...] = ()


class ArchiveLedger(Protocol):
    """What the archive use cases need from storage (DynamoArchiveStore implements it)."""

    def member(self, member_id: str) -> dict[str, Any] | None:
        """The member item, read consistently (it carries the archive's state)."""

    def member_items(self, member_id: str) -> list[dict[str, Any]]:
        """Every item of the member's partition: member, versions, uploads, audit, pending."""

    def add_upload(self, values: Mapping[str, Any]) -> None: ...

    def get_upload(self, member_id: str, upload_id: str) -> dict[str, Any] | None: ...

    def commit(self, change: ArchiveChange) -> None:
        """Raises ArchiveChanged, UploadAlreadyProcessed or AlreadyDecided."""

    def refuse_upload(self, member_id: str, upload_id: str, values: Mapping[str, Any],
                      audit: Mapping[str, Any]) -> bool:
        """Record a refusal; False when the upload was already processed."""

    def get_version(self, member_id: str, version: int) -> dict[str, Any] | None: ...

    def claim_follow_up(self, member_id: str, version: int, *, claim_id: str, now: str, until: str) -> bool: ...

    def release_follow_up(self, member_id: str, version: int, *, claim_id: str, now: str) -> None: ...

    def finish_follow_up(self, member_id: str, version: int, *, claim_id: str, at: str) -> None: ...

    def mark_file(self, member_id: str, version: int, values: Mapping[str, Any]) -> bool:
        """Record where version ``version``'s file is; False when already recorded."""

    def mark_notified(self, member_id: str, upload_id: str, at: str) -> None: ...

    def pending_under(self, org: Organisation, *, kind: str | None, decider_id: str | None,
                      limit: int, after: Mapping[str, Any] | None
                      ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...

    def member_states_under(self, org: Organisation, *, cap: int) -> tuple[list[dict[str, Any]], bool]:
        """Archive-related attributes of the members in ``org``'s subtree, at most ``cap``;
        the flag says whether the subtree held more."""


class ArchiveFiles(Protocol):
    """What the archive use cases need from the bucket (S3ArchiveFiles implements it)."""

    def presign_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def presign_get(self, key: str, *, version_id: str | None, filename: str, expires_in: int) -> str: ...

    def head(self, key: str, version_id: str | None = None) -> Any:
        """ObjectInfo(size, version_id, etag); raises FileMissing."""

    def read(self, key: str, version_id: str | None, *, max_bytes: int) -> bytes: ...

    def copy(self, source_key: str, source_version: str | None, target_key: str, *,
             metadata: Mapping[str, str], content_type: str) -> str | None: ...

    def delete_version(self, key: str, version_id: str | None) -> None: ...


class Verdict(Protocol):
    """The PDF check's answer (zhtj.readers.pdf.PdfVerdict)."""

    ok: bool
    pages: int | None
    sha256: str

    def to_json_dict(self) -> dict[str, Any]: ...


PdfCheck = Callable[[bytes, str | None], Verdict]


class ArchiveEvents(Protocol):
    """Hooks for what follows a change (the Approvals issue sends its e-mails from here).
    Called after the change is stored; an exception in ``archive_pending`` makes the worker
    retry the S3 event, which calls it again until it succeeds (at least once)."""

    def archive_pending(self, member: Mapping[str, Any], version: int, decider_id: str) -> None: ...

    def archive_decided(self, member: Mapping[str, Any], version: int, approved: bool,
                        reason: str | None, actor: Actor) -> None: ...


class NoEvents:
    def archive_pending(self, member: Mapping[str, Any], version: int, decider_id: str) -> None:
        return None

    def archive_decided(self, member: Mapping[str, Any], version: int, approved: bool,
                        reason: str | None, actor: Actor) -> None:
        return None


NO_EVENTS: Final = NoEvents()


# ---------------------------------------------------------------- keys and small helpers
def upload_key(member_id: str, upload_id: str) -> str:
    """Server-chosen: the member id is a keyed hash, the upload id random — no name or ID
    number ever appears in a key."""
    return f"{UPLOAD_PREFIX}{member_id}/{upload_id}.pdf"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    match = _UPLOAD_KEY_RE.match(key)
    return (match.group(1), match.group(2)) if match else None


def archive_object_key(member_id: str, version: int) -> str:
    return f"archives/{member_id}/v{version}.pdf"


def refused_object_key(member_id: str, upload_id: str) -> str:
    return f"refused/archives/{member_id}/{upload_id}.pdf"


def new_upload_id(now: datetime) -> str:
    """Sorts by request time (the ``UPLOAD#`` items list in order), then 64 random bits."""
    return f"u{now.astimezone(UTC):%Y%m%d%H%M%S%f}{secrets.token_hex(8)}"


def timestamp(now: datetime) -> str:
    """Microsecond ISO time: audit keys sort by it and upload requests are ordered by it."""
    return now.astimezone(UTC).isoformat(timespec="microseconds")


def archive_of(member: Mapping[str, Any]) -> Archive:
    return Archive(
        state=ArchiveState(member.get("archive_state") or ArchiveState.NOT_CERTIFIED.value),
        version=int(member.get("archive_version") or 0),
        change_approved=bool(member.get("archive_change_approved")),
        change_requested=bool(member.get("archive_change_requested")),
    )


def archive_values(new: Archive) -> dict[str, Any]:
    return {"archive_state": new.state.value, "archive_version": new.version,
            "archive_change_requested": new.change_requested, "archive_change_approved": new.change_approved}


def due_date(join_year: int, join_month: int) -> date:
    """30 days after the last day of the join month (see the module docstring)."""
    last = calendar.monthrange(join_year, join_month)[1]
    return date(join_year, join_month, last) + timedelta(days=ARCHIVE_DUE_DAYS)


def is_overdue(member: Mapping[str, Any], today: date) -> bool:
    if archive_of(member).state is not ArchiveState.NOT_CERTIFIED:
        return False
    return today > due_date(int(member["join_year"]), int(member["join_month"]))


def audit_entry(action: str, actor: Actor, at: str, *, from_state: ArchiveState | None,
                to_state: ArchiveState | None, reason: str | None = None, **details: Any) -> dict[str, Any]:
    return {"action": action, "actor": actor.username, "actor_org_id": actor.org_id, "via": actor.via, "at": at,
            "from_state": from_state.value if from_state else None,
            "to_state": to_state.value if to_state else None, "reason": reason, **details}


def _reason_error(exc: TransitionNotAllowed) -> Exception:
    # A missing or over-long reason is a malformed request (400), not a state conflict.
    if exc.code in ("reason_required", "reason_too_long"):
        return InvalidRequest(exc.code, exc.message, exc.field)
    return exc


def _decider(branch: Organisation, orgs: OrganisationRepository) -> Organisation:
    committee = nearest_committee(ancestry(branch, orgs))
    if committee is None:  # a branch always lies under some committee; a broken tree is not ours to guess
        raise Conflict("no_upper_committee", f"“{branch.name}”上级没有团委，无法确定审批组织，请联系上级团委")
    return committee


def _pending_item(member: Mapping[str, Any], *, kind: str, version: int, decider: Organisation, at: str,
                  actor: Actor, reason: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "member_id": member["member_id"], "name": member["name"],
            "member_number": member["member_number"], "branch_id": member["branch_id"],
            "branch_name": member.get("branch_name"), "branch_path": list(member["branch_path"]),
            "version": version, "decider_id": decider.org_id, "decider_name": decider.name,
            "submitted_at": at, "submitted_by": actor.username, "submitter_org_id": actor.org_id,
            "reason": reason}


# ---------------------------------------------------------------- 1. signed upload
@dataclass(frozen=True)
class UploadTicket:
    upload_id: str
    key: str
    url: str
    fields: dict[str, Any]
    expires_at: str
    expires_in: int

    def to_json(self) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "method": "POST", "url": self.url, "fields": self.fields,
                "key": self.key, "content_type": CONTENT_TYPE, "max_bytes": MAX_ARCHIVE_BYTES,
                "expires_at": self.expires_at, "expires_in": self.expires_in}


def request_upload(principal: Principal, member_id: str, *, directory: MemberDirectory,
                   orgs: OrganisationRepository, ledger: ArchiveLedger, files: ArchiveFiles,
                   expires_in: int, now: datetime) -> UploadTicket:
    """Q&A §5.5 / §3.2.2: admins of the member's branch or of any organisation above it.
    A member outside the caller's subtree is not found (404), never shown. The state is
    checked now too (a certified archive without an approved change request, §4.5), so the
    admin learns before uploading; the worker checks again when the file arrives."""
    member = get_member(principal, member_id, directory)
    uploader = load(orgs, principal.org_id)
    machine.accept_upload(archive_of(member), uploader.kind)  # raises TransitionNotAllowed (409)
    upload_id = new_upload_id(now)
    key = upload_key(member_id, upload_id)
    presigned = files.presign_post(key, content_type=CONTENT_TYPE, max_bytes=MAX_ARCHIVE_BYTES,
                                   expires_in=expires_in)
    expires_at = timestamp(now + timedelta(seconds=expires_in))
    ledger.add_upload({
        "member_id": member_id, "upload_id": upload_id, "key": key, "status": UploadStatus.REQUESTED,
        "requested_at": timestamp(now), "requested_by": principal.username, "requester_org_id": uploader.org_id,
        "requester_org_name": uploader.name, "requester_kind": uploader.kind.value, "url_expires_at": expires_at,
    })
    return UploadTicket(upload_id=upload_id, key=key, url=presigned["url"], fields=presigned["fields"],
                        expires_at=expires_at, expires_in=expires_in)


# ---------------------------------------------------------------- 2. the validation worker
@dataclass(frozen=True)
class SourceObject:
    key: str
    version_id: str | None
    etag: str | None = None


@dataclass(frozen=True)
class UploadOutcome:
    status: str  # accepted | refused | duplicate | unknown
    member_id: str | None = None
    upload_id: str | None = None
    version: int | None = None
    state: str | None = None
    codes: tuple[str, ...] = ()


def _finding(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _too_large(size: int) -> dict[str, str]:
    mib = 1024 * 1024
    return _finding("too_large", f"文件大小为 {size / mib:.1f} MB，超过了 20 MB 的上限"
                    "（操作指引 4.1：文件大小不超过20M）。"
                    "请适当降低扫描分辨率（如 150–200 dpi）或选择“压缩”后重新生成 PDF，再上传。")


def process_upload(source: SourceObject, *, ledger: ArchiveLedger, files: ArchiveFiles,
                   orgs: OrganisationRepository, check: PdfCheck, now: Callable[[], datetime],
                   events: ArchiveEvents = NO_EVENTS, attempts: int = 5) -> UploadOutcome:
    """Validate one uploaded object and apply its outcome exactly once (idempotent by upload id)."""
    parsed = parse_upload_key(source.key)
    if parsed is None:
        return UploadOutcome("unknown")
    member_id, upload_id = parsed
    upload = ledger.get_upload(member_id, upload_id)
    if upload is None:  # not issued by request_upload: nothing to attach it to
        return UploadOutcome("unknown", member_id, upload_id)
    if upload["status"] != UploadStatus.REQUESTED:
        # A duplicate or late event: finish what a crashed first run may have left undone.
        _finish(upload, source, ledger=ledger, files=files, events=events, now=now)
        return UploadOutcome("duplicate", member_id, upload_id, upload.get("version"))
    version_id = source.version_id
    try:
        info = files.head(source.key, version_id)
    except FileMissing:  # gone (already processed and removed): nothing to do
        return UploadOutcome("unknown", member_id, upload_id)
    version_id = version_id or info.version_id
    member = ledger.member(member_id)
    actor = Actor(str(upload["requested_by"]), str(upload["requester_org_id"]), "worker")
    if member is None:
        return _refuse(upload, source.key, version_id, {"ok": False, "pages": None, "warnings": [], "errors": [
            _finding("member_missing", "该团员已不在系统中，文件未保存为档案。")]}, None,
            ledger=ledger, files=files, actor=actor, now=now)
    if info.size > MAX_ARCHIVE_BYTES:
        verdict: dict[str, Any] = {"ok": False, "pages": None, "warnings": [], "errors": [_too_large(info.size)]}
    else:
        data = files.read(source.key, version_id, max_bytes=MAX_ARCHIVE_BYTES)
        checked = check(data, str(member["member_number"]))
        verdict = {**checked.to_json_dict(), "sha256": checked.sha256}
    verdict["size"] = info.size
    if not verdict["ok"]:
        return _refuse(upload, source.key, version_id, verdict, member, ledger=ledger, files=files, actor=actor,
                       now=now)
    for _ in range(attempts):
        outcome = _accept(upload, member, source.key, version_id, verdict, ledger=ledger, files=files, orgs=orgs,
                          actor=actor, now=now, events=events)
        if outcome is not None:
            return outcome
        member = ledger.member(member_id)  # the archive changed meanwhile: decide again on what it is now
        if member is None:
            break
    raise ArchiveChanged()


def _accept(upload: Mapping[str, Any], member: Mapping[str, Any], key: str, version_id: str | None,
            verdict: dict[str, Any], *, ledger: ArchiveLedger, files: ArchiveFiles, orgs: OrganisationRepository,
            actor: Actor, now: Callable[[], datetime], events: ArchiveEvents) -> UploadOutcome | None:
    current = archive_of(member)
    requested_at = str(upload["requested_at"])
    if current.version and str(member.get("archive_requested_at") or "") > requested_at:
        # Out of order: a file asked for later is already the archive; an older one must not replace it.
        return _refuse(upload, key, version_id, {**verdict, "ok": False, "errors": [_finding(
            "superseded_upload", "在这份文件之后上传的档案已被系统接收，这份较早的文件未作为档案保存。"
            "如需更换档案，请重新上传。")]}, member, ledger=ledger, files=files, actor=actor, now=now)
    try:
        transition = machine.accept_upload(current, OrgKind(upload["requester_kind"]))
    except TransitionNotAllowed as exc:
        return _refuse(upload, key, version_id, {**verdict, "ok": False, "errors": [_finding(exc.code, exc.message)]},
                       member, ledger=ledger, files=files, actor=actor, now=now)
    at = timestamp(now())
    version = transition.archive.version
    pending: dict[str, Any] | None = None
    member_values: dict[str, Any] = {"archive_requested_at": requested_at, "archive_updated_at": at,
                                     "archive_reason": None, "archive_decider_id": None, "archive_decider_name": None}
    if transition.to_state is ArchiveState.PENDING:
        branch = load(orgs, str(member["branch_id"]))
        decider = _decider(branch, orgs)
        member_values.update(archive_decider_id=decider.org_id, archive_decider_name=decider.name)
        pending = _pending_item(member, kind=PendingKind.ARCHIVE, version=version, decider=decider, at=at,
                                actor=actor)
    record = {
        "version": version, "upload_id": upload["upload_id"], "s3_key": archive_object_key(str(member["member_id"]),
                                                                                         version),
        "source_key": key, "source_version_id": version_id, "uploaded_by": upload["requested_by"],
        "uploader_org_id": upload["requester_org_id"], "uploader_org_name": upload.get("requester_org_name"),
        "uploader_kind": upload["requester_kind"], "requested_at": requested_at, "accepted_at": at,
        "state_on_upload": transition.to_state.value, "decider_id": member_values["archive_decider_id"],
        "decider_name": member_values["archive_decider_name"], "pages": verdict.get("pages"),
        "warnings": verdict.get("warnings", []), "sha256": verdict.get("sha256"), "size": verdict.get("size"),
    }
    upload_values = {"status": UploadStatus.ACCEPTED, "version": version, "verdict": verdict, "processed_at": at,
                     "source_version_id": version_id, "new_state": transition.to_state.value}
    change = ArchiveChange(
        member_id=str(member["member_id"]), expected=current, new=transition.archive, member_values=member_values,
        new_version=record, upload=(str(upload["upload_id"]), upload_values), pending=pending,
        clear_pending=pending is None,
        audit=audit_entry("archive_uploaded", actor, at, from_state=transition.from_state,
                          to_state=transition.to_state, version=version, upload_id=upload["upload_id"],
                          decider_id=member_values["archive_decider_id"]),
    )
    try:
        ledger.commit(change)
    except UploadAlreadyProcessed:
        processed = ledger.get_upload(str(member["member_id"]), str(upload["upload_id"]))
        if processed:
            _finish(processed, SourceObject(key, version_id), ledger=ledger, files=files, events=events, now=now)
        return UploadOutcome("duplicate", str(member["member_id"]), str(upload["upload_id"]))
    except ArchiveChanged:
        return None
    done = {**upload, **upload_values}
    _finish(done, SourceObject(key, version_id), ledger=ledger, files=files, events=events, now=now)
    return UploadOutcome("accepted", str(member["member_id"]), str(upload["upload_id"]), version,
                         transition.to_state.value)


def _refuse(upload: Mapping[str, Any], key: str, version_id: str | None, verdict: dict[str, Any],
            member: Mapping[str, Any] | None, *, ledger: ArchiveLedger, files: ArchiveFiles, actor: Actor,
            now: Callable[[], datetime]) -> UploadOutcome:
    """A refused file is copied out of the live prefix (``refused/``) and the upload record
    keeps the verdict with its Chinese messages; the member's archive is untouched."""
    member_id, upload_id = str(upload["member_id"]), str(upload["upload_id"])
    target = refused_object_key(member_id, upload_id)
    files.copy(key, version_id, target, metadata={"upload-id": upload_id, "member-id": member_id},
               content_type="application/octet-stream")
    at = timestamp(now())
    state = archive_of(member).state if member else None
    codes = tuple(str(e["code"]) for e in verdict.get("errors", []))
    values = {"status": UploadStatus.REFUSED, "verdict": verdict, "processed_at": at, "refused_key": target,
              "source_version_id": version_id}
    audit = audit_entry("upload_refused", actor, at, from_state=state, to_state=state, upload_id=upload_id,
                        codes=list(codes), reason="；".join(str(e["message"]) for e in verdict.get("errors", [])))
    if ledger.refuse_upload(member_id, upload_id, values, audit):
        files.delete_version(key, version_id)
        return UploadOutcome("refused", member_id, upload_id, codes=codes)
    return UploadOutcome("duplicate", member_id, upload_id)


def _finish(upload: Mapping[str, Any], source: SourceObject, *, ledger: ArchiveLedger, files: ArchiveFiles,
            events: ArchiveEvents, now: Callable[[], datetime]) -> None:
    """What follows an accepted upload's commit, each step idempotent, so a retried event
    completes a run that crashed half-way: copy the file to ``archives/…/v{n}.pdf`` (the record
    pins the S3 version written), remove the upload from ``uploads/``, run the pending hook."""
    member_id, upload_id = str(upload["member_id"]), str(upload["upload_id"])
    source_version = upload.get("source_version_id") or source.version_id
    if upload["status"] == UploadStatus.ACCEPTED:
        version = int(upload["version"])
        record = ledger.get_version(member_id, version)
        if record is not None and not record.get("s3_version_id") and not record.get("file_at"):
            target = archive_object_key(member_id, version)
            try:
                written = files.copy(str(upload["key"]), source_version, target, content_type=CONTENT_TYPE,
                                     metadata={"upload-id": upload_id, "member-id": member_id,
                                               "archive-version": str(version)})
            except FileMissing:
                # A concurrent finisher may have copied and removed the source already.
                again = ledger.get_version(member_id, version)
                if not (again and again.get("file_at")):
                    raise
            else:
                ledger.mark_file(member_id, version, {"s3_version_id": written, "file_at": timestamp(now())})
        if upload.get("new_state") == ArchiveState.PENDING.value and not upload.get("notified_at"):
            member = ledger.member(member_id)
            if member is not None and int(member.get("archive_version") or 0) == version \
                    and member.get("archive_decider_id"):
                events.archive_pending(member, version, str(member["archive_decider_id"]))
            ledger.mark_notified(member_id, upload_id, timestamp(now()))
    # A later POST to the same presigned key (possible until it expires) is not a new upload.
    if source.version_id and source.version_id != source_version:
        files.delete_version(str(upload["key"]), source.version_id)
    files.delete_version(str(upload["key"]), source_version)


# ---------------------------------------------------------------- 3. decisions
def require_decider(principal: Principal, member: Mapping[str, Any]) -> None:
    decider = member.get("archive_decider_id")
    if not decider or principal.org_id != decider:
        name = member.get("archive_decider_name") or "上级团委"
        raise NotAuthorised("not_the_decider",
                            f"该档案由“{name}”审批：上级组织可以查看审批情况，但不能代为审批（操作指引 3.3）")


def decide_archive(member_id: str, *, version: int, approve: bool, reason: str | None, actor: Actor,
                   ledger: ArchiveLedger, now: datetime, extra: Sequence[Mapping[str, Any]] = (),
                   follow_up: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """§3.3: the deciding committee agrees (→ 团员身份已认证) or refuses with a reason (→ 认证不通过)
    for one version. Shared by the console and the e-mailed link: the caller has established
    who ``actor`` is; this checks that ``actor.org_id`` is the member's deciding committee,
    and writes the decision only while that version is still the pending one (a superseded
    or already decided version is refused with the domain's message, 409). The outcome
    e-mails are the caller's follow-up; ``follow_up`` (its due flag and lease) is written onto
    the decided version in the same transaction."""
    for _ in range(3):
        member = ledger.member(member_id)
        if member is None:
            raise NotFound("member_not_found", "未找到该团员")
        current = archive_of(member)
        try:
            transition = (machine.approve(current, version) if approve
                          else machine.reject(current, version, reason or ""))
        except TransitionNotAllowed as exc:
            raise _reason_error(exc) from None
        if member.get("archive_decider_id") != actor.org_id:
            name = member.get("archive_decider_name") or "上级团委"
            raise NotAuthorised("not_the_decider", f"该档案由“{name}”审批，您无权审批（操作指引 3.3）")
        at = timestamp(now)
        written = transition.reason if not approve else ((reason or "").strip() or None)
        decision = {"decision": "approved" if approve else "rejected", "decided_by": actor.username,
                    "decided_org_id": actor.org_id, "decided_via": actor.via, "decided_at": at,
                    "decision_reason": written, **(follow_up or {})}
        change = ArchiveChange(
            member_id=member_id, expected=current, new=transition.archive, decided_version=(version, decision),
            clear_pending=True,
            member_values={"archive_reason": written if not approve else None, "archive_updated_at": at,
                           "archive_decided_at": at},
            audit=audit_entry("archive_approved" if approve else "archive_rejected", actor, at,
                              from_state=transition.from_state, to_state=transition.to_state, reason=written,
                              version=version),
            extra=tuple(extra),
        )
        try:
            ledger.commit(change)
        except (ArchiveChanged, AlreadyDecided):
            continue  # re-read: the domain then says what happened (superseded, already decided)
        return {"member_id": member_id, "version": version, "archive_state": transition.to_state.value,
                "reason": written, "decided_at": at}
    raise ArchiveChanged()


FOLLOW_UP_LEASE_SECONDS: Final = 30


def decide_from_console(principal: Principal, member_id: str, *, version: int, approve: bool,
                        reason: str | None, directory: MemberDirectory, ledger: ArchiveLedger, now: datetime,
                        events: ArchiveEvents = NO_EVENTS) -> dict[str, Any]:
    """The console's decision, then its follow-up: the outcome e-mails. The transaction leaves
    the follow-up due on the version under this attempt's lease, so a process that dies
    between the transaction and the last e-mail loses nothing: the decider's retry is told the
    version is decided (409) and, once the lease ran out, sends what is missing (each sent
    e-mail is marked per recipient by ``events``). Same design as the e-mailed link's
    (zhtj.services.approvals); tests/integration/test_archives_decisions.py kills it between."""
    member = get_member(principal, member_id, directory)  # 404 outside the caller's subtree
    require_decider(principal, member)
    claim_id = secrets.token_hex(8)
    try:
        result = decide_archive(member_id, version=version, approve=approve, reason=reason,
                                actor=Actor(principal.username, principal.org_id, "console"), ledger=ledger, now=now,
                                follow_up={"followup_due": True, "followup_claim": claim_id,
                                           "followup_until": _lease_end(now)})
    except (Conflict, TransitionNotAllowed):  # decided already (by this retry's attempt, or before)
        resume_follow_up(member_id, version, ledger=ledger, events=events, now=now)
        raise
    _follow_up(member_id, version, claim_id, ledger=ledger, events=events, now=now)
    return result


def _lease_end(now: datetime) -> str:
    return timestamp(now + timedelta(seconds=FOLLOW_UP_LEASE_SECONDS))


def resume_follow_up(member_id: str, version: int, *, ledger: ArchiveLedger, events: ArchiveEvents,
                     now: datetime) -> bool:
    """Finish a decision's follow-up that its attempt left due (it died, or a send failed);
    nothing while a live attempt holds it. The decider's retry and the sweeper
    (zhtj.services.follow_ups) call it; True when this call took the follow-up over."""
    record = ledger.get_version(member_id, version)
    if not record or not record.get("followup_due"):
        return False
    claim_id = secrets.token_hex(8)
    if not ledger.claim_follow_up(member_id, version, claim_id=claim_id, now=timestamp(now), until=_lease_end(now)):
        return False
    _follow_up(member_id, version, claim_id, ledger=ledger, events=events, now=now)
    return True


def _follow_up(member_id: str, version: int, claim_id: str, *, ledger: ArchiveLedger, events: ArchiveEvents,
               now: datetime) -> None:
    tell_decision(member_id, version, ledger=ledger, events=events, default_via="console",
                  finish=lambda: ledger.finish_follow_up(member_id, version, claim_id=claim_id, at=timestamp(now)),
                  release=lambda: ledger.release_follow_up(member_id, version, claim_id=claim_id,
                                                           now=timestamp(now)))


def tell_decision(member_id: str, version: int, *, ledger: ArchiveLedger, events: ArchiveEvents, default_via: str,
                  finish: Callable[[], None], release: Callable[[], None]) -> None:
    """A decision's follow-up — the console's or the e-mailed link's, each keeping its lease
    where it decided: the outcome e-mails of the stored decision (read back, so the attempt
    that decided and a retry that resumes after it died send the same; ``events`` marks each
    e-mail sent), then ``finish``. A failed send is logged — the decision stands — and
    ``release`` gives the lease back for the next retry. Nothing decided that could be told (a
    removed member): neither is called, and the follow-up stays due, harmless."""
    member, record = ledger.member(member_id), ledger.get_version(member_id, version)
    if member is None or record is None or not record.get("decided_at"):
        return
    actor = Actor(str(record.get("decided_by")), str(record.get("decided_org_id")),
                  str(record.get("decided_via") or default_via))
    try:
        events.archive_decided(member, version, record.get("decision") == "approved",
                               record.get("decision_reason"), actor)
    except Exception as exc:
        log.warning("decision e-mail failed", extra={"member_id": member_id, "version": version,
                                                     "error": type(exc).__name__})
        release()
        return
    finish()


# ---------------------------------------------------------------- 4. change requests (§4.5)
def _change_requester_allowed(principal: Principal, member: Mapping[str, Any], decider: Organisation) -> bool:
    """§4.5 "团员所在团组织管理员提出修改申请，经上级团委审批": the member's branch, or an organisation
    between it and the deciding committee (a 团总支) — never the committee that decides."""
    path = [str(p) for p in member["branch_path"]]
    if principal.org_id not in path or decider.org_id not in path:
        return False
    return path.index(principal.org_id) > path.index(decider.org_id)


def request_change(principal: Principal, member_id: str, reason: str, *, directory: MemberDirectory,
                   orgs: OrganisationRepository, ledger: ArchiveLedger, now: datetime) -> dict[str, Any]:
    member = get_member(principal, member_id, directory)
    decider = _decider(load(orgs, str(member["branch_id"])), orgs)
    if not _change_requester_allowed(principal, member, decider):
        raise NotAuthorised("not_the_requester", "变更申请由团员所在团支部（团总支）管理员提出，"
                            f"由“{decider.name}”审批（操作指引 4.5）")
    current = archive_of(member)
    try:
        transition = machine.request_change(current, reason)
    except TransitionNotAllowed as exc:
        raise _reason_error(exc) from None
    at = timestamp(now)
    actor = Actor(principal.username, principal.org_id, "console")
    change = ArchiveChange(
        member_id=member_id, expected=current, new=transition.archive,
        member_values={"archive_decider_id": decider.org_id, "archive_decider_name": decider.name,
                       "archive_change_reason": transition.reason, "archive_updated_at": at},
        pending=_pending_item(member, kind=PendingKind.CHANGE, version=current.version, decider=decider, at=at,
                              actor=actor, reason=transition.reason),
        audit=audit_entry("change_requested", actor, at, from_state=current.state, to_state=current.state,
                          reason=transition.reason, version=current.version, decider_id=decider.org_id),
    )
    ledger.commit(change)
    return {"member_id": member_id, "change_requested": True, "decider_id": decider.org_id,
            "decider_name": decider.name, "reason": transition.reason}


def decide_change(principal: Principal, member_id: str, *, approve: bool, reason: str | None,
                  directory: MemberDirectory, ledger: ArchiveLedger, now: datetime) -> dict[str, Any]:
    """The console path of :func:`decide_change_request`."""
    member = get_member(principal, member_id, directory)  # 404 outside the caller's subtree
    require_decider(principal, member)
    return decide_change_request(member_id, approve=approve, reason=reason,
                                 actor=Actor(principal.username, principal.org_id, "console"), ledger=ledger, now=now)


def decide_change_request(member_id: str, *, approve: bool, reason: str | None, actor: Actor,
                          ledger: ArchiveLedger, now: datetime,
                          extra: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """§4.5: the deciding committee agrees to a change request (one replacement upload is then
    allowed) or refuses it with a reason. Shared by the console and an e-mailed link, like
    :func:`decide_archive`; a concurrent decision or upload makes the loser re-read and get
    the domain's refusal."""
    for _ in range(3):
        member = ledger.member(member_id)
        if member is None:
            raise NotFound("member_not_found", "未找到该团员")
        current = archive_of(member)
        try:
            transition = machine.decide_change(current, approve, reason)
        except TransitionNotAllowed as exc:
            raise _reason_error(exc) from None
        if member.get("archive_decider_id") != actor.org_id:
            name = member.get("archive_decider_name") or "上级团委"
            raise NotAuthorised("not_the_decider", f"该变更申请由“{name}”审批，您无权审批（操作指引 4.5）")
        at = timestamp(now)
        change = ArchiveChange(
            member_id=member_id, expected=current, new=transition.archive, clear_pending=True,
            member_values={"archive_change_reason": None, "archive_updated_at": at,
                           "archive_change_decision_reason": transition.reason},
            audit=audit_entry("change_approved" if approve else "change_rejected", actor, at,
                              from_state=current.state, to_state=current.state, reason=transition.reason,
                              version=current.version),
            extra=tuple(extra),
        )
        try:
            ledger.commit(change)
        except ArchiveChanged:
            continue
        return {"member_id": member_id, "change_approved": approve, "reason": transition.reason}
    raise ArchiveChanged()


# ---------------------------------------------------------------- 5. reading
def _public_verdict(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not verdict:
        return None
    return {"ok": bool(verdict.get("ok")), "pages": verdict.get("pages"), "errors": list(verdict.get("errors", [])),
            "warnings": list(verdict.get("warnings", [])), "size": verdict.get("size")}


def _pdf_name(member: Mapping[str, Any], version: int) -> str:
    return f"{member['member_number']}-v{version}.pdf"


def archive_view(principal: Principal, member_id: str, *, directory: MemberDirectory, orgs: OrganisationRepository,
                 ledger: ArchiveLedger, files: ArchiveFiles, expires_in: int, now: datetime) -> dict[str, Any]:
    """Status, verdict messages, history (versions, uploads, audit) and a short-lived
    presigned GET for the current PDF — for admins of the member's subtree only."""
    get_member(principal, member_id, directory)
    items = ledger.member_items(member_id)
    member = next((i for i in items if i.get("sk") == "MEMBER"), None)
    if member is None:
        raise NotFound("member_not_found", "未找到该团员")
    current = archive_of(member)
    versions = sorted((i for i in items if str(i.get("sk", "")).startswith("ARCHIVE#")), key=lambda i: i["version"])
    uploads = sorted((i for i in items if str(i.get("sk", "")).startswith("UPLOAD#")), key=lambda i: i["sk"])
    audit = sorted((i for i in items if str(i.get("sk", "")).startswith("AUDIT#")), key=lambda i: i["sk"])
    today = now.astimezone(UTC).date()
    due = due_date(int(member["join_year"]), int(member["join_month"]))
    caller = orgs.get(principal.org_id)
    try:
        machine.accept_upload(current, caller.kind if caller else OrgKind.BRANCH)
        can_upload = True
    except TransitionNotAllowed:
        can_upload = False
    decider_id = member.get("archive_decider_id")
    is_decider = bool(decider_id) and decider_id == principal.org_id
    # §4.5: offered only to those request_change admits (the member's branch or a 团总支 between
    # it and the deciding committee), so the console never shows a button that is then refused.
    may_request_change = (current.state is ArchiveState.CERTIFIED and not current.change_requested
                          and not current.change_approved
                          and _change_requester_allowed(principal, member,
                                                        _decider(load(orgs, str(member["branch_id"])), orgs)))
    latest = versions[-1] if versions else None
    download = None
    if latest and latest.get("file_at"):
        download = {"url": files.presign_get(str(latest["s3_key"]), version_id=latest.get("s3_version_id"),
                                             filename=_pdf_name(member, int(latest["version"])), expires_in=expires_in),
                    "expires_at": timestamp(now + timedelta(seconds=expires_in)), "version": latest["version"]}
    return {
        "member_id": member_id, "name": member["name"], "member_number": member["member_number"],
        "branch_id": member["branch_id"], "branch_name": member.get("branch_name"),
        "join_month": f"{member['join_year']}-{int(member['join_month']):02d}",
        "archive_state": current.state.value, "version": current.version,
        "change_requested": current.change_requested, "change_approved": current.change_approved,
        "change_reason": member.get("archive_change_reason"),
        "decider": {"org_id": decider_id, "name": member.get("archive_decider_name")} if decider_id else None,
        "reason": member.get("archive_reason"),
        "due_date": due.isoformat(), "overdue": is_overdue(member, today),
        "counts_as_new_member": machine.counts_as_new_member(current),
        "can_transfer": machine.can_transfer(current) and not current.change_requested,
        "actions": {
            "upload": can_upload,
            "replace": can_upload and current.state is ArchiveState.REJECTED,  # §3.2.1 替换档案
            "decide": is_decider and current.state is ArchiveState.PENDING,
            "request_change": may_request_change,
            "decide_change": is_decider and current.change_requested,
        },
        "current": _version_json(latest) if latest else None,
        "download": download,
        "versions": [_version_json(v) for v in versions],
        "uploads": [_upload_json(u) for u in reversed(uploads)],
        "history": [_audit_json(a) for a in audit],
    }


def _version_json(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item.get(key) for key in (
        "version", "uploaded_by", "uploader_org_name", "uploader_kind", "accepted_at", "state_on_upload",
        "decider_name", "decision", "decided_by", "decided_at", "decided_via", "decision_reason", "pages",
        "warnings", "size", "sha256")} | {"file_ready": bool(item.get("file_at"))}


def _upload_json(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"upload_id": item["upload_id"], "status": item["status"], "requested_at": item.get("requested_at"),
            "requested_by": item.get("requested_by"), "processed_at": item.get("processed_at"),
            "version": item.get("version"), "verdict": _public_verdict(item.get("verdict"))}


def _audit_json(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item.get(key) for key in ("at", "action", "actor", "actor_org_id", "via", "from_state", "to_state",
                                           "reason", "version", "upload_id")}


def download(principal: Principal, member_id: str, version: int, *, directory: MemberDirectory,
             ledger: ArchiveLedger, files: ArchiveFiles, expires_in: int, now: datetime) -> dict[str, Any]:
    """A presigned GET for one kept version (every version is kept, DESIGN "Archive")."""
    member = get_member(principal, member_id, directory)
    record = ledger.get_version(member_id, version)
    if record is None or not record.get("file_at"):
        raise NotFound("version_not_found", f"第{version}版档案不存在")
    url = files.presign_get(str(record["s3_key"]), version_id=record.get("s3_version_id"),
                            filename=_pdf_name(member, version), expires_in=expires_in)
    return {"version": version, "url": url, "expires_at": timestamp(now + timedelta(seconds=expires_in))}


def _encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(dict(key), separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise InvalidRequest("cursor_invalid", "分页参数无效，请从第一页重新查看") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidRequest("cursor_invalid", "分页参数无效，请从第一页重新查看")
    return value


def pending(principal: Principal, org_id: str, *, orgs: OrganisationRepository, ledger: ArchiveLedger,
            kind: str | None = None, mine: bool = False, under: str | None = None, q: str | None = None,
            after: str | None = None, limit: int = PENDING_PAGE) -> dict[str, Any]:
    """§3.3.1 操作中心 / §3.3.2 下级团员电子档案审批: what waits for a decision in the subtree of
    ``org_id`` (or of ``under`` within it), optionally only ``kind`` (archive | change), only
    what the caller's organisation decides (``mine``), or matching a name / number (``q``)."""
    org = get_organisation(principal, org_id, orgs)
    if under:
        narrowed = load(orgs, under)
        require_administers(principal, narrowed.path)
        if not list(narrowed.path[: len(org.path)]) == list(org.path):
            raise NotFound("org_not_found", "该组织不在所选组织之下")
        org = narrowed
    if kind is not None and kind not in PENDING_KIND_LABELS:
        raise InvalidRequest("kind_invalid", "审批类型只能是 archive（团员电子档案审批）或 change（电子档案变更申请）")
    decider_id = principal.org_id if mine else None
    text = (q or "").strip()
    collected: list[dict[str, Any]] = []
    cursor = _decode_cursor(after)
    while True:
        page, cursor = ledger.pending_under(org, kind=kind, decider_id=decider_id, limit=limit, after=cursor)
        collected += [p for p in page if not text or text in str(p.get("name", "")) or text == p.get("member_number")]
        if len(collected) >= limit or cursor is None:
            break
    return {"items": [_pending_json(p, principal) for p in collected], "next": _encode_cursor(cursor)}


def _pending_json(item: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    return {"kind": item["kind"], "kind_label": PENDING_KIND_LABELS.get(str(item["kind"])),
            "member_id": item["member_id"], "name": item["name"], "member_number": item["member_number"],
            "branch_id": item["branch_id"], "branch_name": item.get("branch_name"), "version": item["version"],
            "decider_id": item["decider_id"], "decider_name": item.get("decider_name"),
            "submitted_at": item.get("submitted_at"), "submitted_by": item.get("submitted_by"),
            "reason": item.get("reason"), "can_decide": item["decider_id"] == principal.org_id}


def summary(principal: Principal, org_id: str, *, orgs: OrganisationRepository, ledger: ArchiveLedger,
            today: date, cap: int = SUMMARY_MAX_MEMBERS) -> dict[str, Any]:
    """Counts per state, members without an archive (the §3.2 banner) and overdue members for
    ``org_id``'s subtree.

    Computed by one bounded Query of the subtree's members (gsi2 ``TREE#…`` /
    ``MEMBER#{path}``, paged, ≤ ``cap`` items): DynamoDB charges for the items read, ≈ 1 KB
    each, so ≈ 1,000 members per 1 MB page and ≈ 128 RCU (eventually consistent) per page — a
    school or a county (hundreds to a few thousand) costs one to a few pages; beyond ``cap``
    the figures are partial and ``complete`` is false. Counters maintained with the members
    (the Progress issue) replace this for cities and the province. Because it reads the
    members themselves, the figures are never out of step with them, whatever ran
    concurrently (up to the index's eventual consistency, typically well under a second)."""
    org = get_organisation(principal, org_id, orgs)
    members, truncated = ledger.member_states_under(org, cap=cap)
    counts = {state.value: 0 for state in ArchiveState}
    overdue = 0
    change_requested = 0
    for member in members:
        state = archive_of(member)
        counts[state.state.value] += 1
        overdue += is_overdue(member, today)
        change_requested += state.change_requested
    without = counts[ArchiveState.NOT_CERTIFIED.value]
    return {"org_id": org.org_id, "members": len(members), "counts": counts, "members_without_archive": without,
            "uploaded": len(members) - without, "overdue": overdue, "change_requested": change_requested,
            "banner": BANNER if without > 0 else None, "complete": not truncated, "as_of": today.isoformat()}


def members_without_archive(principal: Principal, org_id: str, *, orgs: OrganisationRepository,
                            ledger: ArchiveLedger, today: date, overdue_only: bool = False,
                            cap: int = SUMMARY_MAX_MEMBERS, limit: int = 200) -> dict[str, Any]:
    """The members behind the banner (§4.3: "及时查看标识为“尚未认证”的团员"), soonest due first."""
    org = get_organisation(principal, org_id, orgs)
    members, truncated = ledger.member_states_under(org, cap=cap)
    missing = [m for m in members if archive_of(m).state is ArchiveState.NOT_CERTIFIED
               and (not overdue_only or is_overdue(m, today))]
    missing.sort(key=lambda m: (due_date(int(m["join_year"]), int(m["join_month"])), str(m.get("name"))))
    return {"items": [{"member_id": m["member_id"], "name": m.get("name"), "member_number": m.get("member_number"),
                       "branch_id": m.get("branch_id"), "branch_name": m.get("branch_name"),
                       "due_date": due_date(int(m["join_year"]), int(m["join_month"])).isoformat(),
                       "overdue": is_overdue(m, today)} for m in missing[:limit]],
            "total": len(missing), "complete": not truncated}


def transition_summary(transition: Transition) -> dict[str, Any]:
    return {"from": transition.from_state.value, "to": transition.to_state.value, "reason": transition.reason}
