"""Health, sign-in and the caller's own account (public: /api/health, /api/auth/login)."""

from __future__ import annotations

import platform
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

import zhtj
from zhtj.handlers.http import RouteContext, org_json
from zhtj.services import identity, organisations


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128, description="用户名")
    password: str = Field(min_length=1, max_length=256, description="密码")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"zhtj": zhtj.__version__, "python": platform.python_version()}
    for package in ("boto3", "botocore", "aws-lambda-powertools", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        checks = container.store.check()
        return {"status": "ok" if all(v == "ok" for v in checks.values()) else "degraded",
                "versions": versions(), "checks": checks}

    @app.post("/api/auth/login")
    def login(body: LoginRequest) -> dict[str, Any]:
        result = identity.sign_in(body.username, body.password, container.identity)
        return {"id_token": result.id_token, "expires_in": result.expires_in}

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi() -> Response[str]:
        """The API's own OpenAPI document (drives the fuzzing tests; no Swagger UI, which would
        load from a CDN)."""
        document = app.get_openapi_json_schema(
            title="zhtj API", version=zhtj.__version__,
            description="智慧团建 新发展团员调控与电子数据库（开源实现）的接口。错误统一返回 {code, message}。",
        )
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)

    @app.get("/api/me")
    def me() -> dict[str, Any]:
        caller = ctx.principal()
        org = organisations.load(container.store, caller.org_id)
        return {"username": caller.username, "role": caller.role.value, "org": org_json(org)}
