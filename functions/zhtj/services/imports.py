"""The import worker's use case: one uploaded spreadsheet → validated, applied, reported
(录入操作步骤 §二 批量导入团支部, §三 批量导入团员; Q&A §5.1).

:func:`process_upload` runs for the S3 event of ``uploads/imports/{job_id}/source.*``:

1. the job's **lease** is taken (a duplicate event while another worker runs it is retried
   later; an event for a finished job changes nothing) and the object version is pinned;
2. the file is re-checked (size from S3, then format by content) and read and validated offline
   with :func:`zhtj.imports.check_import` — a file that is no template is *refused* as a whole;
3. rows are processed in **chunks** (:data:`CHUNK_ROWS`), each to a fixed outcome recorded on
   the job, so a crashed or timed-out worker resumes at the first unsettled chunk and the
   progress (rows done / total) is visible while it runs;
4. the **failure report** (the template with only the failed rows and 「失败原因」) is written to
   ``reports/{job_id}/failures.xlsx`` and the job gets the seed's sentence 「成功导入 N 位团员，
   M 位团员导入失败」.

Members (per row, the same rules as single entry, :mod:`zhtj.services.members`): the target
branch (所在团支部: empty = the importing organisation; else a full or short name inside the
importer's subtree — ambiguous or missing names fail the row), :func:`place_member` (branch,
domain, a social branch admits no student, the number in a segment of the ancestry), the ID
number and the number unique across the system, the quota of every holder in the ancestry.

**Exactly once, without a transaction per row** (DESIGN "Known traps"). Per chunk:

a. *look-up*: one consistent BatchGetItem per 50 rows tells which members and numbers exist
   already (a re-uploaded file fails here, writing nothing);
b. *plan*: the chunk's quota groups — rows with the same (year, domain, quota holders) — are
   recorded on the job (``CHUNK#k``, phase ``planned``) before anything is reserved, so a retry
   reserves and settles exactly these groups even if the rows' fate changed meanwhile;
c. *reserve*: per group and holder one conditional UpdateItem takes the places and sets the
   group's token on the quota item (``remaining >= n AND attribute_not_exists(token)``), leaf
   holder first; with fewer places left the group gets what is left and the holders that gave
   more give the difference back. Two imports racing for the last places cannot both take them;
d. *write*: per row the member (``attribute_not_exists(pk) OR import_job = :job``), then the
   number claim (``attribute_not_exists(pk) OR owner = :member``); a lost claim deletes the
   member again; then one ``ADD used_sequences`` per held segment and one BatchWriteItem of audit
   entries per 25 members;
e. *record*: the chunk's outcome (rows imported, failed rows with reasons, granted and used per
   group) replaces the plan (phase ``done``), once;
f. *settle*: per group and holder the unused places go back and the token is removed, in one
   update conditional on the token — then ``next_chunk`` moves on.

A crash anywhere repeats only idempotent steps: the job's own members and claims are recognised
by their owner, tokens say what is reserved, the recorded outcome says what is settled.

Branches (录入操作步骤 §二): each row creates one organisation under its 上级组织 (empty = the
importer; else a full name in the subtree, including organisations created by earlier rows of
the file), kind allowed under the parent (:func:`zhtj.domain.orgs.new_child`); its id is
deterministic from parent and name, so a re-upload creates nothing twice.

A **dry run** reads what the import would read (the same look-ups, the quota counters once) and
simulates reservations in memory: the same sentence and report, no write but the job's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from zhtj.domain.errors import DomainError, InvalidOrganisation
from zhtj.domain.glossary import Role
from zhtj.domain.orgs import Organisation, Principal, new_child
from zhtj.imports import definitions as d
from zhtj.imports.definitions import TEMPLATES, TemplateDefinition
from zhtj.imports.reading import TemplateRefused
from zhtj.imports.validation import RowResult, branch_fields
from zhtj.services.import_jobs import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    FIRST_FAILURES,
    MAX_IMPORT_BYTES,
    REPORT_CONTENT_TYPE,
    Status,
    parse_upload_key,
    report_key,
    result_sentence,
    timestamp,
)
from zhtj.services.members import (
    HeldSegment,
    NewMember,
    Placement,
    QuotaUse,
    member_id_for,
    member_item,
    place_member,
)
from zhtj.services.organisations import child_id

CHUNK_ROWS: Final = 250
LEASE_SECONDS: Final = 300  # > one chunk's work; < the queue's visibility timeout (3600 s)
ID_REGISTERED: Final = "该身份证号码已在系统中登记（该团员已录入），同一身份证号码只能登记一次，请勿重复导入"
ARCHIVE_SINCE_YEAR: Final = 2020  # Q&A §5.1: 2020 年及以后的新发展团员须上传电子版《入团志愿书》

# Field names the domain's errors carry → the template's column (for the report).
_COLUMNS: Final[Mapping[str, str]] = {
    "study_status": d.STUDY_STATUS, "member_number": d.MEMBER_NUMBER, "join_date": d.JOIN_MONTH,
    "gender": d.GENDER, "kind": d.ORG_KIND, "name": d.FULL_NAME, "short_name": d.SHORT_NAME,
    "industry": d.INDUSTRY, "org_id": "",
}


# ---------------------------------------------------------------- ports
class Tree(Protocol):
    """Organisation and plan reads (zhtj.adapters.dynamodb.DynamoStore)."""

    def get(self, org_id: str) -> Organisation | None: ...

    def get_many(self, org_ids: Sequence[str]) -> dict[str, Organisation]: ...

    def subtree(self, org: Organisation) -> list[Organisation]: ...

    def children(self, parent_id: str) -> list[Organisation]: ...

    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]: ...

    def quota_holders(self, org_ids: Sequence[str], year: int, domain: str) -> list[str]: ...


class Existing(Protocol):
    @property
    def import_job(self) -> str | None: ...


class Claim(Protocol):
    @property
    def owner(self) -> str: ...


class ImportLedger(Protocol):
    """What the worker needs from the table (zhtj.adapters.dynamodb_imports.DynamoImportStore)."""

    @property
    def tree(self) -> Tree: ...

    def get_job(self, job_id: str) -> dict[str, Any] | None: ...

    def start_job(self, job_id: str, *, version_id: str | None, worker: str, now: str, lease_until: str,
                  active: Sequence[str]) -> dict[str, Any] | None: ...

    def update_job(self, job_id: str, values: Mapping[str, Any], *, worker: str) -> None: ...

    def advance_job(self, job_id: str, chunk: int, *, rows_done: int, imported: int, failed: int, worker: str,
                    lease_until: str, cost: Mapping[str, int]) -> None: ...

    def finish_job(self, job_id: str, values: Mapping[str, Any], *, worker: str, cost: Mapping[str, int]) -> bool: ...

    def release_lease(self, job_id: str, worker: str) -> None: ...

    def put_chunk(self, job_id: str, chunk: int, outcome: Mapping[str, Any]) -> dict[str, Any]: ...

    def finish_chunk(self, job_id: str, chunk: int, outcome: Mapping[str, Any]) -> dict[str, Any]: ...

    def chunks(self, job_id: str) -> dict[int, dict[str, Any]]: ...

    def lookup(self, member_ids: Sequence[str], numbers: Sequence[str]
               ) -> tuple[Mapping[str, Existing], Mapping[str, Claim]]: ...

    def orgs_exist(self, org_ids: Sequence[str]) -> set[str]: ...

    def quota_remaining(self, keys: Sequence[tuple[int, str, str]]) -> dict[tuple[int, str, str], int]: ...

    def put_member(self, member: Mapping[str, Any], job_id: str) -> bool: ...

    def delete_member(self, member_id: str, job_id: str) -> None: ...

    def claim_number(self, member_number: str, member_id: str, job_id: str) -> bool: ...

    def release_number(self, member_number: str, member_id: str) -> None: ...

    def put_audits(self, entries: Sequence[Mapping[str, Any]]) -> None: ...

    def mark_segment_used(self, held: HeldSegment, sequences: Sequence[int]) -> bool: ...

    def reserve_quota(self, key: tuple[int, str, str], token: str, want: int) -> int: ...

    def adjust_reservation(self, key: tuple[int, str, str], token: str, held: int, keep: int) -> None: ...

    def settle_quota(self, key: tuple[int, str, str], token: str, reserved: int, used: int) -> None: ...

    def put_org(self, org: Organisation, job_id: str, extra: Mapping[str, Any]) -> bool: ...

    def cost(self) -> dict[str, int]:
        """Requests and write units since the last call (recorded on the job)."""


class ImportFiles(Protocol):
    def head(self, key: str, version_id: str | None = None) -> Any:
        """ObjectInfo(size, version_id, etag); raises zhtj.services.archives.FileMissing."""

    def read(self, key: str, version_id: str | None, *, max_bytes: int) -> bytes: ...

    def put(self, key: str, data: bytes, *, content_type: str) -> str | None: ...

    def delete_version(self, key: str, version_id: str | None) -> None: ...


Check = Callable[[bytes, str, Any, TemplateDefinition], Any]


def _check_import(data: bytes, filename: str, today: Any, definition: TemplateDefinition) -> Any:
    from zhtj.imports.check import check_import  # the readers load here, in the worker only

    return check_import(data, filename, today=today, definitions=(definition,))


@dataclass
class Worker:
    """One worker invocation's dependencies and knobs."""

    ledger: ImportLedger
    files: ImportFiles
    secret: bytes
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    parallelism: int = 4
    chunk_rows: int = CHUNK_ROWS
    lease_seconds: int = LEASE_SECONDS
    check: Check = _check_import
    worker_id: str = field(default_factory=lambda: "w" + secrets.token_hex(8))

    def lease_until(self) -> str:
        return timestamp(self.now() + timedelta(seconds=self.lease_seconds))


