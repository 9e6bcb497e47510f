"""Approvals (操作指引 §3.3–§3.4, §5.7): the e-mailed approval link and the e-mails around a
decision. The decision itself is :func:`zhtj.services.archives.decide_archive`, shared with
the console, so the same rules apply whichever path decides first.

**Who is asked** (§3.3): the archive's deciding committee — recorded on the member when the
archive entered 待审批 (``archive_decider_id``, the nearest committee above the branch) — and
its admins are the approvers. :class:`ApprovalMail` implements the archive service's
``ArchiveEvents``: ``archive_pending`` sends each approver ONE e-mail with ONE link;
``archive_decided`` tells the uploading organisation's admins the outcome.

**The link.** ``{site_origin}/console/approve.html#t={token}``: a static page, the token in the
URL *fragment*, which browsers never send to a server, so it reaches no access log, no proxy
and no Referer. The page POSTs the token to the API (:func:`view_link`, :func:`decide_by_link`).

* The token is ``secrets.token_urlsafe(32)`` — 256 random bits. Only its SHA-256 is stored
  (a stolen table copy yields no usable link; a fast hash is enough for a 256-bit secret, a
  slow one would only protect guessable passwords). The stored link is bound to the approver
  (account and organisation), the member, the archive *version* and an expiry
  (``settings.approval_link_days``, 14 by default).
* Opening changes nothing. Mail scanners fetch every link (GET and HEAD, DESIGN "Known
  traps") and some run scripts: GET/HEAD of the page is a static file, and the view call only
  reads. A decision is a POST from a button, and 同意 also needs what only a person looking at
  the form can give: the last four digits of the development number *as printed on the form's
  first page* (the page and the e-mail show the first eight only). That is the §5.7 check — the
  system's number must equal the form's — done by the one who reads the form. A wrong answer
  approves nothing and says so; after :data:`MAX_WRONG_ANSWERS` wrong answers the link locks
  (10,000 combinations must not be tried by a script), and the console remains.
* The token is consumed by the first decision only, atomically: the consumption is an item of
  the decision's own TransactWriteItems (``ArchiveChange.extra``), conditioned on the link
  being unconsumed, unexpired, unlocked and held by this attempt. An attempt first *claims*
  the link with one conditional write (a 30-second lease); concurrent attempts (a double tap,
  50 submissions at once) do not each run the transaction — they wait, reading only, for the
  holder's outcome and are told 已处理. So exactly one decision is recorded, and the expensive
  part runs once (moto copies the whole table for every transaction item: 50 racing
  transactions stall the local stack for minutes). A failed attempt releases its claim; a
  crashed one's lease runs out. A second decision, an expired link, a
  link for a superseded version (a new upload makes a new version and new links) and a forged
  token each get their own Chinese message and change nothing; none is a 500.
* **A crash after the decision.** What follows the transaction — the outcome e-mails to the
  uploader's admins — must not be lost with a process that dies (Lambda's timeout, an out-of-
  memory kill) between the transaction and the last send; the approver then retries the same
  link. So the transaction also leaves ``followup_due`` on the link, under the attempt's lease,
  and each outcome e-mail SES took is marked per recipient; the attempt clears the flag when
  done (:func:`_follow_up`). A retry of a consumed link with a follow-up still due takes the
  lease over once it ran out (a live holder is never raced; a retry within those 30 seconds
  is told 已处理 and leaves it due for the next) and sends only what is missing, then answers
  已处理 like any replay. The one window left is the approval mails' own: SES
  accepted, the process died before the mark — that recipient gets the outcome twice.
  (``tests/integration/test_decisions_exactly_once.py`` kills a real process before each
  write of a clean run.)
* When used, the approver is re-checked in the user pool: an account that was disabled or
  moved to another organisation can no longer decide through an old e-mail.

**Exactly one e-mail per approver** (``archive_pending`` is retried until it succeeds): a
marker per (member, version, approver) is conditionally written (then the new link) before
sending, and marked sent after SES accepted the message; of two concurrent runs only one
writes the marker. A retry skips what is marked
sent and re-issues (a new token, the unsent one deleted) what is not. The one window left —
SES accepted, the process died before the mark — can repeat one e-mail; no design can close
it without SES taking part in the transaction.

Nothing here puts an ID number into an e-mail or a log: members' fields are whitelisted.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, Protocol

from zhtj.domain.errors import DomainError, NotAuthorised, TransitionNotAllowed
from zhtj.domain.glossary import ArchiveState
from zhtj.mail import Alternatives, Rendered, render
from zhtj.services.archives import (
    Actor,
    AlreadyDecided,
    ArchiveChanged,
    ArchiveEvents,
    ArchiveFiles,
    ArchiveLedger,
    ExtraConditionFailed,
    archive_of,
    decide_archive,
    tell_decision,
    timestamp,
)
from zhtj.services.errors import InvalidRequest
from zhtj.services.ports import OrganisationRepository

VIA_LINK: Final = "link"  # Actor.via (and the audit entry's "via") for the e-mailed link
TOKEN_BYTES: Final = 32  # 256 bits
MAX_WRONG_ANSWERS: Final = 5
LINK_PAGE: Final = "console/approve.html"
APPROVALS_PAGE: Final = "console/approvals.html"
DASHBOARD_PAGE: Final = "console/index.html"
BEIJING: Final = timezone(timedelta(hours=8), "北京时间")
# One decision attempt holds the link (a conditional write) before its transaction; others wait
# for its outcome instead of all running the transaction (see _claim).
CLAIM_LEASE_SECONDS: Final = 30
CLAIM_WAIT_SECONDS: Final = 20.0
CLAIM_POLL_SECONDS: Final = 0.25
SHOWN_DIGITS: Final = 8  # the page shows the first eight digits of the 12; the approver types the last four

# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet; anything else is not ours.
# A child of the "zhtj" logger: in a function, Powertools' JSON handler (ID numbers masked).
log = logging.getLogger(__name__)

_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_VIA_LABELS: Final = {VIA_LINK: "通过邮件中的审批链接", "console": "在控制台"}


# ---------------------------------------------------------------- ports
class Approver(Protocol):
    @property
    def username(self) -> str: ...

    @property
    def org_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def is_admin(self) -> bool: ...


class Directory(Protocol):
    """Admin accounts (CognitoDirectory implements it)."""

    def admins_of(self, org_id: str) -> Sequence[Approver]: ...

    def account(self, username: str) -> Approver | None: ...


class Mailer(Protocol):
    def send(self, to: str, message: Rendered) -> str:
        """Send one message to one recipient; returns the provider's message id."""


