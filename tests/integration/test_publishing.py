"""Publishing the allocation table (附件1) to the site bucket, against moto with the bucket
created from template.yaml: idempotent, every version kept, conditional writes that never
overwrite a version, and the API routes (publish for the province only; the table and the
.xlsx public)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.demo.jiangsu_2023 import demo_allocation, demo_input_dict
from infra.local.front import LambdaContext, http_api_event
from infra.local.resources import LocalResources
from infra.local.template import ApiRoute, load_template, resources_of_type
from tests.integration.conftest import client
from zhtj.bootstrap import Container
from zhtj.domain.allocation import Allocation
from zhtj.domain.glossary import Domain, OrgKind, Role
from zhtj.domain.orgs import new_child, new_root
from zhtj.handlers.api import build_app
from zhtj.services import allocation_table, publishing
from zhtj.services.errors import Conflict, NotFound

YEAR = 2023
PREFIX = f"published/allocation/{YEAR}"
NOW = datetime(2023, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def allocation() -> Allocation:
    return demo_allocation()


def changed(allocation: Allocation) -> Allocation:
    """The same table with one unit's name changed (a different content)."""
    first = replace(allocation.units[0], name=allocation.units[0].name + "（更正）")
    return replace(allocation, units=(first, *allocation.units[1:]))


