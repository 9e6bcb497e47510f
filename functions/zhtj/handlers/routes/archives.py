"""Electronic archives (操作指引 §3–§5): signed uploads, status and history, decisions, change
requests, pending lists, the banner's summary; number corrections (Q&A §5.7) and transfers
(§4.4). Every route calls one use case in zhtj.services.archives / zhtj.services.transfers.

The container's archive adapters are looked up per request (not at registration), so a
container without them (unit tests of other routes) still builds the app."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from zhtj.domain.archive import REASON_MAX_LENGTH
from zhtj.handlers.http import RouteContext, created
from zhtj.handlers.logs import logger
from zhtj.services import archives, transfers


class DecisionRequest(BaseModel):
    version: int = Field(ge=1, description="审批的档案版本")
    approve: bool = Field(description="同意 / 不同意")
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2, description="理由")


class ChangeRequest(BaseModel):
    reason: str = Field(max_length=REASON_MAX_LENGTH * 2, description="变更理由")


class ChangeDecisionRequest(BaseModel):
    approve: bool = Field(description="同意 / 不同意")
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2, description="理由")


class NumberCorrection(BaseModel):
    member_number: str = Field(min_length=1, max_length=40, description="发展团员编号")
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2, description="修改理由")


class TransferRequest(BaseModel):
    target_branch_id: str = Field(min_length=1, max_length=64, description="转入团支部")
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2, description="转接理由")


class TransferDecision(BaseModel):
    accept: bool = Field(description="接收 / 不接收")
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2, description="理由")


class _Events:
    """The container's archive hooks (the Approvals issue adds ``archive_events``); a failing
    hook after a committed decision is logged, never turned into an error for the decider."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def archive_pending(self, member: Any, version: int, decider_id: str) -> None:
        self.inner.archive_pending(member, version, decider_id)

    def archive_decided(self, member: Any, version: int, approved: bool, reason: str | None,
                        actor: archives.Actor) -> None:
        try:
            self.inner.archive_decided(member, version, approved, reason, actor)
        except Exception:
            logger().exception("archive decision hook failed", extra={"member_id": member.get("member_id")})