@dataclass(frozen=True)
class ProcessOutcome:
    status: str  # done | refused | duplicate | unknown | ignored
    job_id: str | None = None
    imported: int = 0
    failed: int = 0
    rows: int = 0


class _RowProblem(Exception):
    def __init__(self, column: str, code: str, reason: str) -> None:
        super().__init__(code)
        self.triple = [column, code, reason]

    @classmethod
    def of(cls, error: DomainError, default_column: str = "") -> _RowProblem:
        column = _COLUMNS.get(error.field, error.field) if error.field else default_column
        return cls(column, error.code, error.message)


def _comparable(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


# ---------------------------------------------------------------- the entry point
def process_upload(key: str, version_id: str | None, worker: Worker) -> ProcessOutcome:
    """Process one uploaded object. Raises to have the event retried (a held lease, a crash)."""
    parsed = parse_upload_key(key)
    if parsed is None:
        return ProcessOutcome("unknown")
    job_id, _ = parsed
    ledger = worker.ledger
    job = ledger.get_job(job_id)
    if job is None or job.get("key") != key:
        return ProcessOutcome("unknown", job_id)
    if job["status"] in FINAL_STATUSES:
        return ProcessOutcome("duplicate", job_id)
    from zhtj.services.archives import FileMissing

    try:
        info = worker.files.head(key, version_id)
    except FileMissing:
        return ProcessOutcome("unknown", job_id)
    version = version_id or info.version_id
    started = ledger.start_job(job_id, version_id=version, worker=worker.worker_id, now=timestamp(worker.now()),
                               lease_until=worker.lease_until(), active=ACTIVE_STATUSES)
    if started is None:
        current = ledger.get_job(job_id) or {}
        if current.get("status") in FINAL_STATUSES:
            return ProcessOutcome("duplicate", job_id)
        if version and current.get("source_version_id") not in (None, version):
            return ProcessOutcome("ignored", job_id)  # a second post to the same key: the first one counts
        from zhtj.adapters.dynamodb_imports import LeaseHeld

        raise LeaseHeld(job_id)
    try:
        return _run(started, key, version, info.size, worker)
    except BaseException:
        ledger.release_lease(job_id, worker.worker_id)  # the retry may start at once
        raise


def _run(job: dict[str, Any], key: str, version: str | None, size: int, worker: Worker) -> ProcessOutcome:
    ledger, job_id = worker.ledger, str(job["job_id"])
    definition = TEMPLATES[str(job["template"])]
    if size > MAX_IMPORT_BYTES:
        mib = 1024 * 1024
        return _refuse(job, worker, "file_too_large",
                       f"文件过大（{size / mib:.1f} MB），上限为{MAX_IMPORT_BYTES // mib} MB，请分成多个文件上传")
    if job["status"] == Status.WAITING_UPLOAD:
        ledger.update_job(job_id, {"status": Status.VALIDATING}, worker=worker.worker_id)
    data = worker.files.read(key, version, max_bytes=MAX_IMPORT_BYTES)
    today = datetime.fromisoformat(str(job["requested_at"])).date()
    try:
        checked = worker.check(data, str(job["file_name"]), today, definition)
    except TemplateRefused as refused:
        return _refuse(job, worker, refused.code, refused.message)
    results: list[RowResult] = checked.results
    if job["status"] != Status.IMPORTING or int(job.get("rows_total") or 0) != len(results):
        ledger.update_job(job_id, {"status": Status.IMPORTING, "rows_total": len(results),
                                   "sheet_format": checked.file.format}, worker=worker.worker_id)
    job = {**job, "status": Status.IMPORTING, "rows_total": len(results)}
    if definition.key == "members":
        outcomes = _MemberImport(job, worker).run(results)
    else:
        outcomes = _BranchImport(job, worker).run(results)
    return _finish(job, definition, results, outcomes, worker, key, version)


def _chunks(results: Sequence[RowResult], size: int) -> Iterator[tuple[int, Sequence[RowResult]]]:
    for k, start in enumerate(range(0, len(results), size)):
        yield k, results[start:start + size]


def _advance(job: Mapping[str, Any], worker: Worker, k: int, rows: Sequence[RowResult], outcome: Mapping[str, Any],
             total: int) -> None:
    imported = len(outcome.get("imported") or [])
    worker.ledger.advance_job(str(job["job_id"]), k, rows_done=min(total, (k * worker.chunk_rows) + len(rows)),
                              imported=imported, failed=len(rows) - imported, worker=worker.worker_id,
                              lease_until=worker.lease_until(), cost=worker.ledger.cost())


def _refuse(job: Mapping[str, Any], worker: Worker, code: str, message: str) -> ProcessOutcome:
    values = {"status": Status.REFUSED, "refusal": {"code": code, "message": message}, "message": message,
              "finished_at": timestamp(worker.now())}
    worker.ledger.finish_job(str(job["job_id"]), values, worker=worker.worker_id, cost=worker.ledger.cost())
    return ProcessOutcome("refused", str(job["job_id"]))


def _finish(job: Mapping[str, Any], definition: TemplateDefinition, results: list[RowResult],
            outcomes: Mapping[int, Mapping[str, Any]], worker: Worker, key: str, version: str | None) -> ProcessOutcome:
    job_id = str(job["job_id"])
    by_row = {result.row: result for result in results}
    imported = 0
    archive_due = 0
    for outcome in outcomes.values():
        imported += len(outcome.get("imported") or [])
        archive_due += int(outcome.get("archive_due") or 0)
        for row, (column, code, reason) in (outcome.get("failures") or {}).items():
            by_row[int(row)].add(column, code, reason)
    failed_rows = [result for result in results if result.errors]
    failed = len(failed_rows)
    dry_run = bool(job.get("dry_run"))
    values: dict[str, Any] = {
        "status": Status.DONE, "rows_done": len(results), "imported": imported, "failed": failed,
        "message": result_sentence(definition.key, imported, failed, dry_run=dry_run),
        "first_failures": [result.to_dict() for result in failed_rows[:FIRST_FAILURES]],
        "finished_at": timestamp(worker.now()), "archive_due": archive_due,
    }
    if definition.key == "members" and archive_due and not dry_run:
        # Q&A §5.1: after a batch with new members, the admin goes on to upload their archives.
        values["next_step"] = (f"本次导入的团员中有 {archive_due} 位为{ARCHIVE_SINCE_YEAR}年及以后新发展的团员，"
                               "请在“团员电子数据库”中为他们上传电子版《入团志愿书》（审批同意入团后30日内）")
    if failed:
        from zhtj.imports.report import failure_report_file_name, failure_report_xlsx

        report = failure_report_xlsx(definition, failed_rows)
        values["report_key"] = report_key(job_id)
        values["report_version_id"] = worker.files.put(report_key(job_id), report, content_type=REPORT_CONTENT_TYPE)
        values["report_file_name"] = failure_report_file_name(definition, failed)
    if worker.ledger.finish_job(job_id, values, worker=worker.worker_id, cost=worker.ledger.cost()):
        # The source holds ID numbers: once the job is done, only the report's failed rows stay
        # (should the delete fail, the uploads' lifecycle rule removes it after 30 days).
        with contextlib.suppress(Exception):
            worker.files.delete_version(key, version)
    return ProcessOutcome("done", job_id, imported, failed, len(results))


# ---------------------------------------------------------------- organisations in the subtree
class _OrgIndex:
    """The importer's subtree by name (loaded once, only if a row names an organisation), its
    ancestry, and the organisations this import creates."""

    def __init__(self, importer: Organisation, tree: Tree) -> None:
        self.importer = importer
        self._tree = tree
        self._by_id: dict[str, Organisation] = {}
        self._by_name: dict[str, list[Organisation]] = defaultdict(list)
        self._by_short: dict[str, list[Organisation]] = defaultdict(list)
        self._indexed: set[str] = set()  # findable by name: the subtree only, never an ancestor
        self._children: dict[str, dict[str, Organisation]] = {}  # parent id → comparable name → child
        self._loaded = False
        self._by_id.update(tree.get_many(list(importer.path)))
        self._by_id[importer.org_id] = importer

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for org in self._tree.subtree(self.importer):
            self.add(org)
        self.add(self.importer)

    def add(self, org: Organisation) -> None:
        self._by_id[org.org_id] = org
        if org.parent_id in self._children:
            self._children[org.parent_id].setdefault(_comparable(org.name), org)
        if org.org_id in self._indexed:
            return
        self._indexed.add(org.org_id)
        self._by_name[_comparable(org.name)].append(org)
        self._by_short[_comparable(org.short_name)].append(org)

    def sibling_named(self, parent: Organisation, name: str) -> Organisation | None:
        """The parent's child of that name, whatever its id (names are unique among siblings:
        the deterministic id guards what imports create, this what was created otherwise)."""
        if parent.org_id not in self._children:
            self._children[parent.org_id] = {_comparable(c.name): c for c in self._tree.children(parent.org_id)}
        return self._children[parent.org_id].get(_comparable(name))

    def chain(self, org: Organisation) -> list[Organisation]:
        return [self._by_id[i] for i in org.path if i in self._by_id]

    def find(self, name: str, column: str, noun: str) -> Organisation:
        self._load()
        key = _comparable(name)
        found = self._by_name.get(key) or []
        if not found:
            found = self._by_short.get(key) or []
        if len(found) == 1:
            return found[0]
        where = f"“{self.importer.name}”及其下级组织中"
        if not found:
            raise _RowProblem(column, f"{noun}_not_found", f"在{where}找不到名为“{name}”的{_NOUNS[noun]}，"
                              f"请填写{_NOUNS[noun]}的全称（只能导入到本组织及其下级组织）")
        raise _RowProblem(column, f"{noun}_ambiguous", f"{where}有{len(found)}个组织名为“{name}”，"
                          f"请填写{_NOUNS[noun]}的全称以便区分")


_NOUNS: Final = {"branch": "团支部", "parent": "上级组织"}


# ---------------------------------------------------------------- members
class _CachedPlan:
    """place_member's reads (segments, quota holders) cached per (ancestry, year, domain)."""

    def __init__(self, tree: Tree) -> None:
        self._tree = tree
        self._segments: dict[tuple[tuple[str, ...], int, str], list[HeldSegment]] = {}
        self._holders: dict[tuple[tuple[str, ...], int, str], list[str]] = {}

    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]:
        key = (tuple(org_ids), year, domain)
        if key not in self._segments:
            self._segments[key] = self._tree.segments_of(org_ids, year, domain)
        return self._segments[key]

    def quota_holders(self, org_ids: Sequence[str], year: int, domain: str) -> list[str]:
        key = (tuple(org_ids), year, domain)
        if key not in self._holders:
            self._holders[key] = self._tree.quota_holders(org_ids, year, domain)
        return self._holders[key]

    def register_member(self, member: Mapping[str, Any], *, member_number: str, counters: Sequence[QuotaUse],
                        segment: HeldSegment | None = None) -> None:
        raise NotImplementedError("an import writes through the ImportLedger")


