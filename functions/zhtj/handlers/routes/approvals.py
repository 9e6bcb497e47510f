"""The e-mailed approval link's API (Approvals, 操作指引 §3.3): public at the gateway
(template.yaml declares both routes with ``Auth: Authorizer: NONE``) and authorised by the
link's token, which the static page ``console/approve.html`` reads from its URL fragment and
POSTs here — so the token is in no URL, no access log and no Referer.

* ``POST /api/approval-links/view`` ``{"token"}`` — what the page shows; changes nothing;
* ``POST /api/approval-links/decision`` ``{"token", "approve", "reason"?, "last_four"?}``.

Every answer (success or refusal) carries ``Cache-Control: no-store``. Refusals are JSON
``{"code", "message"}`` in Chinese with their own status (404 forged, 410 expired or
superseded, 409 already decided, 423 locked, 422 wrong digits, 400 missing input); no
expected refusal is a 500. The token is never logged: only the link's member id and version.
The body is validated here (not by Powertools' validation, whose 422 would bypass no-store).
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field, ValidationError

from zhtj import bootstrap
from zhtj.domain.archive import REASON_MAX_LENGTH
from zhtj.domain.errors import DomainError
from zhtj.handlers.http import RouteContext
from zhtj.handlers.logs import logger
from zhtj.services import approvals
from zhtj.services.errors import InvalidRequest

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class LinkRequest(BaseModel):
    token: str = Field(min_length=1, max_length=128)


class LinkDecision(LinkRequest):
    approve: bool
    reason: str | None = Field(default=None, max_length=REASON_MAX_LENGTH * 2)
    last_four: str | None = Field(default=None, max_length=16)


def _answer(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers=dict(NO_STORE))


def _refusal(exc: DomainError) -> Response[dict[str, Any]]:
    if isinstance(exc, approvals.LinkRefused):
        status, extra = exc.status, exc.details
    else:
        status = HTTPStatus.BAD_REQUEST if isinstance(exc, InvalidRequest) else HTTPStatus.CONFLICT
        extra = {}
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, **extra}
    if exc.field:
        body["field"] = exc.field
    return _answer(int(status), body)


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    def link_context() -> approvals.LinkContext:
        return bootstrap.link_context(container)

    def parse(model: type[LinkRequest]) -> LinkRequest:
        try:
            return model.model_validate(app.current_event.json_body)
        except (ValidationError, ValueError, TypeError):
            raise InvalidRequest("invalid_request", "请求格式不正确：请从邮件中的链接重新打开审批页面") from None

    @app.post("/api/approval-links/view")
    def view_link() -> Response[dict[str, Any]]:
        """What an e-mailed approval link shows (reads only)."""
        try:
            body = parse(LinkRequest)
            return _answer(200, approvals.view_link(body.token, ctx=link_context(), now=datetime.now(UTC)))
        except DomainError as exc:
            return _refusal(exc)
        except Exception:
            logger().exception("approval link view failed")
            return _answer(500, {"code": "internal", "message": "服务器内部错误，请稍后重试，本次未做任何审批"})

    @app.post("/api/approval-links/decision")
    def decide_link() -> Response[dict[str, Any]]:
        """同意 / 不同意 through an e-mailed link (the token is consumed by the first decision)."""
        try:
            body = parse(LinkDecision)
            assert isinstance(body, LinkDecision)
            result = approvals.decide_by_link(body.token, approve=body.approve, reason=body.reason,
                                              last_four=body.last_four, ctx=link_context(), now=datetime.now(UTC))
        except DomainError as exc:
            return _refusal(exc)
        except Exception:
            logger().exception("approval link decision failed")
            return _answer(500, {"code": "internal", "message": "服务器内部错误，请稍后重试"})
        logger().info("archive decided by link", extra={"decision": result["decision"],
                                                         "archive_state": result["archive_state"]})
        return _answer(200, result)
