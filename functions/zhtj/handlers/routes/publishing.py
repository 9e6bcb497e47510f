"""The published allocation table (附件1, notice §二).

* ``POST /api/allocation/{year}/publish`` — the province committee (the root of the tree)
  publishes the table computed from the input figures in the body (the JSON input format of
  ``zhtj allocate``); 201 with a new version, 200 when the latest version already has this
  content (idempotent);
* ``GET /api/allocation/{year}[?version=v0001]`` — public: the latest (or the named) version
  with the table as JSON;
* ``GET /api/allocation/{year}/xlsx[?version=…]`` — public: a redirect to a short-lived
  presigned GET of the .xlsx.

The two GET routes are public in template.yaml (``Auth: Authorizer: NONE``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from zhtj.handlers.http import RouteContext
from zhtj.services import publishing
from zhtj.services.distribution import MAX_PLAN_YEAR, MIN_PLAN_YEAR

Year = Annotated[int, Path(ge=MIN_PLAN_YEAR, le=MAX_PLAN_YEAR, description="计划年度")]
Version = Annotated[str | None, Query(max_length=8, description="版本，如 v0001；省略为最新版本")]


def links(year: int, version: str) -> dict[str, str]:
    return {"json": f"/api/allocation/{year}?version={version}",
            "xlsx": f"/api/allocation/{year}/xlsx?version={version}"}


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    @app.post("/api/allocation/<year>/publish")
    def publish(year: Year, data: Annotated[dict[str, Any], Body(embed=False)]) -> Response[dict[str, Any]]:
        result, compared = publishing.publish_input(ctx.principal(), year, data, plans=container.distribution,
                                                    files=container.site)
        current = result.publication
        body = {**current.public(), "created": result.created, "plan_checked": compared,
                **links(year, current.version),
                "message": (f"已发布{current.title}，版本 {current.version}" if result.created
                            else f"与已发布的版本 {current.version} 内容相同，未生成新版本")}
        status = HTTPStatus.CREATED if result.created else HTTPStatus.OK
        return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON, body=body)

    @app.get("/api/allocation/<year>")
    def table(year: Year, version: Version = None) -> Response[dict[str, Any]]:
        current, data = publishing.published_table(year, container.site, version)
        body = {**current.public(), **links(year, current.version), "table": data}
        cache = publishing.IMMUTABLE if version else "public, max-age=60"
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body,
                        headers={"Cache-Control": cache, "ETag": f'"{current.sha256}"'})

    @app.get("/api/allocation/<year>/xlsx")
    def xlsx(year: Year, version: Version = None) -> Response[str]:
        url = publishing.xlsx_download_url(year, container.site, version=version,
                                           expires_in=container.settings.url_ttl_seconds)
        return Response(status_code=int(HTTPStatus.FOUND), content_type=content_types.TEXT_PLAIN, body="",
                        headers={"Location": url, "Cache-Control": "no-store"})
