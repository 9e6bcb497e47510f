"""The API function: every route of the HTTP API (template.yaml → ApiFunction).

Thin by design: each route parses the request, takes the verified principal, calls one use
case and shapes the response. Route modules live in zhtj.handlers.routes. Errors are mapped
to statuses by exception *type* (ERROR_STATUS) and answered as ``{"code", "message"}`` in
Chinese; unexpected errors are logged (ID numbers masked) and answered with a generic
Chinese message — never a stack trace.

Public routes (no authorizer, declared in template.yaml): ``/api/health``, ``/api/auth/login``.
"""

from __future__ import annotations

import importlib
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from zhtj import bootstrap
from zhtj.domain.errors import (
    AdmissionRefused,
    DomainError,
    InvalidMemberNumber,
    InvalidOrganisation,
    InvalidResidentId,
    NotAuthorised,
    QuotaExceeded,
    SegmentError,
    TransitionNotAllowed,
)
from zhtj.domain.orgs import Principal
from zhtj.handlers.http import RouteContext, error_response, json_dumps
from zhtj.handlers.logs import logger
from zhtj.handlers.routes import ROUTE_MODULES
from zhtj.services import identity
from zhtj.services.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound
from zhtj.services.members import EntryRejected

# Most specific class first: the first isinstance match wins.
ERROR_STATUS: tuple[tuple[type[DomainError], HTTPStatus], ...] = (
    (AuthenticationFailed, HTTPStatus.UNAUTHORIZED),
    (NotAuthorised, HTTPStatus.FORBIDDEN),
    (NotFound, HTTPStatus.NOT_FOUND),
    (Conflict, HTTPStatus.CONFLICT),
    (QuotaExceeded, HTTPStatus.CONFLICT),
    (TransitionNotAllowed, HTTPStatus.CONFLICT),
    (InvalidRequest, HTTPStatus.BAD_REQUEST),
    (InvalidResidentId, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidMemberNumber, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidOrganisation, HTTPStatus.UNPROCESSABLE_ENTITY),
    (AdmissionRefused, HTTPStatus.UNPROCESSABLE_ENTITY),
    (SegmentError, HTTPStatus.UNPROCESSABLE_ENTITY),
)

# Request fields → the label the form shows, for validation messages.
FIELD_LABELS = {"username": "用户名", "password": "密码", "name": "组织全称", "short_name": "组织简称",
                "kind": "组织类别", "industry": "单位所属行业类别"}


def status_for(exc: DomainError) -> HTTPStatus:
    for cls, status in ERROR_STATUS:
        if isinstance(exc, cls):
            return status
    return HTTPStatus.UNPROCESSABLE_ENTITY


def validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        label = FIELD_LABELS.get(location[-1], location[-1]) if location else "请求内容"
        problems.append(f"“{label}”缺失或格式不正确")
    return "；".join(dict.fromkeys(problems)) or "请求格式不正确"


def build_app(container: bootstrap.Container) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True, serializer=json_dumps)

    def principal() -> Principal:
        claims = app.current_event.request_context.authorizer.jwt_claim
        return identity.principal_from_claims(claims, container.store)

    @app.exception_handler(EntryRejected)
    def entry_rejected(exc: EntryRejected) -> Response[Any]:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "entry_rejected",
                              f"共有 {len(exc.errors)} 处填写有误，请逐项修改",
                              errors=[e.to_dict() for e in exc.errors])

    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response[Any]:
        return error_response(status_for(exc), exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    def validation_error(exc: RequestValidationError) -> Response[Any]:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request", validation_message(exc))

    @app.exception_handler(UnicodeDecodeError)
    def undecodable_body(exc: UnicodeDecodeError) -> Response[Any]:
        # API Gateway passes a body that is not valid UTF-8 base64-encoded; it is the
        # caller's mistake, not ours.
        return error_response(HTTPStatus.BAD_REQUEST, "body_not_utf8",
                              "请求内容不是有效的 UTF-8 编码，请检查后重新提交")

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response[Any]:
        logger().exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后重试")

    @app.not_found
    def not_found(exc: Exception) -> Response[Any]:
        return error_response(HTTPStatus.NOT_FOUND, "route_not_found", "请求的接口不存在")

    ctx = RouteContext(app=app, container=container, principal=principal)
    for module in ROUTE_MODULES:
        importlib.import_module(module).register(ctx)
    return app


_app: APIGatewayHttpResolver | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _app
    if _app is None:
        _app = build_app(bootstrap.container())
    return _app.resolve(event, context)


def reset() -> None:
    global _app
    _app = None