def _now() -> datetime:
    return datetime.now(UTC)


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    def ttl() -> int:
        return int(container.settings.url_ttl_seconds)

    def events() -> _Events:
        return _Events(getattr(container, "archive_events", None) or archives.NO_EVENTS)

    # ------------------------------------------------------------ uploads and reading
    @app.post("/api/members/<member_id>/archive/uploads")
    def request_upload(member_id: str) -> Response[dict[str, Any]]:
        """A presigned S3 POST for one PDF of this member (上传档案 / 替换档案)."""
        ticket = archives.request_upload(ctx.principal(), member_id, directory=container.store, orgs=container.store,
                                         ledger=container.archives, files=container.archive_files,
                                         expires_in=ttl(), now=_now())
        return created(ticket.to_json())

    @app.get("/api/members/<member_id>/archive")
    def get_archive(member_id: str) -> dict[str, Any]:
        return archives.archive_view(ctx.principal(), member_id, directory=container.store, orgs=container.store,
                                     ledger=container.archives, files=container.archive_files, expires_in=ttl(),
                                     now=_now())

    @app.get("/api/members/<member_id>/archive/versions/<version>/file")
    def download(member_id: str, version: int) -> dict[str, Any]:
        return archives.download(ctx.principal(), member_id, version, directory=container.store,
                                 ledger=container.archives, files=container.archive_files, expires_in=ttl(),
                                 now=_now())

    # ------------------------------------------------------------ decisions and change requests
    @app.post("/api/members/<member_id>/archive/decision")
    def decide(member_id: str, body: DecisionRequest) -> dict[str, Any]:
        # The raw hooks: the decision's follow-up logs a failed e-mail itself and keeps it due.
        return archives.decide_from_console(ctx.principal(), member_id, version=body.version, approve=body.approve,
                                            reason=body.reason, directory=container.store,
                                            ledger=container.archives, now=_now(),
                                            events=getattr(container, "archive_events", None) or archives.NO_EVENTS)

    @app.post("/api/members/<member_id>/archive/change-requests")
    def request_change(member_id: str, body: ChangeRequest) -> Response[dict[str, Any]]:
        return created(archives.request_change(ctx.principal(), member_id, body.reason, directory=container.store,
                                               orgs=container.store, ledger=container.archives, now=_now()))

    @app.post("/api/members/<member_id>/archive/change-requests/decision")
    def decide_change(member_id: str, body: ChangeDecisionRequest) -> dict[str, Any]:
        return archives.decide_change(ctx.principal(), member_id, approve=body.approve, reason=body.reason,
                                      directory=container.store, ledger=container.archives, now=_now())

    # ------------------------------------------------------------ lists and figures
    @app.get("/api/orgs/<org_id>/archives/pending")
    def pending(org_id: str, kind: Annotated[str | None, Query(max_length=16)] = None,
                mine: Annotated[bool, Query()] = False,
                under: Annotated[str | None, Query(max_length=64)] = None,
                q: Annotated[str | None, Query(max_length=60)] = None,
                after: Annotated[str | None, Query(max_length=2048)] = None) -> dict[str, Any]:
        return archives.pending(ctx.principal(), org_id, orgs=container.store, ledger=container.archives, kind=kind,
                                mine=mine, under=under, q=q, after=after)

    @app.get("/api/orgs/<org_id>/archives/summary")
    def summary(org_id: str) -> dict[str, Any]:
        return archives.summary(ctx.principal(), org_id, orgs=container.store, ledger=container.archives,
                                today=_now().date())

    @app.get("/api/orgs/<org_id>/archives/missing")
    def missing(org_id: str, overdue: Annotated[bool, Query()] = False) -> dict[str, Any]:
        return archives.members_without_archive(ctx.principal(), org_id, orgs=container.store,
                                                ledger=container.archives, today=_now().date(), overdue_only=overdue)

    # ------------------------------------------------------------ corrections and transfers
    @app.post("/api/members/<member_id>/number")
    def correct_number(member_id: str, body: NumberCorrection) -> dict[str, Any]:
        return transfers.correct_number(ctx.principal(), member_id, body.member_number, body.reason,
                                        directory=container.store, segments=container.store,
                                        ledger=container.archives, now=_now())

    @app.get("/api/members/<member_id>/transfer")
    def get_transfer(member_id: str) -> dict[str, Any]:
        return {"transfer": transfers.transfer_of(ctx.principal(), member_id, directory=container.store,
                                                  ledger=container.archives)}

    @app.post("/api/members/<member_id>/transfer")
    def request_transfer(member_id: str, body: TransferRequest) -> Response[dict[str, Any]]:
        return created(transfers.request_transfer(ctx.principal(), member_id, body.target_branch_id, body.reason,
                                                  directory=container.store, orgs=container.store,
                                                  ledger=container.archives, now=_now()))

    @app.post("/api/members/<member_id>/transfer/decision")
    def decide_transfer(member_id: str, body: TransferDecision) -> dict[str, Any]:
        return transfers.decide_transfer(ctx.principal(), member_id, accept=body.accept, reason=body.reason,
                                         orgs=container.store, ledger=container.archives, now=_now())

    @app.delete("/api/members/<member_id>/transfer")
    def cancel_transfer(member_id: str) -> Response[str]:
        transfers.cancel_transfer(ctx.principal(), member_id, directory=container.store, ledger=container.archives,
                                  now=_now())
        return Response(status_code=int(HTTPStatus.NO_CONTENT), content_type=content_types.APPLICATION_JSON, body="")

    @app.get("/api/orgs/<org_id>/transfers/incoming")
    def incoming(org_id: str) -> dict[str, Any]:
        return {"items": transfers.incoming_transfers(ctx.principal(), org_id, orgs=container.store,
                                                      ledger=container.archives)}
