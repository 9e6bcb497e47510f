"""Health, sign-in and the caller's own account (public: /api/health, /api/auth/login)."""

from __future__ import annotations

import platform
from typing import Any

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

    @app.get("/api/me")
    def me() -> dict[str, Any]:
        caller = ctx.principal()
        org = organisations.load(container.store, caller.org_id)
        return {"username": caller.username, "role": caller.role.value, "org": org_json(org)}
