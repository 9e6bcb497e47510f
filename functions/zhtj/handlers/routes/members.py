"""New members: single entry (录入操作步骤 §三 添加团员), reading one, searching (操作指引 §4.6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from zhtj.handlers.http import RouteContext, created
from zhtj.services import member_search, members, organisations


class SearchRequest(BaseModel):
    q: str = Field(min_length=1, max_length=60, description="姓名、身份证号码或发展团员编号")


def today_and_now() -> tuple[Any, datetime]:
    now = datetime.now(UTC)
    return now.date(), now


def register(ctx: RouteContext) -> None:
    app, container = ctx.app, ctx.container
    store, secret = container.store, container.settings.id_hash_key.encode()

    @app.post("/api/orgs/<branch_id>/members")
    def enter_member(branch_id: str, form: Annotated[dict[str, Any], Body(embed=False)]) -> Response[dict[str, Any]]:
        """One member typed into the console form; the body's keys are the member template's
        column names (姓名, 身份证号码, …), so the form and the spreadsheet share every rule."""
        principal = ctx.principal()
        today, now = today_and_now()
        entry = members.entry_from_form(form, today)  # EntryRejected → 422 with every field's error
        member_id = members.register_member(principal, branch_id, entry, orgs=store, ledger=store,
                                            secret=secret, now=now, source="console")
        return created(member_search.summary(member_search.get_member(principal, member_id, store)))

    @app.get("/api/members/<member_id>")
    def get_member(member_id: str) -> dict[str, Any]:
        member = member_search.get_member(ctx.principal(), member_id, store)
        return {**member_search.summary(member), "resident_id": member["resident_id"],
                "gender": member["gender"], "ethnicity": member["ethnicity"],
                "political_status": member["political_status"], "study_status": member.get("study_status"),
                "education": member["education"], "mobile": member["mobile"], "remarks": member.get("remarks"),
                "archive_version": member.get("archive_version", 0), "created_at": member["created_at"]}

    @app.post("/api/orgs/<org_id>/members/search")
    def search_members(org_id: str, body: SearchRequest) -> dict[str, Any]:
        """Search by name, ID number or development number (操作指引 §4.6). A POST, so that an ID
        number typed into the search box never appears in a URL, an access log or a history."""
        principal = ctx.principal()
        org = organisations.get_organisation(principal, org_id, store)
        found = member_search.search(principal, org, body.q, store, secret=secret, today=datetime.now(UTC).date())
        return {"items": [member_search.summary(m) for m in found], "next": None}

    @app.get("/api/orgs/<org_id>/members")
    def list_members(org_id: str, q: Annotated[str | None, Query(max_length=60)] = None,
                     after: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        principal = ctx.principal()
        org = organisations.get_organisation(principal, org_id, store)
        if q:
            member_search.refuse_resident_id_in_url(q, today=datetime.now(UTC).date())
            found = member_search.search(principal, org, q, store, secret=secret,
                                         today=datetime.now(UTC).date())
            return {"items": [member_search.summary(m) for m in found], "next": None}
        page, next_after = store.members_under(org, after=after)
        return {"items": [member_search.summary(m) for m in page], "next": next_after}
