"""What every API route module shares: the route context (verified caller, container),
JSON shaping and the Chinese error body ``{"code", "message", "field"?}``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from zhtj.bootstrap import Container
from zhtj.domain.orgs import Organisation, Principal


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def error_response(status: HTTPStatus, code: str, message: str, field: str | None = None,
                   **extra: Any) -> Response[Any]:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    if field:
        body["field"] = field
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)


def created(body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=int(HTTPStatus.CREATED), content_type=content_types.APPLICATION_JSON, body=body)


@dataclass(frozen=True)
class RouteContext:
    """Handed to each route module's ``register``: the resolver, the wired container and
    ``principal()``, the verified caller of the current request."""

    app: APIGatewayHttpResolver
    container: Container
    principal: Callable[[], Principal]


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
