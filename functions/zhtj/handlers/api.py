"""The API function: every route of the HTTP API (template.yaml → ApiFunction).

Thin by design: parse the request, build the verified principal, call one use case, shape
the response. Errors are mapped to statuses by exception *type* (ERROR_STATUS) and answered
as ``{"code": ..., "message": <Chinese>}``; unexpected errors are logged (ID numbers
masked) and answered with a generic Chinese message — never a stack trace.

Public routes (no authorizer, declared in template.yaml): ``/api/health``, ``/api/auth/login``.
"""

from __future__ import annotations

import json
import platform
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

import zhtj
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
from zhtj.domain.glossary import Industry, OrgKind
from zhtj.domain.orgs import Organisation, Principal
from zhtj.handlers.logs import logger
from zhtj.services import identity, organisations
from zhtj.services.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound

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

_FIELD_NAMES = {"username": "用户名", "password": "密码", "name": "组织全称", "short_name": "组织简称",
                "kind": "组织类别", "industry": "单位所属行业类别"}


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class NewOrganisationRequest(BaseModel):
    name: str = Field(min_length=1, max_length=60, description="组织全称")
    short_name: str = Field(min_length=1, max_length=20, description="组织简称")
    kind: OrgKind = Field(description="组织类别")
    industry: Industry | None = Field(default=None, description="单位所属行业类别（团支部必填）")


def error_response(status: HTTPStatus, code: str, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def status_for(exc: DomainError) -> HTTPStatus:
    for cls, status in ERROR_STATUS:
        if isinstance(exc, cls):
            return status
    return HTTPStatus.UNPROCESSABLE_ENTITY


def org_json(org: Organisation) -> dict[str, Any]:
    return {
        "org_id": org.org_id,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind.value,
        "industry": org.industry.value if org.industry else None,
        "parent_id": org.parent_id,
        "path": list(org.path),
        "is_committee": org.kind.is_committee,
    }


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"zhtj": zhtj.__version__, "python": platform.python_version()}
    for package in ("boto3", "botocore", "aws-lambda-powertools", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def build_app(container: bootstrap.Container) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True, serializer=_json_dumps)
    store = container.store

    def principal() -> Principal:
        claims = app.current_event.request_context.authorizer.jwt_claim
        return identity.principal_from_claims(claims, store)

    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        return error_response(status_for(exc), exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    def validation_error(exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
            field = _FIELD_NAMES.get(location[-1], location[-1]) if location else "请求"
            problems.append(f"{field}填写有误")
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_request",
                              "；".join(dict.fromkeys(problems)) or "请求格式有误")

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger().exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后重试")

    @app.not_found
    def not_found(exc: Exception) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "route_not_found", "请求的接口不存在")

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        checks = store.check()
        return {"status": "ok" if all(v == "ok" for v in checks.values()) else "degraded",
                "versions": _versions(), "checks": checks}

    @app.post("/api/auth/login")
    def login(body: LoginRequest) -> dict[str, Any]:
        result = identity.sign_in(body.username, body.password, container.identity)
        return {"id_token": result.id_token, "expires_in": result.expires_in}

    @app.get("/api/me")
    def me() -> dict[str, Any]:
        caller = principal()
        org = organisations.load(store, caller.org_id)
        return {"username": caller.username, "role": caller.role.value, "org": org_json(org)}

    @app.get("/api/orgs/<org_id>")
    def get_org(org_id: str) -> dict[str, Any]:
        org = organisations.get_organisation(principal(), org_id, store)
        return org_json(org)

    @app.get("/api/orgs/<org_id>/children")
    def children(org_id: str) -> dict[str, Any]:
        found = organisations.list_children(principal(), org_id, store)
        return {"items": [org_json(o) for o in found]}

    @app.post("/api/orgs/<org_id>/children")
    def create_child(org_id: str, body: NewOrganisationRequest) -> Response:
        draft = organisations.NewOrganisation(
            name=body.name, short_name=body.short_name, kind=body.kind, industry=body.industry
        )
        child = organisations.create_child(principal(), org_id, draft, store)
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=org_json(child))

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