def keys(container: Container) -> list[str]:
    listed = client("s3").list_objects_v2(Bucket=container.settings.site_bucket, Prefix="published/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def body(container: Container, key: str) -> bytes:
    return bytes(client("s3").get_object(Bucket=container.settings.site_bucket, Key=key)["Body"].read())


def test_the_site_bucket_is_versioned_encrypted_and_private(aws: LocalResources) -> None:
    s3 = client("s3")
    bucket = aws.physical("SiteBucket")
    assert aws.environment["ZHTJ_SITE_BUCKET"] == bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    policy = resources_of_type(load_template(), "AWS::S3::BucketPolicy")["SiteBucketPolicy"]["Properties"]
    # The other statement admits the CloudFront distribution only (tests/unit/test_template_deploy.py).
    statement = next(s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_api_may_only_touch_the_published_allocation_prefix() -> None:
    template = load_template()
    statements = template["Resources"]["ApiFunction"]["Properties"]["Policies"][0]["Statement"]
    site = [s for s in statements if "SiteBucket" in json.dumps(s["Resource"])]
    assert {s["Sid"] for s in site} == {"PublishAllocationTable", "ListPublishedAllocation"}
    writes = next(s for s in site if s["Sid"] == "PublishAllocationTable")
    assert sorted(writes["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert writes["Resource"] == {"Fn::Sub": "${SiteBucket.Arn}/published/allocation/*"}
    listing = next(s for s in site if s["Sid"] == "ListPublishedAllocation")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "published/allocation/*"}}
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    public = {e["Properties"]["Path"] for e in events.values() if e["Properties"].get("Auth", {}).get("Authorizer")
              == "NONE"}
    assert {"/api/allocation/{year}", "/api/allocation/{year}/xlsx"} <= public
    assert "/api/allocation/{year}/publish" not in public


def test_publish_writes_json_xlsx_manifest_and_pointer(container: Container, allocation: Allocation) -> None:
    result = publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    assert result.created and result.publication.version == "v0001"
    assert keys(container) == [f"{PREFIX}/latest.json", f"{PREFIX}/v0001.json", f"{PREFIX}/v0001.manifest.json",
                               f"{PREFIX}/v0001.xlsx"]
    table = allocation_table.table_json(allocation).encode()
    assert body(container, f"{PREFIX}/v0001.json") == table  # exactly what `zhtj allocate --json` writes
    assert body(container, f"{PREFIX}/v0001.xlsx") == allocation_table.render_xlsx(allocation)
    pointer = json.loads(body(container, f"{PREFIX}/latest.json"))
    assert pointer["version"] == "v0001" and pointer["sha256"] == hashlib.sha256(table).hexdigest()
    assert pointer["published_at"] == "2023-03-14T09:00:00+00:00" and pointer["illustrative"] is True
    assert pointer["title"] == "2023年发展团员名额及编号号段分配表"
    head = client("s3").head_object(Bucket=container.settings.site_bucket, Key=f"{PREFIX}/v0001.xlsx")
    assert head["ContentType"] == publishing.XLSX_TYPE and "immutable" in head["CacheControl"]


def test_publishing_the_same_content_again_creates_nothing(container: Container, allocation: Allocation) -> None:
    first = publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    before = keys(container)
    again = publishing.publish(allocation, container.site, actor="someone-else", now=datetime.now(UTC))
    assert not again.created and again.publication == first.publication
    assert keys(container) == before
    versions = client("s3").list_object_versions(Bucket=container.settings.site_bucket, Prefix=PREFIX)["Versions"]
    assert len(versions) == 4  # not even a new S3 version of the pointer


def test_a_new_content_is_a_new_version_and_earlier_ones_are_kept(container: Container,
                                                                  allocation: Allocation) -> None:
    publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    second = publishing.publish(changed(allocation), container.site, actor="jiangsu", now=NOW)
    assert second.created and second.publication.version == "v0002"
    assert publishing.publication(YEAR, container.site).version == "v0002"
    old, old_table = publishing.published_table(YEAR, container.site, "v0001")
    assert old.version == "v0001" and old_table == allocation_table.table_dict(allocation)
    _, new_table = publishing.published_table(YEAR, container.site)
    assert new_table["units"][0]["name"].endswith("（更正）")
    # going back to the first content is a third version (it becomes the latest again)
    third = publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    assert third.created and third.publication.version == "v0003"
    assert third.publication.sha256 == old.sha256
    assert body(container, f"{PREFIX}/v0001.json") == body(container, f"{PREFIX}/v0003.json")


class RacingBucket:
    """The site bucket with another publisher that gets in first: right before our first
    conditional write of a version, it publishes its own content."""

    def __init__(self, real: Any, other: Allocation) -> None:
        self.real, self.other, self.raced = real, other, False

    def read(self, key: str) -> Any:
        return self.real.read(key)

    def presign_get(self, *args: Any, **kwargs: Any) -> str:
        return str(self.real.presign_get(*args, **kwargs))

    def write(self, key: str, data: bytes, **kwargs: Any) -> None:
        if not self.raced and kwargs.get("if_none_match") and key.endswith(".json"):
            self.raced = True
            publishing.publish(self.other, self.real, actor="other", now=NOW)
        self.real.write(key, data, **kwargs)


def test_a_publisher_that_lost_the_race_takes_the_next_number(container: Container, allocation: Allocation) -> None:
    publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)  # v0001
    racing = RacingBucket(container.site, changed(allocation))
    third = changed(changed(allocation))
    result = publishing.publish(third, racing, actor="jiangsu", now=NOW)
    assert racing.raced and result.created
    assert result.publication.version == "v0003"  # v0002 went to the other publisher
    assert publishing.publication(YEAR, container.site).version == "v0003"
    for version, expected in (("v0001", allocation), ("v0002", changed(allocation)), ("v0003", third)):
        assert publishing.published_table(YEAR, container.site, version)[1] == allocation_table.table_dict(expected)


def test_a_pointer_write_never_replaces_a_version_it_did_not_read(container: Container,
                                                                   allocation: Allocation) -> None:
    publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    etag = publishing.latest(YEAR, container.site)[1]  # type: ignore[index]
    publishing.publish(changed(allocation), container.site, actor="jiangsu", now=NOW)
    with pytest.raises(publishing.WriteConflict):
        container.site.write(f"{PREFIX}/latest.json", b"{}", content_type="application/json",
                             cache_control="no-cache", if_match=etag)
    with pytest.raises(publishing.WriteConflict):
        container.site.write(f"{PREFIX}/v0001.json", b"{}", content_type="application/json",
                             cache_control="no-cache", if_none_match=True)


def test_nothing_published_yet_is_a_chinese_not_found(container: Container) -> None:
    with pytest.raises(NotFound) as caught:
        publishing.published_table(YEAR, container.site)
    assert caught.value.code == "allocation_not_published" and "尚未发布" in caught.value.message


# ---------------------------------------------------------------- through the API handler
ANY_ROUTE = ApiRoute(function="ApiFunction", handler="", method="ANY", path="/api/{proxy+}", public=False)


def call(app: Any, method: str, path: str, payload: Any = None, claims: dict[str, str] | None = None,
         query: str = "") -> tuple[int, Any, dict[str, Any]]:
    data = json.dumps(payload).encode() if payload is not None else b""
    headers = {"content-type": "application/json"} if payload is not None else {}
    event = http_api_event(method, path, query, headers, data, ANY_ROUTE, claims, "127.0.0.1")
    response = app.resolve(event, LambdaContext("ApiFunction"))
    text = response.get("body") or ""
    parsed = json.loads(text) if text.startswith("{") else text
    return response["statusCode"], parsed, response.get("headers") or {}


def claims_of(username: str, org_id: str) -> dict[str, str]:
    return {"custom:org_id": org_id, "custom:role": Role.ADMIN.value, "cognito:username": username}


@pytest.fixture
def app(container: Container) -> Any:
    province = new_root("32", "共青团江苏省委", "团省委")
    city = new_child(province, org_id="3201", name="南京市团委", short_name="南京", kind=OrgKind.CITY, industry=None)
    container.store.add_many([province, city])
    return build_app(container)


def test_only_the_province_publishes(app: Any, container: Container) -> None:
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", demo_input_dict(),
                             claims_of("nanjing", "3201"))
    assert status == 403 and answer["code"] == "publish_forbidden" and "团省委" in answer["message"]
    assert keys(container) == []


def test_publish_and_read_back_through_the_api(app: Any, container: Container, allocation: Allocation) -> None:
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", demo_input_dict(),
                             claims_of("jiangsu", "32"))
    assert status == 201, answer
    assert answer["created"] is True and answer["version"] == "v0001" and answer["plan_checked"] is False
    assert answer["sha256"] == publishing.content_sha256(allocation)  # the API computes what the CLI computes
    status, again, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", demo_input_dict(),
                            claims_of("jiangsu", "32"))
    assert status == 200 and again["created"] is False and "未生成新版本" in again["message"]

    status, table, headers = call(app, "GET", f"/api/allocation/{YEAR}")
    assert status == 200 and table["version"] == "v0001" and "published_by" not in table
    assert table["table"] == allocation_table.table_dict(allocation)
    assert headers["ETag"] == f'"{answer["sha256"]}"'
    status, _, headers = call(app, "GET", f"/api/allocation/{YEAR}/xlsx")
    assert status == 302 and headers["Cache-Control"] == "no-store"
    url = urlsplit(headers["Location"])
    query = parse_qs(url.query)
    assert url.path.endswith(f"{PREFIX}/v0001.xlsx")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # SigV4, never SigV2
    assert int(query["X-Amz-Expires"][0]) == container.settings.url_ttl_seconds
    assert "attachment" in query["response-content-disposition"][0]
    assert "filename*=UTF-8''2023" in query["response-content-disposition"][0]


def test_unknown_year_or_version_is_404(app: Any, container: Container, allocation: Allocation) -> None:
    assert call(app, "GET", "/api/allocation/2024")[0] == 404
    publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    assert call(app, "GET", f"/api/allocation/{YEAR}", query="version=v0009")[0] == 404
    status, answer, _ = call(app, "GET", f"/api/allocation/{YEAR}", query="version=../x")
    assert status == 400 and answer["code"] == "version_invalid"
    assert call(app, "GET", "/api/allocation/1999")[0] == 422


def test_a_table_that_disagrees_with_the_stored_plan_is_refused(app: Any, container: Container,
                                                                  allocation: Allocation) -> None:
    plan = [("32", YEAR, d.value, allocation.plan[d], allocation.plan[d]) for d in Domain]
    plan += [(u.unit_id, YEAR, d.value, u.quotas[d] + (1 if u.unit_id == "3201" and d is Domain.JUNIOR_HIGH else 0),
              0) for u in allocation.units for d in Domain if u.quotas[d]]
    container.store.load_plan(plan, [])
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", demo_input_dict(),
                             claims_of("jiangsu", "32"))
    assert status == 409 and answer["code"] == "plan_mismatch", answer
    assert "共1处" in answer["message"] and "南京市团委初中" in answer["message"]
    container.store.set_quota(YEAR, Domain.JUNIOR_HIGH.value, "3201", allocation.unit("3201").quotas[
        Domain.JUNIOR_HIGH])
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", demo_input_dict(),
                             claims_of("jiangsu", "32"))
    assert status == 201 and answer["plan_checked"] is True


def test_a_bad_input_is_a_chinese_422(app: Any) -> None:
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", {"year": 2022, "plan": {}},
                             claims_of("jiangsu", "32"))
    assert status == 422 and answer["message"]
    status, answer, _ = call(app, "POST", f"/api/allocation/{YEAR}/publish", {**demo_input_dict(), "year": 2024},
                             claims_of("jiangsu", "32"))
    assert status == 422 and "年度" in answer["message"]


def test_the_published_xlsx_opens_with_the_same_numbers(container: Container, allocation: Allocation) -> None:
    from openpyxl import load_workbook

    publishing.publish(allocation, container.site, actor="jiangsu", now=NOW)
    sheet = load_workbook(io.BytesIO(body(container, f"{PREFIX}/v0001.xlsx")))["分配表"]
    _, table = publishing.published_table(YEAR, container.site)
    rows = {str(r[1]): r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]}
    for unit in table["units"]:
        row = rows[unit["unit_id"]]
        assert row[3] == unit["total"]
        for index, domain in enumerate(table["domains"]):
            cell = unit["domains"][domain]
            assert row[4 + index * 3] == cell["quota"]
            assert (row[5 + index * 3] or None) == cell["first_number"]


def test_stale_pointer_conflicts_surface_as_conflict_after_retries(container: Container,
                                                                   allocation: Allocation) -> None:
    class AlwaysLosing:
        def read(self, key: str) -> Any:
            return container.site.read(key)

        def write(self, key: str, data: bytes, **kwargs: Any) -> None:
            raise publishing.WriteConflict(key)

        def presign_get(self, *args: Any, **kwargs: Any) -> str:
            return ""

    with pytest.raises(Conflict) as caught:
        publishing.publish(allocation, AlwaysLosing(), actor="jiangsu", now=NOW)
    assert caught.value.code == "publish_busy"
