"""Publishing the allocation table (附件1 「发展团员名额及编号号段分配表」, notice §二).

The province committee publishes a computed allocation (``zhtj.domain.allocation``) to the
**site bucket**; the site's 附件1 page shows the latest published version when it loads, so
republishing needs no rebuild of the site. Layout under ``published/allocation/{year}/``:

* ``v{n:04d}.json`` — the table as JSON, exactly ``allocation_table.table_json`` (the bytes
  ``zhtj allocate --json`` writes), so its SHA-256 identifies the content;
* ``v{n:04d}.xlsx`` — the formatted workbook, exactly ``allocation_table.render_xlsx``;
* ``v{n:04d}.manifest.json`` — version, hashes, time (what ``latest.json`` says of it);
* ``latest.json`` — the pointer to the newest version (the same manifest).

**Idempotent**: when the latest version already has the same JSON bytes, nothing is written and
that version is returned. **Every version is kept**: a new version gets the next number and
never overwrites an earlier one — the version's JSON is written with ``If-None-Match: *`` (a
number another publisher took is skipped), and the pointer with ``If-Match`` on the ETag read
before (two publishers at once: the higher number ends up in the pointer; no version is lost).
The bucket is versioned besides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import quote

from zhtj.domain.errors import NotAuthorised
from zhtj.domain.glossary import Domain, Role
from zhtj.domain.orgs import Principal
from zhtj.services.errors import Conflict, InvalidRequest, NotFound

if TYPE_CHECKING:  # pragma: no cover
    from zhtj.domain.allocation import Allocation

# The table itself (zhtj.services.allocation_table, zhtj.domain.allocation) is imported only by
# the functions that compute or render it: the public GET routes and the adapters never pay for
# it at cold start (DESIGN.md "Cold start").

PREFIX: Final = "published/allocation"
POINTER: Final = "latest.json"
MANIFEST_FORMAT: Final = "zhtj-allocation-published/1"
JSON_TYPE: Final = "application/json; charset=utf-8"
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMMUTABLE: Final = "public, max-age=31536000, immutable"  # a version's files never change
REVALIDATE: Final = "no-cache"  # the pointer does
MAX_VERSION_ATTEMPTS: Final = 20
_MISMATCHES_SHOWN: Final = 5


class WriteConflict(Exception):
    """A conditional write lost: the key exists (If-None-Match) or changed (If-Match)."""


class PublishedFiles(Protocol):
    """The site bucket (adapters.site_bucket.SiteBucket implements it)."""

    def read(self, key: str) -> tuple[bytes, str] | None:
        """(body, ETag) of the current version of ``key``; None when there is none."""

    def write(self, key: str, body: bytes, *, content_type: str, cache_control: str,
              if_none_match: bool = False, if_match: str | None = None) -> None:
        """Store ``body``; raise WriteConflict when the condition does not hold."""

    def presign_get(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str: ...


class PlanReader(Protocol):
    def quota_states(self, org_ids: Sequence[str], year: int, domains: Sequence[str]) -> Mapping[tuple[str, str], Any]:
        """(org_id, domain) → an object with ``quota`` (zhtj.services.distribution.QuotaState)."""


@dataclass(frozen=True)
class Publication:
    year: int
    version: str
    number: int
    sha256: str
    xlsx_sha256: str
    published_at: str
    published_by: str
    title: str
    illustrative: bool
    json_key: str
    xlsx_key: str

    def manifest(self) -> bytes:
        return (json.dumps({"format": MANIFEST_FORMAT, **asdict(self)}, ensure_ascii=False, indent=2) + "\n").encode()

    @classmethod
    def from_manifest(cls, raw: bytes) -> Publication:
        values = json.loads(raw)
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})

    def public(self) -> dict[str, Any]:
        """What anyone may see (not who published)."""
        return {"year": self.year, "version": self.version, "number": self.number, "sha256": self.sha256,
                "xlsx_sha256": self.xlsx_sha256, "published_at": self.published_at, "title": self.title,
                "illustrative": self.illustrative}


@dataclass(frozen=True)
class PublishResult:
    publication: Publication
    created: bool  # False: the latest version already had this content (idempotent)


def year_prefix(year: int) -> str:
    return f"{PREFIX}/{year}"


def version_name(number: int) -> str:
    return f"v{number:04d}"


def content_sha256(allocation: Allocation) -> str:
    from zhtj.services import allocation_table

    return hashlib.sha256(allocation_table.table_json(allocation).encode()).hexdigest()


def latest(year: int, files: PublishedFiles) -> tuple[Publication, str] | None:
    """The latest publication of ``year`` and the pointer's ETag; None before the first."""
    found = files.read(f"{year_prefix(year)}/{POINTER}")
    if found is None:
        return None
    body, etag = found
    return Publication.from_manifest(body), etag