@dataclass
class _Candidate:
    result: RowResult
    member: NewMember
    member_id: str
    placement: Placement
    item: dict[str, Any]
    own_member: bool = False
    own_claim: bool = False
    written: bool = False

    @property
    def row(self) -> int:
        return self.result.row

    @property
    def number(self) -> str:
        return self.member.member_number.text

    @property
    def group(self) -> tuple[int, str, tuple[str, ...]]:
        counters = self.placement.counters
        return (self.member.join_year, self.placement.domain.value, tuple(c.org_id for c in counters))


def group_token(job_id: str, chunk: int, group: tuple[int, str, tuple[str, ...]]) -> str:
    """The reservation token's attribute name on a quota item: one per job, chunk and group."""
    digest = hashlib.sha256(repr(group).encode()).hexdigest()[:10]
    return f"rsv_{job_id}_{chunk}_{digest}"


class _JobImport:
    """What both imports know of their job: its id, the worker's ledger, dry run or not, and
    the importing organisation with the index of its subtree."""

    def __init__(self, job: Mapping[str, Any], worker: Worker) -> None:
        self.job = job
        self.job_id = str(job["job_id"])
        self.worker = worker
        self.ledger = worker.ledger
        self.dry_run = bool(job.get("dry_run"))
        importer = self.ledger.tree.get(str(job["org_id"]))
        if importer is None:
            raise RuntimeError(f"importing organisation {job['org_id']} is gone")
        self.importer = importer
        self.index = _OrgIndex(importer, self.ledger.tree)