class LinkStore(Protocol):
    """Approval links (DynamoApprovalStore implements it)."""

    def get_link(self, token_hash: str) -> dict[str, Any] | None: ...

    def get_sent(self, member_id: str, version: int, username: str) -> dict[str, Any] | None: ...

    def issue_link(self, link: Mapping[str, Any], *, previous_hash: str | None) -> bool: ...

    def mark_sent(self, member_id: str, version: int, username: str, *, at: str, message_id: str) -> None: ...

    def claim(self, token_hash: str, *, claim_id: str, now: str, until: str, max_wrong: int) -> bool: ...

    def release(self, token_hash: str, *, claim_id: str) -> None: ...

    def consume_item(self, token_hash: str, *, claim_id: str, at: str, decision: str, now: str,
                     max_wrong: int) -> Mapping[str, Any]: ...

    def claim_follow_up(self, token_hash: str, *, claim_id: str, now: str, until: str) -> bool: ...

    def finish_follow_up(self, token_hash: str, *, claim_id: str, at: str) -> None: ...

    def outcome_sent(self, member_id: str, version: int, username: str) -> bool: ...

    def mark_outcome_sent(self, member_id: str, version: int, username: str, *, at: str, message_id: str) -> None: ...

    def record_wrong_answer(self, token_hash: str, *, at: str, now: str, max_wrong: int) -> int | None: ...


