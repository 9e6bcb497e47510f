"""Entering new members (录入操作步骤 §三; Q&A §5.1, §5.7, §5.8; notice §二.5, §三.1–2).

One member, whether typed into the console form or read from one spreadsheet row, goes
through the same two stages:

1. **offline checks** — :func:`zhtj.imports.validation.validate_rows` on the template's own
   columns (ID checksum and birth date, age ≥ 14 on the join month, gender against the ID,
   number format and join year, enumerations);
2. **placement** (:func:`place_member`) — the rules that need stored state: the branch lies in
   the caller's subtree and is a 团支部, the member's domain (Q&A §5.8) and the ban on a social
   branch admitting a student (notice §二.5), and the number lies in a segment held by the
   branch or one of its ancestors for that domain and year (notice §三.2: 编号号段不得相互挤占、
   挪用).

Then :func:`register_member` writes it with the checks only the database can make exactly:
the ID number registered once in the whole system, the member number used once, and no
quota holder in the ancestry passing its plan — all in one transaction
(:meth:`zhtj.adapters.dynamodb.DynamoStore.register_member`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from zhtj.domain.archive import NEW_ARCHIVE
from zhtj.domain.domains import check_admission_domain
from zhtj.domain.errors import AdmissionRefused, DomainError, SegmentError
from zhtj.domain.glossary import Domain, OrgKind, StudyStatus
from zhtj.domain.ids import parse_resident_id
from zhtj.domain.numbers import MemberNumber, Segment, parse_member_number
from zhtj.domain.orgs import Organisation, Principal, require_administers
from zhtj.imports import definitions as columns
from zhtj.services.errors import InvalidRequest
from zhtj.services.organisations import ancestry, load
from zhtj.services.ports import OrganisationRepository

# Q&A §5.6 / 操作指引 §2: the archive is due within 30 days of the admission's approval.
ARCHIVE_DUE_DAYS = 30


@dataclass(frozen=True)
class HeldSegment:
    holder_id: str
    segment: Segment


@dataclass(frozen=True)
class QuotaUse:
    year: int
    domain: str
    org_id: str
    delta: int = 1


class MemberLedger(Protocol):
    """What member entry needs from storage (DynamoStore implements it)."""

    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]: ...

    def quota_holders(self, org_ids: Sequence[str], year: int, domain: str) -> list[str]: ...

    def register_member(self, member: Mapping[str, Any], *, member_number: str, counters: Sequence[QuotaUse],
                        segment: HeldSegment | None = None) -> None: ...


class EntryRejected(DomainError):
    """One member's entry failed one or more rules; ``errors`` holds each, per field."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = list(errors)


@dataclass(frozen=True)
class NewMember:
    """A member whose row passed the offline checks; values are canonical."""

    name: str
    resident_id: str
    gender: str
    ethnicity: str
    political_status: str
    join_year: int
    join_month: int
    member_number: MemberNumber
    study_status: StudyStatus | None
    education: str
    mobile: str
    remarks: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, str], today: date) -> NewMember:
        """From a row's canonical values (``RowResult.values`` of a row without errors)."""
        year, month = (int(p) for p in values[columns.JOIN_MONTH].split("-"))
        status = values.get(columns.STUDY_STATUS) or None
        return cls(
            name=values[columns.NAME],
            resident_id=parse_resident_id(values[columns.RESIDENT_ID], today).number,
            gender=values[columns.GENDER],
            ethnicity=values[columns.ETHNICITY],
            political_status=values[columns.POLITICAL_STATUS],
            join_year=year,
            join_month=month,
            member_number=parse_member_number(values[columns.MEMBER_NUMBER]),
            study_status=StudyStatus(status) if status else None,
            education=values[columns.EDUCATION],
            mobile=values[columns.MOBILE],
            remarks=values.get(columns.REMARKS, ""),
        )


@dataclass(frozen=True)
class Placement:
    branch: Organisation
    domain: Domain
    segment: HeldSegment
    counters: tuple[QuotaUse, ...]


def member_id_for(resident_id: str, secret: bytes) -> str:
    """The member's id is a keyed hash of the ID number: the member item's own key is then the
    system-wide uniqueness of the ID number (one conditional put, no separate claim), and no
    ID number ever appears in a key, a URL or a log line."""
    return "m" + hmac.new(secret, resident_id.encode(), hashlib.sha256).hexdigest()[:31]


