"""Batch imports (录入操作步骤 §二 批量导入团支部, §三 批量导入团员): the signed upload of a
filled template and the import job's status, progress, result sentence and failure report.
Every route calls one use case in :mod:`zhtj.services.import_jobs`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from zhtj.adapters.dynamodb_imports import DynamoImportStore
from zhtj.adapters.s3_imports import S3ImportFiles
from zhtj.handlers.http import RouteContext, created
from zhtj.services import import_jobs


class ImportRequest(BaseModel):
    # Checked by the use case, which answers in Chinese (the resolver's 422 would name the field).
    template: str = Field(default="", max_length=32, description="导入模板：团员 members，下级组织 branches")
    file_name: str = Field(default="", max_length=2 * import_jobs.FILE_NAME_MAX_LENGTH, description="文件名")
    dry_run: bool = Field(default=False, description="试导入：只校验，不写入")


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    def jobs() -> DynamoImportStore:
        return DynamoImportStore(container.clients, container.settings.table_name)

    def files() -> S3ImportFiles:
        return S3ImportFiles(container.archive_files)

    @app.post("/api/orgs/<org_id>/imports")
    def request_import(org_id: str, body: ImportRequest) -> Response[dict[str, Any]]:
        """An import job and a presigned POST for its file (≤ 32 MB, .xlsx/.xls/.csv)."""
        store = jobs()
        ticket = import_jobs.request_import(
            ctx.principal(), org_id, template=body.template, file_name=body.file_name, dry_run=body.dry_run,
            orgs=store.tree, jobs=store, files=files(), expires_in=int(container.settings.url_ttl_seconds),
            now=datetime.now(UTC))
        return created(ticket.to_json())

    @app.get("/api/imports/<job_id>")
    def import_status(job_id: str) -> dict[str, Any]:
        """Status, progress (rows done / total), the result sentence, counts, the first
        failures and the failure report's short-lived download link."""
        return import_jobs.import_status(ctx.principal(), job_id, jobs=jobs(), files=files(),
                                         expires_in=int(container.settings.url_ttl_seconds))