# ---------------------------------------------------------------- errors
class LinkRefused(DomainError):
    """Why a link cannot be used (or an answer is wrong); ``status`` is the HTTP status the
    route answers with, ``details`` extra JSON for the page."""

    def __init__(self, code: str, message: str, status: int, field: str | None = None,
                 **details: Any) -> None:
        super().__init__(code, message, field)
        self.status = status
        self.details = details


def _invalid() -> LinkRefused:
    return LinkRefused("link_invalid", "该审批链接无效：可能复制不完整，或链接已过期很久被清除。"
                       "请从邮件中完整地打开链接，或登录控制台在“档案审批”页面审批。", 404)


def _expired(expires_at: str) -> LinkRefused:
    return LinkRefused("link_expired", f"该审批链接已于{beijing_time(expires_at)}过期，未做任何审批。"
                       "请登录控制台，在“档案审批”页面审批。", 410)


def _superseded(version: int, current: int) -> LinkRefused:
    return LinkRefused("link_superseded", f"该链接对应的第{version}版档案已被重新上传的第{current}版替代，"
                       "本链接已作废，未做任何审批。请使用最新一封审批邮件中的链接，或登录控制台审批。", 410)


def _decided(decision: str | None, at: str | None, via: str | None) -> LinkRefused:
    outcome = {"approved": "同意", "rejected": "不同意"}.get(decision or "", "")
    when = f"于{beijing_time(at)}" if at else ""
    how = _VIA_LABELS.get(via or "", "")
    detail = f"（{when}{how}审批：{outcome}）" if outcome else ""
    return LinkRefused("already_decided", f"该档案已处理{detail}，无需再次操作，本次未做任何更改。", 409,
                       decision=decision, decided_at=at)


def _locked() -> LinkRefused:
    return LinkRefused("link_locked", f"发展团员编号后四位已连续填错{MAX_WRONG_ANSWERS}次，该链接已锁定，未做任何审批。"
                       "请登录控制台，在“档案审批”页面核对后审批。", 423)


def _approver_changed() -> LinkRefused:
    return LinkRefused("approver_changed", "该链接的收件人已不再是审批组织的管理员（或审批组织已变更），链接已失效，"
                       "未做任何审批。请审批组织的管理员登录控制台审批。", 403)


# ---------------------------------------------------------------- small helpers
def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link_url(site_origin: str, token: str) -> str:
    return f"{site_origin.rstrip('/')}/{LINK_PAGE}#t={token}"


def page_url(site_origin: str, page: str) -> str:
    return f"{site_origin.rstrip('/')}/{page}"


def masked_number(number: str) -> str:
    """The first eight digits and four stars: the last four are the approver's question."""
    return number[:SHOWN_DIGITS] + "*" * max(0, len(number) - SHOWN_DIGITS)