def publish(allocation: Allocation, files: PublishedFiles, *, actor: str, now: datetime | None = None) -> PublishResult:
    """Write ``allocation`` as the next version of its year (or nothing, if the latest
    version has the same content)."""
    from zhtj.services import allocation_table

    table = allocation_table.table_json(allocation).encode()
    sha = hashlib.sha256(table).hexdigest()
    prefix = year_prefix(allocation.year)
    current = latest(allocation.year, files)
    if current is not None and current[0].sha256 == sha:
        return PublishResult(current[0], created=False)
    workbook = allocation_table.render_xlsx(allocation)
    number = (current[0].number if current else 0) + 1
    for _ in range(MAX_VERSION_ATTEMPTS):  # claim the next free version number
        try:
            files.write(f"{prefix}/{version_name(number)}.json", table, content_type=JSON_TYPE,
                        cache_control=IMMUTABLE, if_none_match=True)
            break
        except WriteConflict:
            number += 1
    else:
        raise Conflict("publish_busy", "同时发布的请求过多，请稍后重试")
    version = version_name(number)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    publication = Publication(
        year=allocation.year, version=version, number=number, sha256=sha,
        xlsx_sha256=hashlib.sha256(workbook).hexdigest(), published_at=stamp, published_by=actor,
        title=allocation_table.table_title(allocation), illustrative=allocation.illustrative,
        json_key=f"{prefix}/{version}.json", xlsx_key=f"{prefix}/{version}.xlsx",
    )
    files.write(publication.xlsx_key, workbook, content_type=XLSX_TYPE, cache_control=IMMUTABLE)
    files.write(f"{prefix}/{version}.manifest.json", publication.manifest(), content_type=JSON_TYPE,
                cache_control=IMMUTABLE)
    _move_pointer(publication, files, current[1] if current else None)
    return PublishResult(publication, created=True)


def _move_pointer(publication: Publication, files: PublishedFiles, etag: str | None) -> None:
    key = f"{year_prefix(publication.year)}/{POINTER}"
    for _ in range(MAX_VERSION_ATTEMPTS):
        try:
            files.write(key, publication.manifest(), content_type=JSON_TYPE, cache_control=REVALIDATE,
                        if_none_match=etag is None, if_match=etag)
            return
        except WriteConflict:
            current = latest(publication.year, files)
            if current is not None and current[0].number >= publication.number:
                return  # a later version is already the latest; ours stays kept as it is
            etag = current[1] if current else None
    raise Conflict("publish_busy", "同时发布的请求过多，请稍后重试")


def publication(year: int, files: PublishedFiles, version: str | None = None) -> Publication:
    """The latest publication of ``year``, or the named earlier ``version``."""
    if version is None:
        current = latest(year, files)
        if current is None:
            raise NotFound("allocation_not_published", f"{year}年发展团员名额及编号号段分配表尚未发布")
        return current[0]
    if not (len(version) == 5 and version[0] == "v" and version[1:].isdigit()):
        raise InvalidRequest("version_invalid", "版本号格式应为 v0001", field="version")
    found = files.read(f"{year_prefix(year)}/{version}.manifest.json")
    if found is None:
        raise NotFound("allocation_version_not_found", f"{year}年分配表没有版本 {version}")
    return Publication.from_manifest(found[0])


def published_table(year: int, files: PublishedFiles, version: str | None = None) -> tuple[Publication, dict[str, Any]]:
    current = publication(year, files, version)
    found = files.read(current.json_key)
    if found is None:
        raise NotFound("allocation_not_published", f"{year}年分配表版本 {current.version} 的数据缺失")
    return current, json.loads(found[0])


def xlsx_download_url(year: int, files: PublishedFiles, *, expires_in: int, version: str | None = None) -> str:
    """A short-lived presigned GET of the version's .xlsx, saved under a Chinese file name."""
    current = publication(year, files, version)
    name = f"{current.title}（{current.version}）.xlsx"
    return files.presign_get(current.xlsx_key, filename=name, content_type=XLSX_TYPE, expires_in=expires_in)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# ---------------------------------------------------------------- the API use case
def require_province_admin(principal: Principal) -> None:
    """Only the province committee (the root of the tree) publishes 附件1 (notice §二)."""
    if principal.role is not Role.ADMIN or len(principal.org_path) != 1:
        raise NotAuthorised("publish_forbidden", "只有团省委管理员可以发布发展团员名额及编号号段分配表（附件1）")


def plan_mismatches(allocation: Allocation, root_id: str, plans: PlanReader) -> list[str] | None:
    """How the table differs from the quotas stored for its year; None when no plan of that
    year is stored yet (nothing to compare with)."""
    domains = [d.value for d in Domain]
    units = [u.unit_id for u in allocation.units]
    stored = plans.quota_states([root_id, *units], allocation.year, domains)
    if not any((root_id, d) in stored for d in domains):
        return None
    problems = []
    for domain in Domain:
        state = stored.get((root_id, domain.value))
        if (state.quota if state else 0) != allocation.plan.get(domain, 0):
            problems.append(f"全省{domain.value}：表中{allocation.plan.get(domain, 0):,}个，系统中"
                            f"{state.quota if state else 0:,}个")
    for unit in allocation.units:
        for domain in Domain:
            state = stored.get((unit.unit_id, domain.value))
            if (state.quota if state else 0) != unit.quotas.get(domain, 0):
                problems.append(f"{unit.name}{domain.value}：表中{unit.quotas.get(domain, 0):,}个，系统中"
                                f"{state.quota if state else 0:,}个")
    return problems


def publish_input(principal: Principal, year: int, data: object, *, plans: PlanReader, files: PublishedFiles,
                  now: datetime | None = None) -> tuple[PublishResult, bool]:
    """POST /api/allocation/{year}/publish: compute the table from the input figures (the JSON
    input format of ``zhtj allocate``), check it against the plan stored for the year, publish.
    Returns the result and whether a stored plan was compared."""
    from zhtj.services import allocation_table

    require_province_admin(principal)
    allocation = allocation_table.parse_input(data, year=year).allocate()
    problems = plan_mismatches(allocation, principal.org_path[0], plans)
    if problems:
        shown = "；".join(problems[:_MISMATCHES_SHOWN])
        raise Conflict("plan_mismatch", f"分配表与系统中已下达的{year}年计划不一致（共{len(problems)}处）：{shown}。"
                                        "发布的附件1须与系统执行的计划一致，请核对测算数据或先调整计划")
    return publish(allocation, files, actor=principal.username, now=now), problems is not None
