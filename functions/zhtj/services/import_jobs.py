"""Import jobs: the signed upload and the job's status (录入操作步骤 §二–§三).

The flow, as the seed describes it for the real system (§三.2–5): the admin downloads the
template, fills it, chooses the file and uploads it; the system answers 「成功导入 xx 位团员，
xx 位团员导入失败」 and hands back the failed rows with their reasons. Here:

1. :func:`request_import` — an admin asks to import into an organisation of their subtree; an
   *import job* is recorded (who, which organisation, template, dry run or not, status
   ``waiting_upload``) and a presigned S3 POST is returned for one server-chosen key,
   ``uploads/imports/{job_id}/source.{xlsx|xls|csv}`` (≤ 32 MB, the content type of the
   extension);
2. the worker (:mod:`zhtj.services.imports`) validates and imports the file and keeps the job's
   progress (rows done / total) up to date while it runs;
3. :func:`import_status` — the job: status, progress, the result sentence, counts, the first
   failures and a short-lived download link for the failure report.

This module imports nothing heavy: the API function runs it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from zhtj.domain.orgs import ALLOWED_CHILDREN, Principal, can_administer
from zhtj.imports.definitions import TEMPLATES
from zhtj.services.errors import InvalidRequest, NotFound
from zhtj.services.organisations import get_organisation
from zhtj.services.ports import OrganisationRepository

MAX_IMPORT_BYTES: Final = 32 * 1024 * 1024  # = zhtj.readers.spreadsheet.ReadLimits.max_file_bytes
UPLOAD_PREFIX: Final = "uploads/imports/"
REPORT_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES: Final[Mapping[str, str]] = {
    "xlsx": REPORT_CONTENT_TYPE,
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv",
}
JOB_TTL_DAYS: Final = 30  # the uploads' lifecycle rule keeps sources as long
FIRST_FAILURES: Final = 20
FILE_NAME_MAX_LENGTH: Final = 200

_KEY_RE: Final = re.compile(r"^uploads/imports/(i[0-9]{14}[0-9a-f]{16})/source\.(xlsx|xls|csv)$")


class Status:
    WAITING_UPLOAD: Final = "waiting_upload"
    VALIDATING: Final = "validating"
    IMPORTING: Final = "importing"
    DONE: Final = "done"
    REFUSED: Final = "refused"


ACTIVE_STATUSES: Final = (Status.WAITING_UPLOAD, Status.VALIDATING, Status.IMPORTING)
FINAL_STATUSES: Final = (Status.DONE, Status.REFUSED)
STATUS_TEXT: Final[Mapping[str, str]] = {
    Status.WAITING_UPLOAD: "等待上传文件",
    Status.VALIDATING: "正在读取和校验文件",
    Status.IMPORTING: "正在导入",
    Status.DONE: "导入完成",
    Status.REFUSED: "文件无法导入",
}
UNITS: Final[Mapping[str, tuple[str, str]]] = {"members": ("位", "团员"), "branches": ("个", "组织")}


class ImportJobs(Protocol):
    def create_job(self, job: Mapping[str, Any]) -> None: ...

    def get_job(self, job_id: str) -> dict[str, Any] | None: ...


class UploadSigner(Protocol):
    def presign_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def presign_download(self, key: str, *, version_id: str | None, filename: str, content_type: str,
                         expires_in: int) -> str: ...


# ---------------------------------------------------------------- keys, ids, the sentence
def new_job_id(now: datetime) -> str:
    """Sorts by request time, then 64 random bits; no name or ID number in it."""
    return f"i{now.astimezone(UTC):%Y%m%d%H%M%S}{secrets.token_hex(8)}"


def upload_key(job_id: str, extension: str) -> str:
    return f"{UPLOAD_PREFIX}{job_id}/source.{extension}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    match = _KEY_RE.match(key)
    return (match.group(1), match.group(2)) if match else None


def report_key(job_id: str) -> str:
    return f"reports/{job_id}/failures.xlsx"


def result_sentence(template: str, imported: int, failed: int, *, dry_run: bool = False) -> str:
    """The real system's words (录入操作步骤 §三.4): 「成功导入 N 位团员，M 位团员导入失败」."""
    measure, noun = UNITS[template]
    sentence = f"成功导入 {imported} {measure}{noun}，{failed} {measure}{noun}导入失败"
    return f"试导入结果：{sentence}（未写入任何数据）" if dry_run else sentence


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="microseconds")


def extension_of(file_name: str) -> str:
    stem, dot, extension = file_name.strip().rpartition(".")
    extension = extension.lower()
    if not dot or not stem or extension not in CONTENT_TYPES:
        raise InvalidRequest("file_type", "只能导入 .xlsx、.xls 或 .csv 文件，请使用下载的导入模板填写后上传",
                             field="file_name")
    return extension


