"""Daily reminders (操作指引 §4.3, §3.2 注, Q&A §5.3/§5.6): e-mail digests, at most one a day
per recipient and kind.

* **Organisation digest** — to each organisation's admins: the members of its subtree
  without an archive (尚未认证; those past the 30-day upload deadline first, Q&A §5.6) and
  the rejected archives waiting for 替换档案 (认证不通过, §3.2.1). §4.3 makes every level's
  admins "第一责任主体" for their members' certification, so a county's admins hear about
  its schools too; each list shows the :data:`LIST_LIMIT` most urgent with the totals.
* **Approver digest** — to each deciding committee's admins: what waits for their decision
  (archives and change requests), oldest first.

**Cost.** One listing of the admin accounts, then per tree root one paged Query of its
members (gsi2, filtered to the two states above, projected) and one of its sparse pending
items — never one query per organisation; the grouping by organisation is done in memory
over each member's branch path.

**Idempotent per day.** Before sending, a digest is claimed with a conditional put keyed by
(date, kind, recipient) (``REMINDER#{date}`` / ``{kind}#{recipient}``); a claimed digest is
never sent again that day. A send that fails releases its claim, so a retried run (the
scheduler retries a failed invocation; ``zhtj remind`` can be run again) sends exactly what
is missing. A process that dies between SES accepting and the claim being marked sent loses
nothing and repeats nothing: the claim stays, so that digest is not repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, Protocol

from zhtj.domain.glossary import ArchiveState
from zhtj.domain.orgs import Organisation
from zhtj.mail import Alternatives, html_list, render, text_list
from zhtj.services.approvals import APPROVALS_PAGE, DASHBOARD_PAGE, Approver, Mailer, masked_number, page_url
from zhtj.services.archives import PENDING_KIND_LABELS, due_date, is_overdue, timestamp

LIST_LIMIT: Final = 30
KIND_ORG: Final = "org"
KIND_APPROVER: Final = "approver"


class ReminderStore(Protocol):
    def claim_reminder(self, day: str, kind: str, recipient: str, *, at: str) -> bool: ...

    def mark_reminder_sent(self, day: str, kind: str, recipient: str, *, at: str, message_id: str) -> None: ...

    def release_reminder(self, day: str, kind: str, recipient: str) -> None: ...

    def members_for_reminders(self, root: str) -> list[dict[str, Any]]: ...

    def pending_for_reminders(self, root: str) -> list[dict[str, Any]]: ...


class AdminListing(Protocol):
    def admins_by_org(self) -> Mapping[str, Sequence[Approver]]: ...


class OrgLookup(Protocol):
    def get_many(self, org_ids: Sequence[str]) -> dict[str, Organisation]: ...


@dataclass
class Digest:
    kind: str  # "org:{org_id}" or "approver:{org_id}"
    org_id: str
    recipients: list[str]  # e-mail addresses
    template: str
    values: dict[str, Any]


@dataclass
class ReminderRun:
    day: str
    digests: int = 0
    sent: int = 0
    skipped: int = 0  # already claimed today (sent by an earlier run)
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "digests": self.digests, "sent": self.sent, "skipped": self.skipped,
                "failed": self.failed}


def _member_line(member: Mapping[str, Any], today: date) -> str:
    due = due_date(int(member["join_year"]), int(member["join_month"]))
    late = "，已逾期" if is_overdue(member, today) else ""
    return (f"{member.get('name')}（{member.get('branch_name')}，发展团员编号 {member.get('member_number')}，"
            f"应于{due:%Y-%m-%d}前上传{late}）")


def _rejected_line(member: Mapping[str, Any]) -> str:
    reason = str(member.get("archive_reason") or "").strip()
    return (f"{member.get('name')}（{member.get('branch_name')}，发展团员编号 {member.get('member_number')}）"
            + (f"：{reason[:80]}" if reason else ""))


def _pending_line(item: Mapping[str, Any], today: date) -> str:
    submitted = str(item.get("submitted_at") or "")
    days = (today - datetime.fromisoformat(submitted).date()).days if submitted else 0
    label = PENDING_KIND_LABELS.get(str(item.get("kind")), "审批")
    return (f"{label}：{item.get('name')}（{item.get('branch_name')}，发展团员编号 "
            f"{masked_number(str(item.get('member_number') or ''))}），已等待 {max(days, 0)} 天")


def _listed(lines: list[str]) -> Alternatives:
    shown = lines[:LIST_LIMIT]
    return Alternatives(text=text_list(shown) if shown else "  （无）", html=html_list(shown) or "<p>（无）</p>")


def _more(total: int) -> str:
    return f"每类最多列出 {LIST_LIMIT} 项，其余请登录控制台查看。" if total > LIST_LIMIT else ""


def plan_digests(day: date, *, admins: Mapping[str, Sequence[Approver]], orgs: Mapping[str, Organisation],
                 members: Sequence[Mapping[str, Any]], pending: Sequence[Mapping[str, Any]],
                 site_origin: str) -> list[Digest]:
    """What to send today (pure: no I/O). ``orgs`` are the organisations that have admins."""
    watched = set(admins) & set(orgs)
    missing: dict[str, list[Mapping[str, Any]]] = {o: [] for o in watched}
    rejected: dict[str, list[Mapping[str, Any]]] = {o: [] for o in watched}
    for member in members:
        state = member.get("archive_state")
        for org_id in member.get("branch_path") or []:
            if org_id not in watched:
                continue
            if state == ArchiveState.NOT_CERTIFIED.value:
                missing[org_id].append(member)
            elif state == ArchiveState.REJECTED.value:
                rejected[org_id].append(member)
    waiting: dict[str, list[Mapping[str, Any]]] = {}
    for item in pending:
        if item.get("decider_id") in watched:
            waiting.setdefault(str(item["decider_id"]), []).append(item)

    def emails(org_id: str) -> list[str]:
        return sorted({str(a.email).strip().lower() for a in admins[org_id] if a.email})

    digests: list[Digest] = []
    for org_id in sorted(watched):
        org = orgs[org_id]
        lacking, refused = missing[org_id], rejected[org_id]
        if lacking or refused:
            lacking = sorted(lacking, key=lambda m: (not is_overdue(m, day),
                                                     due_date(int(m["join_year"]), int(m["join_month"])),
                                                     str(m.get("name"))))
            refused = sorted(refused, key=lambda m: str(m.get("archive_updated_at") or ""))
            digests.append(Digest(f"{KIND_ORG}:{org_id}", org_id, emails(org_id), "digest_org", {
                "org_name": org.name, "date": day.isoformat(), "missing_count": str(len(lacking)),
                "overdue_count": str(sum(is_overdue(m, day) for m in lacking)),
                "missing_list": _listed([_member_line(m, day) for m in lacking]),
                "rejected_count": str(len(refused)), "rejected_list": _listed([_rejected_line(m) for m in refused]),
                "more": _more(max(len(lacking), len(refused))),
                "console_url": page_url(site_origin, DASHBOARD_PAGE),
            }))
        queue = sorted(waiting.get(org_id, []), key=lambda i: str(i.get("submitted_at") or ""))
        if queue:
            oldest = str(queue[0].get("submitted_at") or "")
            oldest_days = (day - datetime.fromisoformat(oldest).date()).days if oldest else 0
            digests.append(Digest(f"{KIND_APPROVER}:{org_id}", org_id, emails(org_id), "digest_approver", {
                "org_name": org.name, "date": day.isoformat(), "pending_count": str(len(queue)),
                "oldest_days": str(max(oldest_days, 0)),
                "pending_list": _listed([_pending_line(i, day) for i in queue]), "more": _more(len(queue)),
                "console_url": page_url(site_origin, APPROVALS_PAGE),
            }))
    return digests


def run_reminders(day: date, *, store: ReminderStore, directory: AdminListing, orgs: OrgLookup, mailer: Mailer,
                  site_origin: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ReminderRun:
    admins = {org_id: list(accounts) for org_id, accounts in directory.admins_by_org().items() if accounts}
    known = orgs.get_many(sorted(admins))
    members: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for root in sorted({org.path[0] for org in known.values()}):
        members += store.members_for_reminders(root)
        pending += store.pending_for_reminders(root)
    run = ReminderRun(day.isoformat())
    for digest in plan_digests(day, admins=admins, orgs=known, members=members, pending=pending,
                               site_origin=site_origin):
        run.digests += 1
        for recipient in digest.recipients:
            if not store.claim_reminder(run.day, digest.kind, recipient, at=timestamp(now())):
                run.skipped += 1
                continue
            try:
                message = render(digest.template, {"recipient": recipient.split("@")[0], **digest.values})
                message_id = mailer.send(recipient, message)
            except Exception as exc:
                store.release_reminder(run.day, digest.kind, recipient)
                run.failed += 1
                run.errors.append(f"{digest.kind}: {type(exc).__name__}")
                continue
            store.mark_reminder_sent(run.day, digest.kind, recipient, at=timestamp(now()), message_id=message_id)
            run.sent += 1
    return run