def find_segment(segments: Sequence[HeldSegment], number: MemberNumber) -> HeldSegment | None:
    for held in segments:
        if held.segment.contains(number):
            return held
    return None


def place_member(member: NewMember, branch: Organisation, chain: Sequence[Organisation],
                 ledger: MemberLedger) -> Placement:
    """The stored-state rules for one member entering ``branch`` (``chain`` = root … branch)."""
    if branch.kind is not OrgKind.BRANCH or branch.industry is None:
        raise AdmissionRefused("not_a_branch", f"“{branch.name}”不是团支部：团员须录入到团支部",
                               field=columns.BRANCH)
    domain = check_admission_domain(branch.industry, member.study_status)
    ids = [o.org_id for o in chain]
    held = find_segment(ledger.segments_of(ids, member.join_year, domain.value), member.member_number)
    if held is None:
        raise SegmentError(
            "number_not_in_segment",
            f"发展团员编号 {member.member_number.text} 不在本团支部及其上级组织{member.join_year}年"
            f"{domain.value}领域分配的号段内，请核对编号或联系上级团委（通知 三.2：号段不得挤占、挪用）",
            field=columns.MEMBER_NUMBER,
        )
    holders = ledger.quota_holders(ids, member.join_year, domain.value)
    counters = tuple(QuotaUse(member.join_year, domain.value, org_id) for org_id in holders)
    return Placement(branch=branch, domain=domain, segment=held, counters=counters)


def member_item(member: NewMember, placement: Placement, *, member_id: str, actor: Principal,
                now: datetime, source: str) -> dict[str, Any]:
    branch = placement.branch
    return {
        "member_id": member_id,
        "name": member.name,
        "resident_id": member.resident_id,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "political_status": member.political_status,
        "join_year": member.join_year,
        "join_month": member.join_month,
        "member_number": member.member_number.text,
        "study_status": member.study_status.value if member.study_status else None,
        "education": member.education,
        "mobile": member.mobile,
        "remarks": member.remarks or None,
        "branch_id": branch.org_id,
        "branch_name": branch.name,
        "branch_path": list(branch.path),
        "domain": placement.domain.value,
        "segment_holder": placement.segment.holder_id,
        "archive_state": NEW_ARCHIVE.state.value,
        "archive_version": NEW_ARCHIVE.version,
        "created_at": now.isoformat(timespec="seconds"),
        "created_by": actor.username,
        "created_via": source,
    }


def register_member(principal: Principal, branch_id: str, member: NewMember, *, orgs: OrganisationRepository,
                    ledger: MemberLedger, secret: bytes, now: datetime, source: str = "console") -> str:
    """Place and store one member; returns the member id. Raises a DomainError per rule."""
    branch = load(orgs, branch_id)
    require_administers(principal, branch.path)
    placement = place_member(member, branch, ancestry(branch, orgs), ledger)
    member_id = member_id_for(member.resident_id, secret)
    item = member_item(member, placement, member_id=member_id, actor=principal, now=now, source=source)
    ledger.register_member(item, member_number=member.member_number.text, counters=placement.counters,
                           segment=placement.segment)
    return member_id


def entry_from_form(form: Mapping[str, Any], today: date) -> NewMember:
    """Single entry (console form) through exactly the import's offline checks; every failed
    field is reported at once (GOV.UK error summary)."""
    from zhtj.imports.definitions import MEMBER_TEMPLATE
    from zhtj.imports.reading import ImportRow
    from zhtj.imports.validation import validate_rows

    known = {column.name for column in MEMBER_TEMPLATE.columns}
    unknown = sorted(set(form) - known)
    if unknown:
        raise InvalidRequest("unknown_fields", f"无法识别的字段：{'、'.join(unknown)}")
    values = {name: (str(form[name]) if form.get(name) not in (None, "") else None)
              for name in known}
    (result,) = validate_rows(MEMBER_TEMPLATE, [ImportRow(row=1, values=dict(values))], today)
    if not result.ok:
        raise EntryRejected([DomainError(e.code, e.reason, e.column) for e in result.errors])
    return NewMember.from_values(result.values, today)
