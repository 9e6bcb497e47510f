"""Pure parts of the archive use cases: keys, due dates, ids, who may ask for a change, and
that the API side never loads the PDF reader."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import ROOT
from zhtj.domain.archive import Archive
from zhtj.domain.glossary import ArchiveState, OrgKind, Role
from zhtj.domain.orgs import Principal, new_child, new_root
from zhtj.readers.pdf import MAX_PDF_BYTES
from zhtj.services import archives


def test_the_presign_limit_is_the_readers_limit() -> None:
    assert archives.MAX_ARCHIVE_BYTES == MAX_PDF_BYTES == 20 * 1024 * 1024


def test_upload_keys_round_trip_and_carry_no_personal_data() -> None:
    key = archives.upload_key("m0123abc", "u20230510090000000000deadbeefdeadbeef")
    assert key == "uploads/archives/m0123abc/u20230510090000000000deadbeefdeadbeef.pdf"
    assert archives.parse_upload_key(key) == ("m0123abc", "u20230510090000000000deadbeefdeadbeef")
    for other in ("uploads/imports/x.xlsx", "uploads/archives/m1/u1.pdf.exe", "uploads/archives/../u1.pdf",
                  "uploads/archives/m1/x/u1.pdf", "archives/m1/v1.pdf"):
        assert archives.parse_upload_key(other) is None
    assert archives.archive_object_key("m1", 3) == "archives/m1/v3.pdf"
    assert archives.refused_object_key("m1", "u1") == "refused/archives/m1/u1.pdf"


def test_upload_ids_sort_by_request_time() -> None:
    now = datetime(2023, 5, 10, 9, 0, tzinfo=UTC)
    ids = [archives.new_upload_id(now + timedelta(microseconds=n)) for n in (5, 1, 3)]
    assert sorted(ids) == [ids[1], ids[2], ids[0]]
    assert archives.new_upload_id(now) != archives.new_upload_id(now)


@pytest.mark.parametrize(("year", "month", "due"), [
    (2023, 1, date(2023, 3, 2)),  # 31 Jan + 30 days
    (2023, 2, date(2023, 3, 30)),
    (2024, 2, date(2024, 3, 30)),  # leap year: 29 Feb + 30
    (2023, 12, date(2024, 1, 30)),
])
def test_due_date_is_30_days_after_the_join_months_last_day(year: int, month: int, due: date) -> None:
    assert archives.due_date(year, month) == due


def test_only_members_with_nothing_accepted_are_overdue() -> None:
    member = {"join_year": 2023, "join_month": 4, "archive_state": "尚未认证", "archive_version": 0}
    assert not archives.is_overdue(member, date(2023, 5, 30))
    assert archives.is_overdue(member, date(2023, 5, 31))
    for state in ("待审批", "认证不通过", "团员身份已认证"):
        assert not archives.is_overdue({**member, "archive_state": state, "archive_version": 1}, date(2024, 1, 1))


def test_archive_of_a_member_item() -> None:
    assert archives.archive_of({}) == Archive(ArchiveState.NOT_CERTIFIED, 0)
    item = {"archive_state": "团员身份已认证", "archive_version": 2, "archive_change_requested": True}
    assert archives.archive_of(item) == Archive(ArchiveState.CERTIFIED, 2, change_requested=True)


def test_a_change_is_asked_below_the_deciding_committee_only() -> None:
    province = new_root("32", "团省委", "团省委")
    city = new_child(province, org_id="t", name="某市团委", short_name="市团委", kind=OrgKind.CITY, industry=None)
    county = new_child(city, org_id="c", name="某县团委", short_name="县团委", kind=OrgKind.COUNTY, industry=None)
    school = new_child(county, org_id="s", name="某校团委", short_name="校团委", kind=OrgKind.COMMITTEE, industry=None)
    grade = new_child(school, org_id="g", name="某年级团总支", short_name="团总支", kind=OrgKind.GENERAL_BRANCH,
                      industry=None)
    member = {"branch_path": ["32", "t", "c", "s", "g", "b"]}

    def who(org_id: str, path: tuple[str, ...]) -> Principal:
        return Principal(username=org_id, org_id=org_id, org_path=path, role=Role.ADMIN)

    allowed = archives._change_requester_allowed
    assert allowed(who("b", (*grade.path, "b")), member, school)
    assert allowed(who("g", grade.path), member, school)
    assert not allowed(who("s", school.path), member, school)
    assert not allowed(who("c", county.path), member, school)


def test_the_api_side_of_archives_does_not_load_the_pdf_reader() -> None:
    """DESIGN "Cold start": the route module and the services it calls must not import pypdf."""
    probe = ("import sys, zhtj.handlers.routes.archives, zhtj.services.transfers, zhtj.adapters.s3, "
             "zhtj.adapters.dynamodb_archives, zhtj.handlers.archive_worker; "
             "print(sorted(m for m in ('pypdf', 'zhtj.readers.pdf', 'openpyxl') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
