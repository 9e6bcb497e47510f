"""The plan of an organisation and its distribution to its direct children (notice §一.2,
§三.2: 精确到县（市、区）、到学校、到年级; 不得跨领域、跨年度挤占挪用).

* ``GET /api/orgs/{org_id}/plan?year=Y`` — per domain: the organisation's quota, used,
  remaining, distributed, its held segments with used counts, and each direct child's;
* ``PUT /api/orgs/{parent_id}/plan/{child_id}?year=Y`` with ``{"domain", "quota"}`` — set the
  child's quota (increase or decrease); unused numbers move with it.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from zhtj.domain.orgs import Organisation
from zhtj.handlers.http import RouteContext, org_json
from zhtj.services import distribution
from zhtj.services.distribution import ChildPlan, DomainPlan, HeldRange, QuotaState

Year = Annotated[int, Query(ge=distribution.MIN_PLAN_YEAR, le=distribution.MAX_PLAN_YEAR, description="计划年度")]


class ChildQuotaRequest(BaseModel):
    domain: str = Field(min_length=1, max_length=20,
                        description="领域：初中、普通高中、中职、高校本科、高职(专科)、社会")
    quota: int = Field(description="下级组织该领域的名额（设为该数，可增可减）")


def segment_json(held: HeldRange) -> dict[str, Any]:
    segment = held.segment
    return {"first_number": segment.first_number, "last_number": segment.last_number, "first": held.first,
            "last": held.last, "size": held.size, "used": len(held.used), "free": held.free}


def holding_json(state: QuotaState | None, ranges: tuple[HeldRange, ...]) -> dict[str, Any]:
    held = sum(r.size for r in ranges)
    used_in_held = sum(len(r.used) for r in ranges)
    return {
        "has_quota": state is not None,
        "quota": state.quota if state else 0,
        "used": state.used if state else 0,
        "remaining": state.remaining if state else 0,
        "distributed": state.distributed if state else 0,
        "undistributed": state.undistributed if state else 0,
        "held": {"size": held, "used": used_in_held, "free": held - used_in_held,
                 "segments": [segment_json(r) for r in ranges]},
    }


def child_json(child: ChildPlan) -> dict[str, Any]:
    return {"org": brief_org(child.org), **holding_json(child.quota, child.ranges)}


def brief_org(org: Organisation) -> dict[str, Any]:
    return {"org_id": org.org_id, "name": org.name, "short_name": org.short_name, "kind": org.kind.value,
            "industry": org.industry.value if org.industry else None}


def domain_json(plan: DomainPlan) -> dict[str, Any]:
    return {"domain": plan.domain.value, **holding_json(plan.quota, plan.ranges),
            "children": [child_json(c) for c in plan.children]}


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container

    @app.get("/api/orgs/<org_id>/plan")
    def get_plan(org_id: str, year: Year) -> dict[str, Any]:
        plan = distribution.org_plan(ctx.principal(), org_id, year, orgs=container.store,
                                     store=container.distribution)
        return {"org": org_json(plan.org), "year": plan.year, "children": [brief_org(c) for c in plan.children],
                "domains": [domain_json(d) for d in plan.domains]}

    @app.put("/api/orgs/<parent_id>/plan/<child_id>")
    def set_child_quota(parent_id: str, child_id: str, year: Year, body: ChildQuotaRequest) -> dict[str, Any]:
        result = distribution.set_child_quota(ctx.principal(), parent_id, child_id, year=year, domain=body.domain,
                                              quota=body.quota, orgs=container.store, store=container.distribution)
        plan = domain_json(result.domain_plan)
        return {"direction": result.direction, "delta": result.delta, "fragmented": result.fragmented,
                "moved": [{"first_number": m.first_number, "last_number": m.last_number, "size": m.size}
                          for m in result.moved],
                "message": message(result), "plan": plan, "child": plan["children"][0]}


def message(result: distribution.QuotaChangeResult) -> str:
    plan = result.domain_plan
    child = plan.children[0].org
    pieces = "、".join(str(m) for m in result.moved)
    if result.direction == "unchanged":
        return f"“{child.name}”的{plan.domain.value}名额没有变化"
    if result.direction == "increase":
        text = f"已为“{child.name}”增加{plan.domain.value}名额{result.delta}个，分出编号 {pieces}"
    else:
        text = f"已从“{child.name}”收回{plan.domain.value}名额{result.delta}个，收回的均为未使用的编号 {pieces}"
    if result.fragmented:
        text += f"（未使用的编号不连续，共{len(result.moved)}段）"
    return text