class _MemberImport(_JobImport):
    def __init__(self, job: Mapping[str, Any], worker: Worker) -> None:
        super().__init__(job, worker)
        importer = self.importer
        self.plan = _CachedPlan(self.ledger.tree)
        self.actor = Principal(username=str(job["requested_by"]), org_id=importer.org_id, org_path=importer.path,
                               role=Role.ADMIN)
        # Every retry writes the same items: created_at is the job's first start, not "now".
        self.created = datetime.fromisoformat(str(job["started_at"]))
        self.today = datetime.fromisoformat(str(job["requested_at"])).date()
        self.simulated: dict[tuple[int, str, str], int] = {}  # dry run: places left per holder

    def run(self, results: Sequence[RowResult]) -> dict[int, dict[str, Any]]:
        recorded = self.ledger.chunks(self.job_id)
        next_chunk = int(self.job.get("next_chunk") or 0)
        outcomes: dict[int, dict[str, Any]] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.worker.parallelism)) as pool:
            for k, rows in _chunks(results, self.worker.chunk_rows):
                outcome = recorded.get(k)
                if outcome is not None and outcome.get("phase") == "done" and k < next_chunk:
                    self._replay(outcome)
                    outcomes[k] = outcome
                    continue
                if outcome is None or outcome.get("phase") != "done":
                    outcome = self._chunk(k, rows, outcome, pool)
                else:
                    self._replay(outcome)
                if not self.dry_run:
                    self._settle(outcome)
                _advance(self.job, self.worker, k, rows, outcome, len(results))
                outcomes[k] = outcome
        return outcomes

    # -------------------------------------------------------- per row, no writes
    def _place(self, result: RowResult) -> _Candidate:
        member = NewMember.from_values(result.values, self.today)
        name = result.values.get(d.BRANCH) or ""
        branch = self.index.find(name, d.BRANCH, "branch") if name else self.importer
        try:
            placement = place_member(member, branch, self.index.chain(branch), self.plan)
        except DomainError as error:
            raise _RowProblem.of(error, d.BRANCH) from None
        member_id = member_id_for(member.resident_id, self.worker.secret)
        item = member_item(member, placement, member_id=member_id, actor=self.actor, now=self.created,
                           source="import")
        return _Candidate(result, member, member_id, placement, item)

    def _chunk(self, k: int, rows: Sequence[RowResult], planned: Mapping[str, Any] | None,
               pool: ThreadPoolExecutor) -> dict[str, Any]:
        failures: dict[str, list[str]] = {}
        candidates: list[_Candidate] = []
        for result in rows:
            if result.errors:
                continue  # offline failures: the same on every read of the file, not recorded
            try:
                candidates.append(self._place(result))
            except _RowProblem as problem:
                failures[str(result.row)] = problem.triple
        survivors = self._look_up(candidates, failures)
        groups: dict[tuple[int, str, tuple[str, ...]], list[_Candidate]] = {}
        for candidate in survivors:
            groups.setdefault(candidate.group, []).append(candidate)
        if self.dry_run:
            group_records = self._simulate(groups, failures)
        else:
            if planned is None:
                plan = {"chunk": k, "phase": "planned", "expires_at": self.job.get("expires_at"), "groups": [
                    {"year": g[0], "domain": g[1], "holders": list(g[2]), "requested": len(members),
                     "token": group_token(self.job_id, k, g)} for g, members in groups.items()]}
                planned = self.ledger.put_chunk(self.job_id, k, plan)
            group_records = self._reserve_and_write(k, groups, planned, failures, pool)
        imported = [c for members in groups.values() for c in members if c.written]
        outcome = {
            "chunk": k, "phase": "done", "groups": group_records, "failures": failures,
            "imported": sorted(c.row for c in imported),
            "archive_due": sum(1 for c in imported if c.member.join_year >= ARCHIVE_SINCE_YEAR),
        }
        if self.dry_run:
            return self.ledger.put_chunk(self.job_id, k, {**outcome, "expires_at": self.job.get("expires_at")})
        return self.ledger.finish_chunk(self.job_id, k, outcome)

    def _look_up(self, candidates: list[_Candidate], failures: dict[str, list[str]]) -> list[_Candidate]:
        if not candidates:
            return []
        members, claims = self.ledger.lookup([c.member_id for c in candidates], [c.number for c in candidates])
        survivors: list[_Candidate] = []
        for c in candidates:
            existing = members.get(c.member_id)
            claim = claims.get(c.number)
            c.own_member = existing is not None and existing.import_job == self.job_id
            c.own_claim = claim is not None and claim.owner == c.member_id and (existing is None or c.own_member)
            if existing is not None and not c.own_member:
                failures[str(c.row)] = [d.RESIDENT_ID, "id_registered", ID_REGISTERED]
            elif claim is not None and claim.owner != c.member_id:
                failures[str(c.row)] = [d.MEMBER_NUMBER, "number_used",
                                        f"发展团员编号 {c.number} 已被其他团员使用，每个编号只能使用一次，"
                                        "请核对《入团志愿书》首页的编号"]
            else:
                survivors.append(c)
                continue
            self._compensate(c)
        return survivors

    def _quota_failure(self, c: _Candidate, limit: str | None) -> list[str]:
        holder = self.index.chain(c.placement.branch)
        names = {o.org_id: o.name for o in holder}
        who = f"“{names[limit]}”" if limit in names else ""
        return ["", "quota_exceeded", f"{who}{c.member.join_year}年{c.placement.domain.value}领域的发展团员计划"
                "名额已用完，本行未导入（通知 三.2：不得超计划发展）"]

    # -------------------------------------------------------- dry run
    def _simulate(self, groups: Mapping[tuple[int, str, tuple[str, ...]], list[_Candidate]],
                  failures: dict[str, list[str]]) -> list[dict[str, Any]]:
        keys = [(g[0], g[1], holder) for g in groups for holder in g[2]]
        missing = [key for key in dict.fromkeys(keys) if key not in self.simulated]
        if missing:
            self.simulated.update(self.ledger.quota_remaining(missing))
        records = []
        for (year, domain, holders), members in groups.items():
            granted, limit = len(members), None
            for holder in reversed(holders):
                left = self.simulated.get((year, domain, holder), 0)
                if left < granted:
                    granted, limit = max(left, 0), holder
            for holder in holders:
                self.simulated[(year, domain, holder)] = self.simulated.get((year, domain, holder), 0) - granted
            for index, c in enumerate(members):
                if index < granted:
                    c.written = True
                else:
                    failures[str(c.row)] = self._quota_failure(c, limit)
            records.append({"year": year, "domain": domain, "holders": list(holders), "requested": len(members),
                            "granted": granted, "used": granted, "limit": limit})
        return records

    def _replay(self, outcome: Mapping[str, Any]) -> None:
        """A chunk recorded before a crash: in a dry run, its simulated use counts again."""
        if not self.dry_run:
            return
        for group in outcome.get("groups") or []:
            year, domain = int(group["year"]), str(group["domain"])
            missing = [(year, domain, h) for h in group["holders"] if (year, domain, h) not in self.simulated]
            if missing:
                self.simulated.update(self.ledger.quota_remaining(missing))
            for holder in group["holders"]:
                self.simulated[(year, domain, holder)] = (self.simulated.get((year, domain, holder), 0)
                                                          - int(group.get("used") or 0))

    # -------------------------------------------------------- the real thing
    def _reserve(self, year: int, domain: str, holders: Sequence[str], token: str, want: int
                 ) -> tuple[int, str | None]:
        """Leaf holder first (the tightest, usually); the group gets the smallest grant and the
        holders that granted more give the difference back."""
        held: dict[str, int] = {}
        limit: str | None = None
        for holder in reversed(holders):
            got = self.ledger.reserve_quota((year, domain, holder), token, want)
            held[holder] = got
            if got < want:
                limit = holder
            want = min(want, got)
            if want == 0:
                break
        for holder, got in held.items():
            if got > want:
                self.ledger.adjust_reservation((year, domain, holder), token, got, want)
        return want, limit

    def _reserve_and_write(self, k: int, groups: Mapping[tuple[int, str, tuple[str, ...]], list[_Candidate]],
                           planned: Mapping[str, Any], failures: dict[str, list[str]],
                           pool: ThreadPoolExecutor) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        writable: list[_Candidate] = []
        planned_groups = {(int(g["year"]), str(g["domain"]), tuple(g["holders"])): g for g in planned["groups"]}
        for key, record in planned_groups.items():
            holders = tuple(record["holders"])
            if holders:
                granted, limit = self._reserve(key[0], key[1], holders, str(record["token"]),
                                               int(record["requested"]))
            else:
                granted, limit = int(record["requested"]), None  # no holder keeps a quota for it
            members = groups.get(key, [])
            for index, c in enumerate(members):
                if index < granted:
                    writable.append(c)
                else:
                    failures[str(c.row)] = self._quota_failure(c, limit)
                    self._compensate(c)
            records.append({**record, "granted": granted, "limit": limit})
        for key, members in groups.items():
            if key not in planned_groups:  # the rows' fate changed since the plan (a race): not this time
                for c in members:
                    failures[str(c.row)] = ["", "changed_during_import",
                                            "导入过程中相关数据发生了变化，本行未导入，请重新导入本行"]
                    self._compensate(c)
        for c, problem in zip(writable, pool.map(self._write, writable), strict=True):
            if problem is not None:
                failures[str(c.row)] = problem
        self._mark_segments([c for c in writable if c.written], failures)
        written = [c for c in writable if c.written]
        if written:
            from zhtj.adapters.dynamodb_imports import audit_values

            self.ledger.put_audits([audit_values(c.item) for c in written])
        used: dict[tuple[int, str, tuple[str, ...]], int] = defaultdict(int)
        for c in written:
            used[c.group] += 1
        for record in records:
            record["used"] = used.get((int(record["year"]), str(record["domain"]), tuple(record["holders"])), 0)
        return records

    def _write(self, c: _Candidate) -> list[str] | None:
        if not self.ledger.put_member(c.item, self.job_id):
            return [d.RESIDENT_ID, "id_registered", ID_REGISTERED]
        if not self.ledger.claim_number(c.number, c.member_id, self.job_id):
            self.ledger.delete_member(c.member_id, self.job_id)
            return [d.MEMBER_NUMBER, "number_used", f"发展团员编号 {c.number} 已被其他团员使用，每个编号只能使用一次"]
        c.written = True
        return None

    def _compensate(self, c: _Candidate) -> None:
        """A row that fails now but whose member or claim this job may have written before a
        crash: take them back (conditional on this job / this member owning them)."""
        if self.dry_run:
            return
        if c.own_claim:
            self.ledger.release_number(c.number, c.member_id)
        if c.own_member:
            self.ledger.delete_member(c.member_id, self.job_id)

    def _mark_segments(self, written: list[_Candidate], failures: dict[str, list[str]]) -> None:
        by_segment: dict[tuple[str, int, int, str], list[_Candidate]] = defaultdict(list)
        for c in written:
            held = c.placement.segment
            by_segment[(held.holder_id, held.segment.year, held.segment.first, held.segment.domain.value)].append(c)
        for members in by_segment.values():
            held = members[0].placement.segment
            if self.ledger.mark_segment_used(held, [c.member.member_number.sequence for c in members]):
                continue
            for c in members:  # the segment moved meanwhile: these numbers are not the branch's any more
                self.ledger.release_number(c.number, c.member_id)
                self.ledger.delete_member(c.member_id, self.job_id)
                c.written = False
                failures[str(c.row)] = [d.MEMBER_NUMBER, "segment_changed",
                                        "该编号所在号段刚刚被重新分配，本行未导入，请核对编号后重新导入"]

    def _settle(self, outcome: Mapping[str, Any]) -> None:
        for group in outcome.get("groups") or []:
            granted = int(group.get("granted") or 0)
            if granted <= 0:
                continue
            for holder in group["holders"]:
                self.ledger.settle_quota((int(group["year"]), str(group["domain"]), str(holder)), str(group["token"]),
                                         granted, int(group.get("used") or 0))


