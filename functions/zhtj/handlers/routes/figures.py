"""Progress figures (notice §三.2, §三.4; Q&A §5.3–5.4), read from counters only:

* ``GET /api/orgs/{org_id}/figures?year=Y[&as_of=YYYY-MM-DD]`` — the subtree's figures per
  domain and in total, with each milestone's standing as of ``as_of`` (default today, Beijing);
* ``GET /api/orgs/{org_id}/figures/missed?year=Y[&as_of=…]`` — the direct children (and, for
  the province, every county committee) missing a due milestone, worst first;
* ``GET /api/orgs/{org_id}/figures/xlsx?year=Y[&as_of=…]`` — the same table as an .xlsx, as
  JSON ``{"filename", "content_type", "content_base64"}`` so that the console downloads it
  through its authenticated JSON client (openpyxl is imported only on this path).
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from zhtj.adapters.dynamodb_figures import DynamoFigures
from zhtj.handlers.http import RouteContext
from zhtj.services import figures
from zhtj.services.errors import InvalidRequest

Year = Annotated[int, Query(ge=figures.MIN_YEAR, le=figures.MAX_YEAR, description="计划年度")]
AsOf = Annotated[str | None, Query(max_length=10, description="统计日期 YYYY-MM-DD（默认今天，北京时间）")]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BEIJING = timezone(timedelta(hours=8))


def as_of_date(raw: str | None) -> date:
    if not raw:
        return datetime.now(UTC).astimezone(_BEIJING).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest("as_of_invalid", "统计日期格式应为 YYYY-MM-DD", field="as_of") from None


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container
    store = DynamoFigures(container.clients, container.settings.table_name)

    @app.get("/api/orgs/<org_id>/figures")
    def get_figures(org_id: str, year: Year, as_of: AsOf = None) -> dict[str, Any]:
        return figures.org_figures(ctx.principal(), org_id, year, as_of=as_of_date(as_of), store=store,
                                   orgs=container.store)

    @app.get("/api/orgs/<org_id>/figures/missed")
    def get_missed(org_id: str, year: Year, as_of: AsOf = None) -> dict[str, Any]:
        return figures.missed_units(ctx.principal(), org_id, year, as_of=as_of_date(as_of), store=store,
                                    orgs=container.store)

    @app.get("/api/orgs/<org_id>/figures/xlsx")
    def get_xlsx(org_id: str, year: Year, as_of: AsOf = None) -> dict[str, Any]:
        from zhtj.services.figures_export import render_xlsx

        body = figures.org_figures(ctx.principal(), org_id, year, as_of=as_of_date(as_of), store=store,
                                   orgs=container.store)
        content = render_xlsx(body)
        return {"filename": f"进度统计-{body['org']['org_id']}-{year}-{body['as_of']}.xlsx",
                "content_type": XLSX_TYPE, "content_base64": base64.b64encode(content).decode()}