def beijing_time(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M（北京时间）")


def normalise_digits(text: str | None) -> str:
    """Full-width digits (a Chinese input method's １２３４) count as digits; spaces do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _join_month(member: Mapping[str, Any]) -> str:
    return f"{member['join_year']}年{int(member['join_month'])}月"


# ---------------------------------------------------------------- the e-mails (ArchiveEvents)
class ApprovalMail:
    """Implements ``ArchiveEvents``: e-mails the approvers when an archive enters 待审批 and the
    uploading organisation's admins when it is decided. Both raise when a send failed and may
    be called again: what was sent is not sent again. ``archive_pending`` is retried by the
    worker; ``archive_decided`` by a retried decision — of the link (:func:`_follow_up`) or of
    the console (``zhtj.services.archives.decide_from_console``)."""

    def __init__(self, *, links: LinkStore, directory: Directory, mailer: Mailer, ledger: ArchiveLedger,
                 orgs: OrganisationRepository, site_origin: str, link_days: int,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.links = links
        self.directory = directory
        self.mailer = mailer
        self.ledger = ledger
        self.orgs = orgs
        self.site_origin = site_origin
        self.link_days = link_days
        self.now = now

    # ------------------------------------------------------------ 待审批 → the approvers
    def archive_pending(self, member: Mapping[str, Any], version: int, decider_id: str) -> None:
        approvers = [a for a in self.directory.admins_of(decider_id) if a.email]
        if not approvers:
            # nobody to e-mail: the pending list in the console (and the digest) remain
            log.warning("no approver with an e-mail address", extra={"decider_id": decider_id})
            return
        decider = self.orgs.get(decider_id)
        record = self.ledger.get_version(str(member["member_id"]), version) or {}
        failed: list[Exception] = []
        for approver in approvers:
            try:
                self._send_link(member, version, record, decider.name if decider else "上级团委", approver)
            except Exception as exc:  # try every approver, then have the event retried
                log.warning("approval e-mail failed", extra={"member_id": member.get("member_id"), "version": version,
                                                             "approver": approver.username,
                                                             "error": type(exc).__name__})
                failed.append(exc)
        if failed:
            raise failed[0]

    def _send_link(self, member: Mapping[str, Any], version: int, record: Mapping[str, Any], decider_name: str,
                   approver: Approver) -> None:
        member_id = str(member["member_id"])
        sent = self.links.get_sent(member_id, version, approver.username)
        if sent and sent.get("sent_at"):
            return
        token = new_token()
        now = self.now()
        expires = now + timedelta(days=self.link_days)
        link = {"token_hash": token_hash(token), "member_id": member_id, "version": version,
                "approver": approver.username, "approver_org_id": approver.org_id, "decider_name": decider_name,
                "created_at": timestamp(now), "link_expires_at": timestamp(expires)}
        if not self.links.issue_link(link, previous_hash=(sent or {}).get("token_hash")):
            return  # a concurrent run issued (and is sending) this approver's link
        url = link_url(self.site_origin, token)
        message = render("approval_request", {
            "approver": approver.username, "decider_name": decider_name, "member_name": str(member["name"]),
            "branch_name": str(member.get("branch_name") or ""),
            "number_masked": masked_number(str(member["member_number"])), "join_month": _join_month(member),
            "version": str(version), "uploader_name": str(record.get("uploader_org_name") or ""),
            "submitted_at": beijing_time(str(record.get("accepted_at") or "") or None),
            "expires_at": beijing_time(str(link["link_expires_at"])),
            "link": Alternatives(text=url, html=f'<a href="{html.escape(url)}">打开审批页面（查看档案并审批）</a>'),
        })
        message_id = self.mailer.send(str(approver.email), message)
        self.links.mark_sent(member_id, version, approver.username, at=timestamp(self.now()), message_id=message_id)

    # ------------------------------------------------------------ decided → the uploader's admins
    def archive_decided(self, member: Mapping[str, Any], version: int, approved: bool, reason: str | None,
                        actor: Actor) -> None:
        member_id = str(member["member_id"])
        record = self.ledger.get_version(member_id, version) or {}
        # the stored decision's time: a resumed follow-up tells when it was decided, not when it resumed
        decided_at = str(record.get("decided_at") or "") or timestamp(self.now())
        uploader_org = str(record.get("uploader_org_id") or member["branch_id"])
        recipients = [a for a in self.directory.admins_of(uploader_org) if a.email]
        decider = self.orgs.get(actor.org_id)
        outcome = "同意（团员身份已认证）" if approved else "不同意（认证不通过）"
        next_step = ("该团员已完成团员身份认证（操作指引 3.4），统计新发展团员数量时计算在内。" if approved else
                     "请根据审批意见修改后，在控制台点击“替换档案”重新上传电子档案（操作指引 3.2.1、Q&A 5.3）。")
        failed: list[Exception] = []
        for recipient in recipients:
            if self.links.outcome_sent(member_id, version, recipient.username):
                continue  # sent before the attempt that decided died
            message = render("decision_outcome", {
                "recipient": recipient.username, "decider_name": decider.name if decider else "上级团委",
                "member_name": str(member["name"]), "branch_name": str(member.get("branch_name") or ""),
                "member_number": str(member["member_number"]), "version": str(version), "outcome": outcome,
                "reason": reason or "（无）", "decided_at": beijing_time(decided_at),
                "via": _VIA_LABELS.get(actor.via, actor.via), "next_step": next_step,
                "console_url": page_url(self.site_origin, DASHBOARD_PAGE),
            })
            try:
                message_id = self.mailer.send(str(recipient.email), message)
            except Exception as exc:
                failed.append(exc)
                continue
            self.links.mark_outcome_sent(member_id, version, recipient.username, at=timestamp(self.now()),
                                         message_id=message_id)
        if failed:
            raise failed[0]


# ---------------------------------------------------------------- using a link
@dataclass(frozen=True)
class LinkContext:
    """What the link use cases need (the route builds it from the container)."""

    links: LinkStore
    directory: Directory
    ledger: ArchiveLedger
    files: ArchiveFiles
    events: ArchiveEvents
    url_ttl_seconds: int


@dataclass(frozen=True)
class _Opened:
    hash: str
    link: dict[str, Any]
    member: dict[str, Any]
    record: dict[str, Any]


def _open(token: str | None, ctx: LinkContext, now: datetime) -> _Opened:
    """The link, if it may still decide; otherwise the precise refusal. Reads only."""
    if not token or not _TOKEN_RE.fullmatch(token):
        raise _invalid()
    hashed = token_hash(token)
    link = ctx.links.get_link(hashed)
    if link is None:
        raise _invalid()
    member = ctx.ledger.member(str(link["member_id"]))
    if member is None:
        raise _invalid()
    version = int(link["version"])
    if link.get("consumed_at"):
        raise _decided(str(link.get("consumed_decision") or ""), str(link["consumed_at"]), VIA_LINK)
    current = archive_of(member)
    if current.version > version:
        raise _superseded(version, current.version)
    record = ctx.ledger.get_version(str(link["member_id"]), version)
    if record is None:
        raise _invalid()
    if record.get("decided_at") or current.state is not ArchiveState.PENDING:
        raise _decided(record.get("decision"), record.get("decided_at"), record.get("decided_via"))
    if timestamp(now) >= str(link["link_expires_at"]):
        raise _expired(str(link["link_expires_at"]))
    if int(link.get("wrong_answers") or 0) >= MAX_WRONG_ANSWERS:
        raise _locked()
    if member.get("archive_decider_id") != link["approver_org_id"]:
        raise _approver_changed()
    account = ctx.directory.account(str(link["approver"]))
    if account is None or not account.is_admin or account.org_id != link["approver_org_id"]:
        raise _approver_changed()
    return _Opened(hashed, link, member, record)


def _lease(now: datetime) -> tuple[str, str]:
    """(now, end of a lease taken now): the later of the caller's clock and the real one, so a
    caller's ``now`` can only lengthen what counts as passed."""
    current = datetime.now(UTC) if now.tzinfo else now
    moment = max(now, current)
    return timestamp(moment), timestamp(moment + timedelta(seconds=CLAIM_LEASE_SECONDS))


def _claim(hashed: str, claim_id: str, token: str | None, ctx: LinkContext, now: datetime) -> None:
    """Hold the link for this attempt. Another attempt holding it (a double tap, 50 concurrent
    submissions) is waited for — briefly, without writing — and its outcome reported: 已处理
    when it decided, the precise refusal when the link changed otherwise."""
    deadline = time.monotonic() + CLAIM_WAIT_SECONDS
    while True:
        stamp, until = _lease(now)
        if ctx.links.claim(hashed, claim_id=claim_id, now=stamp, until=until, max_wrong=MAX_WRONG_ANSWERS):
            return
        link = ctx.links.get_link(hashed)
        if link is None or link.get("consumed_at"):
            _open(token, ctx, now)  # raises: 已处理 (or whatever the link has become)
        if time.monotonic() > deadline:
            _open(token, ctx, now)
            raise LinkRefused("decision_in_progress", "该链接的另一次提交正在处理中，本次未做任何更改。"
                              "请稍后刷新页面查看审批结果。", 409)
        time.sleep(CLAIM_POLL_SECONDS)


def view_link(token: str | None, *, ctx: LinkContext, now: datetime) -> dict[str, Any]:
    """What the approval page shows: the member's details (never the ID number, the number's
    first eight digits only), the PDF through a short-lived presigned GET, and the actions.
    Changes nothing."""
    opened = _open(token, ctx, now)
    member, record, link = opened.member, opened.record, opened.link
    file_url = None
    if record.get("file_at"):
        file_url = ctx.files.presign_get(str(record["s3_key"]), version_id=record.get("s3_version_id"),
                                         filename=f"rutuan-v{link['version']}.pdf",
                                         expires_in=ctx.url_ttl_seconds)
    wrong = int(link.get("wrong_answers") or 0)
    return {
        "status": "open",
        "member": {
            "name": member.get("name"), "gender": member.get("gender"), "ethnicity": member.get("ethnicity"),
            "political_status": member.get("political_status"), "join_month": _join_month(member),
            "study_status": member.get("study_status"), "education": member.get("education"),
            "branch_name": member.get("branch_name"),
            "number_shown": str(member["member_number"])[:SHOWN_DIGITS],
            "number_masked": masked_number(str(member["member_number"])),
        },
        "archive": {"version": link["version"], "state": member.get("archive_state"), "pages": record.get("pages"),
                    "uploaded_at": record.get("accepted_at"), "uploader_name": record.get("uploader_org_name"),
                    "warnings": list(record.get("warnings") or [])},
        "decider_name": link.get("decider_name"), "approver": link["approver"],
        "expires_at": link["link_expires_at"], "expires_at_text": beijing_time(str(link["link_expires_at"])),
        "file": {"url": file_url, "expires_in": ctx.url_ttl_seconds} if file_url else None,
        "wrong_answers": wrong, "attempts_left": MAX_WRONG_ANSWERS - wrong,
    }


def decide_by_link(token: str | None, *, approve: bool, reason: str | None, last_four: str | None,
                   ctx: LinkContext, now: datetime) -> dict[str, Any]:
    """同意 (with the last four digits as printed on the form) or 不同意 (with a reason) through
    the link; the decision and the link's consumption are one transaction, the outcome e-mails
    follow (:func:`_follow_up`)."""
    try:
        opened = _open(token, ctx, now)
    except LinkRefused as refused:
        if refused.code == "already_decided":
            resume_link_follow_up(token_hash(str(token)), ctx, now)
        raise
    member, link = opened.member, opened.link
    number = str(member["member_number"])
    written = (reason or "").strip()
    if approve:
        digits = normalise_digits(last_four)
        if not re.fullmatch(r"[0-9]{4}", digits):
            raise LinkRefused("digits_required", "请填写《入团志愿书》首页发展团员编号的后四位（4位数字）", 400,
                              field="last_four")
        if digits != number[-4:]:
            count = ctx.links.record_wrong_answer(opened.hash, at=timestamp(now), now=timestamp(now),
                                                  max_wrong=MAX_WRONG_ANSWERS)
            if count is None:  # consumed, expired or locked meanwhile: say which
                _open(token, ctx, now)
                raise _locked()
            left = MAX_WRONG_ANSWERS - count
            tail = (f"还可以再填写{left}次。" if left > 0 else
                    f"已连续填错{MAX_WRONG_ANSWERS}次，该链接已锁定，请登录控制台审批。")
            raise LinkRefused(
                "wrong_digits",
                "您填写的后四位与系统中该团员的发展团员编号不一致，未做任何审批。请核对《入团志愿书》首页的编号"
                "（操作指引 5.7：系统内的编号必须与首页一致）；如首页编号确与系统不同，请选择“不同意”并写明理由，"
                f"由团支部修改编号后重新上传。{tail}",
                422, field="last_four", attempts_left=left)
    elif not written:
        raise LinkRefused("reason_required", "选择“不同意”时须写明理由，系统会反馈给下级团组织（操作指引 3.3.1）", 400,
                          field="reason")
    actor = Actor(str(link["approver"]), str(link["approver_org_id"]), VIA_LINK)
    decision = "approved" if approve else "rejected"
    claim_id = secrets.token_hex(8)
    _claim(opened.hash, claim_id, token, ctx, now)
    consume = ctx.links.consume_item(opened.hash, claim_id=claim_id, at=timestamp(now), decision=decision,
                                     now=timestamp(now), max_wrong=MAX_WRONG_ANSWERS)
    try:
        result = decide_archive(str(member["member_id"]), version=int(link["version"]), approve=approve,
                                reason=written or None, actor=actor, ledger=ctx.ledger, now=now,
                                extra=[consume])
    except InvalidRequest:
        ctx.links.release(opened.hash, claim_id=claim_id)
        raise  # a reason that is too long: the domain's own message (400)
    except (ExtraConditionFailed, AlreadyDecided, ArchiveChanged, TransitionNotAllowed, NotAuthorised):
        ctx.links.release(opened.hash, claim_id=claim_id)
        _open(token, ctx, now)  # lost a race: the refusal names what happened (已处理, superseded, …)
        raise _decided(None, None, None) from None
    except BaseException:
        ctx.links.release(opened.hash, claim_id=claim_id)
        raise
    _follow_up(opened.hash, claim_id, link, ctx, now)
    state = result["archive_state"]
    name = str(member["name"])
    message = (f"已同意：{name}的团员身份已认证（操作指引 3.4）。" if approve else
               f"已提交“不同意”：{name}的档案状态为“认证不通过”，理由已反馈给“{member.get('branch_name')}”。")
    return {"status": "decided", "decision": decision, "archive_state": state, "reason": result.get("reason"),
            "decided_at": result["decided_at"], "message": message}


def _follow_up(hashed: str, claim_id: str, link: Mapping[str, Any], ctx: LinkContext, now: datetime) -> None:
    """The outcome e-mails of the decision the link recorded, under the link's claim
    (``zhtj.services.archives.tell_decision``); a failed send leaves it due for a retry of the link."""
    tell_decision(str(link["member_id"]), int(link["version"]), ledger=ctx.ledger, events=ctx.events,
                  default_via=VIA_LINK,
                  finish=lambda: ctx.links.finish_follow_up(hashed, claim_id=claim_id, at=timestamp(now)),
                  release=lambda: ctx.links.release(hashed, claim_id=claim_id))


def resume_link_follow_up(hashed: str, ctx: LinkContext, now: datetime) -> bool:
    """A retry of a consumed link, or the sweeper (zhtj.services.follow_ups): finish a
    follow-up the attempt that decided left due (it died after its transaction). Nothing when
    none is due, or while a live attempt holds the link — the holder finishes it itself.
    True when this call took the follow-up over."""
    link = ctx.links.get_link(hashed)
    if link is None or not link.get("followup_due"):
        return False
    claim_id = secrets.token_hex(8)
    stamp, until = _lease(now)
    if not ctx.links.claim_follow_up(hashed, claim_id=claim_id, now=stamp, until=until):
        return False
    _follow_up(hashed, claim_id, link, ctx, now)
    return True