# ---------------------------------------------------------------- 1. the signed upload
@dataclass(frozen=True)
class ImportTicket:
    job: Mapping[str, Any]
    url: str
    fields: dict[str, Any]
    expires_in: int

    def to_json(self) -> dict[str, Any]:
        job = self.job
        return {"job_id": job["job_id"], "status": job["status"], "status_text": STATUS_TEXT[job["status"]],
                "template": job["template"], "dry_run": job["dry_run"], "file_name": job["file_name"],
                "upload": {"method": "POST", "url": self.url, "fields": self.fields, "key": job["key"],
                           "content_type": job["content_type"], "max_bytes": MAX_IMPORT_BYTES,
                           "expires_at": job["url_expires_at"], "expires_in": self.expires_in}}


def request_import(principal: Principal, org_id: str, *, template: str, file_name: str, dry_run: bool,
                   orgs: OrganisationRepository, jobs: ImportJobs, files: UploadSigner, expires_in: int,
                   now: datetime) -> ImportTicket:
    """An admin of ``org_id`` (or above) asks to import ``template`` into it."""
    org = get_organisation(principal, org_id, orgs)  # NotFound / NotAuthorised
    definition = TEMPLATES.get(template)
    if definition is None:
        raise InvalidRequest("template_unknown", "请选择导入模板：团员（members）或下级组织（branches）",
                             field="template")
    name = file_name.strip()
    if not name or len(name) > FILE_NAME_MAX_LENGTH:
        raise InvalidRequest("file_name", f"文件名不能为空，且不超过{FILE_NAME_MAX_LENGTH}个字",
                             field="file_name")
    extension = extension_of(name)
    if template == "branches" and not ALLOWED_CHILDREN[org.kind]:
        raise InvalidRequest("leaf_org", f"{org.kind.value}是最基层组织，不能导入下级组织", field="template")
    job_id = new_job_id(now)
    key = upload_key(job_id, extension)
    content_type = CONTENT_TYPES[extension]
    presigned = files.presign_post(key, content_type=content_type, max_bytes=MAX_IMPORT_BYTES,
                                   expires_in=expires_in)
    job = {
        "job_id": job_id, "org_id": org.org_id, "org_name": org.name, "org_kind": org.kind.value,
        "org_path": list(org.path), "template": template, "template_title": definition.title,
        "file_name": name, "format": extension, "content_type": content_type, "dry_run": dry_run, "key": key,
        "status": Status.WAITING_UPLOAD, "requested_by": principal.username, "requester_org_id": principal.org_id,
        "requested_at": timestamp(now), "url_expires_at": timestamp(now + timedelta(seconds=expires_in)),
        "rows_total": 0, "rows_done": 0, "imported": 0, "failed": 0, "next_chunk": 0,
        "expires_at": int((now + timedelta(days=JOB_TTL_DAYS)).timestamp()),
    }
    jobs.create_job(job)
    return ImportTicket(job=job, url=presigned["url"], fields=presigned["fields"], expires_in=expires_in)


# ---------------------------------------------------------------- 3. the job's status
def import_status(principal: Principal, job_id: str, *, jobs: ImportJobs, files: UploadSigner,
                  expires_in: int) -> dict[str, Any]:
    """The job as the console shows it. A job outside the caller's subtree is not found."""
    job = jobs.get_job(job_id) if job_id.isascii() and job_id.isalnum() else None
    if job is None or not can_administer(principal, job.get("org_path") or ()):
        raise NotFound("import_not_found", "找不到该导入任务，请确认链接是否正确", field="job_id")
    return status_view(job, files=files, expires_in=expires_in)


def status_view(job: Mapping[str, Any], *, files: UploadSigner | None, expires_in: int) -> dict[str, Any]:
    status = str(job["status"])
    total, done = int(job.get("rows_total") or 0), int(job.get("rows_done") or 0)
    view: dict[str, Any] = {
        "job_id": job["job_id"], "org_id": job["org_id"], "org_name": job.get("org_name"),
        "template": job["template"], "template_title": job.get("template_title"), "file_name": job["file_name"],
        "dry_run": bool(job.get("dry_run")), "status": status, "status_text": STATUS_TEXT[status],
        "finished": status in FINAL_STATUSES, "rows_total": total, "rows_done": done,
        "progress": round(done / total, 4) if total else (1.0 if status in FINAL_STATUSES else 0.0),
        "imported": int(job.get("imported") or 0), "failed": int(job.get("failed") or 0),
        "message": job.get("message"), "requested_by": job.get("requested_by"),
        "requested_at": job.get("requested_at"), "started_at": job.get("started_at"),
        "finished_at": job.get("finished_at"), "failures": list(job.get("first_failures") or []),
        "report": None, "refusal": job.get("refusal"), "next_step": job.get("next_step"),
    }
    if status == Status.DONE and job.get("report_key") and files is not None:
        view["report"] = {
            "url": files.presign_download(str(job["report_key"]), version_id=job.get("report_version_id"),
                                          filename=str(job.get("report_file_name") or "导入失败.xlsx"),
                                          content_type=REPORT_CONTENT_TYPE, expires_in=expires_in),
            "file_name": job.get("report_file_name"), "rows": int(job.get("failed") or 0),
            "expires_in": expires_in,
        }
    return view
