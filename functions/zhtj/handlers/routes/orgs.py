"""The organisation tree (录入操作步骤 §二: 管理下级组织 / 创建下级组织)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from zhtj.domain.glossary import Industry, OrgKind
from zhtj.handlers.http import RouteContext, created, org_json
from zhtj.services import organisations


class NewOrganisationRequest(BaseModel):
    name: str = Field(min_length=1, max_length=60, description="组织全称")
    short_name: str = Field(min_length=1, max_length=20, description="组织简称")
    kind: OrgKind = Field(description="组织类别")
    industry: Industry | None = Field(default=None, description="单位所属行业类别（团支部必填）")


def register(ctx: RouteContext) -> None:
    app, store = ctx.app, ctx.container.store

    @app.get("/api/orgs/<org_id>")
    def get_org(org_id: str) -> dict[str, Any]:
        return org_json(organisations.get_organisation(ctx.principal(), org_id, store))

    @app.get("/api/orgs/<org_id>/children")
    def children(org_id: str) -> dict[str, Any]:
        return {"items": [org_json(o) for o in organisations.list_children(ctx.principal(), org_id, store)]}

    @app.post("/api/orgs/<org_id>/children")
    def create_child(org_id: str, body: NewOrganisationRequest) -> Response[dict[str, Any]]:
        draft = organisations.NewOrganisation(
            name=body.name, short_name=body.short_name, kind=body.kind, industry=body.industry
        )
        return created(org_json(organisations.create_child(ctx.principal(), org_id, draft, store)))