# ---------------------------------------------------------------- branches (下级组织)
class _BranchImport(_JobImport):
    def __init__(self, job: Mapping[str, Any], worker: Worker) -> None:
        super().__init__(job, worker)
        self.created_at = timestamp(datetime.fromisoformat(str(job["started_at"])))

    def run(self, results: Sequence[RowResult]) -> dict[int, dict[str, Any]]:
        recorded = self.ledger.chunks(self.job_id)
        next_chunk = int(self.job.get("next_chunk") or 0)
        outcomes: dict[int, dict[str, Any]] = {}
        for k, rows in _chunks(results, self.worker.chunk_rows):
            outcome = recorded.get(k)
            if outcome is not None:
                # Recorded before a crash: its organisations exist; later rows may name them.
                imported = {int(r) for r in outcome.get("imported") or []}
                for result in rows:
                    if result.row in imported:
                        self.index.add(self._draft(result)[0])
            else:
                outcome = self.ledger.put_chunk(self.job_id, k, self._chunk(k, rows))
            if k >= next_chunk:
                _advance(self.job, self.worker, k, rows, outcome, len(results))
            outcomes[k] = outcome
        return outcomes

    def _draft(self, result: RowResult) -> tuple[Organisation, dict[str, Any], Organisation]:
        fields = branch_fields(result)
        parent = self.index.find(fields.parent_name, d.PARENT_NAME, "parent") if fields.parent_name else self.importer
        try:
            org = new_child(parent, org_id=child_id(parent.org_id, fields.name), name=fields.name,
                            short_name=fields.short_name, kind=fields.kind, industry=fields.industry)
        except InvalidOrganisation as error:
            raise _RowProblem.of(error, d.ORG_KIND) from None
        sibling = self.index.sibling_named(parent, org.name)
        if sibling is not None and sibling.org_id != org.org_id:
            raise _RowProblem(*self._exists(sibling, parent))
        extra = {"secretary_name": fields.secretary_name, "secretary_resident_id": fields.secretary_resident_id,
                 "secretary_mobile": fields.secretary_mobile, "remarks": fields.remarks or None,
                 "created_at": self.created_at, "created_by": self.job.get("requested_by"), "created_via": "import"}
        return org, extra, parent

    def _chunk(self, k: int, rows: Sequence[RowResult]) -> dict[str, Any]:
        failures: dict[str, list[str]] = {}
        imported: list[int] = []
        drafts: list[tuple[RowResult, Organisation, Organisation]] = []
        for result in rows:
            if result.errors:
                continue
            try:
                org, extra, parent = self._draft(result)
            except _RowProblem as problem:
                failures[str(result.row)] = problem.triple
                continue
            if self.dry_run:
                drafts.append((result, org, parent))
                self.index.add(org)  # later rows may name it as their parent
            elif self.ledger.put_org(org, self.job_id, extra):
                imported.append(result.row)
                self.index.add(org)
            else:
                failures[str(result.row)] = self._exists(org, parent)
        if drafts:
            existing = self.ledger.orgs_exist([org.org_id for _, org, _ in drafts])
            for result, org, parent in drafts:
                if org.org_id in existing:
                    failures[str(result.row)] = self._exists(org, parent)
                else:
                    imported.append(result.row)
        return {"chunk": k, "phase": "done", "imported": sorted(imported), "failures": failures, "groups": [],
                "expires_at": self.job.get("expires_at")}

    @staticmethod
    def _exists(org: Organisation, parent: Organisation) -> list[str]:
        return [d.FULL_NAME, "org_exists", f"“{parent.name}”下已有名为“{org.name}”的组织，请勿重复创建"]

